//! The judge of one check, read top-down by [`Oracle::judge`]:
//!
//! - a [`CheckContext`] holds what the check knows before it looks at an entry (the rounding
//!   model of `f`, the precision of the analytic side, the tolerance parts shared by every
//!   entry), what it computes at most once (the running bounds of `f`), and its
//!   [`Statistics`];
//! - for every column a [`ColumnContext`] holds what is computed at most once per column, on
//!   the first entry that needs it (the finite-difference stencils, the second-order pass,
//!   the row-resolved parts, the dual samples near `x`);
//! - for every entry ([`CheckContext::judge_entry`]) its [`Tolerance`] is built part by part
//!   ([`CheckContext::tolerance`]: each part a small function returning its [`Amount`]), the
//!   analytic entry is held to it, and the finite-difference witness
//!   ([`CheckContext::fd_witness`]) tests the dual value; an entry that is not a plain
//!   agreement is kept as [`Flagged`];
//! - the verdict is assembled at the end ([`CheckContext::verdict`]): `Mismatch`, else
//!   `EvalDerivative`, else `CannotJudge`, else an [`Agreement`] with its notes.

use nalgebra::{DMatrix, DVector};

use super::directions::{PROJECTION_WITNESS_DIRECTIONS, WITNESS_DIRECTIONS};
use super::witness::{Escalation, FdState, WitnessEntry, WitnessInputs};
use super::{Directions, MATRIX_ULPS, Probe, ROUNDING_SAFETY, RowParts, RowResolved};
use crate::dual::{SecondOrderColumn, second_order_column};
use crate::fd::Stencil;
use crate::noise::{NoiseCredit, Precision};
use crate::report::{
    Agreement, CannotJudge, EntryStat, EvalDerivative, Evaluations, FiniteDifference, Mismatch,
    NotJudgeable, Note, Quantity, Tolerance, Witnesses,
};
use crate::rounding::Bounded;
use crate::tolerance::{UNDERFLOW_FLOOR, forward_error};
use crate::{CheckError, Oracle, VectorFn};

impl Oracle {
    /// Compares the analytic matrix with the dual reference entry by entry, and the dual
    /// reference with finite differences, then turns the per-entry states into a verdict.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal: the state of one check"
    )]
    pub(super) fn judge<F: VectorFn + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        f0: &DVector<f64>,
        analytic: &DMatrix<f64>,
        dual: &DMatrix<f64>,
        evaluations: Evaluations,
        quantity: Quantity,
        directions: Directions<'_>,
        rows: Option<&dyn RowResolved>,
        probe: Probe<'_>,
    ) -> Result<Agreement, CheckError> {
        let mut check = CheckContext {
            oracle: self,
            f,
            x,
            f0,
            analytic,
            dual,
            quantity,
            directions,
            rows,
            parts: SharedParts::new(f0, dual, x, quantity, directions),
            value_bounds: ValueBounds(None),
            noise: NoiseCredit::new(
                probe.at,
                precision_of(quantity),
                probe.analytic,
                Some(probe.reference),
                dual.ncols(),
            ),
            stats: Statistics::new(evaluations),
        };
        let (m, n) = dual.shape();
        // Finite differences along a few directions vouch for the whole dual reference at
        // once; only if they cannot does every column get its own (see `directions`). A
        // projection view's columns are already random directions: one signed combination
        // of them is the witness's direction.
        let count = match directions {
            Directions::PerColumn(_) => PROJECTION_WITNESS_DIRECTIONS,
            _ => WITNESS_DIRECTIONS,
        };
        let along = self.finite_differences && self.directional_witness && n > count;
        let (delta_f, evaluations) = (&check.parts.delta_f, &mut check.stats.evaluations);
        let vouch = match count {
            _ if !along => None,
            PROJECTION_WITNESS_DIRECTIONS => self
                .vouch_by_directions::<F, PROJECTION_WITNESS_DIRECTIONS>(
                    f,
                    x,
                    f0,
                    dual,
                    delta_f,
                    evaluations,
                ),
            _ => self.vouch_by_directions::<F, WITNESS_DIRECTIONS>(
                f,
                x,
                f0,
                dual,
                delta_f,
                evaluations,
            ),
        };
        let vouched = vouch.is_some();
        if let Some(v) = vouch {
            check.stats.worst_fd = v.worst;
        }
        let mut flagged: Vec<Flagged> = Vec::new();
        let (analytic_all, dual_all) = (check.analytic.as_slice(), check.dual.as_slice());
        for j in 0..n {
            let mut column = check.column(j, vouched);
            if column.deferred {
                // The common case first, in a tight loop over the column's slices (see
                // `plain_agreement`).
                let (a, d) = (&analytic_all[j * m..][..m], &dual_all[j * m..][..m]);
                for (i, (&a, &d)) in a.iter().zip(d).enumerate() {
                    if !check.plain_agreement(i, j, a, d) {
                        flagged.extend(check.judge_entry(&mut column, i));
                    }
                }
            } else {
                for i in 0..m {
                    flagged.extend(check.judge_entry(&mut column, i));
                }
            }
        }
        // The passes on bounded numbers, if an entry needed f's own rounding bound.
        check.stats.evaluations.second_order_evals += usize::from(check.value_bounds.0.is_some())
            + check.rows.map_or(0, |r| r.shared_passes());
        check.verdict(&flagged)
    }
}

/// What one check judges, and what it knows or computes at most once.
struct CheckContext<'a, F: ?Sized> {
    oracle: &'a Oracle,
    f: &'a F,
    x: &'a DVector<f64>,
    /// `f(x)` in `f64`.
    f0: &'a DVector<f64>,
    analytic: &'a DMatrix<f64>,
    /// The dual reference.
    dual: &'a DMatrix<f64>,
    quantity: Quantity,
    directions: Directions<'a>,
    /// For a contracted view: the tolerance parts resolved over the rows it contracts.
    rows: Option<&'a dyn RowResolved>,
    parts: SharedParts,
    value_bounds: ValueBounds,
    /// The measured noise of the analytic side, computed the first time an entry needs it.
    noise: NoiseCredit<'a>,
    stats: Statistics,
}

/// What every entry's tolerance is built from: the rounding model of `f` and the precision
/// of the analytic side, and the parts shared by every entry.
struct SharedParts {
    /// `Δf_i`, the rounding error of each output (the model of [`forward_error`]).
    delta_f: DVector<f64>,
    /// The analytic side's `ε`: f64's, or f32's for an f32 implementation, whose every
    /// rounding is that much coarser (the references stay f64).
    eps: f64,
    /// `eps / f64::EPSILON`.
    coarser: f64,
    /// The norm-wise part, [`matrix`].
    matrix: f64,
    /// The underflow floor, [`floor`].
    floor: f64,
}

impl SharedParts {
    fn new(
        f0: &DVector<f64>,
        dual: &DMatrix<f64>,
        x: &DVector<f64>,
        quantity: Quantity,
        directions: Directions<'_>,
    ) -> SharedParts {
        let (eps, floor_of_precision) = quantity.precision();
        SharedParts {
            delta_f: forward_errors(f0, dual, x),
            eps,
            coarser: eps / f64::EPSILON,
            matrix: matrix(eps, dual),
            floor: floor(floor_of_precision, directions),
        }
    }
}

/// The norm-wise part of every entry's tolerance: `8ε·max|dual|` ([`MATRIX_ULPS`]).
fn matrix(eps: f64, dual: &DMatrix<f64>) -> f64 {
    // `amax` on the plain slice (nalgebra's own walks a generic iterator).
    let amax = dual.as_slice().iter().fold(0.0, |m: f64, e| m.max(e.abs()));
    MATRIX_ULPS * eps * amax
}

/// The underflow floor of every entry's tolerance: that of the analytic side's precision.
/// A JVP or VJP entry sums entries of J weighted by the direction: each carries the
/// underflow floor, so the sum carries Σ|d_k|·floor (summed term by term: no overflow); a
/// projection view's entries, that of the largest of its directions.
fn floor(floor: f64, directions: Directions<'_>) -> f64 {
    let weighted = |d: &[f64]| d.iter().map(|e| e.abs() * floor).sum::<f64>().max(floor);
    match directions {
        Directions::Axes => floor,
        Directions::One(d) => weighted(d.as_slice()),
        Directions::PerColumn(v) => {
            // Column by column, each summed in its own order, four columns side by side.
            let n = v.nrows();
            let mut largest = floor;
            for block in v.as_slice().chunks(4 * n.max(1)) {
                let columns = block.len() / n.max(1);
                let mut sums = [0.0f64; 4];
                for l in 0..n {
                    for (q, s) in sums.iter_mut().enumerate().take(columns) {
                        *s += block[q * n + l].abs() * floor;
                    }
                }
                largest = sums[..columns].iter().fold(largest, |a, &b| a.max(b));
            }
            largest
        }
    }
}

/// The running rounding bound of each f_i (one pass of eval on bounded numbers), computed
/// the first time an entry needs it.
struct ValueBounds(Option<DVector<f64>>);

impl ValueBounds {
    /// The bound of `f_i` (`m` outputs; infinite if the pass has another length).
    fn get<F: VectorFn + ?Sized>(&mut self, f: &F, x: &DVector<f64>, m: usize, i: usize) -> f64 {
        self.0.get_or_insert_with(|| {
            let out = f.eval(&x.map(Bounded::exact));
            if out.len() == m {
                out.map(Bounded::bound)
            } else {
                DVector::from_element(m, f64::INFINITY)
            }
        })[i]
    }
}

/// The precision of the analytic side of a check of `quantity`.
fn precision_of(quantity: Quantity) -> Precision {
    if quantity == Quantity::JacobianF32 {
        Precision::F32
    } else {
        Precision::F64
    }
}

/// What one column computes at most once, on the first entry that needs it.
struct ColumnContext {
    j: usize,
    /// The stencil waits for an entry the analytic side fails (the directional witness
    /// vouched for the dual reference).
    deferred: bool,
    /// The first finite-difference stencil (`None`: the witness is off, or the step or a
    /// point overflows).
    stencil: Option<Stencil>,
    /// The stencil exists but its differences overflowed for some entry (the column is
    /// counted once).
    overflowed: bool,
    /// The second-order pass (for the sensitivity and terms parts).
    second_order: Option<Option<SecondOrderColumn>>,
    /// The row-resolved parts of a contracted view.
    row_parts: Option<Option<RowParts>>,
    /// The finite-difference escalation.
    escalation: Option<Escalation>,
    /// The dual reference near `x`, and across a stencil.
    nearby: Nearby,
    across: Across,
}

impl ColumnContext {
    /// The second-order pass, counted in `evaluations`.
    fn second_order<F: VectorFn + ?Sized>(
        &mut self,
        f: &F,
        x: &DVector<f64>,
        evaluations: &mut Evaluations,
    ) -> Option<&SecondOrderColumn> {
        let j = self.j;
        self.second_order
            .get_or_insert_with(|| {
                evaluations.second_order_evals += 1;
                second_order_column(f, x, j)
            })
            .as_ref()
    }

    /// The row-resolved parts, counted in `evaluations`.
    fn row_parts(
        &mut self,
        rows: &dyn RowResolved,
        oracle: &Oracle,
        evaluations: &mut Evaluations,
    ) -> Option<RowParts> {
        let j = self.j;
        *self.row_parts.get_or_insert_with(|| {
            evaluations.second_order_evals += 1;
            rows.column(oracle, j)
        })
    }

    /// Whether this is the first entry of the column whose differences overflow (with a
    /// stencil: a column without one is counted when it is built).
    fn first_overflow(&mut self) -> bool {
        self.stencil.is_some() && !std::mem::replace(&mut self.overflowed, true)
    }
}

/// Column `j` of the dual reference at `x ± δ∘s` ([`dual_near`]), computed on the first entry
/// that needs it.
#[derive(Default)]
struct Nearby(Option<Option<(DVector<f64>, DVector<f64>)>>);

impl Nearby {
    /// Entry `i` either side (`passes` counts the dual passes).
    fn at<F: VectorFn + ?Sized>(
        &mut self,
        f: &F,
        x: &DVector<f64>,
        j: usize,
        i: usize,
        passes: &mut usize,
    ) -> Option<(f64, f64)> {
        self.0
            .get_or_insert_with(|| {
                *passes += 2;
                dual_near(f, x, j)
            })
            .as_ref()
            .map(|(p, q)| (p[i], q[i]))
    }
}

/// Column `j` of the dual reference across a stencil ([`dual_across_stencil`]), computed on
/// the first entry that needs it, at that entry's step.
#[derive(Default)]
struct Across(Option<Option<Vec<DVector<f64>>>>);

impl Across {
    /// The range of entry `i` over the samples (`passes` counts the dual passes).
    fn range<F: VectorFn + ?Sized>(
        &mut self,
        f: &F,
        x: &DVector<f64>,
        (i, j): (usize, usize),
        h: f64,
        passes: &mut usize,
    ) -> Option<(f64, f64)> {
        let samples = self.0.get_or_insert_with(|| {
            *passes += ACROSS_SAMPLES;
            dual_across_stencil(f, x, j, h)
        });
        samples.as_ref().map(|cols| {
            cols.iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                    (lo.min(c[i]), hi.max(c[i]))
                })
        })
    }
}

/// One entry under judgement.
#[derive(Debug, Clone, Copy)]
struct Entry {
    i: usize,
    j: usize,
    analytic: f64,
    dual: f64,
    /// `|analytic − dual|`.
    err: f64,
}

/// What one part of the tolerance adds for an entry.
#[derive(Debug, Clone, Copy)]
enum Amount {
    /// Its amount (finite).
    Of(f64),
    /// Its amount overflows `f64`: the entry's rounding cannot be bounded.
    Unbounded,
    /// Nothing (the part does not apply).
    Nothing,
}

/// An entry's tolerance as built so far.
struct EntryTolerance {
    tolerance: Tolerance,
    /// A part overflowed `f64`: the tolerance cannot be derived.
    unbounded: bool,
    /// The entry was outside every part but the analytic side's noise.
    needed_noise: bool,
}

impl EntryTolerance {
    /// The first parts: ulps, norm-wise and floor.
    fn new(relative: f64, matrix: f64, floor: f64) -> EntryTolerance {
        EntryTolerance {
            tolerance: Tolerance {
                total: relative + matrix + floor,
                relative,
                matrix,
                sensitivity: 0.0,
                terms: 0.0,
                analytic_noise: 0.0,
                floor,
            },
            unbounded: false,
            needed_noise: false,
        }
    }

    /// Adds `amount` as the part that `part` selects.
    fn add(&mut self, amount: Amount, part: fn(&mut Tolerance) -> &mut f64) {
        match amount {
            Amount::Of(amount) => {
                *part(&mut self.tolerance) = amount;
                self.tolerance.total += amount;
            }
            Amount::Unbounded => self.unbounded = true,
            Amount::Nothing => {}
        }
    }

    /// Takes the parts resolved over the rows of a contracted view: the larger relative and
    /// terms parts, and the rows' sensitivity in place of the view's own.
    fn resolve_rows(&mut self, p: RowParts) {
        let t = &mut self.tolerance;
        t.relative = t.relative.max(p.relative);
        t.sensitivity = p.sensitivity;
        t.terms = t.terms.max(p.terms);
        // (No analytic noise yet: it is the last part, added after these.)
        t.total = t.relative + t.matrix + t.sensitivity + t.terms + t.floor;
    }
}

/// The analytic entry against its tolerance.
#[derive(Debug, Clone, Copy)]
struct AnalyticVerdict {
    /// Within the whole tolerance.
    ok: bool,
    /// Within the ulps part and the floor alone: no precision lost.
    within_ulps: bool,
    /// Outside every part of the tolerance but the analytic side's measured noise.
    needed_noise: bool,
    /// `error / tolerance` (infinite for a non-finite analytic entry).
    ratio: f64,
}

/// One entry whose analytic or finite-difference verdict is not a plain agreement.
#[derive(Debug, Clone, Copy)]
struct Flagged {
    witnesses: Witnesses,
    analytic_ok: bool,
    /// The rounding bound of the entry overflows `f64`: its tolerance cannot be derived.
    unbounded: bool,
    analytic_ratio: f64,
    tolerance: Tolerance,
    fd: FdState,
    fd_agrees_with_analytic: bool,
}

impl Flagged {
    /// The analytic side is wrong where the dual reference is vouched for.
    fn analytic_wrong(&self) -> bool {
        // A non-finite analytic entry against a finite reference is wrong whatever the
        // finite differences say (at a kink too: no one-sided derivative is NaN).
        (!self.witnesses.analytic.is_finite() && self.witnesses.dual.is_finite())
            || !self.analytic_ok && !self.unbounded && self.fd.vouches()
    }
}

impl<F: VectorFn + ?Sized> CheckContext<'_, F> {
    /// Column `j`'s context, with its first stencil if the witness is on.
    /// (`deferred`: the directional witness vouched for the dual reference, and the column's
    /// stencil is built only for an entry the analytic side fails.)
    fn column(&mut self, j: usize, deferred: bool) -> ColumnContext {
        let stencil = if deferred {
            None
        } else {
            self.first_stencil(j)
        };
        ColumnContext {
            j,
            deferred,
            stencil,
            overflowed: false,
            second_order: None,
            row_parts: None,
            escalation: None,
            nearby: Nearby::default(),
            across: Across::default(),
        }
    }

    /// The common case, where the directional witness vouched for the dual reference: whether
    /// entry `(i, j)` (analytic `a`, dual `d`) is within the first parts of its tolerance (ulps, norm-wise, floor) with
    /// no need for more (below a quarter of them with full statistics) — then it needs no
    /// other part and no finite difference of its own, and it is recorded here as
    /// [`CheckContext::judge_entry`] would record it.
    #[inline]
    fn plain_agreement(&mut self, i: usize, j: usize, a: f64, d: f64) -> bool {
        let err = (a - d).abs();
        let relative = self.oracle.ulps * self.parts.eps * d.abs();
        let total = relative + self.parts.matrix + self.parts.floor;
        let needed = if self.oracle.full_statistics {
            total / 4.0
        } else {
            total
        };
        if !(a.is_finite() && err <= needed) {
            return false;
        }
        let within_ulps = err <= relative + self.parts.floor;
        let well_conditioned = d.abs() >= self.parts.floor / self.parts.eps;
        let e = Entry {
            i,
            j,
            analytic: a,
            dual: d,
            err,
        };
        self.stats
            .record_plain(&e, total, within_ulps, well_conditioned);
        true
    }

    /// Column `j`'s first stencil (`±h`), if the witness is on; a column without one is
    /// counted.
    fn first_stencil(&mut self, j: usize) -> Option<Stencil> {
        if !self.oracle.finite_differences {
            return None;
        }
        let f = self.f;
        let s = Stencil::new_counted(
            &mut |p: &DVector<f64>| f.eval::<f64>(p),
            self.x,
            j,
            self.f0,
            &mut self.stats.evaluations.f64_evals,
        );
        if s.is_none() {
            self.stats.fd_unavailable_cols += 1;
        }
        s
    }

    /// Judges entry `(i, j)`: the analytic entry against its tolerance, and the dual value
    /// against finite differences; the entry if it is not a plain agreement.
    fn judge_entry(&mut self, column: &mut ColumnContext, i: usize) -> Option<Flagged> {
        let j = column.j;
        let (a, d) = (self.analytic[(i, j)], self.dual[(i, j)]);
        let e = Entry {
            i,
            j,
            analytic: a,
            dual: d,
            err: (a - d).abs(),
        };
        let relative = self.relative(&e);
        let within_ulps = a.is_finite() && e.err <= relative + self.parts.floor;
        let EntryTolerance {
            tolerance,
            unbounded,
            needed_noise,
        } = self.tolerance(column, &e, relative);
        let analytic = AnalyticVerdict {
            ok: a.is_finite() && e.err <= tolerance.total,
            within_ulps,
            needed_noise,
            ratio: if a.is_finite() {
                e.err / tolerance.total
            } else {
                f64::INFINITY
            },
        };
        // Well-conditioned: large enough for relative precision in the analytic side's
        // precision (f32's floor is 1e-38).
        let well_conditioned = d.abs() >= self.parts.floor / self.parts.eps;
        self.stats
            .record_analytic(&e, &tolerance, analytic, well_conditioned);

        // Where the directional witness vouched for the dual reference, an entry the analytic
        // side passes needs no finite difference of its own.
        let (fd, fd_value) = if column.deferred && analytic.ok {
            (FdState::Agree, None)
        } else {
            self.fd_witness(column, &e)
        };
        let first_overflow = fd == FdState::Unavailable && column.first_overflow();
        self.stats.record_fd(fd, analytic.ok, first_overflow);
        (!analytic.ok || !fd.vouches()).then(|| Flagged {
            witnesses: Witnesses {
                row: i,
                col: j,
                analytic: a,
                dual: d,
                finite_difference: fd_value,
            },
            analytic_ok: analytic.ok,
            unbounded,
            analytic_ratio: analytic.ratio,
            tolerance,
            fd,
            fd_agrees_with_analytic: self.fd_agrees_with_analytic(fd_value, a),
        })
    }

    /// The tolerance of entry `e`, built part by part in order of cost, each part computed
    /// only while the entry is still outside the parts added before it
    /// ([`CheckContext::outside`]): the ulps part ([`CheckContext::relative`]), the
    /// norm-wise part ([`matrix`]) and the floor ([`floor`]); then, from the column's
    /// second-order pass, the rounding sensitivity of `f` ([`CheckContext::sensitivity`])
    /// and the rounding of the reference's terms ([`CheckContext::terms`]); then, for a
    /// contracted view, the parts resolved over the rows it contracts.
    ///
    /// Another part is one more step here: a function returning its [`Amount`], computed
    /// from the column's or the check's context (lazily, if it needs a pass).
    fn tolerance(
        &mut self,
        column: &mut ColumnContext,
        e: &Entry,
        relative: f64,
    ) -> EntryTolerance {
        let mut t = EntryTolerance::new(relative, self.parts.matrix, self.parts.floor);
        // Entries outside the ulps and matrix parts get the rest of the tolerance (one
        // second-order pass on bounded numbers per column): the rounding sensitivity
        // of f, and the rounding of the reference's terms.
        if self.outside(e, &t)
            && let Some(c) = column.second_order(self.f, self.x, &mut self.stats.evaluations)
        {
            t.add(self.sensitivity(c, e), |t| &mut t.sensitivity);
            t.add(self.terms(c, e), |t| &mut t.terms);
        }
        // A contracted view (a VJP `uᵀJ`): each entry also gets the tolerance of the
        // Jacobian entries it contracts, row by row (see [`RowResolved`]).
        if let Some(rows) = self.rows
            && self.outside(e, &t)
            && let Some(p) = column.row_parts(rows, self.oracle, &mut self.stats.evaluations)
        {
            t.resolve_rows(p);
        }
        // Entries still outside get the measured rounding noise of the analytic side (one
        // measurement per check, every entry at once): the parts above model the rounding of
        // eval, and cannot see how the analytic formula computes its numbers. Only for entries
        // outside the whole rest (with full statistics, for those that use more than a quarter
        // of it): a well-rounded derivative never pays for the probes.
        if self.oracle.analytic_noise && self.outside(e, &t) {
            t.needed_noise = e.err > t.tolerance.total;
            t.add(self.analytic_noise(e), |t| &mut t.analytic_noise);
        }
        t
    }

    /// `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ`, `σ` the rounding noise of the analytic
    /// entry measured near `x` ([`crate::noise`]), where it can be credited.
    fn analytic_noise(&mut self, e: &Entry) -> Amount {
        match self
            .noise
            .allowance(self.analytic, (e.i, e.j), &mut self.stats.evaluations)
        {
            0.0 => Amount::Nothing,
            part => Amount::Of(part),
        }
    }

    /// Whether the entry is outside the tolerance built so far, and so needs its next
    /// parts. With full statistics, so do entries that use more than a quarter of it, so
    /// that the reported error/tolerance ratio is against the whole tolerance.
    fn outside(&self, e: &Entry, t: &EntryTolerance) -> bool {
        let needed = if self.oracle.full_statistics {
            t.tolerance.total / 4.0
        } else {
            t.tolerance.total
        };
        e.analytic.is_finite() && e.err > needed
    }

    /// `ulps · ε · |dual|`: the rounding of a well-conditioned entry on both sides.
    fn relative(&self, e: &Entry) -> f64 {
        self.oracle.ulps * self.parts.eps * e.dual.abs()
    }

    /// `safety · |∂²f_i/∂x_j² / ∂f_i/∂x_j| · Δf_i`: what the rounding error `Δf_i` of the
    /// computed output (at least its running bound) does to an entry derived from it.
    fn sensitivity(&mut self, c: &SecondOrderColumn, e: &Entry) -> Amount {
        let (i, d) = (e.i, e.dual);
        let ratio = if d != 0.0 {
            (c.curvature[i] / d).abs()
        } else {
            0.0
        };
        let m = self.dual.nrows();
        let bound = self.value_bounds.get(self.f, self.x, m, i);
        let sensitivity = self.oracle.sensitivity_safety
            * ratio
            * self.parts.delta_f[i].max(bound)
            * self.parts.coarser;
        // (A contracted view's sensitivity is resolved row by row: `Δ(uᵀf)` is dominated by
        // the largest outputs, and `uᵀf`'s curvature by the most curved rows, which need
        // not be the same.)
        if sensitivity.is_finite() && self.rows.is_none() {
            Amount::Of(sensitivity)
        } else if ratio.is_finite() && !sensitivity.is_finite() {
            Amount::Unbounded
        } else {
            Amount::Nothing
        }
    }

    /// `2 ·` the running rounding bound of the reference entry ([`ROUNDING_SAFETY`]): the
    /// rounding of an analytic formula computed through the same large, cancelling terms.
    fn terms(&self, c: &SecondOrderColumn, e: &Entry) -> Amount {
        let terms = ROUNDING_SAFETY * c.derivative_bound[e.i] * self.parts.coarser;
        if terms.is_finite() {
            Amount::Of(terms)
        } else {
            // Terms near the top of f64's range: their running bound overflows.
            Amount::Unbounded
        }
    }

    /// The finite-difference witness on the dual value of entry `e`
    /// ([`Oracle::fd_witness`]), with the column's stencils and dual samples.
    fn fd_witness(
        &mut self,
        column: &mut ColumnContext,
        e: &Entry,
    ) -> (FdState, Option<FiniteDifference>) {
        if column.deferred && column.stencil.is_none() {
            column.deferred = false;
            column.stencil = self.first_stencil(column.j);
        }
        let Some(first) = column.stencil.as_mut() else {
            return (FdState::Unavailable, None);
        };
        let (f, x, m, (i, j)) = (self.f, self.x, self.dual.nrows(), (e.i, e.j));
        let entry = WitnessEntry {
            i,
            value: e.dual,
            delta: self.parts.delta_f[i],
            strict: false,
            allowance: 0.0,
        };
        if let Some((state, fdv)) = self.oracle.central_agreement(first, entry) {
            self.stats.record_fd_agreement(e, &fdv, self.oracle);
            return (state, Some(fdv));
        }
        let (nearby, across) = (&mut column.nearby, &mut column.across);
        let (value_bounds, stats) = (&mut self.value_bounds, &mut self.stats);
        let (state, fdv) = self.oracle.fd_witness(
            entry,
            WitnessInputs {
                first,
                escalation: &mut column.escalation,
                eval: &mut |p| f.eval::<f64>(p),
                x,
                f0: self.f0,
                evaluations: &mut stats.evaluations,
                value_bound: &mut || value_bounds.get(f, x, m, i),
                dual_nearby: &mut || nearby.at(f, x, j, i, &mut stats.nearby_evals),
                dual_across: &mut |h| across.range(f, x, (i, j), h, &mut stats.across_evals),
            },
        );
        if matches!(state, FdState::Agree | FdState::Refined) {
            self.stats.record_fd_agreement(e, &fdv, self.oracle);
        }
        (state, Some(fdv))
    }

    /// Whether finite differences agree with the analytic entry itself (reported with an
    /// `EvalDerivative`).
    fn fd_agrees_with_analytic(&self, fd: Option<FiniteDifference>, a: f64) -> bool {
        fd.is_some_and(|fd| {
            (fd.value - a).abs()
                <= self.oracle.fd_safety * fd.error_estimate
                    + self.oracle.ulps * f64::EPSILON * a.abs()
                    + UNDERFLOW_FLOOR
        })
    }

    /// The verdict from the flagged entries, in order: `Mismatch`, `EvalDerivative`,
    /// `CannotJudge`, else the agreement with its statistics.
    fn verdict(self, flagged: &[Flagged]) -> Result<Agreement, CheckError> {
        // The map's Rust expression is built only for a failure report (it prints every
        // parameter: a 256×256 layer takes longer to print than to check).
        if let Some(mismatch) = self.mismatch(flagged) {
            return Err(mismatch);
        }
        if let Some(eval_derivative) = self.eval_derivative(flagged) {
            return Err(eval_derivative);
        }
        if let Some(cannot_judge) = self.cannot_judge(flagged) {
            return Err(cannot_judge);
        }
        Ok(self.stats.agreement(self.quantity, self.dual.shape()))
    }

    /// First verdict: the analytic side is wrong where the dual reference is vouched for.
    fn mismatch(&self, flagged: &[Flagged]) -> Option<CheckError> {
        let trusted_wrong = flagged.iter().filter(|e| e.analytic_wrong());
        let worst = trusted_wrong
            .clone()
            .max_by(|p, q| p.analytic_ratio.total_cmp(&q.analytic_ratio))?;
        let w = worst.witnesses;
        let err = (w.analytic - w.dual).abs();
        Some(CheckError::Mismatch(Box::new(Mismatch {
            quantity: self.quantity,
            direction: self.directions.of_column(w.col),
            shape: self.dual.shape(),
            witnesses: w,
            abs_error: if w.analytic.is_finite() {
                err
            } else {
                f64::INFINITY
            },
            rel_error: if w.analytic.is_finite() {
                rel_error(err, w.dual)
            } else {
                f64::INFINITY
            },
            tolerance: worst.tolerance,
            wrong_entries: trusted_wrong.count(),
            x: self.x.clone(),
            map_expr: self.f.rust_expr(),
        })))
    }

    /// Second verdict: the dual reference disagrees with finite differences at a smooth
    /// point.
    fn eval_derivative(&self, flagged: &[Flagged]) -> Option<CheckError> {
        let eval_wrong = flagged.iter().filter(|e| e.fd == FdState::Disagree);
        let worst = eval_wrong
            .clone()
            .max_by(|p, q| fd_gap(&p.witnesses).total_cmp(&fd_gap(&q.witnesses)))?;
        Some(CheckError::EvalDerivative(Box::new(EvalDerivative {
            quantity: self.quantity,
            direction: self.directions.of_column(worst.witnesses.col),
            shape: self.dual.shape(),
            witnesses: worst.witnesses,
            analytic_agrees_with_fd: worst.fd_agrees_with_analytic,
            disagreeing_entries: eval_wrong.count(),
            x: self.x.clone(),
            map_expr: self.f.rust_expr(),
        })))
    }

    /// Third verdict: the analytic side disagrees only at non-smooth points, or where the
    /// rounding cannot be bounded in f64.
    fn cannot_judge(&self, flagged: &[Flagged]) -> Option<CheckError> {
        let worst = flagged.iter().find(|e| !e.analytic_ok)?;
        let (reason, one_sided) = match worst.fd {
            FdState::NonSmooth { forward, backward } => {
                (NotJudgeable::NonSmooth, (forward, backward))
            }
            FdState::BranchBoundary { plus, minus } => {
                (NotJudgeable::BranchBoundary, (plus, minus))
            }
            // The only other way here: finite differences vouch for the dual value (else the
            // entry disagrees, an `EvalDerivative`) and the analytic entry is not wrong — its
            // tolerance could not be bounded.
            _ => (NotJudgeable::Unbounded, (f64::NAN, f64::NAN)),
        };
        Some(CheckError::CannotJudge(Box::new(CannotJudge {
            quantity: self.quantity,
            direction: self.directions.of_column(worst.witnesses.col),
            reason,
            shape: self.dual.shape(),
            witnesses: worst.witnesses,
            one_sided,
            x: self.x.clone(),
        })))
    }
}

/// The counts and extremes of one check, reported by its [`Agreement`].
struct Statistics {
    evaluations: Evaluations,
    /// Dual passes near `x` and across stencils (the witness's last tests).
    nearby_evals: usize,
    across_evals: usize,
    /// The analytic entry closest to its tolerance, and its ratio.
    worst_analytic: EntryStat,
    worst_ratio: f64,
    /// The largest relative error of a well-conditioned entry within its ulps part.
    worst_rel_error: f64,
    /// The finite-difference estimate closest to its bound.
    worst_fd: Option<EntryStat>,
    /// Entries within the tolerance but outside its ulps part, and their worst relative
    /// error.
    precision_loss: usize,
    worst_loss: f64,
    /// Entries by finite-difference state.
    noisy: usize,
    refined: usize,
    not_converged: usize,
    /// Entries at non-smooth points where the analytic side agrees.
    non_smooth_ok: usize,
    /// Columns without finite differences (no stencil, or differences that overflow).
    fd_unavailable_cols: usize,
    /// Entries within the tolerance only thanks to the analytic side's measured noise.
    analytic_noise_only: usize,
}

impl Statistics {
    fn new(evaluations: Evaluations) -> Statistics {
        Statistics {
            evaluations,
            nearby_evals: 0,
            across_evals: 0,
            worst_analytic: EntryStat {
                row: 0,
                col: 0,
                abs_error: 0.0,
                bound: UNDERFLOW_FLOOR,
            },
            worst_ratio: 0.0,
            worst_rel_error: 0.0,
            worst_fd: None,
            precision_loss: 0,
            worst_loss: 0.0,
            noisy: 0,
            refined: 0,
            not_converged: 0,
            non_smooth_ok: 0,
            fd_unavailable_cols: 0,
            analytic_noise_only: 0,
        }
    }

    /// Records the analytic side of entry `e` (its tolerance `t`).
    fn record_analytic(
        &mut self,
        e: &Entry,
        t: &Tolerance,
        analytic: AnalyticVerdict,
        well_conditioned: bool,
    ) {
        if analytic.ok && !analytic.within_ulps {
            self.precision_loss += 1;
            self.worst_loss = self.worst_loss.max(rel_error(e.err, e.dual));
        }
        // Within the whole tolerance, but not without the analytic side's own noise.
        if analytic.ok && analytic.needed_noise {
            self.analytic_noise_only += 1;
        }
        if analytic.ok {
            if analytic.ratio > self.worst_ratio {
                self.worst_ratio = analytic.ratio;
                self.worst_analytic = EntryStat {
                    row: e.i,
                    col: e.j,
                    abs_error: e.err,
                    bound: t.total,
                };
            }
            // Well-conditioned: within the ulps part, and large enough for relative
            // precision in the analytic side's precision.
            if analytic.within_ulps && well_conditioned {
                self.worst_rel_error = self.worst_rel_error.max(rel_error(e.err, e.dual));
            }
        }
    }

    /// Records an entry within the first parts of its tolerance (`total`), as
    /// [`Statistics::record_analytic`] does for an entry that passes with no part added. The
    /// divisions run only where a ratio may be a new maximum (the products compared first are
    /// short of it by less than `4ε`, so no new maximum is missed: the statistics are the same
    /// to the last bit).
    fn record_plain(&mut self, e: &Entry, total: f64, within_ulps: bool, well_conditioned: bool) {
        const SHORT: f64 = 1.0 - 4.0 * f64::EPSILON;
        if !within_ulps {
            self.precision_loss += 1;
            self.worst_loss = self.worst_loss.max(rel_error(e.err, e.dual));
        }
        if e.err >= self.worst_ratio * total * SHORT {
            let ratio = e.err / total;
            if ratio > self.worst_ratio {
                self.worst_ratio = ratio;
                self.worst_analytic = EntryStat {
                    row: e.i,
                    col: e.j,
                    abs_error: e.err,
                    bound: total,
                };
            }
        }
        if within_ulps && well_conditioned && e.err >= self.worst_rel_error * e.dual.abs() * SHORT {
            self.worst_rel_error = self.worst_rel_error.max(rel_error(e.err, e.dual));
        }
    }

    /// Records the state of the finite-difference witness at an entry.
    fn record_fd(&mut self, state: FdState, analytic_ok: bool, first_overflow: bool) {
        match state {
            FdState::Noisy => self.noisy += 1,
            FdState::Refined => self.refined += 1,
            FdState::NotConverged => self.not_converged += 1,
            FdState::NonSmooth { .. } | FdState::BranchBoundary { .. } if analytic_ok => {
                self.non_smooth_ok += 1;
            }
            FdState::Unavailable if first_overflow => self.fd_unavailable_cols += 1,
            _ => {}
        }
    }

    /// Records an agreeing finite-difference estimate at entry `e`.
    fn record_fd_agreement(&mut self, e: &Entry, fdv: &FiniteDifference, oracle: &Oracle) {
        let stat = EntryStat {
            row: e.i,
            col: e.j,
            abs_error: (fdv.value - e.dual).abs(),
            // Passing is `gap ≤ safety·(estimate + guard/safety)`.
            bound: fdv.error_estimate
                + (oracle.ulps * f64::EPSILON * e.dual.abs() + UNDERFLOW_FLOOR) / oracle.fd_safety,
        };
        if self.worst_fd.is_none_or(|w| stat.ratio() > w.ratio()) {
            self.worst_fd = Some(stat);
        }
    }

    /// The notes of a passing check.
    fn notes(&self) -> Vec<Note> {
        let mut notes = Vec::new();
        if self.precision_loss > 0 {
            notes.push(Note::PrecisionLoss {
                entries: self.precision_loss,
                worst_rel_error: self.worst_loss,
            });
        }
        if self.noisy > 0 {
            notes.push(Note::NoisyFiniteDifferences {
                entries: self.noisy,
            });
        }
        if self.refined > 0 {
            notes.push(Note::RefinedStep {
                entries: self.refined,
            });
        }
        if self.not_converged > 0 {
            notes.push(Note::FiniteDifferencesNotConverged {
                entries: self.not_converged,
            });
        }
        if self.fd_unavailable_cols > 0 {
            notes.push(Note::FiniteDifferencesUnavailable {
                columns: self.fd_unavailable_cols,
            });
        }
        if self.non_smooth_ok > 0 {
            notes.push(Note::NonSmooth {
                entries: self.non_smooth_ok,
            });
        }
        if self.analytic_noise_only > 0 {
            notes.push(Note::AnalyticNoise {
                entries: self.analytic_noise_only,
            });
        }
        notes
    }

    /// The agreement of a passing check of `quantity` of the given shape.
    fn agreement(mut self, quantity: Quantity, shape: (usize, usize)) -> Agreement {
        self.evaluations.dual_evals += self.nearby_evals + self.across_evals;
        Agreement {
            quantity,
            shape,
            worst_analytic: self.worst_analytic,
            worst_rel_error: self.worst_rel_error,
            worst_fd: self.worst_fd,
            notes: self.notes(),
            evaluations: self.evaluations,
        }
    }
}

fn fd_gap(w: &Witnesses) -> f64 {
    w.finite_difference.map_or(0.0, |fd| {
        (fd.value - w.dual).abs() / fd.error_estimate.max(f64::MIN_POSITIVE)
    })
}

/// `|err| / |reference|`, infinite when the reference is 0 and the error is not.
fn rel_error(err: f64, reference: f64) -> f64 {
    if reference != 0.0 {
        err / reference.abs()
    } else if err == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `Δf_i` for every output: [`forward_error`] with `Σ_k |D_ik|·|x_k|` accumulated column by
/// column (nalgebra is column-major: no strided row walks).
fn forward_errors(f0: &DVector<f64>, dual: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let m = dual.nrows();
    let mut sums = DVector::zeros(m);
    if m > 0 {
        // Contiguous columns as slices: the loop vectorises.
        for (col, xk) in dual.as_slice().chunks_exact(m).zip(x.iter()) {
            let w = xk.abs();
            if w == 0.0 {
                // Adds exact zeros (the reference is finite): a view's `t = 0`, skipped.
                continue;
            }
            for (s, d) in sums.as_mut_slice().iter_mut().zip(col) {
                *s += d.abs() * w;
            }
        }
    }
    DVector::from_fn(f0.len(), |i, _| forward_error(f0[i], sums[i], x.len()))
}

/// Relative size of the move of [`dual_near`]: far below any smooth change that matters, far
/// above the rounding of `x`.
const NEARBY: f64 = 1e-9;

/// How many points [`dual_across_stencil`] samples.
const ACROSS_SAMPLES: usize = 16;

/// Column `j` of the dual reference at [`ACROSS_SAMPLES`] irregular points `x + o·e_j`,
/// `o ∈ [−2h, 2h]`, the span of a stencil of step `h`: finite differences average `f'` over
/// it, so a dual derivative that varies across it as much as its gap to them explains the
/// gap. `None` if a point or a pass is not finite.
fn dual_across_stencil<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    j: usize,
    h: f64,
) -> Option<Vec<DVector<f64>>> {
    (0..ACROSS_SAMPLES)
        .map(|k| {
            // Offsets spread over [−2h, 2h] at irregular spacings (golden-ratio sequence),
            // each stretched by an irrational factor so that its low bits are irregular too:
            // multiples of a round step land on correlated phases of a fast oscillation (cos
            // at 1e39 + (4u − 2)·h came out near −1 at all sixteen).
            let u = (k as f64 * 0.618_033_988_749_895 + 0.3).fract();
            let stretch = 1.0 + std::f64::consts::SQRT_2 * 1e-7 * (k as f64 + 1.0);
            let mut p = x.clone();
            p[j] += (4.0 * u - 2.0) * h * stretch;
            if !p[j].is_finite() {
                return None;
            }
            crate::dual::dual_column(f, &p, j)
        })
        .collect()
}

/// Column `j` of the dual reference at `x ± δ∘s` (`δ_l = 1e-9·max(|x_l|, 1)`, `s` alternating
/// signs with irregular sizes): a dual value that jumps under such a move means `x` is on a
/// branch boundary of `eval`. `None` if a pass fails.
fn dual_near<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    j: usize,
) -> Option<(DVector<f64>, DVector<f64>)> {
    let moved = |sign: f64| {
        DVector::from_fn(x.len(), |l, _| {
            let s = if l % 2 == 0 { 1.0 } else { -1.0 } * (1.0 + 0.37 * (l % 3) as f64);
            x[l] + sign * s * NEARBY * x[l].abs().max(1.0)
        })
    };
    Some((
        crate::dual::dual_column(f, &moved(1.0), j)?,
        crate::dual::dual_column(f, &moved(-1.0), j)?,
    ))
}
