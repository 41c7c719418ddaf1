#!/usr/bin/env bash
# Times jacobian-oracle's checks and its peers in the same run, on the same W and x, and
# prints the side-by-side table:
#
#     bash benches/peers/run.sh [--budget-ms N] [--with-torch] [--latest] [--no-install]
#
# 1. creates or reuses a Python venv ($PEERS_VENV, default .venv-peers in the repository root,
#    git-ignored) and installs the peers into it from the Python registry:
#    benches/peers/requirements.txt (JAX for the CPU and numdifftools, pinned; --latest: the
#    newest). With --with-torch also PyTorch, from $PEERS_TORCH_INDEX (default: PyTorch's own
#    CPU-only index, about 200 MB; set PEERS_TORCH_INDEX=pypi to take it from the Python
#    registry, whose x86-64 Linux wheel is the CUDA build: about 4 GB with its nvidia-*
#    dependencies). Without --with-torch an installed torch is still timed; without torch
#    the PyTorch rows say "not measured". --no-install uses the venv as it is (offline).
#    Stops with an error if pip cannot install.
# 2. builds the release binary and writes the problems: `speed --problem-out` (W and x for
#    n = 16, 64, 256, 1024, every float exact);
# 3. times the peers on them: benches/peers/peers.py (its header says what is timed);
# 4. times our checks and prints both: `speed --peers` (its header says where the peers'
#    times come from: machine, date, versions).
#
# Files go to $PEERS_OUT (default target/peers/): problems.json, peers.json, speed.txt.
# The two sides run one after the other, never at once; on a machine shared with other work
# the absolute times move with its load (printed first), so run it when the machine is idle.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

budget_ms=400
with_torch=0
latest=0
install=1
while [ $# -gt 0 ]; do
    case "$1" in
        --budget-ms) budget_ms="${2:?--budget-ms needs a number}"; shift 2 ;;
        --budget-ms=*) budget_ms="${1#*=}"; shift ;;
        --with-torch) with_torch=1; shift ;;
        --latest) latest=1; shift ;;
        --no-install) install=0; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

venv="${PEERS_VENV:-$root/.venv-peers}"
out="${PEERS_OUT:-$root/target/peers}"
python="${PYTHON:-python3}"
mkdir -p "$out"

step() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }

step "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

if [ ! -x "$venv/bin/python" ]; then
    [ "$install" = 1 ] || fail "no venv at $venv, and --no-install"
    step "creating the venv $venv"
    "$python" -m venv "$venv" || fail "'$python -m venv $venv' failed (set PYTHON to a Python >= 3.11 with venv)"
fi
if [ "$install" = 1 ]; then
    step "installing the peers into $venv"
    if [ "$latest" = 1 ]; then
        specs=("jax[cpu]" numdifftools)
    else
        specs=(-r "$root/benches/peers/requirements.txt")
    fi
    "$venv/bin/python" -m pip install --quiet "${specs[@]}" ||
        fail "pip could not install ${specs[*]} into $venv (is the Python registry reachable?)"
    if [ "$with_torch" = 1 ]; then
        index="${PEERS_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
        if [ "$index" = pypi ]; then
            torch_args=(torch)
        else
            torch_args=(torch --index-url "$index")
        fi
        "$venv/bin/python" -m pip install --quiet "${torch_args[@]}" ||
            fail "pip could not install ${torch_args[*]} (set PEERS_TORCH_INDEX=pypi for the Python registry's CUDA build, about 4 GB, or run without --with-torch)"
    fi
fi
"$venv/bin/python" -c 'import jax, numdifftools' ||
    fail "JAX or numdifftools cannot be imported from $venv (run without --no-install)"

step "building the release binary"
cargo build --release --quiet --bin jacobian-oracle
oracle() { cargo run --release --quiet --bin jacobian-oracle -- "$@"; }

step "writing the problems"
oracle speed --problem-out "$out/problems.json" >&2

step "timing the peers (budget $budget_ms ms per median)"
"$venv/bin/python" "$root/benches/peers/peers.py" "$out/problems.json" \
    --budget-ms "$budget_ms" >"$out/peers.json" ||
    fail "benches/peers/peers.py failed"

step "timing our checks (budget $budget_ms ms per median), against the peers' times"
oracle speed --budget-ms "$budget_ms" --peers "$out/peers.json" | tee "$out/speed.txt" ||
    fail "speed --peers failed"
printf '\n(files: %s/problems.json, peers.json, speed.txt)\n' "$out" >&2
