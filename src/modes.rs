//! Checking derivatives as real layers expose them: a backward pass ([`AnalyticVjp`], the
//! vector-Jacobian product `uᵀJ`), a forward-mode rule ([`AnalyticJvp`], the Jacobian-vector
//! product `Jv`), and random projections of a full Jacobian for large maps
//! ([`Oracle::check_projected`]).
//!
//! Each is checked by the same three witnesses as a Jacobian, through a view:
//!
//! * a JVP along `v` is the `m×1` Jacobian of `t ↦ f(x + t v)` at `t = 0`: one dual pass
//!   seeded with `v` gives the exact `Jv`, finite differences along `v` vouch for it;
//! * a VJP along `u` is the gradient of the scalar `x ↦ uᵀf(x)`: `n` dual passes give the
//!   exact `uᵀJ`.
//!
//! Directions are signed, with entries of irregular sizes (never all ones, never all
//! positive): a checker that only tests the gradient of `Σ f(x)` misses a Jacobian whose rows
//! are permuted. `check_jvp` and `check_vjp` draw [`DIRECTIONS`] of them deterministically;
//! `check_jvp_along` and `check_vjp_along` take one from the caller, for instance from a
//! proptest strategy ([`crate::strategy::direction`]), so a failing direction shrinks.
//!
//! ```
//! use jacobian_oracle::catalogue::SigmoidLayer;
//! use jacobian_oracle::{AnalyticVjp, CheckError, Oracle, VectorFn};
//! use nalgebra::{DMatrix, DVector};
//! use num_dual::DualNum;
//!
//! let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
//! let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
//! let oracle = Oracle::default();
//! oracle.check_vjp(&layer, &x).unwrap(); // its backward pass uᵀJ
//! oracle.check_jvp(&layer, &x).unwrap(); // its forward rule Jv
//! oracle.check_projected(&layer, &x, 4).unwrap(); // uᵀJv for 4 pairs, O(k) evaluations
//!
//! // A backward pass that applies the cotangent to the rows in the wrong order: the gradient
//! // of Σf (u = all ones) cannot see it, signed cotangents do.
//! struct Swapped(SigmoidLayer);
//! impl VectorFn for Swapped {
//!     fn input_dim(&self) -> usize { self.0.input_dim() }
//!     fn output_dim(&self) -> usize { self.0.output_dim() }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> { self.0.eval(x) }
//! }
//! impl AnalyticVjp for Swapped {
//!     fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
//!         self.0.vjp(x, &DVector::from_vec(vec![u[1], u[0]]))
//!     }
//! }
//! let ones = DVector::from_element(2, 1.0);
//! assert!(oracle.check_vjp_along(&Swapped(layer.clone()), &x, &ones).is_ok());
//! let err = oracle.check_vjp(&Swapped(layer), &x).unwrap_err();
//! assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
//! ```

use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;

use std::cell::OnceCell;

use crate::dual::second_order_column;
use crate::oracle::{Directions, Probe, ROUNDING_SAFETY, RowParts, RowResolved};
use crate::report::{Agreement, Quantity};
use crate::rounding::Bounded;
use crate::scalar::AsVectorFn;
use crate::tolerance::forward_error;
use crate::{AnalyticGradient, AnalyticJacobian, CheckError, Oracle, ScalarFn, VectorFn};

/// A backward pass: the vector-Jacobian product `uᵀJ` (an `n`-vector) for an output
/// cotangent `u` (an `m`-vector), as reverse mode computes it.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, AnalyticVjp, Oracle};
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use nalgebra::{DMatrix, DVector};
///
/// /// The sigmoid layer's backward pass, Wᵀ(u ∘ z ∘ (1 − z)).
/// struct Backward(SigmoidLayer);
/// impl jacobian_oracle::VectorFn for Backward {
///     fn input_dim(&self) -> usize { self.0.input_dim() }
///     fn output_dim(&self) -> usize { self.0.output_dim() }
///     fn eval<D: num_dual::DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> { self.0.eval(x) }
/// }
/// impl AnalyticVjp for Backward {
///     fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
///         self.0.jacobian(x).tr_mul(u)
///     }
/// }
/// let f = Backward(SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.25, 1.0, -1.0])));
/// Oracle::default().check_vjp(&f, &DVector::from_vec(vec![0.3, -0.1, 0.8])).unwrap();
/// ```
pub trait AnalyticVjp: VectorFn {
    /// `uᵀJ(x)` as an `n`-vector (`Jᵀu`).
    ///
    /// ```
    /// use jacobian_oracle::AnalyticVjp;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // At x = 0, z(1 − z) = 1/4, so uᵀJ = Wᵀu/4: an n-vector for an m-vector u.
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    /// let u = DVector::from_vec(vec![1.0, -1.0]);
    /// assert_eq!(layer.vjp(&DVector::zeros(3), &u), DVector::from_vec(vec![-0.75, -0.75, -0.75]));
    /// ```
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64>;
}

/// A forward-mode rule: the Jacobian-vector product `Jv` (an `m`-vector) for an input
/// tangent `v` (an `n`-vector).
///
/// # Examples
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, AnalyticJvp, Oracle};
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use nalgebra::{DMatrix, DVector};
///
/// struct Forward(SigmoidLayer);
/// impl jacobian_oracle::VectorFn for Forward {
///     fn input_dim(&self) -> usize { self.0.input_dim() }
///     fn output_dim(&self) -> usize { self.0.output_dim() }
///     fn eval<D: num_dual::DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> { self.0.eval(x) }
/// }
/// impl AnalyticJvp for Forward {
///     fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
///         self.0.jacobian(x) * v
///     }
/// }
/// let f = Forward(SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[1.0, -2.0, 0.5, 0.25, 1.0, -1.0])));
/// Oracle::default().check_jvp(&f, &DVector::from_vec(vec![0.3, -0.1, 0.8])).unwrap();
/// ```
pub trait AnalyticJvp: VectorFn {
    /// `J(x) v` as an `m`-vector.
    ///
    /// ```
    /// use jacobian_oracle::AnalyticJvp;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // At x = 0, z(1 − z) = 1/4, so Jv = Wv/4: an m-vector for an n-vector v.
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
    /// let v = DVector::from_vec(vec![1.0, 0.0, -1.0]);
    /// assert_eq!(layer.jvp(&DVector::zeros(3), &v), DVector::from_vec(vec![-0.5, -0.5]));
    /// ```
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64>;
}

/// How many directions [`Oracle::check_jvp`] and [`Oracle::check_vjp`] draw.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::modes::DIRECTIONS;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// // check_vjp runs DIRECTIONS single-direction checks (one dual pass per input each) and
/// // merges their agreements.
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// let agreement = Oracle::default().check_vjp(&layer, &DVector::from_vec(vec![0.3, -1.2, 0.7])).unwrap();
/// assert_eq!(DIRECTIONS, 3);
/// assert!(agreement.evaluations.dual_evals >= DIRECTIONS);
/// ```
pub const DIRECTIONS: usize = 3;

/// `n` signed entries of irregular sizes, `±(0.5 + U[0, 1))`, from a fixed stream (xorshift64*
/// seeded by `seed`); with `scale`, entry `l` is multiplied by `max(1, |scale_l|)` so that a
/// step along the direction moves every coordinate in proportion to its size.
///
/// The stream, to reproduce a direction elsewhere: the state starts at
/// `seed·0x9E37_79B9_7F4A_7C15 ⊕ 0xD1B5_4A32_D192_ED03` (wrapping); each entry advances it by
/// `s ⊕= s >> 12; s ⊕= s << 25; s ⊕= s >> 27` and takes `r = s·0x2545_F491_4F6C_DD1D`
/// (wrapping): magnitude `0.5 + (r >> 11)·2⁻⁵³`, negative if `r` is odd. Then, if `n ≥ 2` and
/// every entry has the same sign, the last is negated; and with `scale`, entry `l` is
/// multiplied by `|scale_l|` clamped to `[1, f64::MAX/2]`.
///
/// ```
/// use jacobian_oracle::modes::direction;
/// let v = direction(4, 7, None);
/// assert_eq!(v, direction(4, 7, None)); // deterministic
/// assert!(v.iter().all(|e| (0.5..1.5).contains(&e.abs())));
/// assert!(v.iter().any(|&e| e < 0.0) && v.iter().any(|&e| e > 0.0));
/// ```
#[must_use]
pub fn direction(n: usize, seed: u64, scale: Option<&DVector<f64>>) -> DVector<f64> {
    let mut state = stream_start(seed);
    let mut v = DVector::from_fn(n, |_, _| stream_entry(&mut state));
    finish_direction(v.as_mut_slice(), scale);
    v
}

/// The state of [`direction`]'s stream for `seed`.
fn stream_start(seed: u64) -> u64 {
    seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03
}

/// The next entry of a [`direction`] stream (xorshift64*): `±(0.5 + U[0, 1))`, the low bit
/// the sign.
#[inline]
fn stream_entry(state: &mut u64) -> f64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    let r = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
    let magnitude = 0.5 + (r >> 11) as f64 / (1u64 << 53) as f64;
    if r & 1 == 0 { magnitude } else { -magnitude }
}

/// A [`direction`] drawn from its stream, finished: both signs, always (a one-entry
/// direction keeps its sign), and with `scale`, entry `l` times `max(1, |scale_l|)`.
fn finish_direction(v: &mut [f64], scale: Option<&DVector<f64>>) {
    let n = v.len();
    if n >= 2 && (v.iter().all(|&e| e > 0.0) || v.iter().all(|&e| e < 0.0)) {
        v[n - 1] = -v[n - 1];
    }
    if let Some(s) = scale {
        for (e, &sl) in v.iter_mut().zip(s.iter()) {
            // At most half of f64::MAX, so that |entry| ≤ 0.75·MAX stays finite.
            *e *= sl.abs().clamp(1.0, f64::MAX / 2.0);
        }
    }
}

/// `k` directions of [`direction`] (seeds `seed…seed + k − 1`) as the columns of an `n×k`
/// matrix, at the first of three scales whose exact products `Jv` are finite and that
/// `accept`s them: scaled with `|x|` (so that a step along them moves every coordinate in
/// proportion to its size); unscaled (at `|x|` near `1e154`, a scaled direction makes `x²`'s
/// `Jv` overflow though `J` is finite); and unscaled times `2^−(⌈log₂ n⌉ + 2)` (exact; a sum
/// of `n` entries of `J` near `f64::MAX` times entries up to 1.5 overflows even unscaled).
/// The last scale is tried only where the Jacobian itself is finite on dual numbers (`⌈n/8⌉`
/// passes, on this rare path only). With the products from the same batched dual pass
/// (`None` if none is finite: the dual path itself overflows, which the checks then report).
/// `first`, if given, is the first scale's directions, formed beforehand.
fn own_directions<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    seed: u64,
    k: usize,
    mut first: Option<DMatrix<f64>>,
    mut accept: impl FnMut(&DMatrix<f64>) -> bool,
) -> (DMatrix<f64>, Option<DMatrix<f64>>) {
    let mut last = None;
    for scale in 0..3 {
        // Shrinking only helps where J itself is representable: where it is not (exp(x²) at
        // 26.6, whose derivative overflows), a shrunk product would hide what `check` reports.
        if scale == 2 && crate::dual::dual_jacobian(f, x).is_err() {
            break;
        }
        // (`first` is the first scale's: taken on the first pass, `None` after it.)
        let directions = first
            .take()
            .unwrap_or_else(|| scaled_directions(x, seed, k, scale));
        let references = crate::dual::directional_derivatives(f, x, &directions);
        if references.is_some() && accept(&directions) {
            return (directions, references);
        }
        last = Some((directions, references));
    }
    let (directions, references) = last.expect("three scales tried");
    (directions, references)
}

/// The `k` directions of [`own_directions`] at one of its three scales (0: scaled with `|x|`,
/// 1: unscaled, 2: unscaled times `2^−(⌈log₂ n⌉ + 2)`), as the columns of an `n×k` matrix.
fn scaled_directions(x: &DVector<f64>, seed: u64, k: usize, scale: usize) -> DMatrix<f64> {
    let n = x.len();
    let shrink = 2f64.powi(-(n.next_power_of_two().trailing_zeros() as i32 + 2));
    let directions = direction_columns(n, seed, k, (scale == 0).then_some(x));
    if scale == 2 {
        directions * shrink
    } else {
        directions
    }
}

/// The `k` directions [`direction`]`(n, seed + p, scale)` as the columns of an `n×k` matrix:
/// the same numbers, four streams drawn side by side (each stream's steps depend on its own
/// last one; four at once keep the CPU busy).
fn direction_columns(n: usize, seed: u64, k: usize, scale: Option<&DVector<f64>>) -> DMatrix<f64> {
    let mut out = DMatrix::zeros(n, k);
    let data = out.as_mut_slice();
    let mut p0 = 0;
    while p0 < k {
        let width = (k - p0).min(4);
        let mut state = [0u64; 4];
        for (q, s) in state.iter_mut().enumerate().take(width) {
            *s = stream_start(seed + (p0 + q) as u64);
        }
        for l in 0..n {
            for (q, s) in state.iter_mut().enumerate() {
                let e = stream_entry(s);
                if q < width {
                    data[(p0 + q) * n + l] = e;
                }
            }
        }
        for q in 0..width {
            finish_direction(&mut data[(p0 + q) * n..(p0 + q + 1) * n], scale);
        }
        p0 += width;
    }
    out
}

/// `t ↦ f(x + t v)` on `t ∈ ℝ¹`: its `m×1` Jacobian at `t = 0` is `Jv`, and its analytic
/// Jacobian is a given column (a JVP, or `Jv` from a full analytic Jacobian).
pub(crate) struct Along<'a, F: ?Sized> {
    f: &'a F,
    x: &'a DVector<f64>,
    v: &'a DVector<f64>,
    column: DVector<f64>,
}

impl<F: VectorFn + ?Sized> VectorFn for Along<'_, F> {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        self.f.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: &DVector<D>) -> DVector<D> {
        let p = DVector::from_fn(self.x.len(), |l, _| D::from(self.x[l]) + t[0] * self.v[l]);
        self.f.eval(&p)
    }
    fn rust_expr(&self) -> Option<String> {
        self.f.rust_expr()
    }
}

impl<F: VectorFn + ?Sized> AnalyticJacobian for Along<'_, F> {
    fn jacobian(&self, _t: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_column_slice(self.column.len(), 1, self.column.as_slice())
    }
}

/// `t ↦ f(x + V t)` on `t ∈ ℝᵏ`: its `m×k` Jacobian at `t = 0` is `J·V` (column `p` is the
/// projection `J·v_p`), and its analytic Jacobian is given (`J·V` from a full analytic
/// Jacobian).
pub(crate) struct Projected<'a, F: ?Sized> {
    f: &'a F,
    x: &'a DVector<f64>,
    directions: &'a DMatrix<f64>,
    products: DMatrix<f64>,
}

impl<F: VectorFn + ?Sized> VectorFn for Projected<'_, F> {
    fn input_dim(&self) -> usize {
        self.directions.ncols()
    }
    fn output_dim(&self) -> usize {
        self.f.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, t: &DVector<D>) -> DVector<D> {
        // x + Σ_p t_p v_p, term by term in the order of p (along one v_p, the same point as
        // x + t_p v_p), a contiguous column of V at a time.
        let mut p: DVector<D> = self.x.map(D::from);
        if !p.is_empty() {
            for (&tp, v) in t
                .iter()
                .zip(self.directions.as_slice().chunks_exact(p.len()))
            {
                for (pl, &vl) in p.iter_mut().zip(v) {
                    *pl += tp * vl;
                }
            }
        }
        self.f.eval(&p)
    }
    fn rust_expr(&self) -> Option<String> {
        self.f.rust_expr()
    }
}

impl<F: VectorFn + ?Sized> AnalyticJacobian for Projected<'_, F> {
    fn jacobian(&self, _t: &DVector<f64>) -> DMatrix<f64> {
        self.products.clone()
    }
}

/// `x ↦ uᵀf(x)`: its gradient is `Jᵀu`, and its analytic gradient is a given VJP.
pub(crate) struct Contracted<'a, F: ?Sized> {
    f: &'a F,
    u: &'a DVector<f64>,
    row: DVector<f64>,
    /// An evaluation of `f` whose length was not `u`'s: (length, scalar type), the first seen.
    wrong_length: std::cell::Cell<Option<(usize, &'static str)>>,
}

impl<F: VectorFn + ?Sized> ScalarFn for Contracted<'_, F> {
    fn input_dim(&self) -> usize {
        self.f.input_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
        let out = self.f.eval(x);
        if out.len() != self.u.len() {
            // Remembered for the report (EvalLength), and NaN so that no verdict is reached.
            if self.wrong_length.get().is_none() {
                self.wrong_length.set(Some((out.len(), scalar_name::<D>())));
            }
            return D::from(f64::NAN);
        }
        out.iter()
            .zip(self.u.iter())
            .fold(D::zero(), |acc, (&fi, &ui)| acc + fi * ui)
    }
    fn rust_expr(&self) -> Option<String> {
        self.f.rust_expr()
    }
}

impl<F: VectorFn + ?Sized> AnalyticGradient for Contracted<'_, F> {
    fn gradient(&self, _x: &DVector<f64>) -> DVector<f64> {
        self.row.clone()
    }
}

/// The row-resolved tolerance of a VJP entry `(uᵀJ)_j = Σ_i u_i J_ij`: the analytic side sums
/// `m` Jacobian entries, each carrying the rounding the full check allows it, so entry `j` gets
///
/// * `(ulps + m)·ε·Σ_i |u_i J_ij|`: each entry's own rounding and that of the sum;
/// * `Σ_i |u_i|·S_ij` with `S_ij = safety·|∂²f_i/∂x_j² / J_ij|·Δf_i`: the rounding sensitivity
///   of each output (the textbook `Wᵀ(u∘z(1−z))` carries the error of `1 − z` in every
///   saturated row; in `uᵀf` a flat saturated row is swamped by the others' curvature);
/// * `Σ_i |u_i|·2·b_ij`, `b_ij` the running rounding bound of `J_ij`.
///
/// One second-order pass of `f` on column `j`, computed only for entries outside the view's own
/// tolerance.
struct Rows<'a, F: ?Sized> {
    f: &'a F,
    x: &'a DVector<f64>,
    f0: &'a DVector<f64>,
    u: &'a DVector<f64>,
    /// The running rounding bounds of `f(x)` (one pass on bounded numbers), when first needed.
    bounds: OnceCell<DVector<f64>>,
}

impl<F: VectorFn + ?Sized> RowResolved for Rows<'_, F> {
    fn column(&self, oracle: &Oracle, j: usize) -> Option<RowParts> {
        let m = self.f0.len();
        let c = second_order_column(self.f, self.x, j)?;
        let bounds = self.bounds.get_or_init(|| {
            let out = self.f.eval(&self.x.map(Bounded::exact));
            if out.len() == m {
                out.map(Bounded::bound)
            } else {
                DVector::from_element(m, f64::INFINITY)
            }
        });
        let (mut abs_terms, mut sensitivity, mut terms) = (0.0, 0.0, 0.0);
        for i in 0..m {
            let (d, w) = (c.derivative[i], self.u[i].abs());
            abs_terms += w * d.abs();
            let ratio = if d != 0.0 {
                (c.curvature[i] / d).abs()
            } else {
                0.0
            };
            let delta = forward_error(self.f0[i], 0.0, 0).max(bounds[i]);
            sensitivity += w * oracle.sensitivity_safety() * ratio * delta;
            terms += w * ROUNDING_SAFETY * c.derivative_bound[i];
        }
        let relative = (oracle.ulps() + m as f64) * f64::EPSILON * abs_terms;
        [relative, sensitivity, terms]
            .iter()
            .all(|v| v.is_finite())
            .then_some(RowParts {
                relative,
                sensitivity,
                terms,
            })
    }

    fn shared_passes(&self) -> usize {
        usize::from(self.bounds.get().is_some())
    }
}

/// `J·V` on plain slices of the column-major storage, register-blocked: for eight rows of `J`
/// and four directions at a time, the 32 sums stay in registers while `J`'s columns stream
/// past (each entry `Σ_j J_ij V_jp` summed over `j` in order, as the textbook loop does;
/// nalgebra's generic product reads `J` once per column of `V`). The projections' largest
/// cost after the map's own evaluations (`k·m·n` multiply-adds): on an x86-64 CPU with AVX2
/// the same loop runs compiled for it, four lanes wide instead of SSE2's two — the same
/// operations in the same order (Rust never fuses a multiply and an add), so the same bits.
fn products(jacobian: &DMatrix<f64>, directions: &DMatrix<f64>) -> DMatrix<f64> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, detected just above.
        return unsafe { products_avx2(jacobian, directions) };
    }
    products_portable(jacobian, directions)
}

/// [`products`] compiled for AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn products_avx2(jacobian: &DMatrix<f64>, directions: &DMatrix<f64>) -> DMatrix<f64> {
    products_portable(jacobian, directions)
}

/// [`products`] for any CPU (inlined into [`products_avx2`], compiled there for AVX2).
#[inline(always)]
fn products_portable(jacobian: &DMatrix<f64>, directions: &DMatrix<f64>) -> DMatrix<f64> {
    /// Rows of `J` per block.
    const ROWS: usize = 8;
    let (m, n) = jacobian.shape();
    let k = directions.ncols();
    let mut out = DMatrix::zeros(m, k);
    if m == 0 {
        return out;
    }
    let js = jacobian.as_slice();
    let blocked_rows = m - m % ROWS;
    let mut p = 0;
    while p + 4 <= k {
        // Row j of the four directions, gathered once.
        let c: Vec<[f64; 4]> = (0..n)
            .map(|j| [0, 1, 2, 3].map(|q| directions[(j, p + q)]))
            .collect();
        for r0 in (0..blocked_rows).step_by(ROWS) {
            let mut acc = [[0.0f64; ROWS]; 4];
            for (column, cj) in js.chunks_exact(m).zip(&c) {
                let a: &[f64; ROWS] = column[r0..r0 + ROWS].try_into().expect("ROWS entries");
                for (sums, &cq) in acc.iter_mut().zip(cj) {
                    for (s, &ar) in sums.iter_mut().zip(a) {
                        *s += ar * cq;
                    }
                }
            }
            for (q, sums) in acc.iter().enumerate() {
                out.as_mut_slice()[(p + q) * m + r0..(p + q) * m + r0 + ROWS].copy_from_slice(sums);
            }
        }
        // The last rows, entry by entry.
        for r in blocked_rows..m {
            for q in 0..4 {
                let mut s = 0.0;
                for (column, cj) in js.chunks_exact(m).zip(&c) {
                    s += column[r] * cj[q];
                }
                out[(r, p + q)] = s;
            }
        }
        p += 4;
    }
    // The last directions, a column of J at a time.
    for p in p..k {
        let o = &mut out.as_mut_slice()[p * m..(p + 1) * m];
        for (j, column) in js.chunks_exact(m).enumerate() {
            let c = directions[(j, p)];
            for (x, &a) in o.iter_mut().zip(column) {
                *x += a * c;
            }
        }
    }
    out
}

/// The name of a scalar type in [`CheckError::EvalLength`] reports, as the other checks give
/// it (`"DualSVec64<8>"` for the first-order passes).
fn scalar_name<D: 'static>() -> &'static str {
    use std::any::TypeId;
    let t = TypeId::of::<D>();
    if t == TypeId::of::<f64>() {
        "f64"
    } else if t == TypeId::of::<num_dual::DualSVec64<{ crate::dual::LANES }>>() {
        "DualSVec64<8>"
    } else if t == TypeId::of::<num_dual::Dual64>() {
        "Dual64"
    } else {
        std::any::type_name::<D>()
    }
}

/// Seed of the tangents `v` of [`Oracle::check_jvp`]: its `k`-th is
/// [`direction`]`(n, JVP_SEED + k, Some(x))` (at the first scale whose products are finite;
/// see [`Oracle::check_projected`]). [`Oracle::check_adjoint`]'s `k`-th pair draws its tangent
/// from seed `JVP_SEED + 97 + k`. Public so that a failure can be reproduced along the same
/// directions elsewhere.
///
/// ```
/// use jacobian_oracle::modes::{JVP_SEED, PROJECTION_SEED, VJP_SEED};
/// // Distinct streams for the JVP, VJP and projection checks.
/// assert!(JVP_SEED != VJP_SEED && VJP_SEED != PROJECTION_SEED);
/// ```
pub const JVP_SEED: u64 = 0x4A56_5000;
/// Seed of the directional witness ([`Oracle::with_directional_witness`]): its `p`-th
/// direction is [`direction`]`(n, WITNESS_SEED + p, Some(x))`, `p = 0, 1, 2` (one, `p = 0`,
/// combining a projection view's lanes).
pub const WITNESS_SEED: u64 = 0x00D1_2EC7;
/// Seed of the cotangents `u` of [`Oracle::check_vjp`]: its `k`-th is
/// [`direction`]`(m, VJP_SEED + k, None)`; [`Oracle::check_adjoint`]'s `k`-th pair draws its
/// cotangent from seed `VJP_SEED + 97 + k`.
pub const VJP_SEED: u64 = 0x564A_5000;
/// Seed of the directions of [`Oracle::check_projected`]: its `p`-th is
/// [`direction`]`(n, PROJECTION_SEED + p, Some(x))` (at the first scale whose products are
/// finite).
pub const PROJECTION_SEED: u64 = 0x5052_4F4A;

/// Puts the caller's `x` back into a report made on a view (whose input is `t`).
fn with_x(err: CheckError, x: &DVector<f64>) -> CheckError {
    match err {
        CheckError::Mismatch(mut m) => {
            m.x = x.clone();
            CheckError::Mismatch(m)
        }
        CheckError::EvalDerivative(mut e) => {
            e.x = x.clone();
            CheckError::EvalDerivative(e)
        }
        CheckError::CannotJudge(mut c) => {
            c.x = x.clone();
            CheckError::CannotJudge(c)
        }
        other => other,
    }
}

impl Oracle {
    fn validate_direction(&self, d: &DVector<f64>, expected: usize) -> Result<(), CheckError> {
        if d.len() != expected {
            return Err(CheckError::DirectionLength {
                expected,
                found: d.len(),
            });
        }
        if let Some((index, &value)) = d.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CheckError::NonFiniteDirection { index, value });
        }
        Ok(())
    }

    /// Checks a forward-mode rule along [`DIRECTIONS`] signed directions `v` (deterministic,
    /// scaled with `|x|`): each `Jv` entry against the exact dual value (one pass seeded with
    /// `v`) and finite differences along `v`.
    ///
    /// ```
    /// use jacobian_oracle::{AnalyticJvp, CheckError, Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// use num_dual::DualNum;
    ///
    /// /// f(x) = (x₀x₁, x₁²), with a right and a wrong forward rule.
    /// struct F { wrong: bool }
    /// impl VectorFn for F {
    ///     fn input_dim(&self) -> usize { 2 }
    ///     fn output_dim(&self) -> usize { 2 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
    ///         DVector::from_vec(vec![x[0] * x[1], x[1] * x[1]])
    ///     }
    /// }
    /// impl AnalyticJvp for F {
    ///     fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
    ///         let d = if self.wrong { x[1] } else { 2.0 * x[1] }; // ∂(x₁²)/∂x₁ = 2x₁
    ///         DVector::from_vec(vec![x[1] * v[0] + x[0] * v[1], d * v[1]])
    ///     }
    /// }
    /// let x = DVector::from_vec(vec![0.5, -1.5]);
    /// assert!(Oracle::default().check_jvp(&F { wrong: false }, &x).is_ok());
    /// let err = Oracle::default().check_jvp(&F { wrong: true }, &x).unwrap_err();
    /// assert!(matches!(err, CheckError::Mismatch(_)));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`], the reports naming the direction (`along …`); a JVP of the wrong
    /// length is [`CheckError::AnalyticShape`] with shapes `m×1`.
    pub fn check_jvp<F: AnalyticJvp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        crate::oracle::validate_input(f, x)?;
        let (directions, references) = own_directions(f, x, JVP_SEED, DIRECTIONS, None, |_| true);
        let agreements = (0..DIRECTIONS)
            .map(|k| {
                let v = directions.column(k).clone_owned();
                let reference = references
                    .as_ref()
                    .map(|r| DMatrix::from_column_slice(r.nrows(), 1, r.column(k).as_slice()));
                self.jvp_along(f, x, &v, reference)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut agreement = agreements
            .into_iter()
            .reduce(Agreement::merge)
            .expect("at least one direction");
        if references.is_some() {
            agreement.evaluations.dual_evals += 1;
        }
        Ok(agreement)
    }

    /// Checks a forward-mode rule along one direction `v` (from a proptest strategy, say).
    ///
    /// ```
    /// # use jacobian_oracle::{AnalyticJvp, Oracle, VectorFn};
    /// # use nalgebra::{DMatrix, DVector};
    /// # use num_dual::DualNum;
    /// struct Square;
    /// impl VectorFn for Square {
    ///     fn input_dim(&self) -> usize { 2 }
    ///     fn output_dim(&self) -> usize { 2 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> { x.map(|v| v * v) }
    /// }
    /// impl AnalyticJvp for Square {
    ///     fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> { x.component_mul(v) * 2.0 }
    /// }
    /// let x = DVector::from_vec(vec![1.0, -2.0]);
    /// Oracle::default().check_jvp_along(&Square, &x, &DVector::from_vec(vec![0.5, -1.0])).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check_jvp`]; `v` of the wrong length or not finite is
    /// [`CheckError::DirectionLength`] or [`CheckError::NonFiniteDirection`].
    pub fn check_jvp_along<F: AnalyticJvp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        v: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.jvp_along(f, x, v, None)
    }

    /// [`Oracle::check_jvp_along`] with the exact `Jv` possibly computed already.
    fn jvp_along<F: AnalyticJvp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        v: &DVector<f64>,
        reference: Option<DMatrix<f64>>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        let (m, n) = crate::oracle::validate_input(f, x)?;
        self.validate_direction(v, n)?;
        let f0 = crate::oracle::eval_f64(f, x, m)?;
        let column = f.jvp(x, v);
        if column.len() != m {
            return Err(CheckError::AnalyticShape {
                expected: (m, 1),
                found: (column.len(), 1),
            });
        }
        let view = Along { f, x, v, column };
        // The analytic side's noise: the JVP itself near x (the view's input is t).
        let jvp_near = |p: &DVector<f64>| {
            let c = f.jvp(p, v);
            DMatrix::from_column_slice(c.len(), 1, c.as_slice())
        };
        let reference_near = |p: &DVector<f64>, _: usize| {
            let view = Along {
                f,
                x: p,
                v,
                column: DVector::zeros(0),
            };
            crate::dual::dual_column(&view, &DVector::zeros(1), 0)
        };
        let probe = Probe {
            at: x,
            analytic: &jvp_near,
            reference: &reference_near,
        };
        let mut agreement = self
            .check_with_reference(
                &view,
                &DVector::zeros(1),
                f0,
                reference,
                Quantity::Jvp,
                Directions::One(v),
                None,
                probe,
            )
            .map_err(|e| with_x(e, x))?;
        agreement.evaluations.f64_evals += 1;
        Ok(agreement)
    }

    /// Checks a backward pass along [`DIRECTIONS`] signed cotangents `u` (deterministic):
    /// each `uᵀJ` entry against the exact dual value (`n` passes of `uᵀf`) and finite
    /// differences of `uᵀf`.
    ///
    /// ```
    /// use jacobian_oracle::{AnalyticVjp, CheckError, Oracle, VectorFn};
    /// use nalgebra::DVector;
    /// use num_dual::DualNum;
    ///
    /// /// f(x) = (x₀x₁, x₁²), with a right backward pass and one that forgets to transpose.
    /// struct F { wrong: bool }
    /// impl VectorFn for F {
    ///     fn input_dim(&self) -> usize { 2 }
    ///     fn output_dim(&self) -> usize { 2 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
    ///         DVector::from_vec(vec![x[0] * x[1], x[1] * x[1]])
    ///     }
    /// }
    /// impl AnalyticVjp for F {
    ///     fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
    ///         if self.wrong {
    ///             DVector::from_vec(vec![x[1] * u[0] + x[0] * u[1], 2.0 * x[1] * u[1]]) // J u
    ///         } else {
    ///             DVector::from_vec(vec![x[1] * u[0], x[0] * u[0] + 2.0 * x[1] * u[1]]) // Jᵀu
    ///         }
    ///     }
    /// }
    /// let x = DVector::from_vec(vec![0.5, -1.5]);
    /// assert!(Oracle::default().check_vjp(&F { wrong: false }, &x).is_ok());
    /// let err = Oracle::default().check_vjp(&F { wrong: true }, &x).unwrap_err();
    /// assert!(matches!(err, CheckError::Mismatch(_)));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`], the reports naming the direction; a VJP of the wrong length is
    /// [`CheckError::AnalyticShape`] with shapes `1×n`.
    pub fn check_vjp<F: AnalyticVjp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        let agreements = (0..DIRECTIONS)
            .map(|k| {
                let u = direction(f.output_dim(), VJP_SEED + k as u64, None);
                self.check_vjp_along(f, x, &u)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(agreements
            .into_iter()
            .reduce(Agreement::merge)
            .expect("at least one direction"))
    }

    /// Checks a backward pass along one cotangent `u` (from a proptest strategy, say).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
    /// let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
    /// let u = DVector::from_vec(vec![1.0, -0.5]); // one cotangent, of length m = 2
    /// assert!(Oracle::default().check_vjp_along(&layer, &x, &u).is_ok());
    /// // A cotangent of length n instead of m is rejected.
    /// let err = Oracle::default().check_vjp_along(&layer, &x, &x).unwrap_err();
    /// assert_eq!(err, CheckError::DirectionLength { expected: 2, found: 3 });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check_vjp`]; `u` of the wrong length or not finite is
    /// [`CheckError::DirectionLength`] or [`CheckError::NonFiniteDirection`].
    pub fn check_vjp_along<F: AnalyticVjp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        u: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        let (m, n) = crate::oracle::validate_input(f, x)?;
        self.validate_direction(u, m)?;
        let f0 = crate::oracle::eval_f64(f, x, m)?;
        let row = f.vjp(x, u);
        if row.len() != n {
            return Err(CheckError::AnalyticShape {
                expected: (1, n),
                found: (1, row.len()),
            });
        }
        // uᵀf(x) with the arithmetic of the view's own eval.
        let g0 = f0
            .iter()
            .zip(u.iter())
            .fold(0.0, |acc, (&fi, &ui)| acc + fi * ui);
        if !g0.is_finite() {
            return Err(CheckError::NonFiniteEval {
                index: 0,
                value: g0,
            });
        }
        let rows = Rows {
            f,
            x,
            f0: &f0,
            u,
            bounds: OnceCell::new(),
        };
        let view = Contracted {
            f,
            u,
            row,
            wrong_length: std::cell::Cell::new(None),
        };
        // The analytic side's noise: the VJP itself near x (the view's gradient is fixed).
        let vjp_near = |p: &DVector<f64>| {
            let r = f.vjp(p, u);
            DMatrix::from_row_slice(1, r.len(), r.as_slice())
        };
        let reference_near = |p: &DVector<f64>, j: usize| {
            let view = Contracted {
                f,
                u,
                row: DVector::zeros(0),
                wrong_length: std::cell::Cell::new(None),
            };
            crate::dual::dual_column(&AsVectorFn(&view), p, j)
        };
        let probe = Probe {
            at: x,
            analytic: &vjp_near,
            reference: &reference_near,
        };
        let result = self.check_with_reference(
            &AsVectorFn(&view),
            x,
            DVector::from_element(1, g0),
            None,
            Quantity::Vjp,
            Directions::One(u),
            Some(&rows),
            probe,
        );
        if let Some((found, scalar)) = view.wrong_length.get() {
            return Err(CheckError::EvalLength {
                expected: m,
                found,
                scalar,
            });
        }
        let mut agreement = result?;
        agreement.evaluations.f64_evals += 1;
        Ok(agreement)
    }

    /// The adjoint identity `⟨Jv, u⟩ = ⟨v, Jᵀu⟩` between a map's own JVP and VJP, along
    /// [`DIRECTIONS`] pairs: a check that needs no reference while the identity holds, for
    /// maps that expose both.
    ///
    /// The identity is first held to the rounding of the two inner products,
    /// `ulps·ε·(|Jv|·|u| + |v|·|Jᵀu|)·√(m + n) + f64::MIN_POSITIVE`. That is not the rounding of
    /// the rules themselves: two right rules can differ by far more (the textbook `z(1 − z)` at
    /// `a = 8` is off by `ε/(1 − z) ≈ 7e-13` relative, a stable `σ(a)σ(−a)` by an ulp). So a
    /// pair outside it is adjudicated: each side is checked against dual numbers along that pair
    /// ([`Oracle::check_jvp_along`] along `v`, [`Oracle::check_vjp_along`] along `u`), with
    /// their tolerances. If both pass, the gap is rounding each rule was shown to be allowed,
    /// and the pair passes; if one is wrong, the identity is broken and the report carries
    /// that side's [`CheckError::Mismatch`]; if the point cannot be judged (a kink) or `eval`'s
    /// own derivatives are wrong, that is the answer.
    ///
    /// ```
    /// # use jacobian_oracle::{AnalyticJvp, AnalyticVjp, CheckError, Oracle, VectorFn};
    /// # use nalgebra::DVector;
    /// # use num_dual::DualNum;
    /// /// f(x) = (x₀x₁, x₁²), with a VJP that swaps the rows of Jᵀ.
    /// struct F;
    /// impl VectorFn for F {
    ///     fn input_dim(&self) -> usize { 2 }
    ///     fn output_dim(&self) -> usize { 2 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
    ///         DVector::from_vec(vec![x[0] * x[1], x[1] * x[1]])
    ///     }
    /// }
    /// impl AnalyticJvp for F {
    ///     fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
    ///         DVector::from_vec(vec![x[1] * v[0] + x[0] * v[1], 2.0 * x[1] * v[1]])
    ///     }
    /// }
    /// impl AnalyticVjp for F {
    ///     fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
    ///         DVector::from_vec(vec![x[0] * u[0] + 2.0 * x[1] * u[1], x[1] * u[0]]) // wrong
    ///     }
    /// }
    /// let err = Oracle::default().check_adjoint(&F, &DVector::from_vec(vec![0.5, -1.5])).unwrap_err();
    /// let CheckError::NotAdjoint(report) = err else { panic!() };
    /// assert!(matches!(report.culprit.as_deref(), Some(CheckError::Mismatch(_))));
    /// ```
    ///
    /// # Errors
    ///
    /// [`CheckError::NotAdjoint`] naming the pair and the wrong side;
    /// [`CheckError::CannotJudge`] or [`CheckError::EvalDerivative`] from the adjudication; or a
    /// bad-input variant.
    pub fn check_adjoint<F: AnalyticJvp + AnalyticVjp + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<(), CheckError> {
        self.validate()?;
        let (m, n) = crate::oracle::validate_input(f, x)?;
        for k in 0..DIRECTIONS {
            let u = direction(m, VJP_SEED + 97 + k as u64, None);
            // Scaled with a huge |x|, the product may overflow though J is finite: then
            // unscaled, then shrunk (as the own directions of check_jvp).
            let shrink = 2f64.powi(-(n.next_power_of_two().trailing_zeros() as i32 + 2));
            let mut v = direction(n, JVP_SEED + 97 + k as u64, Some(x));
            let mut jv = f.jvp(x, &v);
            for fallback in [1.0, shrink] {
                if jv.iter().all(|e| e.is_finite())
                    || (fallback != 1.0 && crate::dual::dual_jacobian(f, x).is_err())
                {
                    break;
                }
                v = direction(n, JVP_SEED + 97 + k as u64, None) * fallback;
                jv = f.jvp(x, &v);
            }
            let jtu = f.vjp(x, &u);
            if jv.len() != m {
                return Err(CheckError::AnalyticShape {
                    expected: (m, 1),
                    found: (jv.len(), 1),
                });
            }
            if jtu.len() != n {
                return Err(CheckError::AnalyticShape {
                    expected: (1, n),
                    found: (1, jtu.len()),
                });
            }
            let (left, right) = (jv.dot(&u), v.dot(&jtu));
            let scale = jv.abs().dot(&u.abs()) + v.abs().dot(&jtu.abs());
            let tolerance =
                self.ulps() * f64::EPSILON * scale * ((m + n) as f64).sqrt() + f64::MIN_POSITIVE;
            // NaN or ∞ on either side goes to adjudication too.
            if tolerance.is_finite() && (left - right).abs() <= tolerance {
                continue;
            }
            // Adjudicate by the exact references along this pair.
            let culprit = match self.check_jvp_along(f, x, &v) {
                Err(e) => Some(e),
                Ok(_) => self.check_vjp_along(f, x, &u).err(),
            };
            let Some(culprit) = culprit else {
                continue;
            };
            if !matches!(culprit, CheckError::Mismatch(_)) {
                // No verdict about the rules: the point cannot be judged (a kink), eval's own
                // derivatives are wrong, or bad input met on the way (a non-finite dual path).
                return Err(culprit);
            }
            return Err(CheckError::NotAdjoint(Box::new(
                crate::report::NotAdjoint {
                    u,
                    v,
                    jvp_side: left,
                    vjp_side: right,
                    tolerance,
                    x: x.clone(),
                    map_expr: f.rust_expr(),
                    culprit: Some(Box::new(culprit)),
                },
            )));
        }
        Ok(())
    }

    /// Checks a full analytic Jacobian through `k` random projections: for `k` signed
    /// directions `v_p` (deterministic, scaled with `|x|`), the analytic `J·v_p` against the
    /// exact `J·v_p` of one batched dual pass (`k` lanes), entry by entry, and finite
    /// differences of `f` as the witness. The `k` projections are judged as one `m×k` matrix,
    /// the Jacobian of `t ↦ f(x + Vt)` at `t = 0`: central differences along one random
    /// signed combination `Σ_p u_p v_p` (2 evaluations), compared with the same combination
    /// of the dual lanes, vouch for all `k` lanes at once; where they cannot (a
    /// disagreement, an overflow), and for every projection with an entry the analytic side
    /// fails, finite differences run along that `v_p` itself (2 to 6 evaluations each; all of
    /// them with [`Oracle::with_directional_witness`]`(false)`). It costs one analytic
    /// Jacobian, `J·V`, one dual pass and `3` evaluations in the common case — `O(k)` instead
    /// of the `O(n)` of [`Oracle::check`] — and keeps no `n×n` matrix beyond the analytic
    /// Jacobian. (A check with an entry outside every other part of its tolerance also
    /// measures the analytic side's noise, [`crate::noise`]: 29 more analytic Jacobians and
    /// 25 dual passes per projection that needs it.)
    ///
    /// (The contract speaks of `k` direction pairs `(u, v)` and `uᵀJv`: a dual pass gives the
    /// whole `Jv`, and comparing its `m` entries is stronger than comparing the one number
    /// `uᵀJv`, at the same cost.)
    ///
    /// When a projection fails, the wrong entries are localised by the full check
    /// ([`Oracle::check`]: `n` dual passes), whose [`CheckError::Mismatch`] names the worst
    /// entry and how many are wrong.
    ///
    /// **Detection power**: a wrong entry `(i, j)` changes `(Jv)_i` by `error · v_j`, and every
    /// entry of `v` is at least `0.5·max(1, |x_j|)` in size, so any single wrong entry whose
    /// error exceeds the tolerance of `(Jv)_i` is caught by every projection — unlike a
    /// check of one direction of `Σ f`, it cannot cancel against its own row. Several wrong
    /// entries in one row can cancel in one projection, not in `k` independent ones. (The
    /// tolerance of `(Jv)_i` includes the measured noise of the whole row where it is needed:
    /// a slip in a quiet entry can hide under a noisy neighbour here, not in [`Oracle::check`].)
    ///
    /// ```
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let layer = SigmoidLayer::new(DMatrix::from_fn(16, 16, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0));
    /// let x = DVector::from_fn(16, |j, _| (j as f64 - 8.0) / 10.0);
    /// let agreement = Oracle::default().check_projected(&layer, &x, 4).unwrap();
    /// assert!(agreement.evaluations.dual_evals <= 4 + 8);
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`]; `k = 0` is [`CheckError::InvalidOracle`].
    pub fn check_projected<F: AnalyticJacobian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        k: usize,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        if k == 0 {
            return Err(CheckError::InvalidOracle {
                parameter: "k (projections)",
                value: 0.0,
            });
        }
        let (m, n) = crate::oracle::validate_input(f, x)?;
        let jacobian = f.jacobian(x);
        if jacobian.shape() != (m, n) {
            return Err(CheckError::AnalyticShape {
                expected: (m, n),
                found: jacobian.shape(),
            });
        }
        // J·V along the first scale's directions while J is fresh in the cache (it reads all
        // of J; every evaluation of the map after it reads the map's own data).
        let f0 = crate::oracle::eval_f64(f, x, m)?;
        let first = scaled_directions(x, PROJECTION_SEED, k, 0);
        let first_products = products(&jacobian, &first);
        let (directions, references, products) =
            projections(f, x, &jacobian, k, (first, first_products));
        // One check of the m×k view t ↦ f(x + Vt) at t = 0: its analytic Jacobian is J·V,
        // its reference the batched dual pass, and its finite differences are along the v_p.
        let view = Projected {
            f,
            x,
            directions: &directions,
            products,
        };
        // The analytic side's noise: J·V with the analytic Jacobian near x.
        let projected_near = |p: &DVector<f64>| {
            let j = f.jacobian(p);
            if j.shape() == (m, n) {
                self::products(&j, &directions)
            } else {
                DMatrix::zeros(0, 0)
            }
        };
        let reference_near = |p: &DVector<f64>, j: usize| {
            let view = Projected {
                f,
                x: p,
                directions: &directions,
                products: DMatrix::zeros(0, 0),
            };
            crate::dual::dual_column(&view, &DVector::zeros(k), j)
        };
        let probe = Probe {
            at: x,
            analytic: &projected_near,
            reference: &reference_near,
        };
        let result = self.check_with_reference(
            &view,
            &DVector::zeros(k),
            f0,
            references,
            Quantity::Jacobian,
            Directions::PerColumn(&directions),
            None,
            probe,
        );
        let mut agreement = match result {
            Ok(a) => a,
            Err(projected) => {
                // Localise: the full check names the wrong entries.
                return Err(match self.check(f, x) {
                    Err(full) => full,
                    Ok(_) => with_x(projected, x),
                });
            }
        };
        agreement.shape = (m, n);
        agreement.evaluations.f64_evals += 1;
        agreement.evaluations.dual_evals += k.div_ceil(crate::dual::LANES);
        Ok(agreement)
    }
}

/// The `k` directions `V` of [`Oracle::check_projected`], their exact references `JV` (one
/// batched dual pass; `None` if it fails) and the analytic products `J·V`; `first` is the
/// first scale's directions and their products, formed beforehand.
fn projections<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    jacobian: &DMatrix<f64>,
    k: usize,
    first: (DMatrix<f64>, DMatrix<f64>),
) -> (DMatrix<f64>, Option<DMatrix<f64>>, DMatrix<f64>) {
    // All k exact references Jv in one batched dual pass (as many lanes as directions).
    // A finite J must have finite products along the directions (the oracle's own J·V
    // overflowing is not the map's fault). The products are formed once per scale tried,
    // walking J's contiguous columns once; J is swept for finiteness only where a product
    // is not finite.
    let (first, first_products) = first;
    // (On plain slices: nalgebra's element iterators are strided, and slower.)
    // (Every scale's directions are n×k: the same shape.)
    let same = |u: &DMatrix<f64>, v: &DMatrix<f64>| u.as_slice() == v.as_slice();
    let finite = |m: &DMatrix<f64>| m.as_slice().iter().all(|e| e.is_finite());
    // The directions last tried and their products.
    let mut formed = Some((first.clone(), first_products));
    let (directions, references) = own_directions(f, x, PROJECTION_SEED, k, Some(first), |v| {
        let jv = match formed.take() {
            Some((u, jv)) if same(&u, v) => jv,
            _ => products(jacobian, v),
        };
        let accepted = finite(&jv) || !finite(jacobian);
        formed = Some((v.clone(), jv));
        accepted
    });
    let products = match formed {
        Some((v, jv)) if same(&v, &directions) => jv,
        _ => products(jacobian, &directions),
    };
    (directions, references, products)
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;

    #[test]
    fn products_match_nalgebra_for_every_k() {
        let j = DMatrix::from_fn(7, 5, |r, c| (r as f64 - 3.0) * 0.5 + c as f64 * 0.25);
        for k in 0..=9 {
            let v = DMatrix::from_fn(5, k, |r, p| ((r + 3 * p) % 7) as f64 - 3.0);
            assert_eq!(super::products(&j, &v), &j * &v, "k = {k}");
        }
    }

    #[test]
    fn direction_columns_are_the_directions() {
        for n in [0, 1, 2, 3, 7, 16, 65] {
            let x = nalgebra::DVector::from_fn(n, |l, _| {
                (l as f64 - 3.0) * 10f64.powi(l as i32 % 5 - 2)
            });
            for k in 0..=9 {
                for seed in [0, 1, 0x00D1_2EC7, 0x5EED_0001, u64::MAX / 2] {
                    for scale in [None, Some(&x)] {
                        let columns = super::direction_columns(n, seed, k, scale);
                        for p in 0..k {
                            let v = super::direction(n, seed + p as u64, scale);
                            let bits =
                                |e: &[f64]| e.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
                            assert_eq!(
                                bits(columns.column(p).as_slice()),
                                bits(v.as_slice()),
                                "n = {n}, k = {k}, p = {p}, seed = {seed}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn products_same_bits_on_every_path() {
        // Entries whose products and sums round: the AVX2 path must round them as the
        // portable one does.
        let j = DMatrix::from_fn(37, 29, |r, c| ((r * 31 + c * 17) % 23) as f64 / 7.0 - 1.3);
        let v = DMatrix::from_fn(29, 6, |r, p| ((r * 13 + p * 5) % 11) as f64 / 3.0 - 1.7);
        let portable = super::products_portable(&j, &v);
        assert_eq!(super::products(&j, &v), portable);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 detected just above.
            assert_eq!(unsafe { super::products_avx2(&j, &v) }, portable);
        }
    }
}
