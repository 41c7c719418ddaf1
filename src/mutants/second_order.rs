//! Wrong gradients and Hessians: logistic regression, softmax cross-entropy and a neuron's
//! score, each with the right `eval` and a classic mistake in the hand-written derivative.
//!
//! | mutant | wrong formula | smallest `W` that shows it |
//! |---|---|---|
//! | `logistic_regression_gradient_missing_1_over_n` | `Xᵀ(μ − y)` | 2×1 |
//! | `logistic_regression_hessian_missing_one_minus_mu` | `(1/N) Xᵀ diag(μ) X` | 1×1 |
//! | `logistic_regression_hessian_asymmetric` | upper triangle of `XᵀSX/N` only | 1×2 |
//! | `logistic_regression_hessian_missing_off_diagonal` | diagonal of `XᵀSX/N` only | 1×2 |
//! | `logistic_regression_hessian_wrong_sign` | `−XᵀSX/N` | 1×1 |
//! | `softmax_cross_entropy_hessian_missing_outer` | `diag(p)` | 1×1 |
//! | `tanh_hessian_wrong_sign` | `tanh'' = 2z(1 − z²)` | 1×1 |

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::catalogue::{
    CrossEntropyWithLogits, LogisticRegression, NeuronScore, SmoothActivation, softmax,
};
use crate::report::vec_literal;
use crate::{AnalyticGradient, AnalyticHessian, ScalarFn};

/// A wrong derivative of binary logistic regression's NLL.
///
/// ```
/// use jacobian_oracle::catalogue::LogisticRegression;
/// use jacobian_oracle::mutants::{RegressionMutant, RegressionMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
/// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 2, &[1.0, 2.0, -1.0, 0.5]), DVector::from_vec(vec![1.0, 0.0]));
/// let w = DVector::from_vec(vec![0.25, -0.5]);
/// for kind in RegressionMutantKind::ALL {
///     let m = RegressionMutant::new(kind, lr.clone());
///     let oracle = Oracle::default();
///     let result = if kind.in_gradient() { oracle.check_gradient(&m, &w) } else { oracle.check_hessian(&m, &w) };
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegressionMutantKind {
    /// Gradient `Xᵀ(μ − y)`: the `1/N` of the average NLL dropped.
    GradientMissingOneOverN,
    /// Hessian with `S = diag(μ)`: the `(1 − μ)` factor dropped.
    HessianMissingOneMinusMu,
    /// Hessian with only its upper triangle filled in (an asymmetric matrix).
    HessianAsymmetric,
    /// Hessian with only its diagonal (the off-diagonal terms `x_j x_k` dropped).
    HessianMissingOffDiagonal,
    /// Hessian `−XᵀSX/N`: a sign error.
    HessianWrongSign,
}

impl RegressionMutantKind {
    /// Every kind.
    ///
    /// ```
    /// use jacobian_oracle::mutants::RegressionMutantKind;
    /// assert_eq!(RegressionMutantKind::ALL.len(), 5);
    /// assert!(RegressionMutantKind::ALL.iter().all(|k| k.name().starts_with("logistic_regression_")));
    /// ```
    pub const ALL: [RegressionMutantKind; 5] = [
        RegressionMutantKind::GradientMissingOneOverN,
        RegressionMutantKind::HessianMissingOneMinusMu,
        RegressionMutantKind::HessianAsymmetric,
        RegressionMutantKind::HessianMissingOffDiagonal,
        RegressionMutantKind::HessianWrongSign,
    ];

    /// Snake-case name.
    ///
    /// ```
    /// use jacobian_oracle::mutants::RegressionMutantKind;
    /// assert_eq!(RegressionMutantKind::HessianWrongSign.name(), "logistic_regression_hessian_wrong_sign");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(RegressionMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            RegressionMutantKind::GradientMissingOneOverN => {
                "logistic_regression_gradient_missing_1_over_n"
            }
            RegressionMutantKind::HessianMissingOneMinusMu => {
                "logistic_regression_hessian_missing_one_minus_mu"
            }
            RegressionMutantKind::HessianAsymmetric => "logistic_regression_hessian_asymmetric",
            RegressionMutantKind::HessianMissingOffDiagonal => {
                "logistic_regression_hessian_missing_off_diagonal"
            }
            RegressionMutantKind::HessianWrongSign => "logistic_regression_hessian_wrong_sign",
        }
    }

    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::RegressionMutantKind;
    /// assert_eq!(RegressionMutantKind::GradientMissingOneOverN.formula(), "∇NLL = Xᵀ(μ − y)");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == RegressionMutantKind::HessianWrongSign.name()).unwrap();
    /// assert_eq!(entry.formula, RegressionMutantKind::HessianWrongSign.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            RegressionMutantKind::GradientMissingOneOverN => "∇NLL = Xᵀ(μ − y)",
            RegressionMutantKind::HessianMissingOneMinusMu => "∇²NLL = Xᵀ diag(μ) X / N",
            RegressionMutantKind::HessianAsymmetric => "upper triangle of XᵀSX/N",
            RegressionMutantKind::HessianMissingOffDiagonal => "diag(XᵀSX)/N",
            RegressionMutantKind::HessianWrongSign => "∇²NLL = −XᵀSX/N",
        }
    }

    /// Whether the mistake is in the gradient (else in the Hessian).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::mutants::{RegressionMutant, RegressionMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// assert!(RegressionMutantKind::GradientMissingOneOverN.in_gradient());
    /// assert_eq!(RegressionMutantKind::ALL.iter().filter(|k| k.in_gradient()).count(), 1);
    /// // A Hessian mistake leaves the gradient right.
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -2.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// let m = RegressionMutant::new(RegressionMutantKind::HessianWrongSign, lr);
    /// assert!(Oracle::default().check_gradient(&m, &DVector::from_vec(vec![0.5])).is_ok());
    /// ```
    #[must_use]
    pub fn in_gradient(self) -> bool {
        self == RegressionMutantKind::GradientMissingOneOverN
    }

    /// The smallest shape of the data `X` (`N×d`) that shows the mistake.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::mutants::{RegressionMutant, RegressionMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// let kind = RegressionMutantKind::GradientMissingOneOverN;
    /// assert_eq!(kind.minimal_shape(), (2, 1));
    /// // With one example N = 1 and the missing 1/N goes unseen.
    /// let lr = LogisticRegression::new(DMatrix::from_element(1, 1, 2.0), DVector::from_vec(vec![1.0]));
    /// assert!(Oracle::default().check_gradient(&RegressionMutant::new(kind, lr), &DVector::from_vec(vec![0.5])).is_ok());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            RegressionMutantKind::GradientMissingOneOverN => (2, 1),
            RegressionMutantKind::HessianAsymmetric
            | RegressionMutantKind::HessianMissingOffDiagonal => (1, 2),
            _ => (1, 1),
        }
    }
}

/// Logistic regression with a wrong gradient or Hessian.
///
/// ```
/// use jacobian_oracle::catalogue::LogisticRegression;
/// use jacobian_oracle::mutants::{RegressionMutant, RegressionMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let lr = LogisticRegression::new(DMatrix::from_row_slice(1, 1, &[1.0]), DVector::from_vec(vec![1.0]));
/// let m = RegressionMutant::new(RegressionMutantKind::HessianWrongSign, lr);
/// let err = Oracle::default().check_hessian(&m, &DVector::from_vec(vec![0.0])).unwrap_err();
/// assert!(matches!(err, CheckError::Mismatch(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RegressionMutant {
    /// Which mistake.
    pub kind: RegressionMutantKind,
    /// The right model.
    pub model: LogisticRegression,
}

impl RegressionMutant {
    /// The model with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::mutants::{RegressionMutant, RegressionMutantKind};
    /// use jacobian_oracle::{AnalyticGradient, AnalyticHessian};
    /// use nalgebra::{DMatrix, DVector};
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -2.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// let m = RegressionMutant::new(RegressionMutantKind::GradientMissingOneOverN, lr.clone());
    /// assert_eq!(m.model, lr);
    /// let w = DVector::from_vec(vec![0.5]);
    /// assert_eq!(m.gradient(&w), lr.gradient(&w) * 2.0); // N = 2 times too large
    /// assert_eq!(m.hessian(&w), lr.hessian(&w)); // the Hessian is right
    /// ```
    #[must_use]
    pub fn new(kind: RegressionMutantKind, model: LogisticRegression) -> Self {
        RegressionMutant { kind, model }
    }
}

impl ScalarFn for RegressionMutant {
    fn input_dim(&self) -> usize {
        self.model.input_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> D {
        self.model.eval(w)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::mutants::RegressionMutant::new(jacobian_oracle::mutants::RegressionMutantKind::{:?}, {})",
            self.kind,
            self.model.rust_expr().unwrap_or_default()
        ))
    }
}

impl AnalyticGradient for RegressionMutant {
    fn gradient(&self, w: &DVector<f64>) -> DVector<f64> {
        let g = self.model.gradient(w);
        match self.kind {
            RegressionMutantKind::GradientMissingOneOverN => g * self.model.data.nrows() as f64,
            _ => g,
        }
    }
}

impl AnalyticHessian for RegressionMutant {
    fn hessian(&self, w: &DVector<f64>) -> DMatrix<f64> {
        let h = self.model.hessian(w);
        let n = h.nrows();
        match self.kind {
            RegressionMutantKind::GradientMissingOneOverN => h,
            RegressionMutantKind::HessianMissingOneMinusMu => {
                let mu = self.model.probabilities(w);
                let sx = crate::catalogue::scale_rows(&mu, self.model.data.clone());
                self.model.data.tr_mul(&sx) / self.model.data.nrows() as f64
            }
            RegressionMutantKind::HessianAsymmetric => {
                DMatrix::from_fn(n, n, |j, k| if j <= k { h[(j, k)] } else { 0.0 })
            }
            RegressionMutantKind::HessianMissingOffDiagonal => {
                DMatrix::from_diagonal(&h.diagonal())
            }
            RegressionMutantKind::HessianWrongSign => -h,
        }
    }
}

/// Softmax cross-entropy with the Hessian `(Σy) diag(p)` — `diag(p)` for targets that sum to 1,
/// as the suite's one-hot ones do: the `−ppᵀ` term dropped.
///
/// ```
/// use jacobian_oracle::mutants::SoftmaxHessianMissingOuter;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = SoftmaxHessianMissingOuter::new(DVector::from_vec(vec![1.0]));
/// assert!(Oracle::default().check_hessian(&m, &DVector::from_vec(vec![0.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoftmaxHessianMissingOuter {
    /// The right loss.
    pub loss: CrossEntropyWithLogits,
}

impl SoftmaxHessianMissingOuter {
    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::SoftmaxHessianMissingOuter;
    /// assert_eq!(SoftmaxHessianMissingOuter::NAME, "softmax_cross_entropy_hessian_missing_outer");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == SoftmaxHessianMissingOuter::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "softmax_cross_entropy_hessian_missing_outer";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::SoftmaxHessianMissingOuter;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == SoftmaxHessianMissingOuter::NAME).unwrap();
    /// assert_eq!(entry.formula, SoftmaxHessianMissingOuter::FORMULA);
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∇²L = diag(p)";

    /// The loss against `target`, with the mistake.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::CrossEntropyWithLogits;
    /// use jacobian_oracle::mutants::SoftmaxHessianMissingOuter;
    /// use jacobian_oracle::AnalyticHessian;
    /// use nalgebra::{DMatrix, DVector};
    /// let y = DVector::from_vec(vec![1.0, 0.0]);
    /// let m = SoftmaxHessianMissingOuter::new(y.clone());
    /// assert_eq!(m.loss, CrossEntropyWithLogits::new(y));
    /// // diag(p) = ½I at equal logits, where the right (diag(p) − ppᵀ) is [[¼, −¼], [−¼, ¼]].
    /// assert_eq!(m.hessian(&DVector::from_vec(vec![0.0, 0.0])), DMatrix::from_diagonal_element(2, 2, 0.5));
    /// ```
    #[must_use]
    pub fn new(target: DVector<f64>) -> Self {
        SoftmaxHessianMissingOuter {
            loss: CrossEntropyWithLogits::new(target),
        }
    }
}

impl ScalarFn for SoftmaxHessianMissingOuter {
    fn input_dim(&self) -> usize {
        ScalarFn::input_dim(&self.loss)
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        ScalarFn::eval(&self.loss, x)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::mutants::SoftmaxHessianMissingOuter::new(nalgebra::DVector::from_vec({}))",
            vec_literal(&self.loss.y)
        ))
    }
}

impl AnalyticHessian for SoftmaxHessianMissingOuter {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_diagonal(&softmax(x)) * self.loss.y.sum()
    }
}

/// The tanh neuron score with `tanh'' = 2z(1 − z²)`: the sign of the second derivative lost.
///
/// ```
/// use jacobian_oracle::mutants::TanhHessianWrongSign;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = TanhHessianWrongSign::new(DVector::from_vec(vec![1.0]));
/// assert!(Oracle::default().check_hessian(&m, &DVector::from_vec(vec![0.5])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TanhHessianWrongSign {
    /// The right score.
    pub score: NeuronScore,
}

impl TanhHessianWrongSign {
    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::TanhHessianWrongSign;
    /// assert_eq!(TanhHessianWrongSign::NAME, "tanh_hessian_wrong_sign");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == TanhHessianWrongSign::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "tanh_hessian_wrong_sign";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::TanhHessianWrongSign;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == TanhHessianWrongSign::NAME).unwrap();
    /// assert_eq!(entry.formula, TanhHessianWrongSign::FORMULA);
    /// # }
    /// ```
    pub const FORMULA: &'static str = "tanh'' = 2z(1 − z²)";

    /// The score `tanh(wᵀx)` with the mistake.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SmoothActivation;
    /// use jacobian_oracle::mutants::TanhHessianWrongSign;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// let m = TanhHessianWrongSign::new(DVector::from_vec(vec![1.0, -1.0]));
    /// assert_eq!(m.score.activation, SmoothActivation::Tanh);
    /// // tanh''(0) = 0: where wᵀx = 0 the sign cannot show.
    /// assert!(Oracle::default().check_hessian(&m, &DVector::from_vec(vec![0.5, 0.5])).is_ok());
    /// assert!(Oracle::default().check_hessian(&m, &DVector::from_vec(vec![1.0, 0.5])).is_err());
    /// ```
    #[must_use]
    pub fn new(w: DVector<f64>) -> Self {
        TanhHessianWrongSign {
            score: NeuronScore::new(SmoothActivation::Tanh, w),
        }
    }
}

impl ScalarFn for TanhHessianWrongSign {
    fn input_dim(&self) -> usize {
        self.score.input_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        self.score.eval(x)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::mutants::TanhHessianWrongSign::new(nalgebra::DVector::from_vec({}))",
            vec_literal(&self.score.w)
        ))
    }
}

impl AnalyticHessian for TanhHessianWrongSign {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        -self.score.hessian(x)
    }
}
