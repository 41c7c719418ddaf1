//! The exact reference: forward-mode automatic differentiation with dual numbers.
//!
//! The Jacobian of a runtime-sized map is `n` forward passes of `eval::<Dual64>`, pass `j`
//! seeded with `ε` on `x_j`; the `ε` parts of the outputs are column `j`. Scalar duals are
//! `Copy`, so arithmetic allocates nothing; the input vector of duals is allocated once and
//! re-seeded in place, so each pass allocates only what `eval` returns.

use nalgebra::{DMatrix, DVector};
use num_dual::{Dual2, Dual64};

use crate::rounding::Bounded;

use crate::{CheckError, VectorFn};

/// `f(x)` and its Jacobian from dual numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct DualJacobian {
    /// `f(x)`, the real parts of the first pass.
    pub value: DVector<f64>,
    /// The `m×n` Jacobian, exact to rounding of `eval`'s own arithmetic.
    pub jacobian: DMatrix<f64>,
}

/// The Jacobian of `f` at `x` by `n` seeded forward passes with [`Dual64`].
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
    let mut seeded: DVector<Dual64> = x.map(Dual64::from_re);
    let mut jacobian = DMatrix::zeros(m, n);
    let mut value = DVector::zeros(0);
    for j in 0..n {
        seeded[j].eps = 1.0;
        let out = f.eval(&seeded);
        seeded[j].eps = 0.0;
        if out.len() != m {
            return Err(CheckError::EvalLength {
                expected: m,
                found: out.len(),
                scalar: "Dual64",
            });
        }
        if j == 0 {
            value = out.map(|d| d.re);
        }
        for (i, (dst, d)) in jacobian
            .column_mut(j)
            .iter_mut()
            .zip(out.iter())
            .enumerate()
        {
            // `eval::<f64>` was finite at x; a non-finite value or derivative here is the dual
            // path overflowing (the value part can go too, e.g. num-dual's tanh at |a| ≳ 711).
            if !d.eps.is_finite() || !d.re.is_finite() {
                return Err(CheckError::NonFiniteDual {
                    row: i,
                    col: j,
                    value: d.eps,
                });
            }
            *dst = d.eps;
        }
    }
    Ok(DualJacobian { value, jacobian })
}

/// What one second-order pass on column `j` tells about every output `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct SecondOrderColumn {
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
