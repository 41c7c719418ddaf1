//! Proptest strategies for layer inputs: a weight matrix `W` and an input `x`, drawn so that
//! failures shrink well.
//!
//! * **Shapes first.** A [`LayerCase`] is drawn as `(regime, m, n, elements of W, elements
//!   of x)`, with the elements drawn for the largest shape and the leading `m×n` block kept.
//!   Tuples shrink left to right, so the shape shrinks before any value, and shrinking the
//!   shape keeps the values (no regeneration, unlike `prop_flat_map`).
//! * **Scales as regimes.** Values are drawn in a unit range and multiplied by the scales of
//!   a [`Regime`]: moderate, saturating (`|Wx|` in the hundreds), tiny or huge inputs, tiny
//!   weights. The regime shrinks first, toward [`Regime::Moderate`]: a failure that does not
//!   need an extreme scale then shrinks its shape where every row is informative (in
//!   saturation a row whose `σ'` underflows to 0 hides a mistake, which would make shape
//!   shrinking stop early).
//! * **Simple numbers.** Each unit value shrinks toward 0, then ±1, then integers, halves
//!   and sixteenths ([`simple_f64`]), so a minimal counterexample reads like a textbook
//!   example.
//!
//! ```
//! use jacobian_oracle::strategy::layer_case;
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let case = layer_case().max_dim(4).new_tree(&mut runner).unwrap().current();
//! assert!(case.w.nrows() <= 4 && case.w.ncols() <= 4);
//! assert_eq!(case.x.len(), case.w.ncols());
//! ```

use std::fmt;
use std::ops::RangeInclusive;

use nalgebra::{DMatrix, DVector};
use proptest::bool::weighted;
use proptest::collection::vec;
use proptest::strategy::{BoxedStrategy, NewTree, Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use crate::report::{matrix_literal, vec_literal};

/// Default largest number of rows and columns drawn.
///
/// ```
/// use jacobian_oracle::strategy::{DEFAULT_MAX_DIM, layer_case};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// for _ in 0..20 {
///     let (m, n) = layer_case().new_tree(&mut runner).unwrap().current().shape();
///     assert!((1..=DEFAULT_MAX_DIM).contains(&m) && (1..=DEFAULT_MAX_DIM).contains(&n));
/// }
/// ```
pub const DEFAULT_MAX_DIM: usize = 8;

/// The half-width of the unit range values are drawn from before scaling.
///
/// ```
/// use jacobian_oracle::strategy::{Regime, UNIT, layer_case};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let moderate = layer_case().regimes(&[Regime::Moderate]);
/// for _ in 0..20 {
///     let case = moderate.new_tree(&mut runner).unwrap().current();
///     assert!(case.w.iter().chain(case.x.iter()).all(|v| v.abs() <= UNIT));
/// }
/// ```
pub const UNIT: f64 = 4.0;

/// A scale regime: what `W` and `x` are multiplied by after being drawn in `[−4, 4]`.
///
/// ```
/// use jacobian_oracle::strategy::{Regime, UNIT, layer_case};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let case = layer_case()
///     .regimes(&[Regime::Saturating])
///     .new_tree(&mut runner)
///     .unwrap()
///     .current();
/// assert_eq!(case.regime, Regime::Saturating);
/// let (sw, sx) = Regime::Saturating.scales();
/// assert!(case.w.iter().all(|v| v.abs() <= sw * UNIT));
/// assert!(case.x.iter().all(|v| v.abs() <= sx * UNIT));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// `W, x ∈ [−4, 4]`: `|Wx|` up to about a hundred, typically 10 or so.
    Moderate,
    /// `W ∈ [−40, 40]`, `x ∈ [−12, 12]`: `|Wx|` typically several hundred — deep saturation,
    /// where `z` rounds to 0 or 1 and `z(1−z)` loses all relative precision.
    Saturating,
    /// `x` scaled by `1e-7`: the finite-difference step is floored at `ε^{1/3}`, far above `|x|`.
    TinyInput,
    /// `x` scaled by `1e6`, `W` by `1e-6`: the step scales with `|x|`.
    HugeInput,
    /// `W` scaled by `1e-7`: tiny Jacobian entries, a test of absolute floors.
    TinyWeights,
    /// `W, x` rounded to integers in `[−2, 2]`: pre-activations are small integers, often
    /// exactly 0 — on the kink of ReLU, leaky ReLU and ELU, on purpose.
    Integers,
}

impl Regime {
    /// Every regime, in shrinking order (the first is the simplest).
    ///
    /// ```
    /// use jacobian_oracle::strategy::Regime;
    /// use std::collections::HashSet;
    ///
    /// assert_eq!(Regime::ALL[0], Regime::Moderate);
    /// assert_eq!(Regime::ALL.iter().collect::<HashSet<_>>().len(), 6);
    /// ```
    pub const ALL: [Regime; 6] = [
        Regime::Moderate,
        Regime::Saturating,
        Regime::TinyInput,
        Regime::HugeInput,
        Regime::TinyWeights,
        Regime::Integers,
    ];

    /// `(scale of W, scale of x)`.
    ///
    /// ```
    /// use jacobian_oracle::strategy::Regime;
    /// assert_eq!(Regime::Moderate.scales(), (1.0, 1.0));
    /// ```
    #[must_use]
    pub fn scales(self) -> (f64, f64) {
        match self {
            Regime::Moderate => (1.0, 1.0),
            Regime::Saturating => (10.0, 3.0),
            Regime::TinyInput => (1.0, 1e-7),
            Regime::HugeInput => (1e-6, 1e6),
            Regime::TinyWeights => (1e-7, 1.0),
            Regime::Integers => (1.0, 1.0),
        }
    }

    /// A short lowercase name (`"moderate"`, `"saturating"`, …).
    ///
    /// ```
    /// use jacobian_oracle::strategy::Regime;
    /// use std::collections::HashSet;
    ///
    /// assert_eq!(Regime::HugeInput.name(), "huge_input");
    /// let names: HashSet<&str> = Regime::ALL.iter().map(|r| r.name()).collect();
    /// assert_eq!(names.len(), Regime::ALL.len());
    /// assert!(names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Regime::Moderate => "moderate",
            Regime::Saturating => "saturating",
            Regime::TinyInput => "tiny_input",
            Regime::HugeInput => "huge_input",
            Regime::TinyWeights => "tiny_weights",
            Regime::Integers => "integers",
        }
    }
}

/// A drawn layer input: weights `W` (`m×n`) and input `x` (length `n`).
///
/// ```
/// use jacobian_oracle::strategy::layer_case;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let case = layer_case().new_tree(&mut runner).unwrap().current();
/// assert_eq!(case.x.len(), case.w.ncols());
/// // Debug prints paste-ready Rust.
/// let text = format!("{case:?}");
/// assert!(text.contains("nalgebra::DMatrix::from_row_slice(") && text.contains("nalgebra::DVector::from_vec("));
/// ```
#[derive(Clone, PartialEq)]
pub struct LayerCase {
    /// The weights.
    pub w: DMatrix<f64>,
    /// The input.
    pub x: DVector<f64>,
    /// The regime the values were scaled by.
    pub regime: Regime,
}

impl LayerCase {
    /// `(m, n)`, the shape of `W`.
    ///
    /// ```
    /// use jacobian_oracle::strategy::{LayerCase, Regime};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let case = LayerCase { w: DMatrix::zeros(2, 3), x: DVector::zeros(3), regime: Regime::Moderate };
    /// assert_eq!(case.shape(), (2, 3));
    /// ```
    #[must_use]
    pub fn shape(&self) -> (usize, usize) {
        self.w.shape()
    }

    /// `Wx`, the pre-activations.
    ///
    /// ```
    /// use jacobian_oracle::strategy::{LayerCase, Regime};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let case = LayerCase {
    ///     w: DMatrix::from_row_slice(2, 2, &[1.0, 2.0, -1.0, 0.5]),
    ///     x: DVector::from_vec(vec![3.0, -1.0]),
    ///     regime: Regime::Moderate,
    /// };
    /// assert_eq!(case.preactivation(), DVector::from_vec(vec![1.0, -3.5]));
    /// ```
    #[must_use]
    pub fn preactivation(&self) -> DVector<f64> {
        &self.w * &self.x
    }
}

impl fmt::Debug for LayerCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LayerCase {{ w: {}, x: nalgebra::DVector::from_vec({}), regime: {:?} }}",
            matrix_literal(&self.w),
            vec_literal(&self.x),
            self.regime
        )
    }
}

/// The strategy of [`layer_case`]: a builder for shapes and regimes.
///
/// ```
/// use jacobian_oracle::strategy::{Regime, layer_case};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let strategy = layer_case().max_dim(5).regimes(&[Regime::Moderate, Regime::HugeInput]);
/// let mut tree = strategy.new_tree(&mut runner).unwrap();
/// // A test that fails for every case shrinks to the first regime, a 1×1 shape and zeros.
/// while tree.simplify() {}
/// let case = tree.current();
/// assert_eq!((case.regime, case.shape()), (Regime::Moderate, (1, 1)));
/// assert_eq!((case.w[(0, 0)], case.x[0]), (0.0, 0.0));
/// ```
#[derive(Debug, Clone)]
#[must_use = "strategies do nothing unless used"]
pub struct LayerCaseStrategy {
    max_rows: usize,
    max_cols: usize,
    square: bool,
    regimes: Vec<Regime>,
}

/// `W` and `x` with `1 ≤ m, n ≤ 8`, over every [`Regime`], shrinking shapes first.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::strategy::{layer_case, Regime};
/// use jacobian_oracle::Oracle;
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(16), |(case in layer_case().max_dim(3).regimes(&[Regime::Saturating]))| {
///     Oracle::default().check(&SigmoidLayer::new(case.w.clone()), &case.x)?;
/// });
/// ```
pub fn layer_case() -> LayerCaseStrategy {
    LayerCaseStrategy {
        max_rows: DEFAULT_MAX_DIM,
        max_cols: DEFAULT_MAX_DIM,
        square: false,
        regimes: Regime::ALL.to_vec(),
    }
}

impl LayerCaseStrategy {
    /// Largest `m` and `n` (at least 1).
    ///
    /// ```
    /// use jacobian_oracle::strategy::layer_case;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// for _ in 0..20 {
    ///     let (m, n) = layer_case().max_dim(2).new_tree(&mut runner).unwrap().current().shape();
    ///     assert!(m <= 2 && n <= 2);
    /// }
    /// ```
    pub fn max_dim(mut self, d: usize) -> Self {
        self.max_rows = d.max(1);
        self.max_cols = d.max(1);
        self
    }

    /// Largest `m` (at least 1).
    ///
    /// ```
    /// use jacobian_oracle::strategy::layer_case;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// for _ in 0..20 {
    ///     let case = layer_case().max_rows(1).new_tree(&mut runner).unwrap().current();
    ///     assert_eq!(case.w.nrows(), 1);
    /// }
    /// ```
    pub fn max_rows(mut self, m: usize) -> Self {
        self.max_rows = m.max(1);
        self
    }

    /// Largest `n` (at least 1).
    ///
    /// ```
    /// use jacobian_oracle::strategy::layer_case;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// for _ in 0..20 {
    ///     let case = layer_case().max_cols(1).new_tree(&mut runner).unwrap().current();
    ///     assert_eq!((case.w.ncols(), case.x.len()), (1, 1));
    /// }
    /// ```
    pub fn max_cols(mut self, n: usize) -> Self {
        self.max_cols = n.max(1);
        self
    }

    /// Only square `W` (`m = n ≤ min(max_rows, max_cols)`), for formulas that only type-check
    /// when `W` is square.
    ///
    /// ```
    /// use jacobian_oracle::strategy::layer_case;
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// for _ in 0..20 {
    ///     let (m, n) = layer_case().max_rows(6).max_cols(3).square().new_tree(&mut runner).unwrap().current().shape();
    ///     assert!(m == n && n <= 3);
    /// }
    /// ```
    pub fn square(mut self) -> Self {
        self.square = true;
        self
    }

    /// Draw from these regimes only (the first one is where shrinking ends up); an empty
    /// slice means [`Regime::Moderate`].
    ///
    /// ```
    /// use jacobian_oracle::strategy::{Regime, layer_case};
    /// use proptest::strategy::{Strategy, ValueTree};
    /// use proptest::test_runner::TestRunner;
    ///
    /// let mut runner = TestRunner::deterministic();
    /// for _ in 0..20 {
    ///     let case = layer_case().regimes(&[Regime::Integers]).new_tree(&mut runner).unwrap().current();
    ///     assert!(case.w.iter().chain(case.x.iter()).all(|v| v.fract() == 0.0 && v.abs() <= 2.0));
    /// }
    /// let case = layer_case().regimes(&[]).new_tree(&mut runner).unwrap().current();
    /// assert_eq!(case.regime, Regime::Moderate);
    /// ```
    pub fn regimes(mut self, regimes: &[Regime]) -> Self {
        self.regimes = if regimes.is_empty() {
            vec![Regime::Moderate]
        } else {
            regimes.to_vec()
        };
        self
    }

    fn build(&self) -> BoxedStrategy<LayerCase> {
        let (max_m, max_n) = if self.square {
            let d = self.max_rows.min(self.max_cols);
            (d, d)
        } else {
            (self.max_rows, self.max_cols)
        };
        let regimes = self.regimes.clone();
        let square = self.square;
        (
            ascending(0..=regimes.len() - 1),
            ascending(1..=max_m),
            ascending(1..=max_n),
            vec(simple_f64(-UNIT..=UNIT), max_m * max_n),
            vec(simple_f64(-UNIT..=UNIT), max_n),
        )
            .prop_map(move |(r, m, n, w_units, x_units)| {
                let n = if square { m } else { n };
                let regime = regimes[r];
                let (sw, sx) = regime.scales();
                // Integers: a unit value in [−4, 4] rounds to one of −2…2.
                let round = |v: f64| {
                    if regime == Regime::Integers {
                        (v / 2.0).round() + 0.0
                    } else {
                        v
                    }
                };
                LayerCase {
                    w: DMatrix::from_fn(m, n, |i, j| round(w_units[i + j * max_m]) * sw),
                    x: DVector::from_fn(n, |j, _| round(x_units[j]) * sx),
                    regime,
                }
            })
            .boxed()
    }
}

impl Strategy for LayerCaseStrategy {
    type Tree = Box<dyn ValueTree<Value = LayerCase>>;
    type Value = LayerCase;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        self.build().new_tree(runner)
    }
}

/// The strategy of [`simple_f64`].
///
/// ```
/// use jacobian_oracle::strategy::simple_f64;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let s = simple_f64(-4.0..=4.0);
/// let draws: Vec<f64> = (0..50).map(|_| s.new_tree(&mut runner).unwrap().current()).collect();
/// assert!(draws.iter().all(|v| (-4.0..=4.0).contains(v)));
/// // One draw in five is an integer.
/// assert!(draws.iter().any(|v| v.fract() == 0.0));
/// ```
#[derive(Debug, Clone)]
#[must_use = "strategies do nothing unless used"]
pub struct SimpleF64 {
    range: RangeInclusive<f64>,
}

/// An `f64` in `range` that shrinks toward simple numbers: 0, then ±1, ±2 and integers of
/// decreasing magnitude, then halves, then sixteenths (shrunk values may leave `range`). One draw in five is an integer
/// (so exact zeros and ones occur without shrinking).
///
/// ```
/// use jacobian_oracle::strategy::simple_f64;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let mut tree = simple_f64(-4.0..=4.0).new_tree(&mut runner).unwrap();
/// // A test that fails for every value ends at 0.
/// while tree.simplify() {}
/// assert_eq!(tree.current(), 0.0);
/// ```
pub fn simple_f64(range: RangeInclusive<f64>) -> SimpleF64 {
    SimpleF64 { range }
}

/// A direction of length `len` for [`crate::Oracle::check_jvp_along`] (an input tangent `v`)
/// or [`crate::Oracle::check_vjp_along`] (an output cotangent `u`): signed [`simple_f64`]
/// entries in `[-4, 4]`, each shrinking on its own toward 0, then ±1 and small integers, so a
/// failing direction shrinks to the few entries the failure needs.
///
/// ```
/// use jacobian_oracle::strategy::direction;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let mut tree = direction(3).new_tree(&mut runner).unwrap();
/// assert_eq!(tree.current().len(), 3);
/// // A failure that needs only a nonzero first entry keeps it and zeroes the rest.
/// while tree.simplify() {
///     if tree.current()[0] == 0.0 && !tree.complicate() {
///         break;
///     }
/// }
/// let v = tree.current();
/// assert!(v[0] != 0.0 && v[1] == 0.0 && v[2] == 0.0);
/// ```
pub fn direction(len: usize) -> impl Strategy<Value = DVector<f64>> {
    vec(simple_f64(-4.0..=4.0), len).prop_map(DVector::from_vec)
}

impl Strategy for SimpleF64 {
    type Tree = SimpleF64Tree;
    type Value = f64;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let (lo, hi) = (*self.range.start(), *self.range.end());
        let v = if weighted(0.2).new_tree(runner)?.current() {
            let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
            if a <= b {
                (a..=b).new_tree(runner)?.current() as f64
            } else {
                lo
            }
        } else {
            (lo..=hi).new_tree(runner)?.current()
        };
        Ok(SimpleF64Tree::new(v))
    }
}

/// The value tree of [`simple_f64`].
///
/// ```
/// use jacobian_oracle::strategy::simple_f64;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let mut tree = simple_f64(2.0..=4.0).new_tree(&mut runner).unwrap();
/// // A test that fails whenever |v| ≥ 1 shrinks to 1: 0 passes, ±1 is the next simplest.
/// while tree.simplify() {
///     if tree.current().abs() < 1.0 && !tree.complicate() {
///         break;
///     }
/// }
/// assert_eq!(tree.current(), 1.0);
/// ```
#[derive(Debug, Clone)]
pub struct SimpleF64Tree {
    accepted: f64,
    current: f64,
    candidates: Vec<f64>,
    next: usize,
}

impl SimpleF64Tree {
    fn new(v: f64) -> Self {
        SimpleF64Tree {
            accepted: v,
            current: v,
            candidates: simpler_than(v),
            next: 0,
        }
    }
}

/// How simple a number is: 0, then ±1, integers, halves, sixteenths, everything else.
fn rank(v: f64) -> u8 {
    if v == 0.0 {
        0
    } else if v.abs() == 1.0 {
        1
    } else if v.fract() == 0.0 {
        2
    } else if (v * 2.0).fract() == 0.0 {
        3
    } else if (v * 16.0).fract() == 0.0 {
        4
    } else {
        5
    }
}

/// Candidates strictly simpler than `v` (lower rank, or the same rank and smaller
/// magnitude), simplest first.
fn simpler_than(v: f64) -> Vec<f64> {
    let sign = if v < 0.0 { -1.0 } else { 1.0 };
    let mut c = vec![0.0, sign, -sign, 2.0 * sign, -2.0 * sign];
    if v.fract() == 0.0 {
        c.push((v / 2.0).trunc());
        c.push(v - v.signum());
    } else {
        c.push(v.trunc());
        c.push(v.trunc() + sign);
        c.push((v * 2.0).trunc() / 2.0);
        c.push((v * 16.0).trunc() / 16.0);
    }
    let key = |x: f64| (rank(x), x.abs());
    let mut out: Vec<f64> = Vec::new();
    for x in c {
        if x.is_finite() && key(x) < key(v) && !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

impl ValueTree for SimpleF64Tree {
    type Value = f64;

    fn current(&self) -> f64 {
        self.current
    }

    fn simplify(&mut self) -> bool {
        // Called when `current` still fails: it becomes the value to beat.
        if self.current != self.accepted {
            self.accepted = self.current;
            self.candidates = simpler_than(self.accepted);
            self.next = 0;
        }
        match self.candidates.get(self.next) {
            Some(&c) => {
                self.current = c;
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn complicate(&mut self) -> bool {
        // The last candidate passed: go back to the failing value (and try the next
        // candidate on the following `simplify`).
        if self.current != self.accepted {
            self.current = self.accepted;
            true
        } else {
            false
        }
    }
}

/// The strategy of [`ascending`].
///
/// ```
/// use jacobian_oracle::strategy::ascending;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let draws: Vec<usize> = (0..30).map(|_| ascending(3..=5).new_tree(&mut runner).unwrap().current()).collect();
/// assert!(draws.iter().all(|v| (3..=5).contains(v)));
/// assert!((3..=5).all(|v| draws.contains(&v))); // uniform: every value turns up
/// ```
#[derive(Debug, Clone)]
#[must_use = "strategies do nothing unless used"]
pub struct Ascending {
    range: RangeInclusive<usize>,
}

/// A `usize` in `range`, drawn uniformly, that shrinks by trying every smaller value from
/// the bottom of the range up: the smallest value that still fails is always found, even
/// when failing is not monotone in the value (a binary search can skip it — a 1-row case
/// may pass, a 3-row one pass too, and only a 2-row one fail). Used for shapes and regimes.
///
/// ```
/// use jacobian_oracle::strategy::ascending;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let mut tree = ascending(1..=8).new_tree(&mut runner).unwrap();
/// // A test that fails only when the value is 2 or 5 ends at 2 (if it started at ≥ 2).
/// let start = tree.current();
/// let fails = |v: usize| v == start || v == 2 || v == 5;
/// while tree.simplify() {
///     if !fails(tree.current()) && !tree.complicate() {
///         break;
///     }
/// }
/// assert_eq!(tree.current(), if start >= 2 { 2 } else { start });
/// ```
pub fn ascending(range: RangeInclusive<usize>) -> Ascending {
    Ascending { range }
}

impl Strategy for Ascending {
    type Tree = AscendingTree;
    type Value = usize;

    fn new_tree(&self, runner: &mut TestRunner) -> NewTree<Self> {
        let v = self.range.clone().new_tree(runner)?.current();
        Ok(AscendingTree {
            accepted: v,
            current: v,
            next: *self.range.start(),
        })
    }
}

/// The value tree of [`ascending`].
///
/// ```
/// use jacobian_oracle::strategy::ascending;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let mut tree = ascending(3..=9).new_tree(&mut runner).unwrap();
/// let start = tree.current();
/// // A test that passes on every smaller value: each is tried once, from the bottom up.
/// let mut tried = Vec::new();
/// while tree.simplify() {
///     tried.push(tree.current());
///     assert!(tree.complicate());
/// }
/// assert_eq!(tried, (3..start).collect::<Vec<_>>());
/// assert_eq!(tree.current(), start);
/// ```
#[derive(Debug, Clone)]
pub struct AscendingTree {
    accepted: usize,
    current: usize,
    next: usize,
}

impl ValueTree for AscendingTree {
    type Value = usize;

    fn current(&self) -> usize {
        self.current
    }

    fn simplify(&mut self) -> bool {
        if self.current != self.accepted {
            // The candidate failed, and every smaller one passed: it is the minimum.
            self.accepted = self.current;
            self.next = self.accepted;
        }
        if self.next < self.accepted {
            self.current = self.next;
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn complicate(&mut self) -> bool {
        if self.current != self.accepted {
            self.current = self.accepted;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_strictly_simpler() {
        for v in [3.7, -2.25, 0.3, 4.0, -1.0, 1.0, 0.0, 1e-9, -3.0] {
            for c in simpler_than(v) {
                assert!((rank(c), c.abs()) < (rank(v), v.abs()), "{c} from {v}");
            }
        }
        assert_eq!(
            simpler_than(3.7),
            vec![0.0, 1.0, -1.0, 2.0, -2.0, 3.0, 4.0, 3.5, 3.6875]
        );
        assert_eq!(simpler_than(-4.0), vec![0.0, -1.0, 1.0, -2.0, 2.0, -3.0]);
        assert_eq!(simpler_than(0.5), vec![0.0, 1.0, -1.0, 2.0, -2.0]);
        assert!(simpler_than(0.0).is_empty());
    }
}
