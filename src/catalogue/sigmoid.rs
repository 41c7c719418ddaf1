//! The logistic sigmoid and its derivative (Murphy, PML 1, sec. 13.4.3, eq. 13.73).

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::{AnalyticJacobian, VectorFn};

/// The logistic sigmoid `σ(a) = 1/(1 + e^{−a})`, numerically stable for every finite `a`
/// and generic over the scalar.
///
/// For `a ≥ 0` it computes `1/(1 + e^{−a})`, for `a < 0` the equal `e^{a}/(1 + e^{a})`, so the
/// exponential never overflows: no NaN or infinity for any finite input (`σ(±1000)` is
/// exactly 1 and 0), and on dual numbers the derivative is exact to rounding down to
/// underflow. Branching on `a.re()` is safe: both branches are the same function.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::sigmoid;
/// assert_eq!(sigmoid(0.0), 0.5);
/// assert_eq!(sigmoid(1000.0), 1.0);
/// assert_eq!(sigmoid(-1000.0), 0.0);
/// assert_abs_diff_eq!(sigmoid(-40.0_f64), 4.248354255291589e-18, epsilon = 1e-30);
/// ```
#[must_use]
pub fn sigmoid<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    if a.re() >= 0.0 {
        (D::one() + (-a).exp()).recip()
    } else {
        let e = a.exp();
        e / (D::one() + e)
    }
}

/// The textbook derivative `σ'(a) = σ(a)(1 − σ(a))` (PML 1, eq. 13.73).
///
/// Exact to about `ε` in absolute terms, but with no relative precision once `σ(a)` rounds to
/// 1 (`a ≳ 37`, where the true value is `≈ e^{−a}`): the oracle accepts it there with a
/// precision-loss note. [`sigmoid_derivative_stable`] keeps full relative precision.
///
/// ```
/// use jacobian_oracle::catalogue::sigmoid_derivative;
/// assert_eq!(sigmoid_derivative(0.0), 0.25);
/// assert_eq!(sigmoid_derivative(40.0), 0.0); // true value 4.2e-18
/// ```
#[must_use]
pub fn sigmoid_derivative(a: f64) -> f64 {
    let z = sigmoid(a);
    z * (1.0 - z)
}

/// `σ'(a) = σ(a)·σ(−a)`: the same derivative with full relative precision everywhere.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::sigmoid_derivative_stable;
/// let d = sigmoid_derivative_stable(40.0);
/// assert_abs_diff_eq!(d / 4.248354255291589e-18, 1.0, epsilon = 1e-14);
/// ```
#[must_use]
pub fn sigmoid_derivative_stable(a: f64) -> f64 {
    sigmoid(a) * sigmoid(-a)
}

/// The scalar sigmoid `z = σ(a)` as a map `ℝ¹ → ℝ¹`, with the textbook Jacobian
/// `[σ(a)(1 − σ(a))]` (PML 1, sec. 13.4.3, eq. 13.73).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::Sigmoid;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let oracle = Oracle::default();
/// for a in [-800.0, -40.0, -1.0, 0.0, 0.5, 37.0, 300.0] {
///     oracle.check(&Sigmoid, &DVector::from_vec(vec![a])).unwrap();
/// }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sigmoid;

impl VectorFn for Sigmoid {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(sigmoid)
    }
    fn rust_expr(&self) -> Option<String> {
        Some("jacobian_oracle::catalogue::Sigmoid".into())
    }
}

impl AnalyticJacobian for Sigmoid {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, sigmoid_derivative(x[0]))
    }
}
