//! Logistic regression (Murphy, PML 1, sec. 10.2.3 and 10.3): the negative log-likelihood, its
//! gradient and Hessian (binary), and the gradient of the multinomial model.

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use super::{sigmoid, softplus};
use crate::report::{matrix_literal, vec_literal};
use crate::{AnalyticGradient, AnalyticHessian, ScalarFn};

/// Binary logistic regression's average negative log-likelihood as a function of the weights
/// `w ∈ ℝᵈ`, for data `X ∈ ℝ^{N×d}` (one example per row) and labels `y ∈ {0, 1}ᴺ`
/// (PML 1, sec. 10.2.3, eqs. 10.21 and 10.23):
///
/// * `NLL(w) = (1/N) Σ_n [softplus(a_n) − y_n a_n]`, `a = Xw` — the same as
///   `−(1/N) Σ_n [y_n log μ_n + (1 − y_n) log(1 − μ_n)]`, `μ = σ(a)` — computed as
///   `(1 − y_n)·softplus(a_n) + y_n·softplus(−a_n)`, finite for any finite `a` (no `log 0`)
///   and without the cancellation `(a + tiny) − a` of a confident right prediction;
/// * gradient `∇NLL = (1/N) Xᵀ(μ − y)`, with `μ_n − y_n = (1 − y_n)σ(a_n) − y_n σ(−a_n)`;
/// * Hessian `∇²NLL = (1/N) XᵀSX`, `S = diag(μ ∘ (1 − μ))`, with `1 − μ` computed as `σ(−a)`:
///   in saturation the textbook `1 − μ` rounds to 0 and the Hessian of a saturated model loses
///   all relative precision (the oracle then reports a mismatch of relative size up to 1 in
///   entries of size `e^{−|a|}`: the precision loss is real, and larger than the
///   rounding-sensitivity model of the output can attribute to a formula written in `μ`).
///
/// The `1/N` scaling follows PML 1 (the *average* NLL); without it every derivative is `N`
/// times larger. The Hessian is positive semi-definite.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::LogisticRegression;
/// use jacobian_oracle::{AnalyticGradient, AnalyticHessian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let x = DMatrix::from_row_slice(3, 2, &[1.0, 2.0, -1.0, 0.5, 0.0, -3.0]);
/// let lr = LogisticRegression::new(x, DVector::from_vec(vec![1.0, 0.0, 1.0]));
/// let w = DVector::from_vec(vec![0.25, -0.5]);
/// let oracle = Oracle::default();
/// oracle.check_gradient(&lr, &w).unwrap();
/// oracle.check_hessian(&lr, &w).unwrap();
/// assert_eq!(lr.hessian(&w).shape(), (2, 2));
/// assert_eq!(lr.gradient(&w).len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LogisticRegression {
    /// The data, one example per row (`N×d`).
    pub data: DMatrix<f64>,
    /// The labels, `0` or `1` (length `N`).
    pub labels: DVector<f64>,
}

impl LogisticRegression {
    /// The model on `data` (`N×d`, one example per row) with `labels` in `{0, 1}`.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::{AnalyticGradient, ScalarFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(2, 1, &[1.0, -2.0]), DVector::from_vec(vec![1.0, 0.0]));
    /// let w = DVector::from_vec(vec![0.0]);
    /// // w = 0: μ = ½ for every example, NLL = ln 2, ∇NLL = Xᵀ(μ − y)/N = (1·(−½) + (−2)·½)/2.
    /// assert_abs_diff_eq!(lr.eval(&w), 2.0_f64.ln(), epsilon = 1e-16);
    /// assert_eq!(lr.gradient(&w), DVector::from_vec(vec![-0.75]));
    /// ```
    ///
    /// # Panics
    ///
    /// If `labels` does not have one entry per row of `data`, naming both lengths (the fields
    /// are public: a model changed after construction is the caller's to keep consistent).
    #[must_use]
    pub fn new(data: DMatrix<f64>, labels: DVector<f64>) -> Self {
        assert_eq!(
            labels.len(),
            data.nrows(),
            "LogisticRegression::new: {} labels for {} examples (rows of data)",
            labels.len(),
            data.nrows()
        );
        LogisticRegression { data, labels }
    }

    fn logits<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> DVector<D> {
        super::matvec(&self.data, w)
    }

    /// `μ = σ(Xw)`, the predicted probabilities.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use nalgebra::{DMatrix, DVector};
    /// let lr = LogisticRegression::new(DMatrix::from_row_slice(3, 1, &[0.0, 1.0, -1.0]), DVector::from_vec(vec![1.0, 1.0, 0.0]));
    /// let mu = lr.probabilities(&DVector::from_vec(vec![2.0]));
    /// assert_eq!(mu[0], 0.5); // a = 0
    /// assert_abs_diff_eq!(mu[1] + mu[2], 1.0, epsilon = 1e-15); // σ(2) + σ(−2) = 1
    /// ```
    #[must_use]
    pub fn probabilities(&self, w: &DVector<f64>) -> DVector<f64> {
        self.logits(w).map(sigmoid)
    }
}

impl ScalarFn for LogisticRegression {
    fn input_dim(&self) -> usize {
        self.data.ncols()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> D {
        let n = self.data.nrows() as f64;
        let sum = self
            .logits(w)
            .iter()
            .zip(self.labels.iter())
            // softplus(a) − y·a = (1 − y)·softplus(a) + y·softplus(−a): two non-negative
            // terms, so a confident right prediction (a ≫ 0, y = 1) is not computed as
            // (a + tiny) − a, which loses the tiny loss entirely.
            .fold(D::zero(), |acc, (&a, &y)| {
                acc + softplus(a) * (1.0 - y) + softplus(-a) * y
            });
        sum / n
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::LogisticRegression::new({}, nalgebra::DVector::from_vec({}))",
            matrix_literal(&self.data),
            vec_literal(&self.labels)
        ))
    }
}

impl AnalyticGradient for LogisticRegression {
    fn gradient(&self, w: &DVector<f64>) -> DVector<f64> {
        let n = self.data.nrows() as f64;
        // μ − y = (1 − y)σ(a) − yσ(−a): no cancellation when μ ≈ y.
        let residual = self.logits(w).zip_map(&self.labels, |a, y| {
            (1.0 - y) * sigmoid(a) - y * sigmoid(-a)
        });
        self.data.tr_mul(&residual) / n
    }
}

impl AnalyticHessian for LogisticRegression {
    fn hessian(&self, w: &DVector<f64>) -> DMatrix<f64> {
        let n = self.data.nrows() as f64;
        // μ(1 − μ) with 1 − μ = σ(−a): the naive `1.0 − μ` rounds to 0 once a ≳ 37 and
        // leaves the Hessian of a saturated model with no relative precision (errors of
        // ε·‖x_n‖²/N on entries of e^{−a}‖x_n‖²/N).
        let s = self.logits(w).map(|a| sigmoid(a) * sigmoid(-a));
        // XᵀSX: scale the rows of X by s, then one matrix product.
        self.data.tr_mul(&super::scale_rows(&s, self.data.clone())) / n
    }
}

/// Multinomial logistic regression's average negative log-likelihood as a function of the
/// weight matrix `W ∈ ℝ^{C×d}`, flattened column-major (`θ = vec(W)`, `W_{ck} = θ[c + k·C]`),
/// for data `X ∈ ℝ^{N×d}` and one-hot labels `Y ∈ {0, 1}^{N×C}` (PML 1, sec. 10.3.2.2):
///
/// * `NLL(W) = −(1/N) Σ_n log softmax(W x_n)_{y_n}`, with the stable
///   [`log_softmax`](super::log_softmax);
/// * gradient `∇_W NLL = (1/N) (P − Y)ᵀ X` (a `C×d` matrix, flattened the same way), where
///   `P_nc = softmax(W x_n)_c` and `P_ny − 1` is computed as `−Σ_{c≠y} P_nc`.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::MultinomialLogisticRegression;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// let x = DMatrix::from_row_slice(2, 2, &[1.0, -1.0, 0.5, 2.0]);
/// let lr = MultinomialLogisticRegression::new(x, vec![2, 0], 3);
/// let theta = DVector::from_vec(vec![0.1, -0.2, 0.3, 0.0, 0.5, -0.5]);
/// Oracle::default().check_gradient(&lr, &theta).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MultinomialLogisticRegression {
    /// The data, one example per row (`N×d`).
    pub data: DMatrix<f64>,
    /// The class of each example, in `0..classes`.
    pub labels: Vec<usize>,
    /// `C`, the number of classes.
    pub classes: usize,
}

impl MultinomialLogisticRegression {
    /// The model with `classes` classes on `data` (`N×d`) with `labels[n] < classes`.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::catalogue::MultinomialLogisticRegression;
    /// use jacobian_oracle::{AnalyticGradient, ScalarFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let lr = MultinomialLogisticRegression::new(DMatrix::from_row_slice(1, 2, &[1.0, 2.0]), vec![0], 3);
    /// assert_eq!(lr.input_dim(), 6); // vec(W) of a 3×2 W
    /// // W = 0: p = ⅓ for every class, NLL = ln 3, ∇ = (p − y)xᵀ at class + k·C.
    /// let theta = DVector::<f64>::zeros(6);
    /// assert_abs_diff_eq!(lr.eval(&theta), 3.0_f64.ln(), epsilon = 1e-15);
    /// let g = lr.gradient(&theta);
    /// assert_abs_diff_eq!(g[0], -2.0 / 3.0, epsilon = 1e-15); // class 0, feature 0: (⅓ − 1)·1
    /// assert_abs_diff_eq!(g[5], 2.0 / 3.0, epsilon = 1e-15); // class 2, feature 1: ⅓·2
    /// ```
    ///
    /// # Panics
    ///
    /// If `labels` does not have one entry per row of `data`, or a label is not below
    /// `classes`, with a message naming it.
    #[must_use]
    pub fn new(data: DMatrix<f64>, labels: Vec<usize>, classes: usize) -> Self {
        assert_eq!(
            labels.len(),
            data.nrows(),
            "MultinomialLogisticRegression::new: {} labels for {} examples (rows of data)",
            labels.len(),
            data.nrows()
        );
        if let Some((n, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= classes) {
            panic!(
                "MultinomialLogisticRegression::new: label {y} of example {n} is not below {classes} classes"
            );
        }
        MultinomialLogisticRegression {
            data,
            labels,
            classes,
        }
    }

    /// The logits `A = X Wᵀ` (`N×C`) for `θ = vec(W)`.
    fn logits<D: DualNum<Primitive = f64> + Copy>(&self, theta: &DVector<D>) -> DMatrix<D> {
        let (n, d) = self.data.shape();
        let c = self.classes;
        let mut a = DMatrix::from_element(n, c, D::zero());
        for k in 0..d {
            let xk = self.data.column(k);
            for class in 0..c {
                let wck = theta[class + k * c];
                for (ai, &xik) in a.column_mut(class).iter_mut().zip(xk.iter()) {
                    *ai += wck * xik;
                }
            }
        }
        a
    }
}

impl ScalarFn for MultinomialLogisticRegression {
    fn input_dim(&self) -> usize {
        self.classes * self.data.ncols()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, theta: &DVector<D>) -> D {
        let a = self.logits(theta);
        let n = self.data.nrows();
        let mut sum = D::zero();
        // One buffer for every example's logits: `eval` runs once per dual pass and per
        // finite-difference point.
        let mut row = Vec::with_capacity(self.classes);
        for i in 0..n {
            // −log softmax(a_n)_y, stable (the catalogue's log_softmax shifts by the top
            // logit on the dual path; the top class's entry is −log1p(rest), no cancellation).
            row.clear();
            row.extend((0..self.classes).map(|c| a[(i, c)]));
            sum -= super::softmax::log_softmax_entry(&row, self.labels[i]);
        }
        sum / n as f64
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::MultinomialLogisticRegression::new({}, vec!{:?}, {})",
            matrix_literal(&self.data),
            self.labels,
            self.classes
        ))
    }
}

impl AnalyticGradient for MultinomialLogisticRegression {
    fn gradient(&self, theta: &DVector<f64>) -> DVector<f64> {
        let a = self.logits(theta);
        let (n, d) = self.data.shape();
        let c = self.classes;
        // P − Y, row by row of the (small) N×C logits.
        let mut residual = DMatrix::zeros(n, c);
        for i in 0..n {
            let m = (0..c).map(|k| a[(i, k)]).fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = (0..c).map(|k| (a[(i, k)] - m).exp()).sum();
            for k in 0..c {
                residual[(i, k)] = (a[(i, k)] - m).exp() / z;
            }
            // p_y − 1 = −Σ_{c≠y} p_c: a sum of positives, not 1 − 1 when p_y ≈ 1.
            let y = self.labels[i];
            residual[(i, y)] = -(0..c)
                .filter(|&k| k != y)
                .map(|k| residual[(i, k)])
                .sum::<f64>();
        }
        // (P − Y)ᵀ X / N, flattened column-major: entry (class, k) at class + k·C.
        let g = residual.tr_mul(&self.data) / n as f64;
        DVector::from_column_slice(&g.as_slice()[..c * d])
    }
}

/// A smooth activation with hand-written first and second derivatives, for [`NeuronScore`].
///
/// ```
/// use approx::abs_diff_eq;
/// use jacobian_oracle::catalogue::SmoothActivation;
/// use num_dual::second_derivative;
/// // The hand-written φ' and φ'' agree with second-order dual numbers.
/// for act in [SmoothActivation::Sigmoid, SmoothActivation::Softplus, SmoothActivation::Tanh] {
///     let (_, d1, d2) = second_derivative(|a| act.apply(a), 0.75);
///     assert!(abs_diff_eq!(d1, act.derivative(0.75), epsilon = 1e-15), "{}", act.name());
///     assert!(abs_diff_eq!(d2, act.second_derivative(0.75), epsilon = 1e-15), "{}", act.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmoothActivation {
    /// `σ`, with `σ' = σ(1 − σ)` and `σ'' = σ(1 − σ)(1 − 2σ)` (PML 1, eq. 13.73).
    Sigmoid,
    /// `softplus(a) = log(1 + e^a)`, with `softplus' = σ` and `softplus'' = σ(1 − σ)`.
    Softplus,
    /// `tanh`, with `tanh' = 1 − z²` and `tanh'' = −2z(1 − z²)`.
    Tanh,
}

impl SmoothActivation {
    /// `φ(a)` for any scalar (stable forms).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SmoothActivation;
    /// assert_eq!(SmoothActivation::Sigmoid.apply(0.0), 0.5);
    /// assert_eq!(SmoothActivation::Softplus.apply(0.0), std::f64::consts::LN_2);
    /// assert_eq!(SmoothActivation::Tanh.apply(0.0), 0.0);
    /// assert_eq!(SmoothActivation::Softplus.apply(800.0), 800.0); // stable: no overflow
    /// ```
    #[must_use]
    pub fn apply<D: DualNum<Primitive = f64> + Copy>(self, a: D) -> D {
        match self {
            SmoothActivation::Sigmoid => sigmoid(a),
            SmoothActivation::Softplus => softplus(a),
            SmoothActivation::Tanh => super::tanh(a),
        }
    }

    /// `φ'(a)`, hand-written.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SmoothActivation;
    /// assert_eq!(SmoothActivation::Sigmoid.derivative(0.0), 0.25);
    /// assert_eq!(SmoothActivation::Softplus.derivative(0.0), 0.5);
    /// assert_eq!(SmoothActivation::Tanh.derivative(0.0), 1.0);
    /// ```
    #[must_use]
    pub fn derivative(self, a: f64) -> f64 {
        match self {
            SmoothActivation::Sigmoid => super::sigmoid_derivative(a),
            SmoothActivation::Softplus => super::softplus_derivative(a),
            SmoothActivation::Tanh => super::tanh_derivative(a),
        }
    }

    /// `φ''(a)`, hand-written.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SmoothActivation;
    /// // σ and tanh have their inflection point at 0; softplus'' = σ(1 − σ).
    /// assert_eq!(SmoothActivation::Sigmoid.second_derivative(0.0), 0.0);
    /// assert_eq!(SmoothActivation::Tanh.second_derivative(0.0), 0.0);
    /// assert_eq!(SmoothActivation::Softplus.second_derivative(0.0), 0.25);
    /// assert!(SmoothActivation::Tanh.second_derivative(1.0) < 0.0);
    /// ```
    #[must_use]
    pub fn second_derivative(self, a: f64) -> f64 {
        match self {
            SmoothActivation::Sigmoid => super::sigmoid_second_derivative(a),
            SmoothActivation::Softplus => super::softplus_second_derivative(a),
            SmoothActivation::Tanh => super::tanh_second_derivative(a),
        }
    }

    /// Snake-case name.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, SmoothActivation};
    /// assert_eq!(SmoothActivation::Softplus.name(), "softplus");
    /// // The same names as the general activations.
    /// assert_eq!(SmoothActivation::Tanh.name(), Activation::Tanh.name());
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SmoothActivation::Sigmoid => "sigmoid",
            SmoothActivation::Softplus => "softplus",
            SmoothActivation::Tanh => "tanh",
        }
    }
}

/// The score `f(x) = φ(wᵀx)` of one neuron with a smooth activation, as a scalar function of
/// its input: gradient `φ'(a) w` and Hessian `φ''(a) wwᵀ`, `a = wᵀx` — the second
/// derivatives of PML 1, sec. 13.4.3 (`σ'' = σ(1−σ)(1−2σ)`), for sigmoid, softplus and tanh.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::{NeuronScore, SmoothActivation};
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let w = DVector::from_vec(vec![1.5, -0.5]);
/// let x = DVector::from_vec(vec![0.25, 2.0]);
/// for act in [SmoothActivation::Sigmoid, SmoothActivation::Softplus, SmoothActivation::Tanh] {
///     let f = NeuronScore::new(act, w.clone());
///     Oracle::default().check_gradient(&f, &x).unwrap();
///     Oracle::default().check_hessian(&f, &x).unwrap();
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NeuronScore {
    /// The activation `φ`.
    pub activation: SmoothActivation,
    /// The weights `w`.
    pub w: DVector<f64>,
}

impl NeuronScore {
    /// `φ(wᵀx)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{NeuronScore, SmoothActivation};
    /// use jacobian_oracle::{AnalyticGradient, AnalyticHessian, ScalarFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let f = NeuronScore::new(SmoothActivation::Sigmoid, DVector::from_vec(vec![2.0, -1.0]));
    /// let x = DVector::from_vec(vec![1.0, 2.0]); // wᵀx = 0
    /// assert_eq!(f.eval(&x), 0.5);
    /// assert_eq!(f.gradient(&x), DVector::from_vec(vec![0.5, -0.25])); // σ'(0) w
    /// assert_eq!(f.hessian(&x), DMatrix::zeros(2, 2)); // σ''(0) wwᵀ = 0
    /// ```
    #[must_use]
    pub fn new(activation: SmoothActivation, w: DVector<f64>) -> Self {
        NeuronScore { activation, w }
    }
}

impl ScalarFn for NeuronScore {
    fn input_dim(&self) -> usize {
        self.w.len()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        self.activation.apply(super::dot(&self.w, x))
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::NeuronScore::new(jacobian_oracle::catalogue::SmoothActivation::{:?}, nalgebra::DVector::from_vec({}))",
            self.activation,
            vec_literal(&self.w)
        ))
    }
}

impl AnalyticGradient for NeuronScore {
    fn gradient(&self, x: &DVector<f64>) -> DVector<f64> {
        &self.w * self.activation.derivative(super::dot(&self.w, x))
    }
}

impl AnalyticHessian for NeuronScore {
    fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let c = self.activation.second_derivative(super::dot(&self.w, x));
        &self.w * self.w.transpose() * c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "3 labels for 2 examples")]
    fn binary_labels_of_the_wrong_length_are_named() {
        let _ = LogisticRegression::new(DMatrix::zeros(2, 1), DVector::zeros(3));
    }

    #[test]
    #[should_panic(expected = "label 3 of example 1 is not below 3 classes")]
    fn a_label_outside_the_classes_is_named() {
        let _ = MultinomialLogisticRegression::new(DMatrix::zeros(2, 1), vec![0, 3], 3);
    }

    #[test]
    #[should_panic(expected = "1 labels for 2 examples")]
    fn multinomial_labels_of_the_wrong_length_are_named() {
        let _ = MultinomialLogisticRegression::new(DMatrix::zeros(2, 1), vec![0], 3);
    }
}
