//! The finite-difference witness along a few directions: the cheap way to vouch for the
//! whole dual reference at once.
//!
//! The per-column witness ([`super::witness`]) differentiates `f` along every `e_j`: `2n`
//! evaluations at least, the whole cost of the cheapest finite-difference check. But the dual
//! reference `D` only needs *evidence* from finite differences: that `eval`'s dual path is the
//! derivative of its `f64` path. Along a direction `v`, central differences of `f` estimate
//! `Jv`, and the dual reference predicts it as `Dv`. A dual column `j` that is wrong by `δ_ij`
//! (a value computed off the dual path) moves `(Dv)_i` by `δ_ij v_j`, and every entry of `v`
//! is at least `½·max(1, |x_j|)` in size with a random sign: a single wrong column cannot hide,
//! and several cannot cancel along [`WITNESS_DIRECTIONS`] independent directions. So when
//! every output agrees along every direction — the central difference within its rounding
//! (stage 0), else Richardson within its estimate — the dual reference is vouched for, at
//! `2·WITNESS_DIRECTIONS` evaluations (2 more per direction that needs Richardson) instead of
//! `2n`.
//!
//! Anything else — a disagreement, an overflow — says nothing about *which* column is off, so
//! the judge falls back to the per-column witness for the whole check, with its escalation,
//! its kink and branch tests, and its verdicts naming the column. The per-column witness also
//! runs for every entry the analytic side fails, so that a failure report shows that entry's
//! own finite difference.

use nalgebra::{DMatrix, DVector};

use super::witness::WitnessEntry;
use crate::fd::Stencil;
use crate::report::{EntryStat, Evaluations};
use crate::tolerance::UNDERFLOW_FLOOR;
use crate::{Oracle, VectorFn};

/// How many directions the witness differentiates along.
pub(crate) const WITNESS_DIRECTIONS: usize = 3;

/// How many directions the witness differentiates along in a projection view
/// ([`crate::Oracle::check_projected`]), whose `k` columns `J·v_p` are themselves along random
/// signed directions: one random signed combination `Σ_p u_p v_p` of them, compared with the
/// same combination of the dual reference's `k` lanes (a lane wrong by `δ_p` moves it by
/// `Σ_p u_p δ_p`). Two evaluations vouch for the `k` lanes, instead of `2k`.
pub(crate) const PROJECTION_WITNESS_DIRECTIONS: usize = 1;

/// Seed of the directions ([`crate::modes::direction`]): distinct from those of the JVP, VJP
/// and projection checks.
const SEED: u64 = crate::modes::WITNESS_SEED;

/// What the directional witness saw when it vouched: the comparison closest to its bound
/// (its `col` is 0: the comparison is along a direction, not a column).
pub(super) struct Vouched {
    pub(super) worst: Option<EntryStat>,
}

/// `D·v_p` for every direction, walking `D`'s columns once, and the rounding bound of the
/// sums, `n·ε·Σ_k |D_ik|·max_p |v_pk|` (Higham §3.1: an inner product of length `n` is exact
/// to `γ_n` times its absolute terms; one bound serves every direction).
fn products_with_rounding<const N: usize>(
    dual: &DMatrix<f64>,
    directions: &[DVector<f64>; N],
) -> ([DVector<f64>; N], DVector<f64>) {
    let m = dual.nrows();
    let mut dv: [Vec<f64>; N] = std::array::from_fn(|_| vec![0.0; m]);
    let mut abs = vec![0.0; m];
    if m > 0 {
        for (k, col) in dual.as_slice().chunks_exact(m).enumerate() {
            let v: [f64; N] = std::array::from_fn(|p| directions[p][k]);
            let w = v.iter().fold(0.0f64, |w, e| w.max(e.abs()));
            for (i, &d) in col.iter().enumerate() {
                for (p, vp) in v.iter().enumerate() {
                    dv[p][i] += d * vp;
                }
                abs[i] += d.abs() * w;
            }
        }
    }
    let gamma = dual.ncols() as f64 * f64::EPSILON;
    (dv.map(DVector::from_vec), DVector::from_vec(abs) * gamma)
}

impl Oracle {
    /// Whether finite differences of `f` along `N` signed directions ([`WITNESS_DIRECTIONS`],
    /// or [`PROJECTION_WITNESS_DIRECTIONS`]) agree with the dual reference `dual` in every
    /// output (see the [module docs](self)); `None` if any comparison fails or cannot be made.
    /// `delta_f` is the rounding of each output.
    pub(super) fn vouch_by_directions<F: VectorFn + ?Sized, const N: usize>(
        &self,
        f: &F,
        x: &DVector<f64>,
        f0: &DVector<f64>,
        dual: &DMatrix<f64>,
        delta_f: &DVector<f64>,
        evaluations: &mut Evaluations,
    ) -> Option<Vouched> {
        let mut vouched = Vouched { worst: None };
        let mut worst_ratio = 0.0;
        let directions: [DVector<f64>; N] =
            std::array::from_fn(|k| crate::modes::direction(x.len(), SEED + k as u64, Some(x)));
        let (products, rounding) = products_with_rounding(dual, &directions);
        for (v, dv) in directions.iter().zip(&products) {
            // f along t ↦ x + t·v, with the default step at t = 0.
            let mut along = |t: &DVector<f64>| f.eval::<f64>(&(x + v * t[0]));
            evaluations.f64_evals += 2;
            let mut stencil = Stencil::new(&mut along, &DVector::zeros(1), 0, f0)?;
            for i in 0..dual.nrows() {
                let entry = WitnessEntry {
                    i,
                    value: dv[i],
                    delta: delta_f[i],
                    strict: false,
                    // The product Dv carries its own rounding.
                    allowance: rounding[i],
                };
                let stat = match self.central_agreement(&stencil, entry) {
                    Some((_, fd)) => self.stat(i, fd.value, fd.error_estimate, entry),
                    None => {
                        if !stencil.has(2) {
                            evaluations.f64_evals += 2;
                        }
                        stencil.extend(&mut along, &DVector::zeros(1), &[-2, 2])?;
                        let (r, truncation) = stencil.richardson(i);
                        let estimate = truncation + 1.5 * entry.delta / stencil.h;
                        let stat = self.stat(i, r, estimate, entry);
                        // (NaN compares false: no agreement.)
                        let agrees = stat.abs_error <= self.fd_safety * stat.bound;
                        if !agrees {
                            return None;
                        }
                        stat
                    }
                };
                // (The worst ratio kept, not divided again for every row.)
                let ratio = stat.ratio();
                if vouched.worst.is_none() || ratio > worst_ratio {
                    worst_ratio = ratio;
                    vouched.worst = Some(stat);
                }
            }
        }
        Some(vouched)
    }

    /// The comparison of an estimate `value ± estimate` with the entry's value, as an
    /// [`EntryStat`] whose ratio is in units of the estimate (agreement is `ratio ≤ safety`).
    fn stat(&self, row: usize, value: f64, estimate: f64, entry: WitnessEntry) -> EntryStat {
        let guard = self.ulps * f64::EPSILON * entry.value.abs() + UNDERFLOW_FLOOR;
        EntryStat {
            row,
            col: 0,
            abs_error: (value - entry.value).abs(),
            bound: estimate + (guard + entry.allowance) / self.fd_safety,
        }
    }
}
