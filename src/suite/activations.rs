//! Suite entries: activation functions (PML 1 sec. 13.4.3), their layers `φ(Wx + b)` and an
//! MLP.
//!
//! Built from a case `(W, x)`:
//!
//! * `<name>` (`tanh`, `softplus`, `log_sigmoid`, `relu`, `leaky_relu`, `elu`, `selu`,
//!   `silu`, `gelu_erf`, `gelu_tanh`, `softsign`): the elementwise map `φ(x)` at `x`;
//! * `<name>_layer`: the layer `φ(Wx + b)` at `x`, with the bias `b = ½W𝟙` (half the row sums
//!   of `W`, i.e. the unbiased layer shifted to `x + ½𝟙`): it is independent of `x`, scales
//!   with `W` in every regime (so saturation stays saturation), and stays a half-integer in the
//!   integer regime, where `Wx + b` is still often exactly 0 — on the kinks;
//! * `mlp`: four layers, ReLU, sigmoid, tanh, softplus, each with `b = ½W_l𝟙`: `W_1 = W`
//!   (`m×n`), then `W_2`, `W_3`, `W_4` (`m×m`) derived from `W`;
//! * the mutants of [`crate::mutants`]' activation family: the scalar ones on the elementwise
//!   map at `x + ½𝟙`, and those wrong on the negative side only at `−|x + ½𝟙|`. Most of these
//!   mistakes happen to be right at 0 (`1 − z = 1 − z²` where `z = 0`), and an input is drawn
//!   as exactly 0 about one time in 45: the shift by ½ (the layers' bias, for one input) keeps
//!   such a draw from hiding the mistake in the first input, so the smallest counterexample
//!   is always one input. The reversed chain rule on a three-layer MLP of a square `W` (softplus,
//!   SiLU, softplus).

use nalgebra::DMatrix;

use super::Entry;
use crate::catalogue::{Activation, ActivationLayer, Elementwise, Mlp};
use crate::mutants::{ActivationMutant, ActivationMutantKind, MlpReversedChain};
use crate::strategy::LayerCase;

/// The activations of this family: every [`Activation`] but the sigmoid, which has its own
/// entries from the seed example.
fn family() -> impl Iterator<Item = Activation> {
    Activation::ALL
        .into_iter()
        .filter(|&a| a != Activation::Sigmoid)
}

/// `φ(Wx + b)` with `b = ½W𝟙`.
fn layer(activation: Activation, w: DMatrix<f64>) -> ActivationLayer {
    let b = w.column_sum() * 0.5;
    ActivationLayer::new(activation, w, b)
}

/// The `m×m` weights of the hidden layers, derived from `W` (`m×n`) deterministically:
/// `W_2[i, j] = W[(i + 1) mod m, j mod n]/2` (rows of `W` cycled by one, columns wrapped) and
/// `W_3[i, j] = −W[i, (j + 1) mod n]/2` (columns cycled by one, negated). Halved so that the
/// hidden pre-activations stay on the scale of `W`; for a `2×2` `W` neither commutes with
/// `W` in general, so the order of the chain rule shows.
fn hidden_weights(w: &DMatrix<f64>) -> (DMatrix<f64>, DMatrix<f64>) {
    let (m, n) = w.shape();
    let w2 = DMatrix::from_fn(m, m, |i, j| 0.5 * w[((i + 1) % m, j % n)]);
    let w3 = DMatrix::from_fn(m, m, |i, j| -0.5 * w[(i, (j + 1) % n)]);
    (w2, w3)
}

/// The MLP of the suite: ReLU, sigmoid, tanh and softplus layers on `W`, `W_2`, `W_3`, `W_4`,
/// each with `b = ½W_l𝟙`, and the stable hidden derivatives of [`Mlp::new`]. ReLU comes first,
/// where its pre-activations `W(x + ½𝟙)` are exactly 0 in the integer regime (its kink inside
/// an MLP); sigmoid and tanh saturate in the saturating regime. (With the textbook hidden
/// derivatives `z(1 − z)` and `1 − z²`, [`Mlp::textbook`], the oracle can flag the correct
/// chain rule in saturation — a known limitation, see `tests/activations.rs`.)
fn mlp(w: &DMatrix<f64>) -> Mlp {
    let (w2, w3) = hidden_weights(w);
    let (m, n) = w.shape();
    let w4 = DMatrix::from_fn(m, m, |i, j| 0.5 * w[((i + 2) % m, (j + 1) % n)]);
    Mlp::new(vec![
        layer(Activation::Relu, w.clone()),
        layer(Activation::Sigmoid, w2),
        layer(Activation::Tanh, w3),
        layer(Activation::Softplus, w4),
    ])
}

/// The suite's MLP with `first` as the first layer's activation.
fn mlp_with(first: Activation, w: &DMatrix<f64>) -> Mlp {
    let (w2, w3) = hidden_weights(w);
    Mlp::new(vec![
        layer(first, w.clone()),
        layer(Activation::Silu, w2),
        layer(Activation::Softplus, w3),
    ])
}

/// The textbook derivative of each activation, for the entry's formula.
fn formula(activation: Activation) -> (&'static str, &'static str) {
    match activation {
        Activation::Tanh => ("tanh'(a) = 1 − z²", "diag(1 − z²) W"),
        Activation::Softplus => ("softplus'(a) = σ(a)", "diag(σ(a)) W"),
        Activation::LogSigmoid => ("(log σ)'(a) = σ(−a)", "diag(σ(−a)) W"),
        Activation::Relu => ("relu'(a) = [a > 0]", "diag([a > 0]) W"),
        Activation::LeakyRelu { .. } => ("leaky_relu'(a) = 1 or slope", "diag(1 or slope) W"),
        Activation::Elu { .. } => ("elu'(a) = 1 or αe^a", "diag(1 or αe^a) W"),
        Activation::Selu => ("selu'(a) = λ or λαe^a", "diag(λ or λαe^a) W"),
        Activation::Silu => (
            "silu'(a) = σ(a)(1 + a(1 − σ(a)))",
            "diag(σ(a)(1 + a(1 − σ(a)))) W",
        ),
        Activation::GeluErf => ("gelu'(x) = Φ(x) + xφ(x)", "diag(Φ(a) + aφ(a)) W"),
        Activation::GeluTanh => (
            "gelu_tanh'(x) = σ(2u) + 2xσ(2u)σ(−2u)u'",
            "diag(gelu_tanh'(a)) W",
        ),
        Activation::Softsign => ("softsign'(a) = 1/(1 + |a|)²", "diag(1/(1 + |a|)²) W"),
        Activation::Sigmoid => ("σ'(a) = σ(a)(1 − σ(a))", "diag(z∘(1 − z)) W"),
    }
}

/// The name of the layer entry of an activation.
fn layer_name(activation: Activation) -> &'static str {
    match activation {
        Activation::Sigmoid => "sigmoid_layer",
        Activation::Tanh => "tanh_layer",
        Activation::Softplus => "softplus_layer",
        Activation::LogSigmoid => "log_sigmoid_layer",
        Activation::Relu => "relu_layer",
        Activation::LeakyRelu { .. } => "leaky_relu_layer",
        Activation::Elu { .. } => "elu_layer",
        Activation::Selu => "selu_layer",
        Activation::Silu => "silu_layer",
        Activation::GeluErf => "gelu_erf_layer",
        Activation::GeluTanh => "gelu_tanh_layer",
        Activation::Softsign => "softsign_layer",
    }
}

/// The catalogue maps of this family.
pub(super) fn maps() -> Vec<Entry> {
    let mut out = Vec::new();
    for activation in family() {
        let (scalar, jacobian) = formula(activation);
        out.push(Entry::jacobian(activation.name(), scalar, move |c| {
            (Elementwise::new(activation, c.x.len()), c.x.clone())
        }));
        out.push(Entry::jacobian(
            layer_name(activation),
            jacobian,
            move |c| (layer(activation, c.w.clone()), c.x.clone()),
        ));
    }
    out.push(Entry::jacobian(
        "mlp",
        "∂z_4/∂x = J_4 J_3 J_2 J_1, J_l = diag(φ_l'(a_l)) W_l (ReLU, σ, tanh, softplus)",
        |c: &LayerCase| (mlp(&c.w), c.x.clone()),
    ));
    out
}

/// The mutants of this family.
pub(super) fn mutants() -> Vec<Entry> {
    let mut out = Vec::new();
    for kind in ActivationMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                let x = c.x.map(|v| {
                    let shifted = v + 0.5;
                    if kind.negative_side_only() {
                        -shifted.abs()
                    } else {
                        shifted
                    }
                });
                (ActivationMutant::new(kind, x.len()), x)
            })
            .minimal(kind.minimal_shape()),
        );
    }
    out.push(
        Entry::jacobian(MlpReversedChain::NAME, MlpReversedChain::FORMULA, |c| {
            // Softplus for ReLU: a ReLU layer of two units is switched off entirely about
            // one time in four, and then every order of the product is 0.
            (
                MlpReversedChain::new(mlp_with(Activation::Softplus, &c.w)),
                c.x.clone(),
            )
        })
        .minimal((2, 2))
        .square_only(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DVector;

    #[test]
    fn hidden_weights_have_the_documented_entries() {
        let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let (w2, w3) = hidden_weights(&w);
        assert_eq!(w2, DMatrix::from_row_slice(2, 2, &[2.0, 2.5, 0.5, 1.0]));
        assert_eq!(w3, DMatrix::from_row_slice(2, 2, &[-1.0, -1.5, -2.5, -3.0]));
        assert_eq!(
            layer(Activation::Relu, w).b,
            DVector::from_vec(vec![3.0, 7.5])
        );
    }
}
