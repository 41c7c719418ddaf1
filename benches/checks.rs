//! Criterion benchmarks of the checks on `z = σ(Wx)` (the catalogue's `SigmoidLayer`: its
//! `eval` and Jacobian walk `W` column by column), with the floors they are measured against
//! in the same process:
//!
//! * full check (`Oracle::check`): floor = `2n` evaluations of `eval::<f64>` + one analytic
//!   Jacobian (the cost of the cheapest finite-difference check);
//! * projection (`Oracle::check_projected`, `k = 4`): floor = one analytic Jacobian + `2k`
//!   evaluations;
//! * VJP (`Oracle::check_vjp`, three cotangents, `n` dual passes each) and f32
//!   (`Oracle::check_f32`, an `f32` Jacobian against the `f64` references): reported against the
//!   full check's floor.
//!
//! After criterion's own output, a table gives each check's median time, its floor's, and
//! the ratio (`cargo bench --bench checks`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use jacobian_oracle::catalogue::SigmoidLayer;
use jacobian_oracle::{AnalyticJacobian, AnalyticJacobianF32, AnalyticVjp, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

/// The sigmoid layer with a backward pass, for the VJP benchmark.
struct Layer(SigmoidLayer);

impl VectorFn for Layer {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.0.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.0.eval(x)
    }
}

impl AnalyticVjp for Layer {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        self.0.jacobian(x).tr_mul(u)
    }
}

/// The sigmoid layer's Jacobian computed in `f32`, for the f32 benchmark (`W` kept in `f32`,
/// walked column by column).
struct LayerF32 {
    f: SigmoidLayer,
    w32: DMatrix<f32>,
}

impl LayerF32 {
    fn new(f: SigmoidLayer) -> Self {
        let w32 = f.w.map(|v| v as f32);
        LayerF32 { f, w32 }
    }
}

impl VectorFn for LayerF32 {
    fn input_dim(&self) -> usize {
        self.f.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.f.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.f.eval(x)
    }
}

impl AnalyticJacobianF32 for LayerF32 {
    fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
        let a = &self.w32 * x;
        let s = a.map(|ai| {
            let z = if ai >= 0.0 {
                1.0 / (1.0 + (-ai).exp())
            } else {
                ai.exp() / (1.0 + ai.exp())
            };
            z * (1.0 - z)
        });
        let mut j = self.w32.clone();
        for mut col in j.column_iter_mut() {
            col.component_mul_assign(&s);
        }
        j
    }
}

/// A moderate `n×n` layer and input: pre-activations of order 1.
fn problem(n: usize) -> (SigmoidLayer, DVector<f64>) {
    let scale = 1.0 / (n as f64).sqrt();
    let w = DMatrix::from_fn(n, n, |i, j| {
        (((i * 7919 + j * 104_729) % 1009) as f64 / 504.5 - 1.0) * 2.0 * scale
    });
    let x = DVector::from_fn(n, |j, _| ((j * 31 % 17) as f64 - 8.0) / 8.0);
    (SigmoidLayer::new(w), x)
}

/// The full check's floor: `2n` evaluations and one analytic Jacobian.
fn floor_full(f: &SigmoidLayer, x: &DVector<f64>) -> f64 {
    let mut xs = x.clone();
    let mut acc = 0.0;
    for j in 0..x.len() {
        let xj = xs[j];
        for h in [1e-6, -1e-6] {
            xs[j] = xj + h;
            acc += f.eval::<f64>(&xs)[0];
        }
        xs[j] = xj;
    }
    acc + f.jacobian(x)[(0, 0)]
}

/// The projection check's floor: one analytic Jacobian and `2k` evaluations.
fn floor_projected(f: &SigmoidLayer, x: &DVector<f64>, k: usize) -> f64 {
    let mut acc = f.jacobian(x)[(0, 0)];
    for p in 0..k {
        for h in [1e-6, -1e-6] {
            let xs = x.add_scalar(h * (p + 1) as f64);
            acc += f.eval::<f64>(&xs)[0];
        }
    }
    acc
}

fn benches(c: &mut Criterion) {
    let oracle = Oracle::default();
    for n in [16, 64, 256] {
        let (f, x) = problem(n);
        let layer = Layer(f.clone());
        let mut g = c.benchmark_group(format!("sigmoid_layer_{n}x{n}"));
        g.sample_size(if n >= 256 { 10 } else { 30 });
        g.bench_function(BenchmarkId::new("full_check", n), |b| {
            b.iter(|| oracle.check(black_box(&f), black_box(&x)).unwrap())
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
            b.iter(|| oracle.check_vjp(black_box(&layer), black_box(&x)).unwrap())
        });
        g.bench_function(BenchmarkId::new("projected_k4", n), |b| {
            b.iter(|| {
                oracle
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
    g.bench_function(BenchmarkId::new("projected_floor_k4", 1024), |b| {
        b.iter(|| floor_projected(black_box(&f), black_box(&x), 4))
    });
    g.finish();
}

/// Median seconds per call of `run`, over batches lasting about `budget` in all.
fn median(mut run: impl FnMut(), budget: Duration) -> f64 {
    run();
    let start = Instant::now();
    run();
    let once = start.elapsed().as_secs_f64().max(1e-7);
    let per_batch = ((0.01 / once).ceil() as usize).max(1);
    let batches = ((budget.as_secs_f64() / (once * per_batch as f64)) as usize).clamp(5, 200);
    let mut times: Vec<f64> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                run();
            }
            t.elapsed().as_secs_f64() / per_batch as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The ratio table: each check against its floor, measured here, in this process.
fn ratios() {
    let oracle = Oracle::default();
    let budget = Duration::from_millis(600);
    println!("\ncheck / floor, median of repeated runs in this process (σ(Wx), float64):");
    println!(
        "{:<12} {:>6} {:>12} {:>12} {:>7}",
        "check", "n", "check (ms)", "floor (ms)", "ratio"
    );
    for n in [16, 64, 256] {
        let (f, x) = problem(n);
        let layer = Layer(f.clone());
        let full = median(|| drop(black_box(oracle.check(&f, &x).unwrap())), budget);
        let floor = median(
            || {
                black_box(floor_full(&f, &x));
            },
            budget,
        );
        println!(
            "{:<12} {:>6} {:>12.4} {:>12.4} {:>7.2}",
            "full",
            n,
            full * 1e3,
            floor * 1e3,
            full / floor
        );
        let layer32 = LayerF32::new(f.clone());
        let f32c = median(
            || drop(black_box(oracle.check_f32(&layer32, &x).unwrap())),
            budget,
        );
        println!(
            "{:<12} {:>6} {:>12.4} {:>12.4} {:>7.2}",
            "f32",
            n,
            f32c * 1e3,
            floor * 1e3,
            f32c / floor
        );
        let vjp = median(
            || drop(black_box(oracle.check_vjp(&layer, &x).unwrap())),
            budget,
        );
        println!(
            "{:<12} {:>6} {:>12.4} {:>12.4} {:>7.2}",
            "vjp (3 dirs)",
            n,
            vjp * 1e3,
            floor * 1e3,
            vjp / floor
        );
    }
    for n in [16, 64, 256, 1024] {
        let (f, x) = problem(n);
        let proj = median(
            || drop(black_box(oracle.check_projected(&f, &x, 4).unwrap())),
            budget,
        );
        let floor = median(
            || {
                black_box(floor_projected(&f, &x, 4));
            },
            budget,
        );
        println!(
            "{:<12} {:>6} {:>12.4} {:>12.4} {:>7.2}",
            "projected k4",
            n,
            proj * 1e3,
            floor * 1e3,
            proj / floor
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    ratios();
}
