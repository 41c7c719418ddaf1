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
//! the analytic derivative at [`ANALYTIC_NOISE_PROBES`] points a few dozen ulps from `x`
//! ([`probe_points`], exactly on a line) and measures, entry by entry, how much the values jitter beyond a smooth
//! change ([`noise_from_samples`]: the root-mean-square residual of a least-squares quadratic in
//! the offset — Moré & Wild's idea of estimating computational noise from values at nearby
//! points, *Estimating computational noise*, SIAM J. Sci. Comput. 33 (2011), applied to the
//! analytic entry instead of `f`, with a fit at irregular offsets instead of their difference
//! table for the reason given in [`crate::fd`]). A wrong formula is smooth: over a move of
//! `10⁻¹⁴` relative it changes along a straight line, which the fit removes, and it does not
//! jitter. Rounding does: each nearby point rounds its terms differently.
//!
//! The measured noise `σ` of an entry enters its tolerance as
//! `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ` (16σ): with 24 probes the estimate has 21 degrees
//! of freedom, and a rounding error of the same kind as the probes' exceeds 16 estimated
//! standard deviations with a probability of about `1e-13` (Student's *t* with 21 degrees of
//! freedom). Measured on the issue's example, the gradient and Hessian of
//! `(x₀ − 2x₁ + 3)⁵(x₀ + x₁ − 1)³` expanded by SymPy, on 10⁶ draws from `[−3, 3]²`: the largest
//! error at `x` was 6.3σ.
//!
//! The probes run only for entries still outside every other part of the tolerance (once per
//! check, for all entries at once), so a correct, well-rounded derivative costs nothing more.
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
//! ```
//! use jacobian_oracle::noise::{measure, noise_from_samples, probe_points};
//! use nalgebra::{DMatrix, DVector};
//!
//! // The derivative of (x − 1)⁵ as a CAS expands it: terms of 5x⁴, 20x³, … that cancel near 1.
//! let expanded = |x: &DVector<f64>| {
//!     let t = x[0];
//!     DMatrix::from_element(1, 1, 5.0 * t.powi(4) - 20.0 * t.powi(3) + 30.0 * t * t - 20.0 * t + 5.0)
//! };
//! let factored = |x: &DVector<f64>| DMatrix::from_element(1, 1, 5.0 * (x[0] - 1.0).powi(4));
//! let x = DVector::from_vec(vec![1.001]);
//! let noisy = measure(&x, f64::EPSILON, &expanded(&x), &expanded).unwrap()[(0, 0)];
//! let quiet = measure(&x, f64::EPSILON, &factored(&x), &factored).unwrap()[(0, 0)];
//! // The expanded form jitters at the rounding of its terms (ε·20 ≈ 4e-15), far above its
//! // exact value 5e-12 allows for; the factored form is accurate to a few ulps of 5e-12.
//! assert!(noisy > 1e-16 && noisy < 1e-13);
//! assert!(quiet < 1e-25);
//! // The same from the parts: probe points, then the residual of each entry.
//! let samples: Vec<_> = probe_points(&x, f64::EPSILON)
//!     .into_iter()
//!     .map(|(t, p)| (t, expanded(&p)))
//!     .collect();
//! assert_eq!(noise_from_samples(&expanded(&x), &samples)[(0, 0)], noisy);
//! ```

use nalgebra::{DMatrix, DVector};

use crate::fd::quadratic_residual;

/// How many points near `x` the analytic implementation is evaluated at: 24 samples of its
/// rounding, so that the noise estimate (a quadratic fit, 21 degrees of freedom) is itself
/// accurate to about 15%.
///
/// ```
/// use jacobian_oracle::noise::{ANALYTIC_NOISE_PROBES, probe_points};
/// use nalgebra::DVector;
/// assert_eq!(probe_points(&DVector::from_vec(vec![1.0, 2.0]), f64::EPSILON).len(), ANALYTIC_NOISE_PROBES);
/// ```
pub const ANALYTIC_NOISE_PROBES: usize = 24;

/// The largest move of a probe, in ulps of each coordinate (times 1, 2 or 3 by coordinate):
/// far enough that every term of the analytic formula rounds differently (a term `c·x^k`
/// moves by up to `k·PROBE_ULPS` of its own ulps), close enough that the formula's smooth
/// change over the move is a quadratic to within far less than one rounding.
///
/// ```
/// use jacobian_oracle::noise::{PROBE_ULPS, probe_points};
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![3.0, -0.5]);
/// for (_, p) in probe_points(&x, f64::EPSILON) {
///     for l in 0..2 {
///         let ulp = x[l].abs().next_up() - x[l].abs();
///         assert!((p[l] - x[l]).abs() <= 3.0 * PROBE_ULPS * ulp);
///     }
/// }
/// ```
pub const PROBE_ULPS: f64 = 64.0;

/// The multipliers `c_k`: [`ANALYTIC_NOISE_PROBES`] distinct integers in `1..=PROBE_ULPS`, in
/// the irregular order of a Weyl sequence of the golden ratio.
fn multipliers() -> [f64; ANALYTIC_NOISE_PROBES] {
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let mut c = [0.0; ANALYTIC_NOISE_PROBES];
    let (mut found, mut k) = (0, 1.0);
    while found < ANALYTIC_NOISE_PROBES {
        let v = (1.0 + PROBE_ULPS * (0.3f64.sqrt() + k * phi).fract()).floor();
        if !c[..found].contains(&v) {
            c[found] = v;
            found += 1;
        }
        k += 1.0;
    }
    c
}

/// The spacing of the floating-point numbers just above `|v|`: `f64`'s, or `f32`'s when `eps`
/// is `f32::EPSILON` (a value the caller has rounded to `f32`).
fn spacing(v: f64, eps: f64) -> f64 {
    if eps > f64::EPSILON {
        let w = v.abs() as f32;
        f64::from(w.next_up() - w)
    } else {
        let w = v.abs();
        w.next_up() - w
    }
}

/// The probe points `x − c_k·m∘u∘sign(x)` with their offsets `t_k = c_k/PROBE_ULPS ∈ (0, 1]`:
/// every coordinate moves toward 0 by `c_k·m_l` of its own ulps `u_l` (`m_l ∈ {1, 2, 3}` by
/// coordinate, so that the coordinates do not move in proportion). Moving toward 0 by whole
/// ulps is exact (the numbers below `|x_l|` are at least as fine), so every probe lies exactly
/// on the line `x + t·D`: the formula's smooth change is an exact function of `t`, and the
/// rounding of the probe points adds nothing to the noise measured. A coordinate at exactly 0
/// stays (the terms it enters are 0 at every probe). `eps` is the analytic side's unit
/// roundoff: `f64::EPSILON`, or `f32::EPSILON` for an `f32` implementation (whose input is an
/// `f32`: its probes move by `f32` ulps and stay `f32` numbers).
///
/// ```
/// use jacobian_oracle::noise::probe_points;
/// use nalgebra::DVector;
/// let x = DVector::from_vec(vec![1.0, 0.0, -8.0]);
/// let probes = probe_points(&x, f64::EPSILON);
/// assert!(probes.iter().all(|(t, _)| *t > 0.0 && *t <= 1.0));
/// assert!(probes.iter().all(|(_, p)| p[1] == 0.0)); // 0 stays 0
/// // Toward 0, by whole ulps, exactly on a line: 1 moves by t·64 ulps, −8 by t·192 ulps.
/// for (t, p) in &probes {
///     assert_eq!((x[0] - p[0]) / (1f64.next_up() - 1.0), t * 64.0);
///     assert_eq!((p[2] - x[2]) / (8f64.next_up() - 8.0), t * 192.0);
/// }
/// // f32 probes are f32 numbers.
/// let probes32 = probe_points(&DVector::from_vec(vec![0.1f32 as f64]), f32::EPSILON as f64);
/// assert!(probes32.iter().all(|(_, p)| f64::from(p[0] as f32) == p[0]));
/// ```
#[must_use]
pub fn probe_points(x: &DVector<f64>, eps: f64) -> Vec<(f64, DVector<f64>)> {
    multipliers()
        .iter()
        .map(|&c| {
            let p = DVector::from_fn(x.len(), |l, _| {
                let m = 1.0 + (l % 3) as f64;
                if x[l] == 0.0 {
                    x[l]
                } else {
                    x[l] - x[l].signum() * c * m * spacing(x[l], eps)
                }
            });
            (c / PROBE_ULPS, p)
        })
        .collect()
}

/// The noise of each entry: the root-mean-square residual of a least-squares quadratic in `t`
/// through `(t_k, A_k − A(x))` over the samples `(t_k, A_k)` ([`quadratic_residual`]). 0 for an
/// entry whose samples are not all finite (no noise is credited where the formula is singular
/// nearby: that entry keeps the rest of its tolerance).
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
/// let noise = noise_from_samples(&center, &samples);
/// assert!(noise[(0, 0)] < 1e-18); // the fit's own rounding
/// assert!(noise[(0, 1)] > 5e-13 && noise[(0, 1)] < 2e-12);
/// ```
#[must_use]
pub fn noise_from_samples(center: &DMatrix<f64>, samples: &[(f64, DMatrix<f64>)]) -> DMatrix<f64> {
    let mut points = Vec::with_capacity(samples.len());
    DMatrix::from_fn(center.nrows(), center.ncols(), |i, j| {
        points.clear();
        points.extend(
            samples
                .iter()
                .map(|(t, a)| (*t, a[(i, j)] - center[(i, j)])),
        );
        let sigma = quadratic_residual(&points);
        if sigma.is_finite() { sigma } else { 0.0 }
    })
}

/// The measured noise of every entry of an analytic derivative at `x`: `analytic_at` evaluated
/// at the [`probe_points`] of `x`, then [`noise_from_samples`] around `center` (its value at
/// `x`). `None` if a probe returns a matrix of another shape than `center`'s.
///
/// ```
/// use jacobian_oracle::noise::measure;
/// use nalgebra::{DMatrix, DVector};
///
/// // A Hessian that a CAS printed expanded: f = (x₀ + x₁)⁶, ∂²f/∂x₀² = 30(x₀ + x₁)⁴ written out.
/// let expanded = |x: &DVector<f64>| {
///     let (a, b) = (x[0], x[1]);
///     let h = 30.0 * a.powi(4) + 120.0 * a.powi(3) * b + 180.0 * a * a * b * b
///         + 120.0 * a * b.powi(3) + 30.0 * b.powi(4);
///     DMatrix::from_element(1, 1, h)
/// };
/// let x = DVector::from_vec(vec![2.5, -2.4999]); // x₀ + x₁ ≈ 1e-4: terms of 1e3 cancel to 3e-15
/// let sigma = measure(&x, f64::EPSILON, &expanded(&x), &expanded).unwrap()[(0, 0)];
/// assert!(sigma > 1e-14 && sigma < 1e-11); // the rounding of terms of 10³, not of 3e-15
/// ```
#[must_use]
pub fn measure(
    x: &DVector<f64>,
    eps: f64,
    center: &DMatrix<f64>,
    mut analytic_at: impl FnMut(&DVector<f64>) -> DMatrix<f64>,
) -> Option<DMatrix<f64>> {
    let mut samples = Vec::with_capacity(ANALYTIC_NOISE_PROBES);
    for (t, p) in probe_points(x, eps) {
        let a = analytic_at(&p);
        if a.shape() != center.shape() {
            return None;
        }
        samples.push((t, a));
    }
    Some(noise_from_samples(center, &samples))
}
