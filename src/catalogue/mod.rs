//! Maps with hand-written derivatives, each checked by the oracle. It starts from the worked
//! example of Murphy, *Probabilistic Machine Learning: An Introduction* (2022), sec. 13.4.3,
//! eq. 13.73 and its erratum, and grows into the layers and losses of PML 1 ch. 10 and 13.
//!
//! | type | map | derivative (hand-written) |
//! |---|---|---|
//! | [`Sigmoid`] | `σ(a) = 1/(1+e^{−a})` | `σ(a)(1−σ(a))` |
//! | [`SigmoidNeuron`] | `z = σ(wᵀx)`, of `x` | `z(1−z) w` |
//! | [`SigmoidNeuronWeights`] | `z = σ(wᵀx)`, of `w` | `z(1−z) x` |
//! | [`SigmoidLayer`] | `z = σ(Wx)`, of `x` | `diag(z∘(1−z)) W` |
//! | [`SigmoidLayerWeights`] | `z = σ(Wx)`, of `vec(W)` | `xᵀ ⊗ diag(z∘(1−z))` |
//! | [`Elementwise`] | `φ(x)` for an [`Activation`] (tanh, softplus, log-sigmoid, ReLU, leaky ReLU, ELU, SELU, SiLU, GELU erf and tanh forms, softsign) | `diag(φ'(x))` |
//! | [`ActivationLayer`] | `φ(Wx + b)` | `diag(φ'(a)) W` |
//! | [`Mlp`] | `z_L`, `z_l = φ_l(W_l z_{l−1} + b_l)` | `J_L ⋯ J_1` |
//! | [`LinearLayer`], [`LinearLayerWeights`], [`LinearLayerBias`] | `Wx + b`, of `x`, `vec(W)`, `b` | `W`, `xᵀ ⊗ I`, `I` |
//! | [`Softmax`], [`LogSoftmax`] | `softmax(x)`, `log softmax(x)` | `diag(p) − ppᵀ`, `I − 1pᵀ` |
//! | [`CrossEntropyWithLogits`] | `−Σ y_i log softmax(x)_i` | `(Σy)p − y`; Hessian `(Σy)(diag(p) − ppᵀ)` |
//! | [`LayerNorm`] | `γ∘(x − μ)/√(σ² + ε) + β` | `diag(γ)/s · (I − 11ᵀ/n − x̂x̂ᵀ/n)` |
//! | [`LogisticRegression`] | average NLL of binary logistic regression | `Xᵀ(μ − y)/N`; Hessian `XᵀSX/N` |
//! | [`MultinomialLogisticRegression`] | average NLL of multinomial logistic regression | `(P − Y)ᵀX/N` |
//! | [`NeuronScore`] | `φ(wᵀx)` for sigmoid, softplus, tanh ([`SmoothActivation`]) | `φ'(a) w`; Hessian `φ''(a) wwᵀ` |
//!
//! Every map is written once, generic over the scalar, with numerically stable forms (no NaN
//! or infinity for any finite input); its analytic derivative is the textbook formula, written
//! stably where the textbook one would lose all relative precision in a way the oracle cannot
//! attribute (see each type's docs).
//!
//! ```
//! use jacobian_oracle::catalogue::{Activation, ActivationLayer, LayerNorm, Softmax, SigmoidLayer};
//! use jacobian_oracle::Oracle;
//! use nalgebra::{DMatrix, DVector};
//!
//! let oracle = Oracle::default();
//! let w = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]);
//! let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
//! // Each map's hand-written Jacobian agrees with the dual reference, vouched for by finite
//! // differences — here, and on every proptest case of the crate's tests.
//! oracle.check(&SigmoidLayer::new(w.clone()), &x).unwrap();
//! let b = DVector::from_vec(vec![0.1, -0.2]);
//! oracle.check(&ActivationLayer::new(Activation::GeluErf, w, b), &x).unwrap();
//! oracle.check(&Softmax::new(3), &x).unwrap();
//! let (gamma, beta) = (DVector::from_vec(vec![1.0, 2.0, -0.5]), DVector::zeros(3));
//! oracle.check(&LayerNorm::new(gamma, beta), &x).unwrap();
//! ```

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
    let m = w.nrows();
    let mut a = vec![D::zero(); m];
    if m > 0 {
        // Plain slices of the column-major storage: the inner loop is a contiguous axpy that
        // the compiler vectorizes for f64 (nalgebra's strided iterators do not).
        for (col, &vk) in w.as_slice().chunks_exact(m).zip(v.iter()) {
            for (ai, &wik) in a.iter_mut().zip(col) {
                *ai += vk * wik;
            }
        }
    }
    DVector::from_vec(a)
}

/// `diag(s) M`: row `i` of `M` scaled by `s_i`, walking `M` column by column (contiguous in
/// nalgebra's column-major storage).
pub(crate) fn scale_rows<T: nalgebra::Scalar + nalgebra::ClosedMulAssign>(
    s: &DVector<T>,
    mut m: DMatrix<T>,
) -> DMatrix<T> {
    for mut col in m.column_iter_mut() {
        col.component_mul_assign(s);
    }
    m
}
