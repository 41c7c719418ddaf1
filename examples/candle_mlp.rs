//! Checks candle's gradients of a small classifier's loss — a two-layer perceptron with a
//! tanh hidden layer and softmax cross-entropy — with respect to its weights, biases and
//! input, then of a custom op with a hand-written backward pass, and shows what a wrong one
//! looks like.
//!
//!     cargo run --release --features candle --example candle_mlp

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Shape, Tensor};
use jacobian_oracle::Oracle;
use jacobian_oracle::candle::check_gradients;
use jacobian_oracle::candle::shapes::Sign;
use jacobian_oracle::candle::sweep::tensors;

/// Softplus `log(1 + eˣ)` as a custom op, with its backward pass `σ(x)·ḡ` written by hand —
/// or, with `wrong`, the classic slip `σ(x)·(1 − σ(x))·ḡ` (the derivative of σ, not of
/// softplus).
struct Softplus {
    wrong: bool,
}

impl CustomOp1 for Softplus {
    fn name(&self) -> &'static str {
        "softplus"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F64(data) = s else {
            candle_core::bail!("softplus: f64 only")
        };
        let (start, end) = l
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("softplus: contiguous only".into()))?;
        // Stable: max(x, 0) + log1p(e^{−|x|}).
        let out = data[start..end]
            .iter()
            .map(|&x| x.max(0.0) + (-x.abs()).exp().ln_1p())
            .collect();
        Ok((CpuStorage::F64(out), l.shape().clone()))
    }
    fn bwd(
        &self,
        arg: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        let sigma = (arg.neg()?.exp()? + 1.0)?.recip()?;
        let d = if self.wrong {
            (&sigma * (1.0 - &sigma)?)?
        } else {
            sigma
        };
        Ok(Some(d.mul(grad)?))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cpu = Device::Cpu;
    let oracle = Oracle::default();
    // A batch of 4 inputs of 3 features, 5 hidden units, 2 classes; entries `±(0.25…2)`
    // from a seed (candle's CPU random numbers cannot be seeded), weights scaled by 1/2.
    let params = tensors(
        7,
        &[
            (&[4, 3], Sign::Any),
            (&[3, 5], Sign::Any),
            (&[5], Sign::Any),
            (&[5, 2], Sign::Any),
        ],
    )?;
    let (x, w1, b1, w2) = (
        params[0].clone(),
        (&params[1] * 0.5)?,
        (&params[2] * 0.1)?,
        (&params[3] * 0.5)?,
    );
    // One-hot labels: fixed, not differentiated.
    let labels = Tensor::new(&[[1.0f64, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]], &cpu)?;
    let loss = |t: &[Tensor]| {
        let hidden = t[0].matmul(&t[1])?.broadcast_add(&t[2])?.tanh()?;
        let logits = hidden.matmul(&t[3])?;
        let log_p = candle_nn::ops::log_softmax(&logits, 1)?;
        (log_p * &labels)?.sum_all()?.neg()? / 4.0
    };
    let agreements = check_gradients(&oracle, loss, &[x, w1, b1, w2])?;
    println!(
        "MLP loss: candle's gradients with respect to x, W1, b1, W2 agree with finite \
         differences along {} cotangents ({} checks)",
        jacobian_oracle::candle::COTANGENTS,
        agreements.len()
    );

    let z = tensors(8, &[(&[2, 3], Sign::Any)])?.remove(0);
    assert_eq!(z.dtype(), DType::F64);
    let layer = |wrong| move |t: &[Tensor]| t[0].apply_op1(Softplus { wrong })?.sqr();
    check_gradients(&oracle, layer(false), std::slice::from_ref(&z))?;
    println!("softplus custom op: its hand-written backward pass agrees");
    match check_gradients(&oracle, layer(true), &[z]) {
        Err(e) => println!("softplus with σ' for its derivative, caught:\n{e}"),
        Ok(_) => return Err("the wrong backward pass was not caught".into()),
    }
    Ok(())
}
