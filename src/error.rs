//! [`CheckError`]: every way a check can fail, each naming what is wrong and where.

use std::fmt;

use proptest::test_runner::TestCaseError;

use crate::report::{CannotJudge, EvalDerivative, Mismatch, NotAdjoint};

/// Why a check did not end in an [`Agreement`](crate::Agreement).
///
/// Three variants are verdicts about the map, from the three witnesses:
///
/// * [`Mismatch`](CheckError::Mismatch): the analytic Jacobian disagrees with the exact dual
///   reference, and that reference is vouched for by finite differences — the hand-written
///   derivative is wrong;
/// * [`EvalDerivative`](CheckError::EvalDerivative): the dual reference itself disagrees with
///   finite differences — `eval` is not differentiated correctly (a value computed off the dual
///   path, for instance), so the analytic side is not judged;
/// * [`CannotJudge`](CheckError::CannotJudge): the point is not smooth (a kink or jump within
///   the finite-difference stencil) and the analytic side disagrees with the dual there; in a
///   `proptest!` body this rejects the case instead of failing it, like `prop_assume!`.
///
/// The other variants are bad input from the caller, each with its own variant.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[1.0, 2.0]));
/// let err = Oracle::default().check(&layer, &DVector::from_vec(vec![1.0])).unwrap_err();
/// assert_eq!(err, CheckError::InputLength { expected: 2, found: 1 });
/// assert!(err.to_string().contains("expected 2"));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CheckError {
    /// The analytic Jacobian is wrong: an entry differs from the dual-number reference by
    /// more than the tolerance (or is not finite where the references are).
    Mismatch(Box<Mismatch>),
    /// `eval` is not differentiated correctly: its dual-number derivative disagrees with
    /// finite differences at a smooth point. The analytic Jacobian is not judged.
    EvalDerivative(Box<EvalDerivative>),
    /// The point is not smooth (a kink or jump near `x`) and the analytic Jacobian disagrees
    /// with the dual reference there: no verdict is possible at this point.
    CannotJudge(Box<CannotJudge>),
    /// The map declares an input or output dimension of zero.
    EmptyMap {
        /// `input_dim()` as declared.
        input_dim: usize,
        /// `output_dim()` as declared.
        output_dim: usize,
    },
    /// `x` does not have `input_dim()` entries.
    InputLength {
        /// `input_dim()`.
        expected: usize,
        /// `x.len()`.
        found: usize,
    },
    /// `x` holds a NaN or an infinity.
    NonFiniteInput {
        /// Position in `x`.
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// `eval` returned a vector whose length is not `output_dim()`.
    EvalLength {
        /// `output_dim()`.
        expected: usize,
        /// The length returned.
        found: usize,
        /// The scalar type it was evaluated with (`"f64"` or `"Dual64"`).
        scalar: &'static str,
    },
    /// `eval` returned a NaN or an infinity at the (finite) input `x`.
    NonFiniteEval {
        /// Output position.
        index: usize,
        /// The value returned.
        value: f64,
    },
    /// `eval` on dual numbers gives a non-finite derivative (or value) at `x`, although
    /// `eval::<f64>` is finite there: `eval` overflows on the dual path (see the `tanh` trap
    /// in [`VectorFn`](crate::VectorFn)).
    NonFiniteDual {
        /// Output index.
        row: usize,
        /// Input index.
        col: usize,
        /// The derivative found.
        value: f64,
    },
    /// A map's own JVP and VJP break the adjoint identity `⟨Jv, u⟩ = ⟨v, Jᵀu⟩`: one of the two
    /// is wrong ([`Oracle::check_adjoint`](crate::Oracle::check_adjoint)).
    NotAdjoint(Box<NotAdjoint>),
    /// A direction (`v` of a JVP, `u` of a VJP) does not have the right length (`input_dim()`
    /// for `v`, `output_dim()` for `u`).
    DirectionLength {
        /// The length it must have.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A direction holds a NaN or an infinity.
    NonFiniteDirection {
        /// Position in the direction.
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// An entry of `x` is beyond the range of `f32` ([`Oracle::check_f32`](crate::Oracle::check_f32)).
    OutOfF32Range {
        /// Position in `x`.
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// The [`Oracle`](crate::Oracle) was configured with an unusable value (see its `with_*`
    /// methods).
    InvalidOracle {
        /// The parameter's name.
        parameter: &'static str,
        /// The value it was given.
        value: f64,
    },
    /// The analytic Jacobian does not have the shape `output_dim() × input_dim()`.
    AnalyticShape {
        /// `(output_dim(), input_dim())`.
        expected: (usize, usize),
        /// The shape returned.
        found: (usize, usize),
    },
}

impl CheckError {
    /// Whether this is a verdict that the point cannot be judged (see
    /// [`CheckError::CannotJudge`]): such a case should be skipped, not failed.
    ///
    /// ```
    /// use jacobian_oracle::CheckError;
    /// let e = CheckError::InputLength { expected: 2, found: 1 };
    /// assert!(!e.is_cannot_judge());
    /// ```
    #[must_use]
    pub fn is_cannot_judge(&self) -> bool {
        matches!(self, CheckError::CannotJudge(_))
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Mismatch(m) => m.fmt(f),
            CheckError::EvalDerivative(e) => e.fmt(f),
            CheckError::CannotJudge(c) => c.fmt(f),
            CheckError::EmptyMap {
                input_dim,
                output_dim,
            } => write!(
                f,
                "the map is empty: input_dim() = {input_dim}, output_dim() = {output_dim}; \
                 both must be at least 1"
            ),
            CheckError::InputLength { expected, found } => write!(
                f,
                "x has the wrong length: expected {expected} (input_dim()), found {found}"
            ),
            CheckError::NonFiniteInput { index, value } => {
                write!(f, "x is not finite: x[{index}] = {value}")
            }
            CheckError::EvalLength {
                expected,
                found,
                scalar,
            } => write!(
                f,
                "eval::<{scalar}> returned {found} values, but output_dim() is {expected}"
            ),
            CheckError::NonFiniteEval { index, value } => write!(
                f,
                "eval returned a non-finite value at a finite input: f(x)[{index}] = {value}"
            ),
            CheckError::NonFiniteDual { row, col, value } => write!(
                f,
                "eval is not finite on the dual path: ∂f_{row}/∂x_{col} = {value} (or its \
                 value) while eval::<f64> is finite at x; eval overflows on dual numbers \
                 (num-dual's tanh of a dual overflows from |a| ≈ 355: write a stable form)"
            ),
            CheckError::NotAdjoint(a) => a.fmt(f),
            CheckError::DirectionLength { expected, found } => write!(
                f,
                "the direction has the wrong length: expected {expected}, found {found}"
            ),
            CheckError::NonFiniteDirection { index, value } => {
                write!(f, "the direction is not finite: entry {index} = {value}")
            }
            CheckError::OutOfF32Range { index, value } => write!(
                f,
                "x is beyond the range of f32: x[{index}] = {value} rounds to an infinity"
            ),
            CheckError::InvalidOracle { parameter, value } => write!(
                f,
                "the oracle is misconfigured: {parameter} = {value} is out of range"
            ),
            CheckError::AnalyticShape { expected, found } => write!(
                f,
                "the analytic Jacobian has shape {}×{}, expected {}×{} (output_dim × input_dim)",
                found.0, found.1, expected.0, expected.1
            ),
        }
    }
}

impl std::error::Error for CheckError {}

impl CheckError {
    /// The [`TestCaseError`] for this error inside `proptest!`: a
    /// [`CheckError::CannotJudge`] *rejects* the case (like `prop_assume!`, so the shrinker
    /// does not chase a kink); every other error fails it, with the full report as the reason.
    ///
    /// Plain `?` also works (proptest converts every `std::error::Error` into a failure), but
    /// fails at non-smooth points too; see [`CheckResultExt::reject_unjudgeable`].
    ///
    /// ```
    /// use jacobian_oracle::CheckError;
    /// use proptest::test_runner::TestCaseError;
    /// let e = CheckError::InputLength { expected: 2, found: 1 };
    /// assert!(matches!(e.into_test_case_error(), TestCaseError::Fail(_)));
    /// ```
    #[must_use]
    pub fn into_test_case_error(self) -> TestCaseError {
        if self.is_cannot_judge() {
            TestCaseError::reject(self.to_string())
        } else {
            TestCaseError::fail(self.to_string())
        }
    }
}

/// `oracle.check(&f, &x).reject_unjudgeable()?` inside `proptest!`: fails the case on every
/// error except [`CheckError::CannotJudge`], which rejects it instead.
///
/// ```
/// use jacobian_oracle::catalogue::Sigmoid;
/// use jacobian_oracle::{CheckResultExt, Oracle};
/// use nalgebra::DVector;
/// use proptest::test_runner::TestCaseError;
///
/// fn body(a: f64) -> Result<(), TestCaseError> {
///     Oracle::default().check(&Sigmoid, &DVector::from_vec(vec![a])).reject_unjudgeable()?;
///     Ok(())
/// }
/// assert!(body(0.5).is_ok());
/// ```
pub trait CheckResultExt<T> {
    /// Maps the error with [`CheckError::into_test_case_error`].
    ///
    /// ```
    /// use jacobian_oracle::{CheckError, CheckResultExt};
    /// use proptest::test_runner::TestCaseError;
    ///
    /// // Bad input fails the case; Ok passes through unchanged.
    /// let bad: Result<(), CheckError> = Err(CheckError::InputLength { expected: 2, found: 1 });
    /// assert!(matches!(bad.reject_unjudgeable(), Err(TestCaseError::Fail(_))));
    /// assert_eq!(Ok::<_, CheckError>(7).reject_unjudgeable().unwrap(), 7);
    /// ```
    ///
    /// # Errors
    ///
    /// A `TestCaseError::Reject` for `CannotJudge`, a `TestCaseError::Fail` otherwise.
    fn reject_unjudgeable(self) -> Result<T, TestCaseError>;
}

impl<T> CheckResultExt<T> for Result<T, CheckError> {
    fn reject_unjudgeable(self) -> Result<T, TestCaseError> {
        self.map_err(CheckError::into_test_case_error)
    }
}
