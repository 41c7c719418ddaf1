//! `jacobian_oracle::candle` (feature `candle`): candle's autograd checked along signed
//! random cotangents.
//!
//! 1. Gradients candle computes through its own ops (matmul with broadcasting bias, exp,
//!    sums over a dimension, squares) pass, for every input.
//! 2. A custom op whose backward pass is wrong in one entry by one part in 10⁶ is caught, and
//!    the failure names the input, the entry as a tensor index and the shape; the same op
//!    with the right backward pass passes.
//! 3. Typed errors: a non-`f64` input, a closure that fails.

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Shape, Tensor};
use jacobian_oracle::candle::{COTANGENTS, CandleCheckError, check_gradients};
use jacobian_oracle::{CheckError, Oracle};

fn cpu() -> Device {
    Device::Cpu
}

#[test]
fn candle_ops_pass_for_every_input() {
    let x = Tensor::new(&[[0.5f64, -1.0, 0.25], [2.0, 0.75, -0.5]], &cpu()).unwrap();
    let w = Tensor::new(&[[1.0f64, 0.5], [-0.5, 2.0], [0.25, -1.5]], &cpu()).unwrap();
    let b = Tensor::new(&[0.1f64, -0.2], &cpu()).unwrap();
    // tanh(xW + b) summed over rows, squared: matmul, broadcasting, a reduction.
    let f = |t: &[Tensor]| {
        let z = t[0].matmul(&t[1])?.broadcast_add(&t[2])?.tanh()?;
        z.sum_keepdim(0)?.sqr()
    };
    let agreements = check_gradients(&Oracle::default(), f, &[x, w, b]).unwrap();
    assert_eq!(agreements.len(), COTANGENTS * 3);
    for a in &agreements {
        assert!(a.worst_analytic.ratio() <= 1.0, "{a}");
    }
}

/// `y = x³` elementwise, with its backward pass `3x²·ḡ`, optionally wrong at one flat
/// position by a relative `slip`.
struct Cube {
    slip: Option<(usize, f64)>,
}

impl CustomOp1 for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F64(data) = storage else {
            candle_core::bail!("cube: f64 only")
        };
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("cube: contiguous only".into()))?;
        let out: Vec<f64> = data[start..end].iter().map(|v| v * v * v).collect();
        Ok((CpuStorage::F64(out), layout.shape().clone()))
    }
    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad_res: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let mut d: Vec<f64> = arg
            .flatten_all()?
            .to_vec1::<f64>()?
            .iter()
            .map(|v| 3.0 * v * v)
            .collect();
        if let Some((p, r)) = self.slip {
            d[p] *= 1.0 + r;
        }
        let d = Tensor::from_vec(d, arg.shape(), arg.device())?;
        Ok(Some(d.mul(grad_res)?))
    }
}

#[test]
fn a_wrong_custom_backward_is_caught_and_named() {
    let x = Tensor::new(&[[0.5f64, -1.25, 0.75], [1.5, -0.5, 2.0]], &cpu()).unwrap();
    let f = |slip| move |t: &[Tensor]| t[0].apply_op1(Cube { slip })?.exp();
    // Right: passes.
    check_gradients(&Oracle::default(), f(None), std::slice::from_ref(&x)).unwrap();
    // Wrong by one part in 10⁶ at flat position 4, i.e. index [1, 1].
    let err = check_gradients(&Oracle::default(), f(Some((4, 1e-6))), &[x]).unwrap_err();
    let CandleCheckError::Check(failure) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (failure.input, failure.shape.as_slice()),
        (0, &[2, 3][..]),
        "{err}"
    );
    assert_eq!(failure.index.as_deref(), Some(&[1, 1][..]), "{err}");
    assert!(matches!(failure.error, CheckError::Mismatch(_)), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("index [1, 1]") && text.contains("Tensor::from_vec"),
        "{text}"
    );
}

#[test]
fn typed_errors() {
    let x32 = Tensor::new(&[1.0f32, 2.0], &cpu()).unwrap();
    let err = check_gradients(&Oracle::default(), |t: &[Tensor]| t[0].exp(), &[x32]).unwrap_err();
    assert!(
        matches!(err, CandleCheckError::NotF64Cpu { input: 0 }),
        "{err}"
    );
    let x = Tensor::new(&[1.0f64, 2.0], &cpu()).unwrap();
    let failing = |t: &[Tensor]| t[0].matmul(&t[0]); // a vector has no matmul
    let err = check_gradients(&Oracle::default(), failing, std::slice::from_ref(&x)).unwrap_err();
    assert!(matches!(err, CandleCheckError::Candle(_)), "{err}");
    // The cast the message suggests works: the same function in f64 passes.
    let y = x.to_dtype(DType::F64).unwrap();
    check_gradients(&Oracle::default(), |t: &[Tensor]| t[0].exp(), &[y]).unwrap();
}
