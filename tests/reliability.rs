//! Reliability: persisted failures are replayed first, a panicking user function is reported
//! with its shrunk input, the oracle is usable from many threads at once, and the soak run
//! counts false alarms and panics (and finds them when there are some).

mod common;

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
#[cfg(feature = "cli")]
use std::sync::atomic::{AtomicUsize, Ordering};

use jacobian_oracle::catalogue::SigmoidLayer;
use jacobian_oracle::strategy::{LayerCase, layer_case};
#[cfg(feature = "cli")]
use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
#[cfg(feature = "cli")]
use jacobian_oracle::suite::{Entry, catalogue, mutants};
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

fn runner_with(config: Config, seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

// ---------------------------------------------------------------------------------------------
// Regression files.
// ---------------------------------------------------------------------------------------------

/// A failure found once is saved by `common::config` (the configuration every property test
/// of this crate uses) and replayed first on the next run, before any new random case — even
/// with a different random stream.
#[test]
fn a_persisted_failure_is_replayed_first() {
    let dir = std::env::temp_dir().join(format!("jacobian-oracle-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("replay.txt");
    let _ = std::fs::remove_file(&file);
    let path: &'static str = Box::leak(file.to_string_lossy().into_owned().into_boxed_str());

    // Run 1: a property that fails on the first case whose W has an entry above 0.5: the
    // failure is saved.
    let fails = |case: &LayerCase| case.w.iter().any(|&e| e > 0.5);
    let first_failing: RefCell<Option<LayerCase>> = RefCell::new(None);
    let result = runner_with(common::config(path, 256), 1).run(&layer_case(), |case| {
        if fails(&case) {
            first_failing
                .borrow_mut()
                .get_or_insert_with(|| case.clone());
            return Err(TestCaseError::fail("W has an entry above 0.5"));
        }
        Ok(())
    });
    assert!(matches!(result, Err(TestError::Fail(..))), "{result:?}");
    let saved = std::fs::read_to_string(&file).expect("the failure was saved");
    assert!(
        saved.lines().any(|l| l.starts_with("cc ")),
        "a `cc <seed>` line:\n{saved}"
    );
    let first_failing = first_failing.into_inner().expect("a case failed");

    // Run 2: another random stream; the first case tried is the saved one.
    let seen: RefCell<Vec<LayerCase>> = RefCell::new(Vec::new());
    let _ = runner_with(common::config(path, 256), 2).run(&layer_case(), |case| {
        seen.borrow_mut().push(case.clone());
        if fails(&case) {
            return Err(TestCaseError::fail("W has an entry above 0.5"));
        }
        Ok(())
    });
    assert_eq!(
        seen.borrow().first(),
        Some(&first_failing),
        "replayed first"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The crate's own property tests persist to the committed top-level directory.
#[test]
fn committed_regression_files_are_where_the_tests_write() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("proptest-regressions");
    let files: Vec<_> = std::fs::read_dir(&root)
        .expect("proptest-regressions/ exists")
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
                .all(|l| l.starts_with("cc ")),
            "{}: only comments and `cc` seed lines",
            f.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Panics in user code.
// ---------------------------------------------------------------------------------------------

/// σ(Wx), except that `eval` panics when `x₀ > 1` (a user's bug: an index out of range, an
/// `unwrap` on a bad value).
struct PanickyLayer(SigmoidLayer);

impl VectorFn for PanickyLayer {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.0.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        assert!(
            x[0].re() <= 1.0,
            "user eval: x₀ = {} out of range",
            x[0].re()
        );
        self.0.eval(x)
    }
}

impl AnalyticJacobian for PanickyLayer {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        self.0.jacobian(x)
    }
}

/// `Oracle::check` does not catch a panic of the user's code: it propagates unchanged (the
/// oracle holds no state a panic could leave broken, so the same oracle keeps working).
#[test]
fn check_propagates_a_panic_of_the_users_eval_unchanged() {
    let oracle = Oracle::default();
    let f = PanickyLayer(SigmoidLayer::new(DMatrix::from_element(1, 1, 1.0)));
    let payload = catch_unwind(AssertUnwindSafe(|| {
        oracle.check(&f, &DVector::from_element(1, 3.0))
    }))
    .expect_err("the panic propagates");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("user eval: x₀ = 3 out of range"),
        "{message}"
    );
    // The oracle is still usable.
    oracle.check(&f, &DVector::from_element(1, 0.5)).unwrap();
}

/// Inside a proptest test, proptest catches the panic as a failure and shrinks it: the report
/// names the panic and the smallest input that panics.
#[test]
fn a_panic_inside_a_proptest_test_is_reported_with_its_shrunk_input() {
    let config = Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    };
    let result = runner_with(config, 7).run(&layer_case(), |case| {
        let f = PanickyLayer(SigmoidLayer::new(case.w.clone()));
        Oracle::default().check(&f, &case.x)?;
        Ok(())
    });
    let Err(TestError::Fail(reason, minimal)) = result else {
        panic!("expected a failure, got {result:?}")
    };
    assert!(reason.message().contains("out of range"), "{reason}");
    // Shrunk: one row and one column, W = 0, and x₀ a small integer at or above 1 (the
    // oracle evaluates x ± h, so x₀ = 1 panics too).
    assert_eq!(minimal.shape(), (1, 1), "{minimal:?}");
    assert_eq!(minimal.w[(0, 0)], 0.0, "{minimal:?}");
    assert!(
        (1.0..=4.0).contains(&minimal.x[0]) && minimal.x[0].fract() == 0.0,
        "{minimal:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Threads.
// ---------------------------------------------------------------------------------------------

#[test]
fn oracle_and_its_results_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Oracle>();
    send_sync::<CheckError>();
    send_sync::<jacobian_oracle::Agreement>();
    #[cfg(feature = "cli")]
    send_sync::<Entry>();
}

/// One oracle shared by several threads gives each the verdict it gives alone (on the
/// suite's catalogue entries: feature `cli`).
#[cfg(feature = "cli")]
#[test]
fn one_oracle_checks_from_many_threads() {
    let oracle = Oracle::default();
    let entries = catalogue();
    let cases: Vec<LayerCase> = {
        let mut runner = runner_with(Config::default(), 3);
        (0..8)
            .map(|_| layer_case().new_tree(&mut runner).unwrap().current())
            .collect()
    };
    let alone: Vec<String> = entries
        .iter()
        .flat_map(|e| cases.iter().map(move |c| (e, c)))
        .map(|(e, c)| format!("{:?}", e.check(&oracle, c)))
        .collect();
    let next = AtomicUsize::new(0);
    let together: Vec<(usize, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        if k >= alone.len() {
                            break out;
                        }
                        let (e, c) = (&entries[k / cases.len()], &cases[k % cases.len()]);
                        out.push((k, format!("{:?}", e.check(&oracle, c))));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(together.len(), alone.len());
    for (k, verdict) in together {
        assert_eq!(verdict, alone[k], "entry {k}");
    }
}

// ---------------------------------------------------------------------------------------------
// The soak run (the suite's: feature `cli`).
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "cli")]
fn soak_config(cases: u64, threads: usize) -> SoakConfig {
    SoakConfig {
        cases,
        threads,
        ..SoakConfig::default()
    }
}

#[cfg(feature = "cli")]
#[test]
fn soak_of_the_catalogue_is_clean_and_deterministic() {
    let entries = catalogue();
    let one = soak_entries(&soak_config(4000, 1), &entries, |_| {});
    let two = soak_entries(&soak_config(4000, 2), &entries, |_| {});
    assert_eq!(one.cases, 4000);
    assert!(
        one.clean(),
        "{:?}",
        one.maps.iter().find(|m| m.first_incident.is_some())
    );
    assert!(one.cases_per_second() > 0.0);
    // The same counts whatever the threads.
    assert_eq!(one.maps, two.maps);
}

/// A wrong formula soaked as if it were a catalogue map: its false alarms are counted and
/// the first is shrunk to a minimal case.
#[cfg(feature = "cli")]
#[test]
fn soak_counts_and_shrinks_a_wrong_map() {
    let wrong: Vec<Entry> = mutants()
        .into_iter()
        .filter(|e| e.name == "sign_error")
        .collect();
    let report = soak_entries(&soak_config(300, 1), &wrong, |_| {});
    assert!(!report.clean());
    assert!(report.false_alarms() >= 200, "{}", report.false_alarms());
    assert_eq!(report.panics(), 0);
    let incident = report.maps[0].first_incident.as_ref().expect("an incident");
    assert_eq!(incident.kind, "mismatch");
    assert_eq!(incident.case.shape(), (1, 1), "{incident:?}");
    assert!(
        incident.message.contains("analytic"),
        "{}",
        incident.message
    );
}

/// A map whose check panics: counted as panics (not false alarms), shrunk, the run goes on.
#[cfg(feature = "cli")]
#[test]
fn soak_counts_and_shrinks_panics() {
    let panicky = Entry::new("panicky_layer", "diag(σ')W", |oracle, case| {
        oracle.check(&PanickyLayer(SigmoidLayer::new(case.w.clone())), &case.x)
    });
    let report = soak_entries(&soak_config(300, 2), &[panicky], |_| {});
    assert_eq!(report.cases, 300);
    assert!(report.panics() >= 10, "{}", report.panics());
    assert_eq!(report.false_alarms(), 0);
    let incident = report.maps[0].first_incident.as_ref().expect("an incident");
    assert_eq!(incident.kind, "panic");
    assert!(
        incident.message.contains("out of range"),
        "{}",
        incident.message
    );
    assert_eq!(incident.case.shape(), (1, 1), "{incident:?}");
    assert!(
        (1.0..=4.0).contains(&incident.case.x[0]) && incident.case.x[0].fract() == 0.0,
        "{incident:?}"
    );
}
