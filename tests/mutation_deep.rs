//! The second stage of mutation testing (`.ci/mutants`; see the README's "Mutation
//! testing"): the mutants the fast gate (`tests/mutation_gate.rs`) lets through are judged
//! again by this target, which compiles the suite's behavioural test files into one binary —
//! the black box, the directional and projection modes, the sensitivity and rounding
//! models, the error paths, the second-order checks, analytic noise and the soak — so a
//! surviving mutant meets every test that could catch it without rebuilding a dozen test
//! targets. The few slowest tests are skipped there by name (`.ci/mutants`): each has a
//! faster sibling here that checks the same property.
//!
//! Each file is also its own test target; this one adds no test of its own.

// Each included file brings its own `mod common;` (tests/common/mod.rs): one copy per file,
// as in their own targets.
#![allow(clippy::duplicate_mod)]

#[path = "activations.rs"]
mod activations;
#[path = "analytic_noise.rs"]
mod analytic_noise;
#[path = "catalogue.rs"]
mod catalogue;
#[path = "directions.rs"]
mod directions;
#[path = "errors.rs"]
mod errors;
// The corpus's `Info` keeps fields only its own target reads.
#[allow(dead_code)]
#[path = "foreign.rs"]
mod foreign;
#[path = "garbage.rs"]
mod garbage;
#[path = "layers.rs"]
mod layers;
#[path = "modes.rs"]
mod modes;
#[path = "reliability.rs"]
mod reliability;
#[path = "second_order.rs"]
mod second_order;
#[path = "sensitivity.rs"]
mod sensitivity;
#[path = "witnesses.rs"]
mod witnesses;
