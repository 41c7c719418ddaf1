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

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use super::{matvec, normal_cdf, normal_pdf, scale_rows, sigmoid};
use crate::report::{float_literal, matrix_literal, vec_literal};
use crate::{AnalyticJacobian, VectorFn};

/// `√(2/π)`, the scale of the GELU tanh approximation.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

/// The cubic coefficient of the GELU tanh approximation (Hendrycks & Gimpel 2016).
const GELU_CUBIC: f64 = 0.044_715;

/// SELU's scale `λ` (Klambauer et al. 2017, eq. 14).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::{SELU_LAMBDA, selu, selu_derivative};
/// assert_abs_diff_eq!(SELU_LAMBDA, 1.0507, epsilon = 1e-4);
/// // The slope of SELU on the positive side.
/// assert_eq!(selu(2.0), 2.0 * SELU_LAMBDA);
/// assert_eq!(selu_derivative(2.0), SELU_LAMBDA);
/// ```
pub const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

/// SELU's `α` (Klambauer et al. 2017, eq. 14).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::{SELU_ALPHA, SELU_LAMBDA, selu};
/// assert_abs_diff_eq!(SELU_ALPHA, 1.6733, epsilon = 1e-4);
/// // The negative side saturates at −λα.
/// assert_eq!(selu(-1e300), -SELU_LAMBDA * SELU_ALPHA);
/// ```
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::tanh;
/// use num_dual::{Dual64, DualNum};
/// assert_eq!(tanh(0.0), 0.0);
/// assert_eq!(tanh(1e-300), 1e-300);
/// assert_abs_diff_eq!(tanh(0.5_f64), 0.5_f64.tanh(), epsilon = 1e-16);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::tanh_derivative_stable;
/// assert_abs_diff_eq!(tanh_derivative_stable(40.0) / (4.0 * (-80.0_f64).exp()), 1.0, epsilon = 1e-15);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::{tanh, tanh_second_derivative};
/// assert_eq!(tanh_second_derivative(0.0), 0.0);
/// let z = tanh(0.5_f64);
/// assert_abs_diff_eq!(tanh_second_derivative(0.5), -2.0 * z * (1.0 - z * z), epsilon = 1e-15);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::softplus;
/// assert_eq!(softplus(0.0), std::f64::consts::LN_2);
/// assert_eq!(softplus(800.0), 800.0);
/// assert_abs_diff_eq!(softplus(-700.0_f64) / (-700.0_f64).exp(), 1.0, epsilon = 1e-15);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::softplus_second_derivative;
/// assert_eq!(softplus_second_derivative(0.0), 0.25);
/// assert_abs_diff_eq!(softplus_second_derivative(40.0) / 4.248354255291589e-18, 1.0, epsilon = 1e-14);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::{sigmoid, sigmoid_second_derivative};
/// assert_eq!(sigmoid_second_derivative(0.0), 0.0);
/// let z = sigmoid(1.5_f64);
/// let textbook = z * (1.0 - z) * (1.0 - 2.0 * z);
/// assert_abs_diff_eq!(sigmoid_second_derivative(1.5) / textbook, 1.0, epsilon = 1e-14);
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::elu;
/// assert_eq!(elu(2.0, 1.0), 2.0);
/// assert_abs_diff_eq!(elu(-1.0_f64, 1.0), (-1.0_f64).exp_m1(), epsilon = 1e-16);
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

/// GELU, erf form: `gelu(x) = x·Φ(x)` (Hendrycks & Gimpel 2016), `Φ` by [`normal_cdf`]
/// (exact to every derivative order on duals, by a Taylor lift like [`erf`](super::erf)'s).
///
/// ```
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::gelu_erf;
/// assert_eq!(gelu_erf(0.0), 0.0);
/// assert_eq!(gelu_erf(1e300), 1e300);
/// assert_abs_diff_eq!(gelu_erf(1.0_f64), 0.8413447460685429, epsilon = 1e-15);
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

/// The argument `u = √(2/π)(x + 0.044715x³)` of the GELU tanh approximation.
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
/// use approx::assert_abs_diff_eq;
/// use jacobian_oracle::catalogue::gelu_tanh;
/// assert_eq!(gelu_tanh(0.0), 0.0);
/// assert_eq!(gelu_tanh(-1e300), 0.0);
/// assert_eq!(gelu_tanh(1e300), 1e300);
/// let textbook = 0.5 * (1.0 + (0.7978845608028654_f64 * (1.0 + 0.044715)).tanh());
/// assert_abs_diff_eq!(gelu_tanh(1.0_f64), textbook, epsilon = 1e-15);
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
/// `x ≲ −5`, where the derivative is tiny but far from 0: it has no relative precision left
/// there, and the oracle's tolerance (which scales with the tiny output) does not excuse it.
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
        if a0 >= 0.0 {
            a / (a + 1.0)
        } else {
            a / (-a + 1.0)
        }
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

/// An activation function `φ: ℝ → ℝ`, applied elementwise (Murphy, PML 1, sec. 13.4.3; the
/// original papers are cited on each variant).
///
/// [`apply`](Activation::apply) is generic over the scalar (stable forms, no NaN or infinity
/// for any finite input, exact derivatives on dual numbers); [`derivative`](Activation::derivative)
/// is the hand-written `φ'` on `f64`. Kinks (`Relu`, `LeakyRelu`, `Elu`, `Selu` at 0) follow
/// one convention in both: `a > 0` is the identity branch, `a ≤ 0` the other one.
///
/// # Examples
///
/// ```
/// use approx::abs_diff_eq;
/// use jacobian_oracle::catalogue::Activation;
/// use num_dual::{Dual64, DualNum};
///
/// for act in Activation::ALL {
///     let d = act.apply(Dual64::from_re(0.75).derivative());
///     assert!(abs_diff_eq!(d.eps, act.derivative(0.75), epsilon = 1e-15), "{}", act.name());
/// }
/// assert_eq!(Activation::Relu.derivative(0.0), 0.0); // the kink convention
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    /// `σ(a) = 1/(1 + e^{−a})`, `σ' = σ(1 − σ)` (PML 1, eq. 13.73; [`sigmoid`]).
    Sigmoid,
    /// `tanh(a)`, `tanh' = 1 − tanh²` (PML 1, sec. 13.4.3; [`tanh`]).
    Tanh,
    /// `softplus(a) = log(1 + e^{a})`, `softplus' = σ(a)` (Dugas et al. 2001; PML 1,
    /// sec. 13.4.3; [`softplus`]).
    Softplus,
    /// `log σ(a) = −softplus(−a)`, `(log σ)' = σ(−a)` ([`log_sigmoid`]).
    LogSigmoid,
    /// `relu(a) = max(a, 0)`, `relu' = [a > 0]` (Nair & Hinton 2010; PML 1, sec. 13.4.3;
    /// [`relu`]).
    Relu,
    /// `leaky_relu(a) = a` for `a > 0`, `slope·a` otherwise; derivative `1` or `slope` (Maas
    /// et al. 2013; PML 1, sec. 13.4.3; [`leaky_relu`]).
    LeakyRelu {
        /// The slope on the negative side.
        slope: f64,
    },
    /// `elu(a) = a` for `a > 0`, `α(e^{a} − 1)` otherwise; derivative `1` or `αe^{a}`
    /// (Clevert et al. 2016; PML 1, sec. 13.4.3; [`elu`]).
    Elu {
        /// `α`, the limit `−α` of the negative side.
        alpha: f64,
    },
    /// `selu(a) = λ·elu(a, α)` with the self-normalising `λ`, `α` (Klambauer et al. 2017;
    /// PML 1, sec. 13.4.3; [`selu`]).
    Selu,
    /// `silu(a) = a·σ(a)`, `silu' = σ(a)(1 + a(1 − σ(a)))` (Elfwing et al. 2018; swish,
    /// Ramachandran et al. 2017; PML 1, sec. 13.4.3; [`silu`]).
    Silu,
    /// `gelu(x) = x·Φ(x)`, `gelu' = Φ(x) + xφ(x)` (Hendrycks & Gimpel 2016; PML 1, sec.
    /// 13.4.3; [`gelu_erf`]).
    GeluErf,
    /// `0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))`, GELU's tanh approximation (Hendrycks &
    /// Gimpel 2016, sec. 2; [`gelu_tanh`]).
    GeluTanh,
    /// `softsign(a) = a/(1 + |a|)`, `softsign' = 1/(1 + |a|)²` (Bergstra et al. 2009;
    /// [`softsign`]).
    Softsign,
}

impl Activation {
    /// The slope of [`Activation::LEAKY_RELU`], a common default (PyTorch's).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::LEAKY_RELU_SLOPE, 0.01);
    /// assert_eq!(Activation::LEAKY_RELU.derivative(-3.0), Activation::LEAKY_RELU_SLOPE);
    /// ```
    pub const LEAKY_RELU_SLOPE: f64 = 0.01;

    /// Leaky ReLU with slope [`Activation::LEAKY_RELU_SLOPE`].
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::LEAKY_RELU, Activation::LeakyRelu { slope: 0.01 });
    /// assert_eq!(Activation::LEAKY_RELU.apply(-2.0), -0.02);
    /// assert_eq!(Activation::LEAKY_RELU.apply(2.0), 2.0);
    /// ```
    pub const LEAKY_RELU: Activation = Activation::LeakyRelu {
        slope: Activation::LEAKY_RELU_SLOPE,
    };

    /// ELU with `α = 1` (Clevert et al. 2016's choice): `C¹`, with a kink in the second
    /// derivative only.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::ELU, Activation::Elu { alpha: 1.0 });
    /// // C¹: the slope is 1 on both sides of the kink.
    /// assert_eq!(Activation::ELU.derivative(0.0), 1.0);
    /// assert_eq!(Activation::ELU.derivative(1e-300), 1.0);
    /// assert!(!Activation::ELU.is_smooth()); // the kink is in φ''
    /// ```
    pub const ELU: Activation = Activation::Elu { alpha: 1.0 };

    /// Every activation, parametrised ones with their defaults.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, Elementwise};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// assert!(Activation::ALL.contains(&Activation::LEAKY_RELU));
    /// let mut names: Vec<_> = Activation::ALL.iter().map(|a| a.name()).collect();
    /// names.sort_unstable();
    /// names.dedup();
    /// assert_eq!(names.len(), Activation::ALL.len()); // each activation once
    /// // Every hand-written derivative passes, away from the kinks.
    /// let x = DVector::from_vec(vec![0.75, -1.5]);
    /// for act in Activation::ALL {
    ///     Oracle::default().check(&Elementwise::new(act, 2), &x).unwrap();
    /// }
    /// ```
    pub const ALL: [Activation; 12] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softplus,
        Activation::LogSigmoid,
        Activation::Relu,
        Activation::LEAKY_RELU,
        Activation::ELU,
        Activation::Selu,
        Activation::Silu,
        Activation::GeluErf,
        Activation::GeluTanh,
        Activation::Softsign,
    ];

    /// `φ(a)`, for any scalar.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// use num_dual::{Dual64, DualNum};
    /// assert_eq!(Activation::Sigmoid.apply(0.0), 0.5);
    /// assert_eq!(Activation::Relu.apply(-1.0), 0.0);
    /// // On a dual number the exact derivative comes along: softplus'(0) = σ(0) = ½.
    /// let d = Activation::Softplus.apply(Dual64::from_re(0.0).derivative());
    /// assert_eq!((d.re, d.eps), (std::f64::consts::LN_2, 0.5));
    /// ```
    #[must_use]
    pub fn apply<D: DualNum<Primitive = f64> + Copy>(self, a: D) -> D {
        match self {
            Activation::Sigmoid => sigmoid(a),
            Activation::Tanh => tanh(a),
            Activation::Softplus => softplus(a),
            Activation::LogSigmoid => log_sigmoid(a),
            Activation::Relu => relu(a),
            Activation::LeakyRelu { slope } => leaky_relu(a, slope),
            Activation::Elu { alpha } => elu(a, alpha),
            Activation::Selu => selu(a),
            Activation::Silu => silu(a),
            Activation::GeluErf => gelu_erf(a),
            Activation::GeluTanh => gelu_tanh(a),
            Activation::Softsign => softsign(a),
        }
    }

    /// The hand-written `φ'(a)` (the textbook formulas of the `*_derivative` functions).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::Sigmoid.derivative(0.0), 0.25);
    /// assert_eq!(Activation::Tanh.derivative(0.0), 1.0);
    /// // The kink convention: a ≤ 0 takes the other branch.
    /// assert_eq!(Activation::Relu.derivative(0.0), 0.0);
    /// assert_eq!(Activation::Elu { alpha: 2.0 }.derivative(0.0), 2.0);
    /// ```
    #[must_use]
    pub fn derivative(self, a: f64) -> f64 {
        match self {
            Activation::Sigmoid => super::sigmoid_derivative(a),
            Activation::Tanh => tanh_derivative(a),
            Activation::Softplus => softplus_derivative(a),
            Activation::LogSigmoid => log_sigmoid_derivative(a),
            Activation::Relu => relu_derivative(a),
            Activation::LeakyRelu { slope } => leaky_relu_derivative(a, slope),
            Activation::Elu { alpha } => elu_derivative(a, alpha),
            Activation::Selu => selu_derivative(a),
            Activation::Silu => silu_derivative(a),
            Activation::GeluErf => gelu_erf_derivative(a),
            Activation::GeluTanh => gelu_tanh_derivative(a),
            Activation::Softsign => softsign_derivative(a),
        }
    }

    /// `φ'(a)` in a form that keeps full relative precision everywhere: the textbook
    /// [`derivative`](Self::derivative) except for sigmoid (`σ(a)σ(−a)` instead of `z(1 − z)`)
    /// and tanh ([`tanh_derivative_stable`] instead of `1 − z²`), whose textbook forms are
    /// exact only in absolute terms once `z` saturates. The oracle accepts the textbook forms
    /// at a layer's output (the precision loss is explained by the output's rounding), but
    /// inside a chain of layers ([`Mlp`]) it cannot see them: write hidden layers this way.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::Sigmoid.derivative(40.0), 0.0);
    /// assert!(Activation::Sigmoid.derivative_stable(40.0) > 4e-18);
    /// assert_eq!(Activation::Relu.derivative_stable(1.0), Activation::Relu.derivative(1.0));
    /// ```
    #[must_use]
    pub fn derivative_stable(self, a: f64) -> f64 {
        match self {
            Activation::Sigmoid => super::sigmoid_derivative_stable(a),
            Activation::Tanh => tanh_derivative_stable(a),
            _ => self.derivative(a),
        }
    }

    /// The snake-case name (`"tanh"`, `"leaky_relu"`, `"gelu_erf"`, …).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(Activation::GeluErf.name(), "gelu_erf");
    /// // Parameters are not part of the name.
    /// assert_eq!(Activation::LeakyRelu { slope: 0.2 }.name(), "leaky_relu");
    /// ```
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::LogSigmoid => "log_sigmoid",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Silu => "silu",
            Activation::GeluErf => "gelu_erf",
            Activation::GeluTanh => "gelu_tanh",
            Activation::Softsign => "softsign",
        }
    }

    /// Whether `φ` is smooth (`C^∞`). The others have a kink at 0 — in `φ'` for ReLU, leaky
    /// ReLU, SELU and ELU with `α ≠ 1`, in `φ''` for ELU with `α = 1` — where a check may end
    /// in [`CheckError::CannotJudge`](crate::CheckError::CannotJudge).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert!(Activation::Tanh.is_smooth());
    /// assert!(!Activation::Relu.is_smooth());
    /// ```
    #[must_use]
    pub fn is_smooth(self) -> bool {
        !matches!(
            self,
            Activation::Relu
                | Activation::LeakyRelu { .. }
                | Activation::Elu { .. }
                | Activation::Selu
        )
    }

    /// A Rust expression for this activation, with its full path.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Activation;
    /// assert_eq!(
    ///     Activation::Elu { alpha: 0.5 }.rust_expr(),
    ///     "jacobian_oracle::catalogue::Activation::Elu { alpha: 0.5 }"
    /// );
    /// ```
    #[must_use]
    pub fn rust_expr(self) -> String {
        let path = "jacobian_oracle::catalogue::Activation";
        match self {
            Activation::LeakyRelu { slope } => {
                format!("{path}::LeakyRelu {{ slope: {} }}", float_literal(slope))
            }
            Activation::Elu { alpha } => {
                format!("{path}::Elu {{ alpha: {} }}", float_literal(alpha))
            }
            other => format!("{path}::{other:?}"),
        }
    }
}

/// `z = φ(x)` elementwise, `x ∈ ℝⁿ`: the Jacobian is `diag(φ'(x))` (PML 1, sec. 13.4.3).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::{Activation, Elementwise};
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::DVector;
///
/// let map = Elementwise::new(Activation::GeluErf, 3);
/// let x = DVector::from_vec(vec![-2.5, 0.0, 1.25]);
/// assert_eq!(map.jacobian(&x)[(1, 1)], 0.5); // Φ(0) + 0·φ(0)
/// Oracle::default().check(&map, &x).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Elementwise {
    /// `φ`.
    pub activation: Activation,
    /// `n`, the length of `x`.
    pub n: usize,
}

impl Elementwise {
    /// `φ` applied to each of `n` inputs.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, Elementwise};
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// let map = Elementwise::new(Activation::Tanh, 2);
    /// assert_eq!((map.input_dim(), map.output_dim()), (2, 2));
    /// let x = DVector::from_vec(vec![0.0, -1.0]);
    /// assert_eq!(map.eval(&x)[0], 0.0);
    /// Oracle::default().check(&map, &x).unwrap();
    /// ```
    #[must_use]
    pub fn new(activation: Activation, n: usize) -> Self {
        Elementwise { activation, n }
    }
}

impl VectorFn for Elementwise {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn output_dim(&self) -> usize {
        self.n
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|xi| self.activation.apply(xi))
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::Elementwise::new({}, {})",
            self.activation.rust_expr(),
            self.n
        ))
    }
}

impl AnalyticJacobian for Elementwise {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_diagonal(&x.map(|xi| self.activation.derivative(xi)))
    }
}

/// A dense layer `z = φ(Wx + b)`, `W ∈ ℝ^{m×n}`, `b ∈ ℝᵐ`, as a function of `x`:
/// `∂z/∂x = diag(φ'(a)) W` with `a = Wx + b` (PML 1, sec. 13.4.3; eq. 13.73 is the sigmoid
/// case): row `i` is `φ'(a_i) W_{i,:}`. `a` is accumulated column by column
/// ([`matvec`](super::matvec)), walking nalgebra's column-major storage.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::{Activation, ActivationLayer};
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let w = DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]);
/// let layer = ActivationLayer::new(Activation::Silu, w, DVector::from_vec(vec![0.5, -1.0]));
/// let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
/// assert_eq!(layer.jacobian(&x).shape(), (2, 3));
/// Oracle::default().check(&layer, &x).unwrap();
///
/// // Deep saturation, |a| = 800: no overflow on the dual path (num-dual's tanh would give NaN).
/// let tanh = ActivationLayer::new(Activation::Tanh, DMatrix::from_element(1, 1, 100.0), DVector::zeros(1));
/// Oracle::default().check(&tanh, &DVector::from_vec(vec![8.0])).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActivationLayer {
    /// `φ`.
    pub activation: Activation,
    /// The weights `W` (`m×n`).
    pub w: DMatrix<f64>,
    /// The bias `b` (length `m`).
    pub b: DVector<f64>,
}

impl ActivationLayer {
    /// The layer `φ(Wx + b)`.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer};
    /// use jacobian_oracle::{AnalyticJacobian, Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let w = DMatrix::from_row_slice(1, 2, &[1.0, -1.0]);
    /// let layer = ActivationLayer::new(Activation::Relu, w.clone(), DVector::from_vec(vec![0.5]));
    /// let x = DVector::from_vec(vec![2.0, 1.0]); // a = 2 − 1 + 0.5 > 0
    /// assert_eq!(layer.eval(&x)[0], 1.5);
    /// assert_eq!(layer.jacobian(&x), w); // relu' = 1 on the identity branch
    /// Oracle::default().check(&layer, &x).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If `b` does not have one entry per row of `W`.
    #[must_use]
    pub fn new(activation: Activation, w: DMatrix<f64>, b: DVector<f64>) -> Self {
        assert_eq!(b.len(), w.nrows(), "the bias needs one entry per row of W");
        ActivationLayer { activation, w, b }
    }

    /// The pre-activation `a = Wx + b`, for any scalar.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer};
    /// use nalgebra::{DMatrix, DVector};
    /// let w = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    /// let layer = ActivationLayer::new(Activation::Tanh, w, DVector::from_vec(vec![0.5, -1.0]));
    /// let a = layer.preactivation(&DVector::from_vec(vec![1.0, 1.0]));
    /// assert_eq!(a, DVector::from_vec(vec![3.5, 6.0])); // (3, 7) + b
    /// ```
    #[must_use]
    pub fn preactivation<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let mut a = matvec(&self.w, x);
        for (ai, &bi) in a.iter_mut().zip(self.b.iter()) {
            *ai += bi;
        }
        a
    }
}

impl VectorFn for ActivationLayer {
    fn input_dim(&self) -> usize {
        self.w.ncols()
    }
    fn output_dim(&self) -> usize {
        self.w.nrows()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.preactivation(x).map(|a| self.activation.apply(a))
    }
    fn rust_expr(&self) -> Option<String> {
        Some(format!(
            "jacobian_oracle::catalogue::ActivationLayer::new({}, {}, nalgebra::DVector::from_vec({}))",
            self.activation.rust_expr(),
            matrix_literal(&self.w),
            vec_literal(&self.b)
        ))
    }
}

impl AnalyticJacobian for ActivationLayer {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = self.preactivation(x).map(|a| self.activation.derivative(a));
        scale_rows(&s, self.w.clone())
    }
}

/// A multilayer perceptron `z_l = φ_l(W_l z_{l−1} + b_l)`, `l = 1…L`, `z_0 = x`, as a
/// function of `x` (PML 1, sec. 13.2 and 13.3). By the chain rule its Jacobian is the product
/// of the layer Jacobians, last layer on the left:
///
/// `∂z_L/∂x = J_L ⋯ J_2 J_1`, `J_l = diag(φ_l'(a_l)) W_l`, `a_l = W_l z_{l−1} + b_l`
///
/// with `φ'` in the stable forms of [`Activation::derivative_stable`] (see [`Mlp::textbook`]
/// for the textbook ones)
/// (PML 1, sec. 13.3: accumulated here from the input side, as forward mode does, one matrix
/// product per layer; the order matters as soon as two layers are `2×2`).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
/// use jacobian_oracle::{AnalyticJacobian, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let mlp = Mlp::new(vec![
///     ActivationLayer::new(Activation::Sigmoid, DMatrix::from_row_slice(3, 2, &[1.0, -2.0, 0.5, 1.0, -1.5, 0.25]), DVector::zeros(3)),
///     ActivationLayer::new(Activation::Tanh, DMatrix::from_row_slice(2, 3, &[0.5, 1.0, -1.0, 2.0, 0.0, 1.5]), DVector::from_vec(vec![0.1, -0.2])),
///     ActivationLayer::new(Activation::Softplus, DMatrix::from_row_slice(1, 2, &[1.0, -3.0]), DVector::zeros(1)),
/// ]);
/// let x = DVector::from_vec(vec![0.7, -0.4]);
/// assert_eq!(mlp.jacobian(&x).shape(), (1, 2));
/// Oracle::default().check(&mlp, &x).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<ActivationLayer>,
    /// Whether the analytic Jacobian uses the textbook derivatives
    /// ([`Activation::derivative`]) rather than the stable ones
    /// ([`Activation::derivative_stable`], the default).
    pub textbook_derivatives: bool,
}

impl Mlp {
    /// An MLP from its layers, input side first.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
    /// use jacobian_oracle::{Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// let mlp = Mlp::new(vec![
    ///     ActivationLayer::new(Activation::Tanh, DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -1.0, 2.0, 0.25, -0.5]), DVector::zeros(3)),
    ///     ActivationLayer::new(Activation::Sigmoid, DMatrix::from_row_slice(1, 3, &[1.0, -1.0, 2.0]), DVector::zeros(1)),
    /// ]);
    /// assert_eq!((mlp.input_dim(), mlp.output_dim()), (2, 1));
    /// assert!(!mlp.textbook_derivatives);
    /// Oracle::default().check(&mlp, &DVector::from_vec(vec![0.3, -0.6])).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// If there are no layers, or a layer's input size is not the previous layer's output
    /// size.
    #[must_use]
    pub fn new(layers: Vec<ActivationLayer>) -> Self {
        assert!(!layers.is_empty(), "an MLP needs at least one layer");
        for (l, pair) in layers.windows(2).enumerate() {
            assert_eq!(
                pair[1].w.ncols(),
                pair[0].w.nrows(),
                "layer {} takes {} inputs, but layer {} gives {}",
                l + 1,
                pair[1].w.ncols(),
                l,
                pair[0].w.nrows()
            );
        }
        Mlp {
            layers,
            textbook_derivatives: false,
        }
    }

    /// The same MLP with the textbook layer derivatives `z(1 − z)`, `1 − z²`, … in its analytic
    /// Jacobian. Correct, but in a saturated hidden layer they are exact only to about `ε` in
    /// absolute terms, and the oracle — which models the rounding of a map's outputs and of
    /// its reference, not of hidden quantities of the analytic formula — can flag them there
    /// (a known limitation, see `tests/activations.rs`).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
    /// use jacobian_oracle::{AnalyticJacobian, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    /// let layer = |act, w| ActivationLayer::new(act, DMatrix::from_element(1, 1, w), DVector::zeros(1));
    /// let layers = vec![layer(Activation::Sigmoid, 40.0), layer(Activation::Tanh, 1.0)];
    /// let (stable, textbook) = (Mlp::new(layers.clone()), Mlp::textbook(layers));
    /// assert!(textbook.textbook_derivatives);
    /// // Away from saturation both are right.
    /// let x = DVector::from_vec(vec![0.01]);
    /// Oracle::default().check(&textbook, &x).unwrap();
    /// // A saturated hidden sigmoid (a = 40): z(1 − z) rounds to 0, σ(a)σ(−a) does not.
    /// let x = DVector::from_vec(vec![1.0]);
    /// assert_eq!(textbook.jacobian(&x)[(0, 0)], 0.0);
    /// assert!(stable.jacobian(&x)[(0, 0)] > 0.0);
    /// Oracle::default().check(&stable, &x).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// As [`Mlp::new`].
    #[must_use]
    pub fn textbook(layers: Vec<ActivationLayer>) -> Self {
        Mlp {
            textbook_derivatives: true,
            ..Mlp::new(layers)
        }
    }

    fn derivative(&self, activation: Activation, a: f64) -> f64 {
        if self.textbook_derivatives {
            activation.derivative(a)
        } else {
            activation.derivative_stable(a)
        }
    }

    /// The layer Jacobians `J_1, …, J_L` at `x` (each at its own input `z_{l−1}`).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, ActivationLayer, Mlp};
    /// use jacobian_oracle::AnalyticJacobian;
    /// use nalgebra::{DMatrix, DVector};
    /// let mlp = Mlp::new(vec![
    ///     ActivationLayer::new(Activation::Tanh, DMatrix::from_row_slice(2, 2, &[1.0, 2.0, -1.0, 0.5]), DVector::zeros(2)),
    ///     ActivationLayer::new(Activation::Softplus, DMatrix::from_row_slice(1, 2, &[1.0, -3.0]), DVector::zeros(1)),
    /// ]);
    /// let x = DVector::from_vec(vec![0.4, -0.2]);
    /// let js = mlp.layer_jacobians(&x);
    /// assert_eq!((js[0].shape(), js[1].shape()), ((2, 2), (1, 2)));
    /// // The chain rule: the MLP's Jacobian is J₂J₁.
    /// assert!((&js[1] * &js[0] - mlp.jacobian(&x)).amax() < 1e-14);
    /// ```
    #[must_use]
    pub fn layer_jacobians(&self, x: &DVector<f64>) -> Vec<DMatrix<f64>> {
        let mut z = x.clone();
        self.layers
            .iter()
            .map(|layer| {
                let a = layer.preactivation(&z);
                let s = a.map(|ai| self.derivative(layer.activation, ai));
                z = a.map(|ai| layer.activation.apply(ai));
                scale_rows(&s, layer.w.clone())
            })
            .collect()
    }
}

impl VectorFn for Mlp {
    fn input_dim(&self) -> usize {
        self.layers[0].input_dim()
    }
    fn output_dim(&self) -> usize {
        self.layers[self.layers.len() - 1].output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let mut z = self.layers[0].eval(x);
        for layer in &self.layers[1..] {
            z = layer.eval(&z);
        }
        z
    }
    fn rust_expr(&self) -> Option<String> {
        let layers: Vec<String> = self.layers.iter().filter_map(VectorFn::rust_expr).collect();
        let constructor = if self.textbook_derivatives {
            "textbook"
        } else {
            "new"
        };
        Some(format!(
            "jacobian_oracle::catalogue::Mlp::{constructor}(vec![{}])",
            layers.join(", ")
        ))
    }
}

impl AnalyticJacobian for Mlp {
    /// `J_L ⋯ J_1`, accumulated from the input side: `J ← diag(φ_l'(a_l)) (W_l J)`.
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let mut z = x.clone();
        let mut jac: Option<DMatrix<f64>> = None;
        for layer in &self.layers {
            let a = layer.preactivation(&z);
            let s = a.map(|ai| self.derivative(layer.activation, ai));
            let wj = match jac {
                None => layer.w.clone(),
                Some(j) => &layer.w * j,
            };
            jac = Some(scale_rows(&s, wj));
            z = a.map(|ai| layer.activation.apply(ai));
        }
        jac.expect("an MLP has at least one layer")
    }
}
