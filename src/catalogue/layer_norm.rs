//! Layer normalisation (Ba, Kiros and Hinton, *Layer Normalization*, arXiv:1607.06450, 2016)
//! and its Jacobian with respect to the input.

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::report::{float_literal, vec_literal};
use crate::{AnalyticJacobian, VectorFn};

/// Layer normalisation of `x ∈ ℝⁿ` with gain `γ` and bias `β` fixed:
/// `y = γ ∘ (x − μ1)/s + β`, `μ = (1/n) Σ_k x_k`, `σ² = (1/n) Σ_k (x_k − μ)²`,
/// `s = √(σ² + ε)`, `ε = 10⁻⁵` (Ba et al. 2016).
///
/// With `x̂ = (x − μ1)/s` the Jacobian is
///
/// `∂y/∂x = diag(γ)/s · (I − 11ᵀ/n − x̂x̂ᵀ/n)`,
/// i.e. `∂y_i/∂x_j = (γ_i/s)(δ_ij − 1/n − x̂_i x̂_j/n)`.
///
/// Derivation. `c = x − μ1` has `∂c_i/∂x_j = δ_ij − 1/n` (the `11ᵀ/n` term: the mean moves
/// with every input). `σ² = (1/n) Σ_k c_k²`, so `∂σ²/∂x_j = (2/n) Σ_k c_k (δ_kj − 1/n) =
/// 2c_j/n`, using `Σ_k c_k = 0`; then `∂s/∂x_j = c_j/(ns)`. By the quotient rule
/// `∂(c_i/s)/∂x_j = (δ_ij − 1/n)/s − c_i c_j/(ns³) = (1/s)(δ_ij − 1/n − x̂_i x̂_j/n)`
/// (the `x̂x̂ᵀ/n` term: the scale moves too), and `y_i = γ_i x̂_i + β_i` scales row `i` by
/// `γ_i` — on the left: `diag(γ)` multiplies rows, not columns.
///
/// Consequences, asserted in the tests: `J·1 = 0` (a shift of every input changes nothing);
/// `J x̂ = (ε/s³) γ∘x̂`, hence `J x = (ε/s²) γ∘x̂`, and, for `γ = 1`, `x̂ᵀJ = (ε/s³) x̂ᵀ` —
/// not 0: because of `ε` the map is not exactly scale-invariant (`‖x̂‖²/n = σ²/s² =
/// 1 − ε/s²`); `diag(γ)⁻¹ J` is symmetric. At a constant `x` (`σ² = 0`) `ε` keeps
/// `s = √ε` and `J = diag(γ)/√ε · (I − 11ᵀ/n)`: finite. For `n = 2` the bracket is
/// `(ε/s²)·½[[1, −1], [−1, 1]]`: the whole Jacobian is of order `ε/s³`, and both the analytic
/// formula and the dual path reach it by cancellation, so for `s ≫ √ε` both are right only to
/// the rounding of their terms, about `f64::EPSILON·|γ_i|/s`, not to a few ulps of the entry.
///
/// # Examples
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::LayerNorm;
/// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
/// use nalgebra::DVector;
///
/// let x = DVector::from_vec(vec![1.0, -2.0, 4.0]);
/// // γ = 1, β = 0: mean 0, variance σ²/(σ² + ε) ≈ 1.
/// let y: DVector<f64> = LayerNorm::new(DVector::from_element(3, 1.0), DVector::zeros(3)).eval(&x);
/// assert_abs_diff_eq!(y.sum(), 0.0, epsilon = 1e-15);
/// assert_abs_diff_eq!(y.norm_squared() / 3.0, 1.0, epsilon = 1e-5);
///
/// let ln = LayerNorm::new(DVector::from_vec(vec![1.0, 2.0, 0.5]), DVector::zeros(3));
/// Oracle::default().check(&ln, &x).unwrap();
///
/// // Constant input: σ² = 0, and ε keeps it finite.
/// let c = DVector::from_vec(vec![3.0, 3.0, 3.0]);
/// assert_eq!(ln.eval(&c), DVector::zeros(3));
/// Oracle::default().check(&ln, &c).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNorm {
    /// The gain `γ` (length `n`).
    pub gamma: DVector<f64>,
    /// The bias `β` (length `n`).
    pub beta: DVector<f64>,
    /// `ε`, added to the variance ([`LayerNorm::EPSILON`] unless set).
    pub epsilon: f64,
}

impl LayerNorm {
    /// The `ε` of Ba et al. and of most implementations.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::DVector;
    /// assert_eq!(LayerNorm::EPSILON, 1e-5);
    /// let ln = LayerNorm::new(DVector::from_vec(vec![1.0, 1.0]), DVector::zeros(2));
    /// assert_eq!(ln.epsilon, LayerNorm::EPSILON);
    /// // At a constant input ε alone keeps s = √ε: J = (I − 11ᵀ/n)/√ε.
    /// let j = ln.jacobian(&DVector::from_vec(vec![3.0, 3.0]));
    /// assert_abs_diff_eq!(j[(0, 0)], 0.5 / LayerNorm::EPSILON.sqrt(), epsilon = 1e-10);
    /// assert_abs_diff_eq!(j[(0, 1)], -0.5 / LayerNorm::EPSILON.sqrt(), epsilon = 1e-10);
    /// ```
    pub const EPSILON: f64 = 1e-5;

    /// Layer normalisation with gain `γ`, bias `β` and `ε = 10⁻⁵`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let ln = LayerNorm::new(DVector::from_vec(vec![2.0, 2.0, 0.5]), DVector::from_vec(vec![1.0, 1.0, 1.0]));
    /// // A constant input normalises to x̂ = 0: y = β.
    /// let y: DVector<f64> = ln.eval(&DVector::from_vec(vec![5.0, 5.0, 5.0]));
    /// assert_eq!(y, DVector::from_vec(vec![1.0, 1.0, 1.0]));
    /// Oracle::default().check(&ln, &DVector::from_vec(vec![1.0, -3.0, 0.5])).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If `γ` and `β` differ in length.
    #[must_use]
    pub fn new(gamma: DVector<f64>, beta: DVector<f64>) -> Self {
        assert_eq!(gamma.len(), beta.len(), "γ and β need the same length");
        LayerNorm {
            gamma,
            beta,
            epsilon: Self::EPSILON,
        }
    }

    /// The same map with another `ε` (finite and `> 0`, or constant inputs divide by 0).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use nalgebra::DVector;
    /// let ln = LayerNorm::new(DVector::from_vec(vec![1.0]), DVector::zeros(1)).with_epsilon(1e-3);
    /// assert_eq!(ln.epsilon, 1e-3);
    /// ```
    #[must_use]
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// `(x̂, s)`: the normalised input `(x − μ1)/s` and `s = √(σ² + ε)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use nalgebra::DVector;
    /// let ln = LayerNorm::new(DVector::from_element(2, 1.0), DVector::zeros(2));
    /// // μ = 2, σ² = 1, s = √(1 + ε)
    /// let (xhat, s) = ln.normalise(&DVector::from_vec(vec![3.0, 1.0]));
    /// assert_eq!(s, (1.0 + LayerNorm::EPSILON).sqrt());
    /// assert_eq!(xhat, DVector::from_vec(vec![1.0 / s, -1.0 / s]));
    /// ```
    #[must_use]
    pub fn normalise<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> (DVector<D>, D) {
        let n = x.len() as f64;
        let mu = x.iter().fold(D::zero(), |acc, &v| acc + v) / n;
        let c = x.map(|v| v - mu);
        let var = c.iter().fold(D::zero(), |acc, &v| acc + v * v) / n;
        let s = (var + self.epsilon).sqrt();
        let inv = s.recip();
        (c.map(|v| v * inv), s)
    }
}

impl VectorFn for LayerNorm {
    fn input_dim(&self) -> usize {
        self.gamma.len()
    }
    fn output_dim(&self) -> usize {
        self.gamma.len()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let (xhat, _) = self.normalise(x);
        DVector::from_fn(x.len(), |i, _| xhat[i] * self.gamma[i] + self.beta[i])
    }
    fn rust_expr(&self) -> Option<String> {
        let base = format!(
            "jacobian_oracle::catalogue::LayerNorm::new(nalgebra::DVector::from_vec({}), nalgebra::DVector::from_vec({}))",
            vec_literal(&self.gamma),
            vec_literal(&self.beta)
        );
        Some(if self.epsilon == Self::EPSILON {
            base
        } else {
            format!("{base}.with_epsilon({})", float_literal(self.epsilon))
        })
    }
}

impl AnalyticJacobian for LayerNorm {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let n = x.len();
        let inv_n = 1.0 / n as f64;
        let (xhat, s) = self.normalise(x);
        let g = &self.gamma / s;
        // Column j: (γ_i/s)(δ_ij − 1/n − x̂_i x̂_j/n), walked down the column; `x̂_i x̂_j` is
        // rounded the same way as `x̂_j x̂_i`, so `diag(γ)⁻¹ J` is symmetric to the last bit
        // when γ is constant.
        let mut j = DMatrix::zeros(n, n);
        for (k, mut col) in j.column_iter_mut().enumerate() {
            for (i, jik) in col.iter_mut().enumerate() {
                let delta = if i == k { 1.0 } else { 0.0 };
                *jik = g[i] * (delta - inv_n - xhat[i] * xhat[k] * inv_n);
            }
        }
        j
    }
}
