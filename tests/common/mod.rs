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
