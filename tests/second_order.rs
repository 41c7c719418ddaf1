//! Second order: gradients and Hessians checked against dual numbers (nested duals for the
//! Hessian) and finite differences, with the same attribution as Jacobians; the Hessian
//! tolerance models the rounding of cancelling terms (DESIGN, "Known traps").

mod common;

use jacobian_oracle::report::Quantity;
use jacobian_oracle::{AnalyticGradient, AnalyticHessian, CheckError, Oracle, ScalarFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;

fn v(x: &[f64]) -> DVector<f64> {
    DVector::from_vec(x.to_vec())
}

/// f(x) = ½ xᵀAx + bᵀx + sin(x₀x₁) with A symmetric.
struct Quadratic {
    a: DMatrix<f64>,
    b: DVector<f64>,
    /// 0: right; 1: gradient uses A instead of ½(A + Aᵀ)… (here A is symmetric: uses 2A);
    /// 2: Hessian drops the off-diagonal term of sin; 3: Hessian with the wrong sign on sin.
    mistake: u8,
}

impl ScalarFn for Quadratic {
    fn input_dim(&self) -> usize {
        self.b.len()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        let n = self.b.len();
        let mut q = D::zero();
        for j in 0..n {
            for i in 0..n {
                q += x[i] * x[j] * self.a[(i, j)];
            }
        }
        let lin = (0..n).fold(D::zero(), |acc, i| acc + x[i] * self.b[i]);
        q * 0.5 + lin + (x[0] * x[1]).sin()
    }
}

impl AnalyticGradient for Quadratic {
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        let scale = if self.mistake == 1 { 2.0 } else { 1.0 };
        let mut g = &self.a * x * scale + &self.b;
        let c = (x[0] * x[1]).cos();
        g[0] += c * x[1];
        g[1] += c * x[0];
        g
    }
}

impl AnalyticHessian for Quadratic {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let mut h = self.a.clone();
        let (s, c) = (x[0] * x[1]).sin_cos();
        let sign = if self.mistake == 3 { -1.0 } else { 1.0 };
        h[(0, 0)] += sign * -s * x[1] * x[1];
        h[(1, 1)] += sign * -s * x[0] * x[0];
        if self.mistake != 2 {
            let off = c - s * x[0] * x[1];
            h[(0, 1)] += sign * off;
            h[(1, 0)] += sign * off;
        }
        h
    }
}

fn quadratic(mistake: u8) -> Quadratic {
    Quadratic {
        a: DMatrix::from_row_slice(3, 3, &[2.0, 0.5, -1.0, 0.5, 3.0, 0.25, -1.0, 0.25, 1.5]),
        b: v(&[1.0, -2.0, 0.5]),
        mistake,
    }
}

#[test]
fn a_right_gradient_and_hessian_pass() {
    let oracle = Oracle::default();
    let x = v(&[0.7, -1.3, 2.0]);
    let g = oracle.check_gradient(&quadratic(0), &x).unwrap();
    assert_eq!((g.quantity, g.shape), (Quantity::Gradient, (1, 3)));
    let h = oracle.check_hessian(&quadratic(0), &x).unwrap();
    assert_eq!((h.quantity, h.shape), (Quantity::Hessian, (3, 3)));
    // One dual pass of the gradient map (its three columns in one vector dual), each running
    // f three times on nested duals.
    assert_eq!(h.evaluations.dual_evals, 1);
    assert!(h.worst_fd.is_some());
}

#[test]
fn a_wrong_gradient_is_a_gradient_mismatch() {
    let err = Oracle::default()
        .check_gradient(&quadratic(1), &v(&[0.7, -1.3, 2.0]))
        .unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("{err}")
    };
    assert_eq!(m.quantity, Quantity::Gradient);
    assert_eq!(m.witnesses.row, 0);
    assert!(
        err.to_string().contains("the analytic gradient is wrong"),
        "{err}"
    );
    assert!(err.to_string().contains(".check_gradient(&f, &x)"), "{err}");
}

#[test]
fn hessian_mistakes_are_caught_where_they_are() {
    let x = v(&[0.7, -1.3, 2.0]);
    // Missing off-diagonal term: exactly the two symmetric entries (0, 1) and (1, 0).
    let Err(CheckError::Mismatch(m)) = Oracle::default().check_hessian(&quadratic(2), &x) else {
        panic!("missing off-diagonal term not caught")
    };
    assert_eq!(m.quantity, Quantity::Hessian);
    assert_eq!(m.wrong_entries, 2);
    assert!([(0, 1), (1, 0)].contains(&(m.witnesses.row, m.witnesses.col)));
    assert!(m.to_string().contains("∂²f/∂x_"), "{m}");
    assert!(m.snippet().contains(".check_hessian(&f, &x)"));
    // Wrong sign on the sin term: the 2×2 block.
    let Err(CheckError::Mismatch(m)) = Oracle::default().check_hessian(&quadratic(3), &x) else {
        panic!("wrong sign not caught")
    };
    assert_eq!(m.wrong_entries, 4);
}

/// `f(x) = c·((x₀ − 1)⁴ + (x₀ − 1)²x₁²)` written *expanded*, with `c = 1e6`, and its
/// Hessian written expanded too: near `x₀ = 1` the terms (~1e7) cancel to a small entry, and
/// a correct formula differs from the exact value by rounding alone by ~1e-9 relative or more.
struct Expanded {
    c: f64,
    wrong: bool,
}

impl ScalarFn for Expanded {
    fn input_dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        let (a, b) = (x[0], x[1]);
        let a2 = a * a;
        let quartic = a2 * a2 - a2 * a * 4.0 + a2 * 6.0 - a * 4.0 + 1.0;
        let quad = (a2 - a * 2.0 + 1.0) * b * b;
        (quartic + quad) * self.c
    }
}

impl AnalyticHessian for Expanded {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let (a, b) = (x[0], x[1]);
        let c = self.c;
        let haa = c * (12.0 * a * a - 24.0 * a + 12.0 + 2.0 * b * b);
        let hab = c * (4.0 * a * b - 4.0 * b);
        let hbb = c * (2.0 * a * a - 4.0 * a + 2.0);
        let bump = if self.wrong { 1.0 + 1e-6 } else { 1.0 };
        DMatrix::from_row_slice(2, 2, &[haa * bump, hab, hab, hbb])
    }
}

#[test]
fn cancelling_terms_are_not_a_false_alarm_but_a_real_error_is_caught() {
    let oracle = Oracle::default();
    let mut spread_used = 0;
    for x0 in [1.0 + 1e-3, 1.0 + 2.5e-4, 1.0 - 3e-5, 0.9999, 1.0 + 1e-6] {
        for x1 in [0.0, 1e-3, 0.5] {
            let x = v(&[x0, x1]);
            let agreement = oracle
                .check_hessian(
                    &Expanded {
                        c: 1e6,
                        wrong: false,
                    },
                    &x,
                )
                .unwrap_or_else(|e| panic!("false alarm at {x:?}: {e}"));
            spread_used += usize::from(agreement.precision_loss_entries() > 0);
        }
    }
    assert!(
        spread_used > 0,
        "the cancellation never needed the rounding model"
    );
    // A 1e-6 relative error in H₀₀ at a point where it is well away from cancellation.
    let x = v(&[2.0, 1.0]);
    let err = oracle
        .check_hessian(
            &Expanded {
                c: 1e6,
                wrong: true,
            },
            &x,
        )
        .unwrap_err();
    assert!(
        matches!(&err, CheckError::Mismatch(m) if (m.witnesses.row, m.witnesses.col) == (0, 0)),
        "{err}"
    );
}

#[test]
fn bad_shapes_and_inputs_are_typed_errors() {
    struct Short;
    impl ScalarFn for Short {
        fn input_dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
            x[0] * x[1]
        }
    }
    impl AnalyticGradient for Short {
        fn gradient(&self, _x: &DVector<f64>) -> DVector<f64> {
            v(&[1.0])
        }
    }
    impl AnalyticHessian for Short {
        fn hessian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
            DMatrix::zeros(2, 3)
        }
    }
    let oracle = Oracle::default();
    assert_eq!(
        oracle.check_gradient(&Short, &v(&[1.0, 2.0])).unwrap_err(),
        CheckError::AnalyticShape {
            expected: (1, 2),
            found: (1, 1)
        }
    );
    assert_eq!(
        oracle.check_hessian(&Short, &v(&[1.0, 2.0])).unwrap_err(),
        CheckError::AnalyticShape {
            expected: (2, 2),
            found: (2, 3)
        }
    );
    assert_eq!(
        oracle.check_hessian(&Short, &v(&[1.0])).unwrap_err(),
        CheckError::InputLength {
            expected: 2,
            found: 1
        }
    );
    assert!(matches!(
        oracle
            .check_gradient(&Short, &v(&[f64::NAN, 1.0]))
            .unwrap_err(),
        CheckError::NonFiniteInput { index: 0, .. }
    ));
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/second_order.txt", 128))]

    /// The right gradient and Hessian of the quadratic-plus-sine pass everywhere in a box.
    #[test]
    fn quadratic_passes_everywhere(x0 in -3.0f64..3.0, x1 in -3.0f64..3.0, x2 in -3.0f64..3.0) {
        let x = v(&[x0, x1, x2]);
        Oracle::default().check_gradient(&quadratic(0), &x)?;
        Oracle::default().check_hessian(&quadratic(0), &x)?;
    }

    /// The expanded polynomial's Hessian passes everywhere near its cancellation point.
    #[test]
    fn expanded_polynomial_passes_near_cancellation(d0 in -1e-2f64..1e-2, x1 in -2.0f64..2.0) {
        let x = v(&[1.0 + d0, x1]);
        Oracle::default().check_hessian(&Expanded { c: 1e6, wrong: false }, &x)?;
    }
}
