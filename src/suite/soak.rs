//! The soak run: the whole catalogue on many random cases, in every regime of the strategies
//! (moderate, saturating, tiny and huge inputs, tiny weights, integers at the kinks), counting
//! false alarms and panics — both must be zero. `cargo run --release -- soak --cases 1000000`.
//!
//! Cases are spread evenly over the catalogue maps; each map draws its own deterministic
//! stream from the seed and its name, so the counts (not the throughput) are the same for a
//! seed whatever the number of threads. A false alarm is shrunk to a minimal case like a
//! proptest failure and kept for the report.
//!
//! ```
//! use jacobian_oracle::suite::soak::{SoakConfig, soak};
//! let report = soak(&SoakConfig { cases: 200, threads: 1, ..SoakConfig::default() }, |_| {});
//! assert_eq!(report.cases, 200);
//! assert_eq!((report.false_alarms(), report.panics()), (0, 0));
//! ```

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use proptest::strategy::{Strategy, ValueTree};

use super::{Entry, SuiteConfig, catalogue, error_kind, runner, strategy_for};
use crate::Oracle;
use crate::report::Agreement;
use crate::strategy::LayerCase;

/// How a soak run runs.
///
/// ```
/// use jacobian_oracle::suite::DEFAULT_SEED;
/// use jacobian_oracle::suite::soak::SoakConfig;
///
/// let c = SoakConfig::default();
/// assert_eq!((c.cases, c.seed, c.max_dim), (1_000_000, DEFAULT_SEED, 8));
/// assert!(c.threads >= 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoakConfig {
    /// Total cases over the whole catalogue (spread evenly over the maps).
    pub cases: u64,
    /// The seed of every map's stream.
    pub seed: u64,
    /// Largest number of rows and columns of `W`.
    pub max_dim: usize,
    /// Worker threads (at least 1).
    pub threads: usize,
}

impl Default for SoakConfig {
    fn default() -> Self {
        SoakConfig {
            cases: 1_000_000,
            seed: super::DEFAULT_SEED,
            max_dim: crate::strategy::DEFAULT_MAX_DIM,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// One wrong verdict on a right map, shrunk.
///
/// ```
/// use jacobian_oracle::strategy::Regime;
/// use jacobian_oracle::suite::mutants;
/// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
///
/// // A wrong map soaked as if it were right: its first false alarm is kept, shrunk.
/// let wrong: Vec<_> = mutants().into_iter().filter(|e| e.name == "sign_error").collect();
/// let config = SoakConfig { cases: 8, threads: 1, ..SoakConfig::default() };
/// let report = soak_entries(&config, &wrong, |_| {});
/// let incident = report.maps[0].first_incident.clone().unwrap();
/// assert_eq!((incident.map, incident.kind.as_str()), ("sign_error", "mismatch"));
/// assert_eq!((incident.case.shape(), incident.case.regime), ((1, 1), Regime::Moderate));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// The map.
    pub map: &'static str,
    /// `"panic"`, `"nan_in_agreement"`, or the error's kind (`"mismatch"`, …).
    pub kind: String,
    /// The minimal case (shrunk from the first one found for this map).
    pub case: LayerCase,
    /// The oracle's message (or the panic's) at the minimal case.
    pub message: String,
}

/// What one map did.
///
/// ```
/// use jacobian_oracle::suite::catalogue;
/// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
///
/// // 10 cases over 3 maps: 4, 3, 3.
/// let maps: Vec<_> = catalogue().into_iter().take(3).collect();
/// let config = SoakConfig { cases: 10, threads: 2, ..SoakConfig::default() };
/// let report = soak_entries(&config, &maps, |_| {});
/// let cases: Vec<u64> = report.maps.iter().map(|m| m.cases).collect();
/// assert_eq!(cases, [4, 3, 3]);
/// assert_eq!(report.maps[2].map, maps[2].name);
/// assert!(report.maps.iter().all(|m| m.false_alarms == 0 && m.first_incident.is_none()));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoakMap {
    /// The map.
    pub map: &'static str,
    /// Cases checked.
    pub cases: u64,
    /// Cases that could not be judged (non-smooth points): not failures.
    pub cannot_judge: u64,
    /// Cases with a wrong verdict (an error other than "cannot judge", or an agreement with
    /// a NaN inside).
    pub false_alarms: u64,
    /// Cases where a check panicked.
    pub panics: u64,
    /// The first incident, shrunk.
    pub first_incident: Option<Incident>,
}

/// The whole run.
///
/// ```
/// use jacobian_oracle::suite::catalogue;
/// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
///
/// let maps: Vec<_> = catalogue().into_iter().take(4).collect();
/// let config = SoakConfig { cases: 20, seed: 7, threads: 1, ..SoakConfig::default() };
/// let report = soak_entries(&config, &maps, |_| {});
/// assert_eq!((report.maps.len(), report.cases, report.seed), (4, 20, 7));
/// assert_eq!(report.maps.iter().map(|m| m.cases).sum::<u64>(), report.cases);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SoakReport {
    /// Per map, in catalogue order.
    pub maps: Vec<SoakMap>,
    /// Total cases.
    pub cases: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The seed.
    pub seed: u64,
}

impl SoakReport {
    /// Total false alarms.
    ///
    /// ```
    /// use jacobian_oracle::suite::mutants;
    /// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
    ///
    /// let wrong: Vec<_> = mutants().into_iter().filter(|e| e.name == "sign_error").collect();
    /// let config = SoakConfig { cases: 8, threads: 1, ..SoakConfig::default() };
    /// let report = soak_entries(&config, &wrong, |_| {});
    /// assert!(report.false_alarms() >= 1 && report.false_alarms() <= 8);
    /// assert_eq!(report.false_alarms(), report.maps[0].false_alarms);
    /// ```
    #[must_use]
    pub fn false_alarms(&self) -> u64 {
        self.maps.iter().map(|m| m.false_alarms).sum()
    }
    /// Total panics.
    ///
    /// ```
    /// use jacobian_oracle::suite::Entry;
    /// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
    ///
    /// // A check that panics (without the panic hook's message): every case counts.
    /// let boom = Entry::new("boom", "", |_, _| std::panic::resume_unwind(Box::new("boom")));
    /// let config = SoakConfig { cases: 5, threads: 1, ..SoakConfig::default() };
    /// let report = soak_entries(&config, &[boom], |_| {});
    /// assert_eq!((report.panics(), report.false_alarms()), (5, 0));
    /// let incident = report.maps[0].first_incident.as_ref().unwrap();
    /// assert_eq!((incident.kind.as_str(), incident.message.as_str()), ("panic", "boom"));
    /// ```
    #[must_use]
    pub fn panics(&self) -> u64 {
        self.maps.iter().map(|m| m.panics).sum()
    }
    /// Total cases that could not be judged.
    ///
    /// ```
    /// use jacobian_oracle::suite::Entry;
    /// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
    /// use jacobian_oracle::{AnalyticJacobian, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// use num_dual::DualNum;
    ///
    /// /// |x|, whose hand-written derivative takes the other branch at the kink.
    /// struct Abs;
    /// impl VectorFn for Abs {
    ///     fn input_dim(&self) -> usize { 1 }
    ///     fn output_dim(&self) -> usize { 1 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
    ///         x.map(|v| if v.re() >= 0.0 { v } else { -v })
    ///     }
    /// }
    /// impl AnalyticJacobian for Abs {
    ///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
    ///         DMatrix::from_element(1, 1, if x[0] > 0.0 { 1.0 } else { -1.0 })
    ///     }
    /// }
    ///
    /// // Checked at the kink whatever the case: never judged, never a false alarm.
    /// let kink = Entry::new("abs_at_0", "sign(x)", |oracle, _| oracle.check(&Abs, &DVector::zeros(1)));
    /// let config = SoakConfig { cases: 6, threads: 1, ..SoakConfig::default() };
    /// let report = soak_entries(&config, &[kink], |_| {});
    /// assert_eq!((report.cannot_judge(), report.false_alarms()), (6, 0));
    /// assert!(report.clean());
    /// ```
    #[must_use]
    pub fn cannot_judge(&self) -> u64 {
        self.maps.iter().map(|m| m.cannot_judge).sum()
    }
    /// Cases per second.
    ///
    /// ```
    /// use approx::assert_abs_diff_eq;
    /// use jacobian_oracle::suite::catalogue;
    /// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
    ///
    /// let maps: Vec<_> = catalogue().into_iter().take(2).collect();
    /// let config = SoakConfig { cases: 10, threads: 1, ..SoakConfig::default() };
    /// let r = soak_entries(&config, &maps, |_| {});
    /// let rate = r.cases_per_second();
    /// assert!(rate > 0.0 && rate.is_finite());
    /// assert_abs_diff_eq!(rate * r.seconds, 10.0, epsilon = 1e-6);
    /// ```
    #[must_use]
    pub fn cases_per_second(&self) -> f64 {
        self.cases as f64 / self.seconds.max(1e-9)
    }
    /// Whether the run is clean: no false alarm, no panic.
    ///
    /// ```
    /// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
    /// use jacobian_oracle::suite::{catalogue, mutants};
    ///
    /// let config = SoakConfig { cases: 8, threads: 1, ..SoakConfig::default() };
    /// let right: Vec<_> = catalogue().into_iter().filter(|e| e.name == "sigmoid_layer_x").collect();
    /// let wrong: Vec<_> = mutants().into_iter().filter(|e| e.name == "sign_error").collect();
    /// assert!(soak_entries(&config, &right, |_| {}).clean());
    /// assert!(!soak_entries(&config, &wrong, |_| {}).clean());
    /// ```
    #[must_use]
    pub fn clean(&self) -> bool {
        self.false_alarms() == 0 && self.panics() == 0
    }
}

/// How one case went.
enum Outcome {
    Pass,
    CannotJudge,
    Wrong { kind: String, message: String },
    Panic(String),
}

fn finite(a: &Agreement) -> bool {
    let stat = |s: &crate::report::EntryStat| !s.abs_error.is_nan() && !s.bound.is_nan();
    stat(&a.worst_analytic) && !a.worst_rel_error.is_nan() && a.worst_fd.as_ref().is_none_or(stat)
}

fn run_case(e: &Entry, oracle: &Oracle, case: &LayerCase) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| e.check(oracle, case))) {
        Ok(Ok(a)) if finite(&a) => Outcome::Pass,
        Ok(Ok(a)) => Outcome::Wrong {
            kind: "nan_in_agreement".to_string(),
            message: format!("{a:?}"),
        },
        Ok(Err(err)) if err.is_cannot_judge() => Outcome::CannotJudge,
        Ok(Err(err)) => Outcome::Wrong {
            kind: error_kind(&err).to_string(),
            message: err.to_string(),
        },
        Err(payload) => Outcome::Panic(
            payload
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with a non-string payload".to_string()),
        ),
    }
}

/// Shrinks a failing tree: the smallest case that still fails (in any wrong way).
fn shrink(
    e: &Entry,
    oracle: &Oracle,
    tree: &mut dyn ValueTree<Value = LayerCase>,
) -> (LayerCase, String, String) {
    let fails = |case: &LayerCase| match run_case(e, oracle, case) {
        Outcome::Wrong { kind, message } => Some((kind, message)),
        Outcome::Panic(m) => Some(("panic".to_string(), m)),
        Outcome::Pass | Outcome::CannotJudge => None,
    };
    let mut last = fails(&tree.current()).unwrap_or_default();
    let mut best = tree.current();
    for _ in 0..8192 {
        if !tree.simplify() {
            break;
        }
        match fails(&tree.current()) {
            Some(f) => {
                last = f;
                best = tree.current();
            }
            None => {
                if !tree.complicate() {
                    break;
                }
            }
        }
    }
    (best, last.0, last.1)
}

fn soak_map(e: &Entry, cases: u64, config: &SoakConfig, done: &AtomicU64) -> SoakMap {
    let suite = SuiteConfig {
        cases: 1,
        seed: config.seed,
        max_dim: config.max_dim,
    };
    let mut runner = runner(&suite, e.name);
    let strategy = strategy_for(e, &suite);
    let oracle = Oracle::default();
    let mut out = SoakMap {
        map: e.name,
        cases: 0,
        cannot_judge: 0,
        false_alarms: 0,
        panics: 0,
        first_incident: None,
    };
    for _ in 0..cases {
        let Ok(mut tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        out.cases += 1;
        done.fetch_add(1, Ordering::Relaxed);
        let bad = match run_case(e, &oracle, &tree.current()) {
            Outcome::Pass => false,
            Outcome::CannotJudge => {
                out.cannot_judge += 1;
                false
            }
            Outcome::Wrong { .. } => {
                out.false_alarms += 1;
                true
            }
            Outcome::Panic(_) => {
                out.panics += 1;
                true
            }
        };
        if bad && out.first_incident.is_none() {
            let (case, kind, message) = shrink(e, &oracle, tree.as_mut());
            out.first_incident = Some(Incident {
                map: e.name,
                kind,
                case,
                message,
            });
        }
    }
    out
}

/// Runs the soak: `config.cases` cases over the catalogue on `config.threads` threads.
/// `progress` is called from the calling thread five times a second with the cases done so
/// far.
///
/// ```
/// use jacobian_oracle::suite::catalogue;
/// use jacobian_oracle::suite::soak::{SoakConfig, soak};
///
/// // One case per catalogue map, on two threads.
/// let names: Vec<&str> = catalogue().iter().map(|e| e.name).collect();
/// let config = SoakConfig { cases: names.len() as u64, threads: 2, ..SoakConfig::default() };
/// let mut last = 0;
/// let report = soak(&config, |done| last = done);
/// assert!(report.clean());
/// assert_eq!(report.maps.iter().map(|m| m.map).collect::<Vec<_>>(), names);
/// assert!(report.maps.iter().all(|m| m.cases == 1));
/// assert_eq!(last, report.cases); // the final progress report
/// ```
#[must_use]
pub fn soak(config: &SoakConfig, progress: impl FnMut(u64)) -> SoakReport {
    soak_entries(config, &catalogue(), progress)
}

/// [`soak`] over any entries (your own maps, say, built with [`Entry::new`]).
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::suite::Entry;
/// use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};
/// let mine = Entry::new("my_layer", "diag(σ')W", |oracle, case| {
///     oracle.check(&SigmoidLayer::new(case.w.clone()), &case.x)
/// });
/// let report = soak_entries(&SoakConfig { cases: 100, threads: 1, ..SoakConfig::default() }, &[mine], |_| {});
/// assert!(report.clean());
/// ```
#[must_use]
pub fn soak_entries(
    config: &SoakConfig,
    entries: &[Entry],
    mut progress: impl FnMut(u64),
) -> SoakReport {
    let start = Instant::now();
    let count = (entries.len() as u64).max(1);
    // Cases per map: an even share, the remainder to the first maps.
    let share = |k: usize| config.cases / count + u64::from((k as u64) < config.cases % count);
    let next = AtomicUsize::new(0);
    let done = AtomicU64::new(0);
    let results: Mutex<Vec<Option<SoakMap>>> = Mutex::new(vec![None; entries.len()]);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..config.threads.max(1))
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(e) = entries.get(k) else { break };
                        let r = soak_map(e, share(k), config, &done);
                        results.lock().expect("no worker panics while holding it")[k] = Some(r);
                    }
                })
            })
            .collect();
        // Progress about five times a second, without making a short run wait for it.
        let mut last = Instant::now();
        while !workers.iter().all(|w| w.is_finished()) {
            std::thread::sleep(std::time::Duration::from_millis(5));
            if last.elapsed().as_millis() >= 200 {
                progress(done.load(Ordering::Relaxed));
                last = Instant::now();
            }
        }
        progress(done.load(Ordering::Relaxed));
    });
    let maps: Vec<SoakMap> = results
        .into_inner()
        .expect("workers finished")
        .into_iter()
        .map(|m| m.expect("every map ran"))
        .collect();
    SoakReport {
        cases: maps.iter().map(|m| m.cases).sum(),
        maps,
        seconds: start.elapsed().as_secs_f64(),
        seed: config.seed,
    }
}
