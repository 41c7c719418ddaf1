//! Deterministic self-tests of the strategies' shrinking (in the manner of nalgebra's
//! `src/proptest/mod.rs`): drive `simplify`/`complicate` by hand against synthetic failure
//! predicates and assert where shrinking ends and what holds on the way.

use std::collections::BTreeSet;

use jacobian_oracle::strategy::{LayerCase, Regime, layer_case, simple_f64};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// Shrinks `tree` the way proptest's runner does, for a test that fails when `fails` holds
/// (the initial value must fail). Checks `invariant` on every value visited.
fn shrink<T: ValueTree>(
    mut tree: T,
    fails: impl Fn(&T::Value) -> bool,
    invariant: impl Fn(&T::Value),
) -> T::Value {
    assert!(fails(&tree.current()), "the initial value must fail");
    let mut steps = 0;
    if tree.simplify() {
        loop {
            steps += 1;
            assert!(steps < 100_000, "shrinking does not terminate");
            let v = tree.current();
            invariant(&v);
            if fails(&v) {
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    let v = tree.current();
    assert!(fails(&v), "shrinking must end on a failing value");
    v
}

fn well_formed(max: usize) -> impl Fn(&LayerCase) {
    move |c: &LayerCase| {
        let (m, n) = c.shape();
        assert!((1..=max).contains(&m) && (1..=max).contains(&n), "{c:?}");
        assert_eq!(c.x.len(), n, "{c:?}");
        assert!(c.w.iter().chain(c.x.iter()).all(|v| v.is_finite()), "{c:?}");
    }
}

#[test]
fn shape_shrinks_to_the_smallest_that_fails_and_values_to_zero() {
    let mut runner = TestRunner::deterministic();
    let strategy = layer_case();
    let mut done = 0;
    while done < 50 {
        let tree = strategy.new_tree(&mut runner).unwrap();
        if tree.current().shape().0 < 2 {
            continue;
        }
        // Fails whenever W has at least two rows: nothing about values or n matters.
        let minimal = shrink(tree, |c| c.shape().0 >= 2, well_formed(8));
        assert_eq!(minimal.shape(), (2, 1));
        assert_eq!(minimal.regime, Regime::Moderate);
        assert!(
            minimal.w.iter().chain(minimal.x.iter()).all(|&v| v == 0.0),
            "{minimal:?}"
        );
        done += 1;
    }
}

#[test]
fn shrinking_finds_the_smallest_shape_even_when_failing_is_not_monotone() {
    let mut runner = TestRunner::deterministic();
    let mut done = 0;
    while done < 50 {
        let tree = layer_case().new_tree(&mut runner).unwrap();
        let (m0, n0) = tree.current().shape();
        if m0 < 3 || n0 < 2 {
            continue;
        }
        // Fails only for an odd number of rows ≥ 3 and an even number of columns: a binary
        // search on the row count could step over 3.
        let fails = |c: &LayerCase| {
            let (m, n) = c.shape();
            m >= 3 && m % 2 == 1 && n % 2 == 0 || (m, n) == (m0, n0)
        };
        let minimal = shrink(tree, fails, well_formed(8));
        let (m, n) = minimal.shape();
        if m0 % 2 == 1 && n0 % 2 == 0 {
            assert_eq!((m, n), (3, 2), "from {m0}×{n0}");
        } else {
            // Only the original shape or the odd/even family fails: never smaller than 3×2.
            assert!(m >= 3 && n >= 2, "from {m0}×{n0} to {m}×{n}");
        }
        done += 1;
    }
}

#[test]
fn values_shrink_toward_simple_numbers() {
    let mut runner = TestRunner::deterministic();
    let mut done = 0;
    while done < 50 {
        let tree = layer_case()
            .regimes(&[Regime::Moderate])
            .new_tree(&mut runner)
            .unwrap();
        let c = tree.current();
        if c.w[(0, 0)] <= 1.3 {
            continue;
        }
        // Fails while W₀₀ > 1.3: the simplest such value is the integer 2.
        let minimal = shrink(tree, |c| c.w[(0, 0)] > 1.3, well_formed(8));
        assert_eq!(minimal.shape(), (1, 1));
        assert_eq!(minimal.w[(0, 0)], 2.0, "{minimal:?}");
        assert_eq!(minimal.x[0], 0.0);
        done += 1;
    }
}

#[test]
fn scalar_values_shrink_through_integers_halves_and_sixteenths() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..200 {
        let tree = simple_f64(-4.0..=4.0).new_tree(&mut runner).unwrap();
        let v0 = tree.current();
        if v0.abs() <= 2.6 {
            continue;
        }
        // Fails while |v| > 2.6: ends at ±3 (the simplest value beyond 2.6, same sign).
        let minimal = shrink(
            tree,
            |v: &f64| v.abs() > 2.6,
            |v: &f64| assert!(v.is_finite()),
        );
        assert_eq!(minimal, 3.0 * v0.signum(), "from {v0}");
    }
    for _ in 0..200 {
        let tree = simple_f64(-4.0..=4.0).new_tree(&mut runner).unwrap();
        let v0 = tree.current();
        if !(0.3..0.4).contains(&v0.abs()) {
            continue;
        }
        // Fails while 0.3 < |v| < 0.4: 5/16 = 0.3125 is the simplest such sixteenth.
        let minimal = shrink(
            tree,
            |v: &f64| (0.3..0.4).contains(&v.abs()),
            |v: &f64| assert!(v.is_finite()),
        );
        assert_eq!(minimal.abs(), 0.3125, "from {v0}");
    }
}

#[test]
fn square_cases_stay_square_while_shrinking() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..50 {
        let tree = layer_case().square().new_tree(&mut runner).unwrap();
        let c = tree.current();
        assert_eq!(c.w.nrows(), c.w.ncols());
        if c.shape().0 < 2 {
            continue;
        }
        let minimal = shrink(
            tree,
            |c| c.shape().0 >= 2,
            |c: &LayerCase| assert_eq!(c.w.nrows(), c.w.ncols(), "{c:?}"),
        );
        assert_eq!(minimal.shape(), (2, 2));
    }
}

#[test]
fn generation_covers_every_shape_and_regime_and_saturates() {
    let mut runner = TestRunner::deterministic();
    let mut shapes = BTreeSet::new();
    let mut regimes = BTreeSet::new();
    let (mut saturating, mut deep) = (0, 0);
    for _ in 0..4000 {
        let c = layer_case().new_tree(&mut runner).unwrap().current();
        shapes.insert(c.shape());
        regimes.insert(c.regime.name());
        if c.regime == Regime::Saturating {
            saturating += 1;
            if c.preactivation().amax() >= 100.0 {
                deep += 1;
            }
        }
    }
    assert_eq!(shapes.len(), 64, "every shape 1×1 … 8×8");
    assert_eq!(regimes.len(), Regime::ALL.len());
    // Most saturating cases reach |Wx| ≥ 100, where σ' is below 1e-43.
    assert!(deep * 10 >= saturating * 7, "{deep} of {saturating}");
}

#[test]
fn max_dim_bounds_the_shapes() {
    let mut runner = TestRunner::deterministic();
    for _ in 0..500 {
        let c = layer_case()
            .max_dim(3)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        well_formed(3)(&c);
        let c = layer_case()
            .max_rows(1)
            .max_cols(5)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        assert_eq!(c.w.nrows(), 1);
        assert!(c.w.ncols() <= 5);
    }
}
