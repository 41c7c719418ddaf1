//! A downstream crate's test file, as it would sit in `tests/`: a hand-written layer checked
//! in its own `proptest!` tests with `oracle.check(&layer, &x)?`.
//!
//! Run its tests with `cargo test --release --example layer_test`.
//!
//! The layer is `z = softplus(Wx + b)`, `softplus(a) = log(1 + eᵃ)`, whose Jacobian is
//! `diag(σ(Wx + b)) W` (softplus' = σ). Both `eval` (generic over the scalar, so the oracle
//! can run it on dual numbers) and the Jacobian are written stably: no overflow for any
//! finite input.

use jacobian_oracle::{AnalyticJacobian, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// `log(1 + eᵃ)` for any scalar, without overflow: `a + log(1 + e^{−a})` for `a > 0`,
/// `log(1 + eᵃ)` otherwise.
///
/// Each branch is differentiated on its own, so both are written out rather than folded into
/// `max(a, 0) + log(1 + e^{−|a|})`: on dual numbers `|a|` at `a = 0` differentiates as
/// `signum(0) = +1`, which the `a ≤ 0` branch contradicts, and the dual derivative at
/// exactly `Wx = 0` comes out as `−σ(0)·W` instead of `σ(0)·W`. The oracle reports such a
/// point as one it cannot judge (the dual value jumps there while finite differences do not).
pub fn softplus<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    if a.re() > 0.0 {
        a + (-a).exp().ln_1p()
    } else {
        a.exp().ln_1p()
    }
}

/// `σ(a)` in `f64`, without overflow.
pub fn sigmoid(a: f64) -> f64 {
    if a >= 0.0 {
        1.0 / (1.0 + (-a).exp())
    } else {
        let e = a.exp();
        e / (1.0 + e)
    }
}

/// `z = softplus(Wx + b)`.
pub struct SoftplusLayer {
    /// Weights, `m×n`.
    pub w: DMatrix<f64>,
    /// Bias, length `m`.
    pub b: DVector<f64>,
}

impl SoftplusLayer {
    fn preactivation<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        // Walk W column by column (nalgebra stores it that way).
        let mut a = self.b.map(D::from);
        for (col, &xk) in self.w.column_iter().zip(x.iter()) {
            for (ai, &wik) in a.iter_mut().zip(col.iter()) {
                *ai += xk * wik;
            }
        }
        a
    }
}

impl VectorFn for SoftplusLayer {
    fn input_dim(&self) -> usize {
        self.w.ncols()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.preactivation(x).map(softplus)
    }
}

impl AnalyticJacobian for SoftplusLayer {
    /// `∂z/∂x = diag(σ(Wx + b)) W`.
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = self.preactivation(x).map(sigmoid);
        DMatrix::from_diagonal(&s) * &self.w
    }
}

fn main() {
    println!("run the tests of this example: cargo test --release --example layer_test");
}

#[cfg(test)]
mod tests {
    use super::*;
    use jacobian_oracle::Oracle;
    use jacobian_oracle::strategy::{Regime, layer_case};
    use proptest::prelude::*;

    proptest! {
        // Failing seeds are kept in a file that is committed and replayed first. (In a
        // crate's `tests/` directory proptest's default writes them beside the test file.)
        #![proptest_config(ProptestConfig {
            failure_persistence: Some(Box::new(
                proptest::test_runner::FileFailurePersistence::Direct(
                    "proptest-regressions/layer_test.txt",
                ),
            )),
            ..ProptestConfig::with_cases(256)
        })]

        /// The Jacobian is right on W and x drawn over every regime the strategy knows
        /// (moderate, saturating, tiny and huge inputs, tiny weights, integers), shapes
        /// 1×1 to 8×8; the bias is drawn too.
        #[test]
        fn softplus_layer_jacobian_is_right(
            case in layer_case(),
            bias in proptest::collection::vec(-3.0..3.0f64, 8),
        ) {
            let layer = SoftplusLayer {
                w: case.w.clone(),
                b: DVector::from_fn(case.w.nrows(), |i, _| bias[i]),
            };
            let agreement = Oracle::default().check(&layer, &case.x)?;
            // What the check measured: the worst entry against its tolerance.
            prop_assert!(agreement.worst_analytic.ratio() <= 1.0);
        }

        /// Saturation only (|Wx| in the hundreds), larger shapes.
        #[test]
        fn softplus_layer_in_saturation(
            case in layer_case().max_dim(16).regimes(&[Regime::Saturating]),
        ) {
            let layer = SoftplusLayer { w: case.w.clone(), b: DVector::zeros(case.w.nrows()) };
            Oracle::default().check(&layer, &case.x)?;
        }
    }

    /// A wrong Jacobian (`W` on the wrong side of the diagonal) is caught, and the
    /// counterexample proptest keeps is small.
    #[test]
    fn the_classic_slip_is_caught() {
        struct Slip(SoftplusLayer);
        impl VectorFn for Slip {
            fn input_dim(&self) -> usize {
                self.0.input_dim()
            }
            fn output_dim(&self) -> usize {
                self.0.output_dim()
            }
            fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
                self.0.eval(x)
            }
        }
        impl AnalyticJacobian for Slip {
            fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
                let s = self.0.preactivation(x).map(sigmoid);
                // W·diag(σ'), for square W: the diagonal on the wrong side.
                &self.0.w * DMatrix::from_diagonal(&s)
            }
        }
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let result = runner.run(&layer_case().square(), |case| {
            let layer = Slip(SoftplusLayer {
                w: case.w.clone(),
                b: DVector::zeros(case.w.nrows()),
            });
            Oracle::default().check(&layer, &case.x)?;
            Ok(())
        });
        let Err(proptest::test_runner::TestError::Fail(reason, minimal)) = result else {
            panic!("the slip was missed")
        };
        assert!(
            reason.message().contains("the analytic Jacobian is wrong"),
            "{reason}"
        );
        assert_eq!(minimal.shape(), (2, 2), "{minimal:?}");
    }
}
