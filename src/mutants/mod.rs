//! Known-wrong formulas: the mistakes people actually make around PML 1, eq. 13.73, kept here
//! to prove the oracle's power. Each mutant has the right `eval` and a wrong Jacobian; the
//! mutant suite asserts that every one is caught and shrunk to its minimal shape.
//!
//! | mutant | wrong formula | smallest `W` that shows it |
//! |---|---|---|
//! | `transposed_w` | `diag(σ') Wᵀ` | 2×2 (square only) |
//! | `diagonal_on_wrong_side` | `W diag(σ')` | 2×2 (square only) |
//! | `missing_one_minus_z` | `diag(z) W` | 1×1 |
//! | `derivative_at_input` | `σ'(x_j) W_ij` | 1×1 |
//! | `derivative_at_output` | `σ'(z_i) W_ij` | 1×1 |
//! | `outer_product` | `σ' xᵀ` (the `∂L/∂W` form) | 1×1 |
//! | `sum_of_rows` | every row `Wᵀσ'` (gradient of `Σz`) | 2×1 |
//! | `sign_error` | `−diag(σ') W` | 1×1 |
//! | `shifted_column` | `σ'_i W_{i,j+1}` | 1×2 |
//! | `shifted_row` | `σ'_{i+1} W_ij` | 2×1 |
//! | `weights_row_major` | `∂z/∂vec(W)` with a row-major `vec` (`diag(σ') ⊗ xᵀ`) | 2×2 |
//! | `weights_missing_delta` | `∂z_i/∂W_jk = σ'_i x_k` for every `j` | 2×1 |
//! | `neuron_swapped` | `∂z/∂x = z(1−z) x` (the `∂z/∂w` form) | 1×1 |
//!
//! The later families keep their tables beside their types: the activations and the MLP
//! ([`ActivationMutant`], [`MlpReversedChain`]), the layers of PML 1 sec. 13.3.3 and layer
//! normalisation ([`LinearTransposed`], [`SoftmaxMutant`], [`LogSoftmaxMutant`],
//! [`CrossEntropyMutant`], [`LayerNormMutant`], …) and the gradients and Hessians
//! ([`RegressionMutant`], [`SoftmaxHessianMissingOuter`], [`TanhHessianWrongSign`]). Every
//! one is in the suite (`jacobian_oracle::suite::mutants()`, feature `cli`), and
//! `tests/mutants.rs` proves each is caught and shrunk to its smallest shape.
//!
//! ```
//! use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
//! use jacobian_oracle::strategy::layer_case;
//! use jacobian_oracle::Oracle;
//! use proptest::test_runner::{TestError, TestRunner};
//!
//! // Every sigmoid-layer mutant is caught on random layers and shrinks to the smallest shape
//! // that shows its mistake.
//! for kind in LayerMutantKind::ALL {
//!     let strategy = if kind.minimal_shape() == (2, 2) { layer_case().square() } else { layer_case() };
//!     let result = TestRunner::deterministic().run(&strategy, |case| {
//!         Oracle::default().check(&LayerMutant::new(kind, case.w.clone()), &case.x)?;
//!         Ok(())
//!     });
//!     let Err(TestError::Fail(_, minimal)) = result else { panic!("{kind:?} missed") };
//!     assert_eq!(minimal.shape(), kind.minimal_shape(), "{kind:?}");
//! }
//! ```

/// `VectorFn` for a mutant that keeps the right map in the field `$map`: `input_dim`,
/// `output_dim` and `eval` are the map's (a mutant is wrong in its derivative only), and
/// `rust_expr` is `$rust_expr`, with the mutant bound to `$m`.
macro_rules! vector_fn_of_right_map {
    ($mutant:ty, $map:ident, |$m:ident| $rust_expr:expr) => {
        impl $crate::VectorFn for $mutant {
            fn input_dim(&self) -> usize {
                $crate::VectorFn::input_dim(&self.$map)
            }
            fn output_dim(&self) -> usize {
                $crate::VectorFn::output_dim(&self.$map)
            }
            fn eval<D: num_dual::DualNum<Primitive = f64> + Copy>(
                &self,
                x: &nalgebra::DVector<D>,
            ) -> nalgebra::DVector<D> {
                $crate::VectorFn::eval(&self.$map, x)
            }
            fn rust_expr(&self) -> Option<String> {
                let $m = self;
                $rust_expr
            }
        }
    };
}

mod activations;
mod layers;
mod second_order;

pub use activations::*;
pub use layers::*;
pub use second_order::*;

use nalgebra::{DMatrix, DVector};

use crate::AnalyticJacobian;
use crate::catalogue::{
    SigmoidLayer, SigmoidLayerWeights, SigmoidNeuron, dot, matvec, sigmoid, sigmoid_derivative,
};
use crate::report::{matrix_literal, vec_literal};

/// A wrong Jacobian of the sigmoid layer `z = σ(Wx)` with respect to `x`.
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
/// // Every mistake is caught on one 2×2 case.
/// let w = DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0]);
/// let x = DVector::from_vec(vec![0.25, -0.5]);
/// for kind in LayerMutantKind::ALL {
///     let result = Oracle::default().check(&LayerMutant::new(kind, w.clone()), &x);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerMutantKind {
    /// `diag(σ') Wᵀ`: `W` transposed (only type-checks when `W` is square).
    TransposedW,
    /// `W diag(σ')`: the diagonal multiplied on the wrong side (square `W` only).
    DiagonalOnWrongSide,
    /// `diag(z) W`: the `(1 − z)` factor dropped.
    MissingOneMinusZ,
    /// `σ'(x_j) W_ij`: the derivative taken at the input instead of the pre-activation.
    DerivativeAtInput,
    /// `σ'(z_i) W_ij`: the derivative formula applied to the output `z` (σ applied twice).
    DerivativeAtOutput,
    /// `σ' xᵀ`: the outer-product form of `∂L/∂W` used for `∂z/∂x`.
    OuterProduct,
    /// Every row `Wᵀσ'`: the gradient of the scalar `Σ_i z_i` used for a vector output.
    SumOfRows,
    /// `−diag(σ') W`: a sign error.
    SignError,
    /// `σ'_i W_{i,(j+1) mod n}`: a wrong column index.
    ShiftedColumn,
    /// `σ'_{(i+1) mod m} W_ij`: a wrong row index.
    ShiftedRow,
}

impl LayerMutantKind {
    /// Every layer mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerMutantKind;
    /// assert_eq!(LayerMutantKind::ALL.len(), 10);
    /// // The square-only kinds need a square minimal shape.
    /// for kind in LayerMutantKind::ALL.iter().filter(|k| k.square_only()) {
    ///     let (m, n) = kind.minimal_shape();
    ///     assert_eq!(m, n, "{}", kind.name());
    /// }
    /// ```
    pub const ALL: [LayerMutantKind; 10] = [
        LayerMutantKind::TransposedW,
        LayerMutantKind::DiagonalOnWrongSide,
        LayerMutantKind::MissingOneMinusZ,
        LayerMutantKind::DerivativeAtInput,
        LayerMutantKind::DerivativeAtOutput,
        LayerMutantKind::OuterProduct,
        LayerMutantKind::SumOfRows,
        LayerMutantKind::SignError,
        LayerMutantKind::ShiftedColumn,
        LayerMutantKind::ShiftedRow,
    ];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerMutantKind;
    /// assert_eq!(LayerMutantKind::SumOfRows.name(), "sum_of_rows");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(LayerMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            LayerMutantKind::TransposedW => "transposed_w",
            LayerMutantKind::DiagonalOnWrongSide => "diagonal_on_wrong_side",
            LayerMutantKind::MissingOneMinusZ => "missing_one_minus_z",
            LayerMutantKind::DerivativeAtInput => "derivative_at_input",
            LayerMutantKind::DerivativeAtOutput => "derivative_at_output",
            LayerMutantKind::OuterProduct => "outer_product",
            LayerMutantKind::SumOfRows => "sum_of_rows",
            LayerMutantKind::SignError => "sign_error",
            LayerMutantKind::ShiftedColumn => "shifted_column",
            LayerMutantKind::ShiftedRow => "shifted_row",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerMutantKind;
    /// assert_eq!(LayerMutantKind::SignError.formula(), "−diag(σ'(Wx)) W");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LayerMutantKind::SignError.name()).unwrap();
    /// assert_eq!(entry.formula, LayerMutantKind::SignError.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            LayerMutantKind::TransposedW => "diag(σ'(Wx)) Wᵀ",
            LayerMutantKind::DiagonalOnWrongSide => "W diag(σ'(Wx))",
            LayerMutantKind::MissingOneMinusZ => "diag(z) W",
            LayerMutantKind::DerivativeAtInput => "σ'(x_j) W_ij",
            LayerMutantKind::DerivativeAtOutput => "σ'(z_i) W_ij",
            LayerMutantKind::OuterProduct => "σ'(Wx) xᵀ",
            LayerMutantKind::SumOfRows => "1 (Wᵀσ'(Wx))ᵀ",
            LayerMutantKind::SignError => "−diag(σ'(Wx)) W",
            LayerMutantKind::ShiftedColumn => "σ'(a_i) W_{i,j+1}",
            LayerMutantKind::ShiftedRow => "σ'(a_{i+1}) W_ij",
        }
    }

    /// Whether the formula only type-checks for a square `W`.
    ///
    /// ```
    /// use jacobian_oracle::mutants::LayerMutantKind;
    /// assert!(LayerMutantKind::TransposedW.square_only());
    /// assert!(!LayerMutantKind::SignError.square_only());
    /// assert_eq!(LayerMutantKind::ALL.iter().filter(|k| k.square_only()).count(), 2);
    /// # #[cfg(feature = "cli")] {
    /// // The suite draws square cases for them.
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == LayerMutantKind::TransposedW.name()).unwrap();
    /// assert!(entry.square);
    /// # }
    /// ```
    #[must_use]
    pub fn square_only(self) -> bool {
        matches!(
            self,
            LayerMutantKind::TransposedW | LayerMutantKind::DiagonalOnWrongSide
        )
    }

    /// The smallest shape of `W` at which the formula differs from the right one.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    /// let kind = LayerMutantKind::ShiftedColumn;
    /// assert_eq!(kind.minimal_shape(), (1, 2));
    /// // With one column the shift wraps around to the same column: 1×1 hides it, 1×2 shows it.
    /// let one = LayerMutant::new(kind, DMatrix::from_element(1, 1, 2.0));
    /// assert!(Oracle::default().check(&one, &DVector::from_vec(vec![0.3])).is_ok());
    /// let two = LayerMutant::new(kind, DMatrix::from_row_slice(1, 2, &[1.0, 2.0]));
    /// assert!(Oracle::default().check(&two, &DVector::from_vec(vec![0.3, -0.4])).is_err());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            LayerMutantKind::TransposedW | LayerMutantKind::DiagonalOnWrongSide => (2, 2),
            LayerMutantKind::SumOfRows | LayerMutantKind::ShiftedRow => (2, 1),
            LayerMutantKind::ShiftedColumn => (1, 2),
            _ => (1, 1),
        }
    }
}

/// The sigmoid layer `z = σ(Wx)` with a wrong Jacobian with respect to `x`.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let m = LayerMutant::new(LayerMutantKind::SignError, DMatrix::from_row_slice(1, 1, &[1.0]));
/// let err = Oracle::default().check(&m, &DVector::from_vec(vec![0.0])).unwrap_err();
/// assert!(matches!(err, CheckError::Mismatch(_)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LayerMutant {
    /// Which mistake.
    pub kind: LayerMutantKind,
    /// The right map (its `eval` is used unchanged).
    pub layer: SigmoidLayer,
}

impl LayerMutant {
    /// The layer with weights `w` and the mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let w = DMatrix::from_row_slice(1, 2, &[4.0, -2.0]);
    /// let m = LayerMutant::new(LayerMutantKind::SignError, w.clone());
    /// assert_eq!(m.layer, SigmoidLayer::new(w.clone()));
    /// let x = DVector::from_vec(vec![0.5, 0.25]);
    /// assert_eq!(m.jacobian(&x), -m.layer.jacobian(&x));
    /// ```
    #[must_use]
    pub fn new(kind: LayerMutantKind, w: DMatrix<f64>) -> Self {
        LayerMutant {
            kind,
            layer: SigmoidLayer::new(w),
        }
    }
}

vector_fn_of_right_map!(LayerMutant, layer, |m| {
    Some(format!(
        "jacobian_oracle::mutants::LayerMutant::new(jacobian_oracle::mutants::LayerMutantKind::{:?}, {})",
        m.kind,
        matrix_literal(&m.layer.w)
    ))
});

impl AnalyticJacobian for LayerMutant {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let w = &self.layer.w;
        let (m, n) = w.shape();
        let a = matvec(w, x);
        let s = a.map(sigmoid_derivative);
        match self.kind {
            LayerMutantKind::TransposedW => {
                // Only meaningful for square W; for other shapes index within bounds.
                DMatrix::from_fn(m, n, |i, j| s[i] * w[(j % m, i % n)])
            }
            LayerMutantKind::DiagonalOnWrongSide => {
                DMatrix::from_fn(m, n, |i, j| w[(i, j)] * s[j % m])
            }
            LayerMutantKind::MissingOneMinusZ => {
                let z = a.map(sigmoid);
                DMatrix::from_fn(m, n, |i, j| z[i] * w[(i, j)])
            }
            LayerMutantKind::DerivativeAtInput => {
                DMatrix::from_fn(m, n, |i, j| sigmoid_derivative(x[j]) * w[(i, j)])
            }
            LayerMutantKind::DerivativeAtOutput => {
                let z = a.map(sigmoid);
                DMatrix::from_fn(m, n, |i, j| sigmoid_derivative(z[i]) * w[(i, j)])
            }
            LayerMutantKind::OuterProduct => DMatrix::from_fn(m, n, |i, j| s[i] * x[j]),
            LayerMutantKind::SumOfRows => {
                let g = w.tr_mul(&s);
                DMatrix::from_fn(m, n, |_, j| g[j])
            }
            LayerMutantKind::SignError => DMatrix::from_fn(m, n, |i, j| -s[i] * w[(i, j)]),
            LayerMutantKind::ShiftedColumn => {
                DMatrix::from_fn(m, n, |i, j| s[i] * w[(i, (j + 1) % n)])
            }
            LayerMutantKind::ShiftedRow => {
                DMatrix::from_fn(m, n, |i, j| s[(i + 1) % m] * w[(i, j)])
            }
        }
    }
}

/// A wrong Jacobian of `z = σ(Wx)` with respect to `vec(W)` (column-major).
///
/// ```
/// use jacobian_oracle::mutants::{WeightsMutant, WeightsMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::DVector;
/// // Both caught for a 2×2 W.
/// let theta = DVector::from_vec(vec![0.5, -1.0, 0.25, 2.0]);
/// for kind in WeightsMutantKind::ALL {
///     let m = WeightsMutant::new(kind, 2, DVector::from_vec(vec![1.0, -2.0]));
///     let result = Oracle::default().check(&m, &theta);
///     assert!(matches!(result, Err(CheckError::Mismatch(_))), "{}", kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WeightsMutantKind {
    /// The Kronecker factors in the wrong order, i.e. a row-major `vec(W)`:
    /// `∂z_i/∂θ[i·n + k] = σ'_i x_k`.
    RowMajor,
    /// The Kronecker delta dropped: `∂z_i/∂W_jk = σ'_i x_k` for every `j`.
    MissingDelta,
}

impl WeightsMutantKind {
    /// Every weights mutant.
    ///
    /// ```
    /// use jacobian_oracle::mutants::WeightsMutantKind;
    /// assert_eq!(WeightsMutantKind::ALL.len(), 2);
    /// assert!(WeightsMutantKind::ALL.iter().all(|k| k.name().starts_with("weights_")));
    /// ```
    pub const ALL: [WeightsMutantKind; 2] =
        [WeightsMutantKind::RowMajor, WeightsMutantKind::MissingDelta];

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::WeightsMutantKind;
    /// assert_eq!(WeightsMutantKind::RowMajor.name(), "weights_row_major");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// assert!(WeightsMutantKind::ALL.iter().all(|k| suite.iter().any(|e| e.name == k.name())));
    /// # }
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            WeightsMutantKind::RowMajor => "weights_row_major",
            WeightsMutantKind::MissingDelta => "weights_missing_delta",
        }
    }

    /// The wrong formula, as written.
    ///
    /// ```
    /// use jacobian_oracle::mutants::WeightsMutantKind;
    /// assert_eq!(WeightsMutantKind::MissingDelta.formula(), "∂z_i/∂W_jk = σ'_i x_k for all j");
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == WeightsMutantKind::RowMajor.name()).unwrap();
    /// assert_eq!(entry.formula, WeightsMutantKind::RowMajor.formula());
    /// # }
    /// ```
    #[must_use]
    pub fn formula(self) -> &'static str {
        match self {
            WeightsMutantKind::RowMajor => "diag(σ') ⊗ xᵀ (row-major vec(W))",
            WeightsMutantKind::MissingDelta => "∂z_i/∂W_jk = σ'_i x_k for all j",
        }
    }

    /// The smallest shape of `W` at which the formula differs from the right one.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{WeightsMutant, WeightsMutantKind};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// let kind = WeightsMutantKind::RowMajor;
    /// assert_eq!(kind.minimal_shape(), (2, 2));
    /// // With one row (1×2) or one column (2×1) both flattenings agree.
    /// let one_row = WeightsMutant::new(kind, 1, DVector::from_vec(vec![1.0, -2.0]));
    /// assert!(Oracle::default().check(&one_row, &DVector::from_vec(vec![0.5, 0.25])).is_ok());
    /// let one_col = WeightsMutant::new(kind, 2, DVector::from_vec(vec![1.5]));
    /// assert!(Oracle::default().check(&one_col, &DVector::from_vec(vec![0.5, 0.25])).is_ok());
    /// ```
    #[must_use]
    pub fn minimal_shape(self) -> (usize, usize) {
        match self {
            WeightsMutantKind::RowMajor => (2, 2),
            WeightsMutantKind::MissingDelta => (2, 1),
        }
    }
}

/// `z = σ(Wx)` as a function of `vec(W)`, with a wrong Jacobian.
///
/// ```
/// use jacobian_oracle::mutants::{WeightsMutant, WeightsMutantKind};
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = WeightsMutant::new(WeightsMutantKind::MissingDelta, 2, DVector::from_vec(vec![1.0]));
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5, -1.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsMutant {
    /// Which mistake.
    pub kind: WeightsMutantKind,
    /// The right map.
    pub map: SigmoidLayerWeights,
}

impl WeightsMutant {
    /// The layer with `rows` outputs at input `x`, as a function of `vec(W)`, with the
    /// mistake `kind`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayerWeights;
    /// use jacobian_oracle::mutants::{WeightsMutant, WeightsMutantKind};
    /// use jacobian_oracle::{AnalyticJacobian, VectorFn};
    /// use nalgebra::DVector;
    /// let x = DVector::from_vec(vec![1.0]);
    /// let m = WeightsMutant::new(WeightsMutantKind::MissingDelta, 2, x.clone());
    /// assert_eq!(m.map, SigmoidLayerWeights::new(2, x));
    /// assert_eq!(m.input_dim(), 2);
    /// // No Kronecker delta: output 0 depends on W₁₀ too, by this Jacobian.
    /// let theta = DVector::from_vec(vec![0.0, 0.0]);
    /// assert_eq!(m.jacobian(&theta)[(0, 1)], 0.25);
    /// assert_eq!(m.map.jacobian(&theta)[(0, 1)], 0.0);
    /// ```
    #[must_use]
    pub fn new(kind: WeightsMutantKind, rows: usize, x: DVector<f64>) -> Self {
        WeightsMutant {
            kind,
            map: SigmoidLayerWeights::new(rows, x),
        }
    }
}

vector_fn_of_right_map!(WeightsMutant, map, |m| {
    Some(format!(
        "jacobian_oracle::mutants::WeightsMutant::new(jacobian_oracle::mutants::WeightsMutantKind::{:?}, {}, nalgebra::DVector::from_vec({}))",
        m.kind,
        m.map.rows,
        vec_literal(&m.map.x)
    ))
});

impl AnalyticJacobian for WeightsMutant {
    fn jacobian(&self, theta: &DVector<f64>) -> DMatrix<f64> {
        let (m, x) = (self.map.rows, &self.map.x);
        let n = x.len();
        let s = matvec(&self.map.unflatten(theta), x).map(sigmoid_derivative);
        match self.kind {
            // Row i holds σ'_i xᵀ in the columns i·n + k of a row-major vec(W).
            WeightsMutantKind::RowMajor => {
                DMatrix::from_fn(
                    m,
                    m * n,
                    |i, c| if c / n == i { s[i] * x[c % n] } else { 0.0 },
                )
            }
            // Column j + k·m is W_jk: σ'_i x_k for every j.
            WeightsMutantKind::MissingDelta => DMatrix::from_fn(m, m * n, |i, c| s[i] * x[c / m]),
        }
    }
}

/// The neuron `z = σ(wᵀx)` with `∂z/∂x = z(1−z) x` — the weight gradient's form used for the
/// input gradient (the `x`/`w` mix-up of eq. 13.73).
///
/// ```
/// use jacobian_oracle::mutants::NeuronSwapped;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let m = NeuronSwapped::new(DVector::from_vec(vec![2.0]));
/// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![1.0])).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronSwapped {
    /// The right map.
    pub neuron: SigmoidNeuron,
}

impl NeuronSwapped {
    /// The neuron with weights `w`.
    ///
    /// ```
    /// use jacobian_oracle::mutants::NeuronSwapped;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// let w = DVector::from_vec(vec![1.0, -0.5]);
    /// let m = NeuronSwapped::new(w.clone());
    /// // z(1 − z) x is right exactly where x = w.
    /// assert!(Oracle::default().check(&m, &w).is_ok());
    /// assert!(Oracle::default().check(&m, &DVector::from_vec(vec![0.5, 2.0])).is_err());
    /// ```
    #[must_use]
    pub fn new(w: DVector<f64>) -> Self {
        NeuronSwapped {
            neuron: SigmoidNeuron::new(w),
        }
    }

    /// The snake-case name used in reports.
    ///
    /// ```
    /// use jacobian_oracle::mutants::NeuronSwapped;
    /// assert_eq!(NeuronSwapped::NAME, "neuron_swapped");
    /// # #[cfg(feature = "cli")] {
    /// assert!(jacobian_oracle::suite::mutants().iter().any(|e| e.name == NeuronSwapped::NAME));
    /// # }
    /// ```
    pub const NAME: &'static str = "neuron_swapped";
    /// The wrong formula.
    ///
    /// ```
    /// use jacobian_oracle::mutants::NeuronSwapped;
    /// # #[cfg(feature = "cli")] {
    /// let suite = jacobian_oracle::suite::mutants();
    /// let entry = suite.iter().find(|e| e.name == NeuronSwapped::NAME).unwrap();
    /// assert_eq!(entry.formula, NeuronSwapped::FORMULA);
    /// assert_eq!(entry.minimal_shape, Some((1, 1)));
    /// # }
    /// ```
    pub const FORMULA: &'static str = "∂z/∂x = z(1−z) x";
}

vector_fn_of_right_map!(NeuronSwapped, neuron, |m| {
    Some(format!(
        "jacobian_oracle::mutants::NeuronSwapped::new(nalgebra::DVector::from_vec({}))",
        vec_literal(&m.neuron.w)
    ))
});

impl AnalyticJacobian for NeuronSwapped {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = sigmoid_derivative(dot(&self.neuron.w, x));
        DMatrix::from_fn(1, x.len(), |_, j| s * x[j])
    }
}
