//! The two traits a map implements to be checked: [`VectorFn`] (the map, written once,
//! generic over the scalar) and [`AnalyticJacobian`] (the hand-written derivative under test).

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// A map `f: ℝⁿ → ℝᵐ`, written once, generic over the scalar, so the oracle can run it on
/// `f64` (values and finite differences) and on dual numbers (forward-mode AD).
///
/// # Writing `eval`
///
/// Everything that depends on `x` must stay on the dual path: use the scalar `D` for every
/// intermediate, and branch only on `a.re()` to pick between formulas that are both right on
/// their branch. A value computed from `x[j].re()` and wrapped back with `D::from(..)`
/// silently drops its derivative; the oracle reports that as
/// [`CheckError::EvalDerivative`](crate::CheckError::EvalDerivative).
///
/// Known trap (num-dual 0.15): `tanh` of a dual number is computed through `sinh`/`cosh`,
/// so its derivative is NaN from `|a| ≈ 355` and its value from `|a| ≈ 711`. Write a stable
/// form instead, one whose exponentials never overflow: `(1 − e^{−2|a|})/(1 + e^{−2|a|})`
/// with the sign of `a`. (`1 − 2/(1 + e^{2a})` is *not* stable on duals: `e^{800}`
/// overflows and its derivative becomes NaN.)
///
/// # Examples
///
/// ```
/// use jacobian_oracle::VectorFn;
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// /// f(x) = (x₀·x₁, sin x₀)
/// struct Product;
/// impl VectorFn for Product {
///     fn input_dim(&self) -> usize { 2 }
///     fn output_dim(&self) -> usize { 2 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         DVector::from_vec(vec![x[0] * x[1], x[0].sin()])
///     }
/// }
/// let y = Product.eval(&DVector::from_vec(vec![2.0, 3.0]));
/// assert_eq!(y[0], 6.0);
/// ```
pub trait VectorFn {
    /// `n`, the length of the input `x`.
    ///
    /// ```
    /// use jacobian_oracle::VectorFn;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::DMatrix;
    /// // z = σ(Wx) with W of shape 2×3 takes x ∈ ℝ³.
    /// assert_eq!(SigmoidLayer::new(DMatrix::zeros(2, 3)).input_dim(), 3);
    /// ```
    fn input_dim(&self) -> usize;

    /// `m`, the length of the output `f(x)`.
    ///
    /// ```
    /// use jacobian_oracle::VectorFn;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::DMatrix;
    /// // z = σ(Wx) with W of shape 2×3 returns z ∈ ℝ².
    /// assert_eq!(SigmoidLayer::new(DMatrix::zeros(2, 3)).output_dim(), 2);
    /// ```
    fn output_dim(&self) -> usize;

    /// `f(x)`, for any scalar: `f64` or a dual number.
    ///
    /// ```
    /// use jacobian_oracle::VectorFn;
    /// use jacobian_oracle::catalogue::Sigmoid;
    /// use nalgebra::DVector;
    /// use num_dual::Dual64;
    ///
    /// // On f64: the value.
    /// assert_eq!(Sigmoid.eval(&DVector::from_vec(vec![0.0])), DVector::from_vec(vec![0.5]));
    /// // On a dual number seeded with 1: the value and the exact derivative σ'(0) = 1/4.
    /// let y = Sigmoid.eval(&DVector::from_vec(vec![Dual64::new(0.0, 1.0)]));
    /// assert_eq!((y[0].re, y[0].eps), (0.5, 0.25));
    /// ```
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D>;

    /// A Rust expression that rebuilds this map, such as
    /// `my_crate::Layer::new(nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]))`;
    /// write paths in full, so the snippet compiles without imports.
    ///
    /// Used in the paste-ready reproduction snippet of a failure report. The default,
    /// `None`, leaves a placeholder for the user to fill in.
    ///
    /// ```
    /// use jacobian_oracle::VectorFn;
    /// use jacobian_oracle::catalogue::Sigmoid;
    /// assert_eq!(Sigmoid.rust_expr().as_deref(), Some("jacobian_oracle::catalogue::Sigmoid"));
    /// ```
    fn rust_expr(&self) -> Option<String> {
        None
    }
}

/// The implementation under test: the `m×n` Jacobian of a [`VectorFn`] at `x`,
/// row `i` = `∂f_i/∂x`.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// f(x) = x ∘ x, with Jacobian diag(2x).
/// struct Square;
/// impl VectorFn for Square {
///     fn input_dim(&self) -> usize { 3 }
///     fn output_dim(&self) -> usize { 3 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(|xi| xi * xi)
///     }
/// }
/// impl AnalyticJacobian for Square {
///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
///         DMatrix::from_diagonal(&(x * 2.0))
///     }
/// }
/// let x = DVector::from_vec(vec![1.0, -2.0, 0.5]);
/// assert!(Oracle::default().check(&Square, &x).is_ok());
/// ```
pub trait AnalyticJacobian: VectorFn {
    /// The hand-written `m×n` Jacobian at `x`.
    ///
    /// ```
    /// use jacobian_oracle::AnalyticJacobian;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    /// // At x = 0, z = 1/2 and z(1 − z) = 1/4: the Jacobian is W/4, of shape m×n.
    /// let j = layer.jacobian(&DVector::zeros(3));
    /// assert_eq!(j.shape(), (2, 3));
    /// assert_eq!(j, layer.w / 4.0);
    /// ```
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64>;
}

/// A scalar function `f: ℝⁿ → ℝ` (a loss, a log-likelihood), written once, generic over the
/// scalar, so the oracle can run it on `f64`, on dual numbers (gradients) and on nested dual
/// numbers (Hessians, exact to rounding like hyper-dual numbers).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::ScalarFn;
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// /// f(x) = ½‖x‖²
/// struct HalfNormSquared(usize);
/// impl ScalarFn for HalfNormSquared {
///     fn input_dim(&self) -> usize { self.0 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
///         x.iter().fold(D::zero(), |acc, &xi| acc + xi * xi) * 0.5
///     }
/// }
/// assert_eq!(HalfNormSquared(2).eval(&DVector::from_vec(vec![3.0, 4.0])), 12.5);
/// ```
pub trait ScalarFn {
    /// `n`, the length of the input `x`.
    ///
    /// ```
    /// use jacobian_oracle::ScalarFn;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    /// // Three samples of two features: the weights w ∈ ℝ².
    /// let lr = LogisticRegression::new(DMatrix::zeros(3, 2), DVector::zeros(3));
    /// assert_eq!(lr.input_dim(), 2);
    /// ```
    fn input_dim(&self) -> usize;

    /// `f(x)`, for any scalar: `f64` or a (nested) dual number.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::ScalarFn;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    /// use num_dual::Dual64;
    ///
    /// // At w = 0 every probability is 1/2: the average negative log-likelihood is ln 2.
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -3.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// assert_abs_diff_eq!(lr.eval(&DVector::from_vec(vec![0.0])), std::f64::consts::LN_2, epsilon = 1e-15);
    /// // On a dual number: dL/dw = Xᵀ(μ − y)/N = (1·(½ − 1) + (−3)·(½ − 0))/2 = −1.
    /// let l = lr.eval(&DVector::from_vec(vec![Dual64::new(0.0, 1.0)]));
    /// assert_abs_diff_eq!(l.eps, -1.0, epsilon = 1e-15);
    /// ```
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D;

    /// A Rust expression that rebuilds this function, with full paths (see
    /// [`VectorFn::rust_expr`]). `None` by default.
    ///
    /// ```
    /// use jacobian_oracle::ScalarFn;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(1, 1, &[1.0]), DVector::from_vec(vec![1.0]));
    /// assert!(lr.rust_expr().unwrap().starts_with("jacobian_oracle::catalogue::LogisticRegression::new("));
    /// ```
    fn rust_expr(&self) -> Option<String> {
        None
    }
}

/// The hand-written gradient of a [`ScalarFn`], checked by
/// [`Oracle::check_gradient`](crate::Oracle::check_gradient).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticGradient, Oracle, ScalarFn};
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// struct HalfNormSquared(usize);
/// impl ScalarFn for HalfNormSquared {
///     fn input_dim(&self) -> usize { self.0 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
///         x.iter().fold(D::zero(), |acc, &xi| acc + xi * xi) * 0.5
///     }
/// }
/// impl AnalyticGradient for HalfNormSquared {
///     fn gradient(&self, x: &DVector<f64>) -> DVector<f64> { x.clone() }
/// }
/// Oracle::default().check_gradient(&HalfNormSquared(3), &DVector::from_vec(vec![1.0, -2.0, 0.5])).unwrap();
/// ```
pub trait AnalyticGradient: ScalarFn {
    /// The hand-written gradient `∇f(x)`, length `n`.
    ///
    /// ```
    /// use jacobian_oracle::AnalyticGradient;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // ∇L(w) = Xᵀ(μ − y)/N; at w = 0, μ = ½ and ∇L = (1·(½ − 1) + (−3)·(½ − 0))/2 = −1.
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -3.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// assert_eq!(lr.gradient(&DVector::from_vec(vec![0.0])), DVector::from_vec(vec![-1.0]));
    /// ```
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64>;
}

/// The hand-written Hessian of a [`ScalarFn`], checked by
/// [`Oracle::check_hessian`](crate::Oracle::check_hessian).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticHessian, Oracle, ScalarFn};
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// f(x) = x₀² x₁
/// struct F;
/// impl ScalarFn for F {
///     fn input_dim(&self) -> usize { 2 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D { x[0] * x[0] * x[1] }
/// }
/// impl AnalyticHessian for F {
///     fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
///         DMatrix::from_row_slice(2, 2, &[2.0 * x[1], 2.0 * x[0], 2.0 * x[0], 0.0])
///     }
/// }
/// Oracle::default().check_hessian(&F, &DVector::from_vec(vec![1.5, -2.0])).unwrap();
/// ```
pub trait AnalyticHessian: ScalarFn {
    /// The hand-written Hessian `∇²f(x)`, `n×n`, entry `(j, k)` = `∂²f/∂x_j∂x_k`.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::AnalyticHessian;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // ∇²L(w) = XᵀSX/N with S = diag(μ(1 − μ)); at w = 0, S = I/4: (1 + 9)/4/2 = 1.25.
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -3.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// let h = lr.hessian(&DVector::from_vec(vec![0.0]));
    /// assert_eq!(h.shape(), (1, 1));
    /// assert_abs_diff_eq!(h[(0, 0)], 1.25, epsilon = 1e-15);
    /// ```
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64>;
}
