#!/usr/bin/env python3
"""Generates tests/foreign/generated.rs: the corpus of derivatives written elsewhere.

Every function of the corpus has an `eval` written in its natural (factored) form and
derivatives that a computer-algebra system printed after rearranging them: SymPy's
`expand`, `together`, `cancel`, `powsimp`, `expand_log`, `expand_power_base`,
`expand_trig`, `trigsimp`, or a plain `diff`/`hessian`, printed by SymPy's Rust printer
(`sympy.printing.rust.RustCodePrinter`, what `sympy.rust_code` uses). Two functions are
sums over 200 samples written by hand (their gradient and Hessian accumulate the sum in
another order). Each function has a slip twin: the same `eval`, and derivatives with one
realistic slip (one integer coefficient off by one, one term's sign flipped, one term
dropped) applied to the SymPy expression before printing.

How to run (from the crate root; SymPy lives in a venv outside the repository):

    python3 -m venv /work/venv-sympy
    /work/venv-sympy/bin/pip install sympy==1.14.0
    /work/venv-sympy/bin/python tests/foreign/generate.py

It writes tests/foreign/generated.rs and formats it with `rustfmt --edition 2024` (the
file is checked by `cargo fmt --check` like every other). Generated with SymPy 1.14.0
(mpmath 1.3.0) and rustfmt 1.9.0-stable; the output is deterministic: running it again
reproduces the committed file byte for byte (`--check` compares instead of writing).

Before writing, the generator checks every printed derivative against SymPy's own
derivative of `f` at random points of its domain in 50-digit arithmetic (mpmath), and
every slip's recorded difference against the slipped expression minus the correct one.

Printing notes (SymPy 1.14's Rust printer):
- Symbols are plain `symbols('x0 x1 …')`, as people declare them. The stock printer then
  prints integer literals as Rust integers (`2*x1`, which does not compile against f64;
  sympy/sympy#26967), so this printer writes them as f64 literals (`2.0*x1`), keeping
  `powi`'s exponent an integer. That is the only change to what SymPy prints.
- With `real=True` symbols SymPy 1.14 casts integers itself, but its cast drops the
  parentheses around a sum inside a product (sympy/sympy#28418, #28776; fixed by gh-28467
  after 1.14): `together`'s `(a + b)/c**2` prints as `a + b*c.powi(-2)`. The cast is
  bypassed here (`_print_Mul`/`_print_Add` of the base printer).
- `eval` is generic over num-dual's `D`, which SymPy cannot print: a small printer
  (`DPrinter`) writes the same expression tree with constants on the right (`x1 * 2.0`,
  `… + 3.0`) and `D::from(c)` for a lone constant.
"""

import argparse
import difflib
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import mpmath
import sympy as sp
from sympy.printing.codeprinter import CodePrinter
from sympy.printing.rust import RustCodePrinter

HERE = Path(__file__).resolve().parent
OUT = HERE / "generated.rs"

X = sp.symbols("x0:4")
x0, x1, x2, x3 = X


# ---------------------------------------------------------------------------------------
# Printers
# ---------------------------------------------------------------------------------------


class F64Printer(RustCodePrinter):
    """SymPy's Rust printer with integer literals printed as f64 literals (see the header)."""

    def __init__(self, order=None):
        super().__init__({"strict": True, "order": order})

    def _print_Integer(self, expr, _type=False):
        return f"{int(expr)}_f64" if _type else f"{int(expr)}.0"

    def _print_Pow(self, expr):
        if expr.exp.is_Integer and expr.exp != -1:
            return f"{self._print_caller_var(expr.base)}.powi({int(expr.exp)})"
        return super()._print_Pow(expr)

    # The f64 cast of SymPy 1.14 (TypeCast around every non-number factor) loses
    # parentheses; the literals above make it unnecessary.
    def _print_Mul(self, expr):
        return CodePrinter._print_Mul(self, expr)

    def _print_Add(self, expr, order=None):
        return CodePrinter._print_Add(self, expr, order)


def rust(expr, order=None):
    return F64Printer(order).doprint(expr)


def f64_literal(q):
    """An f64 literal for a rational q: its decimal when that terminates (Rust and Python
    both round a literal correctly: `0.0001` is the double nearest 1/10000), else the
    quotient `(p.0 / q.0)`, which IEEE division rounds correctly too."""
    q = Fraction(int(q.p), int(q.q)) if isinstance(q, sp.Rational) else Fraction(q)
    d = q.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        r = repr(float(q))
        return r if ("." in r or "e" in r) else r + ".0"
    return f"({q.numerator}.0 / {q.denominator}.0)"


class DPrinter:
    """Prints an expression for `eval`, generic over `D: DualNum<Primitive = f64> + Copy`.

    num-dual implements `D op f64` but not `f64 op D`, so constants go on the right
    (`x1 * 2.0`, `… + 3.0`); a lone constant is `D::from(c)`. Precedences: 1 sum, 2 product,
    3 unary minus, 4 atom (symbol, method call, parenthesised).
    """

    def p(self, e):
        return self._p(sp.sympify(e))[0]

    def paren(self, e, level):
        s, prec = self._p(e)
        return s if prec >= level else f"({s})"

    def _p(self, e):
        if e.is_Symbol:
            return e.name, 4
        if e.is_Number:
            return f"D::from({f64_literal(e)})", 4
        if e.is_Add:
            return self._add(e)
        if e.is_Mul:
            c, rest = e.as_coeff_Mul()
            s = self._mul_abs(abs(c), rest)
            return (f"-{s}", 3) if c < 0 else (s, 2)
        if e.is_Pow:
            return self._pow(e)
        name = {sp.exp: "exp", sp.log: "ln", sp.sin: "sin", sp.cos: "cos"}.get(e.func)
        if name is not None:
            return f"{self.paren(e.args[0], 4)}.{name}()", 4
        raise ValueError(f"DPrinter cannot print {e!r}")

    def _add(self, e):
        terms = [t for t in e.as_ordered_terms() if not t.is_Number]
        const = sum((t for t in e.as_ordered_terms() if t.is_Number), sp.S.Zero)
        out = ""
        for i, t in enumerate(terms):
            c, rest = t.as_coeff_Mul()
            body = self._mul_abs(abs(c), rest) if rest != 1 else None
            if i == 0:
                out = f"-{body}" if c < 0 else body
            else:
                out += f" - {body}" if c < 0 else f" + {body}"
        if const != 0:
            lit = f64_literal(abs(const))
            out += f" - {lit}" if const < 0 else f" + {lit}"
        return out, 1

    def _mul_abs(self, c, rest):
        """`c·rest` for c > 0, as `f1 * f2 / (d1 * d2) * c`."""
        num, den = [], []
        for f in sp.Mul.make_args(rest):
            if f.is_Pow and f.exp.is_Rational and f.exp < 0:
                den.append(sp.Pow(f.base, -f.exp))
            else:
                num.append(f)
        s = " * ".join(self.paren(f, 2) for f in num) if num else None
        if den:
            d = " * ".join(self.paren(f, 4) for f in den)
            d = d if len(den) == 1 else f"({d})"
            if s is None and c != 1:
                return f"D::from({f64_literal(c)}) / {d}"
            s = f"{s} / {d}" if s else f"{d}.recip()"
        if c != 1:
            s = f"{s} * {f64_literal(c)}" if s else f"D::from({f64_literal(c)})"
        return s

    def _pow(self, e):
        b, x = e.base, e.exp
        base = self.paren(b, 4)
        if x.is_Integer:
            return (f"{base}.recip()" if x == -1 else f"{base}.powi({int(x)})"), 4
        if x == sp.S.Half:
            return f"{base}.sqrt()", 4
        if x == -sp.S.Half:
            return f"{base}.sqrt().recip()", 4
        if x.is_Rational:
            return f"{base}.powf({f64_literal(x).removeprefix('(').removesuffix(')')})", 4
        return f"{base}.powd({self.p(x)})", 4


def deval(expr):
    return DPrinter().p(expr)


# ---------------------------------------------------------------------------------------
# Slips
# ---------------------------------------------------------------------------------------


def linear_adds(expr):
    """Sums that enter `expr` linearly (reached through products only, and only once), in
    preorder, largest first among equals: replacing a term there changes expr by that
    term's change times the other factors, a computable difference."""
    found = []

    def walk(e):
        if e.is_Add:
            found.append(e)
        elif e.is_Mul:
            for a in e.args:
                walk(a)

    walk(expr)
    found = [a for a in found if sum(1 for s in sp.preorder_traversal(expr) if s == a) == 1]
    return sorted(found, key=lambda a: -len(a.args))


class Slip:
    """One slip in one entry: `kind` is 'coef' (an integer coefficient off by one), 'sign'
    (a term's sign flipped) or 'drop' (a term dropped); `term` the index of the term in
    the printed order of the entry's largest linear sum (its numerator for a fraction)."""

    def __init__(self, kind, entry, term):
        self.kind, self.entry, self.term = kind, entry, term

    def apply(self, expr, order=None):
        add = linear_adds(expr)[0]
        terms = list(add.as_ordered_terms(order=order) if order else add.as_ordered_terms())
        i = self.term % len(terms)
        if self.kind == "coef":
            eligible = [j for j, t in enumerate(terms)
                        if t.as_coeff_Mul()[0].is_Integer and t.as_coeff_Mul()[0] != -1 and not t.is_Number]
            if not eligible:
                raise ValueError(f"no integer coefficient in {add}")
            i = min(eligible, key=lambda j: (j - i) % len(terms))
        t = terms[i]
        c, rest = t.as_coeff_Mul()
        if self.kind == "coef":
            new_t = (c + 1) * rest
            what = f"the coefficient {c} of `{sp.sstr(rest)}` written {c + 1}"
        elif self.kind == "sign":
            new_t = -t
            what = f"the sign of the term `{sp.sstr(t)}` flipped"
        elif self.kind == "drop":
            new_t = sp.S.Zero
            what = f"the term `{sp.sstr(t)}` dropped"
        else:
            raise ValueError(self.kind)
        new_add = sp.Add(*[new_t if j == i else s for j, s in enumerate(terms)])
        slipped = expr.xreplace({add: new_add})
        delta = expr.xreplace({add: new_t - t})
        assert slipped != expr
        return slipped, delta, what


# ---------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------

KIND_NAMES = {"coef": "coefficient off by one", "sign": "sign flipped", "drop": "term dropped"}


class Cas:
    """A function whose derivatives come from SymPy.

    f: the expression (what SymPy differentiates); eval_expr: the expression `eval`
    prints (defaults to f; the same function, in the form people write); transform: how
    each derivative entry is rearranged, with `how` the SymPy call as text; order: the
    printer's term order (None: SymPy's default); outputs: a list of expressions for a
    vector map (f is None then).
    """

    def __init__(self, name, category, title, n, domain, transform, how, slips, f=None,
                 outputs=None, eval_expr=None, order=None, diff_of=None):
        self.name, self.category, self.title, self.n = name, category, title, n
        self.domain, self.transform, self.how, self.slips = domain, transform, how, slips
        self.f, self.outputs, self.order = f, outputs, order
        self.eval_expr = eval_expr if eval_expr is not None else (f if f is not None else outputs)
        self.diff_of = diff_of if diff_of is not None else f
        self.vars = X[:n]

    @property
    def vector(self):
        return self.outputs is not None


def poly(name, title, f, n, domain, slips):
    return Cas(name, "expanded polynomial", title, n, domain, sp.expand,
               "`sp.expand(sp.diff(f, …))`", slips, f=f)


def R(a, b=None):
    return sp.Rational(a, b) if b is not None else sp.Integer(a)


SQ5 = [(-5.0, 5.0)]

CORPUS = [
    # --- CAS-expanded polynomials: factored eval, expanded derivatives ------------------
    poly("poly_issue_example", "(x₀ − 2x₁ + 3)⁵ (x₀ + x₁ − 1)³, degree 8 (the issue's example)",
         (x0 - 2 * x1 + 3) ** 5 * (x0 + x1 - 1) ** 3, 2, [(-3.0, 3.0)] * 2,
         {"gradient": Slip("coef", (0, 0), 20), "hessian": Slip("sign", (0, 1), 9)}),
    poly("poly_deg5_two_lines", "(2x₀ + x₁ − 4)³ (x₀ − 3x₁ + 1)², degree 5",
         (2 * x0 + x1 - 4) ** 3 * (x0 - 3 * x1 + 1) ** 2, 2, SQ5 * 2,
         {"gradient": Slip("drop", (0, 1), 6), "hessian": Slip("coef", (1, 1), 3)}),
    poly("poly_deg12", "(x₀ − x₁ + 1)⁶ (x₀ + x₁ − 2)⁶, degree 12",
         (x0 - x1 + 1) ** 6 * (x0 + x1 - 2) ** 6, 2, SQ5 * 2,
         {"gradient": Slip("sign", (0, 0), 30), "hessian": Slip("drop", (0, 0), 40)}),
    poly("poly_big_coefficients", "(7x₀ − 11x₁ + 13)² (5x₀ + 3x₁ − 13)³, degree 5, coefficients to 8.9·10⁵",
         (7 * x0 - 11 * x1 + 13) ** 2 * (5 * x0 + 3 * x1 - 13) ** 3, 2, SQ5 * 2,
         {"gradient": Slip("coef", (0, 1), 7), "hessian": Slip("sign", (0, 1), 4)}),
    poly("poly_three_vars", "(x₀ + 2x₁ − x₂ + 1)⁴ (2x₀ − x₁ + 3x₂ − 2)³, degree 7",
         (x0 + 2 * x1 - x2 + 1) ** 4 * (2 * x0 - x1 + 3 * x2 - 2) ** 3, 3, SQ5 * 3,
         {"gradient": Slip("coef", (0, 2), 25), "hessian": Slip("drop", (1, 2), 17)}),
    poly("poly_quadratic_forms", "(x₀² + x₀x₁ + x₁² − 3)² (x₀² − 2x₂² + x₁x₂ + 1)², degree 8",
         (x0**2 + x0 * x1 + x1**2 - 3) ** 2 * (x0**2 - 2 * x2**2 + x1 * x2 + 1) ** 2, 3, SQ5 * 3,
         {"gradient": Slip("sign", (0, 1), 12), "hessian": Slip("coef", (0, 2), 10)}),
    poly("poly_four_vars", "(x₀ − x₁ + 2)³ (x₂ + x₃ − 1)³ (x₀ + x₂ − x₃)², degree 8",
         (x0 - x1 + 2) ** 3 * (x2 + x3 - 1) ** 3 * (x0 + x2 - x3) ** 2, 4, SQ5 * 4,
         {"gradient": Slip("drop", (0, 3), 50), "hessian": Slip("sign", (1, 3), 33)}),
    poly("poly_four_vars_products", "(x₀x₁ − x₂x₃ + 2)³ (x₀ + x₁ + x₂ + x₃ − 1)², degree 8",
         (x0 * x1 - x2 * x3 + 2) ** 3 * (x0 + x1 + x2 + x3 - 1) ** 2, 4, [(-2.0, 2.0)] * 4,
         {"gradient": Slip("coef", (0, 1), 15), "hessian": Slip("drop", (2, 3), 11)}),
    poly("poly_scaled_50", "(x₀ − 3x₁ + 10)⁴ (2x₀ + x₁ − 6)², degree 6, on [−50, 50]²",
         (x0 - 3 * x1 + 10) ** 4 * (2 * x0 + x1 - 6) ** 2, 2, [(-50.0, 50.0)] * 2,
         {"gradient": Slip("sign", (0, 0), 8), "hessian": Slip("coef", (0, 1), 6)}),
    poly("poly_tiny_domain", "(1 + 2x₀ − 3x₁ + 4x₂)⁵ (2 − x₀ + 3x₂)³, degree 8, on [−0.01, 0.01]³",
         (1 + 2 * x0 - 3 * x1 + 4 * x2) ** 5 * (2 - x0 + 3 * x2) ** 3, 3, [(-0.01, 0.01)] * 3,
         {"gradient": Slip("coef", (0, 2), -2), "hessian": Slip("sign", (2, 2), -2)}),
    # --- rational functions over a common denominator -----------------------------------
    Cas("rational_two_fractions_cancel", "rational, cancel",
        "x₀/(1 + x₀² + x₁²) + x₁/(2 + x₀²)", 2, SQ5 * 2, sp.cancel,
        "`sp.cancel(sp.diff(f, …))` (expanded numerator over expanded common denominator)",
        {"gradient": Slip("coef", (0, 0), 3), "hessian": Slip("sign", (0, 1), 5)},
        f=x0 / (1 + x0**2 + x1**2) + x1 / (2 + x0**2)),
    Cas("rational_ratio_together", "rational, together",
        "(x₀ − x₁)²/(x₀² + x₁² + 1) + 3/(x₀ + 6)", 2, SQ5 * 2, sp.together,
        "`sp.together(sp.diff(f, …))` (one fraction over the common denominator)",
        {"gradient": Slip("drop", (0, 0), 1), "hessian": Slip("coef", (0, 0), 0)},
        f=(x0 - x1) ** 2 / (x0**2 + x1**2 + 1) + 3 / (x0 + 6)),
    Cas("rational_three_vars_cancel", "rational, cancel",
        "(x₀x₁ + x₂ − 1)/((x₀² + 1)(x₁² + x₂² + 4))", 3, SQ5 * 3, sp.cancel,
        "`sp.cancel(sp.diff(f, …))`",
        {"gradient": Slip("sign", (0, 2), 3), "hessian": Slip("drop", (0, 2), 6)},
        f=(x0 * x1 + x2 - 1) / ((x0**2 + 1) * (x1**2 + x2**2 + 4))),
    Cas("rational_near_cancel", "rational, cancel",
        "(x₀ + 2x₁ + 1)/((x₀ − x₁)² + 1/4): the expanded denominator cancels when x₀ ≈ x₁",
        2, SQ5 * 2, sp.cancel, "`sp.cancel(sp.diff(f, …))` (numerator and denominator expanded)",
        {"gradient": Slip("sign", (0, 1), 2), "hessian": Slip("coef", (0, 1), 4)},
        f=(x0 + 2 * x1 + 1) / ((x0 - x1) ** 2 + R(1, 4))),
    # --- sums reordered ------------------------------------------------------------------
    Cas("sum_horner_vs_reversed", "sum reordered",
        "p(x₀, x₁) = (x₀ − 3)⁷(x₁ + 2)² + 5x₀³x₁⁴ − 40x₁⁵, eval in Horner form", 2, SQ5 * 2,
        sp.expand,
        "`sp.expand(sp.diff(f, …))` printed in reverse lexicographic term order "
        "(`order='rev-lex'`), eval by `sp.horner(p, wrt=x0)`",
        {"gradient": Slip("coef", (0, 1), 4), "hessian": Slip("drop", (0, 1), 2)},
        f=sp.expand((x0 - 3) ** 7 * (x1 + 2) ** 2 + 5 * x0**3 * x1**4 - 40 * x1**5),
        eval_expr=sp.horner(sp.expand((x0 - 3) ** 7 * (x1 + 2) ** 2 + 5 * x0**3 * x1**4 - 40 * x1**5), wrt=x0),
        order="rev-lex"),
    Cas("sum_graph_energy", "sum reordered",
        "Σ_{edges} w_ij (x_i − x_j)² + Σ c_i x_i⁴ − Σ b_i x_i on a 4-cycle with a chord, on [−50, 50]⁴",
        4, [(-50.0, 50.0)] * 4, sp.expand,
        "`sp.expand(sp.diff(f, …))` printed in reverse lexicographic term order "
        "(`order='rev-lex'`); eval keeps the squared differences, in SymPy's term order",
        {"gradient": Slip("sign", (0, 2), 3), "hessian": Slip("coef", (1, 1), 1)},
        f=(3 * (x0 - x1) ** 2 + 5 * (x1 - x2) ** 2 + 7 * (x2 - x3) ** 2 + 2 * (x3 - x0) ** 2
           + 11 * (x0 - x2) ** 2 + x0**4 + 2 * x1**4 + 3 * x2**4 + 4 * x3**4
           - 100 * x0 + 200 * x1 - 300 * x2 + 400 * x3),
        order="rev-lex"),
    # --- pow / exp / log identities -------------------------------------------------------
    Cas("exp_product_powsimp", "exp identity",
        "e^{x₀} · e^{x₁²/4} · e^{−x₀x₁/2}", 2, SQ5 * 2, sp.powsimp,
        "`sp.powsimp(sp.diff(f, …))` (the exponentials combined: e^{x₀ − x₀x₁/2 + x₁²/4})",
        {"gradient": Slip("sign", (0, 1), 0), "hessian": Slip("drop", (1, 1), 1)},
        f=sp.exp(x0) * sp.exp(x1**2 / 4) * sp.exp(-x0 * x1 / 2)),
    Cas("pow_x_to_the_y", "pow identity",
        "x₀^{x₁} (x₁² + 1), eval as e^{x₁ ln x₀}(x₁² + 1), on x₀ ∈ [0.1, 10], x₁ ∈ [−3, 3]",
        2, [(0.1, 10.0), (-3.0, 3.0)], lambda e: e,
        "`sp.diff(f, …)` of `x0**x1*(x1**2 + 1)` as printed (`x0.powf(x1)`, `x0.ln()`)",
        {"gradient": Slip("drop", (0, 1), 0), "hessian": Slip("sign", (0, 1), 1)},
        f=x0**x1 * (x1**2 + 1), eval_expr=sp.exp(x1 * sp.log(x0)) * (x1**2 + 1)),
    Cas("log_product_expand_log", "log identity",
        "ln((x₀² + x₁) x₂³ / (1 + x₀x₁)), on [0.1, 10]³", 3, [(0.1, 10.0)] * 3,
        lambda e: sp.together(e),
        "`sp.together(sp.diff(sp.expand_log(f, force=True), …))` "
        "(the log of the product split into a sum of logs first)",
        {"gradient": Slip("coef", (0, 0), 0), "hessian": Slip("drop", (0, 1), 0)},
        f=sp.log((x0**2 + x1) * x2**3 / (1 + x0 * x1)),
        diff_of=sp.expand_log(sp.log((x0**2 + x1) * x2**3 / (1 + x0 * x1)), force=True)),
    Cas("log_ratio_expand_log", "log identity",
        "x₂ ln(x₀/x₁) + x₀x₁ ln(x₀x₂), on [0.1, 10]³", 3, [(0.1, 10.0)] * 3,
        lambda e: sp.expand_log(e, force=True),
        "`sp.expand_log(sp.diff(f, …), force=True)` (ln(x₀/x₁) printed as ln x₀ − ln x₁)",
        {"gradient": Slip("sign", (0, 2), 1), "hessian": Slip("coef", (0, 1), 0)},
        f=x2 * sp.log(x0 / x1) + x0 * x1 * sp.log(x0 * x2)),
    Cas("power_base_split", "pow identity",
        "(x₀x₁)^{3/2} + (x₀/x₁)^{1/3}, on [0.1, 10]²", 2, [(0.1, 10.0)] * 2,
        lambda e: sp.expand_power_base(e, force=True),
        "`sp.expand_power_base(sp.diff(f, …), force=True)` (x₀^{1/2}x₁^{3/2} for (x₀x₁)^{1/2}x₁)",
        {"gradient": Slip("drop", (0, 0), 1), "hessian": Slip("sign", (1, 1), 1)},
        f=(x0 * x1) ** R(3, 2) + (x0 / x1) ** R(1, 3)),
    Cas("softplus_pair", "exp/log identity",
        "ln(1 + e^{x₀ − 2x₁}) + ln(1 + e^{x₁ + x₀/2})", 2, SQ5 * 2, sp.together,
        "`sp.together(sp.diff(f, …))`",
        {"gradient": Slip("drop", (0, 1), 0), "hessian": Slip("coef", (0, 0), 0)},
        f=sp.log(1 + sp.exp(x0 - 2 * x1)) + sp.log(1 + sp.exp(x1 + x0 / 2))),
    # --- trigonometric identities ---------------------------------------------------------
    Cas("trig_double_angle", "trig identity",
        "sin(2x₀) cos(x₁ − x₀) + cos(2x₁)", 2, SQ5 * 2,
        lambda e: sp.expand(sp.expand_trig(e)),
        "`sp.expand(sp.expand_trig(sp.diff(f, …)))` (sin 2x = 2 sin x cos x, cos 2x = 2cos²x − 1, angle sums split)",
        {"gradient": Slip("coef", (0, 0), 0), "hessian": Slip("sign", (0, 1), 2)},
        f=sp.sin(2 * x0) * sp.cos(x1 - x0) + sp.cos(2 * x1)),
    Cas("trig_triple_angle", "trig identity",
        "sin(3x₀ + x₁) cos(x₂ − x₀), on [−50, 50]³", 3, [(-50.0, 50.0)] * 3,
        lambda e: sp.expand(sp.expand_trig(e)),
        "`sp.expand(sp.expand_trig(sp.diff(f, …)))`",
        {"gradient": Slip("drop", (0, 0), 5), "hessian": Slip("coef", (0, 2), 3)},
        f=sp.sin(3 * x0 + x1) * sp.cos(x2 - x0)),
    Cas("trig_angle_difference", "trig identity",
        "sin(x₀ − x₁) cos(x₀ + x₁)", 2, SQ5 * 2,
        lambda e: sp.expand(sp.expand_trig(e)),
        "`sp.expand(sp.expand_trig(sp.diff(f, …)))` (the angle sums and differences split)",
        {"gradient": Slip("coef", (0, 0), 1), "hessian": Slip("sign", (0, 0), 1)},
        f=sp.sin(x0 - x1) * sp.cos(x0 + x1)),
    Cas("trig_trigsimp", "trig identity",
        "sin²x₀ cos²x₁ + x₁ sin x₀ cos x₀", 2, SQ5 * 2, sp.trigsimp,
        "`sp.trigsimp(sp.diff(f, …))` (products of sines and cosines become multiple angles)",
        {"gradient": Slip("sign", (0, 0), 1), "hessian": Slip("drop", (0, 1), 0)},
        f=sp.sin(x0) ** 2 * sp.cos(x1) ** 2 + x1 * sp.sin(x0) * sp.cos(x0)),
    Cas("trig_cos2_minus_sin2", "trig identity",
        "cos(2(x₀ − x₁)) sin(x₀ + x₁) + sin²(x₀x₁)", 2, SQ5 * 2,
        lambda e: sp.expand(sp.expand_trig(e)),
        "`sp.expand(sp.expand_trig(sp.diff(f, …)))` (cos 2a as 2cos²a − 1 over expanded angles)",
        {"gradient": Slip("coef", (0, 1), 2), "hessian": Slip("sign", (1, 1), 4)},
        f=sp.cos(2 * (x0 - x1)) * sp.sin(x0 + x1) + sp.sin(x0 * x1) ** 2),
    # --- square roots near cancellation -----------------------------------------------------
    Cas("sqrt_hypot_minus_x0", "square root near cancellation",
        "√(x₀² + x₁²) − x₀", 2, SQ5 * 2, lambda e: e,
        "`sp.diff(f, …)` and `sp.hessian(f, …)` as printed (1/r − x₀²/r³ for x₁²/r³)",
        {"gradient": Slip("sign", (0, 0), 0), "hessian": Slip("drop", (1, 1), 0)},
        f=sp.sqrt(x0**2 + x1**2) - x0),
    Cas("sqrt_law_of_cosines", "square root near cancellation",
        "√(x₀² − 1.998x₀x₁ + x₁² + x₂²) (nearly (x₀ − x₁)² when x₂ is small)", 3, SQ5 * 3,
        sp.together, "`sp.together(sp.hessian(f, …))` entry by entry, gradient `sp.together(sp.diff(f, …))`",
        {"gradient": Slip("coef", (0, 1), 0), "hessian": Slip("sign", (0, 0), 1)},
        f=sp.sqrt(x0**2 - R(1998, 1000) * x0 * x1 + x1**2 + x2**2)),
    Cas("sqrt_expanded_quantity", "square root near cancellation",
        "√((x₀ − x₁)² + (x₁ − x₂)²/4 + 1/100), the quantity under the root expanded in the derivatives, on [−50, 50]³",
        3, [(-50.0, 50.0)] * 3, lambda e: e,
        "`sp.diff(sp.sqrt(sp.expand(q)), …)` as printed (q = x₀² − 2x₀x₁ + 5x₁²/4 − x₁x₂/2 + x₂²/4 + 1/100)",
        {"gradient": Slip("sign", (0, 1), 0), "hessian": Slip("drop", (0, 1), 1)},
        f=sp.sqrt((x0 - x1) ** 2 + (x1 - x2) ** 2 / 4 + R(1, 100)),
        diff_of=sp.sqrt(sp.expand((x0 - x1) ** 2 + (x1 - x2) ** 2 / 4 + R(1, 100)))),
    Cas("sqrt_charbonnier", "square root near cancellation",
        "√((x₀ − x₁)² + 10⁻⁴), the Charbonnier penalty (a smoothed |x₀ − x₁|), the square expanded in the derivatives",
        2, SQ5 * 2, lambda e: e,
        "`sp.diff(sp.sqrt(sp.expand(q)), …)` as printed (q = x₀² − 2x₀x₁ + x₁² + 1/10000)",
        {"gradient": Slip("coef", (0, 0), 0), "hessian": Slip("sign", (1, 1), 1)},
        f=sp.sqrt((x0 - x1) ** 2 + R(1, 10000)),
        diff_of=sp.sqrt(sp.expand((x0 - x1) ** 2 + R(1, 10000)))),
    # --- vector maps: Jacobians from the CAS ------------------------------------------------
    Cas("vec_polynomials", "vector map, expanded", "((x₀ + x₁ − 1)⁴(x₀ − x₁), (2x₀ − x₁ + 3)³(x₁ + 1)², (x₀x₁ − 2)³)",
        2, SQ5 * 2, sp.expand, "`sp.expand(f.jacobian(…))`",
        {"jacobian": Slip("coef", (1, 0), 3)},
        outputs=[(x0 + x1 - 1) ** 4 * (x0 - x1), (2 * x0 - x1 + 3) ** 3 * (x1 + 1) ** 2, (x0 * x1 - 2) ** 3]),
    Cas("vec_polar_trig", "vector map, trig", "(x₀ cos 2x₁, x₀ sin 2x₁, x₀² sin(x₁ − x₀))",
        2, SQ5 * 2, lambda e: sp.expand(sp.expand_trig(e)), "`sp.expand(sp.expand_trig(f.jacobian(…)))`",
        {"jacobian": Slip("sign", (2, 0), 2)},
        outputs=[x0 * sp.cos(2 * x1), x0 * sp.sin(2 * x1), x0**2 * sp.sin(x1 - x0)]),
    Cas("vec_rational", "vector map, rational", "(x₀, x₁, x₀ − x₁)·1/(x₀² + x₁² + 1), last over (x₀x₁ + 30)",
        2, SQ5 * 2, sp.cancel, "`sp.cancel(f.jacobian(…))`",
        {"jacobian": Slip("drop", (2, 1), 0)},
        outputs=[x0 / (x0**2 + x1**2 + 1), x1 / (x0**2 + x1**2 + 1), (x0 - x1) / (x0 * x1 + 30)]),
    Cas("vec_exp_log", "vector map, exp/log",
        "(e^{x₀}e^{−x₁²}(x₂ + 1), ln(x₀²x₁x₂) + x₀x₂, x₀^{x₂}(x₁ + 2)), on [0.1, 3]³",
        3, [(0.1, 3.0)] * 3, lambda e: sp.powsimp(sp.expand_log(e, force=True)),
        "`sp.powsimp(sp.expand_log(f.jacobian(…), force=True))`",
        {"jacobian": Slip("coef", (1, 0), 0)},
        outputs=[sp.exp(x0) * sp.exp(-x1**2) * (x2 + 1), sp.log(x0**2 * x1 * x2) + x0 * x2, x0**x2 * (x1 + 2)]),
    Cas("vec_four_vars", "vector map, expanded", "((x₀ − x₁ + x₂)³(x₃ + 2)³, (x₀ + x₁x₂ − x₃)²(x₀ − 1)³)",
        4, SQ5 * 4, sp.expand, "`sp.expand(f.jacobian(…))`",
        {"jacobian": Slip("sign", (1, 0), 7)},
        outputs=[(x0 - x1 + x2) ** 3 * (x3 + 2) ** 3, (x0 + x1 * x2 - x3) ** 2 * (x0 - 1) ** 3]),
]


# ---------------------------------------------------------------------------------------
# Sums over samples, written by hand (the derivatives accumulate in another order)
# ---------------------------------------------------------------------------------------


class SplitMix64:
    """A fixed pseudo-random sequence (SplitMix64), independent of Python's `random`."""

    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & (2**64 - 1)
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
        return z ^ (z >> 31)

    def int_in(self, lo, hi):
        return lo + self.next() % (hi - lo + 1)

    def unit(self):
        return (self.next() >> 11) / 2.0**53


def lit(v):
    r = repr(float(v))
    return r if ("." in r or "e" in r or "inf" in r) else r + ".0"


def rust_rows(rows):
    return "[" + ", ".join("[" + ", ".join(lit(v) for v in row) + "]" for row in rows) + "]"


def rust_list(values):
    return "[" + ", ".join(lit(v) for v in values) + "]"


class HandWritten:
    """A function written by hand in this template: `code` holds its items (the correct
    struct, its slip twin `…Slip`, and the twin's `SlipDelta`)."""

    vector = False

    def __init__(self, name, category, title, n, domain, how, slips, code):
        self.name, self.category, self.title, self.n = name, category, title, n
        self.domain, self.how, self.slips, self.code = domain, how, slips, code


def logistic_regression():
    rng = SplitMix64(0x5EED_F0E1)
    xs, ys = [], []
    for _ in range(200):
        row = [1.0, rng.int_in(-24, 24) / 8, rng.int_in(-24, 24) / 8]
        a = 0.5 + 1.25 * row[1] - 0.75 * row[2]
        p = 1 / (1 + pow(2.718281828459045, -a))
        xs.append(row)
        ys.append(1.0 if rng.unit() < p else 0.0)
    code = f"""
/// The logistic-regression samples: a bias and two features (multiples of 1/8 in [−3, 3]).
static LOGREG_X: [[f64; 3]; 200] = {rust_rows(xs)};
/// Their labels, drawn from σ(0.5 + 1.25x₁ − 0.75x₂).
static LOGREG_Y: [f64; 200] = {rust_list(ys)};

/// ln(1 + eᵃ) on any scalar, without overflow.
fn softplus<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {{
    if a.re() > 0.0 {{ a + (-a).exp().ln_1p() }} else {{ a.exp().ln_1p() }}
}}

/// σ(a) without overflow.
fn sigmoid(a: f64) -> f64 {{
    if a >= 0.0 {{ 1.0 / (1.0 + (-a).exp()) }} else {{ let e = a.exp(); e / (1.0 + e) }}
}}

/// Σ_{{n ∈ lo..hi}} σ(a_n)σ(−a_n) x_n x_nᵀ, summed pairwise (each half recursively).
fn logreg_hessian_sum(w: &DVector<f64>, lo: usize, hi: usize) -> DMatrix<f64> {{
    if hi - lo == 1 {{
        let xn = DVector::from_row_slice(&LOGREG_X[lo]);
        let a = w.dot(&xn);
        return &xn * xn.transpose() * (sigmoid(a) * sigmoid(-a));
    }}
    let mid = lo + (hi - lo) / 2;
    logreg_hessian_sum(w, lo, mid) + logreg_hessian_sum(w, mid, hi)
}}

impl ScalarFn for LogisticRegression200 {{
    fn input_dim(&self) -> usize {{ 3 }}
    /// L(w) = (1/N) Σ_n [ln(1 + e^{{a_n}}) − y_n a_n], a_n = w·x_n, summed from the first sample.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> D {{
        let mut total = D::zero();
        for (xn, &yn) in LOGREG_X.iter().zip(LOGREG_Y.iter()) {{
            let a = w[0] * xn[0] + w[1] * xn[1] + w[2] * xn[2];
            total += softplus(a) - a * yn;
        }}
        total / 200.0
    }}
}}

impl AnalyticGradient for LogisticRegression200 {{
    /// ∇L = (1/N) Σ_n (σ(a_n) − y_n) x_n, accumulated from the last sample to the first.
    fn gradient(&self, w: &DVector<f64>) -> DVector<f64> {{
        let mut g = DVector::zeros(3);
        for (xn, &yn) in LOGREG_X.iter().zip(LOGREG_Y.iter()).rev() {{
            let r = sigmoid(w[0] * xn[0] + w[1] * xn[1] + w[2] * xn[2]) - yn;
            for (gj, &xj) in g.iter_mut().zip(xn.iter()) {{ *gj += r * xj; }}
        }}
        g / 200.0
    }}
}}

impl AnalyticHessian for LogisticRegression200 {{
    /// ∇²L = (1/N) Σ_n σ(a_n)σ(−a_n) x_n x_nᵀ, summed pairwise.
    fn hessian(&self, w: &DVector<f64>) -> DMatrix<f64> {{
        logreg_hessian_sum(w, 0, 200) / 200.0
    }}
}}

impl ScalarFn for LogisticRegression200Slip {{
    fn input_dim(&self) -> usize {{ 3 }}
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> D {{
        LogisticRegression200.eval(w)
    }}
}}

impl AnalyticGradient for LogisticRegression200Slip {{
    /// The reversed loop starts one sample late: sample 0 is dropped.
    fn gradient(&self, w: &DVector<f64>) -> DVector<f64> {{
        let mut g = DVector::zeros(3);
        for (xn, &yn) in LOGREG_X.iter().zip(LOGREG_Y.iter()).skip(1).rev() {{
            let r = sigmoid(w[0] * xn[0] + w[1] * xn[1] + w[2] * xn[2]) - yn;
            for (gj, &xj) in g.iter_mut().zip(xn.iter()) {{ *gj += r * xj; }}
        }}
        g / 200.0
    }}
}}

impl AnalyticHessian for LogisticRegression200Slip {{
    /// Divided by N − 1 instead of N.
    fn hessian(&self, w: &DVector<f64>) -> DMatrix<f64> {{
        logreg_hessian_sum(w, 0, 200) / 199.0
    }}
}}

impl SlipDelta for LogisticRegression200Slip {{
    fn delta(&self, quantity: Quantity, w: &DVector<f64>) -> DMatrix<f64> {{
        match quantity {{
            Quantity::Gradient => {{
                let xn = &LOGREG_X[0];
                let r = sigmoid(w[0] * xn[0] + w[1] * xn[1] + w[2] * xn[2]) - LOGREG_Y[0];
                DMatrix::from_fn(1, 3, |_, j| -r * xn[j] / 200.0)
            }}
            Quantity::Hessian => logreg_hessian_sum(w, 0, 200) * (1.0 / 199.0 - 1.0 / 200.0),
            _ => unreachable!(),
        }}
    }}
}}
"""
    return HandWritten(
        "logistic_regression_200", "sum over samples",
        "mean logistic loss over 200 samples, (1/N) Σ_n [ln(1 + e^{a_n}) − y_n a_n], a_n = w·x_n",
        3, SQ5 * 3,
        "by hand: eval sums from the first sample, the gradient from the last, the Hessian pairwise",
        [("gradient", "drop", "the reversed loop starts one sample late (sample 0 dropped)"),
         ("hessian", "coef", "divided by N − 1 = 199 instead of N = 200")],
        code)


def least_squares():
    rng = SplitMix64(0x1EA5_75C0)
    truth = [Fraction(3, 2), Fraction(-9, 4), Fraction(3, 4), Fraction(3)]
    a_rows, b = [], []
    for _ in range(200):
        row = [Fraction(rng.int_in(-16, 16), 8) for _ in range(4)]
        a_rows.append(row)
        b.append(sum(r * t for r, t in zip(row, truth)) + Fraction(rng.int_in(-16, 16), 16))
    gram = [[sum(r[j] * r[k] for r in a_rows) for k in range(4)] for j in range(4)]
    atb = [sum(r[j] * bn for r, bn in zip(a_rows, b)) for j in range(4)]
    for v in [*b, *atb, *[g for row in gram for g in row]]:
        assert Fraction(float(v)) == v, "the data must be exact in f64"
    code = f"""
/// The least-squares design matrix A (200×4, multiples of 1/8 in [−2, 2]).
static LSQ_A: [[f64; 4]; 200] = {rust_rows(a_rows)};
/// b = A·(1.5, −2.25, 0.75, 3) + noise (multiples of 1/16 up to 1).
static LSQ_B: [f64; 200] = {rust_list(b)};
/// AᵀA, computed once (exact: multiples of 1/64).
const LSQ_GRAM: [[f64; 4]; 4] = {rust_rows(gram)};
/// Aᵀb, computed once (exact: multiples of 1/128).
const LSQ_ATB: [f64; 4] = {rust_list(atb)};

impl ScalarFn for LeastSquares200 {{
    fn input_dim(&self) -> usize {{ 4 }}
    /// L(x) = (1/2N) Σ_n (a_n·x − b_n)², summed over the samples.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {{
        let mut total = D::zero();
        for (an, &bn) in LSQ_A.iter().zip(LSQ_B.iter()) {{
            let r = x[0] * an[0] + x[1] * an[1] + x[2] * an[2] + x[3] * an[3] - bn;
            total += r * r;
        }}
        total / 400.0
    }}
}}

impl AnalyticGradient for LeastSquares200 {{
    /// ∇L = (AᵀA x − Aᵀb)/N: the sum over samples regrouped through the Gram matrix.
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {{
        DVector::from_iterator(4, LSQ_GRAM.iter().zip(LSQ_ATB.iter()).map(|(g, &c)| {{
            (g[0] * x[0] + g[1] * x[1] + g[2] * x[2] + g[3] * x[3] - c) / 200.0
        }}))
    }}
}}

impl AnalyticHessian for LeastSquares200 {{
    /// ∇²L = AᵀA/N.
    fn hessian(&self, _x: &DVector<f64>) -> DMatrix<f64> {{
        DMatrix::from_fn(4, 4, |j, k| LSQ_GRAM[j][k] / 200.0)
    }}
}}

impl ScalarFn for LeastSquares200Slip {{
    fn input_dim(&self) -> usize {{ 4 }}
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {{
        LeastSquares200.eval(x)
    }}
}}

impl AnalyticGradient for LeastSquares200Slip {{
    /// The sign of the Aᵀb term flipped.
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {{
        DVector::from_iterator(4, LSQ_GRAM.iter().zip(LSQ_ATB.iter()).map(|(g, &c)| {{
            (g[0] * x[0] + g[1] * x[1] + g[2] * x[2] + g[3] * x[3] + c) / 200.0
        }}))
    }}
}}

impl AnalyticHessian for LeastSquares200Slip {{
    /// Divided by N − 1 instead of N.
    fn hessian(&self, _x: &DVector<f64>) -> DMatrix<f64> {{
        DMatrix::from_fn(4, 4, |j, k| LSQ_GRAM[j][k] / 199.0)
    }}
}}

impl SlipDelta for LeastSquares200Slip {{
    fn delta(&self, quantity: Quantity, _x: &DVector<f64>) -> DMatrix<f64> {{
        match quantity {{
            Quantity::Gradient => DMatrix::from_fn(1, 4, |_, j| 2.0 * LSQ_ATB[j] / 200.0),
            Quantity::Hessian => {{
                DMatrix::from_fn(4, 4, |j, k| LSQ_GRAM[j][k] * (1.0 / 199.0 - 1.0 / 200.0))
            }}
            _ => unreachable!(),
        }}
    }}
}}
"""
    return HandWritten(
        "least_squares_200", "sum over samples",
        "least squares over 200 samples, (1/2N) Σ_n (a_n·x − b_n)²",
        4, SQ5 * 4,
        "by hand: eval sums the squared residuals; gradient AᵀAx − Aᵀb and Hessian AᵀA/N from a precomputed Gram matrix",
        [("gradient", "sign", "the sign of the Aᵀb term flipped: (AᵀAx + Aᵀb)/N"),
         ("hessian", "coef", "divided by N − 1 = 199 instead of N = 200")],
        code)


CORPUS += [logistic_regression(), least_squares()]


# ---------------------------------------------------------------------------------------
# Derivatives, checks, emission
# ---------------------------------------------------------------------------------------

QUANTITY = {"gradient": "Gradient", "hessian": "Hessian", "jacobian": "Jacobian"}


def camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def derivatives(fn):
    """{quantity: (shape, matrix of SymPy expressions)} for a CAS function."""
    v = fn.vars
    if fn.vector:
        jac = [[fn.transform(sp.diff(o, xj)) for xj in v] for o in fn.outputs]
        return {"jacobian": ((len(fn.outputs), fn.n), jac)}
    grad = [[fn.transform(sp.diff(fn.diff_of, xj)) for xj in v]]
    hess = [[None] * fn.n for _ in range(fn.n)]
    for j in range(fn.n):
        for k in range(j, fn.n):
            hess[j][k] = hess[k][j] = fn.transform(sp.diff(fn.diff_of, v[j], v[k]))
    return {"gradient": ((1, fn.n), grad), "hessian": ((fn.n, fn.n), hess)}


def exact(fn):
    """The exact derivatives of f, for the checks."""
    v = fn.vars
    if fn.vector:
        return {"jacobian": [[sp.diff(o, xj) for xj in v] for o in fn.outputs]}
    return {"gradient": [[sp.diff(fn.f, xj) for xj in v]],
            "hessian": [[sp.diff(fn.f, a, b) for b in v] for a in v]}


def sample_points(fn, count, seed):
    rng = SplitMix64(seed)
    return [[lo + (hi - lo) * rng.unit() for lo, hi in fn.domain] for _ in range(count)]


def value(expr, fn, point):
    subs = {xj: sp.Rational(p) for xj, p in zip(fn.vars, point)}
    return sp.N(expr.subs(subs), 50)


def verify(fn, derivs, slipped):
    """Printed derivatives equal SymPy's derivative of f, eval's form equals f, and each
    slip's recorded difference is the slipped entry minus the correct one (50 digits)."""
    ex = exact(fn)
    for point in sample_points(fn, 4, hash_name(fn.name)):
        def close(a, b, what):
            va, vb = value(a, fn, point), value(b, fn, point)
            assert abs(va - vb) <= sp.Float(1e-35, 50) * max(1, abs(vb)), (fn.name, what, va, vb, point)

        evals = fn.eval_expr if fn.vector else [fn.eval_expr]
        targets = fn.outputs if fn.vector else [fn.f]
        for e, t in zip(evals, targets):
            close(e, t, "eval")
        for q, (_, mat) in derivs.items():
            for r, row in enumerate(mat):
                for c, e in enumerate(row):
                    close(e, ex[q][r][c], f"{q}[{r}][{c}]")
        for q, (entry, expr, delta, _) in slipped.items():
            r, c = entry
            close(expr - derivs[q][1][r][c], delta, f"slip {q}")
            assert abs(value(delta, fn, point)) > 0, (fn.name, q, "slip is zero")


def hash_name(name):
    h = 1469598103934665603
    for ch in name.encode():
        h = ((h ^ ch) * 1099511628211) & (2**64 - 1)
    return h


def binds(exprs, ty="f64"):
    used = sorted({s for e in exprs for s in e.free_symbols}, key=lambda s: s.name)
    return "".join(f"let {s.name} = x[{s.name[1:]}];\n" for s in used)


def doc(lines):
    return "".join(f"/// {l}".rstrip() + "\n" for l in lines)


def domain_text(domain):
    if len(set(domain)) == 1:
        lo, hi = domain[0]
        return f"[{lo:g}, {hi:g}]^{len(domain)}"
    return " × ".join(f"[{lo:g}, {hi:g}]" for lo, hi in domain)


def matrix_code(kind, shape, mat, order):
    exprs = [e for row in mat for e in row]
    body = ",\n".join(rust(e, order) for e in exprs)
    if kind == "gradient":
        return binds(exprs) + f"DVector::from_vec(vec![\n{body},\n])"
    return binds(exprs) + f"DMatrix::from_row_slice({shape[0]}, {shape[1]}, &[\n{body},\n])"


SIGNATURE = {
    "gradient": ("AnalyticGradient", "fn gradient(&self, x: &DVector<f64>) -> DVector<f64>"),
    "hessian": ("AnalyticHessian", "fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64>"),
    "jacobian": ("AnalyticJacobian", "fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64>"),
}


def emit_cas(fn):
    derivs = derivatives(fn)
    slipped = {}
    for q, slip in fn.slips.items():
        shape, mat = derivs[q]
        r, c = slip.entry
        expr, delta, what = slip.apply(mat[r][c], fn.order)
        slipped[q] = ((r, c), expr, delta, what)
    verify(fn, derivs, slipped)

    ty = camel(fn.name)
    static = fn.name.upper()
    m = len(fn.outputs) if fn.vector else 1
    out = []
    slip_lines = []
    for q, ((r, c), _, _, what) in slipped.items():
        entry = f"entry {c}" if q == "gradient" else f"entry ({r}, {c})"
        slip_lines.append(f"- {q} {entry}: {what} ({KIND_NAMES[fn.slips[q].kind]}).")
    f_text = ([f"`{sp.sstr(o)}`" for o in fn.outputs] if fn.vector else [f"`{sp.sstr(fn.f)}`"])
    out.append(doc([
        f"**{fn.name}** ({fn.category}): {fn.title}.",
        "",
        ("f = (" + ", ".join(f_text) + ")") if fn.vector else f"f = {f_text[0]}",
        "",
        "`eval`: the natural form, " + (f"`{sp.sstr(fn.eval_expr)}`." if not fn.vector else "entry by entry as written."),
        f"Derivatives: {fn.how}, printed by SymPy's Rust printer"
        + (" with `order='rev-lex'`." if fn.order else "."),
        f"Domain: {domain_text(fn.domain)}.",
        "",
        f"Slip twin [`{ty}Slip`]:",
        *slip_lines,
    ]))
    out[-1] += f"pub struct {ty};\n"
    out.append(doc([f"[`{ty}`] with one slip in each derivative (see there)."]) + f"pub struct {ty}Slip;\n")
    out.append(info_code(fn, static, m, [(q, fn.slips[q].kind, s[3]) for q, s in slipped.items()]))
    out.append(f"impl Described for {ty} {{ fn info(&self) -> &'static Info {{ &{static} }} }}\n")

    if fn.vector:
        body = binds(fn.eval_expr, "D") + "DVector::from_vec(vec![\n" + ",\n".join(deval(e) for e in fn.eval_expr) + ",\n])"
        out.append(f"""impl VectorFn for {ty} {{
fn input_dim(&self) -> usize {{ {fn.n} }}
fn output_dim(&self) -> usize {{ {m} }}
fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {{
{body}
}}
}}
impl VectorFn for {ty}Slip {{
fn input_dim(&self) -> usize {{ {fn.n} }}
fn output_dim(&self) -> usize {{ {m} }}
fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {{ {ty}.eval(x) }}
}}
""")
    else:
        body = binds([fn.eval_expr], "D") + deval(fn.eval_expr)
        out.append(f"""impl ScalarFn for {ty} {{
fn input_dim(&self) -> usize {{ {fn.n} }}
fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {{
{body}
}}
}}
impl ScalarFn for {ty}Slip {{
fn input_dim(&self) -> usize {{ {fn.n} }}
fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {{ {ty}.eval(x) }}
}}
""")
    for q, (shape, mat) in derivs.items():
        trait, sig = SIGNATURE[q]
        out.append(f"impl {trait} for {ty} {{\n{sig} {{\n{matrix_code(q, shape, mat, fn.order)}\n}}\n}}\n")
        (r, c), expr, _, _ = slipped[q]
        smat = [row[:] for row in mat]
        smat[r][c] = expr
        out.append(f"impl {trait} for {ty}Slip {{\n{sig} {{\n{matrix_code(q, shape, smat, fn.order)}\n}}\n}}\n")
    arms = []
    for q, ((r, c), _, delta, _) in slipped.items():
        shape = derivs[q][0]
        arms.append(f"Quantity::{QUANTITY[q]} => {{\n{binds([delta])}delta_at(({shape[0]}, {shape[1]}), ({r}, {c}), {rust(delta)})\n}}")
    out.append(f"""impl SlipDelta for {ty}Slip {{
fn delta(&self, quantity: Quantity, x: &DVector<f64>) -> DMatrix<f64> {{
match quantity {{
{",".join(arms)},
_ => unreachable!(),
}}
}}
}}
""")
    return "\n".join(out)


def info_code(fn, static, m, slips):
    dom = ", ".join(f"({lit(lo)}, {lit(hi)})" for lo, hi in fn.domain)
    sl = ", ".join(
        f'SlipInfo {{ quantity: Quantity::{QUANTITY[q]}, kind: "{KIND_NAMES[k]}", what: {rust_str(w)} }}'
        for q, k, w in slips)
    return (f"static {static}: Info = Info {{ name: \"{fn.name}\", category: \"{fn.category}\", "
            f"n: {fn.n}, m: {m}, domain: &[{dom}], slips: &[{sl}] }};\n")


def rust_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit_hand(fn):
    ty = camel(fn.name)
    static = fn.name.upper()
    slip_lines = [f"- {q}: {w} ({KIND_NAMES[k]})." for q, k, w in fn.slips]
    out = [doc([
        f"**{fn.name}** ({fn.category}): {fn.title}.",
        "",
        f"Written {fn.how}.",
        f"Domain: {domain_text(fn.domain)}.",
        "",
        f"Slip twin [`{ty}Slip`]:",
        *slip_lines,
    ]) + f"pub struct {ty};\n",
        doc([f"[`{ty}`] with one slip in each derivative (see there)."]) + f"pub struct {ty}Slip;\n",
        info_code(fn, static, 1, fn.slips),
        f"impl Described for {ty} {{ fn info(&self) -> &'static Info {{ &{static} }} }}\n",
        fn.code]
    return "\n".join(out)


HEADER = f"""// Generated by tests/foreign/generate.py with SymPy {sp.__version__}; do not edit.
// Regenerate: see the header of tests/foreign/generate.py.

//! The corpus of derivatives written elsewhere: each function's `eval` in its natural form,
//! its derivatives as a computer-algebra system printed them (or, for the sums over samples,
//! accumulated in another order), and a slip twin with one realistic slip per derivative.
//! `for_each_function!` lists them for `tests/foreign.rs`.

use super::{{Described, Info, SlipDelta, SlipInfo, delta_at}};
use jacobian_oracle::report::Quantity;
use jacobian_oracle::{{AnalyticGradient, AnalyticHessian, AnalyticJacobian, ScalarFn, VectorFn}};
use nalgebra::{{DMatrix, DVector}};
use num_dual::DualNum;
"""


def generate():
    parts = [HEADER]
    listing = []
    for fn in CORPUS:
        parts.append(emit_cas(fn) if isinstance(fn, Cas) else emit_hand(fn))
        listing.append(f"{'vector' if fn.vector else 'scalar'} {fn.name}: {camel(fn.name)}, {camel(fn.name)}Slip;")
    parts.append(
        "/// Calls `$callback!` with every function of the corpus: `scalar name: Type, TypeSlip;`\n"
        "/// (gradient and Hessian) or `vector name: Type, TypeSlip;` (Jacobian).\n"
        "macro_rules! for_each_function {\n($callback:ident) => {\n$callback! {\n"
        + "\n".join(listing) + "\n}\n};\n}\npub(crate) use for_each_function;\n")
    text = "\n".join(parts)
    fmt = subprocess.run(["rustfmt", "--edition", "2024", "--emit", "stdout"], input=text.encode(),
                         capture_output=True)
    if fmt.returncode != 0:
        sys.stderr.write(fmt.stderr.decode())
        Path("/tmp/generated_unformatted.rs").write_text(text)
        raise SystemExit("rustfmt failed (unformatted output in /tmp/generated_unformatted.rs)")
    return fmt.stdout.decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    args = parser.parse_args()
    text = generate()
    if args.check:
        old = OUT.read_text()
        if old != text:
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                                       "committed", "regenerated"))
            raise SystemExit("tests/foreign/generated.rs differs from what the generator prints")
        print("tests/foreign/generated.rs is up to date")
    else:
        OUT.write_text(text)
        print(f"wrote {OUT} ({len(text.splitlines())} lines)")


if __name__ == "__main__":
    main()
