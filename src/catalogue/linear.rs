//! The linear (fully connected) layer `y = Wx + b`, `W ∈ ℝ^{m×n}`, `b ∈ ℝᵐ` (Murphy, PML 1,
//! sec. 13.3.3): its Jacobians with respect to the input (`W`), to the weights flattened
//! column-major (`xᵀ ⊗ I_m`) and to the bias (`I_m`).

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use super::matvec;
use crate::report::{matrix_literal, vec_literal};
use crate::{AnalyticJacobian, VectorFn};

/// `y = Wx + b` as a function of the input `x ∈ ℝⁿ`, `W ∈ ℝ^{m×n}` and `b ∈ ℝᵐ` fixed:
/// `∂y/∂x = W` (an `m×n` Jacobian, row `i` = `W_{i,:}`; PML 1, sec. 13.3.3).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::LinearLayer;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let w = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]);
/// let layer = LinearLayer::new(w.clone(), DVector::from_vec(vec![1.0, -1.0]));
/// let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
/// assert_eq!(layer.jacobian(&x), w);
/// Oracle::default().check(&layer, &x).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearLayer {
    /// The weights `W` (`m×n`).
    pub w: DMatrix<f64>,
    /// The bias `b` (length `m`).
    pub b: DVector<f64>,
}

impl LinearLayer {
    /// A layer with weights `W` (`m×n`) and bias `b` (length `m`).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LinearLayer;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let w = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    /// let layer = LinearLayer::new(w, DVector::from_vec(vec![10.0, 20.0]));
    /// let x = DVector::from_vec(vec![1.0, -1.0]);
    /// let y: DVector<f64> = layer.eval(&x);
    /// assert_eq!(y, DVector::from_vec(vec![9.0, 19.0])); // (−1, −1) + b
    /// Oracle::default().check(&layer, &x).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If `b` does not have one entry per row of `W`.
    #[must_use]
    pub fn new(w: DMatrix<f64>, b: DVector<f64>) -> Self {
        assert_eq!(b.len(), w.nrows(), "b needs one entry per row of W");
        LinearLayer { w, b }
    }
}

impl VectorFn for LinearLayer {
    fn input_dim(&self) -> usize {
        self.w.ncols()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        matvec(&self.w, x).zip_map(&self.b, |a, b| a + b)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::LinearLayer::new({}, nalgebra::DVector::from_vec({}))",
            matrix_literal(&self.w),
            vec_literal(&self.b)
        ))
    }
}

impl AnalyticJacobian for LinearLayer {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        self.w.clone()
    }
}

/// `y = Wx + b` as a function of the weights, flattened column-major (nalgebra's storage
/// order: `θ = vec(W)`, `W_{jk} = θ[j + k·m]`), input `x ∈ ℝⁿ` and bias `b` fixed.
///
/// `∂y_i/∂W_{jk} = δ_ij x_k`, so the `m × mn` Jacobian is the Kronecker product `xᵀ ⊗ I_m`:
/// column `j + k·m` is `x_k e_j` (PML 1, sec. 13.3.3). With a row-major `vec(W)`
/// (`W_{jk} = θ[j·n + k]`) it would be `I_m ⊗ xᵀ` instead: the order of the flattening is
/// part of the formula.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::LinearLayerWeights;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let map = LinearLayerWeights::new(2, DVector::from_vec(vec![1.0, -2.0]), DVector::zeros(2));
/// let w = DMatrix::from_row_slice(2, 2, &[0.1, 0.2, -0.4, 0.5]);
/// let theta = DVector::from_column_slice(w.as_slice()); // vec(W), column-major
/// let j = map.jacobian(&theta);
/// // xᵀ ⊗ I₂ = [x₀ I₂ | x₁ I₂]
/// assert_eq!(j, DMatrix::from_row_slice(2, 4, &[1.0, 0.0, -2.0, 0.0, 0.0, 1.0, 0.0, -2.0]));
/// Oracle::default().check(&map, &theta).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearLayerWeights {
    /// `m`, the number of outputs (rows of `W`).
    pub rows: usize,
    /// The fixed input `x`.
    pub x: DVector<f64>,
    /// The fixed bias `b` (length `m`).
    pub b: DVector<f64>,
}

impl LinearLayerWeights {
    /// The layer with `rows` outputs at input `x` and bias `b`, seen as a function of
    /// `vec(W)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LinearLayerWeights;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let map = LinearLayerWeights::new(2, DVector::from_vec(vec![1.0, -1.0, 0.5]), DVector::from_vec(vec![1.0, 2.0]));
    /// assert_eq!((map.input_dim(), map.output_dim()), (6, 2)); // vec(W) of a 2×3 W
    /// let theta = DVector::from_vec(vec![0.0; 6]);
    /// let y: DVector<f64> = map.eval(&theta);
    /// assert_eq!(y, DVector::from_vec(vec![1.0, 2.0])); // W = 0: y = b
    /// Oracle::default().check(&map, &theta).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If `b` does not have `rows` entries.
    #[must_use]
    pub fn new(rows: usize, x: DVector<f64>, b: DVector<f64>) -> Self {
        assert_eq!(b.len(), rows, "b needs one entry per row of W");
        LinearLayerWeights { rows, x, b }
    }

    /// `vec(W)` back as the `m×n` matrix `W`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LinearLayerWeights;
    /// use jacobian_oracle::VectorFn;
    /// use nalgebra::DVector;
    /// let x = DVector::from_vec(vec![1.0, 2.0]);
    /// let map = LinearLayerWeights::new(2, x.clone(), DVector::zeros(2));
    /// let theta = DVector::from_vec(vec![1.0, 3.0, 2.0, 4.0]); // vec(W), column-major
    /// let w = map.unflatten(&theta);
    /// assert_eq!((w[(0, 1)], w[(1, 0)]), (2.0, 3.0));
    /// // The map reads θ the same way: y = Wx.
    /// let y: DVector<f64> = map.eval(&theta);
    /// assert_eq!(y, &w * &x);
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
}

impl VectorFn for LinearLayerWeights {
    fn input_dim(&self) -> usize {
        self.rows * self.x.len()
    }
    fn output_dim(&self) -> usize {
        self.rows
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, theta: &DVector<D>) -> DVector<D> {
        let m = self.rows;
        let mut y = self.b.map(D::from);
        if m == 0 {
            return y; // no outputs (chunks of 0 would panic)
        }
        // Column k of W is θ[k·m .. (k+1)·m]: contiguous.
        for (col, &xk) in theta.as_slice().chunks_exact(m).zip(self.x.iter()) {
            for (yi, &wik) in y.iter_mut().zip(col) {
                *yi += wik * xk;
            }
        }
        y
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::LinearLayerWeights::new({}, nalgebra::DVector::from_vec({}), nalgebra::DVector::from_vec({}))",
            self.rows,
            vec_literal(&self.x),
            vec_literal(&self.b)
        ))
    }
}

impl AnalyticJacobian for LinearLayerWeights {
    fn jacobian(&self, _theta: &DVector<f64>) -> DMatrix<f64> {
        let m = self.rows;
        let mut j = DMatrix::zeros(m, m * self.x.len());
        // xᵀ ⊗ I_m: column i + k·m holds x_k in row i.
        for (k, &xk) in self.x.iter().enumerate() {
            for i in 0..m {
                j[(i, i + k * m)] = xk;
            }
        }
        j
    }
}

/// `y = Wx + b` as a function of the bias `b ∈ ℝᵐ`, `W` and `x` fixed: `∂y/∂b = I_m`
/// (PML 1, sec. 13.3.3).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::LinearLayerBias;
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let map = LinearLayerBias::new(
///     DMatrix::from_row_slice(2, 1, &[3.0, -1.0]),
///     DVector::from_vec(vec![2.0]),
/// );
/// let b = DVector::from_vec(vec![0.5, 0.25]);
/// assert_eq!(map.jacobian(&b), DMatrix::identity(2, 2));
/// Oracle::default().check(&map, &b).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearLayerBias {
    /// The fixed weights `W` (`m×n`).
    pub w: DMatrix<f64>,
    /// The fixed input `x` (length `n`).
    pub x: DVector<f64>,
}

impl LinearLayerBias {
    /// The layer with weights `W` at input `x`, seen as a function of `b`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LinearLayerBias;
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let map = LinearLayerBias::new(DMatrix::from_row_slice(2, 1, &[3.0, -1.0]), DVector::from_vec(vec![2.0]));
    /// let b = DVector::from_vec(vec![0.5, 0.5]);
    /// let y: DVector<f64> = map.eval(&b);
    /// assert_eq!(y, DVector::from_vec(vec![6.5, -1.5])); // Wx + b
    /// Oracle::default().check(&map, &b).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If `x` does not have one entry per column of `W`.
    #[must_use]
    pub fn new(w: DMatrix<f64>, x: DVector<f64>) -> Self {
        assert_eq!(x.len(), w.ncols(), "x needs one entry per column of W");
        LinearLayerBias { w, x }
    }
}

impl VectorFn for LinearLayerBias {
    fn input_dim(&self) -> usize {
        self.w.nrows()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, b: &DVector<D>) -> DVector<D> {
        matvec(&self.w, &self.x).zip_map(b, |a, bi| bi + a)
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::LinearLayerBias::new({}, nalgebra::DVector::from_vec({}))",
            matrix_literal(&self.w),
            vec_literal(&self.x)
        ))
    }
}

impl AnalyticJacobian for LinearLayerBias {
    fn jacobian(&self, b: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::identity(b.len(), b.len())
    }
}
