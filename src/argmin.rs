//! Gradients and Hessians of [argmin](https://docs.rs/argmin) problems, checked (feature
//! `argmin`). An argmin problem is written in `f64` — `CostFunction::cost`,
//! `Gradient::gradient`, `Hessian::hessian` — not generic over dual numbers, so the reference
//! is finite differences: the black box ([`crate::black_box`]), Richardson with its error
//! estimate, then adaptive Richardson differences, with the analytic side's own rounding
//! measured near the point. [`check_gradient`] differentiates `cost` and compares with
//! `gradient`; [`check_hessian`] differentiates `gradient` and compares with `hessian`. A
//! failure names the entry, as every check of this crate does.
//!
//! Parameters are `Vec<f64>` or nalgebra's `DVector<f64>` ([`Param`]); Hessians
//! `Vec<Vec<f64>>` (rows) or `DMatrix<f64>` ([`HessianMatrix`]). An error returned by the
//! problem itself is [`ProblemCheckError::Problem`], with the point it was called at: never a
//! panic, never a silent pass.
//!
//! ```
//! use argmin::core::{CostFunction, Error, Gradient};
//! use jacobian_oracle::Oracle;
//! use jacobian_oracle::argmin::{ProblemCheckError, check_gradient};
//!
//! /// f(x) = Σ (x_i − i)², its gradient 2(x_i − i).
//! struct Bowl;
//! impl CostFunction for Bowl {
//!     type Param = Vec<f64>;
//!     type Output = f64;
//!     fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
//!         Ok(x.iter().enumerate().map(|(i, v)| (v - i as f64).powi(2)).sum())
//!     }
//! }
//! impl Gradient for Bowl {
//!     type Param = Vec<f64>;
//!     type Gradient = Vec<f64>;
//!     fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
//!         Ok(x.iter().enumerate().map(|(i, v)| 2.0 * (v - i as f64)).collect())
//!     }
//! }
//!
//! check_gradient(&Oracle::default(), &Bowl, &vec![0.5, -1.0, 3.0]).unwrap();
//! ```

use std::cell::RefCell;

use ::argmin::core::{CostFunction, Error, Gradient, Hessian};
use nalgebra::{DMatrix, DVector};

use crate::{Agreement, CheckError, Oracle};

/// A parameter vector of an argmin problem that the checks can read and build.
pub trait Param: Sized {
    /// The entries, in order.
    fn to_dvector(&self) -> DVector<f64>;
    /// The parameter with these entries.
    fn from_dvector(v: &DVector<f64>) -> Self;
}

impl Param for Vec<f64> {
    fn to_dvector(&self) -> DVector<f64> {
        DVector::from_column_slice(self)
    }
    fn from_dvector(v: &DVector<f64>) -> Self {
        v.as_slice().to_vec()
    }
}

impl Param for DVector<f64> {
    fn to_dvector(&self) -> DVector<f64> {
        self.clone()
    }
    fn from_dvector(v: &DVector<f64>) -> Self {
        v.clone()
    }
}

/// A Hessian of an argmin problem as a matrix.
pub trait HessianMatrix {
    /// The matrix; `None` if the rows are ragged.
    fn to_dmatrix(&self) -> Option<DMatrix<f64>>;
}

impl HessianMatrix for Vec<Vec<f64>> {
    fn to_dmatrix(&self) -> Option<DMatrix<f64>> {
        let cols = self.first().map_or(0, Vec::len);
        self.iter()
            .all(|row| row.len() == cols)
            .then(|| DMatrix::from_fn(self.len(), cols, |i, j| self[i][j]))
    }
}

impl HessianMatrix for DMatrix<f64> {
    fn to_dmatrix(&self) -> Option<DMatrix<f64>> {
        Some(self.clone())
    }
}

/// Why a check of an argmin problem failed.
#[derive(Debug)]
pub enum ProblemCheckError {
    /// The check ran and found the derivative wrong, or could not judge it (as
    /// [`Oracle::check_black_box`] reports it).
    Check(CheckError),
    /// The problem itself returned an error (the first one), at this point.
    Problem {
        /// Which method: `"cost"`, `"gradient"` or `"hessian"`.
        method: &'static str,
        /// The point it was called at.
        at: Vec<f64>,
        /// The problem's error.
        error: Error,
    },
    /// The Hessian's rows are not all of the same length.
    RaggedHessian {
        /// The point it was computed at.
        at: Vec<f64>,
    },
}

impl std::fmt::Display for ProblemCheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProblemCheckError::Check(e) => write!(f, "{e}"),
            ProblemCheckError::Problem { method, at, error } => {
                write!(
                    f,
                    "the problem's `{method}` returned an error at {at:?}: {error}"
                )
            }
            ProblemCheckError::RaggedHessian { at } => {
                write!(
                    f,
                    "the problem's `hessian` has rows of different lengths at {at:?}"
                )
            }
        }
    }
}

impl std::error::Error for ProblemCheckError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProblemCheckError::Check(e) => Some(e),
            ProblemCheckError::Problem { error, .. } => Some(error.as_ref()),
            ProblemCheckError::RaggedHessian { .. } => None,
        }
    }
}

impl From<CheckError> for ProblemCheckError {
    fn from(e: CheckError) -> Self {
        ProblemCheckError::Check(e)
    }
}

/// The first error a problem's method returned, and where.
type FirstError = RefCell<Option<(&'static str, Vec<f64>, Error)>>;

/// `method(param)` as a vector; on an error, remembered (the first) and NaN, so that no
/// verdict rests on it.
fn call<T>(
    first: &FirstError,
    method: &'static str,
    x: &DVector<f64>,
    result: Result<T, Error>,
    to_vector: impl Fn(T) -> DVector<f64>,
    len: usize,
) -> DVector<f64> {
    match result {
        Ok(v) => to_vector(v),
        Err(error) => {
            remember(first, method, x, error);
            DVector::from_element(len, f64::NAN)
        }
    }
}

/// Keeps `error` of `method` at `x` if it is the first.
fn remember(first: &FirstError, method: &'static str, x: &DVector<f64>, error: Error) {
    first
        .borrow_mut()
        .get_or_insert_with(|| (method, x.as_slice().to_vec(), error));
}

/// Checks `problem.gradient` against finite differences of `problem.cost` at `param`
/// (through [`Oracle::check_black_box_with`]: the gradient is the `1×n` Jacobian of the cost).
///
/// ```
/// use argmin::core::{CostFunction, Error, Gradient};
/// use jacobian_oracle::{CheckError, Oracle};
/// use jacobian_oracle::argmin::{ProblemCheckError, check_gradient};
/// use nalgebra::DVector;
///
/// /// f(x) = x₀²x₁ + sin x₁, with a slip in ∂f/∂x₁ (x₀ instead of x₀²).
/// struct Slipped;
/// impl CostFunction for Slipped {
///     type Param = DVector<f64>;
///     type Output = f64;
///     fn cost(&self, x: &DVector<f64>) -> Result<f64, Error> {
///         Ok(x[0] * x[0] * x[1] + x[1].sin())
///     }
/// }
/// impl Gradient for Slipped {
///     type Param = DVector<f64>;
///     type Gradient = DVector<f64>;
///     fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, Error> {
///         Ok(DVector::from_vec(vec![2.0 * x[0] * x[1], x[0] + x[1].cos()]))
///     }
/// }
///
/// let err = check_gradient(&Oracle::default(), &Slipped, &DVector::from_vec(vec![1.5, 0.3])).unwrap_err();
/// let ProblemCheckError::Check(CheckError::Mismatch(m)) = &err else { panic!("{err}") };
/// assert_eq!((m.witnesses.row, m.witnesses.col), (0, 1)); // ∂f/∂x₁
/// ```
///
/// # Errors
///
/// [`ProblemCheckError::Check`] as [`Oracle::check_black_box`] reports (a wrong entry is
/// [`CheckError::Mismatch`], a gradient of the wrong length [`CheckError::AnalyticShape`]);
/// [`ProblemCheckError::Problem`] if `cost` or `gradient` returned an error.
pub fn check_gradient<P, X>(
    oracle: &Oracle,
    problem: &P,
    param: &X,
) -> Result<Agreement, ProblemCheckError>
where
    P: CostFunction<Param = X, Output = f64> + Gradient<Param = X, Gradient = X>,
    X: Param,
{
    let x = param.to_dvector();
    let first: FirstError = RefCell::new(None);
    let cost = |p: &DVector<f64>| {
        let r = problem.cost(&X::from_dvector(p));
        call(&first, "cost", p, r, |c| DVector::from_element(1, c), 1)
    };
    let gradient = |p: &DVector<f64>| {
        let r = problem.gradient(&X::from_dvector(p));
        let g = call(&first, "gradient", p, r, |g| g.to_dvector(), p.len());
        DMatrix::from_row_slice(1, g.len(), g.as_slice())
    };
    let result = oracle.check_black_box_with(cost, gradient, &x);
    if let Some((method, at, error)) = first.into_inner() {
        return Err(ProblemCheckError::Problem { method, at, error });
    }
    Ok(result?)
}

/// Checks `problem.hessian` against finite differences of `problem.gradient` at `param`
/// (the Hessian is the Jacobian of the gradient). Check the gradient first
/// ([`check_gradient`]): this check trusts nothing but `gradient`'s values.
///
/// ```
/// use argmin::core::{CostFunction, Error, Gradient, Hessian};
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::argmin::{check_gradient, check_hessian};
///
/// /// Rosenbrock, f = (1 − x)² + 100(y − x²)².
/// struct Rosenbrock;
/// impl CostFunction for Rosenbrock {
///     type Param = Vec<f64>;
///     type Output = f64;
///     fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
///         Ok((1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2))
///     }
/// }
/// impl Gradient for Rosenbrock {
///     type Param = Vec<f64>;
///     type Gradient = Vec<f64>;
///     fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
///         let (x, y) = (p[0], p[1]);
///         Ok(vec![-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])
///     }
/// }
/// impl Hessian for Rosenbrock {
///     type Param = Vec<f64>;
///     type Hessian = Vec<Vec<f64>>;
///     fn hessian(&self, p: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
///         let (x, y) = (p[0], p[1]);
///         Ok(vec![vec![2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x], vec![-400.0 * x, 200.0]])
///     }
/// }
///
/// let p = vec![-1.2, 1.0];
/// check_gradient(&Oracle::default(), &Rosenbrock, &p).unwrap();
/// check_hessian(&Oracle::default(), &Rosenbrock, &p).unwrap();
/// ```
///
/// # Errors
///
/// As [`check_gradient`]; [`ProblemCheckError::RaggedHessian`] if the Hessian's rows differ
/// in length.
pub fn check_hessian<P, X, H>(
    oracle: &Oracle,
    problem: &P,
    param: &X,
) -> Result<Agreement, ProblemCheckError>
where
    P: Gradient<Param = X, Gradient = X> + Hessian<Param = X, Hessian = H>,
    X: Param,
    H: HessianMatrix,
{
    let x = param.to_dvector();
    let n = x.len();
    let first: FirstError = RefCell::new(None);
    let ragged: RefCell<Option<Vec<f64>>> = RefCell::new(None);
    let gradient = |p: &DVector<f64>| {
        let r = problem.gradient(&X::from_dvector(p));
        call(&first, "gradient", p, r, |g| g.to_dvector(), n)
    };
    let hessian = |p: &DVector<f64>| match problem.hessian(&X::from_dvector(p)) {
        Ok(h) => h.to_dmatrix().unwrap_or_else(|| {
            ragged
                .borrow_mut()
                .get_or_insert_with(|| p.as_slice().to_vec());
            DMatrix::from_element(n, n, f64::NAN)
        }),
        Err(error) => {
            remember(&first, "hessian", p, error);
            DMatrix::from_element(n, n, f64::NAN)
        }
    };
    let result = oracle.check_black_box_with(gradient, hessian, &x);
    if let Some((method, at, error)) = first.into_inner() {
        return Err(ProblemCheckError::Problem { method, at, error });
    }
    if let Some(at) = ragged.into_inner() {
        return Err(ProblemCheckError::RaggedHessian { at });
    }
    Ok(result?)
}
