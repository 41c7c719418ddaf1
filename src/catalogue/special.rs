//! Special functions on dual numbers: `erf`, `erfc` and the normal CDF `Φ`, lifted from their
//! `f64` values (`libm`) by a finite Taylor expansion in the dual part, exact to every
//! derivative order the dual number carries.

use num_dual::DualNum;

/// `2/√π`, the factor of `erf'(x) = (2/√π) e^{−x²}`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// `1/√(2π)`, the normalisation of the standard normal density `φ`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `1/√2 = FRAC_1_SQRT_2 + FRAC_1_SQRT_2_LO` to about 106 bits.
const FRAC_1_SQRT_2_LO: f64 = -4.833_646_656_726_457e-17;

/// `e^{−s·x²}` for `s ∈ {1, ½}` to about one ulp: `x² = p + e` exactly (`e` from a fused
/// multiply-add), then `e^{−s(p + e)} = e^{−sp}·(1 − se)` to rounding (`|e| ≤ ulp(p)/2`). The
/// plain `(-x * x).exp()` is off by up to `x²·ε` relative: the rounding of `x²` is amplified by
/// the exponential (about `700ε` near `|x| = 26`).
fn exp_neg_square(x: f64, s: f64) -> f64 {
    let p = x * x;
    if !p.is_finite() {
        return 0.0;
    }
    let e = x.mul_add(x, -p);
    (-s * p).exp() * (1.0 - s * e)
}

/// `e^{−x²}` to about one ulp (see the source for how `x²` is kept exact).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::gaussian;
/// assert_eq!(gaussian(0.0), 1.0);
/// assert_eq!(gaussian(1e300), 0.0);
/// assert_abs_diff_eq!(gaussian(1.5) / (-2.25_f64).exp(), 1.0, epsilon = 1e-15);
/// ```
#[must_use]
pub fn gaussian(x: f64) -> f64 {
    exp_neg_square(x, 1.0)
}

/// `φ(x) = e^{−x²/2}/√(2π)`, the standard normal density, to about one ulp.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::normal_pdf;
/// assert_abs_diff_eq!(normal_pdf(0.0), 0.3989422804014327, epsilon = 1e-17);
/// assert_eq!(normal_pdf(1e300), 0.0);
/// ```
#[must_use]
pub fn normal_pdf(x: f64) -> f64 {
    exp_neg_square(x, 0.5) * FRAC_1_SQRT_2PI
}

/// Which Hermite polynomials give the derivatives of a Gaussian density.
#[derive(Clone, Copy)]
enum Hermite {
    /// `dᵏ/dtᵏ e^{−t²} = (−1)^k H_k(t) e^{−t²}`: `H₀ = 1`, `H₁ = 2t`,
    /// `H_{k+1} = 2t H_k − 2k H_{k−1}`.
    Physicists,
    /// `dᵏ/dtᵏ e^{−t²/2} = (−1)^k He_k(t) e^{−t²/2}`: `He₀ = 1`, `He₁ = t`,
    /// `He_{k+1} = t He_k − k He_{k−1}`.
    Probabilists,
}

/// The Taylor lift of `F` at `x`, where `F' = density·e^{−t²}` (physicists) or
/// `density·e^{−t²/2}` (probabilists), given `F(x₀)` and `F'(x₀)`:
///
/// `F(x₀ + δ) = F(x₀) + Σ_{k=0}^{NDERIV} F^{(k+1)}(x₀) δ^{k+1}/(k+1)!`, with
/// `F^{(k+1)}(x₀) = (−1)^k P_k(x₀) F'(x₀)` (`P_k` the Hermite polynomial). Exact on `D`, since
/// `δ = x − x₀` is nilpotent: `δ^k = 0` for `k > NDERIV`.
fn taylor_lift<D: DualNum<Primitive = f64> + Copy>(
    x: D,
    value: f64,
    slope: f64,
    hermite: Hermite,
) -> D {
    // Where F' underflows every derivative is 0 (and P_k(x₀) may overflow: ∞·0 is NaN).
    if D::NDERIV == 0 || slope == 0.0 {
        return D::from(value);
    }
    let x0 = x.re();
    let delta = x - D::from(x0);
    let c = match hermite {
        Hermite::Physicists => 2.0,
        Hermite::Probabilists => 1.0,
    };
    let (mut p_prev, mut p) = (0.0, 1.0); // P_{k−1}(x₀), P_k(x₀)
    let mut factorial = 1.0; // (k + 1)!
    let mut power = delta; // δ^{k+1}
    let mut sum = D::zero();
    for k in 0..=D::NDERIV {
        factorial *= (k + 1) as f64;
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        sum += power * (sign * p * slope / factorial);
        (p_prev, p) = (p, c * (x0 * p - k as f64 * p_prev));
        power *= delta;
    }
    D::from(value) + sum
}

/// The error function `erf(x) = (2/√π) ∫₀^x e^{−t²} dt` on any scalar, exact to rounding in
/// the value and in every derivative the dual number carries.
///
/// num-dual has no `erf`; this is a general *Taylor lift* of an `f64` special function onto
/// dual numbers. Write the dual argument as `x = x₀ + δ`, with `x₀ = x.re()` and `δ = x − x₀`
/// its infinitesimal part, nilpotent: `δ^k = 0` for `k > D::NDERIV` (1 for `Dual64`, 2 for
/// `Dual2_64` and `HyperDual64`, 3 for `Dual3_64`). Then the Taylor series of `erf` at `x₀` is
/// *finite* and exact on `D`:
///
/// `erf(x) = erf(x₀) + (2/√π) Σ_{k=0}^{NDERIV} c_k δ^{k+1}/(k+1)`,
///
/// where `c_k = (−1)^k H_k(x₀) e^{−x₀²}/k!` are the Taylor coefficients of `e^{−t²}` at `x₀`
/// (Rodrigues' formula, with `H_k` the physicists' Hermite polynomials: `H₀ = 1`, `H₁ = 2x`,
/// `H_{k+1} = 2xH_k − 2kH_{k−1}`; Abramowitz & Stegun 7.1.19 and 22.7.13). The value
/// `erf(x₀)` comes from [`libm::erf`]; `e^{−x₀²}` is computed to about one ulp ([`gaussian`]).
/// Where `e^{−x₀²}` underflows (`|x₀| ≳ 27`) every derivative is 0, as it is to `f64`
/// precision — no NaN or infinity for any finite input.
///
/// Relative precision: `erf(x)` near `±1` cannot hold `1 − |erf(x)|` (`erf(6)` rounds to 1);
/// use [`erfc`] (or [`normal_cdf`]) for tails.
///
/// # Examples
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::erf;
/// use num_dual::{Dual2_64, Dual64, DualNum, HyperDual64};
///
/// assert_eq!(erf(0.0), 0.0);
/// assert_abs_diff_eq!(erf(0.5_f64), 0.520_499_877_813_046_5, epsilon = 1e-16);
///
/// // erf'(x) = (2/√π) e^{−x²}, erf''(x) = −2x erf'(x).
/// let d = erf(Dual64::from_re(0.5).derivative());
/// let first = std::f64::consts::FRAC_2_SQRT_PI * (-0.25_f64).exp();
/// assert_abs_diff_eq!(d.re, 0.520_499_877_813_046_5, epsilon = 1e-16);
/// assert_abs_diff_eq!(d.eps / first, 1.0, epsilon = 1e-15);
///
/// let d2 = erf(Dual2_64::from_re(0.5).derivative());
/// assert_abs_diff_eq!(d2.v1 / first, 1.0, epsilon = 1e-15);
/// assert_abs_diff_eq!(d2.v2 / (-first), 1.0, epsilon = 1e-15); // −2·0.5·erf'(0.5)
///
/// let h = erf(HyperDual64::from_re(0.5).derivative1().derivative2());
/// assert_abs_diff_eq!(h.eps1eps2 / (-first), 1.0, epsilon = 1e-15);
///
/// // No NaN or infinity anywhere, derivatives included.
/// let far = erf(Dual2_64::from_re(1e300).derivative());
/// assert_eq!((far.re, far.v1, far.v2), (1.0, 0.0, 0.0));
/// ```
#[must_use]
pub fn erf<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    taylor_lift(
        x,
        libm::erf(x0),
        TWO_OVER_SQRT_PI * gaussian(x0),
        Hermite::Physicists,
    )
}

/// The complementary error function `erfc(x) = 1 − erf(x)` on any scalar, with full relative
/// precision in the right tail (`erfc(10) ≈ 2.1e-45`, where `1 − erf(10)` is 0), exact to
/// rounding in every derivative the dual number carries: the same Taylor lift as [`erf`],
/// from [`libm::erfc`], with `erfc' = −erf'`.
///
/// # Examples
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::erfc;
/// use num_dual::{Dual64, DualNum};
///
/// assert_abs_diff_eq!(erfc(10.0_f64) / 2.088_487_583_762_545e-45, 1.0, epsilon = 1e-14);
/// let d = erfc(Dual64::from_re(-1.0).derivative());
/// let first = -std::f64::consts::FRAC_2_SQRT_PI * (-1.0_f64).exp();
/// assert_abs_diff_eq!(d.eps / first, 1.0, epsilon = 1e-15);
/// ```
#[must_use]
pub fn erfc<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    taylor_lift(
        x,
        libm::erfc(x0),
        -TWO_OVER_SQRT_PI * gaussian(x0),
        Hermite::Physicists,
    )
}

/// `Φ(x₀) = erfc(−x₀/√2)/2` on `f64`, with `x₀/√2` carried to about 106 bits
/// (`z = z_hi + z_lo`) and the first-order correction `erfc(z_hi + z_lo) ≈ erfc(z_hi) −
/// (2/√π)e^{−z_hi²} z_lo`: the rounding of `x₀/√2` alone would cost `x₀²ε` relative in the
/// left tail (`1.5e-13` at `x₀ = −37`).
fn normal_cdf_f64(x0: f64) -> f64 {
    let z = -x0 * std::f64::consts::FRAC_1_SQRT_2;
    let z_lo = (-x0).mul_add(std::f64::consts::FRAC_1_SQRT_2, -z) - x0 * FRAC_1_SQRT_2_LO;
    0.5 * (libm::erfc(z) - TWO_OVER_SQRT_PI * gaussian(z) * z_lo)
}

/// `Φ(x) = (1 + erf(x/√2))/2`, the standard normal CDF, on any scalar: computed as
/// `erfc(−x/√2)/2` (full relative precision in the left tail too: `Φ(−10) ≈ 7.6e-24`, where
/// `1 + erf` is 0, and `Φ(−37)` to about an ulp) and lifted onto dual numbers like [`erf`],
/// from `Φ' = φ` and `φ^{(k)} = (−1)^k He_k φ` (probabilists' Hermite polynomials, `He₀ = 1`,
/// `He₁ = x`, `He_{k+1} = xHe_k − kHe_{k−1}`), so its derivatives are exact to every order.
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::{normal_cdf, normal_pdf};
/// use num_dual::{Dual2_64, DualNum};
/// assert_eq!(normal_cdf(0.0), 0.5);
/// assert_abs_diff_eq!(normal_cdf(-10.0_f64) / 7.619853024160526e-24, 1.0, epsilon = 1e-15);
/// let d = normal_cdf(Dual2_64::from_re(-2.0).derivative());
/// assert_abs_diff_eq!(d.v1 / normal_pdf(-2.0), 1.0, epsilon = 1e-15);
/// assert_abs_diff_eq!(d.v2 / (2.0 * normal_pdf(-2.0)), 1.0, epsilon = 1e-15); // φ'(x) = −xφ(x)
/// ```
#[must_use]
pub fn normal_cdf<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    taylor_lift(x, normal_cdf_f64(x0), normal_pdf(x0), Hermite::Probabilists)
}
