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
