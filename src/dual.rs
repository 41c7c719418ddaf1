//! The exact reference: forward-mode automatic differentiation with dual numbers.
//!
//! The Jacobian of a runtime-sized map is `⌈n/8⌉` forward passes of `eval` on vector dual
//! numbers (`DualSVec64<8>`), pass `p` seeded with the unit directions of `x_{8p}…x_{8p+7}`;
//! the derivative parts of the outputs are those eight columns. Statically sized duals are
//! `Copy`, so arithmetic allocates nothing; the input vector of duals is allocated once and
//! re-seeded in place, so each pass allocates only what `eval` returns.
//!
//! ```
//! use jacobian_oracle::catalogue::SigmoidLayer;
//! use jacobian_oracle::dual::dual_jacobian;
//! use jacobian_oracle::AnalyticJacobian;
//! use nalgebra::{DMatrix, DVector};
//!
//! // A 3×11 layer: two passes (eight columns, then three), exact to rounding.
//! let w = DMatrix::from_fn(3, 11, |i, j| (i as f64 - 1.0) * 0.5 + (j as f64) * 0.125);
//! let layer = SigmoidLayer::new(w);
//! let x = DVector::from_fn(11, |j, _| (j as f64 - 5.0) / 4.0);
//! let reference = dual_jacobian(&layer, &x).unwrap();
//! let analytic = layer.jacobian(&x);
//! assert_eq!(reference.jacobian.shape(), (3, 11));
//! assert!((reference.jacobian - &analytic).amax() <= 8.0 * f64::EPSILON * analytic.amax());
//! ```

use nalgebra::{DMatrix, DVector, SVector};
use num_dual::{Derivative, Dual2, Dual64, DualSVec64, DualVec};

use crate::rounding::Bounded;

use crate::{CheckError, VectorFn};

/// `f(x)` and its Jacobian from dual numbers.
///
/// ```
/// use jacobian_oracle::VectorFn;
/// use jacobian_oracle::dual::dual_jacobian;
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// f(x) = (x₀²x₁, x₁³)
/// struct Poly;
/// impl VectorFn for Poly {
///     fn input_dim(&self) -> usize { 2 }
///     fn output_dim(&self) -> usize { 2 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         DVector::from_vec(vec![x[0] * x[0] * x[1], x[1] * x[1] * x[1]])
///     }
/// }
///
/// let r = dual_jacobian(&Poly, &DVector::from_vec(vec![3.0, 2.0])).unwrap();
/// assert_eq!(r.value, DVector::from_vec(vec![18.0, 8.0]));
/// // [[2x₀x₁, x₀²], [0, 3x₁²]], exactly
/// assert_eq!(r.jacobian, DMatrix::from_row_slice(2, 2, &[12.0, 9.0, 0.0, 12.0]));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DualJacobian {
    /// `f(x)`, the real parts of the first pass.
    pub value: DVector<f64>,
    /// The `m×n` Jacobian, exact to rounding of `eval`'s own arithmetic.
    pub jacobian: DMatrix<f64>,
}

/// The Jacobian of `f` at `x` by forward passes on vector dual numbers, [`LANES`] seeded
/// columns per pass.
///
/// Checks that every pass returns `output_dim()` values and that values and derivatives are
/// finite on the dual path (a non-finite one is the num-dual `tanh` trap, or another overflow
/// on the dual path; the entry named is the first non-finite one found, which may be an
/// entry whose true value is 0 when num-dual computes `0·∞`).
///
/// # Errors
///
/// [`CheckError::EvalLength`], [`CheckError::NonFiniteDual`].
/// `x` must already have length `input_dim()` and be finite (see [`crate::Oracle::check`]).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::dual::dual_jacobian;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[2.0, -1.0]));
/// let r = dual_jacobian(&layer, &DVector::from_vec(vec![0.0, 0.0])).unwrap();
/// assert_eq!(r.value[0], 0.5);
/// // σ'(0) = 1/4, times W
/// assert_eq!(r.jacobian[(0, 0)], 0.5);
/// assert_eq!(r.jacobian[(0, 1)], -0.25);
/// ```
pub fn dual_jacobian<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
) -> Result<DualJacobian, CheckError> {
    let n = x.len();
    let m = f.output_dim();
    let mut seeded: DVector<DualSVec64<LANES>> = x.map(DualVec::from_re);
    let mut jacobian = DMatrix::zeros(m, n);
    let mut value = DVector::zeros(0);
    for start in (0..n).step_by(LANES) {
        let end = (start + LANES).min(n);
        for j in start..end {
            seeded[j].eps = Derivative::some(SVector::ith(j - start, 1.0));
        }
        let out = f.eval(&seeded);
        for j in start..end {
            seeded[j].eps = Derivative::none();
        }
        if out.len() != m {
            return Err(CheckError::EvalLength {
                expected: m,
                found: out.len(),
                scalar: "DualSVec64<8>",
            });
        }
        if start == 0 {
            value = out.map(|d| d.re);
        }
        for (i, d) in out.iter().enumerate() {
            for j in start..end {
                let eps = d.eps.0.as_ref().map_or(0.0, |e| e[j - start]);
                // `eval::<f64>` was finite at x; a non-finite value or derivative here is the
                // dual path overflowing (the value can go too: num-dual's tanh at |a| ≳ 711).
                if !eps.is_finite() || !d.re.is_finite() {
                    return Err(CheckError::NonFiniteDual {
                        row: i,
                        col: j,
                        value: eps,
                    });
                }
                jacobian[(i, j)] = eps;
            }
        }
    }
    Ok(DualJacobian { value, jacobian })
}

/// `J v_p` for up to [`LANES`] directions `v_p` (the columns of `directions`) in one pass of
/// `eval` on vector dual numbers, each input seeded with its row of `directions`: the exact
/// references of [`crate::Oracle::check_projected`]. `None` if the pass does not return `m`
/// finite values and derivatives.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::dual::{directional_derivatives, dual_jacobian};
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0]));
/// let x = DVector::from_vec(vec![0.3, -0.7]);
/// let v = DMatrix::from_row_slice(2, 2, &[1.0, 0.5, -1.0, 2.0]); // two directions
/// let jv = directional_derivatives(&layer, &x, &v).unwrap();
/// let j = dual_jacobian(&layer, &x).unwrap().jacobian;
/// assert!((jv - &j * &v).amax() < 1e-15);
/// ```
#[must_use]
pub fn directional_derivatives<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    directions: &DMatrix<f64>,
) -> Option<DMatrix<f64>> {
    // As few lanes as the directions need: a lane costs about one multiplication per
    // arithmetic operation of eval, used or not.
    match directions.ncols() {
        0..=1 => seeded_passes::<F, 1>(f, x, directions),
        2 => seeded_passes::<F, 2>(f, x, directions),
        3..=4 => seeded_passes::<F, 4>(f, x, directions),
        _ => seeded_passes::<F, LANES>(f, x, directions),
    }
}

/// [`directional_derivatives`] on `DualSVec64<N>`, `N` directions per pass.
fn seeded_passes<F: VectorFn + ?Sized, const N: usize>(
    f: &F,
    x: &DVector<f64>,
    directions: &DMatrix<f64>,
) -> Option<DMatrix<f64>> {
    let m = f.output_dim();
    let k = directions.ncols();
    let mut out = DMatrix::zeros(m, k);
    // The input is allocated once and re-seeded in place for each pass.
    let mut seeded: DVector<DualSVec64<N>> = x.map(DualVec::from_re);
    for start in (0..k).step_by(N) {
        let end = (start + N).min(k);
        for (l, s) in seeded.iter_mut().enumerate() {
            s.eps = Derivative::some(SVector::from_fn(|p, _| {
                if start + p < end {
                    directions[(l, start + p)]
                } else {
                    0.0
                }
            }));
        }
        let values = f.eval(&seeded);
        if values.len() != m {
            return None;
        }
        for (i, d) in values.iter().enumerate() {
            for p in start..end {
                let e = d.eps.0.as_ref().map_or(0.0, |e| e[p - start]);
                if !e.is_finite() || !d.re.is_finite() {
                    return None;
                }
                out[(i, p)] = e;
            }
        }
    }
    Some(out)
}

/// Columns of the Jacobian computed per dual pass by [`dual_jacobian`]: `eval` runs on
/// `DualSVec64<8>`, eight seeded directions at once, which costs about a quarter of an `f64`
/// evaluation per direction where eight separate `Dual64` passes cost about two.
///
/// ```
/// use jacobian_oracle::VectorFn;
/// use jacobian_oracle::dual::{LANES, dual_jacobian};
/// use nalgebra::DVector;
/// use num_dual::DualNum;
/// use std::cell::Cell;
///
/// /// f(x) = Σ x_k², counting the passes of `eval`.
/// struct SumOfSquares { n: usize, passes: Cell<usize> }
/// impl VectorFn for SumOfSquares {
///     fn input_dim(&self) -> usize { self.n }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         self.passes.set(self.passes.get() + 1);
///         DVector::from_element(1, x.iter().fold(D::zero(), |s, &v| s + v * v))
///     }
/// }
///
/// assert_eq!(LANES, 8);
/// let f = SumOfSquares { n: LANES + 1, passes: Cell::new(0) };
/// let x = DVector::from_fn(LANES + 1, |j, _| j as f64);
/// let r = dual_jacobian(&f, &x).unwrap();
/// assert_eq!(f.passes.get(), 2); // ⌈9/8⌉
/// assert_eq!(r.jacobian.row(0).transpose(), x.map(|v| 2.0 * v));
/// ```
pub const LANES: usize = 8;

/// What one second-order pass on column `j` tells about every output `i`.
///
/// ```
/// use jacobian_oracle::VectorFn;
/// use jacobian_oracle::dual::second_order_column;
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// /// f(x) = x³
/// struct Cube;
/// impl VectorFn for Cube {
///     fn input_dim(&self) -> usize { 1 }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(|v| v * v * v)
///     }
/// }
///
/// let c = second_order_column(&Cube, &DVector::from_vec(vec![2.0]), 0).unwrap();
/// assert_eq!(c.derivative[0], 12.0); // 3x²
/// assert_eq!(c.curvature[0], 12.0); // 6x
/// assert!(c.derivative_bound[0] > 0.0 && c.derivative_bound[0] < 1e-13);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOrderColumn {
    /// `∂f_i/∂x_j` (the first-order part of the same pass).
    pub derivative: DVector<f64>,
    /// `∂²f_i/∂x_j²`.
    pub curvature: DVector<f64>,
    /// The running rounding bound of `∂f_i/∂x_j` as `eval` computes it on dual numbers
    /// ([`crate::rounding`]).
    pub derivative_bound: DVector<f64>,
}

/// Column `j`'s second derivatives and the rounding bounds of its first derivatives, from one
/// pass of `eval` on second-order duals over bounded numbers (`Dual2<Bounded>`), seeded on
/// `x_j`. The oracle uses them for the tolerance of entries that do not agree to a few ulps
/// (see [`crate::tolerance`]). `None` if the pass does not return `output_dim()` values.
///
/// ```
/// use jacobian_oracle::catalogue::Sigmoid;
/// use jacobian_oracle::dual::second_order_column;
/// use nalgebra::DVector;
///
/// let c = second_order_column(&Sigmoid, &DVector::from_vec(vec![0.0]), 0).unwrap();
/// assert_eq!(c.curvature[0], 0.0); // σ''(0) = 0
/// assert!(c.derivative_bound[0] > 0.0 && c.derivative_bound[0] < 1e-15);
/// ```
#[must_use]
pub fn second_order_column<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    j: usize,
) -> Option<SecondOrderColumn> {
    let mut seeded: DVector<Dual2<Bounded>> = x.map(|v| Dual2::from_re(Bounded::exact(v)));
    seeded[j].v1 = Bounded::exact(1.0);
    let out = f.eval(&seeded);
    (out.len() == f.output_dim()).then(|| SecondOrderColumn {
        derivative: out.map(|d| d.v1.value()),
        curvature: out.map(|d| d.v2.value()),
        derivative_bound: out.map(|d| d.v1.bound()),
    })
}

/// Column `j` of the Jacobian of `f` at `x` from one [`Dual64`] pass seeded on `x_j`, or `None`
/// if a value or derivative is not finite.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::dual::dual_column;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[2.0, -1.0]));
/// let c = dual_column(&layer, &DVector::from_vec(vec![0.0, 0.0]), 1).unwrap();
/// assert_eq!(c[0], -0.25);
/// ```
#[must_use]
pub fn dual_column<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    j: usize,
) -> Option<DVector<f64>> {
    let mut seeded: DVector<Dual64> = x.map(Dual64::from_re);
    seeded[j].eps = 1.0;
    let out = f.eval(&seeded);
    out.iter()
        .all(|d| d.re.is_finite() && d.eps.is_finite())
        .then(|| out.map(|d| d.eps))
}
