//! Wrong Jacobians of the layers family: the linear layer of PML 1 sec. 13.3.3, softmax,
//! log-softmax, the cross-entropy of logits and layer normalisation. Each mutant keeps the
//! right `eval` and writes a classic wrong formula for the Jacobian.
//!
//! The minimal shapes are those of the suite's case `(W, x)` (`suite`, feature `cli`): the
//! softmax family takes the `m` logits `Wx + (0, 1, …, m − 1)`, so `m` is the number of
//! classes; layer normalisation takes `x`, so `n` is the number of features.
//!
//! | mutant | wrong formula | right formula | smallest `W` that shows it |
//! |---|---|---|---|
//! | `linear_x_transposed` | `Wᵀ` | `W` | 2×2 (square only) |
//! | `linear_w_row_major` | `I_m ⊗ xᵀ` (row-major `vec(W)`) | `xᵀ ⊗ I_m` | 2×2 |
//! | `linear_b_all_ones` | `11ᵀ` | `I_m` | 2×1 |
//! | `softmax_diagonal_only` | `diag(p)` | `diag(p) − ppᵀ` | 1×1 (one class: `J = 0`, not 1) |
//! | `softmax_sign_flipped` | `ppᵀ − diag(p)` | `diag(p) − ppᵀ` | 2×1 |
//! | `softmax_inner_product` | `diag(p) − (pᵀp) 11ᵀ` | `diag(p) − ppᵀ` | 2×1 |
//! | `log_softmax_transposed` | `I − p1ᵀ` | `I − 1pᵀ` | 2×1 (needs a non-uniform `p`) |
//! | `log_softmax_missing_identity` | `−1pᵀ` | `I − 1pᵀ` | 1×1 |
//! | `cross_entropy_sign_flipped` | `y − p` | `p − y` | 2×1 (one class: both 0) |
//! | `cross_entropy_missing_target_sum` | `p − y` for `Σy = 2` | `(Σy) p − y` | 1×1 |
//! | `layer_norm_missing_mean` | `diag(γ)/s · (I − x̂x̂ᵀ/n)` | `… (I − 11ᵀ/n − x̂x̂ᵀ/n)` | 1×1 |
//! | `layer_norm_missing_outer_product` | `diag(γ)/s · (I − 11ᵀ/n)` | `… − x̂x̂ᵀ/n` | 1×2 (`x̂ = 0` when `n = 1`) |
//! | `layer_norm_gamma_on_columns` | `(I − 11ᵀ/n − x̂x̂ᵀ/n) · diag(γ)/s` | `diag(γ)/s · (…)` | 1×2 |

use nalgebra::{DMatrix, DVector};

use crate::AnalyticJacobian;
use crate::catalogue::{
    CrossEntropyWithLogits, LayerNorm, LinearLayer, LinearLayerBias, LinearLayerWeights,
    LogSoftmax, Softmax, softmax,
};
use crate::report::{matrix_literal, vec_literal};

/// The linear layer `y = Wx + b` with `∂y/∂x = Wᵀ`: the transpose, as in the backward pass
/// `∂L/∂x = Wᵀ δ`, mistaken for the Jacobian (only type-checks when `W` is square).
///
/// ```
/// use jacobian_oracle::mutants::LinearTransposed;
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.0, 0.0]);
/// let m = LinearTransposed::new(w, DVector::zeros(2));
/// let err = Oracle::default().check(&m, &DVector::from_vec(vec![0.0, 0.0])).unwrap_err();
/// assert!(matches!(err, CheckError::Mismatch(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearTransposed {
    /// The right map.
    pub layer: LinearLayer,
}

impl LinearTransposed {
    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearTransposed;
    /// assert_eq!(LinearTransposed::NAME, "linear_x_transposed");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == LinearTransposed::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "linear_x_transposed";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearTransposed;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LinearTransposed::NAME).unwrap();
    /// assert_eq!(entry.formula, LinearTransposed::FORMULA);
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∂(Wx + b)/∂x = Wᵀ";
    /// The smallest shape of `W` that shows the mistake (a symmetric `W` hides it).
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearTransposed;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// assert_eq!(LinearTransposed::MINIMAL_SHAPE, (2, 2));
    /// // A 1×1 or symmetric W hides the transpose.
    /// let symmetric = LinearTransposed::new(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 3.0]), DVector::zeros(2));
    /// assert!(Oracle::default().check(&symmetric, &DVector::from_vec(vec![0.5, -1.0])).is_ok());
    /// ```
    pub const MINIMAL_SHAPE: (usize, usize) = (2, 2);

    /// The layer with weights `w` and bias `b`.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearTransposed;
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let w = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    /// let m = LinearTransposed::new(w.clone(), DVector::zeros(2));
    /// assert_eq!(m.layer.w, w);
    /// assert_eq!(m.jacobian(&DVector::zeros(2)), w.transpose()); // Wᵀ, not W
    /// ```
    #[must_use]
    pub fn new(w: DMatrix<f64>, b: DVector<f64>) -> Self {
        LinearTransposed {
            layer: LinearLayer::new(w, b),
        }
    }
}

vector_fn_of_right_map!(LinearTransposed, layer, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LinearTransposed::new({}, nalgebra::DVector::from_vec({}))",
        matrix_literal(&m.layer.w),
        vec_literal(&m.layer.b)
    ))
});

impl AnalyticJacobian for LinearTransposed {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        let w = &self.layer.w;
        let (m, n) = w.shape();
        // Only meaningful for a square W; for other shapes index within bounds.
        DMatrix::from_fn(m, n, |i, j| w[(j % m, i % n)])
    }
}

/// `y = Wx + b` as a function of `vec(W)`, with the Jacobian of a row-major flattening
/// (`∂y_i/∂θ[i·n + k] = x_k`, i.e. `I_m ⊗ xᵀ`) for the column-major `θ` the map reads.
///
/// ```
/// use jacobian_oracle::mutants::LinearWeightsRowMajor;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = LinearWeightsRowMajor::new(2, DVector::from_vec(vec![1.0, 0.0]), DVector::zeros(2));
/// assert!(Oracle::default().check(&m, &DVector::zeros(4)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearWeightsRowMajor {
    /// The right map.
    pub map: LinearLayerWeights,
}

impl LinearWeightsRowMajor {
    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearWeightsRowMajor;
    /// assert_eq!(LinearWeightsRowMajor::NAME, "linear_w_row_major");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == LinearWeightsRowMajor::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "linear_w_row_major";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearWeightsRowMajor;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LinearWeightsRowMajor::NAME).unwrap();
    /// assert_eq!(entry.formula, LinearWeightsRowMajor::FORMULA);
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∂(Wx + b)/∂vec(W) = I_m ⊗ xᵀ (row-major vec(W))";
    /// The smallest shape of `W` that shows the mistake (with one row or one column both
    /// orders agree).
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearWeightsRowMajor;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert_eq!(LinearWeightsRowMajor::MINIMAL_SHAPE, (2, 2));
    /// // One row (1×2) or one column (2×1): both flattenings agree.
    /// let one_row = LinearWeightsRowMajor::new(1, DVector::from_vec(vec![1.0, 2.0]), DVector::zeros(1));
    /// assert!(Oracle::default().check(&one_row, &DVector::from_vec(vec![0.5, -0.5])).is_ok());
    /// let one_col = LinearWeightsRowMajor::new(2, DVector::from_vec(vec![3.0]), DVector::zeros(2));
    /// assert!(Oracle::default().check(&one_col, &DVector::from_vec(vec![0.5, -0.5])).is_ok());
    /// ```
    pub const MINIMAL_SHAPE: (usize, usize) = (2, 2);

    /// The layer with `rows` outputs at input `x` and bias `b`, as a function of `vec(W)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LinearLayerWeights;
    /// use jacobian_oracle::mutants::LinearWeightsRowMajor;
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let (x, b) = (DVector::from_vec(vec![1.0, 2.0]), DVector::zeros(2));
    /// let m = LinearWeightsRowMajor::new(2, x.clone(), b.clone());
    /// assert_eq!(m.map, LinearLayerWeights::new(2, x, b));
    /// // I₂ ⊗ xᵀ instead of xᵀ ⊗ I₂.
    /// let j = m.jacobian(&DVector::zeros(4));
    /// assert_eq!(j, DMatrix::from_row_slice(2, 4, &[1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0]));
    /// ```
    #[must_use]
    pub fn new(rows: usize, x: DVector<f64>, b: DVector<f64>) -> Self {
        LinearWeightsRowMajor {
            map: LinearLayerWeights::new(rows, x, b),
        }
    }
}

vector_fn_of_right_map!(LinearWeightsRowMajor, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LinearWeightsRowMajor::new({}, nalgebra::DVector::from_vec({}), nalgebra::DVector::from_vec({}))",
        m.map.rows,
        vec_literal(&m.map.x),
        vec_literal(&m.map.b)
    ))
});

impl AnalyticJacobian for LinearWeightsRowMajor {
    fn jacobian(&self, _theta: &DVector<f64>) -> DMatrix<f64> {
        let (m, x) = (self.map.rows, &self.map.x);
        let n = x.len();
        let mut j = DMatrix::zeros(m, m * n);
        for (k, &xk) in x.iter().enumerate() {
            for i in 0..m {
                j[(i, i * n + k)] = xk;
            }
        }
        j
    }
}

/// `y = Wx + b` as a function of `b`, with `∂y/∂b = 11ᵀ`: the gradient of the scalar
/// `Σ_i y_i` (a vector of ones) broadcast into every row, instead of the identity.
///
/// ```
/// use jacobian_oracle::mutants::LinearBiasAllOnes;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// let m = LinearBiasAllOnes::new(DMatrix::zeros(2, 1), DVector::zeros(1));
/// assert!(Oracle::default().check(&m, &DVector::zeros(2)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearBiasAllOnes {
    /// The right map.
    pub map: LinearLayerBias,
}

impl LinearBiasAllOnes {
    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearBiasAllOnes;
    /// assert_eq!(LinearBiasAllOnes::NAME, "linear_b_all_ones");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == LinearBiasAllOnes::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "linear_b_all_ones";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearBiasAllOnes;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LinearBiasAllOnes::NAME).unwrap();
    /// assert_eq!(entry.formula, LinearBiasAllOnes::FORMULA);
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∂(Wx + b)/∂b = 11ᵀ";
    /// The smallest shape of `W` that shows the mistake (with one output `11ᵀ = I`).
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearBiasAllOnes;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// assert_eq!(LinearBiasAllOnes::MINIMAL_SHAPE, (2, 1));
    /// // One output: 11ᵀ = I, and the check passes.
    /// let m = LinearBiasAllOnes::new(DMatrix::from_element(1, 1, 2.0), DVector::from_vec(vec![1.0]));
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5])).is_ok());
    /// ```
    pub const MINIMAL_SHAPE: (usize, usize) = (2, 1);

    /// The layer with weights `w` at input `x`, as a function of `b`.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LinearBiasAllOnes;
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let m = LinearBiasAllOnes::new(DMatrix::zeros(3, 1), DVector::zeros(1));
    /// assert_eq!(m.map.w.shape(), (3, 1));
    /// assert_eq!(m.jacobian(&DVector::zeros(3)), DMatrix::from_element(3, 3, 1.0)); // 11ᵀ, not I
    /// ```
    #[must_use]
    pub fn new(w: DMatrix<f64>, x: DVector<f64>) -> Self {
        LinearBiasAllOnes {
            map: LinearLayerBias::new(w, x),
        }
    }
}

vector_fn_of_right_map!(LinearBiasAllOnes, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LinearBiasAllOnes::new({}, nalgebra::DVector::from_vec({}))",
        matrix_literal(&m.map.w),
        vec_literal(&m.map.x)
    ))
});

impl AnalyticJacobian for LinearBiasAllOnes {
    fn jacobian(&self, b: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(b.len(), b.len(), 1.0)
    }
}

/// A wrong Jacobian of `p = softmax(z)`.
///
/// ```
/// use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![0.0, 1.0]);
/// for kind in SoftmaxMutantKind::ALL {
///     let result = Oracle::default().check(&SoftmaxMutant::new(kind, 2), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoftmaxMutantKind {
    /// `diag(p)`: the elementwise-activation reflex (as for a sigmoid), the `−ppᵀ` coupling
    /// through the normalisation dropped.
    DiagonalOnly,
    /// `ppᵀ − diag(p)`: a sign error.
    SignFlipped,
    /// `diag(p) − (pᵀp) 11ᵀ`: the inner product `pᵀp` where the outer product `ppᵀ` was meant
    /// (`np.diag(p) - p @ p` broadcasts a scalar).
    InnerProduct,
}

impl SoftmaxMutantKind {
    /// Every softmax mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::SoftmaxMutantKind;
    /// assert_eq!(SoftmaxMutantKind::ALL.len(), 3);
    /// assert!(SoftmaxMutantKind::ALL.iter().all(|k| k.name().starts_with("softmax_")));
    /// ```
    pub const ALL: [SoftmaxMutantKind; 3] = [
        SoftmaxMutantKind::DiagonalOnly,
        SoftmaxMutantKind::SignFlipped,
        SoftmaxMutantKind::InnerProduct,
    ];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::SoftmaxMutantKind;
    /// assert_eq!(SoftmaxMutantKind::InnerProduct.name(), "softmax_inner_product");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(SoftmaxMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SoftmaxMutantKind::DiagonalOnly => "softmax_diagonal_only",
            SoftmaxMutantKind::SignFlipped => "softmax_sign_flipped",
            SoftmaxMutantKind::InnerProduct => "softmax_inner_product",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::SoftmaxMutantKind;
    /// assert_eq!(SoftmaxMutantKind::SignFlipped.formula(), "∂p/∂z = ppᵀ − diag(p)");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == SoftmaxMutantKind::SignFlipped.name()).unwrap();
    /// assert_eq!(entry.formula, SoftmaxMutantKind::SignFlipped.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            SoftmaxMutantKind::DiagonalOnly => "∂p/∂z = diag(p)",
            SoftmaxMutantKind::SignFlipped => "∂p/∂z = ppᵀ − diag(p)",
            SoftmaxMutantKind::InnerProduct => "∂p/∂z = diag(p) − (pᵀp) 11ᵀ",
        }
    }

    /// The smallest shape of `W` (`m` classes) at which the formula differs from the right
    /// one. With one class `p = 1` and the right Jacobian is `0`: `diag(p) = 1` already
    /// differs, while `ppᵀ − diag(p)` and `diag(p) − pᵀp` are `0` there too.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert_eq!(SoftmaxMutantKind::DiagonalOnly.minimal_shape(), (1, 1));
    /// assert_eq!(SoftmaxMutantKind::SignFlipped.minimal_shape(), (2, 1));
    /// // One class: J = 0; diag(p) = 1 is caught, ppᵀ − diag(p) = 0 is not.
    /// let one = DVector::from_vec(vec![0.5]);
    /// assert!(Oracle::default().check(&SoftmaxMutant::new(SoftmaxMutantKind::DiagonalOnly, 1), &one).is_err());
    /// assert!(Oracle::default().check(&SoftmaxMutant::new(SoftmaxMutantKind::SignFlipped, 1), &one).is_ok());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            SoftmaxMutantKind::DiagonalOnly => (1, 1),
            SoftmaxMutantKind::SignFlipped | SoftmaxMutantKind::InnerProduct => (2, 1),
        }
    }
}

/// `p = softmax(z)` with a wrong Jacobian.
///
/// ```
/// use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
///
/// let m = SoftmaxMutant::new(SoftmaxMutantKind::SignFlipped, 2);
/// let err = Oracle::default().check(&m, &DVector::from_vec(vec![0.0, 1.0])).unwrap_err();
/// assert!(matches!(err, CheckError::Mismatch(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxMutant {
    /// Which mistake.
    pub kind: SoftmaxMutantKind,
    /// The right map.
    pub map: Softmax,
}

impl SoftmaxMutant {
    /// The softmax of `n` logits with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Softmax;
    /// use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let m = SoftmaxMutant::new(SoftmaxMutantKind::SignFlipped, 2);
    /// assert_eq!(m.map, Softmax::new(2));
    /// // p = (½, ½): ppᵀ − diag(p), the negative of the right [[¼, −¼], [−¼, ¼]].
    /// let j = m.jacobian(&DVector::from_vec(vec![0.0, 0.0]));
    /// assert_eq!(j, DMatrix::from_row_slice(2, 2, &[-0.25, 0.25, 0.25, -0.25]));
    /// ```
    #[must_use]
    pub fn new(kind: SoftmaxMutantKind, n: usize) -> Self {
        SoftmaxMutant {
            kind,
            map: Softmax::new(n),
        }
    }
}

vector_fn_of_right_map!(SoftmaxMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::SoftmaxMutant::new(jacobian_oracle::mutants::SoftmaxMutantKind::{:?}, {})",
        m.kind, m.map.n
    ))
});

impl AnalyticJacobian for SoftmaxMutant {
    fn jacobian(&self, z: &DVector<f64>) -> DMatrix<f64> {
        let p = softmax(z);
        let diag = DMatrix::from_diagonal(&p);
        match self.kind {
            SoftmaxMutantKind::DiagonalOnly => diag,
            SoftmaxMutantKind::SignFlipped => &p * p.transpose() - diag,
            SoftmaxMutantKind::InnerProduct => diag.add_scalar(-p.dot(&p)),
        }
    }
}

/// A wrong Jacobian of `log p = log softmax(z)`.
///
/// ```
/// use jacobian_oracle::mutants::{LogSoftmaxMutant, LogSoftmaxMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![0.0, 1.0]);
/// for kind in LogSoftmaxMutantKind::ALL {
///     let result = Oracle::default().check(&LogSoftmaxMutant::new(kind, 2), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogSoftmaxMutantKind {
    /// `I − p1ᵀ`: the outer product in the wrong order (row `i` = `e_iᵀ − p_i 1ᵀ`).
    Transposed,
    /// `−1pᵀ`: only the derivative of `logsumexp`, the `I` from `z` itself forgotten.
    MissingIdentity,
}

impl LogSoftmaxMutantKind {
    /// Every log-softmax mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LogSoftmaxMutantKind;
    /// assert_eq!(LogSoftmaxMutantKind::ALL.len(), 2);
    /// assert!(LogSoftmaxMutantKind::ALL.iter().all(|k| k.name().starts_with("log_softmax_")));
    /// ```
    pub const ALL: [LogSoftmaxMutantKind; 2] = [
        LogSoftmaxMutantKind::Transposed,
        LogSoftmaxMutantKind::MissingIdentity,
    ];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LogSoftmaxMutantKind;
    /// assert_eq!(LogSoftmaxMutantKind::MissingIdentity.name(), "log_softmax_missing_identity");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(LogSoftmaxMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LogSoftmaxMutantKind::Transposed => "log_softmax_transposed",
            LogSoftmaxMutantKind::MissingIdentity => "log_softmax_missing_identity",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LogSoftmaxMutantKind;
    /// assert_eq!(LogSoftmaxMutantKind::Transposed.formula(), "∂ log p/∂z = I − p1ᵀ");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LogSoftmaxMutantKind::Transposed.name()).unwrap();
    /// assert_eq!(entry.formula, LogSoftmaxMutantKind::Transposed.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            LogSoftmaxMutantKind::Transposed => "∂ log p/∂z = I − p1ᵀ",
            LogSoftmaxMutantKind::MissingIdentity => "∂ log p/∂z = −1pᵀ",
        }
    }

    /// The smallest shape of `W` (`m` classes) at which the formula differs from the right
    /// one: `I − p1ᵀ` equals `I − 1pᵀ` for one class and whenever `p` is uniform.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{LogSoftmaxMutant, LogSoftmaxMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert_eq!(LogSoftmaxMutantKind::Transposed.minimal_shape(), (2, 1));
    /// assert_eq!(LogSoftmaxMutantKind::MissingIdentity.minimal_shape(), (1, 1));
    /// // One class: J = 1 − p = 0; I − p1ᵀ = 0 too, −1pᵀ = −1 is caught.
    /// let one = DVector::from_vec(vec![0.5]);
    /// assert!(Oracle::default().check(&LogSoftmaxMutant::new(LogSoftmaxMutantKind::Transposed, 1), &one).is_ok());
    /// assert!(Oracle::default().check(&LogSoftmaxMutant::new(LogSoftmaxMutantKind::MissingIdentity, 1), &one).is_err());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            LogSoftmaxMutantKind::Transposed => (2, 1),
            LogSoftmaxMutantKind::MissingIdentity => (1, 1),
        }
    }
}

/// `log p = log softmax(z)` with a wrong Jacobian.
///
/// ```
/// use jacobian_oracle::mutants::{LogSoftmaxMutant, LogSoftmaxMutantKind};
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = LogSoftmaxMutant::new(LogSoftmaxMutantKind::Transposed, 2);
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.0, 1.0])).is_err());
/// // A uniform p hides the transposition.
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![1.0, 1.0])).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogSoftmaxMutant {
    /// Which mistake.
    pub kind: LogSoftmaxMutantKind,
    /// The right map.
    pub map: LogSoftmax,
}

impl LogSoftmaxMutant {
    /// The log-softmax of `n` logits with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogSoftmax;
    /// use jacobian_oracle::mutants::{LogSoftmaxMutant, LogSoftmaxMutantKind};
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let m = LogSoftmaxMutant::new(LogSoftmaxMutantKind::MissingIdentity, 2);
    /// assert_eq!(m.map, LogSoftmax::new(2));
    /// // −1pᵀ: the right I − 1pᵀ without its I.
    /// let j = m.jacobian(&DVector::from_vec(vec![0.0, 0.0]));
    /// assert_eq!(j, DMatrix::from_element(2, 2, -0.5));
    /// ```
    #[must_use]
    pub fn new(kind: LogSoftmaxMutantKind, n: usize) -> Self {
        LogSoftmaxMutant {
            kind,
            map: LogSoftmax::new(n),
        }
    }
}

vector_fn_of_right_map!(LogSoftmaxMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LogSoftmaxMutant::new(jacobian_oracle::mutants::LogSoftmaxMutantKind::{:?}, {})",
        m.kind, m.map.n
    ))
});

impl AnalyticJacobian for LogSoftmaxMutant {
    fn jacobian(&self, z: &DVector<f64>) -> DMatrix<f64> {
        let p = softmax(z);
        let n = p.len();
        match self.kind {
            LogSoftmaxMutantKind::Transposed => {
                DMatrix::from_fn(n, n, |i, j| if i == j { 1.0 } else { 0.0 } - p[i])
            }
            LogSoftmaxMutantKind::MissingIdentity => DMatrix::from_fn(n, n, |_, j| -p[j]),
        }
    }
}

/// A wrong gradient of the cross-entropy of logits `L = −Σ_i y_i log softmax(z)_i`.
///
/// ```
/// use jacobian_oracle::mutants::{CrossEntropyMutant, CrossEntropyMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// let (y, x) = (DVector::from_vec(vec![1.0, 1.0]), DVector::from_vec(vec![0.0, 1.0]));
/// for kind in CrossEntropyMutantKind::ALL {
///     let result = Oracle::default().check(&CrossEntropyMutant::new(kind, y.clone()), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrossEntropyMutantKind {
    /// `y − p`: a sign error (the direction of descent written as the gradient).
    SignFlipped,
    /// `p − y` for targets with `Σy ≠ 1`: the textbook gradient of a probability target used
    /// for counts or summed labels, where it is `(Σy) p − y`.
    MissingTargetSum,
}

impl CrossEntropyMutantKind {
    /// Every cross-entropy mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::CrossEntropyMutantKind;
    /// assert_eq!(CrossEntropyMutantKind::ALL.len(), 2);
    /// assert!(CrossEntropyMutantKind::ALL.iter().all(|k| k.name().starts_with("cross_entropy_")));
    /// ```
    pub const ALL: [CrossEntropyMutantKind; 2] = [
        CrossEntropyMutantKind::SignFlipped,
        CrossEntropyMutantKind::MissingTargetSum,
    ];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::CrossEntropyMutantKind;
    /// assert_eq!(CrossEntropyMutantKind::SignFlipped.name(), "cross_entropy_sign_flipped");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(CrossEntropyMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            CrossEntropyMutantKind::SignFlipped => "cross_entropy_sign_flipped",
            CrossEntropyMutantKind::MissingTargetSum => "cross_entropy_missing_target_sum",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::CrossEntropyMutantKind;
    /// assert_eq!(CrossEntropyMutantKind::SignFlipped.formula(), "∂L/∂z = y − p");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == CrossEntropyMutantKind::MissingTargetSum.name()).unwrap();
    /// assert_eq!(entry.formula, CrossEntropyMutantKind::MissingTargetSum.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            CrossEntropyMutantKind::SignFlipped => "∂L/∂z = y − p",
            CrossEntropyMutantKind::MissingTargetSum => "∂L/∂z = p − y (Σy = 2)",
        }
    }

    /// The smallest shape of `W` (`m` classes) at which the formula differs from the right
    /// one, for the suite's targets: with one class and a one-hot target `p − y = y − p = 0`;
    /// for two annotators (`Σy = 2`) `p − y` is off by `p` from the first class on.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{CrossEntropyMutant, CrossEntropyMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert_eq!(CrossEntropyMutantKind::SignFlipped.minimal_shape(), (2, 1));
    /// assert_eq!(CrossEntropyMutantKind::MissingTargetSum.minimal_shape(), (1, 1));
    /// // One class, one-hot target: p = y = 1, and y − p = p − y = 0 is right.
    /// let m = CrossEntropyMutant::new(CrossEntropyMutantKind::SignFlipped, DVector::from_vec(vec![1.0]));
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5])).is_ok());
    /// // One class, Σy = 2: p − y = −1, where (Σy) p − y = 0.
    /// let m = CrossEntropyMutant::new(CrossEntropyMutantKind::MissingTargetSum, DVector::from_vec(vec![2.0]));
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5])).is_err());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            CrossEntropyMutantKind::SignFlipped => (2, 1),
            CrossEntropyMutantKind::MissingTargetSum => (1, 1),
        }
    }
}

/// The cross-entropy of logits with a wrong gradient.
///
/// ```
/// use jacobian_oracle::mutants::{CrossEntropyMutant, CrossEntropyMutantKind};
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let y = DVector::from_vec(vec![1.0, 1.0]); // Σy = 2
/// let m = CrossEntropyMutant::new(CrossEntropyMutantKind::MissingTargetSum, y);
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.0, 1.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CrossEntropyMutant {
    /// Which mistake.
    pub kind: CrossEntropyMutantKind,
    /// The right map.
    pub map: CrossEntropyWithLogits,
}

impl CrossEntropyMutant {
    /// The cross-entropy against targets `y` with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::CrossEntropyWithLogits;
    /// use jacobian_oracle::mutants::{CrossEntropyMutant, CrossEntropyMutantKind};
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let y = DVector::from_vec(vec![1.0, 0.0]);
    /// let m = CrossEntropyMutant::new(CrossEntropyMutantKind::SignFlipped, y.clone());
    /// assert_eq!(m.map, CrossEntropyWithLogits::new(y));
    /// // y − p, the negative of the right p − y = (−½, ½).
    /// let j = m.jacobian(&DVector::from_vec(vec![0.0, 0.0]));
    /// assert_eq!(j, DMatrix::from_row_slice(1, 2, &[0.5, -0.5]));
    /// ```
    #[must_use]
    pub fn new(kind: CrossEntropyMutantKind, y: DVector<f64>) -> Self {
        CrossEntropyMutant {
            kind,
            map: CrossEntropyWithLogits::new(y),
        }
    }
}

vector_fn_of_right_map!(CrossEntropyMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::CrossEntropyMutant::new(jacobian_oracle::mutants::CrossEntropyMutantKind::{:?}, nalgebra::DVector::from_vec({}))",
        m.kind,
        vec_literal(&m.map.y)
    ))
});

impl AnalyticJacobian for CrossEntropyMutant {
    fn jacobian(&self, z: &DVector<f64>) -> DMatrix<f64> {
        let (p, y) = (softmax(z), &self.map.y);
        let g = match self.kind {
            CrossEntropyMutantKind::SignFlipped => y - p,
            CrossEntropyMutantKind::MissingTargetSum => p - y,
        };
        DMatrix::from_fn(1, g.len(), |_, j| g[j])
    }
}

/// A wrong Jacobian of layer normalisation.
///
/// ```
/// use jacobian_oracle::catalogue::LayerNorm;
/// use jacobian_oracle::mutants::{LayerNormMutant, LayerNormMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// let ln = LayerNorm::new(DVector::from_vec(vec![1.0, 2.0, 0.5]), DVector::zeros(3));
/// let x = DVector::from_vec(vec![1.0, -2.0, 4.0]);
/// for kind in LayerNormMutantKind::ALL {
///     let result = Oracle::default().check(&LayerNormMutant::new(kind, ln.clone()), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerNormMutantKind {
    /// `diag(γ)/s · (I − x̂x̂ᵀ/n)`: the mean treated as a constant (the `−11ᵀ/n` term lost).
    MissingMean,
    /// `diag(γ)/s · (I − 11ᵀ/n)`: the standard deviation treated as a constant (the
    /// `−x̂x̂ᵀ/n` term lost).
    MissingOuterProduct,
    /// `(I − 11ᵀ/n − x̂x̂ᵀ/n) · diag(γ)/s`: the gain applied to the columns (the inputs)
    /// instead of the rows (the outputs).
    GammaOnColumns,
}

impl LayerNormMutantKind {
    /// Every layer-normalisation mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerNormMutantKind;
    /// assert_eq!(LayerNormMutantKind::ALL.len(), 3);
    /// assert!(LayerNormMutantKind::ALL.iter().all(|k| k.name().starts_with("layer_norm_")));
    /// ```
    pub const ALL: [LayerNormMutantKind; 3] = [
        LayerNormMutantKind::MissingMean,
        LayerNormMutantKind::MissingOuterProduct,
        LayerNormMutantKind::GammaOnColumns,
    ];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerNormMutantKind;
    /// assert_eq!(LayerNormMutantKind::GammaOnColumns.name(), "layer_norm_gamma_on_columns");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(LayerNormMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LayerNormMutantKind::MissingMean => "layer_norm_missing_mean",
            LayerNormMutantKind::MissingOuterProduct => "layer_norm_missing_outer_product",
            LayerNormMutantKind::GammaOnColumns => "layer_norm_gamma_on_columns",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerNormMutantKind;
    /// assert_eq!(LayerNormMutantKind::MissingMean.formula(), "∂y/∂x = diag(γ)/s · (I − x̂x̂ᵀ/n)");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LayerNormMutantKind::MissingMean.name()).unwrap();
    /// assert_eq!(entry.formula, LayerNormMutantKind::MissingMean.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            LayerNormMutantKind::MissingMean => "∂y/∂x = diag(γ)/s · (I − x̂x̂ᵀ/n)",
            LayerNormMutantKind::MissingOuterProduct => "∂y/∂x = diag(γ)/s · (I − 11ᵀ/n)",
            LayerNormMutantKind::GammaOnColumns => "∂y/∂x = (I − 11ᵀ/n − x̂x̂ᵀ/n) · diag(γ)/s",
        }
    }

    /// The smallest shape of `W` (`n` features) at which the formula differs from the right
    /// one. With one feature `x̂ = 0` and the right Jacobian is `0`: `I/s` already differs,
    /// while the lost `x̂x̂ᵀ/n` and a gain on the wrong side need two features (and a
    /// non-constant `x`, or two different gains).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use jacobian_oracle::mutants::{LayerNormMutant, LayerNormMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert_eq!(LayerNormMutantKind::MissingMean.minimal_shape(), (1, 1));
    /// assert_eq!(LayerNormMutantKind::MissingOuterProduct.minimal_shape(), (1, 2));
    /// // One feature: x̂ = 0 and J = 0; I/s is caught, dropping x̂x̂ᵀ/n = 0 is not.
    /// let ln = LayerNorm::new(DVector::from_vec(vec![1.0]), DVector::zeros(1));
    /// let x = DVector::from_vec(vec![0.5]);
    /// assert!(Oracle::default().check(&LayerNormMutant::new(LayerNormMutantKind::MissingMean, ln.clone()), &x).is_err());
    /// assert!(Oracle::default().check(&LayerNormMutant::new(LayerNormMutantKind::MissingOuterProduct, ln), &x).is_ok());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            LayerNormMutantKind::MissingMean => (1, 1),
            LayerNormMutantKind::MissingOuterProduct | LayerNormMutantKind::GammaOnColumns => {
                (1, 2)
            }
        }
    }
}

/// Layer normalisation with a wrong Jacobian.
///
/// ```
/// use jacobian_oracle::catalogue::LayerNorm;
/// use jacobian_oracle::mutants::{LayerNormMutant, LayerNormMutantKind};
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let ln = LayerNorm::new(DVector::from_vec(vec![1.0, 1.0]), DVector::zeros(2));
/// let m = LayerNormMutant::new(LayerNormMutantKind::MissingOuterProduct, ln);
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.0, 1.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerNormMutant {
    /// Which mistake.
    pub kind: LayerNormMutantKind,
    /// The right map.
    pub map: LayerNorm,
}

impl LayerNormMutant {
    /// The layer normalisation `map` with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LayerNorm;
    /// use jacobian_oracle::mutants::{LayerNormMutant, LayerNormMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// // With equal gains, rows and columns scale alike: the gain on the wrong side goes unseen.
    /// let ln = LayerNorm::new(DVector::from_element(3, 2.0), DVector::zeros(3));
    /// let m = LayerNormMutant::new(LayerNormMutantKind::GammaOnColumns, ln.clone());
    /// assert_eq!(m.map, ln);
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![1.0, -2.0, 4.0])).is_ok());
    /// ```
    #[must_use]
    pub fn new(kind: LayerNormMutantKind, map: LayerNorm) -> Self {
        LayerNormMutant { kind, map }
    }
}

vector_fn_of_right_map!(LayerNormMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LayerNormMutant::new(jacobian_oracle::mutants::LayerNormMutantKind::{:?}, {})",
        m.kind,
        m.map.rust_expr().unwrap_or_default()
    ))
});

impl AnalyticJacobian for LayerNormMutant {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let n = x.len();
        let inv_n = 1.0 / n as f64;
        let (xhat, s) = self.map.normalise(x);
        let gamma = &self.map.gamma;
        DMatrix::from_fn(n, n, |i, j| {
            let delta = if i == j { 1.0 } else { 0.0 };
            let (mean, outer) = (inv_n, xhat[i] * xhat[j] * inv_n);
            match self.kind {
                LayerNormMutantKind::MissingMean => gamma[i] / s * (delta - outer),
                LayerNormMutantKind::MissingOuterProduct => gamma[i] / s * (delta - mean),
                LayerNormMutantKind::GammaOnColumns => (delta - mean - outer) * gamma[j] / s,
            }
        })
    }
}
