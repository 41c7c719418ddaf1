//! The dual reference allocates nothing per seeded pass beyond what `eval` itself allocates:
//! its own allocations (the input of duals, the output matrix) do not grow with the number of
//! passes. Counted by a global allocator, per thread (the tests of this file may run in
//! parallel).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use jacobian_oracle::VectorFn;
use jacobian_oracle::catalogue::SigmoidLayer;
use jacobian_oracle::dual::{LANES, directional_derivatives, dual_jacobian};
use nalgebra::{DMatrix, DVector};
use num_dual::{DualSVec64, DualVec};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `try_with`: the counter may already be gone while a thread shuts down.
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as the caller promised for `layout`.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        // SAFETY: as the caller promised.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread by `run`.
fn allocations(run: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    run();
    ALLOCATIONS.with(Cell::get) - before
}

fn layer(n: usize) -> (SigmoidLayer, DVector<f64>) {
    let w = DMatrix::from_fn(n, n, |i, j| ((i * 7 + j * 3) % 5) as f64 / 4.0 - 0.5);
    let x = DVector::from_fn(n, |j, _| (j % 3) as f64 - 1.0);
    (SigmoidLayer::new(w), x)
}

/// What one pass of `eval` on `DualSVec64<N>` allocates by itself.
fn per_eval<const N: usize>(f: &SigmoidLayer, x: &DVector<f64>) -> usize {
    let seeded: DVector<DualSVec64<N>> = x.map(DualVec::from_re);
    allocations(|| drop(f.eval(&seeded)))
}

#[test]
fn dual_jacobian_allocates_nothing_per_pass_beyond_eval() {
    // n = 8: one pass; n = 64: eight passes.
    let mut overhead = Vec::new();
    for n in [LANES, 8 * LANES] {
        let (f, x) = layer(n);
        let passes = n.div_ceil(LANES);
        let e = per_eval::<LANES>(&f, &x);
        assert!(e >= 1, "eval allocates at least its output");
        let total = allocations(|| drop(dual_jacobian(&f, &x).unwrap()));
        assert!(total >= passes * e, "n = {n}: {total} < {passes}·{e}");
        overhead.push(total - passes * e);
        println!("n = {n}: {passes} passes, eval allocates {e}, dual_jacobian {total}");
    }
    assert_eq!(
        overhead[0], overhead[1],
        "the oracle's own allocations grow with the passes: {overhead:?}"
    );
    assert!(overhead[1] <= 4, "{overhead:?}");
}

#[test]
fn directional_derivatives_allocate_nothing_per_pass_beyond_eval() {
    let (f, x) = layer(32);
    let mut overhead = Vec::new();
    // k = 8: one pass of eight lanes; k = 24: three.
    for k in [LANES, 3 * LANES] {
        let directions = DMatrix::from_fn(32, k, |l, p| ((l + 2 * p) % 5) as f64 - 2.0);
        let e = per_eval::<LANES>(&f, &x);
        let passes = k.div_ceil(LANES);
        let total = allocations(|| drop(directional_derivatives(&f, &x, &directions).unwrap()));
        overhead.push(total - passes * e);
    }
    assert_eq!(overhead[0], overhead[1], "{overhead:?}");
    assert!(overhead[1] <= 4, "{overhead:?}");
}
