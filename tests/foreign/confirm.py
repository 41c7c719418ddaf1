#!/usr/bin/env python3
"""Confirms that the false alarms of `corpus_table` are rounding, not formula errors.

Reads the "first false alarms" lines that `corpus_table` prints, and for each one evaluates,
in 50-digit arithmetic at the very same x (every f64 converted exactly):

- `exact`: the derivative entry of f, differentiated by SymPy from f itself;
- `printed`: the entry as printed into the test (the expanded / rearranged form) — it must
  equal `exact` (same formula), to all 50 digits;
- the analytic (f64) and dual values from the table, against `exact`;
- `f64 sim`: the printed entry evaluated again, operation by operation in the printed order,
  with every intermediate rounded to 53 bits (mpmath at `prec = 53`, round to nearest: f64
  arithmetic, but for `powi`, which mpmath rounds once);
- `cond`: ε·Σ|terms| of the printed entry (its largest sum reached through products, its
  terms in absolute value): the rounding error of evaluating that sum in f64.

A false alarm is rounding when `printed == exact` (the same formula, to 50 digits), the dual
value is within a few ulps of `exact`, and the simulated f64 evaluation of the printed
formula misses `exact` by about as much as the analytic value does. (`cond` explains the
polynomials' errors by itself; for a fraction or a root whose expanded denominator or
radicand cancels, the error comes from there, and `cond` of the numerator underestimates it.)

    cargo test --release --test foreign corpus_table -- --nocapture 2>&1 \\
        | /work/venv-sympy/bin/python tests/foreign/confirm.py
"""

import re
import sys
from pathlib import Path

import mpmath
import sympy as sp

sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate as g  # noqa: E402

LINE = re.compile(
    r"^(?P<name>\w+) (?P<q>gradient|hessian|jacobian): x = \[(?P<x>[^\]]*)\]; "
    r"entry \((?P<r>\d+), (?P<c>\d+)\): analytic (?P<a>\S+), dual (?P<d>\S+), "
    r"\|error\| (?P<err>\S+), tolerance (?P<tol>[^\s,]+)"
)
EPS = sp.Rational(1, 2**52)


def magnitude(expr):
    """The printed entry with the terms of its largest linear sum replaced by their absolute
    values (what an f64 evaluation of that sum is rounded against)."""
    adds = g.linear_adds(expr)
    if not adds:
        return sp.Abs(expr)
    add = adds[0]
    return sp.Abs(expr.xreplace({add: sp.Add(*[sp.Abs(t) for t in add.args])}))


def main():
    by_name = {fn.name: fn for fn in g.CORPUS if isinstance(fn, g.Cas)}
    cache = {}
    print(f"{'function':<24} {'quantity':<8} {'entry':<6} {'exact':>24} {'|A−exact|':>10} "
          f"{'|sim−exact|':>11} {'|D−exact|':>10} {'ε·Σ|terms|':>10} {'err/tol':>8}  printed == exact")
    for line in sys.stdin:
        m = LINE.match(line.strip())
        if not m or m["name"] not in by_name:
            continue
        fn = by_name[m["name"]]
        if fn.name not in cache:
            cache[fn.name] = (g.derivatives(fn), g.exact(fn))
        derivs, exact = cache[fn.name]
        q, r, c = m["q"], int(m["r"]), int(m["c"])
        point = [float(v) for v in m["x"].split(",")]
        printed = derivs[q][1][r][c]
        true = g.value(exact[q][r][c], fn, point)
        same = abs(g.value(printed, fn, point) - true) <= sp.Float(1e-40, 50) * max(1, abs(true))
        cond = EPS * g.value(magnitude(printed), fn, point)
        a, d = sp.Rational(m["a"]), sp.Rational(m["d"])
        err_a, err_d = abs(a - true), abs(d - true)
        sim = sp.lambdify(fn.vars, printed, modules="mpmath")
        with mpmath.workprec(53):
            s53 = sim(*[mpmath.mpf(v) for v in point])
        err_s = abs(sp.Rational(mpmath.nstr(s53, 30, min_fixed=-1, max_fixed=-1)) - true)
        print(f"{fn.name:<24} {q:<8} ({r},{c})  {float(true):>24.17e} {float(err_a):>10.3e} "
              f"{float(err_s):>11.3e} {float(err_d):>10.3e} {float(cond):>10.3e} "
              f"{float(m['err']) / float(m['tol']):>8.2e}  {same}")


if __name__ == "__main__":
    main()
