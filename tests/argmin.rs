//! `jacobian_oracle::argmin` (feature `argmin`): gradients and Hessians of argmin problems.
//!
//! 1. Right derivatives pass at random points, with `Vec<f64>` and `DVector<f64>` parameters
//!    and `Vec<Vec<f64>>` and `DMatrix<f64>` Hessians.
//! 2. One term of the gradient or one Hessian entry off by one part in 10⁶ is caught and
//!    named.
//! 3. A problem's own error is `ProblemCheckError::Problem` naming the method and the point; a
//!    ragged Hessian is `RaggedHessian`; a gradient of the wrong length is a typed check error.

mod common;

use argmin::core::{CostFunction, Error, Gradient, Hessian};
use jacobian_oracle::argmin::{ProblemCheckError, check_gradient, check_hessian};
use jacobian_oracle::{CheckError, Oracle};
use nalgebra::{DMatrix, DVector};
use proptest::prelude::*;

/// The extended Rosenbrock function in `n` variables, `Σ (1 − x_i)² + 100(x_{i+1} − x_i²)²`,
/// with slips: `gradient_slip = Some((i, r))` scales gradient entry `i` by `1 + r`,
/// `hessian_slip` Hessian entry `(i, i)`.
struct Rosenbrock {
    gradient_slip: Option<(usize, f64)>,
    hessian_slip: Option<(usize, f64)>,
}

fn cost(x: &[f64]) -> f64 {
    x.windows(2)
        .map(|w| (1.0 - w[0]).powi(2) + 100.0 * (w[1] - w[0] * w[0]).powi(2))
        .sum()
}

fn gradient(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    let mut g = vec![0.0; n];
    for i in 0..n - 1 {
        let r = x[i + 1] - x[i] * x[i];
        g[i] += -2.0 * (1.0 - x[i]) - 400.0 * x[i] * r;
        g[i + 1] += 200.0 * r;
    }
    g
}

fn hessian(x: &[f64]) -> Vec<Vec<f64>> {
    let n = x.len();
    let mut h = vec![vec![0.0; n]; n];
    for i in 0..n - 1 {
        h[i][i] += 2.0 - 400.0 * x[i + 1] + 1200.0 * x[i] * x[i];
        h[i][i + 1] += -400.0 * x[i];
        h[i + 1][i] += -400.0 * x[i];
        h[i + 1][i + 1] += 200.0;
    }
    h
}

/// `v`, scaled by `1 + r` if the slip is at `i`.
fn slip(slip: Option<(usize, f64)>, i: usize, v: f64) -> f64 {
    match slip {
        Some((j, r)) if j == i => v * (1.0 + r),
        _ => v,
    }
}

impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(cost(x))
    }
}

impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(gradient(x)
            .into_iter()
            .enumerate()
            .map(|(i, g)| slip(self.gradient_slip, i, g))
            .collect())
    }
}

impl Hessian for Rosenbrock {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        let mut h = hessian(x);
        for (i, row) in h.iter_mut().enumerate() {
            row[i] = slip(self.hessian_slip, i, row[i]);
        }
        Ok(h)
    }
}

/// The same function on nalgebra types.
struct RosenbrockNalgebra;

impl CostFunction for RosenbrockNalgebra {
    type Param = DVector<f64>;
    type Output = f64;
    fn cost(&self, x: &DVector<f64>) -> Result<f64, Error> {
        Ok(cost(x.as_slice()))
    }
}

impl Gradient for RosenbrockNalgebra {
    type Param = DVector<f64>;
    type Gradient = DVector<f64>;
    fn gradient(&self, x: &DVector<f64>) -> Result<DVector<f64>, Error> {
        Ok(DVector::from_vec(gradient(x.as_slice())))
    }
}

impl Hessian for RosenbrockNalgebra {
    type Param = DVector<f64>;
    type Hessian = DMatrix<f64>;
    fn hessian(&self, x: &DVector<f64>) -> Result<DMatrix<f64>, Error> {
        let h = hessian(x.as_slice());
        Ok(DMatrix::from_fn(h.len(), h.len(), |i, j| h[i][j]))
    }
}

fn point() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0..2.0f64, 2..7)
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/argmin.txt", 128))]

    #[test]
    fn right_derivatives_pass(x in point()) {
        let oracle = Oracle::default();
        let right = Rosenbrock { gradient_slip: None, hessian_slip: None };
        prop_assert!(check_gradient(&oracle, &right, &x).is_ok());
        prop_assert!(check_hessian(&oracle, &right, &x).is_ok());
        let v = DVector::from_vec(x.clone());
        let a = check_gradient(&oracle, &RosenbrockNalgebra, &v).unwrap();
        prop_assert_eq!(a.shape, (1, x.len()));
        let h = check_hessian(&oracle, &RosenbrockNalgebra, &v).unwrap();
        prop_assert_eq!(h.shape, (x.len(), x.len()));
    }

    /// One part in 10⁶ in one gradient entry, or one diagonal Hessian entry: caught and named.
    #[test]
    fn a_slip_is_caught_and_named(x in point(), i in 0usize..6) {
        let i = i % x.len();
        let oracle = Oracle::default();
        // Each slip alone: the Hessian's check differentiates the gradient.
        let gradient_slipped = Rosenbrock { gradient_slip: Some((i, 1e-6)), hessian_slip: None };
        let hessian_slipped = Rosenbrock { gradient_slip: None, hessian_slip: Some((i, 1e-6)) };
        // Where the entry is 0 the slip changes nothing: nothing to catch.
        prop_assume!(gradient(&x)[i].abs() > 1e-3 && hessian(&x)[i][i].abs() > 1e-3);
        match check_gradient(&oracle, &gradient_slipped, &x) {
            Err(ProblemCheckError::Check(CheckError::Mismatch(m))) => {
                prop_assert_eq!((m.witnesses.row, m.witnesses.col), (0, i));
            }
            other => prop_assert!(false, "gradient: {:?}", other.map(|a| a.to_string())),
        }
        match check_hessian(&oracle, &hessian_slipped, &x) {
            Err(ProblemCheckError::Check(CheckError::Mismatch(m))) => {
                prop_assert_eq!((m.witnesses.row, m.witnesses.col), (i, i));
            }
            other => prop_assert!(false, "Hessian: {:?}", other.map(|a| a.to_string())),
        }
    }
}

/// A problem whose `cost` fails beyond `x₀ > 1`, whose `gradient` fails beyond `x₁ > 1`, and
/// whose Hessian is ragged beyond `x₀ < −1`.
struct Fussy;

impl CostFunction for Fussy {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        if x[0] > 1.0 {
            return Err(Error::msg("x₀ out of range"));
        }
        Ok(x[0] * x[0] + x[1] * x[1])
    }
}

impl Gradient for Fussy {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        if x[1] > 1.0 {
            return Err(Error::msg("x₁ out of range"));
        }
        Ok(vec![2.0 * x[0], 2.0 * x[1]])
    }
}

impl Hessian for Fussy {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, x: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        if x[0] < -1.0 {
            return Ok(vec![vec![2.0, 0.0], vec![0.0]]);
        }
        Ok(vec![vec![2.0, 0.0], vec![0.0, 2.0]])
    }
}

#[test]
fn a_problem_error_names_the_method_and_the_point() {
    let oracle = Oracle::default();
    // Inside the ranges: fine.
    check_gradient(&oracle, &Fussy, &vec![0.5, 0.5]).unwrap();
    check_hessian(&oracle, &Fussy, &vec![0.5, 0.5]).unwrap();
    // cost fails at the point itself.
    let err = check_gradient(&oracle, &Fussy, &vec![1.5, 0.0]).unwrap_err();
    let ProblemCheckError::Problem { method, at, error } = &err else {
        panic!("{err}")
    };
    assert_eq!((*method, at.as_slice()), ("cost", &[1.5, 0.0][..]));
    assert!(error.to_string().contains("x₀ out of range"), "{err}");
    assert!(err.to_string().contains("`cost`"), "{err}");
    // gradient fails at a finite-difference point just beyond x₁ = 1 (the check of the
    // Hessian differentiates the gradient there).
    let err = check_hessian(&oracle, &Fussy, &vec![0.0, 1.0]).unwrap_err();
    let ProblemCheckError::Problem { method, at, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*method, "gradient");
    assert!(at[1] > 1.0, "{err}");
    // A ragged Hessian.
    let err = check_hessian(&oracle, &Fussy, &vec![-1.5, 0.0]).unwrap_err();
    assert!(
        matches!(err, ProblemCheckError::RaggedHessian { .. }),
        "{err}"
    );
}

/// A gradient with one entry too few.
struct Short;

impl CostFunction for Short {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(x.iter().map(|v| v * v).sum())
    }
}

impl Gradient for Short {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(x.iter().skip(1).map(|v| 2.0 * v).collect())
    }
}

#[test]
fn a_gradient_of_the_wrong_length_is_a_typed_error() {
    let err = check_gradient(&Oracle::default(), &Short, &vec![0.5, 1.0, -2.0]).unwrap_err();
    assert!(
        matches!(
            err,
            ProblemCheckError::Check(CheckError::AnalyticShape { .. })
        ),
        "{err}"
    );
}

/// On the valley floor `y = x²` the gradient's second entry `200(y − x²)` is 0 at the point
/// and the rounding model of its value (`4ε|f_i|`) is 0: the Hessian's check must still pass
/// there (its noise is measured), and at points a few ulps off the floor.
#[test]
fn right_hessian_passes_on_the_valley_floor() {
    let oracle = Oracle::default();
    let right = Rosenbrock {
        gradient_slip: None,
        hessian_slip: None,
    };
    let mut worst: f64 = 0.0;
    for k in -64..=64 {
        let x0 = f64::from(k) / 32.0 + 0.013 * f64::from(k % 3);
        for ulps in -5i64..=5 {
            let y = x0 * x0;
            if y == 0.0 && ulps < 0 {
                continue; // (below +0 in bits is not a float near 0)
            }
            let y = f64::from_bits((y.to_bits() as i64 + ulps) as u64);
            let p = vec![x0, y, x0 * 0.5];
            let a = check_hessian(&oracle, &right, &p).unwrap_or_else(|e| panic!("at {p:?}: {e}"));
            worst = worst.max(a.worst_analytic.ratio());
            check_gradient(&oracle, &right, &p).unwrap_or_else(|e| panic!("at {p:?}: {e}"));
        }
    }
    println!("worst ratio to tolerance on the valley floor: {worst:.3}");
}
