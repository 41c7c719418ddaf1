//! Garbage in, typed errors out: every public check of the [`Oracle`], fed arbitrary garbage
//! (non-finite, subnormal and huge `x`, `x` of the wrong length, empty maps, an `eval` that
//! returns the wrong length or non-finite values or overflows, analytic derivatives of the
//! wrong shape or with NaN/±∞ entries, bad directions), never panics, never returns `Ok` with
//! a NaN inside, never alters its input, and returns the variant the input calls for.
//!
//! The expected variant is derived from the order in which the source validates (read in
//! `src/oracle.rs`, `src/modes.rs`, `src/precision.rs`, `src/black_box.rs`):
//!
//! * `check`, `check_gradient`, `check_f32`: `EmptyMap`, `InputLength`, `NonFiniteInput`,
//!   (`check_f32`: `OutOfF32Range`), `eval::<f64>` (`EvalLength`, `NonFiniteEval`),
//!   `AnalyticShape`, the dual pass (`EvalLength` on duals, `NonFiniteDual`), then a verdict;
//! * `check_hessian`: `f` as for `check_gradient` (its input as a map to ℝ¹, `f(x)` finite),
//!   then the same steps for its gradient as a map `ℝⁿ → ℝⁿ`;
//! * `check_projected`: `k = 0` (`InvalidOracle`) first, then the input, `AnalyticShape`
//!   *before* `eval::<f64>`, then the dual pass and a verdict;
//! * `check_jvp_along`: the input, the direction (`DirectionLength`, `NonFiniteDirection`),
//!   `eval::<f64>`, the JVP's length (`AnalyticShape` `m×1`), the dual pass, a verdict;
//! * `check_vjp_along`: the input, the direction, `eval::<f64>`, the VJP's length
//!   (`AnalyticShape` `1×n`), `uᵀf(x)` (`NonFiniteEval` at index 0), the dual pass (an
//!   `eval` of the wrong length on duals is `EvalLength`), a verdict;
//! * `check_jvp`, `check_vjp`: the input, then `check_*_along` along the oracle's own
//!   directions (recorded by the map as they are passed to `jvp`/`vjp`);
//! * `check_adjoint`: the input, then per pair both products' lengths (JVP first), then the
//!   identity, adjudicated by `check_jvp_along` and `check_vjp_along` when it fails or is not
//!   finite (run here on the map's own products with the oracle's seeds, see
//!   [`expect_adjoint`]);
//! * `check_black_box`: `EmptyMap` (`x` empty or no Jacobian rows), `NonFiniteInput`, the
//!   Jacobian's columns (`AnalyticShape`), `f`'s length against the Jacobian's rows
//!   (`EvalLength`), `NonFiniteEval`, then a verdict.
//!
//! A verdict on a non-finite analytic entry, where the references are finite, must be a
//! `Mismatch` naming a non-finite entry; on a right analytic derivative it must not be a
//! `Mismatch`, nor an `EvalDerivative` unless `eval` really is differentiated wrongly.
//!
//! The bugs found are pinned at the end of the file, one minimal input each, as regression
//! tests (all fixed). One limitation stays excused ([`Flags::fd_blind`]): a black box, sampled
//! in `f64` alone, cannot see a sine riding on a trend far below its smallest step.

mod common;

use std::any::TypeId;
use std::cell::RefCell;
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};

use jacobian_oracle::dual::dual_jacobian;
use jacobian_oracle::fd::Stencil;
use jacobian_oracle::report::{NotJudgeable, Note, Quantity};
use jacobian_oracle::scalar::{AsVectorFn, GradientOf};
use jacobian_oracle::{
    Agreement, AnalyticGradient, AnalyticHessian, AnalyticJacobian, AnalyticJacobianF32,
    AnalyticJvp, AnalyticVjp, CheckError, Oracle, ScalarFn, VectorFn,
};
use nalgebra::{DMatrix, DVector};
use num_dual::{DualNum, DualSVec64};
use num_traits::Float;
use proptest::collection::vec;
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// The garbage maps.
// ---------------------------------------------------------------------------------------------

/// On which scalar types a length fault applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalars {
    /// Every scalar type, `f64` included.
    Every,
    /// Every type but `f64`: the dual passes.
    NonF64,
    /// Neither `f64` nor `DualSVec64<8>` (the reference Jacobian's type): the side passes
    /// only (`Dual64` near `x`, `Dual2<Bounded>`, `Bounded`, `DualSVec64<1|2|4>`).
    Exotic,
}

impl Scalars {
    fn apply<D: DualNum<Primitive = f64> + Copy>(self) -> bool {
        let id = TypeId::of::<D>();
        match self {
            Scalars::Every => true,
            Scalars::NonF64 => id != TypeId::of::<f64>(),
            Scalars::Exotic => id != TypeId::of::<f64>() && id != TypeId::of::<DualSVec64<8>>(),
        }
    }
}

/// What can go wrong in `eval`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum EvalFault {
    /// `eval` returns `len` values on the given scalar types.
    Length { on: Scalars, len: usize },
    /// Output `index % m` is `value` (NaN or ±∞) on every scalar type.
    NonFinite { index: usize, value: f64 },
    /// `+ exp(x₀²)` on output 0: overflows from |x₀| ≈ 26.64, its derivative a little earlier.
    Overflow,
    /// `+ tanh(400 + sin x₀)` through num-dual's `tanh`: 1 on `f64`, a NaN derivative on duals.
    DualOverflow,
    /// `+ sin x₀` computed off the dual path (`x₀.re()`): its derivative is dropped.
    OffPath,
}

/// What can go wrong in an analytic derivative.
#[derive(Clone, Copy, Debug, PartialEq)]
enum AnalyticFault {
    Right,
    /// Rows and columns changed by these amounts (saturating at 0; a vector adds both).
    Shape(i8, i8),
    /// Entry `index % len` replaced by `value` (NaN or ±∞).
    Poison {
        index: usize,
        value: f64,
    },
}

fn resized(len: usize, delta: i8) -> usize {
    len.saturating_add_signed(isize::from(delta))
}

fn apply_to_matrix<T: nalgebra::Scalar + Copy>(
    fault: AnalyticFault,
    mut a: DMatrix<T>,
    fill: T,
    poison: impl Fn(f64) -> T,
) -> DMatrix<T> {
    match fault {
        AnalyticFault::Right => a,
        AnalyticFault::Shape(dr, dc) => {
            let (r, c) = a.shape();
            a.resize(resized(r, dr), resized(c, dc), fill)
        }
        AnalyticFault::Poison { index, value } => {
            let len = a.len();
            if len > 0 {
                a[index % len] = poison(value);
            }
            a
        }
    }
}

fn apply_to_vector(fault: AnalyticFault, mut a: DVector<f64>) -> DVector<f64> {
    match fault {
        AnalyticFault::Right => a,
        AnalyticFault::Shape(dr, dc) => {
            let len = resized(resized(a.len(), dr), dc);
            a.resize_vertically(len, 0.25)
        }
        AnalyticFault::Poison { index, value } => {
            let len = a.len();
            if len > 0 {
                a[index % len] = value;
            }
            a
        }
    }
}

/// `f_i(x) = Σ_k w_ik sin x_k + p_i x_a x_b + c_i exp(cos x_a)` with `a = i mod n`,
/// `b = (i + 1) mod n` (`n = x.len()`), plus the terms of its [`EvalFault`]s; analytic
/// Jacobian, JVP, VJP and `f32` Jacobian each with an [`AnalyticFault`]. The directions passed
/// to `jvp` and `vjp` are recorded.
#[derive(Clone, Debug)]
struct Garbage {
    n: usize,
    m: usize,
    w: Vec<f64>,
    p: Vec<f64>,
    c: Vec<f64>,
    eval_faults: Vec<EvalFault>,
    jac: AnalyticFault,
    jvp: AnalyticFault,
    vjp: AnalyticFault,
    f32: AnalyticFault,
    jvp_log: RefCell<Vec<DVector<f64>>>,
    vjp_log: RefCell<Vec<DVector<f64>>>,
}

impl Garbage {
    fn w(&self, i: usize, k: usize) -> f64 {
        self.w[(i * 4 + k) % self.w.len()]
    }
    fn p(&self, i: usize) -> f64 {
        self.p[i % self.p.len()]
    }
    fn c(&self, i: usize) -> f64 {
        self.c[i % self.c.len()]
    }
    /// `eval` is not differentiated as written (a value off the dual path), or does garbage on
    /// the side passes: a verdict of any kind is plausible.
    fn eval_suspect(&self) -> bool {
        // Two length faults can truncate the dual outputs and pad them back to length `m`
        // with constants: the dual path is then another function.
        let lengths = self
            .eval_faults
            .iter()
            .filter(|f| matches!(f, EvalFault::Length { .. }))
            .count();
        lengths >= 2
            || self.eval_faults.iter().any(|f| {
                matches!(
                    f,
                    EvalFault::OffPath
                        | EvalFault::Length {
                            on: Scalars::Exotic,
                            ..
                        }
                )
            })
    }

    /// The Jacobian of the formula at `x` (any length), computed in `T`: right to rounding.
    fn formula_jacobian<T: Float + nalgebra::Scalar>(&self, x: &DVector<T>) -> DMatrix<T> {
        let t = |v: f64| T::from(v).expect("f64 converts to T");
        let n = x.len();
        let mut j = DMatrix::from_element(self.m, n, T::zero());
        for i in 0..self.m {
            for k in 0..n {
                j[(i, k)] = x[k].cos() * t(self.w(i, k));
            }
            if n > 0 {
                let (a, b) = (i % n, (i + 1) % n);
                j[(i, a)] = j[(i, a)] + x[b] * t(self.p(i));
                j[(i, b)] = j[(i, b)] + x[a] * t(self.p(i));
                j[(i, a)] = j[(i, a)] + -x[a].sin() * x[a].cos().exp() * t(self.c(i));
            }
        }
        if self.m > 0 && n > 0 {
            let x0 = x[0];
            for fault in &self.eval_faults {
                match fault {
                    EvalFault::Overflow => {
                        j[(0, 0)] = j[(0, 0)] + x0 * t(2.0) * (x0 * x0).exp();
                    }
                    EvalFault::DualOverflow => {
                        let th = (x0.sin() + t(400.0)).tanh();
                        j[(0, 0)] = j[(0, 0)] + (T::one() - th * th) * x0.cos();
                    }
                    EvalFault::OffPath => j[(0, 0)] = j[(0, 0)] + x0.cos(),
                    EvalFault::Length { .. } | EvalFault::NonFinite { .. } => {}
                }
            }
        }
        j
    }

    fn jacobian_value(&self, x: &DVector<f64>) -> DMatrix<f64> {
        apply_to_matrix(self.jac, self.formula_jacobian(x), 0.25, |v| v)
    }
    fn jvp_value(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        let j = self.formula_jacobian(x);
        let jv = if j.ncols() == v.len() {
            j * v
        } else {
            DVector::from_element(self.m, 0.125)
        };
        apply_to_vector(self.jvp, jv)
    }
    fn vjp_value(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        let j = self.formula_jacobian(x);
        let jtu = if j.nrows() == u.len() {
            j.tr_mul(u)
        } else {
            DVector::from_element(x.len(), 0.125)
        };
        apply_to_vector(self.vjp, jtu)
    }
    fn f32_value(&self, x: &DVector<f32>) -> DMatrix<f32> {
        apply_to_matrix(self.f32, self.formula_jacobian(x), 0.25, |v| v as f32)
    }
}

impl VectorFn for Garbage {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn output_dim(&self) -> usize {
        self.m
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let n = x.len();
        let mut out = DVector::from_fn(self.m, |i, _| {
            let mut s = D::zero();
            for (k, &xk) in x.iter().enumerate() {
                s += xk.sin() * self.w(i, k);
            }
            if n > 0 {
                let (a, b) = (i % n, (i + 1) % n);
                s += x[a] * x[b] * self.p(i) + x[a].cos().exp() * self.c(i);
            }
            s
        });
        if self.m > 0 && n > 0 {
            let x0 = x[0];
            for fault in &self.eval_faults {
                match *fault {
                    EvalFault::NonFinite { index, value } => out[index % self.m] = D::from(value),
                    EvalFault::Overflow => out[0] += (x0 * x0).exp(),
                    EvalFault::DualOverflow => out[0] += (x0.sin() + 400.0).tanh(),
                    EvalFault::OffPath => out[0] += D::from(x0.re().sin()),
                    EvalFault::Length { .. } => {}
                }
            }
        }
        for fault in &self.eval_faults {
            if let EvalFault::Length { on, len } = *fault
                && on.apply::<D>()
            {
                out = out.resize_vertically(len, D::from(0.5));
            }
        }
        out
    }
}

impl AnalyticJacobian for Garbage {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        self.jacobian_value(x)
    }
}

impl AnalyticJvp for Garbage {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        self.jvp_log.borrow_mut().push(v.clone());
        self.jvp_value(x, v)
    }
}

impl AnalyticVjp for Garbage {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        self.vjp_log.borrow_mut().push(u.clone());
        self.vjp_value(x, u)
    }
}

impl AnalyticJacobianF32 for Garbage {
    fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
        self.f32_value(x)
    }
}

/// `g(x) = Σ_k w_k sin x_k + p x₀ x_{n−1} + c exp(cos x₀)` plus the terms of its
/// [`EvalFault`]s (`Length` faults do not apply: a scalar has one value); analytic gradient
/// and Hessian each with an [`AnalyticFault`].
#[derive(Clone, Debug)]
struct GarbageScalar {
    n: usize,
    w: Vec<f64>,
    p: f64,
    c: f64,
    eval_faults: Vec<EvalFault>,
    grad: AnalyticFault,
    hess: AnalyticFault,
}

impl GarbageScalar {
    fn w(&self, k: usize) -> f64 {
        self.w[k % self.w.len()]
    }
    fn has(&self, fault: EvalFault) -> bool {
        self.eval_faults.contains(&fault)
    }
    fn eval_suspect(&self) -> bool {
        self.has(EvalFault::OffPath)
    }
    /// No `NonFinite` fault replaces the value (by a constant, whose derivatives are 0).
    fn value_is_formula(&self) -> bool {
        !self
            .eval_faults
            .iter()
            .any(|f| matches!(f, EvalFault::NonFinite { .. }))
    }
    fn right_gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        let n = x.len();
        let mut g = DVector::from_fn(n, |k, _| x[k].cos() * self.w(k));
        if n > 0 {
            let (x0, xl) = (x[0], x[n - 1]);
            g[0] += xl * self.p;
            g[n - 1] += x0 * self.p;
            g[0] += -x0.sin() * x0.cos().exp() * self.c;
            for fault in &self.eval_faults {
                match fault {
                    EvalFault::Overflow => g[0] += x0 * 2.0 * (x0 * x0).exp(),
                    EvalFault::DualOverflow => {
                        let th = (x0.sin() + 400.0).tanh();
                        g[0] += (1.0 - th * th) * x0.cos();
                    }
                    EvalFault::OffPath => g[0] += x0.cos(),
                    EvalFault::Length { .. } | EvalFault::NonFinite { .. } => {}
                }
            }
        }
        g
    }
    fn right_hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let n = x.len();
        let mut h = DMatrix::from_fn(
            n,
            n,
            |r, c| {
                if r == c { -x[r].sin() * self.w(r) } else { 0.0 }
            },
        );
        if n > 0 {
            let x0 = x[0];
            h[(0, n - 1)] += self.p;
            h[(n - 1, 0)] += self.p;
            let (s, co) = (x0.sin(), x0.cos());
            h[(0, 0)] += co.exp() * (s * s - co) * self.c;
            for fault in &self.eval_faults {
                match fault {
                    EvalFault::Overflow => h[(0, 0)] += (2.0 + 4.0 * x0 * x0) * (x0 * x0).exp(),
                    EvalFault::OffPath => h[(0, 0)] += -s,
                    // tanh(400 + sin x₀) is 1 to the last bit: its derivatives are 0 in f64.
                    EvalFault::DualOverflow
                    | EvalFault::Length { .. }
                    | EvalFault::NonFinite { .. } => {}
                }
            }
        }
        h
    }
}

impl ScalarFn for GarbageScalar {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        let n = x.len();
        let mut s = D::zero();
        for (k, &xk) in x.iter().enumerate() {
            s += xk.sin() * self.w(k);
        }
        if n > 0 {
            let x0 = x[0];
            s += x0 * x[n - 1] * self.p + x0.cos().exp() * self.c;
            for fault in &self.eval_faults {
                match *fault {
                    EvalFault::NonFinite { value, .. } => s = D::from(value),
                    EvalFault::Overflow => s += (x0 * x0).exp(),
                    EvalFault::DualOverflow => s += (x0.sin() + 400.0).tanh(),
                    EvalFault::OffPath => s += D::from(x0.re().sin()),
                    EvalFault::Length { .. } => {}
                }
            }
        }
        s
    }
}

impl AnalyticGradient for GarbageScalar {
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        apply_to_vector(self.grad, self.right_gradient(x))
    }
}

impl AnalyticHessian for GarbageScalar {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        apply_to_matrix(self.hess, self.right_hessian(x), 0.25, |v| v)
    }
}

/// The view `t ↦ f(x + t v)` that `check_jvp_along` checks, rebuilt here to predict its dual
/// pass (`src/modes.rs`, `Along`).
struct AlongView<'a> {
    f: &'a Garbage,
    x: &'a DVector<f64>,
    v: &'a DVector<f64>,
}

impl VectorFn for AlongView<'_> {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        self.f.m
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: &DVector<D>) -> DVector<D> {
        let p = DVector::from_fn(self.x.len(), |l, _| D::from(self.x[l]) + t[0] * self.v[l]);
        self.f.eval(&p)
    }
}

/// The view `x ↦ uᵀf(x)` that `check_vjp_along` checks (`src/modes.rs`, `Contracted`).
struct ContractedView<'a> {
    f: &'a Garbage,
    u: &'a DVector<f64>,
}

impl ScalarFn for ContractedView<'_> {
    fn input_dim(&self) -> usize {
        self.f.n
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        self.f
            .eval(x)
            .iter()
            .zip(self.u.iter())
            .fold(D::zero(), |acc, (&fi, &ui)| acc + fi * ui)
    }
}

// ---------------------------------------------------------------------------------------------
// What each check must return.
// ---------------------------------------------------------------------------------------------

/// Facts about the analytic value under test, for judging a verdict.
#[derive(Clone, Copy, Debug, Default)]
struct Flags {
    /// It holds a NaN or an infinity.
    nonfinite: bool,
    /// Its non-finite entries have no finite reference to be compared with (a black box whose
    /// first differences there cannot be computed): `CannotJudge` is the verdict then.
    no_reference: bool,
    /// It is right to rounding (no fault), so a `Mismatch` would be a false alarm.
    right: bool,
    /// `eval` is differentiated wrongly or does garbage on the side passes: any verdict goes.
    eval_suspect: bool,
    /// Every finite-difference step is far above the scale on which `f` varies (an entry of
    /// `x`, or of the direction, beyond 1e4, where the coarser steps, up to 32768 times the
    /// default `6e-6·|x_j|`, span hundreds of periods of the sines): finite differences can
    /// "converge" to a wrong value, so the oracle may blame `eval` (`EvalDerivative`), call
    /// the point unjudgeable, or — with no dual reference — call a right black-box Jacobian
    /// wrong. Only the last stays excused, as a limitation: sampled in `f64` alone, a sine far
    /// below the smallest step is indistinguishable from rounding, so a black box judges the
    /// computed function's average slope (dual-based verdicts are held strictly:
    /// `no_false_alarm_where_a_periodic_part_rides_on_a_trend`).
    fd_blind: bool,
}

/// See [`Flags::fd_blind`].
fn fd_blind(points: &[&DVector<f64>]) -> bool {
    points.iter().any(|p| p.iter().any(|v| v.abs() > 1e4))
}

#[derive(Clone, Debug)]
enum Expect {
    /// Exactly this error (compared by `Debug`, so NaNs compare equal).
    Err(CheckError),
    /// The input passes validation: `Ok` or a verdict, judged by the flags.
    Verdict(Flags),
    /// This dual-stage error, or — where `eval` depends on the scalar type beyond `f64` vs
    /// duals, so that which dual passes run decides — a verdict judged by the flags.
    ErrOrVerdict(CheckError, Flags),
}

/// The dual stage: its error if it has one (either that error or a verdict where `eval` is
/// suspect), else a verdict.
fn dual_stage(error: Option<CheckError>, flags: Flags) -> Expect {
    match error {
        Some(e) if flags.eval_suspect => Expect::ErrOrVerdict(e, flags),
        Some(e) => Expect::Err(e),
        None => Expect::Verdict(flags),
    }
}

fn input_error(n: usize, m: usize, x: &DVector<f64>) -> Option<CheckError> {
    if n == 0 || m == 0 {
        return Some(CheckError::EmptyMap {
            input_dim: n,
            output_dim: m,
        });
    }
    if x.len() != n {
        return Some(CheckError::InputLength {
            expected: n,
            found: x.len(),
        });
    }
    x.iter()
        .position(|v| !v.is_finite())
        .map(|index| CheckError::NonFiniteInput {
            index,
            value: x[index],
        })
}

fn direction_error(d: &DVector<f64>, expected: usize) -> Option<CheckError> {
    if d.len() != expected {
        return Some(CheckError::DirectionLength {
            expected,
            found: d.len(),
        });
    }
    d.iter()
        .position(|v| !v.is_finite())
        .map(|index| CheckError::NonFiniteDirection {
            index,
            value: d[index],
        })
}

fn values_error(y: &DVector<f64>, m: usize) -> Option<CheckError> {
    if y.len() != m {
        return Some(CheckError::EvalLength {
            expected: m,
            found: y.len(),
            scalar: "f64",
        });
    }
    y.iter()
        .position(|v| !v.is_finite())
        .map(|index| CheckError::NonFiniteEval {
            index,
            value: y[index],
        })
}

fn eval_error<F: VectorFn + ?Sized>(f: &F, x: &DVector<f64>) -> Option<CheckError> {
    values_error(&f.eval::<f64>(x), f.output_dim())
}

fn shape_error(a: &DMatrix<f64>, expected: (usize, usize)) -> Option<CheckError> {
    (a.shape() != expected).then(|| CheckError::AnalyticShape {
        expected,
        found: a.shape(),
    })
}

fn nonfinite(values: &[f64]) -> bool {
    values.iter().any(|v| !v.is_finite())
}

/// `check`, `check_gradient`, `check_hessian`, `check_f32` (at the rounded `x`): the input,
/// `eval::<f64>`, the analytic shape, the dual pass, then a verdict.
fn expect_check_as<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    analytic: &DMatrix<f64>,
    flags: Flags,
) -> Expect {
    let (n, m) = (f.input_dim(), f.output_dim());
    if let Some(e) = input_error(n, m, x)
        .or_else(|| eval_error(f, x))
        .or_else(|| shape_error(analytic, (m, n)))
    {
        return Expect::Err(e);
    }
    let flags = Flags {
        nonfinite: nonfinite(analytic.as_slice()),
        ..flags
    };
    dual_stage(dual_jacobian(f, x).err(), flags)
}

fn expect_check(f: &Garbage, x: &DVector<f64>) -> Expect {
    let analytic = if x.len() == f.n {
        f.jacobian_value(x)
    } else {
        DMatrix::zeros(f.m, f.n)
    };
    expect_check_as(
        f,
        x,
        &analytic,
        Flags {
            right: f.jac == AnalyticFault::Right,
            eval_suspect: f.eval_suspect(),
            fd_blind: fd_blind(&[x]),
            ..Flags::default()
        },
    )
}

fn expect_gradient(g: &GarbageScalar, x: &DVector<f64>) -> Expect {
    let analytic = if x.len() == g.n {
        let row = g.gradient(x);
        DMatrix::from_row_slice(1, row.len(), row.as_slice())
    } else {
        DMatrix::zeros(1, g.n)
    };
    expect_check_as(
        &AsVectorFn(g),
        x,
        &analytic,
        Flags {
            right: g.grad == AnalyticFault::Right && g.value_is_formula(),
            eval_suspect: g.eval_suspect(),
            fd_blind: fd_blind(&[x]),
            ..Flags::default()
        },
    )
}

/// `check_hessian` first checks `f` itself, as `check_gradient` does (its input as a map to
/// ℝ¹, and `f(x)` finite), then the gradient as a map `ℝⁿ → ℝⁿ` (`GradientOf`).
fn expect_hessian(g: &GarbageScalar, x: &DVector<f64>) -> Expect {
    if let Some(e) = input_error(g.n, 1, x).or_else(|| eval_error(&AsVectorFn(g), x)) {
        return Expect::Err(e);
    }
    let analytic = if x.len() == g.n {
        g.hessian(x)
    } else {
        DMatrix::zeros(g.n, g.n)
    };
    expect_check_as(
        &GradientOf(g),
        x,
        &analytic,
        Flags {
            right: g.hess == AnalyticFault::Right && g.value_is_formula(),
            eval_suspect: g.eval_suspect(),
            fd_blind: fd_blind(&[x]),
            ..Flags::default()
        },
    )
}

fn rounded_to_f32(x: &DVector<f64>) -> DVector<f64> {
    x.map(|v| f64::from(v as f32))
}

fn expect_f32(f: &Garbage, x: &DVector<f64>) -> Expect {
    if let Some(e) = input_error(f.n, f.m, x) {
        return Expect::Err(e);
    }
    if let Some(index) = x.iter().position(|&v| !(v as f32).is_finite()) {
        return Expect::Err(CheckError::OutOfF32Range {
            index,
            value: x[index],
        });
    }
    let r = rounded_to_f32(x);
    let analytic = f.f32_value(&r.map(|v| v as f32)).map(f64::from);
    expect_check_as(
        f,
        &r,
        &analytic,
        Flags {
            right: f.f32 == AnalyticFault::Right,
            eval_suspect: f.eval_suspect(),
            fd_blind: fd_blind(&[&r]),
            ..Flags::default()
        },
    )
}

fn expect_projected(f: &Garbage, x: &DVector<f64>, k: usize) -> Expect {
    if k == 0 {
        return Expect::Err(CheckError::InvalidOracle {
            parameter: "k (projections)",
            value: 0.0,
        });
    }
    if let Some(e) = input_error(f.n, f.m, x) {
        return Expect::Err(e);
    }
    let analytic = f.jacobian_value(x);
    if let Some(e) = shape_error(&analytic, (f.m, f.n)).or_else(|| eval_error(f, x)) {
        return Expect::Err(e);
    }
    let flags = Flags {
        nonfinite: nonfinite(analytic.as_slice()),
        right: f.jac == AnalyticFault::Right,
        eval_suspect: f.eval_suspect(),
        fd_blind: fd_blind(&[x]),
        ..Flags::default()
    };
    dual_stage(dual_jacobian(f, x).err(), flags)
}

fn expect_jvp_along(f: &Garbage, x: &DVector<f64>, v: &DVector<f64>) -> Expect {
    if let Some(e) = input_error(f.n, f.m, x)
        .or_else(|| direction_error(v, f.n))
        .or_else(|| eval_error(f, x))
    {
        return Expect::Err(e);
    }
    let column = f.jvp_value(x, v);
    if column.len() != f.m {
        return Expect::Err(CheckError::AnalyticShape {
            expected: (f.m, 1),
            found: (column.len(), 1),
        });
    }
    let view = AlongView { f, x, v };
    let t = DVector::zeros(1);
    let flags = Flags {
        nonfinite: nonfinite(column.as_slice()),
        right: f.jvp == AnalyticFault::Right,
        eval_suspect: f.eval_suspect(),
        fd_blind: fd_blind(&[x, v]),
        ..Flags::default()
    };
    dual_stage(dual_jacobian(&view, &t).err(), flags)
}

fn expect_vjp_along(f: &Garbage, x: &DVector<f64>, u: &DVector<f64>) -> Expect {
    if let Some(e) = input_error(f.n, f.m, x)
        .or_else(|| direction_error(u, f.m))
        .or_else(|| eval_error(f, x))
    {
        return Expect::Err(e);
    }
    let row = f.vjp_value(x, u);
    if row.len() != f.n {
        return Expect::Err(CheckError::AnalyticShape {
            expected: (1, f.n),
            found: (1, row.len()),
        });
    }
    let f0 = f.eval::<f64>(x);
    let g0 = f0
        .iter()
        .zip(u.iter())
        .fold(0.0, |acc, (&fi, &ui)| acc + fi * ui);
    if !g0.is_finite() {
        return Expect::Err(CheckError::NonFiniteEval {
            index: 0,
            value: g0,
        });
    }
    let flags = Flags {
        nonfinite: nonfinite(row.as_slice()),
        right: f.vjp == AnalyticFault::Right,
        eval_suspect: f.eval_suspect(),
        fd_blind: fd_blind(&[x]),
        ..Flags::default()
    };
    // An eval of the wrong length on dual numbers is an `EvalLength`, as in every other check.
    let error = match dual_jacobian(f, x) {
        Err(e @ CheckError::EvalLength { .. }) => Some(e),
        _ => dual_jacobian(&AsVectorFn(&ContractedView { f, u }), x).err(),
    };
    dual_stage(error, flags)
}

/// `check_jvp` / `check_vjp`: the along-check of each recorded direction in turn; the first
/// error ends it. `before_product`: an error met before the product is asked for (the input;
/// for a VJP also `eval::<f64>`), when no direction gets recorded.
fn expect_along_each(
    directions: &[DVector<f64>],
    along: impl Fn(&DVector<f64>) -> Expect,
    before_product: Option<CheckError>,
) -> Expect {
    if let Some(e) = before_product {
        return Expect::Err(e);
    }
    let mut flags = Flags::default();
    for d in directions {
        match along(d) {
            e @ (Expect::Err(_) | Expect::ErrOrVerdict(..)) => return e,
            Expect::Verdict(f) => {
                flags.nonfinite |= f.nonfinite;
                flags.right = f.right;
                flags.eval_suspect = f.eval_suspect;
                flags.fd_blind |= f.fd_blind;
            }
        }
    }
    Expect::Verdict(flags)
}

fn expect_black_box(f: &Garbage, jacobian: &DMatrix<f64>, x: &DVector<f64>) -> Expect {
    let (n, m) = (x.len(), jacobian.nrows());
    if n == 0 || m == 0 {
        return Expect::Err(CheckError::EmptyMap {
            input_dim: n,
            output_dim: m,
        });
    }
    if let Some(e) = input_error(n, m, x)
        .or_else(|| (jacobian.ncols() != n).then(|| shape_error(jacobian, (m, n)).unwrap()))
        .or_else(|| values_error(&f.eval::<f64>(x), m))
    {
        return Expect::Err(e);
    }
    // A non-finite entry is judged against the first central difference of its column, when
    // that can be computed (src/black_box.rs); else the point cannot be judged.
    let f0 = f.eval::<f64>(x);
    let mut eval = |p: &DVector<f64>| f.eval::<f64>(p);
    let judgeable = (0..n).any(|j| {
        let rows: Vec<usize> = (0..m).filter(|&i| !jacobian[(i, j)].is_finite()).collect();
        !rows.is_empty()
            && Stencil::new(&mut eval, x, j, &f0)
                .is_some_and(|s| rows.iter().any(|&i| s.central(i, 1).is_finite()))
    });
    let has_nonfinite = nonfinite(jacobian.as_slice());
    Expect::Verdict(Flags {
        nonfinite: has_nonfinite,
        no_reference: has_nonfinite && !judgeable,
        right: f.jac == AnalyticFault::Right,
        // No dual reference: how eval is differentiated does not matter.
        eval_suspect: false,
        fd_blind: fd_blind(&[x]),
    })
}

// ---------------------------------------------------------------------------------------------
// Running a check and judging what it returned.
// ---------------------------------------------------------------------------------------------

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string panic payload>".to_owned())
}

/// Runs `call` under `catch_unwind`; a panic fails the case, naming the check and the input.
fn run<T>(check: &str, input: &dyn Debug, call: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    catch_unwind(AssertUnwindSafe(call)).map_err(|payload| {
        TestCaseError::fail(format!(
            "{check} panicked: {}\ninput: {input:?}",
            panic_message(payload.as_ref())
        ))
    })
}

fn same_bits(a: &DVector<f64>, b: &DVector<f64>) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b.iter())
            .all(|(p, q)| p.to_bits() == q.to_bits())
}

/// Where a report's `x` and direction must come from.
struct Context<'a> {
    check: &'a str,
    input: &'a dyn Debug,
    /// The `x` a report must carry (the rounded `x` for `check_f32`).
    report_x: &'a DVector<f64>,
    /// The direction a report must carry (`_along` checks), if any.
    direction: Option<&'a DVector<f64>>,
    shape: (usize, usize),
    quantity: Quantity,
}

fn not_nan(ctx: &Context<'_>, what: &str, value: f64) -> Result<(), TestCaseError> {
    prop_assert!(
        !value.is_nan(),
        "{}: Ok with {} = NaN\ninput: {:?}",
        ctx.check,
        what,
        ctx.input
    );
    Ok(())
}

fn check_agreement(ctx: &Context<'_>, a: &Agreement) -> Result<(), TestCaseError> {
    not_nan(ctx, "worst_analytic.abs_error", a.worst_analytic.abs_error)?;
    not_nan(ctx, "worst_analytic.bound", a.worst_analytic.bound)?;
    not_nan(ctx, "worst_analytic.ratio()", a.worst_analytic.ratio())?;
    not_nan(ctx, "worst_rel_error", a.worst_rel_error)?;
    if let Some(fd) = a.worst_fd {
        not_nan(ctx, "worst_fd.abs_error", fd.abs_error)?;
        not_nan(ctx, "worst_fd.bound", fd.bound)?;
        not_nan(ctx, "worst_fd.ratio()", fd.ratio())?;
    }
    for note in &a.notes {
        if let Note::PrecisionLoss {
            worst_rel_error, ..
        } = note
        {
            not_nan(ctx, "PrecisionLoss.worst_rel_error", *worst_rel_error)?;
        }
    }
    prop_assert_eq!(a.shape, ctx.shape, "{}: shape", ctx.check);
    prop_assert_eq!(a.quantity, ctx.quantity, "{}: quantity", ctx.check);
    let text = run(ctx.check, ctx.input, || a.to_string())?;
    prop_assert!(!text.is_empty(), "{}: empty Display", ctx.check);
    Ok(())
}

/// The `x` and direction inside a report, the report's Display and snippet.
fn check_report(ctx: &Context<'_>, e: &CheckError) -> Result<(), TestCaseError> {
    let text = run(ctx.check, ctx.input, || e.to_string())?;
    prop_assert!(
        !text.trim().is_empty(),
        "{}: empty Display of {:?}",
        ctx.check,
        e
    );
    let (x, direction, snippet) = match e {
        CheckError::Mismatch(m) => (&m.x, m.direction.as_ref(), Some(m.snippet())),
        CheckError::EvalDerivative(d) => (&d.x, d.direction.as_ref(), Some(d.snippet())),
        CheckError::CannotJudge(c) => (&c.x, c.direction.as_ref(), None),
        CheckError::NotAdjoint(a) => {
            prop_assert!(
                same_bits(&a.x, ctx.report_x),
                "{}: NotAdjoint.x = {:?} is not the input x {:?}",
                ctx.check,
                a.x.as_slice(),
                ctx.report_x.as_slice()
            );
            if let Some(culprit) = &a.culprit {
                let inner = Context {
                    direction: None,
                    ..*ctx
                };
                check_report(&inner, culprit)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    if let Some(s) = snippet {
        prop_assert!(!s.is_empty(), "{}: empty snippet", ctx.check);
    }
    prop_assert!(
        same_bits(x, ctx.report_x),
        "{}: the report's x = {:?} is not the input x {:?}",
        ctx.check,
        x.as_slice(),
        ctx.report_x.as_slice()
    );
    if let (Some(expected), Some(found)) = (ctx.direction, direction) {
        prop_assert!(
            same_bits(found, expected),
            "{}: the report's direction {:?} is not the one given, {:?}",
            ctx.check,
            found.as_slice(),
            expected.as_slice()
        );
    }
    Ok(())
}

/// Judges a verdict (`Ok` or `Mismatch`/`EvalDerivative`/`CannotJudge`) against the flags.
fn check_verdict(
    ctx: &Context<'_>,
    flags: Flags,
    result: Result<Option<&Agreement>, &CheckError>,
) -> Result<(), TestCaseError> {
    let (check, input) = (ctx.check, ctx.input);
    match result {
        Ok(a) => {
            prop_assert!(
                !flags.nonfinite,
                "{check}: Ok although the analytic value has a NaN or an infinity\ninput: {input:?}"
            );
            if let Some(a) = a {
                check_agreement(ctx, a)?;
            }
        }
        Err(CheckError::Mismatch(m)) => {
            // A black box has finite differences as its only reference: blind, they can call
            // a right entry wrong.
            let blind_black_box = flags.fd_blind && ctx.quantity == Quantity::BlackBox;
            if flags.nonfinite && !flags.no_reference && !flags.eval_suspect && !blind_black_box {
                // (Dual-based checks call an entry wrong against the dual reference alone, so
                // this holds even where finite differences are blind.)
                prop_assert!(
                    !m.witnesses.analytic.is_finite(),
                    "{check}: the Mismatch names a finite entry although a non-finite one is \
                     there: {m:?}\ninput: {input:?}"
                );
            } else {
                prop_assert!(
                    !flags.right || flags.eval_suspect || blind_black_box,
                    "{check}: false alarm on a right analytic value: {m}\ninput: {input:?}"
                );
            }
        }
        Err(CheckError::EvalDerivative(d)) => prop_assert!(
            flags.eval_suspect,
            "{check}: EvalDerivative although eval is differentiated on the dual path: \
             {d}\ninput: {input:?}"
        ),
        // (A non-finite analytic entry against a finite reference is a Mismatch, at a kink
        // too.)
        Err(CheckError::CannotJudge(c)) => prop_assert!(
            !flags.nonfinite || flags.no_reference || flags.eval_suspect,
            "{check}: CannotJudge (rejected in proptest) although the analytic value has a NaN \
             or an infinity where the references are finite: {c}\ninput: {input:?}"
        ),
        // An eval that depends on the scalar type can fail on whichever dual pass runs.
        Err(CheckError::EvalLength { scalar, .. }) if flags.eval_suspect && *scalar != "f64" => {}
        Err(CheckError::NonFiniteDual { .. }) if flags.eval_suspect => {}
        Err(other) => prop_assert!(
            false,
            "{check}: expected Ok or a verdict, got {other:?}\ninput: {input:?}"
        ),
    }
    Ok(())
}

fn check_result(
    ctx: &Context<'_>,
    expect: &Expect,
    result: &Result<Agreement, CheckError>,
) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        check_report(ctx, e)?;
    }
    match expect {
        Expect::Err(expected) => {
            let found = format!("{result:?}");
            let wanted = format!("Err({expected:?})");
            prop_assert!(
                found == wanted,
                "{}: expected {}, got {}\ninput: {:?}",
                ctx.check,
                wanted,
                found,
                ctx.input
            );
        }
        Expect::Verdict(flags) => check_verdict(ctx, *flags, result.as_ref().map(Some))?,
        Expect::ErrOrVerdict(expected, flags) => {
            if format!("{result:?}") != format!("Err({expected:?})") {
                check_verdict(ctx, *flags, result.as_ref().map(Some))?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

/// An entry of `x`: ordinary values first (they are what shrinking moves toward), then zeros,
/// non-finite values, subnormals, and values that are huge, overflow `x ± h`, `exp(x²)` or
/// products, or leave the range of `f32`.
fn garbage_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        16 => -3.0..3.0f64,
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(5e-324),
        1 => Just(-1e-310),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
        1 => Just(1e154),
        1 => Just(-1e154),
        1 => Just(26.6),
        1 => Just(3.4e38),
        1 => Just(1e39),
        1 => any::<f64>(),
    ]
}

fn ordinary_direction() -> impl Strategy<Value = f64> {
    prop_oneof![4 => -2.0..2.0f64, 1 => Just(0.0), 1 => Just(1.0)]
}

fn garbage_direction_entry() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -2.0..2.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(1e300),
        1 => Just(5e-324),
    ]
}

/// A direction for an `_along` check whose right length is `len`: ordinary, with non-finite
/// entries, or of the wrong length.
fn direction(len: usize) -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        3 => vec(ordinary_direction(), len),
        1 => vec(garbage_direction_entry(), len),
        1 => vec(ordinary_direction(), 0..=4),
    ]
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(0.0),
        1 => Just(1.0),
        1 => Just(-1.0),
        3 => -3.0..3.0f64,
    ]
}

fn non_finite() -> impl Strategy<Value = f64> {
    prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)]
}

fn eval_fault() -> impl Strategy<Value = EvalFault> {
    let on = prop_oneof![
        Just(Scalars::Every),
        Just(Scalars::NonF64),
        Just(Scalars::Exotic)
    ];
    prop_oneof![
        (on, 0..=4usize).prop_map(|(on, len)| EvalFault::Length { on, len }),
        (0..3usize, non_finite()).prop_map(|(index, value)| EvalFault::NonFinite { index, value }),
        Just(EvalFault::Overflow),
        Just(EvalFault::DualOverflow),
        Just(EvalFault::OffPath),
    ]
}

fn scalar_eval_fault() -> impl Strategy<Value = EvalFault> {
    prop_oneof![
        non_finite().prop_map(|value| EvalFault::NonFinite { index: 0, value }),
        Just(EvalFault::Overflow),
        Just(EvalFault::DualOverflow),
        Just(EvalFault::OffPath),
    ]
}

fn analytic_fault() -> impl Strategy<Value = AnalyticFault> {
    prop_oneof![
        3 => Just(AnalyticFault::Right),
        1 => (-2..=2i8, -2..=2i8).prop_map(|(r, c)| AnalyticFault::Shape(r, c)),
        1 => (0..9usize, non_finite()).prop_map(|(index, value)| AnalyticFault::Poison { index, value }),
    ]
}

fn dim() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 15 => 1..=3usize]
}

/// Mostly a clean `eval`: a fault changes what every check must say.
fn faults(fault: impl Strategy<Value = EvalFault>) -> impl Strategy<Value = Vec<EvalFault>> {
    prop_oneof![2 => Just(Vec::new()), 1 => vec(fault, 1..=2)]
}

#[derive(Clone)]
struct Case {
    map: Garbage,
    scalar: GarbageScalar,
    x: DVector<f64>,
    /// The direction of `check_jvp_along` (right length `n`, unless garbage).
    v: DVector<f64>,
    /// The direction of `check_vjp_along` (right length `m`, unless garbage).
    u: DVector<f64>,
    k: usize,
    /// `with_finite_differences`, `with_full_statistics`.
    oracle: (bool, bool),
}

impl Debug for Case {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (f, g) = (&self.map, &self.scalar);
        writeln!(out, "Case {{")?;
        writeln!(
            out,
            "  n = {}, m = {}, x = {:?}",
            f.n,
            f.m,
            self.x.as_slice()
        )?;
        writeln!(
            out,
            "  v = {:?}, u = {:?}, k = {}",
            self.v.as_slice(),
            self.u.as_slice(),
            self.k
        )?;
        writeln!(
            out,
            "  oracle: finite_differences = {}, full_statistics = {}",
            self.oracle.0, self.oracle.1
        )?;
        writeln!(out, "  map: w = {:?}, p = {:?}, c = {:?}", f.w, f.p, f.c)?;
        writeln!(out, "       eval faults {:?}", f.eval_faults)?;
        writeln!(
            out,
            "       jacobian {:?}, jvp {:?}, vjp {:?}, f32 {:?}",
            f.jac, f.jvp, f.vjp, f.f32
        )?;
        writeln!(out, "  scalar: w = {:?}, p = {}, c = {}", g.w, g.p, g.c)?;
        writeln!(out, "       eval faults {:?}", g.eval_faults)?;
        writeln!(out, "       gradient {:?}, hessian {:?}", g.grad, g.hess)?;
        write!(out, "}}")
    }
}

impl Case {
    fn oracle(&self) -> Oracle {
        Oracle::default()
            .with_finite_differences(self.oracle.0)
            .with_full_statistics(self.oracle.1)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (dim(), dim()).prop_flat_map(|(n, m)| {
        let x = prop_oneof![
            4 => vec(garbage_f64(), n),
            1 => vec(garbage_f64(), 0..=4),
        ];
        let weights = (vec(weight(), 9), vec(weight(), 3), vec(weight(), 3));
        let faults = (
            faults(eval_fault()),
            faults(scalar_eval_fault()),
            (
                analytic_fault(),
                analytic_fault(),
                analytic_fault(),
                analytic_fault(),
                analytic_fault(),
                analytic_fault(),
            ),
        );
        let oracle = prop_oneof![
            6 => Just((true, false)),
            1 => Just((false, false)),
            1 => Just((true, true)),
        ];
        (
            x,
            direction(n),
            direction(m),
            weights,
            faults,
            0..=5usize,
            oracle,
        )
            .prop_map(
                move |(x, v, u, (w, p, c), (eval_faults, scalar_faults, analytic), k, oracle)| {
                    let (jac, jvp, vjp, f32, grad, hess) = analytic;
                    Case {
                        scalar: GarbageScalar {
                            n,
                            w: w.clone(),
                            p: p[0],
                            c: c[0],
                            eval_faults: scalar_faults,
                            grad,
                            hess,
                        },
                        map: Garbage {
                            n,
                            m,
                            w,
                            p,
                            c,
                            eval_faults,
                            jac,
                            jvp,
                            vjp,
                            f32,
                            jvp_log: RefCell::default(),
                            vjp_log: RefCell::default(),
                        },
                        x: DVector::from_vec(x),
                        v: DVector::from_vec(v),
                        u: DVector::from_vec(u),
                        k,
                        oracle,
                    }
                },
            )
    })
}

// ---------------------------------------------------------------------------------------------
// The property.
// ---------------------------------------------------------------------------------------------

fn outcome<T>(result: &Result<T, CheckError>) -> Result<(), &CheckError> {
    result.as_ref().map(|_| ())
}

/// Every public check on one case.
fn all_checks(case: &Case) -> Result<(), TestCaseError> {
    let oracle = case.oracle();
    let (f, g, x) = (&case.map, &case.scalar, &case.x);
    let (n, m) = (f.n, f.m);
    let x_before = x.clone();
    let input: &dyn Debug = case;
    let unchanged = |check: &str| -> Result<(), TestCaseError> {
        prop_assert!(same_bits(x, &x_before), "{}: x was altered", check);
        Ok(())
    };
    let ctx = |check: &'static str, shape: (usize, usize), quantity: Quantity| Context {
        check,
        input,
        report_x: x,
        direction: None,
        shape,
        quantity,
    };
    let no_direction_of_its_own = |check: &str, result: Result<(), &CheckError>| {
        if let Err(
            e @ (CheckError::DirectionLength { .. } | CheckError::NonFiniteDirection { .. }),
        ) = result
        {
            prop_assert!(
                false,
                "{}: {:?} about a direction the caller never gave\ninput: {:?}",
                check,
                e,
                case
            );
        }
        Ok(())
    };

    // check
    let result = run("check", input, || oracle.check(f, x))?;
    unchanged("check")?;
    let c = ctx("check", (m, n), Quantity::Jacobian);
    check_result(&c, &expect_check(f, x), &result)?;

    // check_gradient, check_hessian
    let result = run("check_gradient", input, || oracle.check_gradient(g, x))?;
    unchanged("check_gradient")?;
    let c = ctx("check_gradient", (1, n), Quantity::Gradient);
    check_result(&c, &expect_gradient(g, x), &result)?;
    let result = run("check_hessian", input, || oracle.check_hessian(g, x))?;
    unchanged("check_hessian")?;
    let c = ctx("check_hessian", (n, n), Quantity::Hessian);
    check_result(&c, &expect_hessian(g, x), &result)?;

    // check_f32: reports carry the rounded x.
    let result = run("check_f32", input, || oracle.check_f32(f, x))?;
    unchanged("check_f32")?;
    let rounded = rounded_to_f32(x);
    let c = Context {
        report_x: &rounded,
        ..ctx("check_f32", (m, n), Quantity::JacobianF32)
    };
    check_result(&c, &expect_f32(f, x), &result)?;

    // check_projected, k from 0 to 5.
    let result = run("check_projected", input, || {
        oracle.check_projected(f, x, case.k)
    })?;
    unchanged("check_projected")?;
    no_direction_of_its_own("check_projected", outcome(&result))?;
    let c = ctx("check_projected", (m, n), Quantity::Jacobian);
    check_result(&c, &expect_projected(f, x, case.k), &result)?;

    // check_jvp_along, check_vjp_along: the drawn directions.
    let result = run("check_jvp_along", input, || {
        oracle.check_jvp_along(f, x, &case.v)
    })?;
    unchanged("check_jvp_along")?;
    let c = Context {
        direction: Some(&case.v),
        ..ctx("check_jvp_along", (m, 1), Quantity::Jvp)
    };
    check_result(&c, &expect_jvp_along(f, x, &case.v), &result)?;
    let result = run("check_vjp_along", input, || {
        oracle.check_vjp_along(f, x, &case.u)
    })?;
    unchanged("check_vjp_along")?;
    let c = Context {
        direction: Some(&case.u),
        ..ctx("check_vjp_along", (1, n), Quantity::Vjp)
    };
    check_result(&c, &expect_vjp_along(f, x, &case.u), &result)?;

    // check_jvp, check_vjp: along the oracle's own directions, recorded by the map.
    f.jvp_log.borrow_mut().clear();
    let result = run("check_jvp", input, || oracle.check_jvp(f, x))?;
    unchanged("check_jvp")?;
    no_direction_of_its_own("check_jvp", outcome(&result))?;
    let directions = f.jvp_log.borrow().clone();
    let expect = expect_along_each(
        &directions,
        |v| expect_jvp_along(f, x, v),
        input_error(n, m, x).or_else(|| eval_error(f, x)),
    );
    check_result(&ctx("check_jvp", (m, 1), Quantity::Jvp), &expect, &result)?;
    f.vjp_log.borrow_mut().clear();
    let result = run("check_vjp", input, || oracle.check_vjp(f, x))?;
    unchanged("check_vjp")?;
    no_direction_of_its_own("check_vjp", outcome(&result))?;
    let directions = f.vjp_log.borrow().clone();
    let expect = expect_along_each(
        &directions,
        |u| expect_vjp_along(f, x, u),
        input_error(n, m, x).or_else(|| eval_error(f, x)),
    );
    check_result(&ctx("check_vjp", (1, n), Quantity::Vjp), &expect, &result)?;

    // check_adjoint
    f.jvp_log.borrow_mut().clear();
    f.vjp_log.borrow_mut().clear();
    let result = run("check_adjoint", input, || oracle.check_adjoint(f, x))?;
    unchanged("check_adjoint")?;
    no_direction_of_its_own("check_adjoint", result.as_ref().copied())?;
    let c = ctx("check_adjoint", (0, 0), Quantity::Jacobian);
    check_adjoint_result(case, &c, &result)?;

    // check_black_box: eval::<f64> as the black box, the (faulty) analytic Jacobian at x.
    let jacobian = f.jacobian_value(x);
    let jacobian_before = jacobian.clone();
    let black_box = |p: &DVector<f64>| f.eval::<f64>(p);
    let result = run("check_black_box", input, || {
        oracle.check_black_box(black_box, &jacobian, x)
    })?;
    unchanged("check_black_box")?;
    prop_assert!(
        jacobian.shape() == jacobian_before.shape()
            && jacobian
                .iter()
                .zip(jacobian_before.iter())
                .all(|(p, q)| p.to_bits() == q.to_bits()),
        "check_black_box: the Jacobian was altered"
    );
    let c = ctx(
        "check_black_box",
        (jacobian.nrows(), x.len()),
        Quantity::BlackBox,
    );
    check_result(&c, &expect_black_box(f, &jacobian, x), &result)?;
    Ok(())
}

// The seeds of the oracle's own directions (`jacobian_oracle::modes`): `check_adjoint`'s pair
// `k` is `v = direction(n, JVP_SEED + 97 + k, Some(x))` (unscaled, then shrunk, if `Jv` is not
// finite), `u = direction(m, VJP_SEED + 97 + k, None)`. [`all_checks`] verifies them against
// the directions the map is called with.
use jacobian_oracle::modes::{JVP_SEED, VJP_SEED};

/// What `check_adjoint` must return, by running its loop on the map's own products (the
/// identity's arithmetic is the same, so its outcome is exact) and predicting the
/// adjudication with the along-checks' expectations.
enum AdjointExpect {
    /// Exactly this.
    Exact(Result<(), CheckError>),
    /// `NotAdjoint` naming the non-finite entry's `Mismatch`.
    NotAdjoint,
    /// Any verdict (`Ok`, `NotAdjoint`, `CannotJudge`, `EvalDerivative`), a dual-stage error,
    /// or one of these errors (of this pair's or a later pair's adjudication): eval is suspect
    /// or finite differences are blind, so an adjudication may pass or fail.
    Loose(Vec<CheckError>),
}

fn expect_adjoint(case: &Case) -> AdjointExpect {
    let (f, x) = (&case.map, &case.x);
    let (m, n) = (f.m, f.n);
    if let Some(e) = input_error(n, m, x) {
        return AdjointExpect::Exact(Err(e));
    }
    let ulps = case.oracle().ulps();
    // Once an adjudication's outcome is uncertain, the errors the rest could end in.
    let mut loose: Option<Vec<CheckError>> = None;
    for k in 0..3u64 {
        let u = jacobian_oracle::modes::direction(m, VJP_SEED + 97 + k, None);
        // As src/modes.rs: scaled with |x|; if the product is not finite, unscaled; then, where
        // the Jacobian is finite on duals, shrunk by 2^−(⌈log₂ n⌉ + 2).
        let shrink = 2f64.powi(-(n.next_power_of_two().trailing_zeros() as i32 + 2));
        let mut v = jacobian_oracle::modes::direction(n, JVP_SEED + 97 + k, Some(x));
        let mut jv = f.jvp_value(x, &v);
        for fallback in [1.0, shrink] {
            if !nonfinite(jv.as_slice()) || (fallback != 1.0 && dual_jacobian(f, x).is_err()) {
                break;
            }
            v = jacobian_oracle::modes::direction(n, JVP_SEED + 97 + k, None) * fallback;
            jv = f.jvp_value(x, &v);
        }
        let jtu = f.vjp_value(x, &u);
        if jv.len() != m {
            return AdjointExpect::Exact(Err(CheckError::AnalyticShape {
                expected: (m, 1),
                found: (jv.len(), 1),
            }));
        }
        if jtu.len() != n {
            return AdjointExpect::Exact(Err(CheckError::AnalyticShape {
                expected: (1, n),
                found: (1, jtu.len()),
            }));
        }
        let (left, right) = (jv.dot(&u), v.dot(&jtu));
        let scale = jv.abs().dot(&u.abs()) + v.abs().dot(&jtu.abs());
        let tolerance = ulps * f64::EPSILON * scale * ((m + n) as f64).sqrt() + f64::MIN_POSITIVE;
        if tolerance.is_finite() && (left - right).abs() <= tolerance {
            continue;
        }
        // Adjudication: check_jvp_along along v, then (if that passes) check_vjp_along along u.
        for side in [expect_jvp_along(f, x, &v), expect_vjp_along(f, x, &u)] {
            match (side, loose.as_mut()) {
                (Expect::Err(e) | Expect::ErrOrVerdict(e, _), Some(errors)) => errors.push(e),
                (Expect::Err(e), None) => return AdjointExpect::Exact(Err(e)),
                (Expect::ErrOrVerdict(e, _), None) => loose = Some(vec![e]),
                (Expect::Verdict(flags), None) if flags.eval_suspect || flags.fd_blind => {
                    loose = Some(Vec::new());
                }
                (Expect::Verdict(flags), None) if flags.nonfinite => {
                    return AdjointExpect::NotAdjoint;
                }
                // A right side passes its along-check.
                (Expect::Verdict(_), _) => {}
            }
        }
    }
    match loose {
        Some(errors) => AdjointExpect::Loose(errors),
        None => AdjointExpect::Exact(Ok(())),
    }
}

fn check_adjoint_result(
    case: &Case,
    ctx: &Context<'_>,
    result: &Result<(), CheckError>,
) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        check_report(ctx, e)?;
    }
    let (f, x) = (&case.map, &case.x);
    // The seeds: the first product asked for is along the first pair's scaled direction.
    if input_error(f.n, f.m, x).is_none() {
        let first = f.jvp_log.borrow().first().cloned();
        let seeded = jacobian_oracle::modes::direction(f.n, JVP_SEED + 97, Some(x));
        prop_assert!(
            first.as_ref().is_some_and(|d| same_bits(d, &seeded)),
            "check_adjoint's first direction {:?} is not direction(n, JVP_SEED + 97, Some(x)) \
             = {:?}: update JVP_SEED/VJP_SEED in tests/garbage.rs",
            first.map(|d| d.as_slice().to_vec()),
            seeded.as_slice()
        );
    }
    let found = format!("{result:?}");
    match expect_adjoint(case) {
        AdjointExpect::Exact(expected) => prop_assert!(
            found == format!("{expected:?}"),
            "check_adjoint: expected {:?}, got {}\ninput: {:?}",
            expected,
            found,
            case
        ),
        AdjointExpect::NotAdjoint => {
            let culprit = match result {
                Err(CheckError::NotAdjoint(a)) => a.culprit.as_deref(),
                _ => None,
            };
            prop_assert!(
                matches!(culprit, Some(CheckError::Mismatch(m)) if !m.witnesses.analytic.is_finite()),
                "check_adjoint: a product has a NaN or an infinity; expected NotAdjoint naming \
                 it, got {}\ninput: {:?}",
                found,
                case
            );
        }
        AdjointExpect::Loose(e) => {
            let plausible = match result {
                Ok(())
                | Err(
                    CheckError::NotAdjoint(_)
                    | CheckError::CannotJudge(_)
                    | CheckError::EvalDerivative(_)
                    | CheckError::NonFiniteDual { .. },
                ) => true,
                Err(CheckError::EvalLength { scalar, .. }) => *scalar != "f64",
                Err(other) => e.iter().any(|e| format!("{e:?}") == format!("{other:?}")),
            };
            prop_assert!(plausible, "check_adjoint: got {}\ninput: {:?}", found, case);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/garbage.txt", 256))]

    /// Every public check, fed garbage: no panic, no NaN in `Ok`, the input untouched, the
    /// variant the input calls for.
    #[test]
    fn garbage_in_typed_errors_out(case in case()) {
        all_checks(&case)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Plain tests of the documented edge cases.
// ---------------------------------------------------------------------------------------------

fn v(xs: &[f64]) -> DVector<f64> {
    DVector::from_vec(xs.to_vec())
}

/// A garbage map with no fault: `f_i = Σ_k w_ik sin x_k + p_i x_a x_b + c_i exp(cos x_a)`.
fn clean(n: usize, m: usize, p: f64) -> Garbage {
    Garbage {
        n,
        m,
        w: vec![0.5, -1.25, 2.0, 0.75, 1.5, -0.5, 1.0, -2.0, 0.25],
        p: vec![p, -p, 0.5 * p],
        c: vec![0.5, -1.0, 0.25],
        eval_faults: Vec::new(),
        jac: AnalyticFault::Right,
        jvp: AnalyticFault::Right,
        vjp: AnalyticFault::Right,
        f32: AnalyticFault::Right,
        jvp_log: RefCell::default(),
        vjp_log: RefCell::default(),
    }
}

fn clean_scalar(n: usize, p: f64) -> GarbageScalar {
    GarbageScalar {
        n,
        w: vec![0.5, -1.25, 2.0],
        p,
        c: 0.5,
        eval_faults: Vec::new(),
        grad: AnalyticFault::Right,
        hess: AnalyticFault::Right,
    }
}

fn assert_clean_agreement(what: &str, a: &Agreement) {
    for (name, value) in [
        ("worst_analytic.abs_error", a.worst_analytic.abs_error),
        ("worst_analytic.bound", a.worst_analytic.bound),
        ("worst_rel_error", a.worst_rel_error),
    ] {
        assert!(!value.is_nan(), "{what}: {name} is NaN: {a:?}");
    }
    if let Some(fd) = a.worst_fd {
        assert!(
            !fd.abs_error.is_nan() && !fd.bound.is_nan(),
            "{what}: {a:?}"
        );
    }
    assert!(a.worst_analytic.ratio() <= 1.0, "{what}: {a}");
}

fn fd_unavailable_columns(a: &Agreement) -> usize {
    a.notes
        .iter()
        .map(|n| match n {
            Note::FiniteDifferencesUnavailable { columns } => *columns,
            _ => 0,
        })
        .sum()
}

/// `x₀ = ±f64::MAX`: `x₀ ± h` overflows, so finite differences are unavailable in that column;
/// `f` (sines and `exp(cos)`, no products) stays finite, and the dual reference decides alone.
#[test]
fn x_plus_h_overflows() {
    let o = Oracle::default();
    for x0 in [f64::MAX, -f64::MAX] {
        let x = v(&[x0, 0.5]);
        let f = clean(2, 2, 0.0);
        let a = o
            .check(&f, &x)
            .unwrap_or_else(|e| panic!("check at {x0:e}: {e}"));
        assert_clean_agreement("check", &a);
        assert_eq!(fd_unavailable_columns(&a), 1, "{:?}", a.notes);

        let g = clean_scalar(2, 0.0);
        let a = o
            .check_gradient(&g, &x)
            .unwrap_or_else(|e| panic!("check_gradient at {x0:e}: {e}"));
        assert_clean_agreement("check_gradient", &a);
        assert_eq!(fd_unavailable_columns(&a), 1, "{:?}", a.notes);
        let a = o
            .check_hessian(&g, &x)
            .unwrap_or_else(|e| panic!("check_hessian at {x0:e}: {e}"));
        assert_clean_agreement("check_hessian", &a);
        assert_eq!(fd_unavailable_columns(&a), 1, "{:?}", a.notes);

        let a = o
            .check_vjp(&f, &x)
            .unwrap_or_else(|e| panic!("check_vjp at {x0:e}: {e}"));
        assert_clean_agreement("check_vjp", &a);
        let a = o
            .check_jvp_along(&f, &x, &v(&[1.0, -0.5]))
            .unwrap_or_else(|e| panic!("check_jvp_along at {x0:e}: {e}"));
        assert_clean_agreement("check_jvp_along", &a);

        // The black box has no other reference: no verdict on that column.
        let jacobian = f.jacobian(&x);
        let err = o
            .check_black_box(|p: &DVector<f64>| f.eval::<f64>(p), &jacobian, &x)
            .unwrap_err();
        let CheckError::CannotJudge(c) = &err else {
            panic!("check_black_box at {x0:e}: expected CannotJudge, got {err:?}")
        };
        assert_eq!(c.reason, NotJudgeable::NotConverged);
        assert_eq!(c.witnesses.col, 0);
        assert!(same_bits(&c.x, &x));

        // Beyond the range of f32.
        assert_eq!(
            o.check_f32(&f, &x),
            Err(CheckError::OutOfF32Range {
                index: 0,
                value: x0
            })
        );
    }
}

/// Subnormal `x`: every check passes, with nothing to note, and `check_f32` sees them rounded
/// to 0.
#[test]
fn subnormal_x() {
    let o = Oracle::default();
    for x in [
        [5e-324, -1e-310],
        [-5e-324, 0.0],
        [f64::MIN_POSITIVE / 3.0, -0.0],
    ] {
        let x = v(&x);
        let f = clean(2, 2, 1.5);
        let g = clean_scalar(2, 1.5);
        let checks: Vec<(&str, Result<Agreement, CheckError>)> = vec![
            ("check", o.check(&f, &x)),
            ("check_gradient", o.check_gradient(&g, &x)),
            ("check_hessian", o.check_hessian(&g, &x)),
            ("check_jvp", o.check_jvp(&f, &x)),
            ("check_vjp", o.check_vjp(&f, &x)),
            ("check_projected", o.check_projected(&f, &x, 3)),
            ("check_f32", o.check_f32(&f, &x)),
            (
                "check_black_box",
                o.check_black_box(|p: &DVector<f64>| f.eval::<f64>(p), &f.jacobian(&x), &x),
            ),
        ];
        for (name, result) in checks {
            let a = result.unwrap_or_else(|e| panic!("{name} at {:?}: {e}", x.as_slice()));
            assert_clean_agreement(name, &a);
            assert_eq!(fd_unavailable_columns(&a), 0, "{name}: {:?}", a.notes);
        }
        o.check_adjoint(&f, &x)
            .unwrap_or_else(|e| panic!("check_adjoint at {:?}: {e}", x.as_slice()));
    }
}

/// `eval` overflowing only on the dual path: num-dual's `tanh(400 + sin x₀)` is 1 in `f64` but
/// has a NaN derivative, and `exp(x₀²)` at `x₀ = 26.6` is finite (1.1e307) while its derivative
/// (5.9e308) is not.
#[test]
fn eval_overflowing_only_on_the_dual_path() {
    let o = Oracle::default();
    for (fault, x0) in [(EvalFault::DualOverflow, 0.5), (EvalFault::Overflow, 26.6)] {
        let x = v(&[x0, -0.25]);
        let f = Garbage {
            eval_faults: vec![fault],
            ..clean(2, 2, 0.0)
        };
        assert!(f.eval::<f64>(&x).iter().all(|y| y.is_finite()));
        let err = o.check(&f, &x).unwrap_err();
        let CheckError::NonFiniteDual { row, col, value } = err else {
            panic!("{fault:?}: expected NonFiniteDual, got {err:?}")
        };
        // Output 0 carries the fault; x₀ is the column.
        assert_eq!((row, col), (0, 0), "{fault:?}");
        assert!(!value.is_finite());
        assert!(err.to_string().contains("dual path"), "{err}");
        for (name, result) in [
            ("check_f32", o.check_f32(&f, &x).err()),
            ("check_projected", o.check_projected(&f, &x, 2).err()),
            ("check_jvp", o.check_jvp(&f, &x).err()),
            ("check_vjp", o.check_vjp(&f, &x).err()),
        ] {
            assert!(
                matches!(result, Some(CheckError::NonFiniteDual { .. })),
                "{fault:?}, {name}: expected NonFiniteDual, got {result:?}"
            );
        }
        // The scalar version: the gradient's dual pass overflows.
        let g = GarbageScalar {
            eval_faults: vec![fault],
            ..clean_scalar(2, 0.0)
        };
        let err = o.check_gradient(&g, &x).unwrap_err();
        assert!(
            matches!(err, CheckError::NonFiniteDual { row: 0, col: 0, .. }),
            "{fault:?}, check_gradient: {err:?}"
        );
        // For a Hessian, the gradient *is* the f64 evaluation (on Dual64): it is not finite.
        let err = o.check_hessian(&g, &x).unwrap_err();
        assert!(
            matches!(err, CheckError::NonFiniteEval { index: 0, .. }),
            "{fault:?}, check_hessian: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The bugs this property found, one minimal input each, all fixed (in 50d330b and the commit
// after it): regression tests.
// ---------------------------------------------------------------------------------------------

/// `f(x) = (sin x₀)`, with a right Jacobian, and a JVP and VJP that are right unless given a
/// value to return instead.
#[derive(Default)]
struct Sine {
    jvp: Option<f64>,
    vjp: Option<f64>,
}

impl VectorFn for Sine {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|a| a.sin())
    }
}

impl AnalyticJacobian for Sine {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, x[0].cos())
    }
}

impl AnalyticJvp for Sine {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, self.jvp.unwrap_or(x[0].cos() * v[0]))
    }
}

impl AnalyticVjp for Sine {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, self.vjp.unwrap_or(x[0].cos() * u[0]))
    }
}

fn sine_black_box(p: &DVector<f64>) -> DVector<f64> {
    p.map(f64::sin)
}

#[test]
fn black_box_nan_entry_is_a_mismatch() {
    let x = v(&[0.5]);
    let nan = DMatrix::from_element(1, 1, f64::NAN);
    let err = Oracle::default()
        .check_black_box(sine_black_box, &nan, &x)
        .unwrap_err();
    // Before 50d330b: CannotJudge { reason: NotConverged, .. } (the NaN made every comparison
    // false), which proptest rejects.
    assert!(
        matches!(&err, CheckError::Mismatch(m) if m.witnesses.analytic.is_nan()),
        "{err:?}"
    );
}

#[test]
fn black_box_infinite_entry_is_a_mismatch() {
    let x = v(&[0.5]);
    for bad in [f64::INFINITY, f64::NEG_INFINITY] {
        let j = DMatrix::from_element(1, 1, bad);
        let result = Oracle::default().check_black_box(sine_black_box, &j, &x);
        // Before 50d330b: Ok(Agreement { worst_analytic: { abs_error: inf, bound: inf }, .. })
        // (its guard ulps·ε·|∞| was infinite), whose ratio() is NaN.
        assert!(
            matches!(&result, Err(CheckError::Mismatch(m)) if m.witnesses.analytic == bad),
            "{bad}: {result:?}"
        );
    }
}

#[test]
fn adjoint_with_an_infinite_product_is_not_adjoint() {
    let x = v(&[0.5]);
    for f in [
        Sine {
            jvp: Some(f64::INFINITY),
            vjp: None,
        },
        Sine {
            jvp: None,
            vjp: Some(f64::NEG_INFINITY),
        },
    ] {
        let result = Oracle::default().check_adjoint(&f, &x);
        // Before 50d330b: Ok(()) (the identity's tolerance was infinite too).
        assert!(
            matches!(&result, Err(CheckError::NotAdjoint(a))
                if matches!(a.culprit.as_deref(), Some(CheckError::Mismatch(_)))),
            "jvp {:?}, vjp {:?}: {result:?}",
            f.jvp,
            f.vjp
        );
    }
}

/// `f(x) = ln x₀`: NaN for `x₀ < 0`, with finite derivatives there on dual numbers.
struct Ln;

impl ScalarFn for Ln {
    fn input_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        x[0].ln()
    }
}

impl AnalyticGradient for Ln {
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, 1.0 / x[0])
    }
}

impl AnalyticHessian for Ln {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, -1.0 / (x[0] * x[0]))
    }
}

#[test]
fn hessian_requires_a_finite_value_of_f() {
    let x = v(&[-1.0]);
    let o = Oracle::default();
    let gradient = o.check_gradient(&Ln, &x);
    assert!(
        matches!(gradient, Err(CheckError::NonFiniteEval { index: 0, value }) if value.is_nan()),
        "{gradient:?}"
    );
    let hessian = o.check_hessian(&Ln, &x);
    // Before 50d330b: Ok(Agreement { quantity: Hessian, .. }) (only the gradient was
    // evaluated).
    assert!(
        matches!(hessian, Err(CheckError::NonFiniteEval { .. })),
        "{hessian:?}"
    );
}

/// `f(x) = (c·x₀²)`, with right derivatives computed as `c·x₀ + c·x₀` (as the garbage map does).
struct Square(f64);

impl VectorFn for Square {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|a| a * a * self.0)
    }
}

impl Square {
    fn derivative(&self, x0: f64) -> f64 {
        x0 * self.0 + x0 * self.0
    }
}

impl AnalyticJacobian for Square {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, self.derivative(x[0]))
    }
}

impl AnalyticJvp for Square {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, self.derivative(x[0]) * v[0])
    }
}

impl AnalyticVjp for Square {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, self.derivative(x[0]) * u[0])
    }
}

#[test]
fn own_directions_fall_back_when_jv_overflows() {
    let o = Oracle::default();
    let x = v(&[1e154]);
    o.check(&Square(1.0), &x)
        .unwrap_or_else(|e| panic!("check: {e}"));
    // Before 50d330b: NonFiniteDual { row: 0, col: 0, value: ±inf }: the directions, scaled by
    // |x|, made Jv overflow.
    let jvp = o.check_jvp(&Square(1.0), &x);
    assert!(
        !matches!(jvp, Err(CheckError::NonFiniteDual { .. })),
        "check_jvp: {jvp:?}"
    );
    let projected = o.check_projected(&Square(1.0), &x, 1);
    assert!(
        !matches!(projected, Err(CheckError::NonFiniteDual { .. })),
        "check_projected: {projected:?}"
    );
}

#[test]
fn own_directions_are_finite_at_f64_max() {
    let o = Oracle::default();
    for x0 in [f64::MAX, -f64::MAX] {
        let x = v(&[x0]);
        // sin is finite there; finite differences are unavailable, the dual reference decides.
        o.check(&Sine::default(), &x)
            .unwrap_or_else(|e| panic!("check at {x0:e}: {e}"));
        let adjoint = o.check_adjoint(&Sine::default(), &x);
        // Before 50d330b: Err(NonFiniteDirection { index: 0, value: inf }): |x|·(0.5…1.5).
        assert!(
            !matches!(
                adjoint,
                Err(CheckError::NonFiniteDirection { .. } | CheckError::DirectionLength { .. })
            ),
            "check_adjoint at {x0:e}: {adjoint:?}"
        );
    }
}

#[test]
fn projection_does_not_report_its_own_overflowing_product() {
    // f₀ = 0, f₁ = sin x₂ − x₁x₂: J = [[0, 0, 0], [0, −x₂, cos x₂ − x₁]].
    let f = Garbage {
        w: vec![0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
        p: vec![0.0, -1.0, 0.0],
        c: vec![0.0, 0.0, 0.0],
        ..clean(3, 2, 0.0)
    };
    let o = Oracle::default();
    let x = v(&[5e-324, 0.5883645618434249, f64::MAX]);
    o.check(&f, &x).unwrap_or_else(|e| panic!("check: {e}"));
    let projected = o.check_projected(&f, &x, 2);
    // Before 50d330b: Err(Mismatch { witnesses: { analytic: inf, dual: <finite>, .. }, .. }).
    assert!(
        !matches!(projected, Err(CheckError::Mismatch(_))),
        "check_projected: {projected:?}"
    );
}

#[test]
fn no_false_alarm_where_every_step_spans_many_periods() {
    let o = Oracle::default();
    let x = v(&[1e8]);
    let right = DMatrix::from_element(1, 1, x[0].cos());
    let black_box = o.check_black_box(sine_black_box, &right, &x);
    // Before 50d330b: Err(Mismatch(..)), "the analytic black-box Jacobian is wrong".
    assert!(
        !matches!(black_box, Err(CheckError::Mismatch(_))),
        "check_black_box at 1e8: {black_box:?}"
    );
    let x = v(&[1e15]);
    o.check(&Sine::default(), &x)
        .unwrap_or_else(|e| panic!("check at 1e15: {e}"));
    let projected = o.check_projected(&Sine::default(), &x, 2);
    // Before 50d330b: Err(EvalDerivative(..)), "eval is not differentiated correctly".
    assert!(
        !matches!(projected, Err(CheckError::EvalDerivative(_))),
        "check_projected at 1e15: {projected:?}"
    );
}

#[test]
fn vjp_reports_eval_of_the_wrong_length_on_duals() {
    let o = Oracle::default();
    let x = v(&[0.3, -0.7]);
    let u = v(&[1.25, -0.5]);
    for len in [0, 1, 3] {
        let f = Garbage {
            eval_faults: vec![EvalFault::Length {
                on: Scalars::NonF64,
                len,
            }],
            ..clean(2, 2, 1.0)
        };
        let expected = CheckError::EvalLength {
            expected: 2,
            found: len,
            scalar: "DualSVec64<8>",
        };
        assert_eq!(o.check(&f, &x).unwrap_err(), expected, "check");
        assert_eq!(
            o.check_jvp_along(&f, &x, &v(&[0.5, -1.0])).unwrap_err(),
            expected,
            "check_jvp_along"
        );
        // Before 50d330b: Ok for len = 3, EvalDerivative for len = 0 and 1 (uᵀf zipped the
        // outputs with u).
        let vjp = o.check_vjp_along(&f, &x, &u);
        assert!(
            matches!(&vjp, Err(CheckError::EvalLength { found, .. }) if *found == len),
            "check_vjp_along, {len} dual outputs: {vjp:?}"
        );
    }
}

/// `f(x) = (c·x₀)`, `c` as large as `f64::MAX`.
struct Linear(f64);

impl VectorFn for Linear {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|a| a * self.0)
    }
}

impl AnalyticJacobian for Linear {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, self.0)
    }
}

#[test]
fn overflowing_finite_differences_never_agree() {
    let a = Oracle::default()
        .check(&Linear(f64::MAX), &v(&[0.75]))
        .unwrap_or_else(|e| panic!("{e}"));
    // Before 50d330b: worst_fd = Some(EntryStat { abs_error: inf, bound: inf, .. }), whose
    // ratio() is NaN ("within NaN×" in the Display). Now the column has no finite differences.
    if let Some(fd) = a.worst_fd {
        assert!(!fd.ratio().is_nan(), "{fd:?}");
    }
    assert_eq!(fd_unavailable_columns(&a), 1, "{:?}", a.notes);
    assert!(!a.to_string().contains("NaN"), "{a}");
}

#[test]
fn product_tolerance_floor_scales_with_the_direction() {
    let f = Square(1.7142258061882762);
    let x = v(&[5e-324]);
    let u = v(&[1e300]);
    // Both are right to the rounding of subnormal numbers: 2·c·x is 1.69e-323 exactly.
    let result = Oracle::default().check_vjp_along(&f, &x, &u);
    // Before 50d330b: Err(Mismatch { analytic: 1.976e-23, dual: 1.482e-23, tolerance 1.4e-37 }).
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn no_false_mismatch_from_cancelling_terms_at_huge_scale() {
    // f(x) = sin x₀ + p·x₀x₁ + c·exp(cos x₀); Jv = J₀v₀ + J₁v₁ with both terms near 3e300,
    // cancelling to -1.9e298.
    let f = Garbage {
        w: vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        p: vec![0.9296958342542079, 0.0, 0.0],
        c: vec![0.7081136649941979, 0.0, 0.0],
        ..clean(2, 1, 0.0)
    };
    let x = v(&[-1e300, -2.5616836949795383]);
    let dir = v(&[9.579254585432882e299, -3.362203078321542]);
    let result = Oracle::default().check_jvp_along(&f, &x, &dir);
    // Before 50d330b: Err(Mismatch { analytic: -1.87934297461435e298, dual:
    // -1.87934297461439e298, .. }) (2e-14 relative; the second-order bound overflowed and was
    // dropped). Now the rounding cannot be bounded: no verdict.
    assert!(
        !matches!(result, Err(CheckError::Mismatch(_))),
        "{result:?}"
    );
}

/// `f(x) = (|x₀|)`, branching on `x₀.re()`, with a NaN analytic Jacobian.
struct Abs;

impl VectorFn for Abs {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_element(1, if x[0].re() >= 0.0 { x[0] } else { -x[0] })
    }
}

impl AnalyticJacobian for Abs {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, f64::NAN)
    }
}

#[test]
fn non_finite_entry_at_a_kink_is_a_mismatch() {
    let err = Oracle::default().check(&Abs, &v(&[0.0])).unwrap_err();
    // Today: CannotJudge { reason: NonSmooth, .. } (the dual reference is 1, finite).
    assert!(
        matches!(&err, CheckError::Mismatch(m) if m.witnesses.analytic.is_nan()),
        "{err:?}"
    );
}

/// `f(x) = (x₀ + sin x₀)`.
struct Trend;

impl VectorFn for Trend {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|a| a + a.sin())
    }
}

impl AnalyticJacobian for Trend {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, 1.0 + x[0].cos())
    }
}

#[test]
fn no_false_alarm_where_a_periodic_part_rides_on_a_trend() {
    let o = Oracle::default();
    let x = v(&[1e8]);
    let black_box = o.check_black_box(
        |p: &DVector<f64>| p.map(|a| a + a.sin()),
        &Trend.jacobian(&x),
        &x,
    );
    // Today: Err(Mismatch(..)): the differences see the slope 1, not 1 + cos x.
    assert!(
        !matches!(black_box, Err(CheckError::Mismatch(_))),
        "check_black_box at 1e8: {black_box:?}"
    );
    let x = v(&[1e20]);
    let check = o.check(&Trend, &x);
    // Today: Err(EvalDerivative(..)), "eval is not differentiated correctly".
    assert!(
        !matches!(check, Err(CheckError::EvalDerivative(_))),
        "check at 1e20: {check:?}"
    );
}

/// `f(x) = (x₀·x₁)`, with its JVP.
struct Product;

impl VectorFn for Product {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_element(1, x[0] * x[1])
    }
}

impl AnalyticJacobian for Product {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_row_slice(1, 2, &[x[1], x[0]])
    }
}

impl AnalyticJvp for Product {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        DVector::from_element(1, x[1] * v[0] + x[0] * v[1])
    }
}

#[test]
fn own_directions_shrink_where_jv_overflows_near_f64_max() {
    let o = Oracle::default();
    let x = v(&[f64::MAX, 0.0]);
    o.check(&Product, &x)
        .unwrap_or_else(|e| panic!("check: {e}"));
    // Today: Err(NonFiniteDual { row: 0, col: 0, value: -inf }) for both.
    let jvp = o.check_jvp(&Product, &x);
    assert!(
        !matches!(jvp, Err(CheckError::NonFiniteDual { .. })),
        "check_jvp: {jvp:?}"
    );
    let projected = o.check_projected(&Product, &x, 3);
    assert!(
        !matches!(projected, Err(CheckError::NonFiniteDual { .. })),
        "check_projected: {projected:?}"
    );
}
