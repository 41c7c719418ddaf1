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
//! The peers (PyTorch `gradcheck`, JAX `check_grads`, numdifftools) are timed in the same run
//! by `benches/peers/run.sh`: `speed --problem-out FILE` writes the problems
//! ([`problems_json`], every float exact), `benches/peers/peers.py` times the peers on them
//! and `speed --peers FILE` reads their times ([`Peers::from_json`], refused unless the
//! [`fingerprint`]s say they timed the same bits) and prints both side by side
//! ([`format_side_by_side`]). Without it, [`PEERS`] holds fixed reference figures measured
//! once on another 2-core machine, labelled as such ([`Peers::describe`]).
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

/// One peer's time per check on [`problem`]`(n)`, in milliseconds, as fixed in [`PEERS`].
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
/// which test one random direction, against projections. Reference figures measured once
/// elsewhere, not on this machine: `benches/peers/run.sh` times the peers here, in the same
/// run, and `speed --peers FILE` uses those times instead ([`Peers::from_json`]).
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

/// The sizes of the `speed` command: the full, f32 and VJP checks at 16, 64 and 256,
/// projections at all four ([`table`]).
pub const SIZES: [usize; 4] = [16, 64, 256, 1024];

/// A 64-bit fingerprint of the exact bits of `W` (row-major) and `x`: each value's IEEE bits,
/// offset by its position, mixed (the SplitMix64 finaliser) and summed modulo 2⁶⁴.
/// `benches/peers/peers.py` computes the same from the floats it parsed, so the peers' times
/// are known to be of the very problem timed here, bit for bit.
///
/// ```
/// use jacobian_oracle::speed::{fingerprint, problem};
///
/// let (f, x) = problem(4);
/// let h = fingerprint(&f.w, &x);
/// assert_eq!(h, fingerprint(&f.w, &x));
/// // One ulp anywhere, or W transposed, changes it.
/// let mut y = x.clone();
/// y[3] = f64::from_bits(y[3].to_bits() + 1);
/// assert_ne!(fingerprint(&f.w, &y), h);
/// assert_ne!(fingerprint(&f.w.transpose(), &x), h);
/// ```
#[must_use]
pub fn fingerprint(w: &DMatrix<f64>, x: &DVector<f64>) -> u64 {
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let row_major = (0..w.nrows()).flat_map(|i| (0..w.ncols()).map(move |j| w[(i, j)]));
    row_major
        .chain(x.iter().copied())
        .enumerate()
        .fold(0, |h: u64, (i, v)| {
            let offset = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h.wrapping_add(mix(v.to_bits().wrapping_add(offset)))
        })
}

/// [`fingerprint`] as written in the JSON files: 16 hexadecimal digits.
fn fingerprint_hex(n: usize) -> String {
    let (f, x) = problem(n);
    format!("{:016x}", fingerprint(&f.w, &x))
}

/// The `"schema"` of the problem file ([`problems_json`]).
pub const PROBLEMS_SCHEMA: &str = "jacobian-oracle-problems/1";

/// The problems [`problem`]`(n)` for each `n` in `sizes`, as JSON for the peers
/// (`speed --problem-out FILE`): `{"schema", "what", "problems": [{"n", "fingerprint", "w",
/// "x"}]}`, `w` row-major. Every float is written in its shortest decimal form that reads
/// back to the same `f64` (serde_json's, as Python's `float` and `json` read it), so the
/// peers time exactly the same `W` and `x`.
///
/// ```
/// use jacobian_oracle::speed::{problem, problems_json};
///
/// let v: serde_json::Value = serde_json::from_str(&problems_json(&[4])).unwrap();
/// let p = &v["problems"][0];
/// let (f, x) = problem(4);
/// assert_eq!(p["n"], 4);
/// assert_eq!(p["w"][1].as_f64(), Some(f.w[(0, 1)])); // row-major
/// assert_eq!(p["x"][3].as_f64(), Some(x[3]));
/// ```
#[must_use]
pub fn problems_json(sizes: &[usize]) -> String {
    let problems: Vec<serde_json::Value> = sizes
        .iter()
        .map(|&n| {
            let (f, x) = problem(n);
            let w: Vec<f64> = (0..n)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|ij| f.w[ij])
                .collect();
            serde_json::json!({
                "n": n,
                "fingerprint": fingerprint_hex(n),
                "w": w,
                "x": x.as_slice(),
            })
        })
        .collect();
    serde_json::json!({
        "schema": PROBLEMS_SCHEMA,
        "what": "jacobian_oracle::speed::problem(n): z = sigmoid(W x), W n×n row-major, x of \
                 length n, float64; each number reads back to the same f64",
        "problems": problems,
    })
    .to_string()
}

/// One peer's time per check, from [`PEERS`] or measured in the same run as ours
/// ([`Peers::from_json`]).
///
/// ```
/// use jacobian_oracle::speed::{PEERS, PeerTime};
///
/// let t = PeerTime::from(&PEERS[0]);
/// assert_eq!((t.name.as_str(), t.rival_of.as_str(), t.n, t.ms), ("PyTorch gradcheck", "full", 64, 8.9));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PeerTime {
    /// The tool and its mode, e.g. `"JAX check_grads"`.
    pub name: String,
    /// Which of our checks it is the rival of: `"full"` or `"projected k4"`.
    pub rival_of: String,
    /// `n` of the `n×n` problem.
    pub n: usize,
    /// Milliseconds per check.
    pub ms: f64,
}

impl From<&Peer> for PeerTime {
    fn from(p: &Peer) -> Self {
        PeerTime {
            name: p.name.to_string(),
            rival_of: p.rival_of.to_string(),
            n: p.n,
            ms: p.ms,
        }
    }
}

/// Where the peers' times come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerSource {
    /// [`PEERS`]: measured once on another machine, not in this run.
    Reference,
    /// Measured by `benches/peers/peers.py` on the same problems, on the machine it describes.
    Measured {
        /// When (as the peers' JSON gives it).
        date: String,
        /// The CPU model, from `/proc/cpuinfo`.
        cpu: String,
        /// Cores the peers could use.
        cores: u64,
        /// The threads each library was given.
        threads: String,
        /// Python, the tools and their libraries, with versions.
        versions: Vec<(String, String)>,
        /// Peers not measured, and why (e.g. PyTorch when torch is not installed).
        not_measured: Vec<(String, String)>,
    },
}

/// The peers' times used by a speed table, and their source.
///
/// ```
/// use jacobian_oracle::speed::{PEERS, PeerSource, Peers};
///
/// let reference = Peers::reference();
/// assert_eq!(reference.source, PeerSource::Reference);
/// assert_eq!(reference.times.len(), PEERS.len());
/// assert!(reference.describe().contains("not measured in this run"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Peers {
    /// Where the times come from.
    pub source: PeerSource,
    /// One per tool, check kind and `n`.
    pub times: Vec<PeerTime>,
}

/// The `"schema"` of the peers' JSON ([`Peers::from_json`]).
pub const PEERS_SCHEMA: &str = "jacobian-oracle-peers/1";

impl Peers {
    /// The fixed reference figures, [`PEERS`].
    #[must_use]
    pub fn reference() -> Self {
        Peers {
            source: PeerSource::Reference,
            times: PEERS.iter().map(PeerTime::from).collect(),
        }
    }

    /// The peers' times as `benches/peers/peers.py` prints them:
    ///
    /// ```json
    /// {"schema": "jacobian-oracle-peers/1", "date": "…",
    ///  "machine": {"cpu": "…", "cores": 2}, "threads": "…",
    ///  "versions": {"python": "3.11.7", "jax": "…", …},
    ///  "not_measured": {"PyTorch gradcheck": "torch is not installed", …},
    ///  "fingerprints": {"64": "…", …},
    ///  "results": [{"tool": "JAX check_grads", "rival_of": "projected k4", "n": 64,
    ///               "seconds": 0.0021, …}, …]}
    /// ```
    ///
    /// (other fields are ignored). Refuses times of another problem: each `n` of the results
    /// needs the [`fingerprint`] of [`problem`]`(n)`, as the peers computed it from the
    /// numbers they read.
    ///
    /// # Errors
    ///
    /// A message naming what is missing or wrong.
    ///
    /// ```
    /// use jacobian_oracle::speed::{PeerSource, Peers, fingerprint, problem};
    ///
    /// let (f, x) = problem(64);
    /// let text = format!(
    ///     r#"{{"schema": "jacobian-oracle-peers/1", "date": "2030-01-01",
    ///         "machine": {{"cpu": "Some CPU", "cores": 2}}, "threads": "2",
    ///         "versions": {{"jax": "9.9"}}, "not_measured": {{"PyTorch gradcheck": "no torch"}},
    ///         "fingerprints": {{"64": "{:016x}"}},
    ///         "results": [{{"tool": "JAX check_grads", "rival_of": "projected k4", "n": 64,
    ///                       "seconds": 0.002}}]}}"#,
    ///     fingerprint(&f.w, &x)
    /// );
    /// let peers = Peers::from_json(&text).unwrap();
    /// assert_eq!(peers.times[0].ms, 2.0);
    /// assert!(matches!(peers.source, PeerSource::Measured { cores: 2, .. }));
    /// assert!(peers.describe().contains("jax 9.9"));
    /// // Times of another problem are refused.
    /// let other = text.replace(&format!("{:016x}", fingerprint(&f.w, &x)), "0000000000000000");
    /// assert!(Peers::from_json(&other).unwrap_err().contains("different problem"));
    /// ```
    pub fn from_json(text: &str) -> Result<Self, String> {
        use serde_json::Value;
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        if v["schema"] != PEERS_SCHEMA {
            return Err(format!(
                "\"schema\" is {}, expected \"{PEERS_SCHEMA}\"",
                v["schema"]
            ));
        }
        let string = |v: &Value, what: &str| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("\"{what}\" must be a string"))
        };
        let pairs = |v: &Value, what: &str| -> Result<Vec<(String, String)>, String> {
            match v {
                Value::Null => Ok(Vec::new()),
                Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), string(v, &format!("{what}.{k}"))?)))
                    .collect(),
                _ => Err(format!("\"{what}\" must be an object of strings")),
            }
        };
        let source = PeerSource::Measured {
            date: string(&v["date"], "date")?,
            cpu: string(&v["machine"]["cpu"], "machine.cpu")?,
            cores: v["machine"]["cores"]
                .as_u64()
                .ok_or("\"machine.cores\" must be a whole number")?,
            threads: string(&v["threads"], "threads")?,
            versions: pairs(&v["versions"], "versions")?,
            not_measured: pairs(&v["not_measured"], "not_measured")?,
        };
        let results = v["results"]
            .as_array()
            .ok_or("\"results\" must be an array")?;
        let mut times = Vec::new();
        for (i, r) in results.iter().enumerate() {
            let name = string(&r["tool"], &format!("results[{i}].tool"))?;
            let rival_of = string(&r["rival_of"], &format!("results[{i}].rival_of"))?;
            if rival_of != "full" && rival_of != "projected k4" {
                return Err(format!(
                    "results[{i}].rival_of is \"{rival_of}\", expected \"full\" or \"projected k4\""
                ));
            }
            let n = r["n"]
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("results[{i}].n must be a positive whole number"))?;
            let seconds = r["seconds"]
                .as_f64()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| format!("results[{i}].seconds must be a positive number"))?;
            let expected = fingerprint_hex(n);
            match v["fingerprints"][n.to_string()].as_str() {
                Some(h) if h == expected => {}
                Some(h) => {
                    return Err(format!(
                        "the peers timed a different problem at n = {n} (fingerprint {h}, \
                         speed::problem({n}) has {expected}): write the problems with \
                         `speed --problem-out FILE`"
                    ));
                }
                None => return Err(format!("no \"fingerprints\" entry for n = {n}")),
            }
            times.push(PeerTime {
                name,
                rival_of,
                n,
                ms: seconds * 1e3,
            });
        }
        Ok(Peers { source, times })
    }

    /// One line saying where the times come from: the reference figures, or the run, machine
    /// and versions they were measured with, and which peers were not measured.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.source {
            PeerSource::Reference => "peers: reference figures measured once on another \
                                      2-core machine (the issue that set the targets), not \
                                      measured in this run; benches/peers/run.sh times them \
                                      here"
                .to_string(),
            PeerSource::Measured {
                date,
                cpu,
                cores,
                threads,
                versions,
                not_measured,
            } => {
                let versions = versions
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut line = format!(
                    "peers: measured in the same run, {date}, on this machine ({cpu}, {cores} \
                     cores; threads: {threads}), same W and x bit for bit; {versions}"
                );
                if !not_measured.is_empty() {
                    let skipped = not_measured
                        .iter()
                        .map(|(k, why)| format!("{k} ({why})"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    line.push_str(&format!("; not measured: {skipped}"));
                }
                line
            }
        }
    }

    /// The source as JSON, for `speed --json`: `{"source": "reference"}` or
    /// `{"source": "measured", "date", "cpu", "cores", "threads", "versions", "not_measured"}`.
    ///
    /// ```
    /// use jacobian_oracle::speed::Peers;
    /// assert_eq!(Peers::reference().source_json()["source"], "reference");
    /// ```
    #[must_use]
    pub fn source_json(&self) -> serde_json::Value {
        let object = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
                .collect::<serde_json::Map<_, _>>()
        };
        match &self.source {
            PeerSource::Reference => serde_json::json!({
                "source": "reference",
                "what": "fixed figures measured once on another 2-core machine, not in this run",
            }),
            PeerSource::Measured {
                date,
                cpu,
                cores,
                threads,
                versions,
                not_measured,
            } => serde_json::json!({
                "source": "measured",
                "date": date,
                "cpu": cpu,
                "cores": cores,
                "threads": threads,
                "versions": object(versions),
                "not_measured": object(not_measured),
            }),
        }
    }
}

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

/// Median seconds per call of `check` and of `floor`, their batches interleaved (a batch of
/// one, then a batch of the other, each at least 10 ms or one call, at least 5 of each, about
/// `budget` for each median): a machine that slows down or speeds up during the measurement
/// (frequency, other load) moves both, so their ratio holds where two medians taken one after
/// the other would not.
///
/// ```
/// use jacobian_oracle::speed::median_seconds_interleaved;
/// use std::time::Duration;
///
/// let (mut a, mut b) = (0, 0);
/// let (check, floor) = median_seconds_interleaved(
///     || { a += 1; std::thread::sleep(Duration::from_millis(2)); },
///     || { b += 1; std::thread::sleep(Duration::from_millis(1)); },
///     Duration::from_millis(1),
/// );
/// assert!(check > floor && floor >= 1e-3 && check < 0.1);
/// assert!(a >= 2 + 5 && b >= 2 + 5);
/// ```
pub fn median_seconds_interleaved(
    mut check: impl FnMut(),
    mut floor: impl FnMut(),
    budget: Duration,
) -> (f64, f64) {
    let warm = |run: &mut dyn FnMut()| {
        run();
        let start = Instant::now();
        run();
        let once = start.elapsed().as_secs_f64().max(1e-7);
        let per_batch = ((0.01 / once).ceil() as usize).max(1);
        let batches = (budget.as_secs_f64() / (once * per_batch as f64)) as usize;
        (per_batch, batches)
    };
    let (check_batch, check_batches) = warm(&mut check);
    let (floor_batch, floor_batches) = warm(&mut floor);
    let batches = check_batches.min(floor_batches).clamp(5, 200);
    let time = |run: &mut dyn FnMut(), per_batch: usize| {
        let t = Instant::now();
        for _ in 0..per_batch {
            run();
        }
        t.elapsed().as_secs_f64() / per_batch as f64
    };
    let (mut checks, mut floors) = (Vec::new(), Vec::new());
    for _ in 0..batches {
        checks.push(time(&mut check, check_batch));
        floors.push(time(&mut floor, floor_batch));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(checks), median(floors))
}

/// A peer's time against one of our checks.
///
/// ```
/// use jacobian_oracle::speed::Rival;
/// let r = Rival { name: "JAX check_grads".into(), peer_ms: 2.0, faster: 8.0 };
/// assert_eq!(r.peer_ms / r.faster, 0.25); // our time
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Rival {
    /// The tool and its mode.
    pub name: String,
    /// Its milliseconds per check.
    pub peer_ms: f64,
    /// How many times faster our check is (peer time / our time).
    pub faster: f64,
}

/// One row of the speed table.
///
/// ```
/// use jacobian_oracle::speed::{Peers, SpeedRow};
///
/// let row = SpeedRow {
///     check: "full",
///     n: 64,
///     check_ms: 0.25,
///     floor_ms: 0.125,
///     faster_than: SpeedRow::rivals(&Peers::reference().times, "full", 64, 0.25),
/// };
/// let speedups: Vec<(&str, f64)> = row.faster_than.iter().map(|r| (r.name.as_str(), r.faster)).collect();
/// assert_eq!(speedups, [("PyTorch gradcheck", 35.6), ("numdifftools", 80.0)]);
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
    /// Each peer that is this check's rival at this `n`, with its time and our speed-up.
    pub faster_than: Vec<Rival>,
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

    /// The peers in `peers` that are the rivals of `check` at `n`, against our `check_ms`.
    #[must_use]
    pub fn rivals(peers: &[PeerTime], check: &str, n: usize, check_ms: f64) -> Vec<Rival> {
        peers
            .iter()
            .filter(|p| p.rival_of == check && p.n == n)
            .map(|p| Rival {
                name: p.name.clone(),
                peer_ms: p.ms,
                faster: p.ms / check_ms,
            })
            .collect()
    }
}

/// Measures every check against its floor at each size in `sizes` — the full, f32 and VJP
/// checks up to `n = 256`, projections at every size (the command line's `speed` uses
/// [`SIZES`]) — spending about `budget` on each median, against the reference figures
/// [`PEERS`]. Panics if a check fails: the problems are right.
///
/// ```
/// use std::time::Duration;
/// let rows = jacobian_oracle::speed::table(Duration::from_millis(1), &[16]);
/// assert!(rows.iter().all(|r| r.check_ms > 0.0 && r.ratio() > 0.0));
/// ```
#[must_use]
pub fn table(budget: Duration, sizes: &[usize]) -> Vec<SpeedRow> {
    table_against(budget, sizes, &Peers::reference().times)
}

/// [`table`] against the given peers' times (e.g. measured in the same run,
/// [`Peers::from_json`]).
///
/// ```
/// use std::time::Duration;
/// use jacobian_oracle::speed::{PeerTime, table_against};
///
/// let peer = PeerTime { name: "slow tool".into(), rival_of: "projected k4".into(), n: 16, ms: 1e3 };
/// let rows = table_against(Duration::from_millis(1), &[16], &[peer]);
/// let projected = rows.iter().find(|r| r.check == "projected k4").unwrap();
/// assert_eq!(projected.faster_than[0].peer_ms, 1e3);
/// assert!(rows.iter().filter(|r| r.check != "projected k4").all(|r| r.faster_than.is_empty()));
/// ```
#[must_use]
pub fn table_against(budget: Duration, sizes: &[usize], peers: &[PeerTime]) -> Vec<SpeedRow> {
    let oracle = Oracle::default();
    let mut rows = Vec::new();
    let row = |check: &'static str, n: usize, check_s: f64, floor_s: f64| SpeedRow {
        check,
        n,
        check_ms: check_s * 1e3,
        floor_ms: floor_s * 1e3,
        faster_than: SpeedRow::rivals(peers, check, n, check_s * 1e3),
    };
    for &n in sizes {
        let (f, x) = problem(n);
        // Each check's batches interleaved with its floor's (median_seconds_interleaved).
        let full_floor = || {
            black_box(floor_full(&f, &x));
        };
        if n <= 256 {
            let (full, floor) = median_seconds_interleaved(
                || drop(black_box(oracle.check(&f, &x).expect("right"))),
                full_floor,
                budget,
            );
            rows.push(row("full", n, full, floor));
            let f32_layer = LayerF32::new(f.clone());
            let (f32c, floor) = median_seconds_interleaved(
                || drop(black_box(oracle.check_f32(&f32_layer, &x).expect("right"))),
                full_floor,
                budget,
            );
            rows.push(row("f32", n, f32c, floor));
            let backward = Backward(f.clone());
            let (vjp, floor) = median_seconds_interleaved(
                || drop(black_box(oracle.check_vjp(&backward, &x).expect("right"))),
                full_floor,
                budget,
            );
            rows.push(row("vjp (3 dirs)", n, vjp, floor));
        }
        let (projected, floor) = median_seconds_interleaved(
            || drop(black_box(oracle.check_projected(&f, &x, 4).expect("right"))),
            || {
                black_box(floor_projected(&f, &x, 4));
            },
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
/// use jacobian_oracle::speed::{Rival, SpeedRow, format_table};
/// let gradcheck = Rival { name: "PyTorch gradcheck".into(), peer_ms: 8.91, faster: 29.7 };
/// let rows = [SpeedRow { check: "full", n: 64, check_ms: 0.3, floor_ms: 0.15, faster_than: vec![gradcheck] }];
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
            .map(|p| format!("{:.1}× {}", p.faster, p.name))
            .collect::<Vec<_>>()
            .join(", ");
        out.push_str(
            format!(
                "{:<14} {:>6} {:>12.4} {:>12.4} {:>7.2}  {peers}",
                r.check,
                r.n,
                r.check_ms,
                r.floor_ms,
                r.ratio()
            )
            .trim_end(),
        );
        out.push('\n');
    }
    out
}

/// Our time and each rival peer's side by side: one line per check, `n` and peer, with the
/// speed-up (peer time / our time). Empty when no row has a rival.
///
/// ```
/// use jacobian_oracle::speed::{Rival, SpeedRow, format_side_by_side};
/// let jax = Rival { name: "JAX check_grads".into(), peer_ms: 2.5, faster: 8.2 };
/// let rows = [
///     SpeedRow { check: "f32", n: 256, check_ms: 11.0, floor_ms: 6.0, faster_than: vec![] },
///     SpeedRow { check: "projected k4", n: 256, check_ms: 0.305, floor_ms: 0.14, faster_than: vec![jax] },
/// ];
/// let text = format_side_by_side(&rows);
/// assert_eq!(text.lines().count(), 2); // the header and JAX's line
/// assert!(text.contains("0.3050") && text.contains("2.5000") && text.contains("8.2×"));
/// assert!(format_side_by_side(&rows[..1]).is_empty());
/// ```
#[must_use]
pub fn format_side_by_side(rows: &[SpeedRow]) -> String {
    let mut out = String::new();
    for r in rows {
        for p in &r.faster_than {
            if out.is_empty() {
                out = format!(
                    "{:<14} {:>6} {:>12}  {:<20} {:>12} {:>9}\n",
                    "check", "n", "ours (ms)", "peer", "peer (ms)", "faster"
                );
            }
            out.push_str(&format!(
                "{:<14} {:>6} {:>12.4}  {:<20} {:>12.4} {:>8.1}×\n",
                r.check, r.n, r.check_ms, p.name, p.peer_ms, p.faster
            ));
        }
    }
    out
}
