//! Suite entries: gradients and Hessians (logistic regression, softmax cross-entropy, the
//! second derivatives of sigmoid, softplus and tanh).
//!
//! Built from a case `(W, x)`:
//!
//! * logistic regression: data `X = W` (`N×d`, one example per row), labels `y_n = n mod 2`,
//!   weights `x`;
//! * multinomial logistic regression: data `W`, 3 classes, labels `n mod 3`, `θ = vec(Θ)` with
//!   `Θ_{ck} = x_k (c + 1)/2 − x_k` (a spread of the input over the classes);
//! * softmax cross-entropy ([`CrossEntropyWithLogits`]): logits `x`, target one-hot on the
//!   first class;
//! * neuron scores `φ(wᵀx)`: `w` the first row of `W`.

use nalgebra::DVector;

use super::Entry;
use crate::catalogue::{
    CrossEntropyWithLogits, LogisticRegression, MultinomialLogisticRegression, NeuronScore,
    SmoothActivation,
};
use crate::mutants::{
    RegressionMutant, RegressionMutantKind, SoftmaxHessianMissingOuter, TanhHessianWrongSign,
};
use crate::strategy::LayerCase;

fn logistic(c: &LayerCase) -> LogisticRegression {
    let labels = DVector::from_fn(c.w.nrows(), |n, _| (n % 2) as f64);
    LogisticRegression::new(c.w.clone(), labels)
}

fn multinomial(c: &LayerCase) -> (MultinomialLogisticRegression, DVector<f64>) {
    const CLASSES: usize = 3;
    let labels = (0..c.w.nrows()).map(|n| n % CLASSES).collect();
    let d = c.x.len();
    let theta = DVector::from_fn(CLASSES * d, |i, _| {
        let (class, k) = (i % CLASSES, i / CLASSES);
        c.x[k] * (class as f64 + 1.0) / 2.0 - c.x[k]
    });
    (
        MultinomialLogisticRegression::new(c.w.clone(), labels, CLASSES),
        theta,
    )
}

fn one_hot(n: usize) -> DVector<f64> {
    DVector::from_fn(n, |i, _| if i == 0 { 1.0 } else { 0.0 })
}

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    let mut out = vec![
        Entry::gradient(
            "logistic_regression_gradient",
            "∇NLL = Xᵀ(μ − y)/N",
            |c| (logistic(c), c.x.clone()),
        ),
        Entry::hessian(
            "logistic_regression_hessian",
            "∇²NLL = XᵀSX/N, S = diag(μ(1 − μ))",
            |c| (logistic(c), c.x.clone()),
        ),
        Entry::gradient(
            "multinomial_logistic_regression_gradient",
            "∇_W NLL = (P − Y)ᵀX/N",
            multinomial,
        ),
        Entry::hessian(
            "softmax_cross_entropy_hessian",
            "∇²L = diag(p) − ppᵀ",
            |c| (CrossEntropyWithLogits::new(one_hot(c.x.len())), c.x.clone()),
        ),
    ];
    for (name, formula, act) in [
        (
            "sigmoid_hessian",
            "∇²σ(wᵀx) = σ(1−σ)(1−2σ) wwᵀ",
            SmoothActivation::Sigmoid,
        ),
        (
            "softplus_hessian",
            "∇²softplus(wᵀx) = σ(1−σ) wwᵀ",
            SmoothActivation::Softplus,
        ),
        (
            "tanh_hessian",
            "∇²tanh(wᵀx) = −2z(1−z²) wwᵀ",
            SmoothActivation::Tanh,
        ),
    ] {
        out.push(Entry::hessian(name, formula, move |c| {
            (NeuronScore::new(act, c.w.row(0).transpose()), c.x.clone())
        }));
    }
    out
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    let mut out = Vec::new();
    for kind in RegressionMutantKind::ALL {
        let build = move |c: &LayerCase| (RegressionMutant::new(kind, logistic(c)), c.x.clone());
        let e = if kind.in_gradient() {
            Entry::gradient(kind.name(), kind.formula(), build)
        } else {
            Entry::hessian(kind.name(), kind.formula(), build)
        };
        out.push(e.minimal(kind.minimal_shape()));
    }
    out.push(
        Entry::hessian(
            SoftmaxHessianMissingOuter::NAME,
            SoftmaxHessianMissingOuter::FORMULA,
            |c| {
                (
                    SoftmaxHessianMissingOuter::new(one_hot(c.x.len())),
                    c.x.clone(),
                )
            },
        )
        .minimal((1, 1)),
    );
    out.push(
        Entry::hessian(
            TanhHessianWrongSign::NAME,
            TanhHessianWrongSign::FORMULA,
            |c| {
                (
                    TanhHessianWrongSign::new(c.w.row(0).transpose()),
                    c.x.clone(),
                )
            },
        )
        .minimal((1, 1)),
    );
    out
}
