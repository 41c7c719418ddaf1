//! The sigmoid layer through every mode of [`crate::modes`], [`crate::precision`] and
//! [`crate::black_box`]: its backward pass, forward rule, projections, `f32` Jacobian and the
//! layer as a black box, each over every regime.

use super::Entry;
use crate::catalogue::SigmoidLayer;
use crate::{AnalyticJacobian, VectorFn};

pub(super) fn maps() -> Vec<Entry> {
    vec![
        Entry::new(
            "sigmoid_layer_vjp",
            "uᵀJ = Wᵀ(u∘z∘(1−z))",
            |oracle, c| oracle.check_vjp(&SigmoidLayer::new(c.w.clone()), &c.x),
        ),
        Entry::new(
            "sigmoid_layer_jvp",
            "Jv = z∘(1−z)∘(Wv)",
            |oracle, c| oracle.check_jvp(&SigmoidLayer::new(c.w.clone()), &c.x),
        ),
        Entry::new(
            "sigmoid_layer_projected",
            "diag(z∘(1−z)) W along 4 directions",
            |oracle, c| oracle.check_projected(&SigmoidLayer::new(c.w.clone()), &c.x, 4),
        ),
        Entry::new(
            "sigmoid_layer_f32",
            "diag(z∘(1−z)) W in f32",
            |oracle, c| oracle.check_f32(&SigmoidLayer::new(c.w.clone()), &c.x),
        ),
        Entry::new(
            "sigmoid_layer_black_box",
            "diag(z∘(1−z)) W vs finite differences only",
            |oracle, c| {
                let layer = SigmoidLayer::new(c.w.clone());
                oracle.check_black_box(|p| layer.eval(p), &layer.jacobian(&c.x), &c.x)
            },
        ),
    ]
}
