//! Property tests of the catalogue: every map's textbook Jacobian agrees with the dual and
//! finite-difference references on every case the strategies reach — shapes 1×1 to 8×8,
//! moderate, saturating, tiny and huge scales — with no false alarm.

mod common;

use approx::abs_diff_eq;
use jacobian_oracle::catalogue::{
    Sigmoid, SigmoidLayer, SigmoidLayerWeights, SigmoidNeuron, SigmoidNeuronWeights, sigmoid,
    sigmoid_derivative, sigmoid_derivative_stable,
};
use jacobian_oracle::strategy::{Regime, layer_case};
use jacobian_oracle::{AnalyticJacobian, Oracle};
use nalgebra::DVector;
use proptest::prelude::*;

proptest! {
    #![proptest_config(common::config("proptest-regressions/catalogue.txt", 256))]

    #[test]
    fn sigmoid_scalar(case in layer_case()) {
        let a = case.preactivation()[0];
        Oracle::default().check(&Sigmoid, &DVector::from_element(1, a))?;
    }

    #[test]
    fn sigmoid_neuron_of_x(case in layer_case()) {
        let neuron = SigmoidNeuron::new(case.w.row(0).transpose());
        Oracle::default().check(&neuron, &case.x)?;
    }

    #[test]
    fn sigmoid_neuron_of_w(case in layer_case()) {
        let neuron = SigmoidNeuronWeights::new(case.x.clone());
        Oracle::default().check(&neuron, &case.w.row(0).transpose())?;
    }

    #[test]
    fn sigmoid_layer_of_x(case in layer_case()) {
        let layer = SigmoidLayer::new(case.w.clone());
        let agreement = Oracle::default().check(&layer, &case.x)?;
        prop_assert_eq!(agreement.shape, case.w.shape());
        prop_assert!(agreement.worst_analytic.ratio() <= 1.0);
    }

    #[test]
    fn sigmoid_layer_of_w(case in layer_case()) {
        let map = SigmoidLayerWeights::new(case.w.nrows(), case.x.clone());
        let theta = DVector::from_column_slice(case.w.as_slice());
        let agreement = Oracle::default().check(&map, &theta)?;
        prop_assert_eq!(agreement.shape, (case.w.nrows(), case.w.len()));
    }

    /// The stable sigmoid has no NaN or infinity anywhere, and the stable derivative keeps
    /// full relative precision where the textbook one loses it.
    #[test]
    fn sigmoid_is_finite_and_bounded(a in -1e6f64..1e6) {
        let z = sigmoid(a);
        prop_assert!(z.is_finite() && (0.0..=1.0).contains(&z));
        let d = sigmoid_derivative(a);
        prop_assert!(d.is_finite() && (0.0..=0.25).contains(&d));
        let s = sigmoid_derivative_stable(a);
        prop_assert!(s.is_finite() && (0.0..=0.25).contains(&s));
        // Both forms agree absolutely to a few ulps of 1/4.
        prop_assert!(abs_diff_eq!(d, s, epsilon = 4.0 * f64::EPSILON), "{} vs {}", d, s);
    }

    /// The Jacobian of σ(Wx) with respect to x is diag(σ')·W exactly: row i is σ'(a_i)·W_{i,:}.
    #[test]
    fn layer_jacobian_rows_are_scaled_weight_rows(case in layer_case().regimes(&[Regime::Moderate])) {
        let layer = SigmoidLayer::new(case.w.clone());
        let jac = layer.jacobian(&case.x);
        let a = jacobian_oracle::catalogue::matvec(&case.w, &case.x);
        for i in 0..case.w.nrows() {
            for j in 0..case.w.ncols() {
                prop_assert_eq!(jac[(i, j)], sigmoid_derivative(a[i]) * case.w[(i, j)]);
            }
        }
    }
}

/// The textbook σ' = z(1−z) in deep saturation: no false alarm, and the lost relative
/// precision is reported as a note, not a failure.
#[test]
fn deep_saturation_is_a_note_not_a_failure() {
    let oracle = Oracle::default();
    for a in [38.0, 40.0, 100.0, 300.0, 700.0] {
        let agreement = oracle
            .check(&Sigmoid, &DVector::from_element(1, a))
            .unwrap_or_else(|e| panic!("false alarm at a = {a}: {e}"));
        assert_eq!(
            agreement.precision_loss_entries(),
            1,
            "a = {a}: z(1−z) rounds to 0 while σ'(a) = {:e}",
            sigmoid_derivative_stable(a)
        );
    }
    // Negative saturation: z is accurate, 1−z is 1: no precision is lost.
    for a in [-38.0, -300.0, -700.0] {
        let agreement = oracle
            .check(&Sigmoid, &DVector::from_element(1, a))
            .unwrap();
        assert_eq!(agreement.precision_loss_entries(), 0, "a = {a}");
    }
    // σ'(740) ≈ 4e-322 is subnormal: below the underflow floor there is no relative
    // precision to lose, and the check passes on the floor.
    let agreement = oracle
        .check(&Sigmoid, &DVector::from_element(1, 740.0))
        .unwrap();
    assert_eq!(agreement.precision_loss_entries(), 0);
    assert!(agreement.worst_analytic.abs_error > 0.0);
    // Beyond underflow both references are exactly 0.
    let agreement = oracle
        .check(&Sigmoid, &DVector::from_element(1, 800.0))
        .unwrap();
    assert_eq!(agreement.worst_analytic.abs_error, 0.0);
}
