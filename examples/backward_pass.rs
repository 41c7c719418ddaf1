//! A layer as real code exposes it: not a Jacobian but a backward pass (a vector-Jacobian
//! product, what reverse mode runs) and a forward rule (a Jacobian-vector product). The oracle
//! checks both against dual numbers along signed random directions, and the adjoint identity
//! `⟨Jv, u⟩ = ⟨v, Jᵀu⟩` between them.
//!
//! `cargo run --release --example backward_pass` prints what each check says about a right
//! backward pass and a wrong one (rows permuted: invisible to a checker that only tests the
//! gradient of `Σ f(x)`); `cargo test --release --example backward_pass` runs its proptest
//! tests, where the directions are drawn by proptest and shrink.

use jacobian_oracle::{AnalyticJvp, AnalyticVjp, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// `z = tanh(Wx)` with a hand-written backward pass `Wᵀ(u ∘ (1 − z²))` and forward rule
/// `(1 − z²) ∘ (Wv)`; `permuted` shifts the rows of the Jacobian the backward pass uses (a
/// classic indexing slip).
pub struct TanhLayer {
    /// Weights, `m×n`.
    pub w: DMatrix<f64>,
    /// The slip.
    pub permuted: bool,
}

/// `tanh` for any scalar without overflow (num-dual's own `tanh` of a dual overflows from
/// `|a| ≈ 355`).
fn tanh<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    let e = (-(a.abs() * 2.0)).exp();
    let t = (D::one() - e) / (D::one() + e);
    if a.re() >= 0.0 { t } else { -t }
}

impl TanhLayer {
    /// `1 − tanh²(Wx)`, written as `4e^{−2|a|}/(1 + e^{−2|a|})²`: accurate in saturation too.
    fn slope(&self, x: &DVector<f64>) -> DVector<f64> {
        (&self.w * x).map(|a| {
            let e = (-2.0 * a.abs()).exp();
            4.0 * e / ((1.0 + e) * (1.0 + e))
        })
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
        let mut a = DVector::from_element(self.w.nrows(), D::zero());
        for (col, &xk) in self.w.column_iter().zip(x.iter()) {
            for (ai, &wik) in a.iter_mut().zip(col.iter()) {
                *ai += xk * wik;
            }
        }
        a.map(tanh)
    }
}

impl AnalyticVjp for TanhLayer {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        // The slip: the rows of J shifted by one, (PJ)ᵀu = Jᵀ(Pᵀu) — u read at the wrong
        // index. Every column sum of PJ equals J's, so 1ᵀ(PJ) = 1ᵀJ.
        let u = if self.permuted {
            let m = u.len();
            DVector::from_fn(m, |i, _| u[(i + m - 1) % m])
        } else {
            u.clone()
        };
        self.w.tr_mul(&u.component_mul(&self.slope(x)))
    }
}

impl AnalyticJvp for TanhLayer {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        self.slope(x).component_mul(&(&self.w * v))
    }
}

fn main() {
    let w = DMatrix::from_row_slice(3, 2, &[1.0, -0.5, 0.25, 2.0, -1.5, 0.75]);
    let x = DVector::from_vec(vec![0.4, -0.3]);
    let oracle = Oracle::default();

    let right = TanhLayer {
        w: w.clone(),
        permuted: false,
    };
    println!(
        "right backward pass: {:?}",
        oracle.check_vjp(&right, &x).map(|_| "passes")
    );
    println!(
        "right forward rule:  {:?}",
        oracle.check_jvp(&right, &x).map(|_| "passes")
    );
    println!(
        "adjoint identity:    {:?}",
        oracle.check_adjoint(&right, &x).map(|_| "holds")
    );

    let wrong = TanhLayer { w, permuted: true };
    // Along the all-ones cotangent (the gradient of Σ f) the permutation is invisible:
    let ones = DVector::from_element(3, 1.0);
    let along_ones = oracle.check_vjp_along(&wrong, &x, &ones);
    println!(
        "\npermuted rows, along u = 1: {:?}",
        along_ones.map(|_| "passes (!)")
    );
    // … along signed cotangents it is not:
    match oracle.check_vjp(&wrong, &x) {
        Err(CheckError::Mismatch(m)) => println!("permuted rows, signed cotangents:\n{m}"),
        other => println!("unexpected: {other:?}"),
    }
    match oracle.check_adjoint(&wrong, &x) {
        Err(CheckError::NotAdjoint(a)) => println!("the adjoint identity breaks too:\n{a}"),
        other => println!("unexpected: {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jacobian_oracle::strategy::{direction, layer_case};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// The right rules pass along the oracle's own directions in every regime …
        #[test]
        fn right_rules_pass(case in layer_case()) {
            let f = TanhLayer { w: case.w.clone(), permuted: false };
            let oracle = Oracle::default();
            oracle.check_vjp(&f, &case.x)?;
            oracle.check_jvp(&f, &case.x)?;
            oracle.check_adjoint(&f, &case.x)?;
        }

        /// … and along cotangents proptest draws (and would shrink on failure).
        #[test]
        fn right_backward_pass_along_drawn_cotangents(
            (case, u) in layer_case().prop_flat_map(|c| {
                let m = c.w.nrows();
                (Just(c), direction(m))
            }),
        ) {
            let f = TanhLayer { w: case.w.clone(), permuted: false };
            Oracle::default().check_vjp_along(&f, &case.x, &u)?;
        }
    }

    /// The permuted backward pass passes along all-ones but is caught along signed
    /// cotangents, as a Mismatch of the VJP naming its cotangent.
    #[test]
    fn permuted_rows_are_caught_only_along_signed_cotangents() {
        let w = DMatrix::from_row_slice(3, 2, &[1.0, -0.5, 0.25, 2.0, -1.5, 0.75]);
        let x = DVector::from_vec(vec![0.4, -0.3]);
        let f = TanhLayer { w, permuted: true };
        let oracle = Oracle::default();
        // The gradient of Σ f cannot see it …
        oracle
            .check_vjp_along(&f, &x, &DVector::from_element(3, 1.0))
            .expect("1ᵀ(PJ) = 1ᵀJ");
        // … signed cotangents do, and the report names the cotangent.
        let Err(CheckError::Mismatch(m)) = oracle.check_vjp(&f, &x) else {
            panic!("the permuted backward pass was missed")
        };
        assert_eq!(m.quantity, jacobian_oracle::report::Quantity::Vjp);
        assert!(m.direction.is_some());
        assert!(m.to_string().contains("the analytic VJP is wrong"), "{m}");
    }
}
