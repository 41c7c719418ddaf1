#!/usr/bin/env python3
"""Merge cargo-mutants outcomes from runs at different commits onto one list of mutants.

    python3 docs/mutation/merge.py FINAL_LIST OUT [--old OUTCOMES] [RUN ...]

FINAL_LIST  `cargo mutants --list` at the commit the outcomes are for (one name a line).
OUT         where to write `status<TAB>name` for every mutant of FINAL_LIST.
--old       a previous outcomes file (`docs/mutation/outcomes.txt`), whose names are those of
            its own commit.
RUN         OUTDIR:LIST:STAGE — a cargo-mutants output directory (`mutants.out`), the
            `--list` of the commit it ran at, and its stage (1: the gate alone, 2: the gate
            and the deep target).

Names carry line and column, which move as the code above them changes; a mutant is
identified across commits by its file, its description, and its rank among the mutants of
the same file and description in line order. Outcomes, best first: caught (or timeout: the
tests did not finish), unviable, missed (by stage 2), stage1 (missed by stage 1, not yet
judged by stage 2), unjudged. A mutant counts as caught if any run caught it.

A rank identifies a mutant only while its group (file and description) keeps its size: where
a group grew or shrank between a source's list and FINAL_LIST (an exclusion, or code added
or removed), the ranks after the change name other mutants, so that source's outcomes for
the group are not carried (the group is named on stderr; judge it again at FINAL_LIST's
commit).
"""
import collections
import os
import re
import sys

RANK = {"caught": 6, "timeout": 5, "unviable": 4, "missed": 3, "stage1": 2, "unjudged": 1}


def keys(names):
    groups = collections.defaultdict(list)
    for n in names:
        m = re.match(r"^(\S+?):(\d+):(\d+): (.*)$", n)
        if m:
            groups[(m.group(1), m.group(4))].append((int(m.group(2)), int(m.group(3)), n))
    out = {}
    for k, lst in groups.items():
        for i, (_, _, n) in enumerate(sorted(lst)):
            out[n] = (k[0], k[1], i)
    return out


def sizes(names):
    """How many mutants each (file, description) group holds."""
    return collections.Counter((k[0], k[1]) for k in keys(names).values())


def lines(path):
    if not os.path.exists(path):
        return []
    return [l.rstrip("\n") for l in open(path) if l.strip()]


def main(argv):
    final_list, out_path, rest = argv[0], argv[1], argv[2:]
    best = {}
    final_sizes = sizes(lines(final_list))
    # The groups whose size in the source being read differs from FINAL_LIST's.
    moved = set()

    def add(key, status):
        if key is None or (key[0], key[1]) in moved:
            return
        if RANK[status] > RANK.get(best.get(key), 0):
            best[key] = status

    def source(names, what):
        moved.clear()
        for group, count in sizes(names).items():
            if final_sizes.get(group, 0) != count:
                moved.add(group)
                print(f"{what}: not carried (group resized): {group[0]}: {group[1]}", file=sys.stderr)

    while rest:
        arg = rest.pop(0)
        if arg == "--old":
            path = rest.pop(0)
            old = [l.split("\t") for l in lines(path)]
            k = keys([n for _, n in old])
            source([n for _, n in old], path)
            for status, n in old:
                if status != "unjudged":
                    add(k.get(n), status)
            continue
        outdir, listfile, stage = arg.split(":")
        k = keys(lines(listfile))
        source(lines(listfile), outdir)
        for n in lines(f"{outdir}/caught.txt"):
            add(k.get(n), "caught")
        for n in lines(f"{outdir}/timeout.txt"):
            add(k.get(n), "timeout" if stage == "2" else "stage1")
        for n in lines(f"{outdir}/unviable.txt"):
            add(k.get(n), "unviable")
        for n in lines(f"{outdir}/missed.txt"):
            add(k.get(n), "missed" if stage == "2" else "stage1")
    final = lines(final_list)
    kf = keys(final)
    with open(out_path, "w") as out:
        for n in final:
            out.write(f"{best.get(kf[n], 'unjudged')}\t{n}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
