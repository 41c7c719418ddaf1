//! How a downstream crate uses the oracle: a hand-written `tanh` layer `z = tanh(Wx + b)`,
//! its Jacobian `diag(1 − z²) W`, and a classic slip (`diag(1 − z) W`), checked on random
//! inputs with proptest's runner. Run with `cargo run --release --example downstream`.
//!
//! In a real crate the check is the body of a `proptest!` test:
//! `oracle.check(&layer, &x)?;` — see the crate docs.

use jacobian_oracle::strategy::layer_case;
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::test_runner::{Config, TestError, TestRunner};

/// `tanh`, written stably for any scalar. num-dual's own `tanh` of a dual number goes through
/// sinh/cosh and overflows (NaN derivative) from |a| ≈ 355: never use it in `eval`.
fn tanh<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    // tanh(a) = sign(a)·(1 − e^{−2|a|}) / (1 + e^{−2|a|}); e^{−2|a|} never overflows.
    let e = (-(a.abs() * 2.0)).exp();
    let t = (D::one() - e) / (D::one() + e);
    if a.re() >= 0.0 { t } else { -t }
}

/// `z = tanh(Wx + b)`.
struct TanhLayer {
    w: DMatrix<f64>,
    b: DVector<f64>,
    /// A deliberate mistake: `1 − z` instead of `1 − z²`.
    slip: bool,
}

impl TanhLayer {
    fn preactivation<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let mut a = self.b.map(D::from);
        for (col, &xk) in self.w.column_iter().zip(x.iter()) {
            for (ai, &wik) in a.iter_mut().zip(col.iter()) {
                *ai += xk * wik;
            }
        }
        a
    }
}

impl VectorFn for TanhLayer {
    fn input_dim(&self) -> usize {
        self.w.ncols()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.preactivation(x).map(tanh)
    }
}

impl AnalyticJacobian for TanhLayer {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let z = self.preactivation(x).map(tanh);
        let s = z.map(|zi| if self.slip { 1.0 - zi } else { 1.0 - zi * zi });
        DMatrix::from_diagonal(&s) * &self.w
    }
}

fn run(slip: bool) -> Result<(), TestError<jacobian_oracle::strategy::LayerCase>> {
    let oracle = Oracle::default();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&layer_case(), |case| {
        let b = DVector::from_fn(case.w.nrows(), |i, _| 0.1 * i as f64);
        let layer = TanhLayer {
            w: case.w.clone(),
            b,
            slip,
        };
        oracle.check(&layer, &case.x)?;
        Ok(())
    })
}

fn main() {
    match run(false) {
        Ok(()) => println!(
            "diag(1 − z²) W: 256 random cases agree with dual numbers and finite differences"
        ),
        Err(e) => println!("unexpected failure: {e}"),
    }
    match run(true) {
        Ok(()) => println!("the slip was not caught"),
        Err(TestError::Fail(reason, case)) => {
            println!("diag(1 − z) W is wrong; the minimal counterexample is {case:?}\n{reason}");
        }
        Err(e) => println!("{e}"),
    }
    // The same check outside proptest returns a typed error to inspect.
    let layer = TanhLayer {
        w: DMatrix::from_row_slice(1, 1, &[1.0]),
        b: DVector::from_element(1, 0.0),
        slip: true,
    };
    if let Err(CheckError::Mismatch(m)) =
        Oracle::default().check(&layer, &DVector::from_element(1, 1.0))
    {
        println!(
            "at x = 1: analytic {:.6}, dual {:.6}, relative error {:.2e}",
            m.witnesses.analytic, m.witnesses.dual, m.rel_error
        );
    }
}
