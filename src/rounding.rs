//! [`Bounded`]: an `f64` that carries a running bound on its own rounding error, as a
//! [`DualNum`] so that any `eval` written generically can run on it — and on dual numbers built
//! over it (`Dual<Bounded>`), whose derivative parts then carry the rounding bound of the
//! forward-mode derivative computed through `eval`'s own arithmetic.
//!
//! This is running error analysis (Wilkinson; Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §3.3) to first order: every operation adds `u·|result|` (`u = ε/2`,
//! twice that for elementary functions, which libm computes to within about one ulp) to the
//! propagated bounds of its operands. Inputs and constants are exact.
//!
//! The oracle uses it for the tolerance of entries computed through large, cancelling terms
//! — an expanded polynomial's second derivative, a gradient summed over samples of
//! `(μ_n − y_n)·x_n` — whose rounding error is `ε` times the terms, not the result
//! (see [`crate::tolerance`]).
//!
//! ```
//! use jacobian_oracle::rounding::Bounded;
//!
//! // (1e8 + 1) − 1e8: exact inputs, one cancellation.
//! let big = Bounded::exact(1e8);
//! let r = (big + 1.0) - big;
//! assert_eq!(r.value(), 1.0);
//! assert!(r.bound() >= 1e8 * f64::EPSILON / 2.0); // the rounding of 1e8 + 1
//! ```

use std::fmt;
use std::iter::{Product, Sum};
use std::ops::{
    Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, RemAssign, Sub, SubAssign,
};

use num_dual::{DualNum, DualStruct, Mappable};
use num_traits::{FromPrimitive, Inv, Num, One, Signed, Zero};

/// Unit roundoff of `f64`.
const U: f64 = f64::EPSILON / 2.0;

/// Rounding of an elementary function (exp, ln, sin, …) in units of `u`: libm's are within
/// about one ulp.
const LIBM: f64 = 2.0;

/// A value with a running bound on its rounding error (see the [module docs](self)).
///
/// ```
/// use jacobian_oracle::rounding::Bounded;
///
/// let (a, b) = (0.1, 0.2);
/// let s = Bounded::exact(a) + Bounded::exact(b);
/// // The exact rounding error of a + b (Knuth's two-sum): a + b = s + err.
/// let bb = s.value() - a;
/// let err = (a - (s.value() - bb)) + (b - bb);
/// assert!(err != 0.0 && err.abs() <= s.bound());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Bounded {
    v: f64,
    e: f64,
}

impl Bounded {
    /// An exact value (an input or a constant): bound 0.
    ///
    /// ```
    /// use jacobian_oracle::rounding::Bounded;
    ///
    /// let x = Bounded::exact(3.0);
    /// assert_eq!(x.bound(), 0.0);
    /// // One multiplication: half an ulp of its result.
    /// assert_eq!((x * x).bound(), 9.0 * f64::EPSILON / 2.0);
    /// ```
    #[must_use]
    pub fn exact(v: f64) -> Self {
        Bounded { v, e: 0.0 }
    }

    /// The computed value.
    ///
    /// ```
    /// use jacobian_oracle::rounding::Bounded;
    /// use num_dual::DualNum;
    ///
    /// let third = Bounded::exact(1.0) / 3.0;
    /// assert_eq!(third.value(), 1.0 / 3.0);
    /// assert_eq!(third.exp().value(), (1.0f64 / 3.0).exp());
    /// ```
    #[must_use]
    pub fn value(self) -> f64 {
        self.v
    }

    /// The bound on its accumulated rounding error (absolute).
    ///
    /// ```
    /// use jacobian_oracle::rounding::Bounded;
    ///
    /// let tenth = 0.1;
    /// let s = (0..10).fold(Bounded::exact(0.0), |acc, _| acc + tenth);
    /// // The exact 10 × 0.1 is p + e (a product and its rounding error, by a fused multiply-add).
    /// let p = tenth * 10.0;
    /// let e = tenth.mul_add(10.0, -p);
    /// let err = (s.value() - p) - e;
    /// assert!(err != 0.0 && err.abs() <= s.bound());
    /// ```
    #[must_use]
    pub fn bound(self) -> f64 {
        self.e
    }

    /// A result `v` of an operation whose inputs' errors propagate as `propagated`, plus the
    /// rounding of the operation itself (`ulps · u · |v|`).
    fn op(v: f64, propagated: f64, ulps: f64) -> Self {
        Bounded {
            v,
            e: propagated + ulps * U * v.abs(),
        }
    }

    /// An elementary function with value `v` and derivative `dv` at `self`.
    fn unary(self, v: f64, dv: f64) -> Self {
        Self::op(v, propagated(dv, self.e), LIBM)
    }
}

/// The error `|dv|·e` carried through a function with derivative `dv` — `0` for an exact
/// argument (`e = 0`) whatever `dv` is: `√x`, `∛x` or `x^{1/2}` at an exact 0 have an infinite
/// derivative and `x⁰` a `0·0⁻¹`, which would otherwise make the bound NaN.
fn propagated(dv: f64, e: f64) -> f64 {
    if e == 0.0 { 0.0 } else { dv.abs() * e }
}

impl fmt::Display for Bounded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ± {:e}", self.v, self.e)
    }
}

impl PartialEq for Bounded {
    fn eq(&self, other: &Self) -> bool {
        self.v == other.v
    }
}

impl PartialEq<f64> for Bounded {
    fn eq(&self, other: &f64) -> bool {
        self.v == *other
    }
}

impl PartialOrd for Bounded {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        self.v.partial_cmp(&other.v)
    }
}

impl PartialOrd<f64> for Bounded {
    fn partial_cmp(&self, other: &f64) -> Option<std::cmp::Ordering> {
        self.v.partial_cmp(other)
    }
}

impl From<f64> for Bounded {
    fn from(v: f64) -> Self {
        Bounded::exact(v)
    }
}

// Arithmetic. Each operator is written for (Bounded, Bounded); the reference and f64 forms
// forward to it (an f64 operand is a constant: exact).

impl Add for Bounded {
    type Output = Bounded;
    fn add(self, rhs: Bounded) -> Bounded {
        Bounded::op(self.v + rhs.v, self.e + rhs.e, 1.0)
    }
}

impl Sub for Bounded {
    type Output = Bounded;
    fn sub(self, rhs: Bounded) -> Bounded {
        Bounded::op(self.v - rhs.v, self.e + rhs.e, 1.0)
    }
}

impl Mul for Bounded {
    type Output = Bounded;
    fn mul(self, rhs: Bounded) -> Bounded {
        Bounded::op(
            self.v * rhs.v,
            self.v.abs() * rhs.e + rhs.v.abs() * self.e,
            1.0,
        )
    }
}

impl Div for Bounded {
    type Output = Bounded;
    fn div(self, rhs: Bounded) -> Bounded {
        let v = self.v / rhs.v;
        Bounded::op(v, (self.e + v.abs() * rhs.e) / rhs.v.abs(), 1.0)
    }
}

impl Rem for Bounded {
    type Output = Bounded;
    fn rem(self, rhs: Bounded) -> Bounded {
        Bounded::op(self.v % rhs.v, self.e + rhs.e, 1.0)
    }
}

impl Neg for Bounded {
    type Output = Bounded;
    fn neg(self) -> Bounded {
        Bounded {
            v: -self.v,
            e: self.e,
        }
    }
}

macro_rules! forward_binary {
    ($($trait:ident $method:ident $assign_trait:ident $assign:ident;)*) => {$(
        impl<'a> $trait<&'a Bounded> for Bounded {
            type Output = Bounded;
            fn $method(self, rhs: &'a Bounded) -> Bounded {
                $trait::$method(self, *rhs)
            }
        }
        impl $trait<f64> for Bounded {
            type Output = Bounded;
            fn $method(self, rhs: f64) -> Bounded {
                $trait::$method(self, Bounded::exact(rhs))
            }
        }
        impl $assign_trait for Bounded {
            fn $assign(&mut self, rhs: Bounded) {
                *self = $trait::$method(*self, rhs);
            }
        }
        impl $assign_trait<f64> for Bounded {
            fn $assign(&mut self, rhs: f64) {
                *self = $trait::$method(*self, Bounded::exact(rhs));
            }
        }
    )*};
}

forward_binary! {
    Add add AddAssign add_assign;
    Sub sub SubAssign sub_assign;
    Mul mul MulAssign mul_assign;
    Div div DivAssign div_assign;
    Rem rem RemAssign rem_assign;
}

impl Zero for Bounded {
    fn zero() -> Self {
        Bounded::exact(0.0)
    }
    fn is_zero(&self) -> bool {
        self.v == 0.0
    }
}

impl One for Bounded {
    fn one() -> Self {
        Bounded::exact(1.0)
    }
}

impl Num for Bounded {
    type FromStrRadixErr = <f64 as Num>::FromStrRadixErr;
    fn from_str_radix(s: &str, radix: u32) -> Result<Self, Self::FromStrRadixErr> {
        f64::from_str_radix(s, radix).map(Bounded::exact)
    }
}

impl Signed for Bounded {
    fn abs(&self) -> Self {
        Bounded {
            v: self.v.abs(),
            e: self.e,
        }
    }
    fn abs_sub(&self, other: &Self) -> Self {
        if self.v > other.v {
            *self - *other
        } else {
            Bounded::zero()
        }
    }
    fn signum(&self) -> Self {
        Bounded::exact(self.v.signum())
    }
    fn is_positive(&self) -> bool {
        self.v.is_sign_positive()
    }
    fn is_negative(&self) -> bool {
        self.v.is_sign_negative()
    }
}

impl Inv for Bounded {
    type Output = Bounded;
    fn inv(self) -> Bounded {
        DualNum::recip(&self)
    }
}

impl Sum for Bounded {
    fn sum<I: Iterator<Item = Bounded>>(iter: I) -> Self {
        iter.fold(Bounded::zero(), |acc, x| acc + x)
    }
}

impl Product for Bounded {
    fn product<I: Iterator<Item = Bounded>>(iter: I) -> Self {
        iter.fold(Bounded::one(), |acc, x| acc * x)
    }
}

impl FromPrimitive for Bounded {
    fn from_i64(n: i64) -> Option<Self> {
        f64::from_i64(n).map(Bounded::exact)
    }
    fn from_u64(n: u64) -> Option<Self> {
        f64::from_u64(n).map(Bounded::exact)
    }
    fn from_f64(n: f64) -> Option<Self> {
        Some(Bounded::exact(n))
    }
}

impl DualStruct for Bounded {
    type Real = f64;
    type Inner = Bounded;
    fn re(&self) -> f64 {
        self.v
    }
    fn from_inner(inner: &Bounded) -> Self {
        *inner
    }
}

impl Mappable<Bounded> for Bounded {
    type Output<O> = O;
    fn map_dual<M: Fn(Bounded) -> O, O>(self, f: M) -> O {
        f(self)
    }
}

impl DualNum for Bounded {
    type Primitive = f64;
    const NDERIV: usize = 0;
    type InnerDual = Bounded;

    fn from_re(re: Bounded) -> Self {
        re
    }
    fn scale(self, factor: &Bounded) -> Self {
        self * *factor
    }
    fn recip(&self) -> Self {
        let v = self.v.recip();
        Bounded::op(v, propagated(v * v, self.e), 1.0)
    }
    fn powi(&self, n: i32) -> Self {
        // Repeated multiplication: about |n| roundings.
        let v = self.v.powi(n);
        let dv = f64::from(n) * self.v.powi(n - 1);
        Bounded::op(
            v,
            propagated(dv, self.e),
            f64::from(n.unsigned_abs()).max(1.0),
        )
    }
    fn powf(&self, n: f64) -> Self {
        self.unary(self.v.powf(n), n * self.v.powf(n - 1.0))
    }
    fn sqrt(&self) -> Self {
        let v = self.v.sqrt();
        Bounded::op(v, propagated(0.5 / v, self.e), 1.0)
    }
    fn cbrt(&self) -> Self {
        let v = self.v.cbrt();
        self.unary(v, 1.0 / (3.0 * v * v))
    }
    fn exp(&self) -> Self {
        let v = self.v.exp();
        self.unary(v, v)
    }
    fn exp2(&self) -> Self {
        let v = self.v.exp2();
        self.unary(v, v * std::f64::consts::LN_2)
    }
    fn exp_m1(&self) -> Self {
        self.unary(self.v.exp_m1(), self.v.exp())
    }
    fn ln(&self) -> Self {
        self.unary(self.v.ln(), 1.0 / self.v)
    }
    fn log(&self, base: f64) -> Self {
        self.unary(self.v.log(base), 1.0 / (self.v * base.ln()))
    }
    fn log2(&self) -> Self {
        self.unary(self.v.log2(), 1.0 / (self.v * std::f64::consts::LN_2))
    }
    fn log10(&self) -> Self {
        self.unary(self.v.log10(), 1.0 / (self.v * std::f64::consts::LN_10))
    }
    fn ln_1p(&self) -> Self {
        self.unary(self.v.ln_1p(), 1.0 / (1.0 + self.v))
    }
    fn sin(&self) -> Self {
        self.unary(self.v.sin(), self.v.cos())
    }
    fn cos(&self) -> Self {
        self.unary(self.v.cos(), self.v.sin())
    }
    fn tan(&self) -> Self {
        let v = self.v.tan();
        self.unary(v, 1.0 + v * v)
    }
    fn sin_cos(&self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
    fn asin(&self) -> Self {
        self.unary(self.v.asin(), 1.0 / (1.0 - self.v * self.v).sqrt())
    }
    fn acos(&self) -> Self {
        self.unary(self.v.acos(), 1.0 / (1.0 - self.v * self.v).sqrt())
    }
    fn atan(&self) -> Self {
        self.unary(self.v.atan(), 1.0 / (1.0 + self.v * self.v))
    }
    fn atan2(&self, other: Self) -> Self {
        let (y, x) = (self.v, other.v);
        let r2 = x * x + y * y;
        Bounded::op(
            y.atan2(x),
            (x.abs() * self.e + y.abs() * other.e) / r2,
            LIBM,
        )
    }
    fn sinh(&self) -> Self {
        self.unary(self.v.sinh(), self.v.cosh())
    }
    fn cosh(&self) -> Self {
        self.unary(self.v.cosh(), self.v.sinh())
    }
    fn tanh(&self) -> Self {
        let v = self.v.tanh();
        self.unary(v, 1.0 - v * v)
    }
    fn asinh(&self) -> Self {
        self.unary(self.v.asinh(), 1.0 / (self.v * self.v + 1.0).sqrt())
    }
    fn acosh(&self) -> Self {
        self.unary(self.v.acosh(), 1.0 / (self.v * self.v - 1.0).sqrt())
    }
    fn atanh(&self) -> Self {
        self.unary(self.v.atanh(), 1.0 / (1.0 - self.v * self.v))
    }
    fn sph_j0(&self) -> Self {
        if self.v.abs() < f64::EPSILON {
            Bounded::one() - *self * *self / 6.0
        } else {
            self.sin() / *self
        }
    }
    fn sph_j1(&self) -> Self {
        if self.v.abs() < f64::EPSILON {
            *self / 3.0
        } else {
            let (s, c) = self.sin_cos();
            let r = self.recip();
            (s * r - c) * r
        }
    }
    fn sph_j2(&self) -> Self {
        if self.v.abs() < f64::EPSILON {
            *self * *self / 15.0
        } else {
            let (s, c) = self.sin_cos();
            let s2 = *self * *self;
            ((Bounded::exact(3.0) - s2) * s - *self * c * 3.0) / (*self * s2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_dual::Dual;

    #[test]
    fn exact_zero_through_infinite_derivatives_has_a_finite_bound() {
        // √0, ∛0, 0^{1/2} have an infinite derivative, 0⁰ a 0·0⁻¹: with an exact argument
        // nothing is propagated, and the bound is the result's own rounding.
        let zero = Bounded::exact(0.0);
        for (what, r) in [
            ("sqrt", zero.sqrt()),
            ("cbrt", zero.cbrt()),
            ("powf(0.5)", zero.powf(0.5)),
            ("powi(0)", zero.powi(0)),
        ] {
            assert!(r.bound().is_finite(), "{what}: {r}");
            assert!(r.bound() <= 4.0 * U * r.value().abs(), "{what}: {r}");
        }
        // A zero that carries error (0.5 − 0.5 after a rounded product) under a square root
        // has no finite bound: said (∞, which the oracle reports as unbounded), not hidden.
        let half = Bounded::exact(0.1) * 5.0;
        assert!(half.bound() > 0.0);
        let r = (half - 0.5).sqrt();
        assert_eq!(r.value(), 0.0);
        assert_eq!(r.bound(), f64::INFINITY, "{r}");
    }

    #[test]
    fn cancellation_is_bounded_by_the_terms() {
        // 1e6·(x² − 2x + 1) at x = 1 + 1e-4: terms of 1e6 cancel to 1e-2.
        let x = Bounded::exact(1.0 + 1e-4);
        let r = (x * x - x * 2.0 + 1.0) * 1e6;
        approx::assert_abs_diff_eq!(r.value(), 1e-2, epsilon = 1e-8);
        assert!(r.bound() > 1e6 * U && r.bound() < 1e6 * 16.0 * U, "{r}");
    }

    #[test]
    fn derivative_parts_carry_bounds_too() {
        // d/dx [x·x − 2x] at 1: 2x − 2 = 0 through terms of size 2.
        let x = Dual::new(Bounded::exact(1.0), Bounded::one());
        let r = x * x - x * 2.0;
        assert_eq!(r.eps.value(), 0.0);
        assert!(r.eps.bound() >= 2.0 * U, "{}", r.eps);
    }
}
