//! Shared test configuration: failures persist to the top-level `proptest-regressions/`
//! (proptest's default would put them beside each test file), and `PROPTEST_CASES` in the
//! environment overrides the per-test case count.
#![allow(dead_code)]

use proptest::test_runner::{Config, FileFailurePersistence};

/// A proptest config with `cases` cases (unless `PROPTEST_CASES` is set) whose failures are
/// saved to `path` (relative to the crate root, where `cargo test` runs integration tests),
/// e.g. `"proptest-regressions/catalogue.txt"`.
pub fn config(path: &'static str, cases: u32) -> Config {
    let default = Config::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        cases
    };
    Config {
        cases,
        // Tests that skip some cases (`prop_assume!`, unjudgeable points) reject a fixed
        // fraction of them: the reject budget grows with the case count, so that a long run
        // (`PROPTEST_CASES=20000`) is not aborted for rejecting what a short one does.
        max_global_rejects: default.max_global_rejects.max(cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(path))),
        ..default
    }
}

use jacobian_oracle::{AnalyticJacobian, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// `map` (its dimensions and `eval`) with `jacobian(&map, x)` as its analytic Jacobian: a right
/// map with a wrong (or differently computed) derivative. It has no `rust_expr`, so a report's
/// snippet carries a placeholder for it.
pub struct WithJacobian<F, J> {
    pub map: F,
    jacobian: J,
}

impl<F, J> WithJacobian<F, J>
where
    F: VectorFn,
    J: Fn(&F, &DVector<f64>) -> DMatrix<f64>,
{
    pub fn new(map: F, jacobian: J) -> Self {
        WithJacobian { map, jacobian }
    }
}

impl<F: VectorFn, J> VectorFn for WithJacobian<F, J> {
    fn input_dim(&self) -> usize {
        self.map.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.map.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.map.eval(x)
    }
}

impl<F, J> AnalyticJacobian for WithJacobian<F, J>
where
    F: VectorFn,
    J: Fn(&F, &DVector<f64>) -> DMatrix<f64>,
{
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        (self.jacobian)(&self.map, x)
    }
}

/// `map` with its own analytic Jacobian, changed in place by `edit` (an entry scaled or
/// replaced, rows permuted).
pub fn edited<F: AnalyticJacobian>(
    map: F,
    edit: impl Fn(&mut DMatrix<f64>),
) -> WithJacobian<F, impl Fn(&F, &DVector<f64>) -> DMatrix<f64>> {
    WithJacobian::new(map, move |f: &F, x: &DVector<f64>| {
        let mut j = f.jacobian(x);
        edit(&mut j);
        j
    })
}

/// The failure the README shows and the snippet test pastes: the `diagonal_on_wrong_side`
/// mutant (`W·diag(σ')` for `diag(σ')·W`) at its 2×2 minimal counterexample.
pub fn readme_failure() -> (jacobian_oracle::mutants::LayerMutant, DVector<f64>) {
    use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
    let f = LayerMutant::new(
        LayerMutantKind::DiagonalOnWrongSide,
        DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.0, 0.0]),
    );
    (f, DVector::from_vec(vec![0.0, -1.0]))
}
