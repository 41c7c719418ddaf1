//! A single sigmoid neuron `z = σ(wᵀx)` (Murphy, PML 1, sec. 13.4.3, eq. 13.73 and its
//! erratum): the gradient with respect to the input and with respect to the weights.

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use super::{dot, sigmoid, sigmoid_derivative};
use crate::report::vec_literal;
use crate::{AnalyticJacobian, VectorFn};

/// `z = σ(wᵀx)` as a function of the input `x ∈ ℝⁿ`, weights `w` fixed:
/// `∂z/∂x = z(1 − z) w` (a `1×n` Jacobian; PML 1, eq. 13.73).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidNeuron;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::DVector;
///
/// let neuron = SigmoidNeuron::new(DVector::from_vec(vec![2.0, -1.0]));
/// let x = DVector::from_vec(vec![0.0, 0.0]);
/// assert_eq!(neuron.jacobian(&x)[(0, 0)], 0.5); // σ'(0)·w₀ = ¼·2
/// Oracle::default().check(&neuron, &x).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SigmoidNeuron {
    /// The weights `w`.
    pub w: DVector<f64>,
}

impl SigmoidNeuron {
    /// A neuron with weights `w`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidNeuron;
    /// use jacobian_oracle::{AnalyticJacobian, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let neuron = SigmoidNeuron::new(DVector::from_vec(vec![1.0, -1.0]));
    /// let x = DVector::from_vec(vec![2.0, 2.0]); // wᵀx = 0
    /// assert_eq!(neuron.eval(&x)[0], 0.5);
    /// assert_eq!(neuron.jacobian(&x), DMatrix::from_row_slice(1, 2, &[0.25, -0.25])); // w/4
    /// ```
    #[must_use]
    pub fn new(w: DVector<f64>) -> Self {
        SigmoidNeuron { w }
    }
}

impl VectorFn for SigmoidNeuron {
    fn input_dim(&self) -> usize {
        self.w.len()
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_element(1, sigmoid(dot(&self.w, x)))
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::SigmoidNeuron::new(nalgebra::DVector::from_vec({}))",
            vec_literal(&self.w)
        ))
    }
}

impl AnalyticJacobian for SigmoidNeuron {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = sigmoid_derivative(dot(&self.w, x));
        DMatrix::from_fn(1, self.w.len(), |_, j| s * self.w[j])
    }
}

/// `z = σ(wᵀx)` as a function of the weights `w ∈ ℝⁿ`, input `x` fixed:
/// `∂z/∂w = z(1 − z) x` (PML 1, eq. 13.73).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidNeuronWeights;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let neuron = SigmoidNeuronWeights::new(DVector::from_vec(vec![1.0, 3.0]));
/// let w = DVector::from_vec(vec![0.5, -0.25]);
/// Oracle::default().check(&neuron, &w).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SigmoidNeuronWeights {
    /// The fixed input `x`.
    pub x: DVector<f64>,
}

impl SigmoidNeuronWeights {
    /// The neuron seen as a function of its weights, at input `x`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidNeuronWeights;
    /// use jacobian_oracle::{AnalyticJacobian, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let neuron = SigmoidNeuronWeights::new(DVector::from_vec(vec![4.0, -8.0]));
    /// assert_eq!(neuron.input_dim(), 2);
    /// // At w = 0: ∂z/∂w = z(1 − z) x = x/4.
    /// let w = DVector::from_vec(vec![0.0, 0.0]);
    /// assert_eq!(neuron.jacobian(&w), DMatrix::from_row_slice(1, 2, &[1.0, -2.0]));
    /// ```
    #[must_use]
    pub fn new(x: DVector<f64>) -> Self {
        SigmoidNeuronWeights { x }
    }
}

impl VectorFn for SigmoidNeuronWeights {
    fn input_dim(&self) -> usize {
        self.x.len()
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, w: &DVector<D>) -> DVector<D> {
        DVector::from_element(1, sigmoid(dot(&self.x, w)))
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::SigmoidNeuronWeights::new(nalgebra::DVector::from_vec({}))",
            vec_literal(&self.x)
        ))
    }
}

impl AnalyticJacobian for SigmoidNeuronWeights {
    fn jacobian(&self, w: &DVector<f64>) -> DMatrix<f64> {
        let s = sigmoid_derivative(dot(&self.x, w));
        DMatrix::from_fn(1, self.x.len(), |_, k| s * self.x[k])
    }
}
