//! Maps with hand-written Jacobians, each checked by the oracle: the worked example of
//! Murphy, *Probabilistic Machine Learning: An Introduction* (2022), sec. 13.4.3, eq. 13.73
//! and its erratum.
//!
//! | type | map | Jacobian |
//! |---|---|---|
//! | [`Sigmoid`] | `σ(a) = 1/(1+e^{−a})` | `σ(a)(1−σ(a))` |
//! | [`SigmoidNeuron`] | `z = σ(wᵀx)`, of `x` | `z(1−z) w` |
//! | [`SigmoidNeuronWeights`] | `z = σ(wᵀx)`, of `w` | `z(1−z) x` |
//! | [`SigmoidLayer`] | `z = σ(Wx)`, of `x` | `diag(z∘(1−z)) W` |
//! | [`SigmoidLayerWeights`] | `z = σ(Wx)`, of `vec(W)` | `xᵀ ⊗ diag(z∘(1−z))` |
//!
//! Every map is written once, generic over the scalar, with a numerically stable
//! [`sigmoid`]; its analytic Jacobian is the textbook formula.

mod activations;
mod layer;
mod layer_norm;
mod layers;
mod linear;
mod neuron;
mod regression;
mod sigmoid;
mod softmax;
mod special;

pub use activations::*;
pub use layers::*;

pub use layer::{SigmoidLayer, SigmoidLayerWeights};
pub use neuron::{SigmoidNeuron, SigmoidNeuronWeights};
pub use regression::{
    LogisticRegression, MultinomialLogisticRegression, NeuronScore, SmoothActivation,
};
pub use sigmoid::{Sigmoid, sigmoid, sigmoid_derivative, sigmoid_derivative_stable};
pub use special::*;

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// `Σ_k c_k v_k` in index order, for fixed `f64` coefficients and any scalar.
///
/// ```
/// use nalgebra::DVector;
/// let c = DVector::from_vec(vec![1.0, 2.0]);
/// assert_eq!(jacobian_oracle::catalogue::dot(&c, &DVector::from_vec(vec![3.0, 4.0])), 11.0);
/// ```
#[must_use]
pub fn dot<D: DualNum<Primitive = f64> + Copy>(c: &DVector<f64>, v: &DVector<D>) -> D {
    c.iter()
        .zip(v.iter())
        .fold(D::zero(), |acc, (&ck, &vk)| acc + vk * ck)
}

/// `W v` for a fixed `f64` matrix and any scalar, accumulated column by column (`a += W_{:,k}
/// v_k`), which walks nalgebra's column-major storage contiguously.
///
/// ```
/// use nalgebra::{DMatrix, DVector};
/// let w = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
/// let a = jacobian_oracle::catalogue::matvec(&w, &DVector::from_vec(vec![1.0, 1.0]));
/// assert_eq!(a, DVector::from_vec(vec![3.0, 7.0]));
/// ```
#[must_use]
pub fn matvec<D: DualNum<Primitive = f64> + Copy>(w: &DMatrix<f64>, v: &DVector<D>) -> DVector<D> {
    let mut a = DVector::from_element(w.nrows(), D::zero());
    for (col, &vk) in w.column_iter().zip(v.iter()) {
        for (ai, &wik) in a.iter_mut().zip(col.iter()) {
            *ai += vk * wik;
        }
    }
    a
}
