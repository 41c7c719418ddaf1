//! Wrong derivatives of activation functions and their layers: the classic slips of PML 1
//! sec. 13.4.3 (a factor dropped, a sign flipped, the function written for its derivative)
//! and the chain rule of an MLP multiplied in the wrong order.
//!
//! | mutant | wrong formula | smallest `W` that shows it |
//! |---|---|---|
//! | `tanh_one_minus_z` | `tanh' = 1 − z` | 1×1 |
//! | `tanh_sigmoid_formula` | `tanh' = z(1 − z)` | 1×1 |
//! | `softplus_sigma_of_minus_a` | `softplus' = σ(−a)` | 1×1 |
//! | `log_sigmoid_sigma_of_a` | `(log σ)' = σ(a)` | 1×1 |
//! | `silu_missing_a_sigma_prime` | `silu' = σ(a)` | 1×1 |
//! | `gelu_erf_missing_x_phi` | `gelu' = Φ(x)` | 1×1 |
//! | `gelu_tanh_missing_inner_derivative` | `gelu_tanh' = σ(2u) + 2xσ(2u)σ(−2u)` (no `u'`) | 1×1 |
//! | `selu_missing_lambda` | `selu' = elu'(a, α)` | 1×1 |
//! | `softsign_missing_square` | `softsign' = 1/(1 + |a|)` | 1×1 |
//! | `elu_function_for_derivative` | `elu' = α(e^{a} − 1)` for `a ≤ 0` | 1×1 (on `a ≤ 0`) |
//! | `leaky_relu_zero_slope` | `leaky_relu' = 0` for `a ≤ 0` | 1×1 (on `a ≤ 0`) |
//! | `mlp_reversed_chain` | `J_1 J_2 ⋯ J_L` | 2×2 (square only) |
//!
//! The scalar mistakes are checked on the elementwise map `z = φ(x)` (Jacobian `diag(φ'(x))`):
//! each is wrong at every `x` but a few isolated points (most at `x = 0`), so one input
//! shows it. Two are wrong on the negative side only (`elu_function_for_derivative`,
//! `leaky_relu_zero_slope`); the suite checks them on that side, so that the smallest
//! counterexample is again one input (see `suite`, feature `cli`). The MLP's reversed
//! product only type-checks for square layers, and `1×1` layers commute: its smallest
//! counterexample is `2×2`.

use nalgebra::{DMatrix, DVector};

use crate::AnalyticJacobian;
use crate::catalogue::{
    Activation, Elementwise, Mlp, SELU_ALPHA, elu_derivative, normal_cdf, relu_derivative, sigmoid,
    tanh,
};

/// A wrong derivative `φ'` of an activation, used in the Jacobian `diag(φ'(x))` of the
/// elementwise map `z = φ(x)`.
///
/// ```
/// use jacobian_oracle::mutants::{ActivationMutant, ActivationMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// // Every mistake is caught at one negative input.
/// let x = DVector::from_vec(vec![-0.75]);
/// for kind in ActivationMutantKind::ALL {
///     let result = Oracle::default().check(&ActivationMutant::new(kind, 1), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivationMutantKind {
    /// `tanh' = 1 − z`: the square dropped from `1 − z²`.
    TanhOneMinusZ,
    /// `tanh' = z(1 − z)`: the sigmoid's formula used for tanh.
    TanhSigmoidFormula,
    /// `softplus' = σ(−a)`: the sign of the argument flipped.
    SoftplusSigmaOfMinusA,
    /// `(log σ)' = σ(a)`: the derivative of softplus, not of `−softplus(−a)`.
    LogSigmoidSigmaOfA,
    /// `silu' = σ(a)`: the product rule's `a·σ'(a)` term dropped.
    SiluMissingASigmaPrime,
    /// `gelu' = Φ(x)`: the product rule's `xφ(x)` term dropped.
    GeluErfMissingXPhi,
    /// `gelu_tanh' = σ(2u) + 2xσ(2u)σ(−2u)`: the chain rule's inner derivative
    /// `u' = √(2/π)(1 + 3·0.044715x²)` dropped.
    GeluTanhMissingInnerDerivative,
    /// `selu' = elu'(a, α)`: the scale `λ` dropped.
    SeluMissingLambda,
    /// `softsign' = 1/(1 + |a|)`: the square dropped.
    SoftsignMissingSquare,
    /// `elu' = α(e^{a} − 1)` on the negative side: the function written for its derivative.
    /// Right on the positive side.
    EluFunctionForDerivative,
    /// `leaky_relu' = 0` on the negative side: ReLU's derivative used for leaky ReLU. Right on
    /// the positive side.
    LeakyReluZeroSlope,
}

impl ActivationMutantKind {
    /// Every activation mutant.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// use jacobian_oracle::mutants::ActivationMutantKind;
    /// let mut names: Vec<_> = ActivationMutantKind::ALL.iter().map(|k| k.name()).collect();
    /// names.sort_unstable();
    /// names.dedup();
    /// assert_eq!(names.len(), ActivationMutantKind::ALL.len()); // each kind once
    /// assert!(ActivationMutantKind::ALL.iter().all(|k| Activation::ALL.contains(&k.activation())));
    /// ```
    pub const ALL: [ActivationMutantKind; 11] = [
        ActivationMutantKind::TanhOneMinusZ,
        ActivationMutantKind::TanhSigmoidFormula,
        ActivationMutantKind::SoftplusSigmaOfMinusA,
        ActivationMutantKind::LogSigmoidSigmaOfA,
        ActivationMutantKind::SiluMissingASigmaPrime,
        ActivationMutantKind::GeluErfMissingXPhi,
        ActivationMutantKind::GeluTanhMissingInnerDerivative,
        ActivationMutantKind::SeluMissingLambda,
        ActivationMutantKind::SoftsignMissingSquare,
        ActivationMutantKind::EluFunctionForDerivative,
        ActivationMutantKind::LeakyReluZeroSlope,
    ];

    /// The activation whose derivative is wrong.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// use jacobian_oracle::mutants::ActivationMutantKind;
    /// assert_eq!(ActivationMutantKind::TanhSigmoidFormula.activation(), Activation::Tanh);
    /// assert_eq!(ActivationMutantKind::LeakyReluZeroSlope.activation(), Activation::LEAKY_RELU);
    /// // The activation's own derivative is the right one.
    /// let kind = ActivationMutantKind::SoftsignMissingSquare;
    /// assert_eq!(kind.activation().derivative(1.0), 0.25);
    /// assert_eq!(kind.derivative(1.0), 0.5);
    /// ```
    #[must_use]
    pub fn activation(self) -> Activation {
        match self {
            ActivationMutantKind::TanhOneMinusZ | ActivationMutantKind::TanhSigmoidFormula => {
                Activation::Tanh
            }
            ActivationMutantKind::SoftplusSigmaOfMinusA => Activation::Softplus,
            ActivationMutantKind::LogSigmoidSigmaOfA => Activation::LogSigmoid,
            ActivationMutantKind::SiluMissingASigmaPrime => Activation::Silu,
            ActivationMutantKind::GeluErfMissingXPhi => Activation::GeluErf,
            ActivationMutantKind::GeluTanhMissingInnerDerivative => Activation::GeluTanh,
            ActivationMutantKind::SeluMissingLambda => Activation::Selu,
            ActivationMutantKind::SoftsignMissingSquare => Activation::Softsign,
            ActivationMutantKind::EluFunctionForDerivative => Activation::ELU,
            ActivationMutantKind::LeakyReluZeroSlope => Activation::LEAKY_RELU,
        }
    }

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::ActivationMutantKind;
    /// assert_eq!(ActivationMutantKind::GeluErfMissingXPhi.name(), "gelu_erf_missing_x_phi");
    /// // Each name starts with its activation's.
    /// for kind in ActivationMutantKind::ALL {
    ///     assert!(kind.name().starts_with(kind.activation().name()), "{}", kind.name());
    /// }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ActivationMutantKind::TanhOneMinusZ => "tanh_one_minus_z",
            ActivationMutantKind::TanhSigmoidFormula => "tanh_sigmoid_formula",
            ActivationMutantKind::SoftplusSigmaOfMinusA => "softplus_sigma_of_minus_a",
            ActivationMutantKind::LogSigmoidSigmaOfA => "log_sigmoid_sigma_of_a",
            ActivationMutantKind::SiluMissingASigmaPrime => "silu_missing_a_sigma_prime",
            ActivationMutantKind::GeluErfMissingXPhi => "gelu_erf_missing_x_phi",
            ActivationMutantKind::GeluTanhMissingInnerDerivative => {
                "gelu_tanh_missing_inner_derivative"
            }
            ActivationMutantKind::SeluMissingLambda => "selu_missing_lambda",
            ActivationMutantKind::SoftsignMissingSquare => "softsign_missing_square",
            ActivationMutantKind::EluFunctionForDerivative => "elu_function_for_derivative",
            ActivationMutantKind::LeakyReluZeroSlope => "leaky_relu_zero_slope",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::tanh;
    /// use jacobian_oracle::mutants::ActivationMutantKind;
    /// let kind = ActivationMutantKind::TanhOneMinusZ;
    /// assert_eq!(kind.formula(), "tanh'(a) = 1 − z");
    /// // `derivative` computes what the formula says.
    /// assert_eq!(kind.derivative(0.5), 1.0 - tanh(0.5));
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            ActivationMutantKind::TanhOneMinusZ => "tanh'(a) = 1 − z",
            ActivationMutantKind::TanhSigmoidFormula => "tanh'(a) = z(1 − z)",
            ActivationMutantKind::SoftplusSigmaOfMinusA => "softplus'(a) = σ(−a)",
            ActivationMutantKind::LogSigmoidSigmaOfA => "(log σ)'(a) = σ(a)",
            ActivationMutantKind::SiluMissingASigmaPrime => "silu'(a) = σ(a)",
            ActivationMutantKind::GeluErfMissingXPhi => "gelu'(x) = Φ(x)",
            ActivationMutantKind::GeluTanhMissingInnerDerivative => {
                "gelu_tanh'(x) = σ(2u) + 2xσ(2u)σ(−2u) (u' dropped)"
            }
            ActivationMutantKind::SeluMissingLambda => "selu'(a) = 1 or αe^a (λ dropped)",
            ActivationMutantKind::SoftsignMissingSquare => "softsign'(a) = 1/(1 + |a|)",
            ActivationMutantKind::EluFunctionForDerivative => "elu'(a) = α(e^a − 1) for a ≤ 0",
            ActivationMutantKind::LeakyReluZeroSlope => "leaky_relu'(a) = 0 for a ≤ 0",
        }
    }

    /// Whether the formula is wrong on the negative side only (right for `a > 0`).
    ///
    /// ```
    /// use jacobian_oracle::mutants::{ActivationMutant, ActivationMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// let kind = ActivationMutantKind::LeakyReluZeroSlope;
    /// assert!(kind.negative_side_only());
    /// assert!(!ActivationMutantKind::TanhOneMinusZ.negative_side_only());
    /// let m = ActivationMutant::new(kind, 1);
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![2.0])).is_ok());
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![-2.0])).is_err());
    /// ```
    #[must_use]
    pub fn negative_side_only(self) -> bool {
        matches!(
            self,
            ActivationMutantKind::EluFunctionForDerivative
                | ActivationMutantKind::LeakyReluZeroSlope
        )
    }

    /// The smallest shape of `W` at which the formula differs from the right one: the
    /// elementwise map uses one input per column of `W` and no row, so one input, `1×1`
    /// (on the negative side for [`negative_side_only`](Self::negative_side_only) kinds).
    ///
    /// ```
    /// use jacobian_oracle::mutants::{ActivationMutant, ActivationMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert!(ActivationMutantKind::ALL.iter().all(|k| k.minimal_shape() == (1, 1)));
    /// // One input shows the mistake.
    /// let m = ActivationMutant::new(ActivationMutantKind::SeluMissingLambda, 1);
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5])).is_err());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        (1, 1)
    }

    /// The wrong `φ'(a)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// use jacobian_oracle::mutants::ActivationMutantKind;
    /// let kind = ActivationMutantKind::SiluMissingASigmaPrime;
    /// // σ(a) instead of σ(a)(1 + a(1 − σ(a))): right at 0 only.
    /// assert_eq!(kind.derivative(0.0), Activation::Silu.derivative(0.0));
    /// assert!((kind.derivative(1.0) - Activation::Silu.derivative(1.0)).abs() > 0.1);
    /// ```
    #[must_use]
    pub fn derivative(self, a: f64) -> f64 {
        match self {
            ActivationMutantKind::TanhOneMinusZ => 1.0 - tanh(a),
            ActivationMutantKind::TanhSigmoidFormula => {
                let z = tanh(a);
                z * (1.0 - z)
            }
            ActivationMutantKind::SoftplusSigmaOfMinusA => sigmoid(-a),
            ActivationMutantKind::LogSigmoidSigmaOfA => sigmoid(a),
            ActivationMutantKind::SiluMissingASigmaPrime => sigmoid(a),
            ActivationMutantKind::GeluErfMissingXPhi => normal_cdf(a),
            ActivationMutantKind::GeluTanhMissingInnerDerivative => {
                let u = 0.797_884_560_802_865_4 * (a + 0.044_715 * a * a * a);
                let (s, t) = (sigmoid(2.0 * u), sigmoid(-2.0 * u));
                s + 2.0 * a * s * t
            }
            ActivationMutantKind::SeluMissingLambda => elu_derivative(a, SELU_ALPHA),
            ActivationMutantKind::SoftsignMissingSquare => 1.0 / (1.0 + a.abs()),
            // The function itself on the negative side.
            ActivationMutantKind::EluFunctionForDerivative => {
                if a > 0.0 {
                    1.0
                } else {
                    self.activation().apply(a)
                }
            }
            ActivationMutantKind::LeakyReluZeroSlope => relu_derivative(a),
        }
    }
}

/// The elementwise map `z = φ(x)` with a wrong derivative `φ'` in its Jacobian
/// `diag(φ'(x))`.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::mutants::{ActivationMutant, ActivationMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
///
/// let m = ActivationMutant::new(ActivationMutantKind::TanhOneMinusZ, 1);
/// let err = Oracle::default().check(&m, &DVector::from_vec(vec![1.0])).unwrap_err();
/// assert!(matches!(err, CheckError::Mismatch(_)));
/// // Right where z = 0.
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.0])).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ActivationMutant {
    /// Which mistake.
    pub kind: ActivationMutantKind,
    /// The right map (its `eval` is used unchanged).
    pub map: Elementwise,
}

impl ActivationMutant {
    /// The elementwise map on `n` inputs with the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// use jacobian_oracle::mutants::{ActivationMutant, ActivationMutantKind};
    /// use jacobian_oracle::{AnalyticJacobian, VectorFn};
    /// use nalgebra::DVector;
    /// let m = ActivationMutant::new(ActivationMutantKind::SoftplusSigmaOfMinusA, 3);
    /// assert_eq!(m.map.activation, Activation::Softplus);
    /// assert_eq!(m.input_dim(), 3);
    /// // σ(−a) for σ(a): right only at a = 0.
    /// let j = m.jacobian(&DVector::from_vec(vec![0.0, 1.0, -1.0]));
    /// assert_eq!(j[(0, 0)], 0.5);
    /// assert!(j[(1, 1)] < 0.5 && j[(2, 2)] > 0.5);
    /// ```
    #[must_use]
    pub fn new(kind: ActivationMutantKind, n: usize) -> Self {
        ActivationMutant {
            kind,
            map: Elementwise::new(kind.activation(), n),
        }
    }
}

vector_fn_of_right_map!(ActivationMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::ActivationMutant::new(jacobian_oracle::mutants::ActivationMutantKind::{:?}, {})",
        m.kind, m.map.n
    ))
});

impl AnalyticJacobian for ActivationMutant {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_diagonal(&x.map(|xi| self.kind.derivative(xi)))
    }
}

/// An MLP whose Jacobian multiplies the layer Jacobians in the wrong order:
/// `J_1 J_2 ⋯ J_L` instead of `J_L ⋯ J_2 J_1` (the chain rule written left to right in the
/// order the layers are applied).
///
/// The product only type-checks when every layer is square (`n×n`), and `1×1` layers
/// commute, so the smallest counterexample has `2×2` layers.
///
/// ```
/// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
/// use jacobian_oracle::mutants::MlpReversedChain;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = |act, w: &[f64]| ActivationLayer::new(act, DMatrix::from_row_slice(2, 2, w), DVector::zeros(2));
/// let m = MlpReversedChain::new(Mlp::new(vec![
///     layer(Activation::Sigmoid, &[1.0, 2.0, 0.0, 1.0]),
///     layer(Activation::Tanh, &[1.0, 0.0, -1.0, 1.0]),
/// ]));
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5, -0.5])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MlpReversedChain {
    /// The right map.
    pub mlp: Mlp,
}

impl MlpReversedChain {
    /// The MLP with its chain rule reversed.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
    /// use jacobian_oracle::mutants::MlpReversedChain;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// // 1×1 layers commute: there the reversed chain is right.
    /// let layer = |w| ActivationLayer::new(Activation::Tanh, DMatrix::from_element(1, 1, w), DVector::zeros(1));
    /// let m = MlpReversedChain::new(Mlp::new(vec![layer(2.0), layer(-0.5)]));
    /// assert_eq!(m.mlp.layers.len(), 2);
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.3])).is_ok());
    /// ```
    ///
    /// # Panics
    ///
    /// If a layer is not square (the reversed product would not type-check).
    #[must_use]
    pub fn new(mlp: Mlp) -> Self {
        assert!(
            mlp.layers.iter().all(|l| l.w.is_square()),
            "the reversed chain needs square layers"
        );
        MlpReversedChain { mlp }
    }

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::MlpReversedChain;
    /// assert_eq!(MlpReversedChain::NAME, "mlp_reversed_chain");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == MlpReversedChain::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "mlp_reversed_chain";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::MlpReversedChain;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == MlpReversedChain::NAME).unwrap();
    /// assert_eq!(entry.formula, MlpReversedChain::FORMULA);
    /// assert!(entry.square); // the reversed product needs square layers
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∂z_L/∂x = J_1 J_2 ⋯ J_L";
}

vector_fn_of_right_map!(MlpReversedChain, mlp, |m| {
    m.mlp
        .rust_expr()
        .map(|e| format!("jacobian_oracle::mutants::MlpReversedChain::new({e})"))
});

impl AnalyticJacobian for MlpReversedChain {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        self.mlp
            .layer_jacobians(x)
            .into_iter()
            .reduce(|acc, j| acc * j)
            .expect("an MLP has at least one layer")
    }
}
