//! The layers family: the linear layer of PML 1 sec. 13.3.3 ([`LinearLayer`] and its
//! Jacobians with respect to the weights and the bias), softmax, log-softmax and the
//! cross-entropy of logits, and layer normalisation — one file per idea (`linear.rs`,
//! `softmax.rs`, `layer_norm.rs`), exported here.
//!
//! | type | map | Jacobian |
//! |---|---|---|
//! | [`LinearLayer`] | `y = Wx + b`, of `x` | `W` |
//! | [`LinearLayerWeights`] | `y = Wx + b`, of `vec(W)` (column-major) | `xᵀ ⊗ I_m` |
//! | [`LinearLayerBias`] | `y = Wx + b`, of `b` | `I_m` |
//! | [`Softmax`] | `p = softmax(x)` | `diag(p) − ppᵀ` |
//! | [`LogSoftmax`] | `log softmax(x) = x − logsumexp(x)·1` | `I − 1pᵀ` |
//! | [`CrossEntropyWithLogits`] | `L = −Σ_i y_i log softmax(x)_i` | `((Σy) p − y)ᵀ` |
//! | [`LayerNorm`] | `y = γ∘(x − μ1)/√(σ² + ε) + β` | `diag(γ)/s · (I − 11ᵀ/n − x̂x̂ᵀ/n)` |

pub use super::layer_norm::LayerNorm;
pub use super::linear::{LinearLayer, LinearLayerBias, LinearLayerWeights};
pub use super::softmax::{
    CrossEntropyWithLogits, LogSoftmax, Softmax, log_softmax, logsumexp, softmax,
    softmax_and_complement,
};
