//! Criterion benchmarks of the checks on `z = σ(Wx)` (see [`jacobian_oracle::speed`] for the
//! problem and the floors), then the ratio table: each check's median time against its floor
//! measured in this process, and the speed-up over the peers' published times
//! (`cargo bench --bench checks`; `cargo bench --bench checks -- no-such-bench` prints only
//! the table).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use jacobian_oracle::Oracle;
use jacobian_oracle::speed::{
    Backward, LayerF32, floor_full, floor_projected, format_table, problem, table,
};

fn benches(c: &mut Criterion) {
    let oracle = Oracle::default();
    // Finite differences along every column (every projection) instead of along a few random
    // signed directions: the witness the directional one replaces, timed beside it.
    let per_column = Oracle::default().with_directional_witness(false);
    for n in [16, 64, 256] {
        let (f, x) = problem(n);
        let backward = Backward(f.clone());
        let mut g = c.benchmark_group(format!("sigmoid_layer_{n}x{n}"));
        g.sample_size(if n >= 256 { 10 } else { 30 });
        g.bench_function(BenchmarkId::new("full_check", n), |b| {
            b.iter(|| oracle.check(black_box(&f), black_box(&x)).unwrap())
        });
        g.bench_function(BenchmarkId::new("full_check_per_column", n), |b| {
            b.iter(|| per_column.check(black_box(&f), black_box(&x)).unwrap())
        });
        g.bench_function(BenchmarkId::new("full_floor", n), |b| {
            b.iter(|| floor_full(black_box(&f), black_box(&x)))
        });
        let layer32 = LayerF32::new(f.clone());
        g.bench_function(BenchmarkId::new("f32_check", n), |b| {
            b.iter(|| {
                oracle
                    .check_f32(black_box(&layer32), black_box(&x))
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("vjp_check", n), |b| {
            b.iter(|| {
                oracle
                    .check_vjp(black_box(&backward), black_box(&x))
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("projected_k4", n), |b| {
            b.iter(|| {
                oracle
                    .check_projected(black_box(&f), black_box(&x), 4)
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("projected_k4_per_projection", n), |b| {
            b.iter(|| {
                per_column
                    .check_projected(black_box(&f), black_box(&x), 4)
                    .unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("projected_floor_k4", n), |b| {
            b.iter(|| floor_projected(black_box(&f), black_box(&x), 4))
        });
        g.finish();
    }
    let (f, x) = problem(1024);
    let mut g = c.benchmark_group("sigmoid_layer_1024x1024");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("projected_k4", 1024), |b| {
        b.iter(|| {
            oracle
                .check_projected(black_box(&f), black_box(&x), 4)
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("projected_k4_per_projection", 1024), |b| {
        b.iter(|| {
            per_column
                .check_projected(black_box(&f), black_box(&x), 4)
                .unwrap()
        })
    });
    g.bench_function(BenchmarkId::new("projected_floor_k4", 1024), |b| {
        b.iter(|| floor_projected(black_box(&f), black_box(&x), 4))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    println!("\ncheck / floor, median of repeated runs in this process (σ(Wx), float64):");
    print!(
        "{}",
        format_table(&table(Duration::from_millis(600), &[16, 64, 256, 1024]))
    );
}
