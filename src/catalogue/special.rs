//! Special functions on dual numbers: `erf` and `erfc` lifted from their `f64` values
//! (`libm`) by a Taylor expansion in the dual part, exact to every derivative order.

use num_dual::DualNum;

/// `2/√π`, the factor of `erf' (x) = (2/√π) e^{−x²}`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// `e^{−x²}` to about one ulp: `x² = p + e` exactly (`e` from a fused multiply-add), then
/// `e^{−x²} = e^{−p}·e^{−e}` with `e^{−e} = 1 − e` to rounding (`|e| ≤ ulp(p)/2`). The plain
/// `(-x * x).exp()` is off by up to `x²·ε` relative (the rounding of `x²` is amplified by
/// the exponential: about `700ε` near `|x| = 26`).
///
/// ```
/// use jacobian_oracle::catalogue::gaussian;
/// assert_eq!(gaussian(0.0), 1.0);
/// assert_eq!(gaussian(1e300), 0.0);
/// assert!((gaussian(1.5) / (-2.25_f64).exp() - 1.0).abs() < 1e-15);
/// ```
#[must_use]
pub fn gaussian(x: f64) -> f64 {
    let p = x * x;
    if !p.is_finite() {
        return 0.0;
    }
    let e = x.mul_add(x, -p);
    (-p).exp() * (1.0 - e)
}

/// The Taylor coefficients `c_k = (−1)^k H_k(x₀) e^{−x₀²} / k!` of `e^{−t²}` at `t = x₀`,
/// `k = 0, 1, …, order` (`H_k` the physicists' Hermite polynomials, `H₀ = 1`, `H₁ = 2x`,
/// `H_{k+1} = 2x H_k − 2k H_{k−1}`), all zero where `e^{−x₀²}` underflows (there `H_k` may
/// overflow, and `∞·0` would be NaN).
fn gaussian_taylor(x0: f64, order: usize) -> Vec<f64> {
    let g = gaussian(x0);
    if g == 0.0 {
        return vec![0.0; order + 1];
    }
    let mut c = Vec::with_capacity(order + 1);
    let (mut h_prev, mut h) = (0.0, 1.0); // H_{k−1}, H_k
    let mut factorial = 1.0;
    for k in 0..=order {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        c.push(sign * h * g / factorial);
        let next = 2.0 * x0 * h - 2.0 * k as f64 * h_prev;
        (h_prev, h) = (h, next);
        factorial *= (k + 1) as f64;
    }
    c
}

/// `(2/√π) Σ_{k=0}^{NDERIV} c_k δ^{k+1}/(k+1)`: the part of `∫_{x₀}^{x₀+δ} (2/√π) e^{−t²} dt`
/// that a dual number of order `NDERIV` can hold (`δ^{k} = 0` for `k > NDERIV`).
fn erf_increment<D: DualNum<Primitive = f64> + Copy>(x0: f64, delta: D) -> D {
    let c = gaussian_taylor(x0, D::NDERIV);
    let mut power = delta; // δ^{k+1}
    let mut sum = D::zero();
    for (k, &ck) in c.iter().enumerate() {
        sum += power * (ck / (k + 1) as f64);
        power *= delta;
    }
    sum * TWO_OVER_SQRT_PI
}

/// The error function `erf(x) = (2/√π) ∫₀^x e^{−t²} dt` on any scalar, exact to rounding in
/// the value and in every derivative the dual number carries.
///
/// num-dual has no `erf`; this is a general *Taylor lift* of an `f64` special function onto
/// dual numbers. Write the dual argument as `x = x₀ + δ`, with `x₀ = x.re()` and `δ = x − x₀`
/// its infinitesimal part, nilpotent: `δ^k = 0` for `k > D::NDERIV` (1 for `Dual64`, 2 for
/// `Dual2_64` and `HyperDual64`, …). Then the Taylor series of `erf` at `x₀` is *finite* and
/// exact on `D`:
///
/// `erf(x) = erf(x₀) + (2/√π) Σ_{k=0}^{NDERIV} c_k δ^{k+1}/(k+1)`,
///
/// where `c_k = (−1)^k H_k(x₀) e^{−x₀²}/k!` are the Taylor coefficients of `e^{−t²}` at `x₀`
/// (Rodrigues' formula: `dᵏ/dtᵏ e^{−t²} = (−1)^k H_k(t) e^{−t²}`, with `H_k` the physicists'
/// Hermite polynomials; Abramowitz & Stegun 7.1.19 and 22.11.7). The value `erf(x₀)` comes
/// from [`libm::erf`]; `e^{−x₀²}` is computed to about one ulp ([`gaussian`]). Where
/// `e^{−x₀²}` underflows (`|x₀| ≳ 27`) every derivative is 0, as it is to `f64` precision.
///
/// Relative precision: `erf(x)` near `±1` cannot hold `1 − |erf(x)|` (`erf(6)` rounds to 1);
/// use [`erfc`] for tails.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::erf;
/// use num_dual::{Dual2_64, Dual64, DualNum, HyperDual64};
///
/// assert_eq!(erf(0.0), 0.0);
/// assert!((erf(0.5_f64) - 0.520_499_877_813_046_5).abs() < 1e-16);
///
/// // erf'(x) = (2/√π) e^{−x²}, erf''(x) = −2x erf'(x).
/// let d = erf(Dual64::from_re(0.5).derivative());
/// let first = std::f64::consts::FRAC_2_SQRT_PI * (-0.25_f64).exp();
/// assert!((d.re - 0.520_499_877_813_046_5).abs() < 1e-16);
/// assert!((d.eps / first - 1.0).abs() < 1e-15);
///
/// let d2 = erf(Dual2_64::from_re(0.5).derivative());
/// assert!((d2.v1 / first - 1.0).abs() < 1e-15);
/// assert!((d2.v2 / (-first) - 1.0).abs() < 1e-15); // −2·0.5·erf'(0.5)
///
/// let h = erf(HyperDual64::from_re(0.5).derivative1().derivative2());
/// assert!((h.eps1eps2 / (-first) - 1.0).abs() < 1e-15);
///
/// // No NaN or infinity anywhere, derivatives included.
/// let far = erf(Dual2_64::from_re(1e300).derivative());
/// assert_eq!((far.re, far.v1, far.v2), (1.0, 0.0, 0.0));
/// ```
#[must_use]
pub fn erf<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    let value = D::from(libm::erf(x0));
    if D::NDERIV == 0 {
        return value;
    }
    value + erf_increment(x0, x - D::from(x0))
}

/// The complementary error function `erfc(x) = 1 − erf(x)` on any scalar, with full relative
/// precision in the right tail (`erfc(10) ≈ 2.1e-45`, where `1 − erf(10)` is 0), exact to
/// rounding in every derivative the dual number carries: the same Taylor lift as [`erf`],
/// from [`libm::erfc`], with `erfc' = −erf'`.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::erfc;
/// use num_dual::{Dual64, DualNum};
///
/// assert!((erfc(10.0_f64) / 2.088_487_583_762_545e-45 - 1.0).abs() < 1e-14);
/// let d = erfc(Dual64::from_re(-1.0).derivative());
/// let first = -std::f64::consts::FRAC_2_SQRT_PI * (-1.0_f64).exp();
/// assert!((d.eps / first - 1.0).abs() < 1e-15);
/// ```
#[must_use]
pub fn erfc<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    let value = D::from(libm::erfc(x0));
    if D::NDERIV == 0 {
        return value;
    }
    value - erf_increment(x0, x - D::from(x0))
}
