//! Gradients computed by [candle](https://docs.rs/candle-core)'s autograd, checked (feature
//! `candle`): `Tensor::backward()` through candle's ops and custom ops, for a closure over one
//! or several `f64` CPU tensors.
//!
//! Candle's ops are not generic over dual numbers, so the reference is finite differences
//! (the black box, [`crate::black_box`]: Richardson with its error estimate, then adaptive
//! Richardson differences). Never only the gradient of a sum: for each of [`COTANGENTS`]
//! signed random cotangents `u` (entries `±(0.5…1.5)`, the shape of the output), candle's
//! gradient of `⟨u, f(x)⟩` with respect to every input is compared with finite differences of
//! `⟨u, f(x)⟩` — a wrong entry `(i, j)` of a Jacobian moves the gradient by `u_i·error`, which
//! no `u_i` of these sizes can hide. A failure names the input, the entry as a tensor index,
//! the input's shape and the cotangent, and prints the inputs as paste-ready tensors.
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use jacobian_oracle::Oracle;
//! use jacobian_oracle::candle::check_gradients;
//!
//! let x = Tensor::new(&[[0.5f64, -1.0], [2.0, 0.25]], &Device::Cpu).unwrap();
//! let w = Tensor::new(&[[1.0f64, 0.5], [-0.5, 2.0]], &Device::Cpu).unwrap();
//! // σ(x W), its gradients from candle's autograd with respect to both inputs.
//! let f = |t: &[Tensor]| candle_core::Tensor::matmul(&t[0], &t[1])?.exp()?.affine(1.0, 1.0)?.recip();
//! let agreements = check_gradients(&Oracle::default(), f, &[x, w]).unwrap();
//! assert_eq!(agreements.len(), 3 * 2); // three cotangents, two inputs
//! ```

use std::cell::RefCell;

use ::candle_core::{DType, Device, Tensor, Var};
use nalgebra::{DMatrix, DVector};

use crate::report::vec_literal;
use crate::{Agreement, CheckError, Oracle};

pub mod shapes;
pub mod sweep;

/// How many signed random cotangents each check uses.
pub const COTANGENTS: usize = 3;

/// Seed of the cotangents ([`crate::modes::direction`]).
const SEED: u64 = 0xCA4D_1E00;

/// A wrong (or unjudgeable) gradient of one input: where, along what, and the reproduction.
#[derive(Debug)]
pub struct CandleFailure {
    /// Which input.
    pub input: usize,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The entry, as a tensor index (`None` where the error names no entry).
    pub index: Option<Vec<usize>>,
    /// The cotangent `u` the gradient was taken along, flattened (row-major).
    pub cotangent: Vec<f64>,
    /// The output's shape (the cotangent's).
    pub output_shape: Vec<usize>,
    /// Candle returned no gradient for this input (it was taken as 0): the output does not
    /// depend on it through any op that records a backward pass — e.g. an op applied with
    /// `apply_op*_no_bwd`, or a `detach()`.
    pub gradient_missing: bool,
    /// Every input, flattened (row-major), with its shape: the reproduction.
    pub inputs: Vec<(Vec<usize>, Vec<f64>)>,
    /// The check's report.
    pub error: CheckError,
}

impl CandleFailure {
    /// What is wrong, where and along what: the input, the entry, the cotangent, and the
    /// check's report (without its own reproduction, which is of the contracted function).
    pub fn report(&self) -> String {
        let mut s = format!(
            "candle's gradient of input {} (shape {:?})",
            self.input, self.shape
        );
        if let Some(index) = &self.index {
            s += &format!(" is wrong at index {index:?}");
        }
        s += &format!(
            ", along the cotangent u = {} (shape {:?}):\n",
            vec_literal(&DVector::from_column_slice(&self.cotangent)),
            self.output_shape
        );
        if self.gradient_missing {
            s += &format!(
                "candle returned no gradient for input {} (taken as 0): no op on its path to the output records a backward pass (an op applied with apply_op*_no_bwd, or a detach())\n",
                self.input
            );
        }
        let error = self.error.to_string();
        // The check's own reproduction block is of the contracted function ⟨u, f⟩ over one
        // input; the candle reproduction replaces it.
        s += error.split("\nreproduce:\n").next().unwrap_or(&error);
        s
    }

    /// A paste-ready test that reproduces this failure: the inputs as `Tensor::from_vec`
    /// lines, `body` as the closure's body (an expression of type `candle_core::Result<Tensor>`
    /// over `t: &[Tensor]`), and the same check (the cotangents are seeded, so it fails the
    /// same way).
    ///
    /// ```
    /// use candle_core::{Device, Tensor};
    /// use jacobian_oracle::Oracle;
    /// use jacobian_oracle::candle::{CandleCheckError, check_gradients};
    ///
    /// let x = Tensor::new(&[0.5f64, -1.5], &Device::Cpu).unwrap();
    /// // A gradient candle cannot see: the exp is detached.
    /// let err = check_gradients(&Oracle::default(), |t: &[Tensor]| t[0].exp()?.detach().sqr(), &[x])
    ///     .unwrap_err();
    /// let CandleCheckError::Check(failure) = err else { panic!() };
    /// assert!(failure.gradient_missing);
    /// let test = failure.reproduction("t[0].exp()?.detach().sqr()");
    /// assert!(test.contains("let x0 = Tensor::from_vec(vec![0.5, -1.5], vec![2], &Device::Cpu)?;"));
    /// assert!(test.contains("check_gradients(&Oracle::default(), f, &[x0])?"));
    /// ```
    pub fn reproduction(&self, body: &str) -> String {
        reproduction(&self.inputs, body)
    }
}

/// A paste-ready test that runs [`check_gradients`] on `inputs` (shape and row-major
/// entries of each) with `body` as the closure's body over `t: &[Tensor]`.
pub fn reproduction(inputs: &[(Vec<usize>, Vec<f64>)], body: &str) -> String {
    let mut s = String::from(
        "#[test]\nfn candle_gradient_reproduction() -> Result<(), Box<dyn std::error::Error>> {\n    use candle_core::{Device, Tensor};\n    use jacobian_oracle::{Oracle, candle::check_gradients};\n",
    );
    let mut names = Vec::new();
    for (k, (shape, data)) in inputs.iter().enumerate() {
        s += &format!(
            "    let x{k} = Tensor::from_vec({}, vec!{shape:?}, &Device::Cpu)?;\n",
            vec_literal(&DVector::from_column_slice(data))
        );
        names.push(format!("x{k}"));
    }
    s += &format!(
        "    let f = |t: &[Tensor]| -> candle_core::Result<Tensor> {{ {body} }};\n    check_gradients(&Oracle::default(), f, &[{}])?;\n    Ok(())\n}}\n",
        names.join(", ")
    );
    s
}

/// Why a check of candle's gradients failed.
#[derive(Debug)]
pub enum CandleCheckError {
    /// Candle's gradient of an input is wrong (or cannot be judged).
    Check(Box<CandleFailure>),
    /// An input is not an `f64` tensor on the CPU.
    NotF64Cpu {
        /// Which input.
        input: usize,
    },
    /// Candle returned an error (the first one): calling the closure, or in `backward()`.
    Candle(::candle_core::Error),
}

impl std::fmt::Display for CandleCheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CandleCheckError::Check(failure) => write!(
                f,
                "{}\nreproduce (a test; replace the closure's body with your function):\n{}",
                failure.report(),
                failure.reproduction("/* your closure's body, over t[0], t[1], … */")
            ),
            CandleCheckError::NotF64Cpu { input } => {
                write!(f, "input {input} is not an f64 tensor on the CPU")
            }
            CandleCheckError::Candle(e) => write!(f, "candle returned an error: {e}"),
        }
    }
}

impl std::error::Error for CandleCheckError {}

impl From<::candle_core::Error> for CandleCheckError {
    fn from(e: ::candle_core::Error) -> Self {
        CandleCheckError::Candle(e)
    }
}

/// A tensor's entries, row-major.
pub(crate) fn flat(t: &Tensor) -> Result<Vec<f64>, ::candle_core::Error> {
    t.flatten_all()?.to_vec1::<f64>()
}

/// The row-major index of flat position `p` in `shape`.
fn unravel(mut p: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (d, &n) in shape.iter().enumerate().rev() {
        if n > 0 {
            index[d] = p % n;
            p /= n;
        }
    }
    index
}

/// Checks the gradients candle's autograd computes for `f` at `inputs` (each an `f64` tensor
/// on the CPU), along [`COTANGENTS`] signed random cotangents: for each cotangent `u` and each
/// input `x_k`, the gradient of `(f(x) * u).sum_all()` from `backward()` against finite
/// differences of the same with respect to `x_k`. Returns one [`Agreement`] per cotangent and
/// input (cotangent-major).
///
/// # Errors
///
/// [`CandleCheckError::Check`] for the first wrong gradient (input, tensor index, shape,
/// cotangent, the check's report), [`CandleCheckError::NotF64Cpu`] for an input of another
/// kind, [`CandleCheckError::Candle`] if `f` or `backward()` fails.
pub fn check_gradients<F>(
    oracle: &Oracle,
    f: F,
    inputs: &[Tensor],
) -> Result<Vec<Agreement>, CandleCheckError>
where
    F: Fn(&[Tensor]) -> Result<Tensor, ::candle_core::Error>,
{
    for (k, t) in inputs.iter().enumerate() {
        if t.dtype() != DType::F64 || !matches!(t.device(), Device::Cpu) {
            return Err(CandleCheckError::NotF64Cpu { input: k });
        }
    }
    let y0 = f(inputs)?;
    let output_shape = y0.shape().clone();
    let m = y0.elem_count();
    let flats: Vec<(Vec<usize>, Vec<f64>)> = inputs
        .iter()
        .map(|t| Ok((t.dims().to_vec(), flat(t)?)))
        .collect::<Result<_, ::candle_core::Error>>()?;
    let mut agreements = Vec::new();
    for c in 0..COTANGENTS {
        let u_values = crate::modes::direction(m, SEED + c as u64, None);
        let u = Tensor::from_slice(u_values.as_slice(), output_shape.clone(), &Device::Cpu)?;
        // candle's gradients of ⟨u, f(x)⟩ with respect to every input.
        let vars: Vec<Var> = inputs
            .iter()
            .map(Var::from_tensor)
            .collect::<Result<_, _>>()?;
        let tracked: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let grads = (f(&tracked)? * &u)?.sum_all()?.backward()?;
        for (k, var) in vars.iter().enumerate() {
            let (shape, x) = &flats[k];
            let recorded = grads.get(var.as_tensor());
            let missing = recorded.is_none();
            let gradient = match recorded {
                Some(g) => flat(g)?,
                // No recorded path from this input to the output: its gradient is 0.
                None => vec![0.0; x.len()],
            };
            // ⟨u, f⟩ as a function of input k alone, the others fixed.
            let first: RefCell<Option<::candle_core::Error>> = RefCell::new(None);
            let contracted = |p: &DVector<f64>| {
                let value = Tensor::from_slice(p.as_slice(), shape.as_slice(), &Device::Cpu)
                    .and_then(|t| {
                        let mut at = inputs.to_vec();
                        at[k] = t;
                        (f(&at)? * &u)?.sum_all()?.to_scalar::<f64>()
                    });
                match value {
                    Ok(v) => DVector::from_element(1, v),
                    Err(e) => {
                        first.borrow_mut().get_or_insert(e);
                        DVector::from_element(1, f64::NAN)
                    }
                }
            };
            let jacobian = DMatrix::from_row_slice(1, gradient.len(), &gradient);
            let result =
                oracle.check_black_box(contracted, &jacobian, &DVector::from_vec(x.clone()));
            if let Some(e) = first.into_inner() {
                return Err(CandleCheckError::Candle(e));
            }
            match result {
                Ok(a) => agreements.push(a),
                Err(error) => {
                    let index = entry_of(&error).map(|j| unravel(j, shape));
                    return Err(CandleCheckError::Check(Box::new(CandleFailure {
                        input: k,
                        shape: shape.clone(),
                        index,
                        cotangent: u_values.as_slice().to_vec(),
                        output_shape: output_shape.dims().to_vec(),
                        gradient_missing: missing,
                        inputs: flats.clone(),
                        error,
                    })));
                }
            }
        }
    }
    Ok(agreements)
}

/// The column a check error names (the flat position in the input), if any.
fn entry_of(error: &CheckError) -> Option<usize> {
    match error {
        CheckError::Mismatch(m) => Some(m.witnesses.col),
        CheckError::CannotJudge(c) => Some(c.witnesses.col),
        _ => None,
    }
}
