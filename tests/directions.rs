//! The directional witness: finite differences along 3 signed directions vouch for the whole
//! dual reference (6 evaluations instead of `2n`), and fall back to the per-column witness
//! wherever they cannot — with no verdict lost.
//!
//! 1. An `eval` that leaves the dual path in one column (a value computed through `.re()`)
//!    is still an `EvalDerivative` naming that column, at every size.
//! 2. On every catalogue layer and every regime (kinks, saturation, huge and tiny scales), the
//!    verdict — its kind, and for a failure its entry — is the per-column witness's, mutants
//!    included.
//! 3. A clean check costs `1 + 6` evaluations of `f`, whatever `n`.
//!
//! The same for `check_projected`, whose `k` projections `J·v_p` are judged as one `m×k` check
//! (the view `t ↦ f(x + Vt)` at `t = 0`) and whose witness differentiates along one random
//! signed combination `Σ_p u_p v_p` of the directions (2 evaluations instead of `2k`), falling
//! back to each projection's own differences where it cannot vouch:
//!
//! 4. The `eval` off the dual path in one column is an `EvalDerivative` naming that column
//!    (the failure localised by the full check).
//! 5. A *shared mistake* — `eval` off the dual path in one column and an analytic Jacobian
//!    with that column zeroed, so that the analytic side agrees with the dual numbers
//!    everywhere but not with `f` — is caught by the finite differences alone, by
//!    `check_projected` and by `check`: no projection's analytic entry fails to show it.
//! 6. A clean projected check costs `1 + 2` evaluations of `f`, whatever `n` (two more where
//!    the central difference needs Richardson), and `1 + 2k` or more with per-projection
//!    differences.
//! 7. On the same layers, regimes and mutants as 2, the verdict of `check_projected` is the
//!    one it reaches with per-projection differences.

mod common;

use jacobian_oracle::catalogue::{Activation, ActivationLayer, SigmoidLayer};
use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
use jacobian_oracle::strategy::layer_case;
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;

/// `σ(Wx)` whose `eval` reads `x_j` off the dual path (`D::from(x_j.re())`) for one column
/// `j`: its dual column is 0 while `f` depends on `x_j`. The analytic Jacobian is right.
struct OffPath {
    layer: SigmoidLayer,
    column: usize,
}

impl VectorFn for OffPath {
    fn input_dim(&self) -> usize {
        self.layer.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.layer.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let mut y = x.clone();
        y[self.column] = D::from(x[self.column].re());
        self.layer.eval(&y)
    }
}

impl AnalyticJacobian for OffPath {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        self.layer.jacobian(x)
    }
}

fn layer(n: usize) -> (SigmoidLayer, DVector<f64>) {
    let w = DMatrix::from_fn(n, n, |i, j| (((i * 7 + j * 11) % 13) as f64 - 6.0) / 6.0);
    let x = DVector::from_fn(n, |j, _| ((j * 5 % 9) as f64 - 4.0) / 4.0);
    (SigmoidLayer::new(w), x)
}

#[test]
fn an_eval_off_the_dual_path_in_one_column_is_named() {
    for n in [4, 16, 64] {
        for column in [0, n / 3, n - 1] {
            let (layer, x) = layer(n);
            let f = OffPath { layer, column };
            let err = Oracle::default().check(&f, &x).unwrap_err();
            let CheckError::EvalDerivative(e) = &err else {
                panic!("n = {n}, column {column}: {err}")
            };
            assert_eq!(e.witnesses.col, column, "n = {n}: {err}");
            assert!(e.analytic_agrees_with_fd, "{err}");
        }
    }
}

#[test]
fn a_clean_check_costs_seven_evaluations_whatever_n() {
    for n in [4, 16, 64, 256] {
        let (layer, x) = layer(n);
        let a = Oracle::default().check(&layer, &x).unwrap();
        assert_eq!(a.evaluations.f64_evals, 1 + 2 * 3, "n = {n}: {a}");
        let per_column = Oracle::default().with_directional_witness(false);
        let b = per_column.check(&layer, &x).unwrap();
        assert!(b.evaluations.f64_evals > 2 * n, "n = {n}: {b}");
    }
}

/// The verdict as a comparable value: its kind, and the entry of a failure.
fn verdict(r: Result<jacobian_oracle::Agreement, CheckError>) -> String {
    match r {
        Ok(_) => "ok".to_string(),
        Err(CheckError::Mismatch(m)) => {
            format!("mismatch {:?}", (m.witnesses.row, m.witnesses.col))
        }
        Err(CheckError::EvalDerivative(e)) => {
            format!("eval {:?}", (e.witnesses.row, e.witnesses.col))
        }
        Err(CheckError::CannotJudge(c)) => format!("cannot judge {:?}", c.reason),
        Err(e) => format!("{e:?}"),
    }
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/directions.txt", 256))]

    /// Same verdicts as the per-column witness: sigmoid, ReLU (kinks in the integer regime),
    /// tanh and softplus layers, and three sigmoid-layer mutants, in every regime.
    #[test]
    fn same_verdicts_as_the_per_column_witness(case in layer_case()) {
        let along = Oracle::default();
        let per_column = Oracle::default().with_directional_witness(false);
        let b = DVector::from_fn(case.w.nrows(), |i, _| (i as f64 - 1.0) / 4.0);
        let sigmoid = SigmoidLayer::new(case.w.clone());
        prop_assert_eq!(
            verdict(along.check(&sigmoid, &case.x)),
            verdict(per_column.check(&sigmoid, &case.x))
        );
        for activation in [Activation::Relu, Activation::Tanh, Activation::Softplus] {
            let f = ActivationLayer::new(activation, case.w.clone(), b.clone());
            prop_assert_eq!(
                verdict(along.check(&f, &case.x)),
                verdict(per_column.check(&f, &case.x)),
                "{:?}", activation
            );
        }
        for kind in [
            LayerMutantKind::TransposedW,
            LayerMutantKind::MissingOneMinusZ,
            LayerMutantKind::SignError,
        ] {
            let f = LayerMutant::new(kind, case.w.clone());
            prop_assert_eq!(
                verdict(along.check(&f, &case.x)),
                verdict(per_column.check(&f, &case.x)),
                "{:?}", kind
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Projections: the witness along one signed combination of the k directions.
// ---------------------------------------------------------------------------------------------

/// How many projections the projection tests draw.
const K: usize = 4;

#[test]
fn an_eval_off_the_dual_path_in_one_column_is_named_by_check_projected() {
    for n in [4, 16, 64] {
        for column in [0, n / 3, n - 1] {
            let (layer, x) = layer(n);
            let f = OffPath { layer, column };
            let err = Oracle::default().check_projected(&f, &x, K).unwrap_err();
            let CheckError::EvalDerivative(e) = &err else {
                panic!("n = {n}, column {column}: {err}")
            };
            assert_eq!(e.witnesses.col, column, "n = {n}: {err}");
            assert_eq!(e.shape, (n, n), "localised by the full check: {err}");
            assert!(e.analytic_agrees_with_fd, "{err}");
        }
    }
}

/// [`OffPath`] with its analytic Jacobian's column `column` zeroed: the analytic side makes the
/// same mistake as the dual path (both say `f` does not depend on `x_column`), so the analytic
/// side agrees with the dual reference in every entry, and only finite differences of `f` can
/// tell that both are wrong.
fn shared_mistake(n: usize, column: usize) -> (impl AnalyticJacobian, DVector<f64>) {
    let (layer, x) = layer(n);
    let f = common::edited(OffPath { layer, column }, move |j: &mut DMatrix<f64>| {
        j.column_mut(column).fill(0.0)
    });
    (f, x)
}

#[test]
fn a_mistake_shared_by_the_analytic_side_and_the_dual_path_is_caught() {
    for n in [4, 16, 64] {
        for column in [0, n / 3, n - 1] {
            let (f, x) = shared_mistake(n, column);
            // The premise: the analytic side agrees with the dual reference (without finite
            // differences both checks pass), while f does depend on x_column.
            let dual_only = Oracle::default().with_finite_differences(false);
            dual_only.check_projected(&f, &x, K).unwrap();
            dual_only.check(&f, &x).unwrap();
            let (layer, _) = layer(n);
            assert!(layer.jacobian(&x).column(column).amax() > 1e-3, "n = {n}");
            for (name, result) in [
                (
                    "check_projected",
                    Oracle::default().check_projected(&f, &x, K),
                ),
                ("check", Oracle::default().check(&f, &x)),
            ] {
                let err = match result {
                    Err(err) => err,
                    Ok(a) => panic!("{name}, n = {n}, column {column}: passed: {a}"),
                };
                let CheckError::EvalDerivative(e) = &err else {
                    panic!("{name}, n = {n}, column {column}: {err}")
                };
                assert_eq!(e.witnesses.col, column, "{name}, n = {n}: {err}");
                assert!(!e.analytic_agrees_with_fd, "{name}: {err}");
            }
        }
    }
}

/// [`layer`] with its weights scaled by `1/√n`, as networks are initialised (and as the
/// benchmark's problem is): the pre-activations' directional derivatives stay `O(1)` as `n`
/// grows.
fn scaled_layer(n: usize) -> (SigmoidLayer, DVector<f64>) {
    let (layer, x) = layer(n);
    (SigmoidLayer::new(layer.w / (n as f64).sqrt()), x)
}

#[test]
fn a_clean_projected_check_costs_three_evaluations_whatever_n() {
    let per_projection = Oracle::default().with_directional_witness(false);
    for n in [4, 16, 64, 256] {
        // f(x), then the central difference along one combination of the directions.
        let (layer, x) = scaled_layer(n);
        let a = Oracle::default().check_projected(&layer, &x, K).unwrap();
        assert_eq!(a.evaluations.f64_evals, 1 + 2, "n = {n}: {a}");
        let b = per_projection.check_projected(&layer, &x, K).unwrap();
        assert!(b.evaluations.f64_evals > 2 * K, "n = {n}: {b}"); // 1 + 2k or more
        // With unscaled weights the directional derivatives grow with n (the view's rounding
        // model at t = 0 does not: no inner product of x in it), and from n = 8 the central
        // difference's truncation exceeds its rounding in some output: Richardson's two more
        // evaluations, still whatever n.
        let (layer, x) = self::layer(n);
        let a = Oracle::default().check_projected(&layer, &x, K).unwrap();
        assert!(a.evaluations.f64_evals <= 1 + 2 + 2, "n = {n}: {a}");
        let b = per_projection.check_projected(&layer, &x, K).unwrap();
        assert!(b.evaluations.f64_evals > 2 * K, "n = {n}: {b}"); // 1 + 2k or more
    }
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/directions_projected.txt", 256))]

    /// `check_projected` reaches the verdict of per-projection differences: sigmoid, ReLU,
    /// tanh and softplus layers, and three sigmoid-layer mutants, in every regime.
    #[test]
    fn projections_same_verdicts_as_per_projection_differences(case in layer_case()) {
        let along = Oracle::default();
        let per_projection = Oracle::default().with_directional_witness(false);
        let b = DVector::from_fn(case.w.nrows(), |i, _| (i as f64 - 1.0) / 4.0);
        let sigmoid = SigmoidLayer::new(case.w.clone());
        prop_assert_eq!(
            verdict(along.check_projected(&sigmoid, &case.x, K)),
            verdict(per_projection.check_projected(&sigmoid, &case.x, K))
        );
        for activation in [Activation::Relu, Activation::Tanh, Activation::Softplus] {
            let f = ActivationLayer::new(activation, case.w.clone(), b.clone());
            prop_assert_eq!(
                verdict(along.check_projected(&f, &case.x, K)),
                verdict(per_projection.check_projected(&f, &case.x, K)),
                "{:?}", activation
            );
        }
        for kind in [
            LayerMutantKind::TransposedW,
            LayerMutantKind::MissingOneMinusZ,
            LayerMutantKind::SignError,
        ] {
            let f = LayerMutant::new(kind, case.w.clone());
            prop_assert_eq!(
                verdict(along.check_projected(&f, &case.x, K)),
                verdict(per_projection.check_projected(&f, &case.x, K)),
                "{:?}", kind
            );
        }
    }
}
