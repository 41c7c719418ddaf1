//! The catalogue and the mutants as runnable property checks, with a fixed seed: what the
//! report binary (`cargo run --release`) prints, and what the tests assert on.
//!
//! Every catalogue map is checked on `cases` random [`LayerCase`]s and must pass; every
//! mutant is run until the oracle catches it, and proptest shrinks the failure to a minimal
//! counterexample.
//!
//! ```
//! use jacobian_oracle::suite::{run_map, catalogue, SuiteConfig};
//! let config = SuiteConfig { cases: 16, ..SuiteConfig::default() };
//! let layer = catalogue().into_iter().find(|e| e.name == "sigmoid_layer_x").unwrap();
//! let report = run_map(&layer, &config);
//! assert!(report.passed(), "{:?}", report.failure);
//! assert_eq!(report.cases, 16);
//! ```

mod activations;
mod layers;
mod modes;
mod second_order;
pub mod soak;

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::time::Instant;

use nalgebra::DVector;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use crate::catalogue::{
    Sigmoid, SigmoidLayer, SigmoidLayerWeights, SigmoidNeuron, SigmoidNeuronWeights,
};
use crate::mutants::{
    LayerMutant, LayerMutantKind, NeuronSwapped, WeightsMutant, WeightsMutantKind,
};
use crate::report::Agreement;
use crate::strategy::{LayerCase, Regime, layer_case};
use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, CheckError, Oracle};

/// How the suite runs.
///
/// ```
/// use jacobian_oracle::suite::{DEFAULT_SEED, SuiteConfig};
/// let c = SuiteConfig::default();
/// assert_eq!((c.cases, c.seed, c.max_dim), (256, DEFAULT_SEED, 8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteConfig {
    /// Random cases per catalogue map (and the most a mutant may need to be caught).
    pub cases: u32,
    /// The seed of every runner (each entry derives its own stream from it and its name).
    pub seed: u64,
    /// Largest number of rows and columns of `W`.
    pub max_dim: usize,
}

/// The default seed of the report.
///
/// ```
/// use jacobian_oracle::plot_data::VANISHING_SEED;
/// use jacobian_oracle::suite::soak::SoakConfig;
/// use jacobian_oracle::suite::{DEFAULT_SEED, SuiteConfig};
/// assert_eq!(SuiteConfig::default().seed, DEFAULT_SEED);
/// assert_eq!(SoakConfig::default().seed, DEFAULT_SEED);
/// assert_eq!(VANISHING_SEED, DEFAULT_SEED);
/// ```
pub const DEFAULT_SEED: u64 = 0x5EED_1373;

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            cases: 256,
            seed: DEFAULT_SEED,
            max_dim: crate::strategy::DEFAULT_MAX_DIM,
        }
    }
}

type CheckFn = Box<dyn Fn(&Oracle, &LayerCase) -> Result<Agreement, CheckError> + Send + Sync>;

/// One runnable entry: a map (or mutant) built from a [`LayerCase`] and checked.
///
/// ```
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::strategy::{LayerCase, Regime};
/// use jacobian_oracle::suite::{catalogue, mutants};
/// use nalgebra::{DMatrix, DVector};
///
/// let case = LayerCase {
///     w: DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0]),
///     x: DVector::from_vec(vec![0.25, -0.5]),
///     regime: Regime::Moderate,
/// };
/// let right = catalogue().into_iter().find(|e| e.name == "sigmoid_layer_x").unwrap();
/// let wrong = mutants().into_iter().find(|e| e.name == "diagonal_on_wrong_side").unwrap();
/// assert_eq!((right.minimal_shape, wrong.minimal_shape), (None, Some((2, 2))));
/// let oracle = Oracle::default();
/// assert!(right.check(&oracle, &case).is_ok());
/// assert!(wrong.check(&oracle, &case).is_err());
/// ```
pub struct Entry {
    /// Snake-case name.
    pub name: &'static str,
    /// The formula (for a mutant, the wrong one).
    pub formula: &'static str,
    /// Whether cases must have a square `W`.
    pub square: bool,
    /// For a mutant, the smallest shape of `W` that shows the mistake.
    pub minimal_shape: Option<(usize, usize)>,
    check: CheckFn,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("formula", &self.formula)
            .field("square", &self.square)
            .field("minimal_shape", &self.minimal_shape)
            .finish_non_exhaustive()
    }
}

impl Entry {
    /// Checks this entry's map on one case.
    ///
    /// # Errors
    ///
    /// The oracle's verdict, as from [`Oracle::check`].
    ///
    /// ```
    /// use jacobian_oracle::Oracle;
    /// use jacobian_oracle::strategy::{LayerCase, Regime};
    /// use jacobian_oracle::suite::{catalogue, error_kind, mutants};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let case = LayerCase {
    ///     w: DMatrix::from_element(1, 1, 2.0),
    ///     x: DVector::from_element(1, 0.5),
    ///     regime: Regime::Moderate,
    /// };
    /// let oracle = Oracle::default();
    /// let sigmoid = catalogue().into_iter().find(|e| e.name == "sigmoid").unwrap();
    /// assert!(sigmoid.check(&oracle, &case).is_ok());
    /// let sign_error = mutants().into_iter().find(|e| e.name == "sign_error").unwrap();
    /// let err = sign_error.check(&oracle, &case).unwrap_err();
    /// assert_eq!(error_kind(&err), "mismatch");
    /// ```
    pub fn check(&self, oracle: &Oracle, case: &LayerCase) -> Result<Agreement, CheckError> {
        (self.check)(oracle, case)
    }
}

impl Entry {
    /// An entry whose map, built from a case, is checked with [`Oracle::check`].
    pub(crate) fn jacobian<F: AnalyticJacobian + 'static>(
        name: &'static str,
        formula: &'static str,
        build: impl Fn(&LayerCase) -> (F, DVector<f64>) + Send + Sync + 'static,
    ) -> Entry {
        Entry::new(name, formula, move |oracle, case| {
            let (f, x) = build(case);
            oracle.check(&f, &x)
        })
    }

    /// An entry whose scalar function, built from a case, has its gradient checked with
    /// [`Oracle::check_gradient`].
    pub(crate) fn gradient<F: AnalyticGradient + 'static>(
        name: &'static str,
        formula: &'static str,
        build: impl Fn(&LayerCase) -> (F, DVector<f64>) + Send + Sync + 'static,
    ) -> Entry {
        Entry::new(name, formula, move |oracle, case| {
            let (f, x) = build(case);
            oracle.check_gradient(&f, &x)
        })
    }

    /// An entry whose scalar function, built from a case, has its Hessian checked with
    /// [`Oracle::check_hessian`].
    pub(crate) fn hessian<F: AnalyticHessian + 'static>(
        name: &'static str,
        formula: &'static str,
        build: impl Fn(&LayerCase) -> (F, DVector<f64>) + Send + Sync + 'static,
    ) -> Entry {
        Entry::new(name, formula, move |oracle, case| {
            let (f, x) = build(case);
            oracle.check_hessian(&f, &x)
        })
    }

    /// An entry with any check of a case: for soaking your own maps with
    /// [`soak::soak_entries`].
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::suite::Entry;
    /// let e = Entry::new("my_layer", "diag(σ')W", |oracle, case| {
    ///     oracle.check(&SigmoidLayer::new(case.w.clone()), &case.x)
    /// });
    /// assert_eq!(e.name, "my_layer");
    /// ```
    pub fn new(
        name: &'static str,
        formula: &'static str,
        check: impl Fn(&Oracle, &LayerCase) -> Result<Agreement, CheckError> + Send + Sync + 'static,
    ) -> Entry {
        Entry {
            name,
            formula,
            square: false,
            minimal_shape: None,
            check: Box::new(check),
        }
    }

    /// Marks a mutant with the smallest shape of `W` that shows its mistake.
    pub(crate) fn minimal(mut self, shape: (usize, usize)) -> Entry {
        self.minimal_shape = Some(shape);
        self
    }

    /// Restricts the entry to square `W`.
    pub(crate) fn square_only(mut self) -> Entry {
        self.square = true;
        self
    }
}

/// Every catalogue map, built from a case `(W, x)`: the sigmoid maps of the seed example
/// (`sigmoid`, `sigmoid_neuron_x`, `sigmoid_neuron_w`, `sigmoid_layer_x`, `sigmoid_layer_w`),
/// then the activations, layers and second-order checks of the later families, and the
/// sigmoid layer through the other modes (VJP, JVP, projections, `f32`, black box).
///
/// ```
/// use jacobian_oracle::suite::catalogue;
/// use std::collections::HashSet;
///
/// let maps = catalogue();
/// let names: Vec<&str> = maps.iter().map(|e| e.name).collect();
/// assert_eq!(names[..5], ["sigmoid", "sigmoid_neuron_x", "sigmoid_neuron_w", "sigmoid_layer_x", "sigmoid_layer_w"]);
/// assert_eq!(names.iter().collect::<HashSet<_>>().len(), names.len());
/// assert!(maps.iter().all(|e| e.minimal_shape.is_none())); // right maps, not mutants
/// ```
#[must_use]
pub fn catalogue() -> Vec<Entry> {
    let mut out = sigmoid_maps();
    out.extend(activations::maps());
    out.extend(layers::maps());
    out.extend(second_order::maps());
    out.extend(modes::maps());
    out
}

/// Every mutant, built from a case `(W, x)`.
///
/// ```
/// use jacobian_oracle::suite::{catalogue, mutants};
///
/// let maps: Vec<&str> = catalogue().iter().map(|e| e.name).collect();
/// let wrong = mutants();
/// assert!(wrong.iter().all(|e| e.minimal_shape.is_some() && !maps.contains(&e.name)));
/// assert!(wrong.iter().any(|e| e.name == "transposed_w" && e.square));
/// ```
#[must_use]
pub fn mutants() -> Vec<Entry> {
    let mut out = sigmoid_mutants();
    out.extend(activations::mutants());
    out.extend(layers::mutants());
    out.extend(second_order::mutants());
    out
}

/// The five maps of the seed example:
///
/// * `sigmoid`: the scalar `σ` at `a = (Wx)₀`;
/// * `sigmoid_neuron_x`, `sigmoid_neuron_w`: `σ(wᵀx)` with `w` the first row of `W`, as a
///   function of `x` and of `w`;
/// * `sigmoid_layer_x`, `sigmoid_layer_w`: `σ(Wx)` as a function of `x` and of `vec(W)`.
fn sigmoid_maps() -> Vec<Entry> {
    vec![
        Entry::jacobian("sigmoid", "σ'(a) = σ(a)(1−σ(a))", |c| {
            (Sigmoid, DVector::from_element(1, c.preactivation()[0]))
        }),
        Entry::jacobian("sigmoid_neuron_x", "∂z/∂x = z(1−z) w", |c| {
            (SigmoidNeuron::new(c.w.row(0).transpose()), c.x.clone())
        }),
        Entry::jacobian("sigmoid_neuron_w", "∂z/∂w = z(1−z) x", |c| {
            (
                SigmoidNeuronWeights::new(c.x.clone()),
                c.w.row(0).transpose(),
            )
        }),
        Entry::jacobian("sigmoid_layer_x", "∂z/∂x = diag(z∘(1−z)) W", |c| {
            (SigmoidLayer::new(c.w.clone()), c.x.clone())
        }),
        Entry::jacobian(
            "sigmoid_layer_w",
            "∂z/∂vec(W) = xᵀ ⊗ diag(z∘(1−z))",
            |c| {
                (
                    SigmoidLayerWeights::new(c.w.nrows(), c.x.clone()),
                    DVector::from_column_slice(c.w.as_slice()),
                )
            },
        ),
    ]
}

/// The mutants of the sigmoid example ([`crate::mutants`]).
fn sigmoid_mutants() -> Vec<Entry> {
    let mut out = Vec::new();
    for kind in LayerMutantKind::ALL {
        let e = Entry::jacobian(kind.name(), kind.formula(), move |c| {
            (LayerMutant::new(kind, c.w.clone()), c.x.clone())
        })
        .minimal(kind.minimal_shape());
        out.push(if kind.square_only() {
            e.square_only()
        } else {
            e
        });
    }
    for kind in WeightsMutantKind::ALL {
        out.push(
            Entry::jacobian(kind.name(), kind.formula(), move |c| {
                (
                    WeightsMutant::new(kind, c.w.nrows(), c.x.clone()),
                    DVector::from_column_slice(c.w.as_slice()),
                )
            })
            .minimal(kind.minimal_shape()),
        );
    }
    out.push(
        Entry::jacobian(NeuronSwapped::NAME, NeuronSwapped::FORMULA, |c| {
            (NeuronSwapped::new(c.w.row(0).transpose()), c.x.clone())
        })
        .minimal((1, 1)),
    );
    out
}

/// The runner of one entry: `cases` cases, no failure persistence (the report is
/// reproducible from its seed alone), a random stream derived from the seed and the name.
fn runner(config: &SuiteConfig, name: &str) -> TestRunner {
    let mut bytes = [0u8; 32];
    // FNV-1a of the name, mixed with the seed: a distinct, stable stream per entry.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ config.seed;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let v = h.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    let proptest_config = Config {
        cases: config.cases,
        failure_persistence: None,
        max_global_rejects: config.cases.saturating_mul(4).max(1024),
        // Shrinking is cheap here; do not let a small `cases` cut it short (proptest's
        // fallback limit is four iterations per case).
        max_shrink_iters: 8192,
        ..Config::default()
    };
    TestRunner::new_with_rng(
        proptest_config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

fn strategy_for(e: &Entry, config: &SuiteConfig) -> crate::strategy::LayerCaseStrategy {
    let s = layer_case().max_dim(config.max_dim);
    if e.square { s.square() } else { s }
}

/// What a catalogue map did over its cases.
///
/// ```
/// use jacobian_oracle::suite::{SuiteConfig, catalogue, run_map};
///
/// let config = SuiteConfig { cases: 8, ..SuiteConfig::default() };
/// let map = catalogue().into_iter().find(|e| e.name == "sigmoid_neuron_x").unwrap();
/// let r = run_map(&map, &config);
/// assert_eq!(r.cases, 8);
/// assert_eq!(r.regimes.iter().sum::<u32>(), 8);
/// assert!(!r.shapes.is_empty() && r.shapes.len() <= 8);
/// assert!(r.worst_tolerance_ratio < 1.0 && r.failure.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MapReport {
    /// The map's name.
    pub name: &'static str,
    /// The formula checked.
    pub formula: &'static str,
    /// Cases checked (not counting shrinking).
    pub cases: u32,
    /// Distinct shapes of `W` covered.
    pub shapes: BTreeSet<(usize, usize)>,
    /// Cases per regime, in [`Regime::ALL`] order.
    pub regimes: [u32; Regime::ALL.len()],
    /// Largest relative analytic-vs-dual error among well-conditioned entries.
    pub worst_rel_error: f64,
    /// Largest analytic-vs-dual error as a fraction of its tolerance (< 1 passes).
    pub worst_tolerance_ratio: f64,
    /// Largest dual-vs-finite-difference gap as a multiple of its error estimate (passes
    /// below the safety factor, 4 by default).
    pub worst_fd_ratio: f64,
    /// Entries that passed with a precision-loss note (e.g. `z(1−z)` in saturation).
    pub precision_loss_entries: u64,
    /// Cases that could not be judged (non-smooth points where the analytic value differs
    /// from the dual one's branch).
    pub cannot_judge: u32,
    /// Entries at non-smooth points where the analytic value agrees with the dual one's
    /// branch (passed, with a note).
    pub non_smooth_entries: u64,
    /// The failure, if the map failed: the minimal case and the oracle's message.
    pub failure: Option<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl MapReport {
    /// Whether every case passed.
    ///
    /// ```
    /// use jacobian_oracle::suite::{SuiteConfig, mutants, run_map};
    ///
    /// // A mutant run as if it were a right map fails, with its minimal case.
    /// let config = SuiteConfig { cases: 8, ..SuiteConfig::default() };
    /// let wrong = mutants().into_iter().find(|e| e.name == "sign_error").unwrap();
    /// let r = run_map(&wrong, &config);
    /// assert!(!r.passed());
    /// assert!(r.failure.unwrap().contains("minimal case"));
    /// ```
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Checks a catalogue map on `config.cases` cases.
///
/// ```
/// use jacobian_oracle::suite::{SuiteConfig, catalogue, run_map};
///
/// let config = SuiteConfig { cases: 8, max_dim: 3, ..SuiteConfig::default() };
/// let map = catalogue().into_iter().find(|e| e.name == "sigmoid_layer_w").unwrap();
/// let r = run_map(&map, &config);
/// assert!(r.passed(), "{:?}", r.failure);
/// assert_eq!((r.name, r.cases, r.cannot_judge), ("sigmoid_layer_w", 8, 0));
/// assert!(r.shapes.iter().all(|&(m, n)| m <= 3 && n <= 3));
/// ```
#[must_use]
pub fn run_map(e: &Entry, config: &SuiteConfig) -> MapReport {
    let start = Instant::now();
    let oracle = Oracle::default().with_full_statistics(true);
    let report = RefCell::new(MapReport {
        name: e.name,
        formula: e.formula,
        cases: 0,
        shapes: BTreeSet::new(),
        regimes: [0; Regime::ALL.len()],
        worst_rel_error: 0.0,
        worst_tolerance_ratio: 0.0,
        worst_fd_ratio: 0.0,
        precision_loss_entries: 0,
        cannot_judge: 0,
        non_smooth_entries: 0,
        failure: None,
        seconds: 0.0,
    });
    let failed = RefCell::new(false);
    let result = runner(config, e.name).run(&strategy_for(e, config), |case| {
        let outcome = e.check(&oracle, &case);
        if *failed.borrow() {
            // Shrinking: do not count these in the statistics.
            return outcome
                .map(|_| ())
                .map_err(CheckError::into_test_case_error);
        }
        let mut r = report.borrow_mut();
        r.cases += 1;
        r.shapes.insert(case.shape());
        if let Some(k) = Regime::ALL.iter().position(|&g| g == case.regime) {
            r.regimes[k] += 1;
        }
        match outcome {
            Ok(a) => {
                r.worst_rel_error = r.worst_rel_error.max(a.worst_rel_error);
                r.worst_tolerance_ratio = r.worst_tolerance_ratio.max(a.worst_analytic.ratio());
                if let Some(fd) = a.worst_fd {
                    r.worst_fd_ratio = r.worst_fd_ratio.max(fd.ratio());
                }
                r.precision_loss_entries += a.precision_loss_entries() as u64;
                r.non_smooth_entries += a.non_smooth_entries() as u64;
                Ok(())
            }
            Err(err) => {
                if err.is_cannot_judge() {
                    r.cannot_judge += 1;
                } else {
                    *failed.borrow_mut() = true;
                }
                Err(err.into_test_case_error())
            }
        }
    });
    let mut r = report.into_inner();
    if let Err(e) = result {
        r.failure = Some(match e {
            TestError::Fail(reason, case) => format!("{reason}\nminimal case: {case:?}"),
            TestError::Abort(reason) => format!("aborted: {reason}"),
        });
    }
    r.seconds = start.elapsed().as_secs_f64();
    r
}

/// What a mutant did: caught or missed, and its minimal counterexample.
///
/// ```
/// use jacobian_oracle::suite::{SuiteConfig, mutants, run_mutant};
///
/// let config = SuiteConfig { cases: 16, ..SuiteConfig::default() };
/// let e = mutants().into_iter().find(|e| e.name == "sign_error").unwrap();
/// let r = run_mutant(&e, &config);
/// assert!(r.caught() && r.cases <= 16);
/// assert_eq!(r.caught_by, Some("mismatch"));
/// assert_eq!(r.minimal_shape(), Some(r.expected_shape));
/// assert!(r.message.is_some());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MutantReport {
    /// The mutant's name.
    pub name: &'static str,
    /// The wrong formula.
    pub formula: &'static str,
    /// Cases run until the first failure (all of them if missed).
    pub cases: u32,
    /// The shrunk counterexample, if caught.
    pub minimal: Option<LayerCase>,
    /// The kind of error it was caught with (`"mismatch"`, …).
    pub caught_by: Option<&'static str>,
    /// The oracle's message for the minimal counterexample.
    pub message: Option<String>,
    /// The smallest shape of `W` that shows the mistake.
    pub expected_shape: (usize, usize),
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl MutantReport {
    /// Whether the mutant was caught.
    ///
    /// ```
    /// use jacobian_oracle::suite::{SuiteConfig, catalogue, run_mutant};
    ///
    /// // A right map run as a mutant is never caught: every case runs.
    /// let config = SuiteConfig { cases: 8, ..SuiteConfig::default() };
    /// let right = catalogue().into_iter().find(|e| e.name == "sigmoid").unwrap();
    /// let r = run_mutant(&right, &config);
    /// assert!(!r.caught());
    /// assert_eq!((r.cases, r.caught_by), (8, None));
    /// ```
    #[must_use]
    pub fn caught(&self) -> bool {
        self.minimal.is_some()
    }

    /// The shape of the minimal counterexample's `W`.
    ///
    /// ```
    /// use jacobian_oracle::suite::{SuiteConfig, mutants, run_mutant};
    ///
    /// let config = SuiteConfig { cases: 16, ..SuiteConfig::default() };
    /// let e = mutants().into_iter().find(|e| e.name == "shifted_row").unwrap();
    /// // σ'_{i+1} instead of σ'_i needs two rows to show.
    /// assert_eq!(run_mutant(&e, &config).minimal_shape(), Some((2, 1)));
    /// ```
    #[must_use]
    pub fn minimal_shape(&self) -> Option<(usize, usize)> {
        self.minimal.as_ref().map(LayerCase::shape)
    }
}

/// The name of a [`CheckError`] variant, in snake case.
///
/// ```
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::suite::error_kind;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_element(2, 3, 0.5));
/// let err = Oracle::default().check(&layer, &DVector::zeros(2)).unwrap_err();
/// assert_eq!(error_kind(&err), "input_length");
/// ```
#[must_use]
pub fn error_kind(e: &CheckError) -> &'static str {
    match e {
        CheckError::Mismatch(_) => "mismatch",
        CheckError::EvalDerivative(_) => "eval_derivative",
        CheckError::CannotJudge(_) => "cannot_judge",
        CheckError::EmptyMap { .. } => "empty_map",
        CheckError::InputLength { .. } => "input_length",
        CheckError::NonFiniteInput { .. } => "non_finite_input",
        CheckError::EvalLength { .. } => "eval_length",
        CheckError::NonFiniteEval { .. } => "non_finite_eval",
        CheckError::NonFiniteDual { .. } => "non_finite_dual",
        CheckError::InvalidOracle { .. } => "invalid_oracle",
        CheckError::NotAdjoint(_) => "not_adjoint",
        CheckError::OutOfF32Range { .. } => "out_of_f32_range",
        CheckError::DirectionLength { .. } => "direction_length",
        CheckError::NonFiniteDirection { .. } => "non_finite_direction",
        CheckError::AnalyticShape { .. } => "analytic_shape",
    }
}

/// Runs a mutant until the oracle catches it (at most `config.cases` cases) and shrinks the
/// failure.
///
/// ```
/// use jacobian_oracle::strategy::Regime;
/// use jacobian_oracle::suite::{SuiteConfig, mutants, run_mutant};
///
/// let config = SuiteConfig { cases: 16, ..SuiteConfig::default() };
/// let e = mutants().into_iter().find(|e| e.name == "diagonal_on_wrong_side").unwrap();
/// let r = run_mutant(&e, &config);
/// let minimal = r.minimal.unwrap();
/// assert_eq!(minimal.shape(), (2, 2));
/// assert_eq!(minimal.regime, Regime::Moderate);
/// assert!(minimal.w.iter().all(|v| (v * 16.0).fract() == 0.0)); // simple numbers
/// ```
#[must_use]
pub fn run_mutant(e: &Entry, config: &SuiteConfig) -> MutantReport {
    let start = Instant::now();
    let oracle = Oracle::default().with_full_statistics(true);
    let cases = RefCell::new(0u32);
    let caught = RefCell::new(false);
    let result = runner(config, e.name).run(&strategy_for(e, config), |case| {
        if !*caught.borrow() {
            *cases.borrow_mut() += 1;
        }
        let outcome = e.check(&oracle, &case);
        if outcome.as_ref().is_err_and(|err| !err.is_cannot_judge()) {
            *caught.borrow_mut() = true;
        }
        outcome
            .map(|_| ())
            .map_err(CheckError::into_test_case_error)
    });
    let (minimal, caught_by, message) = match result {
        Err(TestError::Fail(_, case)) => {
            let err = e.check(&oracle, &case).err();
            (
                Some(case),
                err.as_ref().map(error_kind),
                err.map(|e| e.to_string()),
            )
        }
        _ => (None, None, None),
    };
    MutantReport {
        name: e.name,
        formula: e.formula,
        cases: cases.into_inner(),
        minimal,
        caught_by,
        message,
        expected_shape: e.minimal_shape.unwrap_or((1, 1)),
        seconds: start.elapsed().as_secs_f64(),
    }
}
