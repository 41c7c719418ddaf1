//! Activation functions of PML 1 sec. 13.4.3 and their neighbours, elementwise and as layers.
//!
//! Every activation is written once, generic over the scalar, in a form that is exact to
//! rounding on `f64` and on dual numbers and gives no NaN or infinity for any finite input
//! (`|a|` up to `1e300`), derivatives included. Beside each one: its hand-written derivative
//! `<name>_derivative(a: f64)` (the textbook formula, the one under test), and for `tanh`,
//! `softplus`, `log_sigmoid` and `sigmoid` the second derivative `<name>_second_derivative`.
//!
//! Kinks: `relu` and `leaky_relu` at 0, and `elu`'s second derivative at 0 (its first too
//! unless `α = 1`), `selu` at 0. One convention everywhere, in the function and in its
//! derivative: `a > 0` takes the identity branch, `a ≤ 0` the other one — so at `a = 0`
//! exactly, `relu'(0) = 0`, `leaky_relu'(0) = slope`, `elu'(0) = α`, `selu'(0) = λα`, which
//! is what dual numbers compute.

use num_dual::DualNum;

use super::{erfc, sigmoid};

/// `√(2/π)`, the scale of the GELU tanh approximation.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// `1/√(2π)`, the normalisation of the standard normal density `φ`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// The cubic coefficient of the GELU tanh approximation (Hendrycks & Gimpel 2016).
const GELU_CUBIC: f64 = 0.044_715;

/// SELU's scale `λ` (Klambauer et al. 2017, eq. 14).
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// SELU's `α` (Klambauer et al. 2017, eq. 14).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// `tanh(a)`, stable for every finite `a` and on dual numbers.
///
/// Computed as `sign(a)·(1 − e^{−2|a|})/(1 + e^{−2|a|})`, with `1 − e^{−2|a|}` written as
/// `−expm1(−2|a|)` so that small `|a|` keeps full relative precision (`tanh(1e-300) =
/// 1e-300`). The exponential never overflows. num-dual's own `tanh` of a dual goes through
/// `sinh`/`cosh`: its derivative is NaN from `|a| ≈ 355`, its value from `|a| ≈ 711` (and
/// `1 − 2/(1 + e^{2a})` is no better on duals: `e^{2a}` overflows).
///
/// ```
/// use jacobian_oracle::catalogue::tanh;
/// use num_dual::{Dual64, DualNum};
/// assert_eq!(tanh(0.0), 0.0);
/// assert_eq!(tanh(1e-300), 1e-300);
/// assert!((tanh(0.5_f64) - 0.5_f64.tanh()).abs() < 1e-16);
/// let d = tanh(Dual64::from_re(800.0).derivative());
/// assert_eq!((d.re, d.eps), (1.0, 0.0));
/// ```
#[must_use]
pub fn tanh<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    // Both branches are tanh: the second is the first at −a, negated (tanh is odd).
    let positive = |b: D| {
        let e = (b * -2.0).exp_m1(); // e^{−2b} − 1 ∈ (−1, 0]
        -e / (e + 2.0)
    };
    if a.re() >= 0.0 {
        positive(a)
    } else {
        -positive(-a)
    }
}

/// The textbook `tanh'(a) = 1 − z²`, `z = tanh(a)`.
///
/// Exact to about `ε` in absolute terms, with no relative precision once `z` rounds to `±1`
/// (`|a| ≳ 19`, where the true value is `≈ 4e^{−2|a|}`): the oracle accepts it there with a
/// precision-loss note, as it does `σ(1 − σ)`. [`tanh_derivative_stable`] keeps full
/// relative precision.
///
/// ```
/// use jacobian_oracle::catalogue::tanh_derivative;
/// assert_eq!(tanh_derivative(0.0), 1.0);
/// assert_eq!(tanh_derivative(40.0), 0.0); // true value 7.2e-35
/// ```
#[must_use]
pub fn tanh_derivative(a: f64) -> f64 {
    let z = tanh(a);
    1.0 - z * z
}

/// `tanh'(a) = sech²(a) = 4t/(1 + t)²`, `t = e^{−2|a|}`: the same derivative with full
/// relative precision everywhere.
///
/// ```
/// use jacobian_oracle::catalogue::tanh_derivative_stable;
/// assert!((tanh_derivative_stable(40.0) / (4.0 * (-80.0_f64).exp()) - 1.0).abs() < 1e-15);
/// assert_eq!(tanh_derivative_stable(1e300), 0.0);
/// ```
#[must_use]
pub fn tanh_derivative_stable(a: f64) -> f64 {
    let t = (-2.0 * a.abs()).exp();
    4.0 * t / ((1.0 + t) * (1.0 + t))
}

/// `tanh''(a) = −2z(1 − z²)`, `z = tanh(a)`, with `1 − z²` computed as
/// [`tanh_derivative_stable`] so that it keeps full relative precision in both tails.
///
/// ```
/// use jacobian_oracle::catalogue::{tanh, tanh_second_derivative};
/// assert_eq!(tanh_second_derivative(0.0), 0.0);
/// let z = tanh(0.5_f64);
/// assert!((tanh_second_derivative(0.5) - (-2.0 * z * (1.0 - z * z))).abs() < 1e-15);
/// ```
#[must_use]
pub fn tanh_second_derivative(a: f64) -> f64 {
    -2.0 * tanh(a) * tanh_derivative_stable(a)
}

/// `softplus(a) = log(1 + e^{a})`, stable for every finite `a` and on dual numbers:
/// `max(a, 0) + log1p(e^{−|a|})`, accurate in both tails (`softplus(−700) = e^{−700}` to
/// rounding, `softplus(800) = 800`).
///
/// ```
/// use jacobian_oracle::catalogue::softplus;
/// assert_eq!(softplus(0.0), std::f64::consts::LN_2);
/// assert_eq!(softplus(800.0), 800.0);
/// assert!((softplus(-700.0_f64) / (-700.0_f64).exp() - 1.0).abs() < 1e-15);
/// ```
#[must_use]
pub fn softplus<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    if a.re() >= 0.0 {
        a + (-a).exp().ln_1p()
    } else {
        a.exp().ln_1p()
    }
}

/// `softplus'(a) = σ(a)`, with the stable [`sigmoid`]: full relative precision everywhere.
///
/// ```
/// use jacobian_oracle::catalogue::softplus_derivative;
/// assert_eq!(softplus_derivative(0.0), 0.5);
/// ```
#[must_use]
pub fn softplus_derivative(a: f64) -> f64 {
    sigmoid(a)
}

/// `softplus''(a) = σ(a)(1 − σ(a))`, computed as `σ(a)σ(−a)` (`1 − σ(a) = σ(−a)`) so that it
/// keeps full relative precision in both tails.
///
/// ```
/// use jacobian_oracle::catalogue::softplus_second_derivative;
/// assert_eq!(softplus_second_derivative(0.0), 0.25);
/// assert!((softplus_second_derivative(40.0) / 4.248354255291589e-18 - 1.0).abs() < 1e-14);
/// ```
#[must_use]
pub fn softplus_second_derivative(a: f64) -> f64 {
    sigmoid(a) * sigmoid(-a)
}

/// `log σ(a) = −softplus(−a)`, stable for every finite `a` and on dual numbers
/// (`log_sigmoid(700) = −e^{−700}` to rounding, `log_sigmoid(−800) = −800`).
///
/// ```
/// use jacobian_oracle::catalogue::log_sigmoid;
/// assert_eq!(log_sigmoid(0.0), -std::f64::consts::LN_2);
/// assert_eq!(log_sigmoid(-800.0), -800.0);
/// ```
#[must_use]
pub fn log_sigmoid<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    -softplus(-a)
}

/// `(log σ)'(a) = 1 − σ(a) = σ(−a)`, full relative precision everywhere.
///
/// ```
/// use jacobian_oracle::catalogue::log_sigmoid_derivative;
/// assert_eq!(log_sigmoid_derivative(0.0), 0.5);
/// assert_eq!(log_sigmoid_derivative(-800.0), 1.0);
/// ```
#[must_use]
pub fn log_sigmoid_derivative(a: f64) -> f64 {
    sigmoid(-a)
}

/// `(log σ)''(a) = −σ(a)(1 − σ(a))`, computed as `−σ(a)σ(−a)`.
///
/// ```
/// use jacobian_oracle::catalogue::log_sigmoid_second_derivative;
/// assert_eq!(log_sigmoid_second_derivative(0.0), -0.25);
/// ```
#[must_use]
pub fn log_sigmoid_second_derivative(a: f64) -> f64 {
    -softplus_second_derivative(a)
}

/// `σ''(a) = σ(1 − σ)(1 − 2σ)`, computed as `−σ(a)σ(−a)·tanh(a/2)` (`1 − σ(a) = σ(−a)`,
/// `1 − 2σ(a) = −tanh(a/2)`), full relative precision everywhere, also near `a = 0` where
/// `1 − 2σ` cancels.
///
/// ```
/// use jacobian_oracle::catalogue::{sigmoid, sigmoid_second_derivative};
/// assert_eq!(sigmoid_second_derivative(0.0), 0.0);
/// let z = sigmoid(1.5_f64);
/// let textbook = z * (1.0 - z) * (1.0 - 2.0 * z);
/// assert!((sigmoid_second_derivative(1.5) / textbook - 1.0).abs() < 1e-14);
/// ```
#[must_use]
pub fn sigmoid_second_derivative(a: f64) -> f64 {
    -sigmoid(a) * sigmoid(-a) * tanh(0.5 * a)
}

/// `relu(a) = max(a, 0)`. At the kink `a = 0` it takes the zero branch (`a > 0` is the
/// identity branch), so dual numbers give `relu'(0) = 0`.
///
/// ```
/// use jacobian_oracle::catalogue::relu;
/// assert_eq!(relu(2.0), 2.0);
/// assert_eq!(relu(-2.0), 0.0);
/// ```
#[must_use]
pub fn relu<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    if a.re() > 0.0 { a } else { D::zero() }
}

/// `relu'(a) = 1` for `a > 0`, `0` for `a ≤ 0` (the convention of [`relu`]).
///
/// ```
/// use jacobian_oracle::catalogue::relu_derivative;
/// assert_eq!(relu_derivative(0.0), 0.0);
/// assert_eq!(relu_derivative(1e-300), 1.0);
/// ```
#[must_use]
pub fn relu_derivative(a: f64) -> f64 {
    if a > 0.0 { 1.0 } else { 0.0 }
}

/// `leaky_relu(a) = a` for `a > 0`, `slope·a` for `a ≤ 0` (Maas et al. 2013; PML 1 sec.
/// 13.4.3). At the kink `a = 0` dual numbers give the slope.
///
/// ```
/// use jacobian_oracle::catalogue::leaky_relu;
/// assert_eq!(leaky_relu(2.0, 0.1), 2.0);
/// assert_eq!(leaky_relu(-2.0, 0.25), -0.5);
/// ```
#[must_use]
pub fn leaky_relu<D: DualNum<Primitive = f64> + Copy>(a: D, slope: f64) -> D {
    if a.re() > 0.0 { a } else { a * slope }
}

/// `leaky_relu'(a) = 1` for `a > 0`, `slope` for `a ≤ 0`.
///
/// ```
/// use jacobian_oracle::catalogue::leaky_relu_derivative;
/// assert_eq!(leaky_relu_derivative(0.0, 0.1), 0.1);
/// ```
#[must_use]
pub fn leaky_relu_derivative(a: f64, slope: f64) -> f64 {
    if a > 0.0 { 1.0 } else { slope }
}

/// `elu(a) = a` for `a > 0`, `α(e^{a} − 1)` for `a ≤ 0` (Clevert et al. 2016), with
/// `e^{a} − 1` as `expm1(a)` (full relative precision near 0).
///
/// ```
/// use jacobian_oracle::catalogue::elu;
/// assert_eq!(elu(2.0, 1.0), 2.0);
/// assert!((elu(-1.0_f64, 1.0) - (-1.0_f64).exp_m1()).abs() < 1e-16);
/// assert_eq!(elu(-1e300, 1.0), -1.0);
/// ```
#[must_use]
pub fn elu<D: DualNum<Primitive = f64> + Copy>(a: D, alpha: f64) -> D {
    if a.re() > 0.0 { a } else { a.exp_m1() * alpha }
}

/// `elu'(a) = 1` for `a > 0`, `αe^{a}` for `a ≤ 0` (so `elu'(0) = α`).
///
/// ```
/// use jacobian_oracle::catalogue::elu_derivative;
/// assert_eq!(elu_derivative(0.0, 0.5), 0.5);
/// assert_eq!(elu_derivative(3.0, 0.5), 1.0);
/// ```
#[must_use]
pub fn elu_derivative(a: f64, alpha: f64) -> f64 {
    if a > 0.0 { 1.0 } else { alpha * a.exp() }
}

/// `selu(a) = λ·elu(a, α)` with the self-normalising constants [`SELU_LAMBDA`] and
/// [`SELU_ALPHA`] (Klambauer et al. 2017, eq. 2 and 14).
///
/// ```
/// use jacobian_oracle::catalogue::{selu, SELU_LAMBDA};
/// assert_eq!(selu(1.0), SELU_LAMBDA);
/// ```
#[must_use]
pub fn selu<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    elu(a, SELU_ALPHA) * SELU_LAMBDA
}

/// `selu'(a) = λ` for `a > 0`, `λαe^{a}` for `a ≤ 0`.
///
/// ```
/// use jacobian_oracle::catalogue::{selu_derivative, SELU_ALPHA, SELU_LAMBDA};
/// assert_eq!(selu_derivative(0.0), SELU_LAMBDA * SELU_ALPHA);
/// ```
#[must_use]
pub fn selu_derivative(a: f64) -> f64 {
    SELU_LAMBDA * elu_derivative(a, SELU_ALPHA)
}

/// `silu(a) = a·σ(a)` (SiLU, Elfwing et al. 2018; swish with `β = 1`, Ramachandran et al.
/// 2017), with the stable [`sigmoid`].
///
/// ```
/// use jacobian_oracle::catalogue::silu;
/// assert_eq!(silu(0.0), 0.0);
/// assert_eq!(silu(800.0), 800.0);
/// ```
#[must_use]
pub fn silu<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    a * sigmoid(a)
}

/// `silu'(a) = σ(a)(1 + a(1 − σ(a)))`, the textbook form. It loses relative precision only
/// near its zero (`a ≈ −1.28`, where `1 + a(1 − σ)` cancels), which the oracle's
/// rounding-sensitivity tolerance covers.
///
/// ```
/// use jacobian_oracle::catalogue::silu_derivative;
/// assert_eq!(silu_derivative(0.0), 0.5);
/// ```
#[must_use]
pub fn silu_derivative(a: f64) -> f64 {
    let s = sigmoid(a);
    s * (1.0 + a * (1.0 - s))
}

/// `Φ(x) = (1 + erf(x/√2))/2`, the standard normal CDF, computed as `erfc(−x/√2)/2`: full
/// relative precision in the left tail too (`Φ(−10) ≈ 7.6e-24`, where `1 + erf` is 0).
///
/// ```
/// use jacobian_oracle::catalogue::normal_cdf;
/// assert_eq!(normal_cdf(0.0), 0.5);
/// assert!((normal_cdf(-10.0_f64) / 7.619853024160527e-24 - 1.0).abs() < 1e-14);
/// ```
#[must_use]
pub fn normal_cdf<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    erfc(x * -std::f64::consts::FRAC_1_SQRT_2) * 0.5
}

/// `φ(x) = e^{−x²/2}/√(2π)`, the standard normal density, to about one ulp.
///
/// ```
/// use jacobian_oracle::catalogue::normal_pdf;
/// assert!((normal_pdf(0.0) - 0.3989422804014327).abs() < 1e-17);
/// assert_eq!(normal_pdf(1e300), 0.0);
/// ```
#[must_use]
pub fn normal_pdf(x: f64) -> f64 {
    // e^{−x²/2} = gaussian(x/√2) would round x/√2; halve x² instead (exact).
    let p = x * x;
    if !p.is_finite() {
        return 0.0;
    }
    let e = x.mul_add(x, -p);
    (-0.5 * p).exp() * (1.0 - 0.5 * e) * FRAC_1_SQRT_2PI
}

/// GELU, erf form: `gelu(x) = x·Φ(x)` (Hendrycks & Gimpel 2016), `Φ` by [`normal_cdf`]
/// (exact to every derivative order on duals, via the Taylor lift of [`erfc`]).
///
/// ```
/// use jacobian_oracle::catalogue::gelu_erf;
/// assert_eq!(gelu_erf(0.0), 0.0);
/// assert_eq!(gelu_erf(1e300), 1e300);
/// assert!((gelu_erf(1.0_f64) - 0.8413447460685429).abs() < 1e-15);
/// ```
#[must_use]
pub fn gelu_erf<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    x * normal_cdf(x)
}

/// `gelu'(x) = Φ(x) + xφ(x)`, the textbook form.
///
/// ```
/// use jacobian_oracle::catalogue::gelu_erf_derivative;
/// assert_eq!(gelu_erf_derivative(0.0), 0.5);
/// ```
#[must_use]
pub fn gelu_erf_derivative(x: f64) -> f64 {
    normal_cdf(x) + x * normal_pdf(x)
}

/// The argument `u = √(2/π)(x + 0.044715x³)` of the GELU tanh approximation, and `u'`.
fn gelu_tanh_inner<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    (x + x * x * x * GELU_CUBIC) * SQRT_2_OVER_PI
}

/// Beyond this `|x|`, the GELU tanh approximation is `x` (right) or `0` (left) to `f64`
/// precision, derivatives included: `|u| > 9000`, `σ(±2u)` is exactly 1 or 0 and its
/// derivative underflows. Branching there keeps `x³` from overflowing (`|x| ≳ 5.6e102`,
/// where `∞·0` would make NaN on duals).
const GELU_TANH_SATURATION: f64 = 64.0;

/// GELU, tanh approximation: `0.5x(1 + tanh(u))`, `u = √(2/π)(x + 0.044715x³)` (Hendrycks &
/// Gimpel 2016, sec. 2), computed as `x·σ(2u)` (`1 + tanh(u) = 2σ(2u)`), which keeps full
/// relative precision in the left tail where `1 + tanh(u)` cancels. For `|x| > 64` it is `x`
/// or `0`, to `f64` precision.
///
/// ```
/// use jacobian_oracle::catalogue::gelu_tanh;
/// assert_eq!(gelu_tanh(0.0), 0.0);
/// assert_eq!(gelu_tanh(-1e300), 0.0);
/// assert_eq!(gelu_tanh(1e300), 1e300);
/// let textbook = 0.5 * (1.0 + (0.7978845608028654_f64 * (1.0 + 0.044715)).tanh());
/// assert!((gelu_tanh(1.0_f64) - textbook).abs() < 1e-15);
/// ```
#[must_use]
pub fn gelu_tanh<D: DualNum<Primitive = f64> + Copy>(x: D) -> D {
    let x0 = x.re();
    if x0 > GELU_TANH_SATURATION {
        x
    } else if x0 < -GELU_TANH_SATURATION {
        D::zero()
    } else {
        x * sigmoid(gelu_tanh_inner(x) * 2.0)
    }
}

/// `gelu_tanh'(x) = 0.5(1 + tanh u) + 0.5x(1 − tanh²u)u'`, `u' = √(2/π)(1 + 3·0.044715x²)`,
/// written through `σ(2u)`: `1 + tanh u = 2σ(2u)` and `1 − tanh²u = 4σ(2u)σ(−2u)`, i.e.
/// `σ(2u) + 2xσ(2u)σ(−2u)u'`. The literal textbook form rounds `1 + tanh u` to 0 for
/// `x ≲ −5`, where the derivative is tiny but far from 0 in relative terms — the oracle
/// (rightly) flags it there.
///
/// ```
/// use jacobian_oracle::catalogue::gelu_tanh_derivative;
/// assert_eq!(gelu_tanh_derivative(0.0), 0.5);
/// assert_eq!(gelu_tanh_derivative(1e300), 1.0);
/// ```
#[must_use]
pub fn gelu_tanh_derivative(x: f64) -> f64 {
    if x > GELU_TANH_SATURATION {
        return 1.0;
    }
    if x < -GELU_TANH_SATURATION {
        return 0.0;
    }
    let u = gelu_tanh_inner(x);
    let du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_CUBIC * x * x);
    let (s, t) = (sigmoid(2.0 * u), sigmoid(-2.0 * u));
    s + 2.0 * x * s * t * du
}

/// `softsign(a) = a/(1 + |a|)` (Bergstra et al. 2009; Glorot & Bengio 2010). For `|a| < 1` it
/// computes `a/(1 + |a|)`, for `|a| ≥ 1` the equal `sign(a)(1 − 1/(1 + |a|))`, whose dual
/// derivative `1/(1 + |a|)²` is exact (the quotient rule on `a/(1 + a)` cancels
/// `(1 + a) − a` and loses `|a|ε` relative).
///
/// ```
/// use jacobian_oracle::catalogue::softsign;
/// assert_eq!(softsign(1.0), 0.5);
/// assert_eq!(softsign(-3.0), -0.75);
/// assert_eq!(softsign(1e300), 1.0);
/// ```
#[must_use]
pub fn softsign<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
    let a0 = a.re();
    if a0.abs() < 1.0 {
        if a0 >= 0.0 { a / (a + 1.0) } else { a / (-a + 1.0) }
    } else if a0 > 0.0 {
        -(a + 1.0).recip() + 1.0
    } else {
        (-a + 1.0).recip() - 1.0
    }
}

/// `softsign'(a) = 1/(1 + |a|)²`.
///
/// ```
/// use jacobian_oracle::catalogue::softsign_derivative;
/// assert_eq!(softsign_derivative(1.0), 0.25);
/// assert_eq!(softsign_derivative(-3.0), 0.0625);
/// ```
#[must_use]
pub fn softsign_derivative(a: f64) -> f64 {
    let d = 1.0 + a.abs();
    (d * d).recip()
}
