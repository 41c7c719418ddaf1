//! A sigmoid layer `z = σ(Wx)`, `W ∈ ℝ^{m×n}` (Murphy, PML 1, sec. 13.4.3, eq. 13.73 and its
//! erratum): the Jacobian with respect to the input (`diag(z∘(1−z)) W`) and with respect to
//! the weights (the outer-product / Kronecker form).

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use super::{matvec, scale_rows, sigmoid, sigmoid_derivative};
use crate::report::{matrix_literal, vec_literal};
use crate::{AnalyticJacobian, AnalyticJacobianF32, AnalyticJvp, AnalyticVjp, VectorFn};

/// `z = σ(Wx)` as a function of the input `x ∈ ℝⁿ`, `W ∈ ℝ^{m×n}` fixed:
/// `∂z/∂x = diag(z∘(1 − z)) W` (an `m×n` Jacobian, row `i` = `z_i(1 − z_i) W_{i,:}`; PML 1,
/// eq. 13.73 and its erratum: a diagonal matrix times `W`, not an outer product and not
/// `Wᵀ`).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
/// assert_eq!(layer.jacobian(&x).shape(), (2, 3));
/// Oracle::default().check(&layer, &x).unwrap();
///
/// // Deep saturation: z rounds to 1, z(1 − z) to 0; accepted, with a precision-loss note.
/// let saturated = SigmoidLayer::new(DMatrix::from_row_slice(1, 1, &[50.0]));
/// let agreement = Oracle::default().check(&saturated, &DVector::from_vec(vec![8.0])).unwrap();
/// assert_eq!(agreement.precision_loss_entries(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SigmoidLayer {
    /// The weights `W` (`m×n`).
    pub w: DMatrix<f64>,
}

impl SigmoidLayer {
    /// A layer with weights `W`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[4.0, -2.0]));
    /// let x = DVector::from_vec(vec![0.0, 0.0]);
    /// assert_eq!(layer.eval(&x)[0], 0.5); // σ(0)
    /// assert_eq!(layer.jacobian(&x), DMatrix::from_row_slice(1, 2, &[1.0, -0.5])); // σ'(0) W = W/4
    /// Oracle::default().check(&layer, &x).unwrap();
    /// ```
    #[must_use]
    pub fn new(w: DMatrix<f64>) -> Self {
        SigmoidLayer { w }
    }
}

impl VectorFn for SigmoidLayer {
    fn input_dim(&self) -> usize {
        self.w.ncols()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        matvec(&self.w, x).map(sigmoid)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::SigmoidLayer::new({})",
            matrix_literal(&self.w)
        ))
    }
}

impl AnalyticJacobian for SigmoidLayer {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = matvec(&self.w, x).map(sigmoid_derivative);
        scale_rows(&s, self.w.clone())
    }
}

/// The backward pass of PML 1, sec. 13.3.3: `uᵀJ = Wᵀ(u ∘ z ∘ (1 − z))`, an `n`-vector, without
/// forming `J` (one walk over `W`'s columns).
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::{AnalyticJacobian, AnalyticVjp, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// let (x, u) = (DVector::from_vec(vec![0.3, -1.2, 0.7]), DVector::from_vec(vec![1.0, -2.0]));
/// assert!((layer.vjp(&x, &u) - layer.jacobian(&x).tr_mul(&u)).amax() < 1e-15);
/// Oracle::default().check_vjp(&layer, &x).unwrap();
/// ```
impl AnalyticVjp for SigmoidLayer {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        let delta = matvec(&self.w, x).map(sigmoid_derivative).component_mul(u);
        // (Wᵀδ)_k = W_{:,k} · δ: one contiguous dot product per column.
        DVector::from_iterator(
            self.w.ncols(),
            self.w.column_iter().map(|col| col.dot(&delta)),
        )
    }
}

/// The forward rule: `Jv = z ∘ (1 − z) ∘ (Wv)`, an `m`-vector, without forming `J`.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::{AnalyticJacobian, AnalyticJvp, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// let (x, v) = (DVector::from_vec(vec![0.3, -1.2, 0.7]), DVector::from_vec(vec![1.0, 0.5, -2.0]));
/// assert!((layer.jvp(&x, &v) - layer.jacobian(&x) * &v).amax() < 1e-15);
/// Oracle::default().check_jvp(&layer, &x).unwrap();
/// Oracle::default().check_adjoint(&layer, &x).unwrap();
/// ```
impl AnalyticJvp for SigmoidLayer {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        matvec(&self.w, x)
            .map(sigmoid_derivative)
            .component_mul(&matvec(&self.w, v))
    }
}

/// The Jacobian computed in `f32` throughout (`W` rounded to `f32`, the stable two-branch `σ`
/// in `f32`, `diag(z∘(1 − z)) W`): what a layer running in single precision would compute.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// Oracle::default().check_f32(&layer, &DVector::from_vec(vec![0.3, -1.2, 0.7])).unwrap();
/// ```
impl AnalyticJacobianF32 for SigmoidLayer {
    fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
        let w: DMatrix<f32> = self.w.map(|e| e as f32);
        let mut a = DVector::<f32>::zeros(w.nrows());
        for (col, &xk) in w.column_iter().zip(x.iter()) {
            a.axpy(xk, &col, 1.0);
        }
        let s = a.map(|ai| {
            let z = if ai >= 0.0 {
                1.0 / (1.0 + (-ai).exp())
            } else {
                let e = ai.exp();
                e / (1.0 + e)
            };
            z * (1.0 - z)
        });
        scale_rows(&s, w)
    }
}

/// `z = σ(Wx)` as a function of the weights, flattened column-major (nalgebra's storage order:
/// `θ = vec(W)`, `W_{jk} = θ[j + k·m]`), input `x ∈ ℝⁿ` fixed.
///
/// `∂z_i/∂W_{jk} = δ_ij z_i(1 − z_i) x_k`, i.e. the `m × mn` Jacobian is the Kronecker product
/// `xᵀ ⊗ diag(z∘(1 − z))`; for a loss `L` with upstream `δ = ∂L/∂z` this is the outer
/// product `∂L/∂W = (δ∘z∘(1 − z)) xᵀ` (PML 1, sec. 13.4.3 and its erratum).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayerWeights;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let map = SigmoidLayerWeights::new(2, DVector::from_vec(vec![1.0, -2.0, 0.5]));
/// let w = DMatrix::from_row_slice(2, 3, &[0.1, 0.2, 0.3, -0.4, 0.5, -0.6]);
/// let theta = DVector::from_column_slice(w.as_slice()); // vec(W), column-major
/// assert_eq!(map.jacobian(&theta).shape(), (2, 6));
/// Oracle::default().check(&map, &theta).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SigmoidLayerWeights {
    /// `m`, the number of outputs (rows of `W`).
    pub rows: usize,
    /// The fixed input `x`.
    pub x: DVector<f64>,
}

impl SigmoidLayerWeights {
    /// The layer with `rows` outputs seen as a function of `vec(W)`, at input `x`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayerWeights;
    /// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let map = SigmoidLayerWeights::new(2, DVector::from_vec(vec![1.0, -1.0, 2.0]));
    /// assert_eq!((map.input_dim(), map.output_dim()), (6, 2)); // vec(W) of a 2×3 W
    /// let theta = DVector::from_vec(vec![0.0; 6]);
    /// // At W = 0, z(1 − z) = ¼ and ∂z_i/∂W_ik = x_k/4, at column i + k·m.
    /// assert_eq!(map.jacobian(&theta)[(1, 1 + 2 * 2)], 0.5);
    /// Oracle::default().check(&map, &theta).unwrap();
    /// ```
    #[must_use]
    pub fn new(rows: usize, x: DVector<f64>) -> Self {
        SigmoidLayerWeights { rows, x }
    }

    /// `vec(W)` back as the `m×n` matrix `W`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayerWeights;
    /// use nalgebra::{DMatrix, DVector};
    /// let map = SigmoidLayerWeights::new(2, DVector::from_vec(vec![1.0, 1.0, 1.0]));
    /// let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// let theta = DVector::from_column_slice(w.as_slice()); // 1, 4, 2, 5, 3, 6
    /// assert_eq!(theta[1], 4.0);
    /// assert_eq!(map.unflatten(&theta), w);
    /// ```
    ///
    /// # Panics
    ///
    /// If `theta` does not have `m·n` entries (the oracle checks the input's length before it
    /// calls `eval`, so a check never gets here with a wrong one).
    #[must_use]
    pub fn unflatten<D: nalgebra::Scalar>(&self, theta: &DVector<D>) -> DMatrix<D> {
        DMatrix::from_column_slice(self.rows, self.x.len(), theta.as_slice())
    }

    fn preactivation<D: DualNum<Primitive = f64> + Copy>(&self, theta: &DVector<D>) -> DVector<D> {
        let m = self.rows;
        let mut a = DVector::from_element(m, D::zero());
        for (k, &xk) in self.x.iter().enumerate() {
            for i in 0..m {
                a[i] += theta[i + k * m] * xk;
            }
        }
        a
    }
}

impl VectorFn for SigmoidLayerWeights {
    fn input_dim(&self) -> usize {
        self.rows * self.x.len()
    }
    fn output_dim(&self) -> usize {
        self.rows
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, theta: &DVector<D>) -> DVector<D> {
        self.preactivation(theta).map(sigmoid)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::SigmoidLayerWeights::new({}, nalgebra::DVector::from_vec({}))",
            self.rows,
            vec_literal(&self.x)
        ))
    }
}

impl AnalyticJacobian for SigmoidLayerWeights {
    fn jacobian(&self, theta: &DVector<f64>) -> DMatrix<f64> {
        let m = self.rows;
        let s = self.preactivation(theta).map(sigmoid_derivative);
        let mut j = DMatrix::zeros(m, m * self.x.len());
        for (k, &xk) in self.x.iter().enumerate() {
            for i in 0..m {
                j[(i, i + k * m)] = s[i] * xk;
            }
        }
        j
    }
}
