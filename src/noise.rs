//! The analytic side's own rounding, measured.
//!
//! The other tolerance parts ([`crate::tolerance`]) model the rounding of `eval`: the dual
//! reference, its terms, the rounding of the outputs that a formula written through them
//! inherits. None of them can see how the *analytic* implementation computes its numbers. A
//! derivative pasted from a computer-algebra system — an expanded polynomial whose terms of
//! `10⁷` cancel to `10`, a rational function over a common denominator, a square root of a
//! quantity near cancellation — is exact as a formula and off by rounding far above a few ulps
//! of its entry, while `eval`, written in the factored form, is accurate.
//!
//! Only the implementation itself can tell how noisy it is, so the oracle asks it: it evaluates
//! the analytic derivative at [`ANALYTIC_NOISE_PROBES`] points up to `3·PROBE_ULPS = 192` ulps
//! either side of `x` ([`probe_points`], exactly on a line; about `4e-14` relative in `f64`,
//! `2e-5` in `f32`) and measures, entry by entry, how much the values jitter beyond a smooth change
//! ([`noise_from_samples`]: the root-mean-square residual of a least-squares quadratic in the
//! offset — Moré & Wild's idea of estimating computational noise from values at nearby points,
//! *Estimating computational noise*, SIAM J. Sci. Comput. 33 (2011), applied to the analytic
//! entry instead of `f`, with a fit at irregular offsets instead of their difference table for
//! the reason given in [`crate::fd`]). A wrong formula is smooth: over such a move it changes
//! along a curve that the quadratic fits, and it does not jitter. Rounding does: each nearby
//! point rounds its terms differently.
//!
//! The measured noise `σ` of an entry enters its tolerance as
//! `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ` (16σ): with 24 probes and `x` the estimate has 22
//! degrees of freedom, and a rounding error of the same kind as the probes' exceeds 16
//! estimated standard deviations with a probability of about `3e-13` (Student's *t*,
//! two-sided). Measured on the issue's example, the gradient and Hessian of
//! `(x₀ − 2x₁ + 3)⁵(x₀ + x₁ − 1)³` expanded by SymPy, on 10⁶ draws from `[−3, 3]²`: the largest
//! error at `x` was 5.1σ for the gradient and 4.8σ for the Hessian (`cargo test --release
//! --test foreign largest_error_in_sigmas -- --ignored --nocapture`).
//!
//! The probes run only for entries outside every other part of their tolerance (once per check,
//! for all entries at once), so a correct, well-rounded derivative costs nothing more.
//!
//! **When no noise is credited.** The measurement rests on two premises, and the oracle checks
//! both before it credits anything:
//!
//! * *the analytic side is deterministic*: it is evaluated once more at `x` and at four probes,
//!   and a value that differs from the first call (a random mask, a data race) voids the
//!   measurement — randomness is not rounding;
//! * *the exact derivative is smooth at the scale of the probes*: the dual reference is
//!   evaluated at the same probes (one pass per column that needs it), and where it jitters
//!   by a quarter of the analytic entry's jitter or more, the function itself varies at that
//!   scale (`sin x` at `|x| = 1e15`, whose ulp is 0.125; `sin(10⁵x)` probed in `f32` ulps),
//!   and the analytic jitter is no evidence of rounding. (A black box has no dual reference;
//!   there the finite differences must have converged at a step far larger than the probes'
//!   span before a disagreement reaches the measurement.)
//!
//! **What measurement cannot separate.** Noise measured near `x` explains rounding that changes
//! from point to point. Three kinds of difference it cannot explain, and does not try to:
//!
//! * *systematic rounding*, the same at every nearby point: a hidden layer's textbook
//!   `σ' = z(1 − z)` where `z` rounds to exactly `1` over the whole neighbourhood (the error is
//!   `σ'` itself, far below `ε`, identical at every probe); such an entry is still flagged where
//!   the exact value cancels to 0 (the known limitation pinned in `tests/activations.rs`);
//! * *a smooth error no larger than the implementation's own noise*: a "derivative" that is a
//!   finite difference in disguise, `(f(x + h) − f(x))/h` with `h ≈ √ε`, is wrong by its
//!   truncation error, about as large as its rounding noise; it passes, as a formula accurate to
//!   its own noise — the oracle cannot ask for more precision than the implementation has;
//! * *a branch of the analytic side exactly at `x`*: an `if` on a value at its threshold makes
//!   the probes straddle it, and the jump looks like noise. Where `eval` branches there too, the
//!   finite-difference kink test decides first ([`crate::report::NotJudgeable::NonSmooth`]).
//!
//! In a contracted view (a JVP `Jv`, a VJP `uᵀJ`, a projection) an entry sums a row or a
//! column of the Jacobian, and its noise is that of the whole sum: a slip in a quiet entry can
//! hide under a noisy neighbour there, not in [`crate::Oracle::check`].
//!
//! ```
//! use jacobian_oracle::noise::{Precision, measure, noise_from_samples, probe_points};
//! use nalgebra::{DMatrix, DVector};
//!
//! // The derivative of (x − 1)⁵ as a CAS expands it: terms of 5x⁴, 20x³, … that cancel near 1.
//! let expanded = |x: &DVector<f64>| {
//!     let t = x[0];
//!     DMatrix::from_element(1, 1, 5.0 * t.powi(4) - 20.0 * t.powi(3) + 30.0 * t * t - 20.0 * t + 5.0)
//! };
//! let factored = |x: &DVector<f64>| DMatrix::from_element(1, 1, 5.0 * (x[0] - 1.0).powi(4));
//! let x = DVector::from_vec(vec![1.001]);
//! let noisy = measure(&x, Precision::F64, &expanded(&x), &expanded).unwrap()[(0, 0)];
//! let quiet = measure(&x, Precision::F64, &factored(&x), &factored).unwrap()[(0, 0)];
//! // The expanded form jitters at the rounding of its terms (ε·20 ≈ 4e-15), far above its
//! // exact value 5e-12 allows for; the factored form is accurate to a few ulps of 5e-12.
//! assert!(noisy > 1e-16 && noisy < 1e-13);
//! assert!(quiet < 1e-25);
//! // The same from the parts: probe points and x itself, then the residual of each entry.
//! let mut samples: Vec<_> = probe_points(&x, Precision::F64)
//!     .into_iter()
//!     .map(|(t, p)| (t, expanded(&p)))
//!     .collect();
//! samples.push((0.0, expanded(&x)));
//! assert_eq!(noise_from_samples(&expanded(&x), &samples).unwrap()[(0, 0)], noisy);
//! ```

use nalgebra::{DMatrix, DVector};

use crate::fd::quadratic_residual;

/// How many points near `x` the analytic implementation is evaluated at: with `x` itself, 25
/// samples of its rounding, so that the noise estimate (a quadratic fit, 22 degrees of
/// freedom) is itself accurate to about 15%.
///
/// ```
/// use jacobian_oracle::noise::{ANALYTIC_NOISE_PROBES, Precision, probe_points};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![1.0, 2.0]);
/// assert_eq!(probe_points(&x, Precision::F64).len(), ANALYTIC_NOISE_PROBES);
/// ```
pub const ANALYTIC_NOISE_PROBES: usize = 24;

/// How many of the probes (and `x` itself) are evaluated a second time to check that the
/// analytic side is deterministic.
///
/// ```
/// use jacobian_oracle::noise::{ANALYTIC_NOISE_PROBES, REPEATED_PROBES};
/// assert!(REPEATED_PROBES < ANALYTIC_NOISE_PROBES);
/// ```
pub const REPEATED_PROBES: usize = 4;

/// The largest move of a probe, in ulps of each coordinate (times 1, 2 or 3 by coordinate):
/// far enough that every term of the analytic formula rounds differently (a term `c·x^k`
/// moves by up to `k·PROBE_ULPS` of its own ulps), close enough that the formula's smooth
/// change over the move is a quadratic to within far less than one rounding.
///
/// ```
/// use jacobian_oracle::noise::{PROBE_ULPS, Precision, probe_points};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![3.0, -0.5]);
/// for (_, p) in probe_points(&x, Precision::F64) {
///     for l in 0..2 {
///         let ulp = x[l].abs().next_up() - x[l].abs();
///         assert!((p[l] - x[l]).abs() <= 3.0 * PROBE_ULPS * ulp);
///     }
/// }
/// ```
pub const PROBE_ULPS: f64 = 64.0;

/// The precision of the analytic side, which sets the ulps the probes move by.
///
/// ```
/// use jacobian_oracle::noise::Precision;
/// assert_eq!(Precision::F64.eps(), f64::EPSILON);
/// assert_eq!(Precision::F32.eps(), f64::from(f32::EPSILON));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// An `f64` implementation.
    F64,
    /// An `f32` implementation: its input is an `f32`, so a probe moves by `f32` ulps and
    /// stays an `f32` number.
    F32,
}

impl Precision {
    /// The unit roundoff.
    ///
    /// ```
    /// use jacobian_oracle::noise::Precision;
    /// assert!(Precision::F32.eps() > Precision::F64.eps());
    /// ```
    #[must_use]
    pub fn eps(self) -> f64 {
        match self {
            Precision::F64 => f64::EPSILON,
            Precision::F32 => f64::from(f32::EPSILON),
        }
    }

    /// The spacing of the numbers just above `|v|` (its ulp), if moving `v` by up to
    /// `3·PROBE_ULPS` of it either way is exact and keeps its sign: `|v|` at least that many
    /// spacings from 0 and from the top of its binade (above it the spacing doubles). `None`
    /// for 0, subnormals near 0, numbers just below a power of two, and non-finite values.
    fn spacing(self, v: f64) -> Option<f64> {
        let reach = 3.0 * PROBE_ULPS;
        let (a, u, u_far) = match self {
            Precision::F64 => {
                let a = v.abs();
                let u = a.next_up() - a;
                let far = a + reach * u;
                (a, u, far.next_up() - far)
            }
            Precision::F32 => {
                let a = v.abs() as f32;
                let u = a.next_up() - a;
                let far = a + reach as f32 * u;
                (f64::from(a), f64::from(u), f64::from(far.next_up() - far))
            }
        };
        (a.is_finite() && u.is_finite() && u == u_far && reach * u < a).then_some(u)
    }
}

/// The multipliers `c_k`: [`ANALYTIC_NOISE_PROBES`] distinct integers in `1..=PROBE_ULPS`, in
/// the irregular order of a Weyl sequence of the golden ratio, with alternating signs.
fn multipliers() -> [f64; ANALYTIC_NOISE_PROBES] {
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let mut c = [0.0; ANALYTIC_NOISE_PROBES];
    let (mut found, mut k) = (0, 1.0);
    while found < ANALYTIC_NOISE_PROBES {
        let v = (1.0 + PROBE_ULPS * (0.3f64.sqrt() + k * phi).fract()).floor();
        if !c[..found].iter().any(|w: &f64| w.abs() == v) {
            c[found] = if found % 2 == 0 { v } else { -v };
            found += 1;
        }
        k += 1.0;
    }
    c
}

/// The probe points `x + c_k·m∘u` with their offsets `t_k = c_k/PROBE_ULPS ∈ [−1, 1]`, on
/// both sides of `x`: every coordinate moves by `c_k·m_l` of its own ulp `u_l`
/// (`m_l ∈ {1, 2, 3}` by coordinate, so that the coordinates do not move in proportion).
/// Moving by whole ulps within a binade is exact (and toward 0 the numbers are at least as
/// fine), so every probe lies exactly on the line `x + t·D`: the formula's smooth change is an
/// exact function of `t`, and the rounding of the probe points adds nothing to the noise
/// measured. A coordinate stays where a move could not be exact or could change its sign (0,
/// subnormals near 0, numbers within 192 ulps below a power of two, the end of the range).
///
/// ```
/// use jacobian_oracle::noise::{Precision, probe_points};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![1.0, 0.0, -8.0, 5e-324, f64::MAX]);
/// let probes = probe_points(&x, Precision::F64);
/// assert!(probes.iter().all(|(t, _)| t.abs() > 0.0 && t.abs() <= 1.0));
/// assert!(probes.iter().any(|(t, _)| *t < 0.0) && probes.iter().any(|(t, _)| *t > 0.0));
/// // 0, the smallest subnormal and f64::MAX stay.
/// assert!(probes.iter().all(|(_, p)| p[1] == 0.0 && p[3] == 5e-324 && p[4] == f64::MAX));
/// // By whole ulps, exactly on a line: 1 moves by t·64 of its ulp, −8 by t·192 of its ulp.
/// for (t, p) in &probes {
///     assert_eq!((p[0] - x[0]) / (1f64.next_up() - 1.0), t * 64.0);
///     assert_eq!((p[2] - x[2]) / (8f64.next_up() - 8.0), -t * 192.0);
/// }
/// // f32 probes are f32 numbers.
/// let probes32 = probe_points(&DVector::from_vec(vec![0.1f32 as f64]), Precision::F32);
/// assert!(probes32.iter().all(|(_, p)| f64::from(p[0] as f32) == p[0] && p[0] != 0.1f32 as f64));
/// ```
#[must_use]
pub fn probe_points(x: &DVector<f64>, precision: Precision) -> Vec<(f64, DVector<f64>)> {
    let steps = DVector::from_fn(x.len(), |l, _| {
        let m = 1.0 + (l % 3) as f64;
        precision
            .spacing(x[l])
            .map_or(0.0, |u| x[l].signum() * m * u)
    });
    multipliers()
        .iter()
        .map(|&c| (c / PROBE_ULPS, x + &steps * c))
        .collect()
}

/// The noise of each entry: the root-mean-square residual of a least-squares quadratic in `t`
/// through `(t_k, A_k − A(x))` over the samples `(t_k, A_k)` ([`quadratic_residual`], on values
/// scaled by their largest magnitude so that neither tiny nor huge entries underflow or
/// overflow in the fit). 0 for an entry whose samples are not all finite (no noise is credited
/// where the formula is singular nearby). `None` if a sample's shape is not `center`'s.
///
/// ```
/// use jacobian_oracle::noise::noise_from_samples;
/// use nalgebra::DMatrix;
///
/// let center = DMatrix::from_element(1, 2, 1.0);
/// // Entry (0, 0) changes along a straight line (a smooth formula): no noise. Entry (0, 1)
/// // jitters by ±1e-12.
/// let samples: Vec<_> = (0..8)
///     .map(|k| {
///         let t = k as f64 / 4.0 - 1.0;
///         let jitter = if k % 2 == 0 { 1e-12 } else { -1e-12 };
///         (t, DMatrix::from_row_slice(1, 2, &[1.0 + t / 1024.0, 1.0 + jitter]))
///     })
///     .collect();
/// let noise = noise_from_samples(&center, &samples).unwrap();
/// assert!(noise[(0, 0)] < 1e-18); // the fit's own rounding
/// assert!(noise[(0, 1)] > 5e-13 && noise[(0, 1)] < 2e-12);
/// // The same jitter 2⁻⁸³⁰ ≈ 1.5e-250 times smaller is measured as well (its squares would
/// // underflow in an unscaled fit).
/// let s = 2f64.powi(-830);
/// let tiny: Vec<_> = samples.iter().map(|(t, a)| (*t, a * s)).collect();
/// let noise_tiny = noise_from_samples(&(&center * s), &tiny).unwrap();
/// approx::assert_abs_diff_eq!(noise_tiny[(0, 1)] / noise[(0, 1)] / s, 1.0, epsilon = 1e-12);
/// // A sample of another shape.
/// assert!(noise_from_samples(&center, &[(0.5, DMatrix::zeros(2, 2))]).is_none());
/// ```
#[must_use]
pub fn noise_from_samples(
    center: &DMatrix<f64>,
    samples: &[(f64, DMatrix<f64>)],
) -> Option<DMatrix<f64>> {
    if samples.iter().any(|(_, a)| a.shape() != center.shape()) {
        return None;
    }
    let mut points = Vec::with_capacity(samples.len());
    Some(DMatrix::from_fn(center.nrows(), center.ncols(), |i, j| {
        let c = center[(i, j)];
        let scale = samples
            .iter()
            .map(|(_, a)| (a[(i, j)] - c).abs())
            .fold(0.0, f64::max);
        if scale == 0.0 || !scale.is_finite() {
            return 0.0;
        }
        points.clear();
        points.extend(samples.iter().map(|(t, a)| (*t, (a[(i, j)] - c) / scale)));
        let sigma = quadratic_residual(&points) * scale;
        if sigma.is_finite() { sigma } else { 0.0 }
    }))
}

/// The measured noise of every entry of an analytic derivative at `x`: `analytic_at` evaluated
/// at the [`probe_points`] of `x`, then [`noise_from_samples`] around `center` (its value at
/// `x`). `None` — no noise can be credited — if a probe returns a matrix of another shape than
/// `center`'s, or if `analytic_at` is not deterministic: it is called once more at `x` and at
/// the first [`REPEATED_PROBES`] probes, and every value must come back bit for bit (a random
/// mask or a data race is not rounding). `analytic_at` is called
/// `ANALYTIC_NOISE_PROBES + REPEATED_PROBES + 1` times.
///
/// ```
/// use jacobian_oracle::noise::{Precision, measure};
/// use nalgebra::{DMatrix, DVector};
/// use std::cell::Cell;
///
/// // A Hessian that a CAS printed expanded: f = (x₀ + x₁)⁶, ∂²f/∂x₀² = 30(x₀ + x₁)⁴ written out.
/// let expanded = |x: &DVector<f64>| {
///     let (a, b) = (x[0], x[1]);
///     let h = 30.0 * a.powi(4) + 120.0 * a.powi(3) * b + 180.0 * a * a * b * b
///         + 120.0 * a * b.powi(3) + 30.0 * b.powi(4);
///     DMatrix::from_element(1, 1, h)
/// };
/// let x = DVector::from_vec(vec![2.5, -2.4999]); // x₀ + x₁ ≈ 1e-4: terms of 1e3 cancel to 3e-15
/// let sigma = measure(&x, Precision::F64, &expanded(&x), &expanded).unwrap()[(0, 0)];
/// assert!(sigma > 1e-14 && sigma < 1e-11); // the rounding of terms of 10³, not of 3e-15
/// // The same formula with a random term on one call in three: no noise is credited.
/// let calls = Cell::new(0u32);
/// let flaky = |x: &DVector<f64>| {
///     calls.set(calls.get() + 1);
///     let kick = if calls.get() % 3 == 0 { 1e-9 } else { 0.0 };
///     expanded(x).map(|h| h + kick)
/// };
/// assert!(measure(&x, Precision::F64, &expanded(&x), &flaky).is_none());
/// ```
#[must_use]
pub fn measure(
    x: &DVector<f64>,
    precision: Precision,
    center: &DMatrix<f64>,
    mut analytic_at: impl FnMut(&DVector<f64>) -> DMatrix<f64>,
) -> Option<DMatrix<f64>> {
    let probes = probe_points(x, precision);
    let mut samples: Vec<(f64, DMatrix<f64>)> =
        probes.iter().map(|(t, p)| (*t, analytic_at(p))).collect();
    let same = |a: &DMatrix<f64>, b: &DMatrix<f64>| {
        a.shape() == b.shape()
            && a.iter()
                .zip(b.iter())
                .all(|(p, q)| p.to_bits() == q.to_bits())
    };
    let deterministic = same(&analytic_at(x), center)
        && probes
            .iter()
            .zip(&samples)
            .take(REPEATED_PROBES)
            .all(|((_, p), (_, a))| same(&analytic_at(p), a));
    if !deterministic {
        return None;
    }
    // x itself is a sample of the rounding too: where the formula's value is piecewise
    // constant at the probes' scale, x may sit on another step than every probe.
    samples.push((0.0, center.clone()));
    noise_from_samples(center, &samples)
}

/// How many calls of the analytic side one [`measure`] makes.
pub(crate) const MEASURE_CALLS: usize = ANALYTIC_NOISE_PROBES + REPEATED_PROBES + 1;

/// Column `j` of the exact reference at a point (`None` if it cannot be computed there).
pub(crate) type ReferenceAt<'a> = &'a dyn Fn(&DVector<f64>, usize) -> Option<DVector<f64>>;

/// The tolerance part of the analytic side's noise for the entries of one check: the noise
/// measured once (at the first entry that needs it), and, per column, whether the exact
/// reference is smooth at the probes' scale (computed at the first entry of that column that
/// needs it).
pub(crate) struct NoiseCredit<'a> {
    at: &'a DVector<f64>,
    precision: Precision,
    analytic: crate::oracle::AnalyticAt<'a>,
    /// The exact reference at a probe (`None`: no reference, a black box).
    reference: Option<ReferenceAt<'a>>,
    measured: Option<Option<DMatrix<f64>>>,
    /// The reference's jitter at the probes, per column.
    reference_noise: Vec<Option<Option<DVector<f64>>>>,
}

impl<'a> NoiseCredit<'a> {
    pub(crate) fn new(
        at: &'a DVector<f64>,
        precision: Precision,
        analytic: crate::oracle::AnalyticAt<'a>,
        reference: Option<ReferenceAt<'a>>,
        columns: usize,
    ) -> Self {
        NoiseCredit {
            at,
            precision,
            analytic,
            reference,
            measured: None,
            reference_noise: vec![None; columns],
        }
    }

    /// `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ` for entry `(i, j)` of the analytic matrix
    /// `center`, or 0 where no noise can be credited (see the [module docs](self)). Counts the
    /// calls it makes in `evaluations`.
    pub(crate) fn allowance(
        &mut self,
        center: &DMatrix<f64>,
        (i, j): (usize, usize),
        evaluations: &mut crate::report::Evaluations,
    ) -> f64 {
        let (at, precision, analytic) = (self.at, self.precision, self.analytic);
        let measured = self.measured.get_or_insert_with(|| {
            evaluations.analytic_evals += MEASURE_CALLS;
            measure(at, precision, center, analytic)
        });
        let Some(sigma) = measured.as_ref().map(|s| s[(i, j)]) else {
            return 0.0;
        };
        let part = crate::tolerance::NOISE_SIGMAS * crate::tolerance::ANALYTIC_NOISE_SAFETY * sigma;
        if !(part > 0.0 && part.is_finite()) {
            return 0.0;
        }
        match self.reference_jitter((i, j), evaluations) {
            // The function itself varies at the probes' scale: no evidence of rounding.
            Some(jitter) if jitter < 0.25 * sigma => part,
            None if self.reference.is_none() => part,
            _ => 0.0,
        }
    }

    /// The jitter of reference entry `(i, j)` at the probes (`None` without a reference, or
    /// where it cannot be computed at every probe).
    fn reference_jitter(
        &mut self,
        (i, j): (usize, usize),
        evaluations: &mut crate::report::Evaluations,
    ) -> Option<f64> {
        let reference = self.reference?;
        let (at, precision) = (self.at, self.precision);
        let column = self.reference_noise[j].get_or_insert_with(|| {
            let center = reference(at, j)?;
            let samples = probe_points(at, precision)
                .into_iter()
                .map(|(t, p)| {
                    evaluations.dual_evals += 1;
                    let c = reference(&p, j)?;
                    Some((t, DMatrix::from_column_slice(c.len(), 1, c.as_slice())))
                })
                .collect::<Option<Vec<_>>>()?;
            evaluations.dual_evals += 1;
            let center = DMatrix::from_column_slice(center.len(), 1, center.as_slice());
            let mut samples = samples;
            samples.push((0.0, center.clone()));
            noise_from_samples(&center, &samples).map(|n| n.column(0).clone_owned())
        });
        column.as_ref().and_then(|c| c.get(i).copied())
    }
}
