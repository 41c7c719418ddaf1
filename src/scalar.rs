//! Views of a [`ScalarFn`] as a [`VectorFn`], so gradients and Hessians are checked by the same
//! three-witness machinery as Jacobians:
//!
//! * [`AsVectorFn`]: `f` as a map `ℝⁿ → ℝ¹`; its Jacobian is the gradient as a `1×n` row;
//! * [`GradientOf`]: the exact gradient `∇f` (computed with dual numbers) as a map `ℝⁿ → ℝⁿ`;
//!   its Jacobian is the Hessian. On dual numbers it runs `f` on nested duals
//!   (`Dual<Dual64>`), which carry exact second derivatives like hyper-dual numbers; on `f64`
//!   its finite differences are differences of exact gradients.
//!
//! ```
//! use jacobian_oracle::catalogue::LogisticRegression;
//! use jacobian_oracle::scalar::{AsVectorFn, GradientOf};
//! use jacobian_oracle::{AnalyticGradient, ScalarFn, VectorFn};
//! use nalgebra::{DMatrix, DVector};
//!
//! let nll = LogisticRegression::new(
//!     DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -0.5, 2.0, 0.25, -1.0]),
//!     DVector::from_vec(vec![1.0, 0.0, 1.0]),
//! );
//! let w = DVector::from_vec(vec![0.3, -0.2]);
//! // ℝ² → ℝ¹: the same value as the scalar function.
//! let as_vector = AsVectorFn(&nll);
//! assert_eq!((as_vector.input_dim(), as_vector.output_dim()), (2, 1));
//! assert_eq!(as_vector.eval(&w)[0], nll.eval(&w));
//! // ℝ² → ℝ²: the exact gradient, equal to the hand-written one to rounding.
//! let gradient = GradientOf(&nll).eval(&w);
//! assert!((gradient - nll.gradient(&w)).amax() < 1e-15);
//! ```

use nalgebra::{DMatrix, DVector};
use num_dual::{Dual, DualNum};

use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, ScalarFn, VectorFn};

/// A [`ScalarFn`] seen as a [`VectorFn`] with one output; with an [`AnalyticGradient`], its
/// analytic Jacobian is the gradient as a `1×n` row.
///
/// ```
/// use jacobian_oracle::scalar::AsVectorFn;
/// use jacobian_oracle::{AnalyticJacobian, VectorFn};
/// use jacobian_oracle::catalogue::LogisticRegression;
/// use nalgebra::{DMatrix, DVector};
///
/// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -1.0]), DVector::from_vec(vec![1.0, 0.0]));
/// let view = AsVectorFn(&lr);
/// assert_eq!(view.output_dim(), 1);
/// assert_eq!(view.jacobian(&DVector::from_vec(vec![0.5])).shape(), (1, 1));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AsVectorFn<'a, F: ?Sized>(pub &'a F);

impl<F: ScalarFn + ?Sized> VectorFn for AsVectorFn<'_, F> {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_element(1, self.0.eval(x))
    }
    fn rust_expr(&self) -> Option<String> {
        self.0.rust_expr()
    }
}

impl<F: AnalyticGradient + ?Sized> AnalyticJacobian for AsVectorFn<'_, F> {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let g = self.0.gradient(x);
        DMatrix::from_row_slice(1, g.len(), g.as_slice())
    }
}

/// The exact gradient of a [`ScalarFn`] as a [`VectorFn`] `ℝⁿ → ℝⁿ`: component `j` is the
/// `ε` part of `f` on duals seeded on `x_j`. With an [`AnalyticHessian`], its analytic
/// Jacobian is the Hessian.
///
/// ```
/// use jacobian_oracle::scalar::GradientOf;
/// use jacobian_oracle::{ScalarFn, VectorFn};
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// struct Cube;
/// impl ScalarFn for Cube {
///     fn input_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D { x[0] * x[0] * x[0] }
/// }
/// let g = GradientOf(&Cube).eval(&DVector::from_vec(vec![2.0]));
/// assert_eq!(g[0], 12.0);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GradientOf<'a, F: ?Sized>(pub &'a F);

impl<F: ScalarFn + ?Sized> VectorFn for GradientOf<'_, F> {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let mut seeded: DVector<Dual<D>> = x.map(Dual::from_re);
        DVector::from_fn(x.len(), |j, _| {
            seeded[j].eps = D::one();
            let g = self.0.eval(&seeded).eps;
            seeded[j].eps = D::zero();
            g
        })
    }
    fn rust_expr(&self) -> Option<String> {
        self.0.rust_expr()
    }
}

impl<F: AnalyticHessian + ?Sized> AnalyticJacobian for GradientOf<'_, F> {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        self.0.hessian(x)
    }
}
