//! Softmax, log-softmax and the cross-entropy of logits (Murphy, PML 1, sec. 2.5.2, the
//! log-sum-exp trick of sec. 2.5.4, and sec. 10.3 for the gradient `p − y`), written so that
//! logits of any finite size — in the hundreds, or `±1e300` — give finite values and
//! derivatives with full relative precision, on `f64` and on dual numbers.
//!
//! # The shift, and why it is the largest logit itself
//!
//! `softmax(x) = softmax(x − c·1)` for every `c`, and `logsumexp(x) = c + logsumexp(x − c·1)`:
//! an identity in `x` for every fixed `c`, so subtracting the plain constant
//! `c = max_k x_k.re` is exact, derivatives included (a constant carries no derivative and the
//! identity holds on a whole neighbourhood). It keeps every exponent `≤ 0`: no overflow.
//!
//! It is not enough on the dual path, though. With `s = Σ_k e^{x_k − c}` the largest term is
//! `e^{x_a − c} = 1` and `s = 1 + u`, `u = Σ_{k≠a} e^{x_k − c}`; the derivative of
//! `p_a = e^{x_a − c}/s` along `x_a` comes out of the quotient rule as `(s − 1)/s²`, and once
//! `u < ε/2` (logits more than 37 apart) `s` rounds to 1 and the dual number reports exactly
//! `0` where the true value is `p_a(1 − p_a) ≈ u`, say `e^{−300}`. The analytic Jacobian,
//! written stably, has that `e^{−300}`; compared with a reference that lost it, a correct
//! formula would be flagged. (`tests/layers.rs` shows it:
//! `a_constant_shift_loses_the_largest_derivative_on_the_dual_path`.)
//!
//! So the functions here factor the largest term out *on the dual path*:
//! `logsumexp(x) = x_a + ln(1 + u)` with `u = Σ_{k≠a} e^{x_k − x_a}` and `a = argmax_k x_k.re`.
//! This is the same identity with `c = x_a`, a function of `x`: it holds for every `x`, so
//! its derivative is exact too, and the value is the same as with the constant shift (the real
//! part of `x_k − x_a` is `x_k.re − max`). But every exponent now carries the derivative
//! `dx_k − dx_a`, so `∂u/∂x_a = −u` and `∂p_a/∂x_a = u/(1 + u)² = p_a(1 − p_a)` are computed
//! without cancellation — the softmax analogue of the stable sigmoid (a two-logit softmax *is*
//! a sigmoid). Choosing `a` by the real parts is a branch between formulas that are equal
//! everywhere, as [`VectorFn`](crate::VectorFn) asks.

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::report::vec_literal;
use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, ScalarFn, VectorFn};

/// The index of the largest real part (the first one on ties).
fn argmax<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> usize {
    let mut a = 0;
    for (k, v) in x.iter().enumerate() {
        if v.re() > x[a].re() {
            a = k;
        }
    }
    a
}

/// `a = argmax x`, and `u = Σ_{k≠a} e^{x_k − x_a} ∈ [0, n − 1]`.
fn largest_and_rest<D: DualNum<Primitive = f64> + Copy>(x: &[D]) -> (usize, D) {
    let a = argmax(x);
    let xa = x[a];
    let u = x
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != a)
        .fold(D::zero(), |acc, (_, &xk)| acc + (xk - xa).exp());
    (a, u)
}

/// `logsumexp(x) = ln Σ_k e^{x_k}`, stable for every finite `x` and generic over the scalar:
/// computed as `x_a + ln(1 + Σ_{k≠a} e^{x_k − x_a})` with `x_a` the largest logit — the shift
/// by `x_a` stays on the dual path: shifting by the plain constant `x_a.re()` is exact too,
/// but loses the derivative of the largest probability once the logits are ~37 apart.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::logsumexp;
/// use nalgebra::DVector;
/// assert_eq!(logsumexp(&DVector::from_vec(vec![1000.0, -1000.0])), 1000.0);
/// assert_eq!(logsumexp(&DVector::from_vec(vec![1e300, 1e300])), 1e300);
/// let l = logsumexp(&DVector::from_vec(vec![0.0_f64, 0.0]));
/// assert_abs_diff_eq!(l, 2.0_f64.ln(), epsilon = 1e-16);
/// ```
///
/// # Panics
///
/// If `x` is empty.
#[must_use]
pub fn logsumexp<D: DualNum<Primitive = f64> + Copy>(x: &DVector<D>) -> D {
    let (a, u) = largest_and_rest(x.as_slice());
    x[a] + u.ln_1p()
}

/// `log softmax(x)_i = x_i − logsumexp(x)`, stable for every finite `x` and generic over the
/// scalar: computed as `(x_i − x_a) − ln(1 + u)`, so the largest logit's entry is
/// `−ln(1 + u)` with no cancellation, and logits `±1e300` give `0` and `−2e300`.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::log_softmax;
/// use nalgebra::DVector;
/// let l = log_softmax(&DVector::from_vec(vec![1e300, -1e300]));
/// assert_eq!(l, DVector::from_vec(vec![0.0, -2e300]));
/// let l = log_softmax(&DVector::from_vec(vec![0.0_f64, -40.0]));
/// assert_abs_diff_eq!(l[0], -4.248354255291589e-18, epsilon = 1e-30); // −ln(1 + e^{−40})
/// ```
///
/// # Panics
///
/// If `x` is empty.
#[must_use]
pub fn log_softmax<D: DualNum<Primitive = f64> + Copy>(x: &DVector<D>) -> DVector<D> {
    let (a, u) = largest_and_rest(x.as_slice());
    let (xa, lse) = (x[a], u.ln_1p());
    x.map(|xi| (xi - xa) - lse)
}

/// `log softmax(x)_i` alone, computed as the entry `i` of [`log_softmax`] is (the same
/// operations, the same value), for callers that need one entry of many short vectors.
pub(super) fn log_softmax_entry<D: DualNum<Primitive = f64> + Copy>(x: &[D], i: usize) -> D {
    let (a, u) = largest_and_rest(x);
    (x[i] - x[a]) - u.ln_1p()
}

/// `softmax(x)_i = e^{x_i}/Σ_k e^{x_k}`, stable for every finite `x` and generic over the
/// scalar: `p_a = 1/(1 + u)` for the largest logit and `p_i = e^{x_i − x_a} p_a` for the
/// others, each to a few ulps, with no overflow and no `0/0`.
///
/// ```
/// use jacobian_oracle::catalogue::softmax;
/// use nalgebra::DVector;
/// let p = softmax(&DVector::from_vec(vec![1000.0, -1000.0]));
/// assert_eq!(p, DVector::from_vec(vec![1.0, 0.0]));
/// assert_eq!(softmax(&DVector::from_vec(vec![0.0, 0.0])), DVector::from_vec(vec![0.5, 0.5]));
/// ```
///
/// # Panics
///
/// If `x` is empty.
#[must_use]
pub fn softmax<D: DualNum<Primitive = f64> + Copy>(x: &DVector<D>) -> DVector<D> {
    let (a, u) = largest_and_rest(x.as_slice());
    let xa = x[a];
    let pa = (D::one() + u).recip();
    DVector::from_fn(
        x.len(),
        |i, _| {
            if i == a { pa } else { (x[i] - xa).exp() * pa }
        },
    )
}

/// `p = softmax(x)` and its complement `q = 1 − p`, each with full relative precision:
/// `q_a = u/(1 + u)` for the largest logit (where `1 − p_a` would cancel), `q_i = 1 − p_i`
/// for the others (`p_i ≤ ½` there, so the subtraction is exact to half an ulp).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::softmax_and_complement;
/// use nalgebra::DVector;
/// let (p, q) = softmax_and_complement(&DVector::from_vec(vec![0.0, -100.0]));
/// assert_eq!(p[0], 1.0);
/// assert_abs_diff_eq!(q[0] / (-100.0_f64).exp(), 1.0, epsilon = 1e-15); // not 1 − 1 = 0
/// assert_eq!(q[1], 1.0);
/// ```
///
/// # Panics
///
/// If `x` is empty.
#[must_use]
pub fn softmax_and_complement(x: &DVector<f64>) -> (DVector<f64>, DVector<f64>) {
    let (a, u) = largest_and_rest(x.as_slice());
    let p = softmax(x);
    let q = DVector::from_fn(x.len(), |i, _| if i == a { u * p[a] } else { 1.0 - p[i] });
    (p, q)
}

/// `p = softmax(x)` as a map `ℝⁿ → ℝⁿ`, with Jacobian `∂p/∂x = diag(p) − ppᵀ`
/// (`∂p_i/∂x_j = p_i(δ_ij − p_j)`; PML 1, sec. 2.5.2).
///
/// The diagonal `p_i(1 − p_i)` is computed as `p_i q_i` with `q` from
/// [`softmax_and_complement`], so it keeps its relative precision in saturation (`p_a ≈ 1`);
/// the Jacobian is symmetric and every row sums to 0 (`J·1 = 0`: adding a constant to every
/// logit changes nothing). `eval` is [`softmax`]: logits in the hundreds or `±1e300` give no
/// NaN, on `f64` and on dual numbers.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::Softmax;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let x = DVector::from_vec(vec![0.0, 0.0]);
/// let j = Softmax::new(2).jacobian(&x);
/// assert_eq!(j, DMatrix::from_row_slice(2, 2, &[0.25, -0.25, -0.25, 0.25]));
/// Oracle::default().check(&Softmax::new(2), &x).unwrap();
///
/// // Logits hundreds apart: p is one-hot to rounding, the Jacobian ~e^{−300}, still exact.
/// Oracle::default().check(&Softmax::new(3), &DVector::from_vec(vec![300.0, -1.0, 0.0])).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Softmax {
    /// `n`, the number of logits.
    pub n: usize,
}

impl Softmax {
    /// The softmax of `n` logits.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Softmax;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let sm = Softmax::new(4);
    /// assert_eq!((sm.input_dim(), sm.output_dim()), (4, 4));
    /// // Equal logits: uniform.
    /// let p: DVector<f64> = sm.eval(&DVector::from_element(4, 7.0));
    /// assert_eq!(p, DVector::from_element(4, 0.25));
    /// Oracle::default().check(&sm, &DVector::from_vec(vec![1.0, -2.0, 0.5, 3.0])).unwrap();
    /// ```
    #[must_use]
    pub fn new(n: usize) -> Self {
        Softmax { n }
    }
}

impl VectorFn for Softmax {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn output_dim(&self) -> usize {
        self.n
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        softmax(x)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::Softmax::new({})",
            self.n
        ))
    }
}

impl AnalyticJacobian for Softmax {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let (p, q) = softmax_and_complement(x);
        // Column j: −p_j p, with p_j q_j on the diagonal.
        let mut j = DMatrix::zeros(x.len(), x.len());
        for (k, mut col) in j.column_iter_mut().enumerate() {
            for (jik, &pi) in col.iter_mut().zip(p.iter()) {
                *jik = -pi * p[k];
            }
            col[k] = p[k] * q[k];
        }
        j
    }
}

/// `log p = log softmax(x) = x − logsumexp(x)·1` as a map `ℝⁿ → ℝⁿ`, with Jacobian
/// `∂ log p/∂x = I − 1pᵀ` (row `i` = `e_iᵀ − pᵀ`, every row the same `−pᵀ` but for its
/// diagonal `1 − p_i`; PML 1, sec. 2.5.2 and 2.5.4).
///
/// The diagonal `1 − p_i` is `q_i` from [`softmax_and_complement`], exact in saturation.
/// Note the order: `I − 1pᵀ`, not `I − p1ᵀ` (the two agree only when `p` is uniform).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::LogSoftmax;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let x = DVector::from_vec(vec![0.0, 0.0]);
/// let j = LogSoftmax::new(2).jacobian(&x);
/// assert_eq!(j, DMatrix::from_row_slice(2, 2, &[0.5, -0.5, -0.5, 0.5]));
/// Oracle::default().check(&LogSoftmax::new(3), &DVector::from_vec(vec![1e3, -1e3, 0.0])).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSoftmax {
    /// `n`, the number of logits.
    pub n: usize,
}

impl LogSoftmax {
    /// The log-softmax of `n` logits.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::catalogue::LogSoftmax;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let ls = LogSoftmax::new(2);
    /// let l: DVector<f64> = ls.eval(&DVector::from_vec(vec![5.0, 5.0]));
    /// assert_abs_diff_eq!(l[0], -2.0_f64.ln(), epsilon = 1e-16); // log ½
    /// Oracle::default().check(&ls, &DVector::from_vec(vec![0.5, -1.5])).unwrap();
    /// ```
    #[must_use]
    pub fn new(n: usize) -> Self {
        LogSoftmax { n }
    }
}

impl VectorFn for LogSoftmax {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn output_dim(&self) -> usize {
        self.n
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        log_softmax(x)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::LogSoftmax::new({})",
            self.n
        ))
    }
}

impl AnalyticJacobian for LogSoftmax {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let (p, q) = softmax_and_complement(x);
        // Column j: −p_j everywhere, q_j = 1 − p_j on the diagonal.
        let mut j = DMatrix::zeros(x.len(), x.len());
        for (k, mut col) in j.column_iter_mut().enumerate() {
            col.fill(-p[k]);
            col[k] = q[k];
        }
        j
    }
}

/// The cross-entropy of logits `x ∈ ℝⁿ` against fixed targets `y ∈ ℝⁿ`,
/// `L(x) = −Σ_i y_i log softmax(x)_i`, as a map `ℝⁿ → ℝ¹`, with gradient
/// `∂L/∂x = (Σ_i y_i) p − y`, `p = softmax(x)` (the Jacobian is the
/// `1×n` row `((Σy) p − y)ᵀ`; PML 1, sec. 10.3 for `Σy = 1`).
///
/// Targets are not required to sum to 1. For a probability vector (a one-hot label, label
/// smoothing, a teacher's distribution) `Σy = 1` and the gradient is the familiar `p − y`;
/// the map is linear in `y`, so for counts or the sum of several labels (`Σy = 2` for two
/// annotators) it is `(Σy) p − y`, and `p − y` is wrong. `eval` is written through
/// [`log_softmax`]: logits `±1e300` give a finite loss and gradient.
///
/// The gradient is computed entry by entry as `p_j Σ_{k≠j} y_k − y_j (1 − p_j)`, with `1 − p_j`
/// from [`softmax_and_complement`] and `Σ_{k≠j} y_k` from prefix and suffix sums, so a
/// confident correct prediction (`y = e_a`, `p_a ≈ 1`) has the gradient `−(1 − p_a)` with full
/// relative precision, not `p_a − 1 = 0`.
///
/// # Examples
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::CrossEntropyWithLogits;
/// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
/// use nalgebra::{DMatrix, DVector};
///
/// // Label 0 of 2, equal logits: L = ln 2, gradient p − y = (−½, ½).
/// let ce = CrossEntropyWithLogits::new(DVector::from_vec(vec![1.0, 0.0]));
/// let x = DVector::from_vec(vec![0.0, 0.0]);
/// assert_abs_diff_eq!(ce.eval(&x)[0], 2.0_f64.ln(), epsilon = 1e-16);
/// assert_eq!(ce.jacobian(&x), DMatrix::from_row_slice(1, 2, &[-0.5, 0.5]));
/// Oracle::default().check(&ce, &DVector::from_vec(vec![2.0, -1.0])).unwrap();
///
/// // Counts (Σy = 3): the gradient is 3p − y.
/// let counts = CrossEntropyWithLogits::new(DVector::from_vec(vec![2.0, 1.0]));
/// assert_eq!(counts.jacobian(&x), DMatrix::from_row_slice(1, 2, &[-0.5, 0.5]));
/// Oracle::default().check(&counts, &DVector::from_vec(vec![0.5, 3.0])).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CrossEntropyWithLogits {
    /// The targets `y` (any real vector; a probability vector in the usual case).
    pub y: DVector<f64>,
}

impl CrossEntropyWithLogits {
    /// The cross-entropy against targets `y`, one per logit.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::CrossEntropyWithLogits;
    /// use jacobian_oracle::{AnalyticGradient, Oracle};
    /// use nalgebra::DVector;
    /// let ce = CrossEntropyWithLogits::new(DVector::from_vec(vec![0.0, 1.0, 0.0]));
    /// // Equal logits, label 1: the gradient p − y = (⅓, −⅔, ⅓).
    /// let g = ce.gradient(&DVector::from_vec(vec![0.0, 0.0, 0.0]));
    /// assert!((g - DVector::from_vec(vec![1.0 / 3.0, -2.0 / 3.0, 1.0 / 3.0])).amax() < 1e-15);
    /// Oracle::default().check_gradient(&ce, &DVector::from_vec(vec![1.0, 2.0, -1.0])).unwrap();
    /// ```
    #[must_use]
    pub fn new(y: DVector<f64>) -> Self {
        CrossEntropyWithLogits { y }
    }

    /// `Σ_{k≠j} y_k` for every `j`, from prefix and suffix sums (no `Σy − y_j` cancellation).
    fn sums_of_others(&self) -> DVector<f64> {
        let n = self.y.len();
        let mut out = DVector::zeros(n);
        let mut prefix = 0.0;
        for j in 0..n {
            out[j] = prefix;
            prefix += self.y[j];
        }
        let mut suffix = 0.0;
        for j in (0..n).rev() {
            out[j] += suffix;
            suffix += self.y[j];
        }
        out
    }
}

impl VectorFn for CrossEntropyWithLogits {
    fn input_dim(&self) -> usize {
        self.y.len()
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let l = log_softmax(x)
            .iter()
            .zip(self.y.iter())
            .fold(D::zero(), |acc, (&lp, &yi)| acc - lp * yi);
        DVector::from_element(1, l)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::CrossEntropyWithLogits::new(nalgebra::DVector::from_vec({}))",
            vec_literal(&self.y)
        ))
    }
}

impl AnalyticJacobian for CrossEntropyWithLogits {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let (p, q) = softmax_and_complement(x);
        let others = self.sums_of_others();
        DMatrix::from_fn(1, x.len(), |_, j| p[j] * others[j] - self.y[j] * q[j])
    }
}

/// The same loss as a scalar function, for [`Oracle::check_gradient`](crate::Oracle::check_gradient) and
/// [`Oracle::check_hessian`](crate::Oracle::check_hessian): gradient `(Σy) p − y` and Hessian
/// `(Σy)(diag(p) − ppᵀ)` (independent of how `y` is spread; `H·1 = 0`). The diagonal
/// `p_i(1 − p_i)` is computed as `p_i q_i` from [`softmax_and_complement`]: the textbook
/// `p_i − p_i²` loses all relative precision when `p_i ≈ 1`, and there the oracle flags it —
/// the gradient it differentiates is itself tiny, so the rounding model of the output has
/// nothing to attribute an error of `ε` to (a formula of PML 1 that needs care).
///
/// ```
/// use jacobian_oracle::catalogue::CrossEntropyWithLogits;
/// use jacobian_oracle::{AnalyticHessian, Oracle};
/// use nalgebra::DVector;
///
/// let ce = CrossEntropyWithLogits::new(DVector::from_vec(vec![1.0, 0.0, 0.0]));
/// let logits = DVector::from_vec(vec![2.0, -1.0, 40.0]);
/// Oracle::default().check_gradient(&ce, &logits).unwrap();
/// Oracle::default().check_hessian(&ce, &logits).unwrap();
/// assert!(ce.hessian(&logits).row_sum().amax() < 1e-15);
/// ```
impl ScalarFn for CrossEntropyWithLogits {
    fn input_dim(&self) -> usize {
        self.y.len()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        VectorFn::eval(self, x)[0]
    }
    fn rust_expr(&self) -> Option<String> {
        VectorFn::rust_expr(self)
    }
}

impl AnalyticGradient for CrossEntropyWithLogits {
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        self.jacobian(x).row(0).transpose()
    }
}

impl AnalyticHessian for CrossEntropyWithLogits {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let (p, q) = softmax_and_complement(x);
        let total: f64 = self.y.sum();
        let mut h = -(&p * p.transpose());
        for i in 0..p.len() {
            h[(i, i)] = p[i] * q[i];
        }
        h * total
    }
}
