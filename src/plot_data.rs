//! The data behind the `plot` command's three figures, as plain series of `(x, y)` points:
//! what finite differences get wrong as the step shrinks ([`fd_error`]), how the Jacobian of
//! a deep sigmoid network vanishes ([`vanishing_gradient`]), and how much relative precision
//! the textbook `σ' = z(1 − z)` loses in saturation ([`sigmoid_precision`]).
//!
//! Nothing here draws: the command line (feature `cli`) turns each [`Plot`] into an SVG file
//! with the data embedded, so that a figure can be checked against what this module computes.
//! Every number is deterministic: the random weights come from a fixed seed
//! ([`VANISHING_SEED`]) and a generator written out here (SplitMix64).
//!
//! Sources: Press et al., *Numerical Recipes*, 3rd ed., §5.7 (the step `h ∝ ε^{1/3}` and the
//! two branches of the error of a central difference); Murphy, *Probabilistic Machine
//! Learning: An Introduction* (2022), sec. 13.4.2 (vanishing gradients) and eq. 13.73
//! (`σ' = σ(1 − σ)`); Glorot & Bengio, *Understanding the difficulty of training deep
//! feedforward neural networks*, AISTATS 2010, eq. 16 (the initialisation).
//!
//! ```
//! use jacobian_oracle::plot_data::{plots, PlotOptions};
//!
//! let figures = plots(&PlotOptions::default());
//! assert_eq!(figures.len(), 3);
//! for plot in &figures {
//!     assert!(!plot.series.is_empty(), "{}", plot.name);
//!     // Every plotted point is a finite number (a log axis needs positive y, and gets it).
//!     for series in &plot.series {
//!         assert!(series.points.iter().all(|&(x, y)| x.is_finite() && y.is_finite()));
//!     }
//! }
//! ```

use nalgebra::{DMatrix, DVector};

use crate::catalogue::{
    Activation, ActivationLayer, Elementwise, Mlp, sigmoid_derivative, sigmoid_derivative_stable,
};
use crate::fd::{Eval, Stencil, step};
use crate::{VectorFn, dual};

/// How a series is meant to be drawn.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{SeriesStyle, fd_error};
///
/// let plot = fd_error(Activation::Tanh, 0.5);
/// let styles: Vec<SeriesStyle> = plot.series.iter().map(|s| s.style).collect();
/// assert_eq!(styles, [SeriesStyle::Line, SeriesStyle::Line, SeriesStyle::Scatter, SeriesStyle::Markers]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A measured curve: a solid line through the points.
    Line,
    /// A theoretical bound or model, drawn as a thin line for comparison.
    Guide,
    /// Many points without a line (a quantity that jumps between neighbouring points), drawn
    /// as small dots.
    Scatter,
    /// A few highlighted points, drawn as large markers.
    Markers,
}

impl SeriesStyle {
    /// `"line"`, `"guide"`, `"scatter"` or `"markers"`.
    ///
    /// ```
    /// use jacobian_oracle::plot_data::SeriesStyle;
    /// assert_eq!(SeriesStyle::Guide.name(), "guide");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SeriesStyle::Line => "line",
            SeriesStyle::Guide => "guide",
            SeriesStyle::Scatter => "scatter",
            SeriesStyle::Markers => "markers",
        }
    }
}

/// One named curve of a plot.
///
/// ```
/// use jacobian_oracle::plot_data::sigmoid_precision;
///
/// for series in sigmoid_precision().series {
///     assert!(series.points.windows(2).all(|w| w[0].0 < w[1].0), "{}", series.name);
///     assert!(series.points.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// How it is drawn.
    pub style: SeriesStyle,
    /// The points `(x, y)`, in order of `x`. Every coordinate is finite; a `y` of 0 (an exact
    /// result) is kept, and a log axis has to place it somewhere (the command line draws it
    /// at the bottom edge).
    pub points: Vec<(f64, f64)>,
}

/// A vertical line at `x`, with a legend entry.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::fd::step;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, fd_error};
///
/// let plot = fd_error(Activation::Softplus, 2.5);
/// let rule = &plot.rules[0];
/// assert_eq!(Some(rule.x), step(2.5)); // the oracle's step
/// let central = &plot.series_named(FD_CENTRAL).unwrap().points;
/// assert!(central[0].0 < rule.x && rule.x < central[central.len() - 1].0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The legend entry.
    pub name: String,
    /// Where it stands.
    pub x: f64,
}

/// A figure's data: axes, series and vertical rules.
///
/// ```
/// use jacobian_oracle::plot_data::sigmoid_precision;
///
/// let plot = sigmoid_precision();
/// assert_eq!(plot.name, "sigmoid_precision");
/// assert!(!plot.log_x && plot.log_y);
/// assert_eq!((plot.series.len(), plot.rules.len()), (3, 0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// The file stem (`"fd_error"`, `"vanishing_gradient"`, `"sigmoid_precision"`).
    pub name: &'static str,
    /// The caption.
    pub title: String,
    /// The horizontal axis's label.
    pub x_label: String,
    /// The vertical axis's label.
    pub y_label: String,
    /// Whether the horizontal axis is logarithmic.
    pub log_x: bool,
    /// Whether the vertical axis is logarithmic.
    pub log_y: bool,
    /// The curves, drawn in this order.
    pub series: Vec<Series>,
    /// Vertical lines.
    pub rules: Vec<Rule>,
}

impl Plot {
    /// The series called `name`, if there is one.
    ///
    /// ```
    /// use jacobian_oracle::plot_data::vanishing_gradient;
    /// let plot = vanishing_gradient();
    /// assert_eq!(plot.series_named("tanh").unwrap().points.len(), 30);
    /// assert!(plot.series_named("softmax").is_none());
    /// ```
    #[must_use]
    pub fn series_named(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.name == name)
    }
}

/// The options of the `plot` command.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_MAPS, PlotOptions, plots};
///
/// let default = PlotOptions::default();
/// assert_eq!((default.map, default.at), (Activation::Sigmoid, 1.0));
/// assert!(FD_MAPS.contains(&default.map));
/// let first = &plots(&PlotOptions { map: Activation::Tanh, at: 0.5 })[0];
/// assert!(first.title.starts_with("tanh'(0.5) = "), "{}", first.title);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotOptions {
    /// The map of [`fd_error`] (one of [`FD_MAPS`]).
    pub map: Activation,
    /// The point of [`fd_error`].
    pub at: f64,
}

impl Default for PlotOptions {
    /// The sigmoid at `a = 1`.
    fn default() -> Self {
        PlotOptions {
            map: Activation::Sigmoid,
            at: 1.0,
        }
    }
}

/// The three figures for `options`, in the order `fd_error`, `vanishing_gradient`,
/// `sigmoid_precision`.
///
/// # Panics
///
/// If `options.at` is not finite.
///
/// ```
/// use jacobian_oracle::plot_data::{plots, PlotOptions};
/// let names: Vec<&str> = plots(&PlotOptions::default()).iter().map(|p| p.name).collect();
/// assert_eq!(names, ["fd_error", "vanishing_gradient", "sigmoid_precision"]);
/// ```
#[must_use]
pub fn plots(options: &PlotOptions) -> Vec<Plot> {
    vec![
        fd_error(options.map, options.at),
        vanishing_gradient(),
        sigmoid_precision(),
    ]
}

// ---------------------------------------------------------------------------------------------
// Finite-difference error against step size
// ---------------------------------------------------------------------------------------------

/// The smooth activations [`fd_error`] accepts (the kinked ones have no `f'''` for the
/// truncation branch to follow at 0).
///
/// ```
/// use jacobian_oracle::plot_data::{FD_MAPS, fd_map};
///
/// for a in FD_MAPS {
///     assert!(a.is_smooth());
///     assert_eq!(fd_map(a.name()), Some(a));
/// }
/// ```
pub const FD_MAPS: [Activation; 8] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Softplus,
    Activation::LogSigmoid,
    Activation::Silu,
    Activation::GeluErf,
    Activation::GeluTanh,
    Activation::Softsign,
];

/// The activation of [`FD_MAPS`] called `name` ([`Activation::name`]).
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::fd_map;
/// assert_eq!(fd_map("gelu_erf"), Some(Activation::GeluErf));
/// assert_eq!(fd_map("relu"), None); // a kink at 0
/// ```
#[must_use]
pub fn fd_map(name: &str) -> Option<Activation> {
    FD_MAPS.into_iter().find(|a| a.name() == name)
}

/// The smallest step of [`fd_error`]'s grid, relative to `max(1, |x|)`.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, FD_SMALLEST_STEP, fd_error};
///
/// // At a = 2 the steps scale with |a|.
/// let plot = fd_error(Activation::Sigmoid, 2.0);
/// let first = plot.series_named(FD_CENTRAL).unwrap().points[0].0;
/// assert_abs_diff_eq!(first / (2.0 * FD_SMALLEST_STEP), 1.0, epsilon = 0.01);
/// ```
pub const FD_SMALLEST_STEP: f64 = 1e-13;

/// The largest step of [`fd_error`]'s grid, relative to `max(1, |x|)`.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, FD_LARGEST_STEP, fd_error};
///
/// let plot = fd_error(Activation::Sigmoid, 2.0);
/// let last = plot.series_named(FD_CENTRAL).unwrap().points.last().unwrap().0;
/// assert_abs_diff_eq!(last / (2.0 * FD_LARGEST_STEP), 1.0, epsilon = 1e-12);
/// ```
pub const FD_LARGEST_STEP: f64 = 1e-1;

/// Steps per decade of [`fd_error`]'s grid.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, FD_STEPS_PER_DECADE, fd_error};
///
/// let plot = fd_error(Activation::Sigmoid, 1.0);
/// let steps = &plot.series_named(FD_CENTRAL).unwrap().points;
/// assert_eq!(steps.len(), 12 * FD_STEPS_PER_DECADE as usize + 1); // 1e-13 … 1e-1
/// let ratio = steps[120].0 / steps[119].0;
/// assert_abs_diff_eq!(ratio, 10f64.powf(1.0 / f64::from(FD_STEPS_PER_DECADE)), epsilon = 1e-9);
/// ```
pub const FD_STEPS_PER_DECADE: u32 = 10;

/// The name of [`fd_error`]'s central-difference series.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_AT_ORACLE_STEP, FD_CENTRAL, fd_error};
///
/// let plot = fd_error(Activation::Sigmoid, 1.0);
/// let central = &plot.series_named(FD_CENTRAL).unwrap().points;
/// let at_oracle = plot.series_named(FD_AT_ORACLE_STEP).unwrap().points[0].1;
/// // Rounding dominates at the smallest step, truncation at the largest.
/// assert!(central[0].1 > 1e3 * at_oracle);
/// assert!(central[central.len() - 1].1 > 1e3 * at_oracle);
/// ```
pub const FD_CENTRAL: &str = "central difference D(h)";
/// The name of [`fd_error`]'s Richardson series.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, FD_RICHARDSON, fd_error};
///
/// let plot = fd_error(Activation::Sigmoid, 1.0);
/// let central = &plot.series_named(FD_CENTRAL).unwrap().points;
/// let richardson = &plot.series_named(FD_RICHARDSON).unwrap().points;
/// // Where truncation dominates, extrapolation removes the h² term.
/// for (c, r) in central.iter().zip(richardson).filter(|(c, _)| c.0 >= 1e-3) {
///     assert!(r.1 < 0.1 * c.1, "h = {:e}", c.0);
/// }
/// ```
pub const FD_RICHARDSON: &str = "Richardson (4D(h) − D(2h))/3";
/// The name of [`fd_error`]'s error-estimate series.
///
/// ```
/// use approx::abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{FD_CENTRAL, FD_ESTIMATE, fd_error};
///
/// let plot = fd_error(Activation::Sigmoid, 1.0);
/// let central = &plot.series_named(FD_CENTRAL).unwrap().points;
/// let estimate = &plot.series_named(FD_ESTIMATE).unwrap().points;
/// // In the truncation branch the estimate tracks the central difference's error.
/// for (c, e) in central.iter().zip(estimate).filter(|(c, _)| c.0 >= 1e-3) {
///     assert!(abs_diff_eq!(e.1 / c.1, 1.0, epsilon = 0.1), "h = {:e}", c.0);
/// }
/// ```
pub const FD_ESTIMATE: &str = "Richardson's estimate |D(h) − D(2h)|/3";
/// The name of [`fd_error`]'s markers at the oracle's step.
///
/// ```
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::fd::step;
/// use jacobian_oracle::plot_data::{FD_AT_ORACLE_STEP, fd_error};
///
/// let plot = fd_error(Activation::Silu, -0.5);
/// let markers = &plot.series_named(FD_AT_ORACLE_STEP).unwrap().points;
/// let h = step(-0.5).unwrap();
/// assert_eq!(markers.iter().map(|p| p.0).collect::<Vec<_>>(), [h, h]);
/// assert!(markers.iter().all(|p| p.1 < 1e-9)); // central and Richardson errors
/// ```
pub const FD_AT_ORACLE_STEP: &str = "errors at the oracle's step";

/// The error of finite differences against the step, for `φ` at `a` (entry `(0, 0)` of the
/// `1×1` map [`Elementwise`]`(φ)`).
///
/// For steps `h = s·10^{k/10}`, `s = max(1, |a|)`, from `10⁻¹³s` to `10⁻¹s` (each made
/// representable as `(a + h) − a`, as [`fd::Stencil`](crate::fd::Stencil) does), the series
/// are, against the exact derivative from dual numbers ([`dual::dual_column`]):
///
/// - [`FD_CENTRAL`]: `|D(h) − f'(a)|`, `D(h) = (f(a + h) − f(a − h))/2h`;
/// - [`FD_RICHARDSON`]: `|(4D(h) − D(2h))/3 − f'(a)|`;
/// - [`FD_ESTIMATE`]: Richardson's estimate `|D(h) − D(2h)|/3` of the first one's
///   truncation error;
///
/// and [`FD_AT_ORACLE_STEP`] marks the central and Richardson errors at the oracle's step
/// [`fd::step`](crate::fd::step)`(a) = ε^{1/3}·max(1, |a|)`, also drawn as a [`Rule`].
///
/// The central difference's error is `f'''h²/6` (truncation) plus about `ε|f|/h` (rounding
/// of the two values): slope 2 on log–log axes at large steps, slope −1 at small ones, with
/// the minimum near `(3ε|f/f'''|)^{1/3}` — the oracle's step, up to the ratio `f/f'''`.
/// Steps whose stencil leaves the finite range are left out.
///
/// # Panics
///
/// If `a` is not finite.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use jacobian_oracle::plot_data::{fd_error, log_log_slope, FD_CENTRAL};
///
/// let plot = fd_error(Activation::Sigmoid, 1.0);
/// let central = &plot.series_named(FD_CENTRAL).unwrap().points;
/// assert_eq!(central.len(), 121);
/// // Truncation: slope 2 over the top decade.
/// let top: Vec<(f64, f64)> = central.iter().copied().filter(|p| p.0 >= 1e-2).collect();
/// assert_abs_diff_eq!(log_log_slope(&top), 2.0, epsilon = 0.1);
/// ```
#[must_use]
pub fn fd_error(activation: Activation, a: f64) -> Plot {
    assert!(a.is_finite(), "fd_error needs a finite point, not {a}");
    let map = Elementwise::new(activation, 1);
    let x = DVector::from_element(1, a);
    let exact = dual::dual_column(&map, &x, 0)
        .expect("the catalogue's activations are finite on dual numbers at finite points")[0];
    let mut f = |v: &DVector<f64>| map.eval(v);
    let eval: &mut Eval<'_> = &mut f;
    let f0 = eval(&x);

    // (h, |D(h) − f'|, |R − f'|, estimate), or None when the stencil is not finite.
    let mut errors_at = |h: f64| -> Option<(f64, f64, f64, f64)> {
        let mut s = Stencil::with_step(eval, &x, 0, &f0, h)?;
        s.extend(eval, &x, &[-2, 2])?;
        let (richardson, estimate) = s.richardson(0);
        Some((
            s.h,
            (s.central(0, 1) - exact).abs(),
            (richardson - exact).abs(),
            estimate,
        ))
    };

    let scale = a.abs().max(1.0);
    let lo = FD_SMALLEST_STEP.log10();
    let decades = FD_LARGEST_STEP.log10() - lo;
    let n = (decades * f64::from(FD_STEPS_PER_DECADE)).round() as u32;
    let rows: Vec<_> = (0..=n)
        .filter_map(|k| {
            let h = scale * 10f64.powf(lo + f64::from(k) / f64::from(FD_STEPS_PER_DECADE));
            errors_at(h)
        })
        .collect();
    let column = |pick: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
        rows.iter().map(|r| (r.0, pick(r))).collect()
    };

    let mut series = vec![
        Series {
            name: FD_CENTRAL.into(),
            style: SeriesStyle::Line,
            points: column(|r| r.1),
        },
        Series {
            name: FD_RICHARDSON.into(),
            style: SeriesStyle::Line,
            points: column(|r| r.2),
        },
        Series {
            name: FD_ESTIMATE.into(),
            style: SeriesStyle::Scatter,
            points: column(|r| r.3),
        },
    ];
    let mut rules = Vec::new();
    if let Some((h, central, richardson, _)) = step(a).and_then(&mut errors_at) {
        series.push(Series {
            name: FD_AT_ORACLE_STEP.into(),
            style: SeriesStyle::Markers,
            points: vec![(h, central), (h, richardson)],
        });
        rules.push(Rule {
            name: format!("oracle's step h = ε^(1/3)·max(1, |a|) = {h:.2e}"),
            x: h,
        });
    }
    Plot {
        name: "fd_error",
        title: format!(
            "{}'({a}) = {}: error of finite differences against the step",
            activation.name(),
            if (1e-3..1e4).contains(&exact.abs()) {
                format!("{exact:.6}")
            } else {
                format!("{exact:.6e}")
            }
        ),
        x_label: "step h".into(),
        y_label: "absolute error of ∂f/∂x".into(),
        log_x: true,
        log_y: true,
        series,
        rules,
    }
}

/// The least-squares slope of `log₁₀ y` against `log₁₀ x` over the points with `x, y > 0`
/// (others are left out: a log axis has no place for them); NaN with fewer than two.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::plot_data::log_log_slope;
/// let square: Vec<(f64, f64)> = [1e-3, 1e-2, 1e-1].iter().map(|&h| (h, 3.0 * h * h)).collect();
/// assert_abs_diff_eq!(log_log_slope(&square), 2.0, epsilon = 1e-12);
/// assert!(log_log_slope(&[(1.0, 0.0)]).is_nan());
/// ```
#[must_use]
pub fn log_log_slope(points: &[(f64, f64)]) -> f64 {
    let logs: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.0 > 0.0 && p.1 > 0.0)
        .map(|p| (p.0.log10(), p.1.log10()))
        .collect();
    if logs.len() < 2 {
        return f64::NAN;
    }
    let n = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p.0 / n, sy + p.1 / n));
    let (sxy, sxx) = logs.iter().fold((0.0, 0.0), |(sxy, sxx), p| {
        (sxy + (p.0 - mx) * (p.1 - my), sxx + (p.0 - mx) * (p.0 - mx))
    });
    sxy / sxx
}

// ---------------------------------------------------------------------------------------------
// Vanishing gradients
// ---------------------------------------------------------------------------------------------

/// The width of [`vanishing_gradient`]'s networks (every layer `16×16`).
///
/// ```
/// use jacobian_oracle::plot_data::{VANISHING_WIDTH, vanishing_gradient};
///
/// assert_eq!(VANISHING_WIDTH, 16);
/// // Glorot's variance 2/(n_in + n_out) is 1/16 at this width.
/// assert_eq!(2.0 / (2 * VANISHING_WIDTH) as f64, 1.0 / 16.0);
/// assert!(vanishing_gradient().title.contains("width 16"));
/// ```
pub const VANISHING_WIDTH: usize = 16;

/// The deepest network of [`vanishing_gradient`].
///
/// ```
/// use jacobian_oracle::plot_data::{VANISHING_MAX_DEPTH, vanishing_gradient};
///
/// for series in vanishing_gradient().series {
///     let depths: Vec<f64> = series.points.iter().map(|p| p.0).collect();
///     assert_eq!(depths, (1..=VANISHING_MAX_DEPTH).map(|l| l as f64).collect::<Vec<_>>());
/// }
/// ```
pub const VANISHING_MAX_DEPTH: usize = 30;

/// How many random networks [`vanishing_gradient`] averages over.
///
/// ```
/// use jacobian_oracle::plot_data::{VANISHING_DRAWS, vanishing_gradient};
///
/// assert_eq!(VANISHING_DRAWS, 8);
/// assert!(vanishing_gradient().title.contains("geometric mean of 8 draws"));
/// ```
pub const VANISHING_DRAWS: usize = 8;

/// The seed of [`vanishing_gradient`]'s weights and inputs (the report's default seed).
///
/// ```
/// use jacobian_oracle::plot_data::{VANISHING_SEED, vanishing_gradient};
///
/// assert_eq!(VANISHING_SEED, jacobian_oracle::suite::DEFAULT_SEED);
/// // A fixed seed: the figure is the same on every run.
/// assert_eq!(vanishing_gradient(), vanishing_gradient());
/// ```
pub const VANISHING_SEED: u64 = crate::suite::DEFAULT_SEED;

/// The activations of [`vanishing_gradient`], one series each (named by
/// [`Activation::name`]).
///
/// ```
/// use jacobian_oracle::plot_data::{VANISHING_ACTIVATIONS, VANISHING_BOUND, vanishing_gradient};
///
/// let names: Vec<String> = vanishing_gradient().series.into_iter().map(|s| s.name).collect();
/// let mut expected: Vec<String> = VANISHING_ACTIVATIONS.iter().map(|a| a.name().to_string()).collect();
/// expected.push(VANISHING_BOUND.to_string());
/// assert_eq!(names, expected);
/// ```
pub const VANISHING_ACTIVATIONS: [Activation; 3] =
    [Activation::Sigmoid, Activation::Tanh, Activation::Relu];

/// The name of [`vanishing_gradient`]'s bound series.
///
/// ```
/// use jacobian_oracle::plot_data::{SeriesStyle, VANISHING_BOUND, vanishing_gradient};
///
/// let plot = vanishing_gradient();
/// let bound = plot.series_named(VANISHING_BOUND).unwrap();
/// assert_eq!(bound.style, SeriesStyle::Guide);
/// // (1/4)·‖W‖₂ ≈ 1/2 per layer: the bound falls with depth.
/// assert!(bound.points.windows(2).all(|w| w[1].1 < w[0].1));
/// ```
pub const VANISHING_BOUND: &str = "sigmoid bound (1/4)^L·∏‖W_l‖₂";

/// SplitMix64 (Steele, Lea & Flood, *Fast splittable pseudorandom number generators*,
/// OOPSLA 2014): a fixed, documented generator, so the figures do not depend on another
/// crate's choice of algorithm.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform on `[lo, hi)`, from the top 53 bits.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let u = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        lo + (hi - lo) * u
    }
}

/// One random network's weights and input, shared by the three activations.
struct Draw {
    weights: Vec<DMatrix<f64>>,
    x: DVector<f64>,
}

/// Glorot & Bengio's normalised initialisation (2010, eq. 16): `W_ij` uniform on `±√(6/(n_in +
/// n_out))`, i.e. variance `2/(n_in + n_out) = 1/16`, so that `‖Wv‖ ≈ ‖v‖` for a typical `v`;
/// biases 0; `x` uniform on `[−1, 1]¹⁶`.
fn draw(rng: &mut SplitMix64) -> Draw {
    let n = VANISHING_WIDTH;
    let r = (6.0 / (2 * n) as f64).sqrt();
    let weights = (0..VANISHING_MAX_DEPTH)
        .map(|_| DMatrix::from_fn(n, n, |_, _| rng.uniform(-r, r)))
        .collect();
    let x = DVector::from_fn(n, |_, _| rng.uniform(-1.0, 1.0));
    Draw { weights, x }
}

/// `‖M‖₂`, the largest singular value.
fn spectral_norm(m: &DMatrix<f64>) -> f64 {
    m.singular_values().max()
}

/// The spectral norm `‖∂z_L/∂x‖₂` of the Jacobian of an MLP of depth `L = 1…30`, width 16
/// and zero biases, for sigmoid, tanh and ReLU (PML 1 sec. 13.4.2: vanishing gradients).
///
/// The weights are Glorot's (`W_ij` uniform on `±√(6/32) ≈ ±0.43`, variance `1/16`, which
/// makes `‖W‖₂ ≈ 2`, the edge `σ(√m + √n)` of the Marchenko–Pastur law), drawn from
/// [`VANISHING_SEED`] — the same weights and input for the three activations; the depth-`L`
/// network is the first `L` layers of the depth-30 one. Its Jacobian is the product of the
/// layer Jacobians `J_L ⋯ J_1` of the catalogue's [`Mlp`] ([`Mlp::layer_jacobians`], with
/// `diag(φ'(a_l)) W_l`), and each point is the geometric mean over [`VANISHING_DRAWS`]
/// networks (the mean of `log ‖J‖₂`, the natural average on a log axis).
///
/// Since `σ' ≤ 1/4`, `‖J_L ⋯ J_1‖₂ ≤ (1/4)^L ∏‖W_l‖₂` for the sigmoid network, drawn as
/// [`VANISHING_BOUND`] (its geometric mean over the draws too). The sigmoid's norm falls by
/// about 4 per layer; tanh (`tanh' ≤ 1`, near 1 at small pre-activations) and ReLU (half the
/// units pass `1`) lose far less per layer.
///
/// ```
/// use jacobian_oracle::plot_data::{vanishing_gradient, VANISHING_BOUND};
///
/// let plot = vanishing_gradient();
/// let sigmoid = &plot.series_named("sigmoid").unwrap().points;
/// let bound = &plot.series_named(VANISHING_BOUND).unwrap().points;
/// for (s, b) in sigmoid.iter().zip(bound) {
///     assert!(s.1 <= b.1);
/// }
/// assert!(sigmoid[29].1 < 1e-15);
/// ```
#[must_use]
pub fn vanishing_gradient() -> Plot {
    let depth = VANISHING_MAX_DEPTH;
    let mut rng = SplitMix64(VANISHING_SEED);
    let draws: Vec<Draw> = (0..VANISHING_DRAWS).map(|_| draw(&mut rng)).collect();
    let k = VANISHING_DRAWS as f64;

    let mut series: Vec<Series> = VANISHING_ACTIVATIONS
        .iter()
        .map(|&activation| {
            let mut mean_log = vec![0.0; depth];
            for d in &draws {
                let layers = d
                    .weights
                    .iter()
                    .map(|w| ActivationLayer::new(activation, w.clone(), DVector::zeros(w.nrows())))
                    .collect();
                let mut product = DMatrix::identity(VANISHING_WIDTH, VANISHING_WIDTH);
                for (l, j) in Mlp::new(layers).layer_jacobians(&d.x).iter().enumerate() {
                    product = j * product;
                    mean_log[l] += spectral_norm(&product).ln() / k;
                }
            }
            Series {
                name: activation.name().into(),
                style: SeriesStyle::Line,
                points: depth_points(&mean_log),
            }
        })
        .collect();

    let mut bound_log = vec![0.0; depth];
    for d in &draws {
        let mut log = 0.0;
        for (l, w) in d.weights.iter().enumerate() {
            log += (0.25 * spectral_norm(w)).ln();
            bound_log[l] += log / k;
        }
    }
    series.push(Series {
        name: VANISHING_BOUND.into(),
        style: SeriesStyle::Guide,
        points: depth_points(&bound_log),
    });

    Plot {
        name: "vanishing_gradient",
        title: format!(
            "‖∂z_L/∂x‖₂ of an MLP of width {VANISHING_WIDTH} (Glorot weights, geometric mean of \
             {VANISHING_DRAWS} draws)"
        ),
        x_label: "depth L".into(),
        y_label: "spectral norm of the Jacobian ‖J_L ⋯ J_1‖₂".into(),
        log_x: false,
        log_y: true,
        series,
        rules: Vec::new(),
    }
}

/// `(L, e^{log_L})` for `L = 1, 2, …`.
fn depth_points(mean_log: &[f64]) -> Vec<(f64, f64)> {
    mean_log
        .iter()
        .enumerate()
        .map(|(l, m)| ((l + 1) as f64, m.exp()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The precision of σ'
// ---------------------------------------------------------------------------------------------

/// The grid of [`sigmoid_precision`]: `a = −40, −39.75, …, 40`.
///
/// ```
/// use jacobian_oracle::plot_data::{PRECISION_RANGE, PRECISION_STABLE, sigmoid_precision};
///
/// let plot = sigmoid_precision();
/// let points = &plot.series_named(PRECISION_STABLE).unwrap().points;
/// assert_eq!((points[0].0, points[points.len() - 1].0), PRECISION_RANGE);
/// ```
pub const PRECISION_RANGE: (f64, f64) = (-40.0, 40.0);

/// The spacing of [`sigmoid_precision`]'s grid.
///
/// ```
/// use jacobian_oracle::plot_data::{PRECISION_SPACING, PRECISION_TEXTBOOK, sigmoid_precision};
///
/// let plot = sigmoid_precision();
/// let points = &plot.series_named(PRECISION_TEXTBOOK).unwrap().points;
/// assert!(points.windows(2).all(|w| w[1].0 - w[0].0 == PRECISION_SPACING));
/// ```
pub const PRECISION_SPACING: f64 = 0.25;

/// The name of [`sigmoid_precision`]'s textbook series.
///
/// ```
/// use jacobian_oracle::plot_data::{PRECISION_TEXTBOOK, sigmoid_precision};
///
/// let plot = sigmoid_precision();
/// let textbook = &plot.series_named(PRECISION_TEXTBOOK).unwrap().points;
/// let at = |a: f64| textbook.iter().find(|p| p.0 == a).unwrap().1;
/// assert!(at(-10.0) <= 4.0 * f64::EPSILON); // z(1 − z) is fine for a ≤ 0
/// assert!(at(30.0) > 1e-6); // and loses most of its digits in saturation
/// ```
pub const PRECISION_TEXTBOOK: &str = "textbook z(1 − z)";
/// The name of [`sigmoid_precision`]'s stable series.
///
/// ```
/// use jacobian_oracle::plot_data::{PRECISION_STABLE, PRECISION_TEXTBOOK, sigmoid_precision};
///
/// let plot = sigmoid_precision();
/// let stable = &plot.series_named(PRECISION_STABLE).unwrap().points;
/// let textbook = &plot.series_named(PRECISION_TEXTBOOK).unwrap().points;
/// // Never worse than a few ulps, and far better than z(1 − z) in saturation.
/// for (s, t) in stable.iter().zip(textbook) {
///     assert!(s.1 <= 4.0 * f64::EPSILON);
///     if s.0 >= 20.0 {
///         assert!(s.1 < 1e-3 * t.1, "a = {}", s.0);
///     }
/// }
/// ```
pub const PRECISION_STABLE: &str = "stable σ(a)σ(−a)";
/// The name of [`sigmoid_precision`]'s guide.
///
/// ```
/// use jacobian_oracle::plot_data::{PRECISION_GUIDE, SeriesStyle, sigmoid_precision};
///
/// let plot = sigmoid_precision();
/// let guide = plot.series_named(PRECISION_GUIDE).unwrap();
/// assert_eq!(guide.style, SeriesStyle::Guide);
/// let top = (1.0 / f64::EPSILON).ln();
/// assert!(guide.points.iter().all(|&(a, y)| (0.0..=top).contains(&a) && y == f64::EPSILON * a.exp()));
/// ```
pub const PRECISION_GUIDE: &str = "ε·e^a";

/// The relative error of the two `f64` forms of `σ'(a)` on `a ∈ [−40, 40]` (step 0.25):
/// the textbook [`sigmoid_derivative`] `z(1 − z)` ([`PRECISION_TEXTBOOK`]) and the stable
/// [`sigmoid_derivative_stable`] `σ(a)σ(−a)` ([`PRECISION_STABLE`]), each `|d − σ'(a)|/σ'(a)`
/// against [`sigmoid_derivative_reference`] (double-double arithmetic, correctly rounded
/// barring ties; dual numbers would add their own few ulps to what is measured).
///
/// For `a > 0`, `z = σ(a)` carries an absolute rounding error of about `ε`, and `1 − z ≈
/// e^{−a}` is exact, so `z(1 − z)` is off by about `ε·e^{a}` relative ([`PRECISION_GUIDE`],
/// drawn for `a ∈ [0, ln(1/ε)]`) until `z` rounds to 1 at `a ≈ 36.7` and the result is 0
/// (relative error 1). The stable form stays within a few ulps everywhere.
///
/// ```
/// use jacobian_oracle::plot_data::{sigmoid_precision, PRECISION_STABLE, PRECISION_TEXTBOOK};
///
/// let plot = sigmoid_precision();
/// let stable = &plot.series_named(PRECISION_STABLE).unwrap().points;
/// let textbook = &plot.series_named(PRECISION_TEXTBOOK).unwrap().points;
/// assert_eq!(stable.len(), 321);
/// assert!(stable.iter().all(|p| p.1 <= 4.0 * f64::EPSILON));
/// assert_eq!(textbook.last().unwrap(), &(40.0, 1.0)); // z rounds to 1: σ' comes out 0
/// ```
#[must_use]
pub fn sigmoid_precision() -> Plot {
    let (lo, hi) = PRECISION_RANGE;
    let n = ((hi - lo) / PRECISION_SPACING).round() as usize;
    let grid: Vec<f64> = (0..=n).map(|k| lo + k as f64 * PRECISION_SPACING).collect();
    let relative = |form: fn(f64) -> f64| -> Vec<(f64, f64)> {
        grid.iter()
            .map(|&a| {
                let exact = sigmoid_derivative_reference(a);
                (a, (form(a) - exact).abs() / exact)
            })
            .collect()
    };
    let guide_top = (1.0 / f64::EPSILON).ln();
    let guide = grid
        .iter()
        .filter(|&&a| (0.0..=guide_top).contains(&a))
        .map(|&a| (a, f64::EPSILON * a.exp()))
        .collect();
    Plot {
        name: "sigmoid_precision",
        title: "σ'(a) in f64: relative error of z(1 − z) and σ(a)σ(−a)".into(),
        x_label: "pre-activation a".into(),
        y_label: "relative error (reference: double-double)".into(),
        log_x: false,
        log_y: true,
        series: vec![
            Series {
                name: PRECISION_TEXTBOOK.into(),
                style: SeriesStyle::Line,
                points: relative(sigmoid_derivative),
            },
            Series {
                name: PRECISION_STABLE.into(),
                style: SeriesStyle::Line,
                points: relative(sigmoid_derivative_stable),
            },
            Series {
                name: PRECISION_GUIDE.into(),
                style: SeriesStyle::Guide,
                points: guide,
            },
        ],
        rules: Vec::new(),
    }
}

/// `σ'(a) = t/(1 + t)²`, `t = e^{−|a|}` (`σ'` is even), evaluated in double-double
/// arithmetic (about 104 bits) and rounded once to `f64`: the reference of
/// [`sigmoid_precision`]. The exponential is `e^{r/2¹⁰}` by its Taylor series, squared ten
/// times, times `2^k`, after the reduction `a = k·ln 2 + r` with `ln 2` to 107 bits; the
/// error before the final rounding is below `10⁻²⁸` relative, so the result is the correctly
/// rounded `σ'(a)` unless `σ'(a)` lies within that of a tie (and in the subnormal range,
/// `|a| > 708`, to within an ulp). 0 for `|a| > 746`, where `σ'(a) < 2⁻¹⁰⁷⁵`.
///
/// ```
/// use jacobian_oracle::plot_data::sigmoid_derivative_reference;
/// assert_eq!(sigmoid_derivative_reference(0.0), 0.25);
/// assert_eq!(sigmoid_derivative_reference(1.0), 0.19661193324148185);
/// assert_eq!(sigmoid_derivative_reference(-40.0), 4.248354255291589e-18);
/// assert_eq!(sigmoid_derivative_reference(1e300), 0.0);
/// ```
#[must_use]
pub fn sigmoid_derivative_reference(a: f64) -> f64 {
    let b = a.abs();
    if b > 746.0 {
        return 0.0;
    }
    if b.is_nan() {
        return f64::NAN;
    }
    let t = Dd::exp(-b);
    let u = Dd::from(1.0).add(t);
    let d = t.div(u.mul(u));
    d.hi + d.lo
}

/// A double-double number `hi + lo`, `|lo| ≤ ulp(hi)/2` (Dekker 1971; the algorithms of Hida,
/// Li & Bailey's QD library).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Dd {
    hi: f64,
    lo: f64,
}

/// `ln 2` as a double-double.
const LN2: Dd = Dd {
    hi: std::f64::consts::LN_2,
    lo: 2.319_046_813_846_299_6e-17,
};

impl From<f64> for Dd {
    fn from(hi: f64) -> Dd {
        Dd { hi, lo: 0.0 }
    }
}

/// `a + b` exactly, as a double-double (Knuth's two-sum).
fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

/// `a + b` exactly, for `|a| ≥ |b|` (Dekker's fast two-sum).
fn quick_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

/// `a·b` exactly, as a double-double (by a fused multiply-add).
fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd {
        hi: p,
        lo: a.mul_add(b, -p),
    }
}

impl Dd {
    fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        let t = two_sum(self.lo, o.lo);
        let v = quick_two_sum(s.hi, s.lo + t.hi);
        quick_two_sum(v.hi, t.lo + v.lo)
    }

    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        quick_two_sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    fn mul_f64(self, b: f64) -> Dd {
        let p = two_prod(self.hi, b);
        quick_two_sum(p.hi, p.lo + self.lo * b)
    }

    /// Long division: three quotient digits.
    fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.add(o.mul_f64(q1).neg());
        let q2 = r.hi / o.hi;
        let r = r.add(o.mul_f64(q2).neg());
        let q3 = r.hi / o.hi;
        quick_two_sum(q1, q2).add(Dd::from(q3))
    }

    /// `self·2^k`, exact unless it leaves the normal range.
    fn ldexp(self, mut k: i32) -> Dd {
        let (mut hi, mut lo) = (self.hi, self.lo);
        while k != 0 {
            let step = k.clamp(-1000, 1000);
            let p = 2f64.powi(step);
            hi *= p;
            lo *= p;
            k -= step;
        }
        Dd { hi, lo }
    }

    /// `e^x` for `|x| ≤ 746`.
    fn exp(x: f64) -> Dd {
        let k = (x / std::f64::consts::LN_2).round();
        let r = Dd::from(x).add(LN2.mul_f64(k).neg()).ldexp(-10);
        // e^r by Horner: 1 + r(1 + r/2(1 + r/3(…))); |r| < 3.4e-4, so 14 terms are far more
        // than 104 bits.
        let mut p = Dd::from(1.0);
        for n in (1..=14).rev() {
            p = Dd::from(1.0).add(p.mul(r).div(Dd::from(f64::from(n))));
        }
        for _ in 0..10 {
            p = p.mul(p);
        }
        p.ldexp(k as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::abs_diff_eq;

    fn points<'a>(plot: &'a Plot, name: &str) -> &'a [(f64, f64)] {
        &plot
            .series_named(name)
            .unwrap_or_else(|| panic!("no series {name}"))
            .points
    }

    fn within(points: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
        points
            .iter()
            .copied()
            .filter(|p| p.0 >= lo && p.0 <= hi)
            .collect()
    }

    #[test]
    fn double_double_exp_is_exact_to_far_below_an_ulp() {
        for x in [-40.0, -1.0, -1e-3, 0.5, 3.0, 37.25] {
            let p = Dd::exp(x).mul(Dd::exp(-x));
            let gap = (p.hi - 1.0) + p.lo;
            assert!(
                abs_diff_eq!(gap, 0.0, epsilon = 1e-28),
                "e^{x}·e^-{x} − 1 = {gap:e}"
            );
        }
        // Correctly rounded values (50-digit decimal arithmetic).
        assert_eq!(Dd::exp(-1.0).hi, 0.36787944117144233);
        assert_eq!(Dd::exp(-40.0).hi, 4.248354255291589e-18);
        assert_eq!(sigmoid_derivative_reference(10.0), 4.5395807735951673e-05);
        assert_eq!(sigmoid_derivative_reference(-30.0), 9.357622968838423e-14);
        assert_eq!(sigmoid_derivative_reference(25.25), 1.0815941557051724e-11);
    }

    #[test]
    fn dual_numbers_agree_with_the_double_double_reference_to_a_few_ulps() {
        use num_dual::Dual64;
        for k in 0..=320 {
            let a = -40.0 + 0.25 * f64::from(k);
            let d = crate::catalogue::sigmoid(Dual64::from_re(a).derivative()).eps;
            let r = sigmoid_derivative_reference(a);
            // Derived bound: 4 ulps of the reference r (relative to r alone).
            assert!(
                (d - r).abs() <= 4.0 * f64::EPSILON * r,
                "a = {a}: {d} vs {r}"
            );
        }
    }

    #[test]
    fn fd_error_has_a_truncation_branch_of_slope_2_and_a_rounding_branch_of_slope_minus_1() {
        for activation in [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Softplus,
            Activation::GeluErf,
            Activation::Silu,
        ] {
            let plot = fd_error(activation, 1.0);
            let central = points(&plot, FD_CENTRAL);
            assert_eq!(central.len(), 121);
            let top = log_log_slope(&within(central, 1e-3, 1.0));
            assert!(
                abs_diff_eq!(top, 2.0, epsilon = 0.2),
                "{}: slope {top}",
                activation.name()
            );
            let bottom = log_log_slope(&within(central, 0.0, 1e-10));
            assert!(
                abs_diff_eq!(bottom, -1.0, epsilon = 0.35),
                "{}: slope {bottom}",
                activation.name()
            );
            // Richardson cancels the h² term: slope about 4 at the top.
            let richardson = log_log_slope(&within(points(&plot, FD_RICHARDSON), 1e-2, 1.0));
            assert!(
                richardson > 3.0,
                "{}: slope {richardson}",
                activation.name()
            );
        }
    }

    /// The geometric mean of each run of five neighbouring grid points (half a decade): the
    /// typical error at a step, without the single steps where the rounding errors of
    /// `f(a ± h)` happen to cancel the truncation error.
    fn smoothed(points: &[(f64, f64)]) -> Vec<f64> {
        points
            .windows(5)
            .map(|w| (w.iter().map(|p| p.1.max(1e-300).ln()).sum::<f64>() / 5.0).exp())
            .collect()
    }

    #[test]
    fn the_oracle_step_is_within_a_factor_10_of_the_typical_best_step() {
        for activation in [
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Softplus,
            Activation::GeluErf,
            Activation::Silu,
        ] {
            for a in [-0.5, 1.0, 2.5] {
                let plot = fd_error(activation, a);
                let central = points(&plot, FD_CENTRAL);
                let best = smoothed(central).into_iter().fold(f64::INFINITY, f64::min);
                let chosen = points(&plot, FD_AT_ORACLE_STEP)[0];
                assert_eq!(plot.rules[0].x, chosen.0);
                assert_eq!(Some(chosen.0), step(a));
                assert!(
                    chosen.1 <= 10.0 * best,
                    "{} at {a}: {:e} at the oracle's step, best {best:e}",
                    activation.name(),
                    chosen.1
                );
                // The single best grid point can be far luckier (sigmoid at 1: 1.5e-13 at
                // h = 5.0e-6 against 7.2e-12 at the oracle's 6.1e-6), but not by orders of
                // magnitude beyond that.
                let luckiest = central.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
                assert!(chosen.1 <= 1e3 * luckiest, "{}", activation.name());
            }
        }
    }

    #[test]
    fn the_estimate_tracks_the_central_error_in_the_truncation_branch() {
        let plot = fd_error(Activation::Sigmoid, 1.0);
        let central = within(points(&plot, FD_CENTRAL), 1e-3, 1.0);
        let estimate = within(points(&plot, FD_ESTIMATE), 1e-3, 1.0);
        for (c, e) in central.iter().zip(&estimate) {
            assert!(abs_diff_eq!(e.1 / c.1, 1.0, epsilon = 0.1), "{c:?} {e:?}");
        }
    }

    #[test]
    fn the_sigmoid_jacobian_vanishes_under_its_bound() {
        let plot = vanishing_gradient();
        let sigmoid = points(&plot, "sigmoid");
        let bound = points(&plot, VANISHING_BOUND);
        assert_eq!(sigmoid.len(), VANISHING_MAX_DEPTH);
        for (l, (s, b)) in sigmoid.iter().zip(bound).enumerate() {
            assert_eq!(s.0, (l + 1) as f64);
            assert!(s.1 <= b.1, "L = {}: {} > bound {}", l + 1, s.1, b.1);
        }
        for w in sigmoid.windows(2) {
            assert!(w[1].1 < w[0].1, "{w:?}");
        }
        // About a factor 4 per layer or more, far faster than tanh and ReLU.
        let rate = (sigmoid[29].1 / sigmoid[9].1).powf(1.0 / 20.0);
        assert!(rate < 0.3, "rate {rate}");
        for other in ["tanh", "relu"] {
            let o = points(&plot, other);
            assert!(o[29].1 > 1e6 * sigmoid[29].1, "{other}: {:?}", o[29]);
        }
    }

    #[test]
    fn the_depth_l_network_is_the_first_l_layers_and_its_jacobian_the_product() {
        use crate::AnalyticJacobian;
        let mut rng = SplitMix64(VANISHING_SEED);
        let d = draw(&mut rng);
        let layers: Vec<ActivationLayer> = d.weights[..3]
            .iter()
            .map(|w| ActivationLayer::new(Activation::Tanh, w.clone(), DVector::zeros(16)))
            .collect();
        let mlp = Mlp::new(layers);
        let js = mlp.layer_jacobians(&d.x);
        let product = &js[2] * &js[1] * &js[0];
        assert!((product - mlp.jacobian(&d.x)).amax() < 1e-14);
        crate::Oracle::default().check(&mlp, &d.x).unwrap();
    }

    #[test]
    fn the_textbook_form_loses_relative_precision_in_saturation_and_the_stable_one_does_not() {
        let plot = sigmoid_precision();
        let textbook = points(&plot, PRECISION_TEXTBOOK);
        let stable = points(&plot, PRECISION_STABLE);
        let worst_stable = stable.iter().map(|p| p.1).fold(0.0, f64::max);
        assert!(worst_stable <= 4.0 * f64::EPSILON, "{worst_stable:e}");
        for p in textbook {
            if p.0 >= 25.0 {
                assert!(p.1 > 1e-6, "{p:?}");
            }
            if p.0 <= 0.0 {
                assert!(p.1 <= 4.0 * f64::EPSILON, "{p:?}");
            }
            if p.0 > 0.0 && p.1 < 1.0 {
                // Within a small multiple of the guide ε·e^a.
                assert!(p.1 <= 2.0 * f64::EPSILON * p.0.exp(), "{p:?}");
            }
            if p.0 >= 37.0 {
                assert_eq!(p.1, 1.0, "{p:?}");
            }
        }
    }
}
