//! Implementations computed in `f32`, checked against the `f64` references with tolerances
//! derived from `f32` rounding.
//!
//! The input is rounded to `f32` first and the references are computed at exactly that point
//! (as `f64`), so the rounding of `x` is not counted against the implementation. Every part of
//! the analytic tolerance is then in units of `f32::EPSILON` instead of `f64::EPSILON`: the
//! relative part, the matrix's norm-wise rounding, the rounding sensitivity of the outputs
//! (which an `f32` forward pass computes to `f32` precision) and the rounding of the terms.
//! The witnesses themselves (dual numbers, finite differences) stay `f64`.
//!
//! ```
//! use jacobian_oracle::{AnalyticJacobianF32, CheckError, Oracle, VectorFn};
//! use nalgebra::{DMatrix, DVector};
//! use num_dual::DualNum;
//!
//! /// f(x) = x ∘ x, whose Jacobian an f32 implementation computes as diag(2x) — or wrongly
//! /// as diag(x) when `wrong`.
//! struct Square { wrong: bool }
//! impl VectorFn for Square {
//!     fn input_dim(&self) -> usize { 3 }
//!     fn output_dim(&self) -> usize { 3 }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
//!         x.map(|v| v * v)
//!     }
//! }
//! impl AnalyticJacobianF32 for Square {
//!     fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
//!         DMatrix::from_diagonal(&x.map(|v| if self.wrong { v } else { 2.0 * v }))
//!     }
//! }
//! let x = DVector::from_vec(vec![0.1, -1.7, 3.3]); // not representable in f32: rounded first
//! Oracle::default().check_f32(&Square { wrong: false }, &x).unwrap();
//! let err = Oracle::default().check_f32(&Square { wrong: true }, &x).unwrap_err();
//! assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
//! ```

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::report::{Agreement, Quantity};
use crate::{AnalyticJacobian, CheckError, Oracle, VectorFn};

/// The implementation under test, computed in `f32`: the `m×n` Jacobian at an `f32` input.
/// `eval` (of [`VectorFn`]) is the exact map the references differentiate, in `f64` and on
/// dual numbers.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticJacobianF32, Oracle, VectorFn};
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// z = tanh(x) elementwise; its f32 Jacobian diag(1 − z²).
/// struct Tanh(usize);
/// impl VectorFn for Tanh {
///     fn input_dim(&self) -> usize { self.0 }
///     fn output_dim(&self) -> usize { self.0 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(jacobian_oracle::catalogue::tanh)
///     }
/// }
/// impl AnalyticJacobianF32 for Tanh {
///     fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
///         DMatrix::from_diagonal(&x.map(|v| { let z = v.tanh(); 1.0 - z * z }))
///     }
/// }
/// let x = DVector::from_vec(vec![0.3, -1.2, 2.5]);
/// Oracle::default().check_f32(&Tanh(3), &x).unwrap();
/// ```
pub trait AnalyticJacobianF32: VectorFn {
    /// The hand-written `m×n` Jacobian at `x`, in `f32`.
    ///
    /// ```
    /// use jacobian_oracle::AnalyticJacobianF32;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // At x = 0, z(1 − z) = 1/4 in f32 too: the f32 Jacobian is W/4.
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[2.0, -4.0]));
    /// let j = layer.jacobian_f32(&DVector::zeros(2));
    /// assert_eq!(j, DMatrix::from_row_slice(1, 2, &[0.5f32, -1.0]));
    /// ```
    fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32>;
}

/// An [`AnalyticJacobianF32`] seen as an `f64` [`AnalyticJacobian`]: its Jacobian at an
/// `f32`-representable `x` is the `f32` one, widened.
struct Widened<'a, F: ?Sized>(&'a F);

impl<F: VectorFn + ?Sized> VectorFn for Widened<'_, F> {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.0.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.0.eval(x)
    }
    fn rust_expr(&self) -> Option<String> {
        self.0.rust_expr()
    }
}

impl<F: AnalyticJacobianF32 + ?Sized> AnalyticJacobian for Widened<'_, F> {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        // x is f32-representable here: check_f32 rounded it, so the cast is exact.
        let x32 = x.map(|v| v as f32);
        self.0.jacobian_f32(&x32).map(f64::from)
    }
}

impl Oracle {
    /// Checks a Jacobian computed in `f32` against the `f64` references, at `x` rounded to
    /// `f32`, with tolerances in units of `f32::EPSILON` (see the [module docs](crate::precision)).
    /// Reports carry the rounded `x`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 2, &[0.5, -1.0, 2.0, 1.5]));
    /// // The f32 Jacobian passes at f32 tolerances (x is rounded to f32 first) …
    /// assert!(Oracle::default().check_f32(&layer, &DVector::from_vec(vec![0.1, -0.7])).is_ok());
    /// // … and an input beyond f32's range cannot be rounded to it.
    /// let err = Oracle::default().check_f32(&layer, &DVector::from_vec(vec![1e39, 0.0])).unwrap_err();
    /// assert!(matches!(err, CheckError::OutOfF32Range { index: 0, .. }));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`]; an entry of `x` beyond the range of `f32` is
    /// [`CheckError::OutOfF32Range`].
    pub fn check_f32<F: AnalyticJacobianF32 + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        crate::oracle::validate_input(f, x)?;
        // Rounding to f32 is the point; values beyond its range become infinite, caught below.
        let rounded = x.map(|v| f64::from(v as f32));
        if let Some((index, _)) = rounded.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CheckError::OutOfF32Range {
                index,
                value: x[index],
            });
        }
        self.check_as(&Widened(f), &rounded, Quantity::JacobianF32, None)
    }
}
