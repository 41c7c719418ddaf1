//! The independent witness: central finite differences with Richardson extrapolation and an
//! error estimate, a measurement of the noise of `f` at the scale of the step, and one-sided
//! differences that tell a kink from a wrong derivative.
//!
//! Nothing here needs more than `f64` evaluations, so it also catches an `eval` whose dual
//! path is wrong (a branch, a value computed off the dual path).
//!
//! Sources: step `h ∝ ε^{1/3}` and the representable step `(x + h) − x`: Press et al.,
//! *Numerical Recipes*, 3rd ed., §5.7. Richardson extrapolation of the central difference:
//! `D(h) = f' + c·h² + O(h⁴)`, so `R = D(h) + (D(h) − D(2h))/3` and `|D(h) − D(2h)|/3`
//! estimates the truncation error of `D(h)` (an overestimate for `R`). Noise of `f`: the
//! residual of a local quadratic fit at irregularly spaced points (in the spirit of Moré &
//! Wild, *Estimating computational noise*, SIAM J. Sci. Comput. 33 (2011), whose
//! difference-table estimator on an evenly spaced probe can line up with the rounding grid
//! of an additive offset and see no noise at all).
//!
//! ```
//! use jacobian_oracle::fd::{Eval, Stencil};
//! use nalgebra::DVector;
//!
//! // d/dx sin(x) at 0.7, from f64 evaluations only.
//! let mut f = |x: &DVector<f64>| x.map(f64::sin);
//! let eval: &mut Eval<'_> = &mut f;
//! let x = DVector::from_vec(vec![0.7]);
//! let f0 = eval(&x);
//! let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
//! s.extend(eval, &x, &[-2, 2]).unwrap();
//! let (value, truncation) = s.richardson(0);
//! let exact = 0.7f64.cos();
//! // Richardson's value is far better than its (pessimistic) truncation estimate says.
//! assert!((value - exact).abs() <= truncation + 1e-10);
//! approx::assert_abs_diff_eq!(value, exact, epsilon = 1e-10);
//! ```

use nalgebra::DVector;

/// Cube root of `f64::EPSILON`: the central-difference step that balances truncation
/// (`∝ h²`) against rounding (`∝ ε/h`).
///
/// ```
/// use jacobian_oracle::fd::{STEP_FACTOR, step};
/// approx::assert_abs_diff_eq!(STEP_FACTOR / f64::EPSILON.cbrt(), 1.0, epsilon = 4.0 * f64::EPSILON);
/// // For |x_j| ≤ 1 the step is the factor itself.
/// assert_eq!(step(0.0), Some(STEP_FACTOR));
/// ```
pub const STEP_FACTOR: f64 = 6.055_454_452_393_343e-6;

/// The step for coordinate `x_j`: `h = ε^{1/3}·max(1, |x_j|)`, made exactly representable
/// as `(x_j + h) − x_j`. `None` if `x_j + h` overflows.
///
/// ```
/// use jacobian_oracle::fd::step;
/// let h = step(3.0).unwrap();
/// assert_eq!((3.0 + h) - 3.0, h);
/// approx::assert_abs_diff_eq!(h / 3.0, f64::EPSILON.cbrt(), epsilon = 1e-9);
/// assert_eq!(step(f64::MAX), None);
/// ```
#[must_use]
pub fn step(xj: f64) -> Option<f64> {
    let h0 = STEP_FACTOR * xj.abs().max(1.0);
    let h = (xj + h0) - xj;
    (h.is_finite() && h > 0.0).then_some(h)
}

/// The multiples of `h` at which a [`Stencil`] evaluates `f`.
const KS: [i32; 7] = [-4, -2, -1, 0, 1, 2, 4];

fn slot(k: i32) -> usize {
    KS.iter()
        .position(|&kk| kk == k)
        .expect("stencil offsets are -4, -2, -1, 0, 1, 2, 4")
}

/// An `f64` evaluation of the map, as the finite-difference witness sees it.
///
/// ```
/// use jacobian_oracle::fd::Eval;
/// use nalgebra::DVector;
/// use std::cell::Cell;
///
/// let calls = Cell::new(0);
/// let mut square = |x: &DVector<f64>| {
///     calls.set(calls.get() + 1);
///     x.component_mul(x)
/// };
/// let eval: &mut Eval<'_> = &mut square;
/// assert_eq!(eval(&DVector::from_vec(vec![3.0, -2.0])), DVector::from_vec(vec![9.0, 4.0]));
/// assert_eq!(calls.get(), 1);
/// ```
pub type Eval<'a> = dyn FnMut(&DVector<f64>) -> DVector<f64> + 'a;

/// Evaluates `eval` at `x` with `x_j` replaced by `x_j + delta`; returns the actual
/// displacement and the value, or `None` when the point or a value is not finite, or the
/// length is not `m`.
fn eval_moved(
    eval: &mut Eval<'_>,
    xs: &mut DVector<f64>,
    j: usize,
    delta: f64,
    m: usize,
) -> Option<(f64, DVector<f64>)> {
    let xj = xs[j];
    let moved = xj + delta;
    let offset = moved - xj;
    if !moved.is_finite() || !offset.is_finite() {
        return None;
    }
    xs[j] = moved;
    let fx = eval(xs);
    xs[j] = xj;
    (fx.len() == m && fx.iter().all(|v| v.is_finite())).then_some((offset, fx))
}

/// `f` at `x` with `x_j` moved by `k·h`: `k ∈ {0, ±1}` from [`Stencil::new`], `±2` once
/// [`Stencil::extend`] has added them (for Richardson), and `±4` once [`Stencil::widen`] has.
///
/// ```
/// use jacobian_oracle::fd::{Eval, Stencil};
/// use nalgebra::DVector;
///
/// let mut sin = |x: &DVector<f64>| x.map(f64::sin);
/// let eval: &mut Eval<'_> = &mut sin;
/// let x = DVector::from_vec(vec![0.5]);
/// let f0 = eval(&x);
/// let s = Stencil::new(eval, &x, 0, &f0).unwrap();
/// assert_eq!(s.j, 0);
/// approx::assert_abs_diff_eq!(s.central(0, 1), 0.5f64.cos(), epsilon = 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct Stencil {
    /// The coordinate moved.
    pub j: usize,
    /// The step.
    pub h: f64,
    offsets: [f64; 7],
    values: [Option<DVector<f64>>; 7],
    /// Extra points at irregular offsets within `±2h` ([`Stencil::scatter`]).
    scattered: Vec<(f64, DVector<f64>)>,
}

/// How many irregular points [`Stencil::scatter`] adds.
///
/// ```
/// use jacobian_oracle::fd::{Eval, SCATTER_POINTS, Stencil};
/// use nalgebra::DVector;
/// use std::cell::Cell;
///
/// let calls = Cell::new(0);
/// let mut f = |x: &DVector<f64>| {
///     calls.set(calls.get() + 1);
///     x.map(f64::exp)
/// };
/// let eval: &mut Eval<'_> = &mut f;
/// let x = DVector::from_vec(vec![0.25]);
/// let f0 = eval(&x);
/// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
/// let before = calls.get();
/// s.scatter(eval, &x).unwrap();
/// assert_eq!(calls.get() - before, SCATTER_POINTS);
/// ```
pub const SCATTER_POINTS: usize = 6;

/// Offsets, in units of `h`, of the scatter points: a Weyl sequence of the golden ratio mapped
/// to `[−2, 2]`, so that no two offsets are related by a power of two (a lattice of
/// power-of-two steps can line up with the rounding grid of `f` and hide it).
fn scatter_offsets() -> [f64; SCATTER_POINTS] {
    let phi = 0.5 * (5f64.sqrt() - 1.0);
    let mut u = [0.0; SCATTER_POINTS];
    for (k, uk) in u.iter_mut().enumerate() {
        let frac = (0.5f64.sqrt() + (k as f64 + 1.0) * phi).fract();
        *uk = 4.0 * frac - 2.0;
    }
    u
}

impl Stencil {
    /// Evaluates `f` at `x ± h e_j` with the default [`step`], with `f(x) = f0` (two
    /// evaluations; [`Stencil::extend`] adds `±2h` for Richardson's extrapolation). Returns
    /// `None` when the step or a point overflows, or `f` is not finite at one of the points.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil, step};
    /// use nalgebra::DVector;
    /// use std::cell::Cell;
    ///
    /// let calls = Cell::new(0);
    /// let mut f = |x: &DVector<f64>| {
    ///     calls.set(calls.get() + 1);
    ///     DVector::from_vec(vec![x[0] * x[1], x[1].exp()])
    /// };
    /// let eval: &mut Eval<'_> = &mut f;
    /// let x = DVector::from_vec(vec![2.0, 0.5]);
    /// let f0 = eval(&x);
    /// let s = Stencil::new(eval, &x, 1, &f0).unwrap();
    /// assert_eq!(calls.get(), 3); // f0, then x ± h e₁
    /// assert_eq!(s.h, step(0.5).unwrap());
    /// // ∂(x₀x₁)/∂x₁ = x₀ and ∂e^{x₁}/∂x₁ = e^{x₁}
    /// approx::assert_abs_diff_eq!(s.central(0, 1), 2.0, epsilon = 1e-9);
    /// approx::assert_abs_diff_eq!(s.central(1, 1), 0.5f64.exp(), epsilon = 1e-9);
    /// // No step at the end of the range.
    /// let far = DVector::from_vec(vec![2.0, f64::MAX]);
    /// assert!(Stencil::new(eval, &far, 1, &f0).is_none());
    /// ```
    pub fn new(
        eval: &mut Eval<'_>,
        x: &DVector<f64>,
        j: usize,
        f0: &DVector<f64>,
    ) -> Option<Stencil> {
        Stencil::with_step(eval, x, j, f0, step(x[j])?)
    }

    /// [`Stencil::new`] with the evaluations it made added to `evaluations` (none where the
    /// step or a point overflows).
    pub(crate) fn new_counted(
        eval: &mut Eval<'_>,
        x: &DVector<f64>,
        j: usize,
        f0: &DVector<f64>,
        evaluations: &mut usize,
    ) -> Option<Stencil> {
        let mut counted = |p: &DVector<f64>| {
            *evaluations += 1;
            eval(p)
        };
        Stencil::new(&mut counted, x, j, f0)
    }

    /// As [`Stencil::new`], with the step `h` given; it is made representable as
    /// `(x_j + h) − x_j`.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut cube = |x: &DVector<f64>| x.map(|v| v * v * v);
    /// let eval: &mut Eval<'_> = &mut cube;
    /// let x = DVector::from_vec(vec![1.0 / 3.0]);
    /// let f0 = eval(&x);
    /// let s = Stencil::with_step(eval, &x, 0, &f0, 0.1).unwrap();
    /// assert_eq!(s.h, (x[0] + 0.1) - x[0]);
    /// // For a cubic, D(h) = 3x² + h².
    /// approx::assert_abs_diff_eq!(s.central(0, 1), 3.0 * x[0] * x[0] + s.h * s.h, epsilon = 1e-12);
    /// assert!(Stencil::with_step(eval, &x, 0, &f0, 0.0).is_none());
    /// ```
    pub fn with_step(
        eval: &mut Eval<'_>,
        x: &DVector<f64>,
        j: usize,
        f0: &DVector<f64>,
        h: f64,
    ) -> Option<Stencil> {
        let h = (x[j] + h) - x[j];
        if !(h.is_finite() && h > 0.0) {
            return None;
        }
        let mut s = Stencil {
            j,
            h,
            offsets: [0.0; 7],
            values: Default::default(),
            scattered: Vec::new(),
        };
        s.values[slot(0)] = Some(f0.clone());
        s.extend(eval, x, &[-1, 1])?;
        Some(s)
    }

    /// Adds the points `x + k·h e_j` for the given `k ∈ {±1, ±2, ±4}` that are not evaluated
    /// yet. Returns `None` if one of them is not finite.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    /// use std::cell::Cell;
    ///
    /// let calls = Cell::new(0);
    /// let mut f = |x: &DVector<f64>| {
    ///     calls.set(calls.get() + 1);
    ///     x.map(f64::sin)
    /// };
    /// let eval: &mut Eval<'_> = &mut f;
    /// let x = DVector::from_vec(vec![1.0]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// assert!(!s.has(2) && !s.has(-2));
    /// s.extend(eval, &x, &[-2, 2]).unwrap();
    /// assert!(s.has(2) && s.has(-2));
    /// assert_eq!(calls.get(), 5);
    /// // Points already evaluated are not evaluated again.
    /// s.extend(eval, &x, &[-1, 1, 2]).unwrap();
    /// assert_eq!(calls.get(), 5);
    /// ```
    pub fn extend(&mut self, eval: &mut Eval<'_>, x: &DVector<f64>, ks: &[i32]) -> Option<()> {
        let mut xs: Option<DVector<f64>> = None;
        for &k in ks {
            if self.values[slot(k)].is_none() {
                let xs = xs.get_or_insert_with(|| x.clone());
                self.add(eval, xs, k)?;
            }
        }
        Some(())
    }

    /// Whether `x + k·h e_j` has been evaluated.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut f = |x: &DVector<f64>| x.map(f64::tanh);
    /// let eval: &mut Eval<'_> = &mut f;
    /// let x = DVector::from_vec(vec![0.5]);
    /// let f0 = eval(&x);
    /// let s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// assert!(s.has(0) && s.has(1) && s.has(-1));
    /// assert!(!s.has(2) && !s.has(-4));
    /// ```
    #[must_use]
    pub fn has(&self, k: i32) -> bool {
        self.values[slot(k)].is_some()
    }

    fn add(&mut self, eval: &mut Eval<'_>, xs: &mut DVector<f64>, k: i32) -> Option<()> {
        let m = self.values[slot(0)].as_ref().map_or(0, DVector::len);
        let (offset, fx) = eval_moved(eval, xs, self.j, f64::from(k) * self.h, m)?;
        self.offsets[slot(k)] = offset;
        self.values[slot(k)] = Some(fx);
        Some(())
    }

    /// Adds the points `x ± 2h e_j` and `x ± 4h e_j` (for the one-sided estimates). Returns
    /// `None` if one of them is not finite.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    /// use std::cell::Cell;
    ///
    /// let calls = Cell::new(0);
    /// let mut square = |x: &DVector<f64>| {
    ///     calls.set(calls.get() + 1);
    ///     x.map(|v| v * v)
    /// };
    /// let eval: &mut Eval<'_> = &mut square;
    /// let x = DVector::from_vec(vec![1.0]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// s.widen(eval, &x).unwrap();
    /// assert_eq!(calls.get(), 7);
    /// assert!([-4, -2, 2, 4].iter().all(|&k| s.has(k)));
    /// // x² has f''' = 0: both one-sided slopes are 2x = 2.
    /// for (slope, _) in s.one_sided(0) {
    ///     approx::assert_abs_diff_eq!(slope, 2.0, epsilon = 1e-8);
    /// }
    /// ```
    pub fn widen(&mut self, eval: &mut Eval<'_>, x: &DVector<f64>) -> Option<()> {
        self.extend(eval, x, &[-2, 2, -4, 4])
    }

    /// Adds [`SCATTER_POINTS`] points at irregular offsets within `x_j ± 2h`, for
    /// [`Stencil::residual_noise`]. Returns `None` if one of them is not finite.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// // x + 10⁴ − 10⁴: x on the coarse rounding grid of 10⁴ (an additive offset).
    /// let mut offset = |x: &DVector<f64>| x.map(|v| (v + 1e4) - 1e4);
    /// let eval: &mut Eval<'_> = &mut offset;
    /// let x = DVector::from_vec(vec![0.5]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// s.extend(eval, &x, &[-2, 2]).unwrap();
    /// assert_eq!(s.residual_noise(0), 0.0); // not measured yet
    /// s.scatter(eval, &x).unwrap();
    /// assert!(s.residual_noise(0) > 1e-14);
    /// ```
    pub fn scatter(&mut self, eval: &mut Eval<'_>, x: &DVector<f64>) -> Option<()> {
        if !self.scattered.is_empty() {
            return Some(());
        }
        let m = self.values[slot(0)].as_ref().map_or(0, DVector::len);
        let mut xs = x.clone();
        for u in scatter_offsets() {
            let (offset, fx) = eval_moved(eval, &mut xs, self.j, u * self.h, m)?;
            self.scattered.push((offset, fx));
        }
        Some(())
    }

    /// What `f_i` does within `x_j ± 2h` beyond a quadratic: the root-mean-square residual of
    /// a least-squares quadratic through the stencil points `0, ±h, ±2h` and the scatter
    /// points. It measures the rounding noise of `f` *at this step* — including a coarse
    /// rounding grid (an additive offset) that a probe at a much smaller step sees as flat —
    /// plus any non-quadratic behaviour (a step too large for the function's scale), both of
    /// which limit the accuracy of the differences at this level. Requires
    /// [`Stencil::scatter`]; 0 without it.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let noise = |f: &mut Eval<'_>| {
    ///     let x = DVector::from_vec(vec![0.5]);
    ///     let f0 = f(&x);
    ///     let mut s = Stencil::new(f, &x, 0, &f0).unwrap();
    ///     s.extend(f, &x, &[-2, 2]).unwrap();
    ///     s.scatter(f, &x).unwrap();
    ///     s.residual_noise(0)
    /// };
    /// // The same line, computed exactly and through an offset of 10⁴ (ulp 1.8e-12).
    /// let exact = noise(&mut |x: &DVector<f64>| x.clone());
    /// let offset = noise(&mut |x: &DVector<f64>| x.map(|v| (v + 1e4) - 1e4));
    /// assert!(exact < 1e-18);
    /// assert!(offset > 1e-14 && offset < 1e-11);
    /// ```
    #[must_use]
    pub fn residual_noise(&self, i: usize) -> f64 {
        self.fit_residual(i, |_| true)
    }

    /// [`Stencil::residual_noise`] on each side of `x_j` separately (points at `t ≥ 0`, then
    /// `t ≤ 0`), the smaller of the two: the noise of `f` near a kink at `x`, which a fit
    /// across the kink would count as noise.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut abs = |x: &DVector<f64>| x.map(f64::abs);
    /// let eval: &mut Eval<'_> = &mut abs;
    /// let x = DVector::from_vec(vec![0.0]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// s.extend(eval, &x, &[-2, 2]).unwrap();
    /// s.scatter(eval, &x).unwrap();
    /// // A quadratic through the kink of |x| misses; each side alone is a line.
    /// assert!(s.residual_noise(0) > 0.01 * s.h);
    /// assert!(s.one_sided_noise(0) < 1e-18);
    /// ```
    #[must_use]
    pub fn one_sided_noise(&self, i: usize) -> f64 {
        self.fit_residual(i, |t| t >= 0.0)
            .min(self.fit_residual(i, |t| t <= 0.0))
    }

    fn fit_residual(&self, i: usize, keep: impl Fn(f64) -> bool) -> f64 {
        if self.scattered.is_empty() {
            return 0.0;
        }
        let f0 = self.at(0, i);
        let points: Vec<(f64, f64)> = [-2, -1, 1, 2]
            .iter()
            .map(|&k| (self.off(k) / self.h, self.at(k, i) - f0))
            .chain(std::iter::once((0.0, 0.0)))
            .chain(self.scattered.iter().map(|(o, v)| (o / self.h, v[i] - f0)))
            .filter(|p| keep(p.0))
            .collect();
        quadratic_residual(&points)
    }

    fn at(&self, k: i32, i: usize) -> f64 {
        self.values[slot(k)]
            .as_ref()
            .expect("stencil point evaluated before use")[i]
    }

    fn off(&self, k: i32) -> f64 {
        self.offsets[slot(k)]
    }

    /// `max − min` of output `i` over the evaluated points: 0 when `f_i` did not change at
    /// all across the stencil.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut f = |x: &DVector<f64>| DVector::from_vec(vec![x[0], 7.0]);
    /// let eval: &mut Eval<'_> = &mut f;
    /// let x = DVector::from_vec(vec![0.0]);
    /// let f0 = eval(&x);
    /// let s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// assert_eq!(s.spread(0), 2.0 * s.h); // x − h … x + h
    /// assert_eq!(s.spread(1), 0.0); // a constant
    /// ```
    #[must_use]
    pub fn spread(&self, i: usize) -> f64 {
        let (lo, hi) = self
            .values
            .iter()
            .flatten()
            .map(|v| v[i])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
        hi - lo
    }

    /// Central difference of output `i` with step `k·h`, `k ∈ {1, 2}`, over the actual
    /// displacements.
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut cube = |x: &DVector<f64>| x.map(|v| v * v * v);
    /// let eval: &mut Eval<'_> = &mut cube;
    /// let x = DVector::from_vec(vec![1.0]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::with_step(eval, &x, 0, &f0, 1e-2).unwrap();
    /// s.extend(eval, &x, &[-2, 2]).unwrap();
    /// let h = s.h;
    /// // (x + kh)³ − (x − kh)³ over 2kh = 3x² + k²h²
    /// approx::assert_abs_diff_eq!(s.central(0, 1), 3.0 + h * h, epsilon = 1e-12);
    /// approx::assert_abs_diff_eq!(s.central(0, 2), 3.0 + 4.0 * h * h, epsilon = 1e-12);
    /// ```
    #[must_use]
    pub fn central(&self, i: usize, k: i32) -> f64 {
        (self.at(k, i) - self.at(-k, i)) / (self.off(k) - self.off(-k))
    }

    /// Richardson's extrapolation `R` and the truncation estimate `|D(h) − D(2h)|/3` for
    /// output `i`. Requires the points `±2h` ([`Stencil::extend`]).
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut sin = |x: &DVector<f64>| x.map(f64::sin);
    /// let eval: &mut Eval<'_> = &mut sin;
    /// let x = DVector::from_vec(vec![0.5]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::with_step(eval, &x, 0, &f0, 1e-2).unwrap();
    /// s.extend(eval, &x, &[-2, 2]).unwrap();
    /// let (r, estimate) = s.richardson(0);
    /// let exact = 0.5f64.cos();
    /// // R is within the estimate; the estimate is the error of D(h).
    /// assert!((r - exact).abs() <= estimate);
    /// let central_error = (s.central(0, 1) - exact).abs();
    /// approx::assert_abs_diff_eq!(estimate / central_error, 1.0, epsilon = 1e-3);
    /// ```
    #[must_use]
    pub fn richardson(&self, i: usize) -> (f64, f64) {
        let d1 = self.central(i, 1);
        let d2 = self.central(i, 2);
        (d1 + (d1 - d2) / 3.0, (d1 - d2).abs() / 3.0)
    }

    /// Second-order one-sided differences (forward, backward) of output `i` with steps `h`
    /// and `2h`: `s₊ = (−3f₀ + 4f₁ − f₂)/2h`, `s₋ = (3f₀ − 4f₋₁ + f₋₂)/2h`, each with its
    /// truncation estimate `|s(h) − s(2h)|/3`. For a smooth `f` both equal
    /// `f' − h²f'''/3 + O(h³)`, so they agree closely; across a kink they differ by the jump
    /// in slope. Requires [`Stencil::widen`].
    ///
    /// ```
    /// use jacobian_oracle::fd::{Eval, Stencil};
    /// use nalgebra::DVector;
    ///
    /// let mut abs = |x: &DVector<f64>| x.map(f64::abs);
    /// let eval: &mut Eval<'_> = &mut abs;
    /// let x = DVector::from_vec(vec![0.0]);
    /// let f0 = eval(&x);
    /// let mut s = Stencil::new(eval, &x, 0, &f0).unwrap();
    /// s.widen(eval, &x).unwrap();
    /// // The kink of |x| at 0: slopes +1 and −1, each exact.
    /// assert_eq!(s.one_sided(0), [(1.0, 0.0), (-1.0, 0.0)]);
    /// ```
    #[must_use]
    pub fn one_sided(&self, i: usize) -> [(f64, f64); 2] {
        let f0 = self.at(0, i);
        let side = |s: i32| {
            let one = (-3.0 * f0 + 4.0 * self.at(s, i) - self.at(2 * s, i)) / (2.0 * self.off(s));
            let two =
                (-3.0 * f0 + 4.0 * self.at(2 * s, i) - self.at(4 * s, i)) / (2.0 * self.off(2 * s));
            (one, (one - two).abs() / 3.0)
        };
        [side(1), side(-1)]
    }
}

/// The root-mean-square residual of the least-squares quadratic through `(t, v)` points
/// (`t` of order 1 for conditioning): what the values do beyond a smooth quadratic, i.e. their
/// noise. 0 with three points or fewer, infinite if the fit is singular.
///
/// ```
/// use jacobian_oracle::fd::quadratic_residual;
/// let exact: Vec<(f64, f64)> = [-2.0, -1.0, 0.0, 1.0, 2.0].iter().map(|&t| (t, 1.0 + t * t)).collect();
/// assert!(quadratic_residual(&exact) < 1e-15);
/// let noisy = [(-2.0, 0.0), (-1.0, 1.0), (0.0, 0.0), (1.0, 1.0), (2.0, 0.0)];
/// assert!(quadratic_residual(&noisy) > 0.1);
/// // The same noise at the scale of a saturated sigmoid (values near 1e-200): still seen.
/// let tiny: Vec<(f64, f64)> = noisy.iter().map(|&(t, v)| (t, v * 1e-200)).collect();
/// approx::assert_relative_eq!(quadratic_residual(&tiny), quadratic_residual(&noisy) * 1e-200, max_relative = 1e-12);
/// ```
#[must_use]
pub fn quadratic_residual(points: &[(f64, f64)]) -> f64 {
    if points.len() <= 3 {
        return 0.0;
    }
    let a = nalgebra::DMatrix::from_fn(points.len(), 3, |r, c| points[r].0.powi(c as i32));
    // Fitted on values scaled to order 1: the squares of residuals of values below 1e-154
    // (a saturated σ, say) would underflow to 0 and hide their noise.
    let largest = points.iter().fold(0.0, |m: f64, p| m.max(p.1.abs()));
    if largest == 0.0 {
        return 0.0;
    }
    // By a power of two, in two factors (2^1074 itself overflows): exact, so that values
    // that did not underflow give the same residual to the last bit.
    let e = if largest.is_finite() {
        largest.log2().floor() as i32
    } else {
        0
    };
    let (down, up) = (
        [2f64.powi(-e / 2), 2f64.powi(-e - (-e / 2))],
        [2f64.powi(e / 2), 2f64.powi(e - e / 2)],
    );
    let b = DVector::from_iterator(points.len(), points.iter().map(|p| p.1 * down[0] * down[1]));
    let Some(coef) = (a.transpose() * &a)
        .cholesky()
        .map(|ch| ch.solve(&(a.transpose() * &b)))
    else {
        return f64::INFINITY;
    };
    let residual = b - a * coef;
    (residual.norm_squared() / (points.len() - 3) as f64).sqrt() * up[0] * up[1]
}

/// How many steps [`adaptive`] differentiates with: `h_k = 2^{e−3−k}` for `k = 0 … 6`, where
/// `2^e ≤ max(1, |x_j|) < 2^{e+1}` (from an eighth of the coordinate's scale down to 1/512 of
/// it, each step half the last): `2·ADAPTIVE_STEPS` evaluations per column.
pub const ADAPTIVE_STEPS: usize = 7;

/// The orders Richardson's extrapolation removes in [`adaptive`]: `h²`, `h⁴`, `h⁶`.
const ADAPTIVE_ORDERS: usize = 3;

/// One output's estimate from [`adaptive`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveEstimate {
    /// The extrapolated derivative.
    pub value: f64,
    /// Its error estimate: the distance to the next step's extrapolant of the same order and
    /// to the lower order's, plus the rounding `Δ_i` carried through the extrapolation.
    pub error_estimate: f64,
    /// The step of the estimate's smallest-step difference.
    pub step: f64,
}

/// Central differences of column `j` over a geometric sequence of steps (ratio 2), extrapolated
/// by Richardson to remove the `h²`, `h⁴` and `h⁶` terms, and for each output the extrapolant
/// with the smallest error estimate (the numdifftools approach: large steps, where rounding
/// is small, made accurate by extrapolation). `delta` is the rounding of each output. `None`
/// if a point or value is not finite, or an output has another length.
///
/// ```
/// use jacobian_oracle::fd::{ADAPTIVE_STEPS, Eval, adaptive};
/// use nalgebra::DVector;
///
/// let mut f = |x: &DVector<f64>| DVector::from_vec(vec![x[0].sin(), (2.0 * x[0]).exp()]);
/// let eval: &mut Eval<'_> = &mut f;
/// let x = DVector::from_vec(vec![0.7]);
/// let f0 = eval(&x);
/// let delta = f0.map(|v| 4.0 * f64::EPSILON * v.abs());
/// let d = adaptive(eval, &x, 0, &f0, &delta).unwrap();
/// let exact = [0.7f64.cos(), 2.0 * 1.4f64.exp()];
/// for (e, want) in d.iter().zip(exact) {
///     // Far sharper than one central difference (about 1e-10), and within its estimate.
///     assert!((e.value - want).abs() <= e.error_estimate);
///     assert!(e.error_estimate < 1e-12 * want.abs());
/// }
/// ```
pub fn adaptive(
    eval: &mut Eval<'_>,
    x: &DVector<f64>,
    j: usize,
    f0: &DVector<f64>,
    delta: &DVector<f64>,
) -> Option<Vec<AdaptiveEstimate>> {
    let m = f0.len();
    let scale = x[j].abs().max(1.0);
    if !scale.is_finite() {
        return None;
    }
    let top = 2f64.powi(scale.log2().floor() as i32 - 3);
    let mut xs = x.clone();
    // Per step: the width of the difference, and the differences of every output.
    let mut widths = Vec::with_capacity(ADAPTIVE_STEPS);
    let mut differences: Vec<DVector<f64>> = Vec::with_capacity(ADAPTIVE_STEPS);
    for k in 0..ADAPTIVE_STEPS {
        let h = top * 2f64.powi(-(k as i32));
        let (plus, fp) = eval_moved(eval, &mut xs, j, h, m)?;
        let (minus, fm) = eval_moved(eval, &mut xs, j, -h, m)?;
        let width = plus - minus;
        if !(width.is_finite() && width > 0.0) {
            return None;
        }
        widths.push(width);
        differences.push((fp - fm) / width);
    }
    let estimates = (0..m)
        .map(|i| {
            // table[p][k]: order p from steps k and k + 1 (k = 0 the largest step), with the
            // rounding it carries.
            let mut table: Vec<Vec<(f64, f64)>> = vec![
                (0..ADAPTIVE_STEPS)
                    .map(|k| (differences[k][i], 2.0 * delta[i] / widths[k]))
                    .collect(),
            ];
            for p in 1..=ADAPTIVE_ORDERS {
                let c = 4f64.powi(p as i32) - 1.0;
                let last = &table[p - 1];
                let next: Vec<(f64, f64)> = (0..last.len() - 1)
                    .map(|k| {
                        let (coarse, rc) = last[k];
                        let (fine, rf) = last[k + 1];
                        (fine + (fine - coarse) / c, rf * (1.0 + 1.0 / c) + rc / c)
                    })
                    .collect();
                table.push(next);
            }
            let mut best = AdaptiveEstimate {
                value: f64::NAN,
                error_estimate: f64::INFINITY,
                step: f64::NAN,
            };
            for p in 1..=ADAPTIVE_ORDERS {
                for k in 0..table[p].len().saturating_sub(1) {
                    let (value, rounding) = table[p][k];
                    let error_estimate = (value - table[p][k + 1].0).abs()
                        + (value - table[p - 1][k + 1].0).abs()
                        + rounding;
                    if error_estimate < best.error_estimate {
                        best = AdaptiveEstimate {
                            value,
                            error_estimate,
                            step: widths[k + p] / 2.0,
                        };
                    }
                }
            }
            best
        })
        .collect();
    Some(estimates)
}
