//! What a check costs, measured against its floor in the same process: the figures behind
//! the speed claims, printed by `cargo run --release -- speed` and by
//! `cargo bench --bench checks` (which adds criterion's own statistics).
//!
//! Every check runs on `z = σ(Wx)` ([`SigmoidLayer`], whose `eval` and Jacobian walk `W`
//! column by column, as nalgebra stores it), `n×n` with pre-activations of order 1
//! ([`problem`]), against a floor that no checker of its kind can go below:
//!
//! * **full check** ([`Oracle::check`], three witnesses on every entry): `2n` evaluations of
//!   `eval::<f64>` and one analytic Jacobian ([`floor_full`]) — the cheapest central
//!   finite-difference check;
//! * **projection** ([`Oracle::check_projected`], `k = 4`): one analytic Jacobian and `2k`
//!   evaluations ([`floor_projected`]);
//! * **VJP** ([`Oracle::check_vjp`], three cotangents, `⌈n/8⌉` dual passes each) and **f32**
//!   ([`Oracle::check_f32`]): against the full check's floor.
//!
//! [`PEERS`] holds the per-check times of the usual tools on the same problem in float64 on
//! the reference machine (2 cores), as given in the issue that set the targets.
//!
//! ```
//! use jacobian_oracle::speed::{floor_full, problem};
//! let (f, x) = problem(8);
//! assert!(floor_full(&f, &x).is_finite());
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use crate::catalogue::SigmoidLayer;
use crate::{AnalyticJacobian, AnalyticJacobianF32, AnalyticVjp, Oracle, VectorFn};

/// A moderate `n×n` sigmoid layer and input: entries of `W` of order `1/√n`, of `x` of order
/// 1, so pre-activations are of order 1 (no saturation: the common case a check must be
/// fast on).
///
/// ```
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::speed::problem;
///
/// let (f, x) = problem(16);
/// assert_eq!((f.w.nrows(), f.w.ncols(), x.len()), (16, 16, 16));
/// // Pre-activations of order 1: no saturation.
/// assert!((&f.w * &x).amax() < 3.0);
/// assert!(Oracle::default().check(&f, &x).is_ok());
/// ```
#[must_use]
pub fn problem(n: usize) -> (SigmoidLayer, DVector<f64>) {
    let scale = 1.0 / (n as f64).sqrt();
    let w = DMatrix::from_fn(n, n, |i, j| {
        (((i * 7919 + j * 104_729) % 1009) as f64 / 504.5 - 1.0) * 2.0 * scale
    });
    let x = DVector::from_fn(n, |j, _| ((j * 31 % 17) as f64 - 8.0) / 8.0);
    (SigmoidLayer::new(w), x)
}

/// The full check's floor: `2n` evaluations (`x ± h e_j`) and one analytic Jacobian. Returns
/// a value depending on all of them, so none is optimised away.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::speed::{floor_full, problem};
/// use jacobian_oracle::{AnalyticJacobian, VectorFn};
///
/// let (f, x) = problem(8);
/// let z0 = f.eval::<f64>(&x)[0];
/// let j00 = f.jacobian(&x)[(0, 0)];
/// // 2n values f₀(x ± h e_j), which sum to 2n·f₀(x) to first order, plus J₀₀.
/// assert_abs_diff_eq!(floor_full(&f, &x), 16.0 * z0 + j00, epsilon = 1e-9);
/// ```
#[must_use]
pub fn floor_full(f: &SigmoidLayer, x: &DVector<f64>) -> f64 {
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
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::speed::{floor_projected, problem};
/// use jacobian_oracle::{AnalyticJacobian, VectorFn};
///
/// let (f, x) = problem(8);
/// let z0 = f.eval::<f64>(&x)[0];
/// let j00 = f.jacobian(&x)[(0, 0)];
/// assert_eq!(floor_projected(&f, &x, 0), j00);
/// // k = 4: J₀₀ and 2k values f₀(x ± h_p), which sum to 2k·f₀(x) to first order.
/// assert_abs_diff_eq!(floor_projected(&f, &x, 4), j00 + 8.0 * z0, epsilon = 1e-9);
/// ```
#[must_use]
pub fn floor_projected(f: &SigmoidLayer, x: &DVector<f64>, k: usize) -> f64 {
    let mut acc = f.jacobian(x)[(0, 0)];
    for p in 0..k {
        for h in [1e-6, -1e-6] {
            let xs = x.add_scalar(h * (p + 1) as f64);
            acc += f.eval::<f64>(&xs)[0];
        }
    }
    acc
}

/// The sigmoid layer with its backward pass `Wᵀ(u ∘ z(1 − z))`, for the VJP check.
///
/// ```
/// use jacobian_oracle::speed::{Backward, problem};
/// use jacobian_oracle::{AnalyticJacobian, AnalyticVjp, Oracle};
/// use nalgebra::DVector;
///
/// let (f, x) = problem(8);
/// let u = DVector::from_fn(8, |i, _| i as f64 - 3.5);
/// let b = Backward(f.clone());
/// assert!((b.vjp(&x, &u) - f.jacobian(&x).transpose() * &u).amax() < 1e-15);
/// assert!(Oracle::default().check_vjp(&b, &x).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct Backward(pub SigmoidLayer);

impl VectorFn for Backward {
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

impl AnalyticVjp for Backward {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        self.0.jacobian(x).tr_mul(u)
    }
}

/// The sigmoid layer's Jacobian computed in `f32` (`W` kept in `f32`, walked column by
/// column), for the f32 check.
///
/// ```
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::speed::{LayerF32, problem};
///
/// let (f, x) = problem(8);
/// assert!(Oracle::default().check_f32(&LayerF32::new(f), &x).is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct LayerF32 {
    f: SigmoidLayer,
    w32: DMatrix<f32>,
}

impl LayerF32 {
    /// The layer, with an `f32` copy of `W`.
    ///
    /// ```
    /// use jacobian_oracle::speed::{LayerF32, problem};
    /// use jacobian_oracle::{AnalyticJacobian, AnalyticJacobianF32};
    ///
    /// let (f, x) = problem(8);
    /// let j = f.jacobian(&x);
    /// let j32 = LayerF32::new(f).jacobian_f32(&x.map(|v| v as f32));
    /// // Single precision: about 1e-7 relative to entries of order 0.1.
    /// assert!((j32.map(f64::from) - j).amax() < 1e-6);
    /// ```
    #[must_use]
    pub fn new(f: SigmoidLayer) -> Self {
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
        crate::catalogue::scale_rows(&s, self.w32.clone())
    }
}

/// One peer's time per check on [`problem`]`(n)`, in milliseconds.
///
/// ```
/// use jacobian_oracle::speed::PEERS;
///
/// let gradcheck = PEERS[0];
/// assert_eq!((gradcheck.name, gradcheck.rival_of, gradcheck.n), ("PyTorch gradcheck", "full", 64));
/// assert!(gradcheck.ms > 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peer {
    /// The tool and its mode.
    pub name: &'static str,
    /// Which of our checks it is the rival of: `"full"` or `"projected k4"`.
    pub rival_of: &'static str,
    /// `n`.
    pub n: usize,
    /// Milliseconds per check.
    pub ms: f64,
}

/// The peers' times on the reference machine (2 cores, float64), from the issue that set the
/// speed targets: PyTorch `gradcheck` (default: full finite differences) and numdifftools
/// against the full check; PyTorch `gradcheck(fast_mode=True)` and JAX `check_grads` (jit),
/// which test one random direction, against projections.
///
/// ```
/// use jacobian_oracle::speed::PEERS;
///
/// for p in PEERS {
///     assert!(p.rival_of == "full" || p.rival_of == "projected k4");
///     // Each tool at n = 64 and at 256, slower at 256.
///     let at_256 = PEERS.iter().find(|q| q.name == p.name && q.n == 256).unwrap();
///     assert!(p.n == 256 || (p.n == 64 && at_256.ms > p.ms));
/// }
/// ```
pub const PEERS: [Peer; 8] = [
    Peer {
        name: "PyTorch gradcheck",
        rival_of: "full",
        n: 64,
        ms: 8.9,
    },
    Peer {
        name: "PyTorch gradcheck",
        rival_of: "full",
        n: 256,
        ms: 49.0,
    },
    Peer {
        name: "numdifftools",
        rival_of: "full",
        n: 64,
        ms: 20.0,
    },
    Peer {
        name: "numdifftools",
        rival_of: "full",
        n: 256,
        ms: 316.0,
    },
    Peer {
        name: "PyTorch fast_mode",
        rival_of: "projected k4",
        n: 64,
        ms: 0.54,
    },
    Peer {
        name: "PyTorch fast_mode",
        rival_of: "projected k4",
        n: 256,
        ms: 0.65,
    },
    Peer {
        name: "JAX check_grads",
        rival_of: "projected k4",
        n: 64,
        ms: 2.1,
    },
    Peer {
        name: "JAX check_grads",
        rival_of: "projected k4",
        n: 256,
        ms: 2.5,
    },
];

/// Median seconds per call of `run`, over batches of calls lasting about `budget` in all
/// (at least 5 batches, each at least 10 ms or one call).
///
/// ```
/// use jacobian_oracle::speed::median_seconds;
/// use std::time::Duration;
///
/// let mut calls = 0;
/// let s = median_seconds(
///     || {
///         calls += 1;
///         std::thread::sleep(Duration::from_millis(1));
///     },
///     Duration::from_millis(1),
/// );
/// assert!(s >= 1e-3 && s < 0.1);
/// assert!(calls >= 2 + 5); // two warm-up calls, then at least 5 batches
/// ```
pub fn median_seconds(mut run: impl FnMut(), budget: Duration) -> f64 {
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

/// One row of the speed table.
///
/// ```
/// use jacobian_oracle::speed::{PEERS, SpeedRow};
///
/// let row = SpeedRow {
///     check: "full",
///     n: 64,
///     check_ms: 0.25,
///     floor_ms: 0.125,
///     faster_than: PEERS.iter().filter(|p| p.rival_of == "full" && p.n == 64).map(|p| (p.name, p.ms / 0.25)).collect(),
/// };
/// assert_eq!(row.faster_than, [("PyTorch gradcheck", 35.6), ("numdifftools", 80.0)]);
/// assert_eq!(row.ratio(), 2.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedRow {
    /// `"full"`, `"f32"`, `"vjp (3 dirs)"` or `"projected k4"`.
    pub check: &'static str,
    /// `n` of the `n×n` layer.
    pub n: usize,
    /// Median milliseconds per check.
    pub check_ms: f64,
    /// Median milliseconds of its floor.
    pub floor_ms: f64,
    /// How many times faster than each peer at this `n` (peer time / our time).
    pub faster_than: Vec<(&'static str, f64)>,
}

impl SpeedRow {
    /// `check_ms / floor_ms`.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::speed::SpeedRow;
    ///
    /// let row = SpeedRow { check: "projected k4", n: 256, check_ms: 0.5, floor_ms: 0.2, faster_than: vec![] };
    /// assert_abs_diff_eq!(row.ratio(), 2.5, epsilon = 1e-15);
    /// ```
    #[must_use]
    pub fn ratio(&self) -> f64 {
        self.check_ms / self.floor_ms
    }
}

/// Measures every check against its floor at each size in `sizes` — the full, f32 and VJP
/// checks up to `n = 256`, projections at every size (the command line's `speed` uses 16, 64,
/// 256 and 1024) — spending about `budget` on each median. Panics if a check fails: the
/// problems are right.
///
/// ```
/// use std::time::Duration;
/// let rows = jacobian_oracle::speed::table(Duration::from_millis(1), &[16]);
/// assert!(rows.iter().all(|r| r.check_ms > 0.0 && r.ratio() > 0.0));
/// ```
#[must_use]
pub fn table(budget: Duration, sizes: &[usize]) -> Vec<SpeedRow> {
    let oracle = Oracle::default();
    let mut rows = Vec::new();
    let row = |check: &'static str, n: usize, check_s: f64, floor_s: f64| SpeedRow {
        check,
        n,
        check_ms: check_s * 1e3,
        floor_ms: floor_s * 1e3,
        faster_than: PEERS
            .iter()
            .filter(|p| p.rival_of == check && p.n == n)
            .map(|p| (p.name, p.ms / (check_s * 1e3)))
            .collect(),
    };
    for &n in sizes {
        let (f, x) = problem(n);
        if n <= 256 {
            let floor = median_seconds(
                || {
                    black_box(floor_full(&f, &x));
                },
                budget,
            );
            let full = median_seconds(
                || drop(black_box(oracle.check(&f, &x).expect("right"))),
                budget,
            );
            rows.push(row("full", n, full, floor));
            let f32_layer = LayerF32::new(f.clone());
            let f32c = median_seconds(
                || drop(black_box(oracle.check_f32(&f32_layer, &x).expect("right"))),
                budget,
            );
            rows.push(row("f32", n, f32c, floor));
            let backward = Backward(f.clone());
            let vjp = median_seconds(
                || drop(black_box(oracle.check_vjp(&backward, &x).expect("right"))),
                budget,
            );
            rows.push(row("vjp (3 dirs)", n, vjp, floor));
        }
        let floor = median_seconds(
            || {
                black_box(floor_projected(&f, &x, 4));
            },
            budget,
        );
        let projected = median_seconds(
            || drop(black_box(oracle.check_projected(&f, &x, 4).expect("right"))),
            budget,
        );
        rows.push(row("projected k4", n, projected, floor));
    }
    rows
}

/// The table as text: one line per row, with the ratio to the floor and the speed-up over
/// each rival peer.
///
/// ```
/// use jacobian_oracle::speed::{SpeedRow, format_table};
/// let rows = [SpeedRow { check: "full", n: 64, check_ms: 0.3, floor_ms: 0.15, faster_than: vec![("PyTorch gradcheck", 29.7)] }];
/// let text = format_table(&rows);
/// assert!(text.contains("2.00") && text.contains("29.7× PyTorch gradcheck"));
/// ```
#[must_use]
pub fn format_table(rows: &[SpeedRow]) -> String {
    let mut out = format!(
        "{:<14} {:>6} {:>12} {:>12} {:>7}  faster than\n",
        "check", "n", "check (ms)", "floor (ms)", "ratio"
    );
    for r in rows {
        let peers = r
            .faster_than
            .iter()
            .map(|(name, x)| format!("{x:.1}× {name}"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(&format!(
            "{:<14} {:>6} {:>12.4} {:>12.4} {:>7.2}  {peers}\n",
            r.check,
            r.n,
            r.check_ms,
            r.floor_ms,
            r.ratio()
        ));
    }
    out
}
