//! The independent witness: central finite differences with Richardson extrapolation and an
//! error estimate, a measurement of the noise of `f`, and one-sided differences that tell a
//! kink from a wrong derivative.
//!
//! Nothing here needs more than `f64` evaluations, so it also catches an `eval` whose dual
//! path is wrong (a branch, a value computed off the dual path).
//!
//! Sources: step `h ∝ ε^{1/3}` and the representable step `(x + h) − x`: Press et al.,
//! *Numerical Recipes*, 3rd ed., §5.7. Richardson extrapolation of the central difference:
//! `D(h) = f' + c·h² + O(h⁴)`, so `R = D(h) + (D(h) − D(2h))/3` and `|D(h) − D(2h)|/3`
//! estimates the truncation error of `D(h)` (an overestimate for `R`). Noise of `f`: the
//! difference-table estimator of Moré & Wild, *Estimating computational noise*, SIAM J. Sci.
//! Comput. 33 (2011).

use nalgebra::DVector;

/// Cube root of `f64::EPSILON`: the central-difference step that balances truncation
/// (`∝ h²`) against rounding (`∝ ε/h`).
pub const STEP_FACTOR: f64 = 6.055_454_452_393_343e-6;

/// The step for coordinate `x_j`: `h = ε^{1/3}·max(1, |x_j|)`, made exactly representable
/// as `(x_j + h) − x_j`. `None` if `x_j + h` overflows.
///
/// ```
/// use jacobian_oracle::fd::step;
/// let h = step(3.0).unwrap();
/// assert_eq!((3.0 + h) - 3.0, h);
/// assert!((h / 3.0 - f64::EPSILON.cbrt()).abs() < 1e-9);
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

/// `f` at `x` with `x_j` moved by `k·h`, for `k ∈ {0, ±1, ±2}`, and `±4` once
/// [`Stencil::widen`] has asked for them.
#[derive(Debug, Clone)]
pub struct Stencil {
    /// The coordinate moved.
    pub j: usize,
    /// The step.
    pub h: f64,
    offsets: [f64; 7],
    values: [Option<DVector<f64>>; 7],
}

impl Stencil {
    /// Evaluates `f` at `x ± h e_j` and `x ± 2h e_j` with the default [`step`], with
    /// `f(x) = f0`. Returns `None` when the step or a point overflows, or `f` is not finite at
    /// one of the points.
    pub fn new(
        eval: &mut Eval<'_>,
        x: &DVector<f64>,
        j: usize,
        f0: &DVector<f64>,
    ) -> Option<Stencil> {
        Stencil::with_step(eval, x, j, f0, step(x[j])?)
    }

    /// As [`Stencil::new`], with the step `h` given; it is made representable as
    /// `(x_j + h) − x_j`.
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
        };
        s.values[slot(0)] = Some(f0.clone());
        let mut xs = x.clone();
        for k in [-2, -1, 1, 2] {
            s.add(eval, &mut xs, k)?;
        }
        Some(s)
    }

    fn add(&mut self, eval: &mut Eval<'_>, xs: &mut DVector<f64>, k: i32) -> Option<()> {
        let m = self.values[slot(0)].as_ref().map_or(0, DVector::len);
        let (offset, fx) = eval_moved(eval, xs, self.j, f64::from(k) * self.h, m)?;
        self.offsets[slot(k)] = offset;
        self.values[slot(k)] = Some(fx);
        Some(())
    }

    /// Adds the points `x ± 4h e_j` (for the one-sided estimates). Returns `None` if one of
    /// them is not finite.
    pub fn widen(&mut self, eval: &mut Eval<'_>, x: &DVector<f64>) -> Option<()> {
        let mut xs = x.clone();
        for k in [-4, 4] {
            if self.values[slot(k)].is_none() {
                self.add(eval, &mut xs, k)?;
            }
        }
        Some(())
    }

    fn at(&self, k: i32, i: usize) -> f64 {
        self.values[slot(k)]
            .as_ref()
            .expect("stencil point evaluated before use")[i]
    }

    fn off(&self, k: i32) -> f64 {
        self.offsets[slot(k)]
    }

    /// Central difference of output `i` with step `k·h`, `k ∈ {1, 2}`, over the actual
    /// displacements.
    #[must_use]
    pub fn central(&self, i: usize, k: i32) -> f64 {
        (self.at(k, i) - self.at(-k, i)) / (self.off(k) - self.off(-k))
    }

    /// Richardson's extrapolation `R` and the truncation estimate `|D(h) − D(2h)|/3` for
    /// output `i`.
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

/// Points per side of the noise measurement.
const NOISE_POINTS: i32 = 8;

/// The noise (a standard deviation) of each output of `f` along `x_j`, measured from `f` at
/// `x + k·δ e_j` with `δ = h/1024`, `k = −8..=8`.
///
/// Moré & Wild's difference-table estimator: for order `k`, `σ_k² = γ_k · mean((Δᵏ f)²)` with
/// `γ_k = (k!)²/(2k)!`; the largest of orders 4 to 6, where the smooth part `δᵏ f⁽ᵏ⁾` is far
/// below rounding. It is computed on each side of `x` separately and the smaller side is
/// kept, so a kink at or near `x` is not mistaken for noise. Returns `None` if a point is
/// not finite. Costs 16 evaluations.
pub fn noise(
    eval: &mut Eval<'_>,
    x: &DVector<f64>,
    j: usize,
    f0: &DVector<f64>,
) -> Option<DVector<f64>> {
    let delta = step(x[j])? / 1024.0;
    let m = f0.len();
    let mut xs = x.clone();
    let mut sides = Vec::with_capacity(2);
    for sign in [-1.0, 1.0] {
        let mut pts = vec![f0.clone()];
        for k in 1..=NOISE_POINTS {
            pts.push(eval_moved(eval, &mut xs, j, sign * f64::from(k) * delta, m)?.1);
        }
        sides.push(pts);
    }
    Some(DVector::from_fn(m, |i, _| {
        sides
            .iter()
            .map(|pts| table_noise(pts.iter().map(|p| p[i])))
            .fold(f64::INFINITY, f64::min)
    }))
}

fn table_noise(values: impl Iterator<Item = f64>) -> f64 {
    // γ_k = (k!)² / (2k)!
    const GAMMA: [f64; 7] = [
        1.0,
        0.5,
        1.0 / 6.0,
        1.0 / 20.0,
        1.0 / 70.0,
        1.0 / 252.0,
        1.0 / 924.0,
    ];
    let mut diffs: Vec<f64> = values.collect();
    let mut worst: f64 = 0.0;
    for (order, gamma) in GAMMA.iter().enumerate().skip(1) {
        diffs = diffs.windows(2).map(|w| w[1] - w[0]).collect();
        if order >= 4 {
            let mean_sq = diffs.iter().map(|d| d * d).sum::<f64>() / diffs.len() as f64;
            worst = worst.max((gamma * mean_sq).sqrt());
        }
    }
    worst
}
