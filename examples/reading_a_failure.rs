//! A failure, and how to read it: the classic slip `W·diag(σ')` for the sigmoid layer
//! `z = σ(Wx)` (the right Jacobian is `diag(σ')·W`, PML 1 eq. 13.73), found by proptest,
//! shrunk to a 2×2 counterexample, and taken apart field by field.
//!
//! `cargo run --release --example reading_a_failure`

use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
use jacobian_oracle::strategy::layer_case;
use jacobian_oracle::{CheckError, Oracle};
use proptest::test_runner::{Config, TestError, TestRunner};

fn main() {
    // 1. What a failing proptest test prints: the oracle's message for the minimal input.
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&layer_case(), |case| {
        let f = LayerMutant::new(LayerMutantKind::DiagonalOnWrongSide, case.w.clone());
        Oracle::default().check(&f, &case.x)?;
        Ok(())
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        println!("not caught: {result:?}");
        return;
    };
    println!("proptest's minimal failing input: {minimal:?}\n");

    // 2. The same check at that input, as a value to inspect.
    let f = LayerMutant::new(LayerMutantKind::DiagonalOnWrongSide, minimal.w.clone());
    let Err(err) = Oracle::default().check(&f, &minimal.x) else {
        println!("passes at the minimal input?");
        return;
    };
    println!("{err}");
    let CheckError::Mismatch(m) = err else {
        println!("not a Mismatch: the verdict says which witness disagreed");
        return;
    };
    let w = &m.witnesses;
    println!("reading it:");
    println!(
        "- the worst entry is ({}, {}) = ∂f_{}/∂x_{} (row = output, column = input); {} of {} \
         entries are wrong",
        w.row,
        w.col,
        w.row,
        w.col,
        m.wrong_entries,
        m.shape.0 * m.shape.1
    );
    println!(
        "- the hand-written value {:.6} against the dual-number derivative {:.6} (exact to \
         rounding)",
        w.analytic, w.dual
    );
    if let Some(fd) = w.finite_difference {
        println!(
            "- finite differences say {:.6} ± {:.1e}: they vouch for the dual value, so the \
             analytic side is what is wrong",
            fd.value, fd.error_estimate
        );
    }
    println!(
        "- the error {:.3e} is {:.1e} times its tolerance {:.3e} (a few ulps, plus what the \
         rounding of f explains)",
        m.abs_error,
        m.abs_error / m.tolerance.total,
        m.tolerance.total
    );
    println!(
        "- `reproduce:` above is a test body to paste: the map as a Rust expression, x \
         printed so that it parses back bit for bit"
    );
}
