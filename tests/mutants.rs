//! The mutant suite: every known-wrong formula around PML 1, eq. 13.73 is caught, and proptest
//! shrinks the failure to the smallest shape that can show it, with simple numbers.

use jacobian_oracle::Oracle;
use jacobian_oracle::strategy::{LayerCase, Regime};
use jacobian_oracle::suite::{SuiteConfig, catalogue, mutants, run_map, run_mutant};
use nalgebra::{DMatrix, DVector};

/// The leading `m×n` block of a case (same values, smaller shape).
fn block(case: &LayerCase, m: usize, n: usize) -> LayerCase {
    LayerCase {
        w: DMatrix::from_fn(m, n, |i, j| case.w[(i, j)]),
        x: DVector::from_fn(n, |j, _| case.x[j]),
        regime: case.regime,
    }
}

#[test]
fn every_mutant_is_caught_with_a_minimal_counterexample() {
    let oracle = Oracle::default();
    for seed in [1, 2, 3, jacobian_oracle::suite::DEFAULT_SEED] {
        let config = SuiteConfig {
            cases: 256,
            seed,
            max_dim: 8,
        };
        for e in mutants() {
            let r = run_mutant(&e, &config);
            let case = r
                .minimal
                .as_ref()
                .unwrap_or_else(|| panic!("seed {seed}: mutant {} was missed", e.name));
            assert_eq!(r.caught_by, Some("mismatch"), "{}: {:?}", e.name, r.message);
            assert_eq!(
                case.shape(),
                e.minimal_shape.unwrap(),
                "seed {seed}: {} shrank to {case:?}",
                e.name
            );
            // Locally minimal: dropping the last row or the last column makes it pass.
            let (m, n) = case.shape();
            if m > 1 {
                let smaller = block(case, m - 1, if e.square { m - 1 } else { n });
                assert!(
                    e.check(&oracle, &smaller).is_ok(),
                    "{}: {smaller:?} still fails",
                    e.name
                );
            }
            if n > 1 && !e.square {
                let smaller = block(case, m, n - 1);
                assert!(
                    e.check(&oracle, &smaller).is_ok(),
                    "{}: {smaller:?} still fails",
                    e.name
                );
            }
            // Shrunk toward simple values: moderate regime, small multiples of 1/16.
            assert_eq!(case.regime, Regime::Moderate, "{}: {case:?}", e.name);
            for v in case.w.iter().chain(case.x.iter()) {
                assert!(
                    v.abs() <= 4.0 && (v * 16.0).fract() == 0.0,
                    "{}: {v} is not simple in {case:?}",
                    e.name
                );
            }
            // Caught quickly: a wrong formula is wrong almost everywhere.
            assert!(r.cases <= 8, "{}: took {} cases", e.name, r.cases);
        }
    }
}

#[test]
fn the_report_of_a_caught_mutant_names_the_mistake() {
    let e = mutants()
        .into_iter()
        .find(|e| e.name == "diagonal_on_wrong_side")
        .unwrap();
    let r = run_mutant(&e, &SuiteConfig::default());
    let message = r.message.unwrap();
    assert!(
        message.contains("the analytic Jacobian is wrong"),
        "{message}"
    );
    assert!(
        message.contains(
            "LayerMutant::new(jacobian_oracle::mutants::LayerMutantKind::DiagonalOnWrongSide"
        ),
        "{message}"
    );
    assert!(
        message.contains("finite differences agree with the dual reference"),
        "{message}"
    );
}

#[test]
fn every_catalogue_map_passes_the_suite_on_several_seeds() {
    for seed in [7, 8, 9] {
        let config = SuiteConfig {
            cases: 128,
            seed,
            max_dim: 8,
        };
        for e in catalogue() {
            let r = run_map(&e, &config);
            assert!(
                r.passed(),
                "seed {seed}: {} failed: {:?}",
                e.name,
                r.failure
            );
            assert_eq!(r.cases, 128);
            assert_eq!(r.cannot_judge, 0, "{}: sigmoid maps are smooth", e.name);
            // Every regime is visited.
            assert!(
                r.regimes.iter().all(|&k| k > 0),
                "{}: {:?}",
                e.name,
                r.regimes
            );
        }
    }
}
