//! Suite entries: the linear layer of PML 1 sec. 13.3.3, softmax, log-softmax, the
//! cross-entropy of logits, and layer normalisation.
//!
//! How a [`LayerCase`] `(W, x)` becomes an input:
//!
//! * linear layer: `W`, `x` and the bias `b = W_{:,0}` as they are; the input is `x`, `vec(W)`
//!   (column-major) or `b`;
//! * softmax family: the `m` logits `z = Wx + r`, `r = (0, 1, …, m − 1)` — in the saturating
//!   regime `|Wx|` is in the hundreds; the ramp keeps the classes apart when `Wx` shrinks to
//!   0, where a uniform `p` would hide the mistakes that only transpose or permute `p`
//!   (`I − p1ᵀ = I − 1pᵀ` when `p` is uniform). So `m` is the number of classes, and a mistake
//!   that needs two classes shrinks to a `2×1` `W`;
//! * cross-entropy targets: one-hot at the largest logit (a confident, correct prediction: the
//!   gradient is tiny in saturation), or the label distributions of two annotators summed,
//!   `softmax(W_{:,0}) + softmax(W_{:,n−1})` (`Σy = 2`);
//! * layer normalisation: the input is `x` (`n` features), the gain `γ = e^{W_{0,:}/4}`
//!   (positive, near 1, never 0, so no row of the Jacobian vanishes), the bias
//!   `β = W_{m−1,:}`.

use nalgebra::DVector;

use super::Entry;
use crate::catalogue::{
    CrossEntropyWithLogits, LayerNorm, LinearLayer, LinearLayerBias, LinearLayerWeights,
    LogSoftmax, Softmax, softmax,
};
use crate::mutants::{
    CrossEntropyMutant, CrossEntropyMutantKind, LayerNormMutant, LayerNormMutantKind,
    LinearBiasAllOnes, LinearTransposed, LinearWeightsRowMajor, LogSoftmaxMutant,
    LogSoftmaxMutantKind, SoftmaxMutant, SoftmaxMutantKind,
};
use crate::strategy::LayerCase;

/// The bias of the linear layer: the first column of `W`.
fn bias(c: &LayerCase) -> DVector<f64> {
    c.w.column(0).into_owned()
}

/// The logits `Wx + (0, 1, …, m − 1)`.
fn logits(c: &LayerCase) -> DVector<f64> {
    let mut z = c.preactivation();
    for (i, zi) in z.iter_mut().enumerate() {
        *zi += i as f64;
    }
    z
}

/// One-hot at the largest logit (the first on ties).
fn one_hot_at_largest(z: &DVector<f64>) -> DVector<f64> {
    let a = (0..z.len()).fold(0, |a, i| if z[i] > z[a] { i } else { a });
    DVector::from_fn(z.len(), |i, _| if i == a { 1.0 } else { 0.0 })
}

/// `softmax(W_{:,0}) + softmax(W_{:,n−1})`: two annotators' label distributions, `Σy = 2`.
fn two_annotators(c: &LayerCase) -> DVector<f64> {
    softmax(&c.w.column(0).into_owned()) + softmax(&c.w.column(c.w.ncols() - 1).into_owned())
}

/// Layer normalisation with `γ = e^{W_{0,:}/4}`, `β = W_{m−1,:}`.
fn layer_norm(c: &LayerCase) -> LayerNorm {
    LayerNorm::new(
        c.w.row(0).transpose().map(|v| (v / 4.0).exp()),
        c.w.row(c.w.nrows() - 1).transpose(),
    )
}

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    vec![
        Entry::jacobian("linear_x", "∂(Wx + b)/∂x = W", |c| {
            (LinearLayer::new(c.w.clone(), bias(c)), c.x.clone())
        }),
        Entry::jacobian("linear_w", "∂(Wx + b)/∂vec(W) = xᵀ ⊗ I_m", |c| {
            (
                LinearLayerWeights::new(c.w.nrows(), c.x.clone(), bias(c)),
                DVector::from_column_slice(c.w.as_slice()),
            )
        }),
        Entry::jacobian("linear_b", "∂(Wx + b)/∂b = I_m", |c| {
            (LinearLayerBias::new(c.w.clone(), c.x.clone()), bias(c))
        }),
        Entry::jacobian("softmax", "∂p/∂z = diag(p) − ppᵀ", |c| {
            (Softmax::new(c.w.nrows()), logits(c))
        }),
        Entry::jacobian("log_softmax", "∂ log p/∂z = I − 1pᵀ", |c| {
            (LogSoftmax::new(c.w.nrows()), logits(c))
        }),
        Entry::jacobian("cross_entropy_one_hot", "∂L/∂z = p − e_a", |c| {
            let z = logits(c);
            (CrossEntropyWithLogits::new(one_hot_at_largest(&z)), z)
        }),
        Entry::jacobian(
            "cross_entropy_two_annotators",
            "∂L/∂z = (Σy) p − y",
            |c| (CrossEntropyWithLogits::new(two_annotators(c)), logits(c)),
        ),
        Entry::jacobian(
            "layer_norm",
            "∂y/∂x = diag(γ)/s · (I − 11ᵀ/n − x̂x̂ᵀ/n)",
            |c| (layer_norm(c), c.x.clone()),
        ),
    ]
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    let mut out = vec![
        Entry::jacobian(LinearTransposed::NAME, LinearTransposed::FORMULA, |c| {
            (LinearTransposed::new(c.w.clone(), bias(c)), c.x.clone())
        })
        .minimal(LinearTransposed::MINIMAL_SHAPE)
        .square_only(),
        Entry::jacobian(
            LinearWeightsRowMajor::NAME,
            LinearWeightsRowMajor::FORMULA,
            |c| {
                (
                    LinearWeightsRowMajor::new(c.w.nrows(), c.x.clone(), bias(c)),
                    DVector::from_column_slice(c.w.as_slice()),
                )
            },
        )
        .minimal(LinearWeightsRowMajor::MINIMAL_SHAPE),
        Entry::jacobian(LinearBiasAllOnes::NAME, LinearBiasAllOnes::FORMULA, |c| {
            (LinearBiasAllOnes::new(c.w.clone(), c.x.clone()), bias(c))
        })
        .minimal(LinearBiasAllOnes::MINIMAL_SHAPE),
    ];
    for kind in SoftmaxMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                (SoftmaxMutant::new(kind, c.w.nrows()), logits(c))
            })
            .minimal(kind.minimal_shape()),
        );
    }
    for kind in LogSoftmaxMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                (LogSoftmaxMutant::new(kind, c.w.nrows()), logits(c))
            })
            .minimal(kind.minimal_shape()),
        );
    }
    for kind in CrossEntropyMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                let z = logits(c);
                let y = match kind {
                    CrossEntropyMutantKind::SignFlipped => one_hot_at_largest(&z),
                    CrossEntropyMutantKind::MissingTargetSum => two_annotators(c),
                };
                (CrossEntropyMutant::new(kind, y), z)
            })
            .minimal(kind.minimal_shape()),
        );
    }
    for kind in LayerNormMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                (LayerNormMutant::new(kind, layer_norm(c)), c.x.clone())
            })
            .minimal(kind.minimal_shape()),
        );
    }
    out
}
