//! The finite-difference witness at one entry, as a small state machine.
//!
//! [`Oracle::fd_witness`] walks the [`Step`]s in order, each one either settling the entry
//! (an [`FdState`] with the [`FiniteDifference`] it rests on) or handing over to the next:
//!
//! 1. [`Step::Central`]: the central difference at the default step `h` alone;
//! 2. [`Step::Richardson`]: Richardson's extrapolation with the points `±2h`;
//! 3. [`Step::Escalate`]: stencils at larger and smaller steps (once per column, an
//!    [`Escalation`]), each with the rounding noise of `f` measured at its own scale, and their
//!    analysis ([`Levels`]);
//! 4. [`Step::AgreeAtSomeLevel`]: agreement at an informative level (`strict`: at the most
//!    accurate one);
//! 5. [`Step::KinkTest`]: one-sided differences at the smallest step;
//! 6. [`Step::ConvergenceTest`]: whether the anchor level has converged well enough to blame
//!    the value;
//! 7. [`Step::DualAcrossStencil`]: whether the dual derivative varies across the anchor's
//!    stencil by as much as the gap;
//! 8. [`Step::BranchBoundary`]: whether the dual value jumps under a tiny move of `x`;
//!
//! and an entry that passes all of them disagrees.

use std::ops::ControlFlow;

use nalgebra::DVector;

use crate::Oracle;
use crate::fd::{self, Stencil};
use crate::report::{Evaluations, FiniteDifference};
use crate::tolerance::{NOISE_SIGMAS, UNDERFLOW_FLOOR};

/// The state of the finite-difference witness at one entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FdState {
    /// Agrees within the first estimate.
    Agree,
    /// Agrees once the measured noise of `f` is accounted for.
    Noisy,
    /// Agrees at a smaller step (the default step was outside the asymptotic range).
    Refined,
    /// Not computable (overflow).
    Unavailable,
    /// Did not converge as the step shrank: no verdict from this witness.
    NotConverged,
    NonSmooth {
        forward: f64,
        backward: f64,
    },
    /// `f` is smooth across the stencil but the dual derivative jumps under a tiny move of
    /// `x` (the dual values either side): `x` is on a branch boundary of `eval`.
    BranchBoundary {
        plus: f64,
        minus: f64,
    },
    Disagree,
}

/// `eval` is blamed only if the finite-difference gap is at least `1/CONVICTION` times the
/// default step's safety margin: strong evidence, not a borderline disagreement.
const CONVICTION: f64 = 0.1;

/// The finite-difference witness's verdict on one value, for checks without a dual
/// reference ([`Oracle::check_black_box`]).
pub(crate) enum FdVerdict {
    /// Finite differences agree (`escalated`: only after measuring noise or changing the
    /// step).
    Agree { escalated: bool },
    /// They have converged and disagree.
    Disagree,
    /// The point is not smooth.
    NonSmooth { forward: f64, backward: f64 },
    /// They give no verdict (not converged, or not computable).
    NoVerdict,
}

impl FdState {
    pub(crate) fn verdict(self) -> FdVerdict {
        match self {
            FdState::Agree => FdVerdict::Agree { escalated: false },
            FdState::Noisy | FdState::Refined => FdVerdict::Agree { escalated: true },
            FdState::Disagree => FdVerdict::Disagree,
            FdState::NonSmooth { forward, backward } => FdVerdict::NonSmooth { forward, backward },
            FdState::BranchBoundary { plus, minus } => FdVerdict::NonSmooth {
                forward: plus,
                backward: minus,
            },
            FdState::Unavailable | FdState::NotConverged => FdVerdict::NoVerdict,
        }
    }

    /// Whether this state vouches for the value under test (a dual reference): the witness
    /// agrees, or gives no verdict against it.
    pub(crate) fn vouches(self) -> bool {
        matches!(
            self,
            FdState::Agree
                | FdState::Noisy
                | FdState::Refined
                | FdState::Unavailable
                | FdState::NotConverged
        )
    }
}

/// Steps tried, as multiples of the default one `h`, when the first estimate does not explain
/// a disagreement, nearest first.
///
/// Larger steps (up to `32768h ≈ 0.2·max(1, |x_j|)`): a function whose values are coarse —
/// an additive offset `c` leaves `f` on a grid of `ulp(c)`, `1.5e-5` for `c = 1e11` — must be
/// seen at a step well above that grid before its slope shows; below it, part of `f` is flat.
const COARSER: [f64; 5] = [8.0, 64.0, 512.0, 4096.0, 32768.0];
/// Smaller steps (down to `h/8⁶ ≈ h/2.6e5`): a function that varies on a scale much smaller
/// than `max(1, |x_j|)` — a weight of 1e6, or layer normalisation of a nearly constant input
/// of size 1e6, whose scale is `√ε_LN ≈ 3e-3` — needs one before Richardson's estimate is
/// asymptotic.
const FINER: [f64; 6] = [
    1.0 / 8.0,
    1.0 / 64.0,
    1.0 / 512.0,
    1.0 / 4096.0,
    1.0 / 32768.0,
    1.0 / 262_144.0,
];

/// What the finite-difference witness measured for a column beyond its first stencil:
/// stencils at larger and smaller steps, each with scatter points for its noise. Computed
/// once per column, on the first entry that needs it.
pub(crate) struct Escalation {
    /// Stencils ordered by step, coarsest first.
    levels: Vec<Stencil>,
    /// Where the default step sits in `levels` (`None` if it could not be re-evaluated).
    default_level: Option<usize>,
    /// Whether the smallest level has its `±4h` points (for the kink test).
    widened: Option<bool>,
}

impl Escalation {
    /// Evaluates the levels: the [`COARSER`] and [`FINER`] steps around the default one
    /// (`first`, re-used), each with its `±2h` points and its scatter points.
    fn build(
        first: &Stencil,
        eval: &mut fd::Eval<'_>,
        x: &DVector<f64>,
        f0: &DVector<f64>,
        evaluations: &mut Evaluations,
    ) -> Escalation {
        let j = first.j;
        let mut level = |factor: f64| {
            evaluations.f64_evals += fd::SCATTER_POINTS;
            let mut s = if factor == 1.0 {
                first.clone()
            } else {
                evaluations.f64_evals += 4;
                let mut s = Stencil::with_step(eval, x, j, f0, first.h * factor)?;
                s.extend(eval, x, &[-2, 2])?;
                s
            };
            s.scatter(eval, x)?;
            Some(s)
        };
        // Ordered by step, coarsest first; a level that cannot be evaluated (near the edge
        // of the range of f64) ends its side.
        let mut levels: Vec<Stencil> = COARSER.iter().map_while(|&c| level(c)).collect();
        levels.reverse();
        let coarse = levels.len();
        levels.extend(level(1.0));
        levels.extend(FINER.iter().map_while(|&c| level(c)));
        Escalation {
            default_level: (levels.len() > coarse).then_some(coarse),
            levels,
            widened: None,
        }
    }
}

/// The value the witness tests at one entry `(i, j)` (`j` is the column of the stencils).
#[derive(Debug, Clone, Copy)]
pub(crate) struct WitnessEntry {
    /// The output row.
    pub(crate) i: usize,
    /// The value under test: the dual reference, or a black box's analytic entry.
    pub(crate) value: f64,
    /// The rounding error `Δf_i` of `f_i` from the error model.
    pub(crate) delta: f64,
    /// The value has no other reference: it must agree with the most accurate informative
    /// level, and a gap beyond that level's own margin convicts it.
    pub(crate) strict: bool,
    /// The value's own uncertainty, added where the value is compared with a
    /// finite-difference estimate (not where the estimates are compared with each other): the
    /// measured rounding noise of a black box's analytic entry ([`crate::noise`]); 0 for a
    /// dual value.
    pub(crate) allowance: f64,
}

/// What the witness evaluates and consults for one entry: the column's stencils, the map,
/// and lazily computed references (each computed at most once per check or column by its
/// owner).
pub(crate) struct WitnessInputs<'a> {
    /// The column's first stencil (`±h`; the witness adds `±2h` when it needs them).
    pub(crate) first: &'a mut Stencil,
    /// The column's escalation, built by the first entry that needs it.
    pub(crate) escalation: &'a mut Option<Escalation>,
    /// `f` in `f64`.
    pub(crate) eval: &'a mut fd::Eval<'a>,
    pub(crate) x: &'a DVector<f64>,
    /// `f(x)`.
    pub(crate) f0: &'a DVector<f64>,
    /// Counts the `f64` evaluations.
    pub(crate) evaluations: &'a mut Evaluations,
    /// The running rounding bound of `f_i` (NaN when it cannot be bounded).
    pub(crate) value_bound: &'a mut dyn FnMut() -> f64,
    /// The dual value at `x ± δ` ([`Step::BranchBoundary`]), if there is a dual reference.
    pub(crate) dual_nearby: &'a mut dyn FnMut() -> Option<(f64, f64)>,
    /// The range of the dual value across a stencil of the given step
    /// ([`Step::DualAcrossStencil`]), if there is a dual reference.
    pub(crate) dual_across: &'a mut dyn FnMut(f64) -> Option<(f64, f64)>,
}

/// The witness's final word on an entry: its state and the estimate it rests on.
pub(crate) type Settled = (FdState, FiniteDifference);

/// The steps of the witness (see the [module docs](self)); each carries what the previous
/// steps measured.
enum Step {
    /// The central difference at the default step `h` alone.
    Central,
    /// Richardson's extrapolation with `±2h` (`d1`: the central difference).
    Richardson { d1: f64 },
    /// The escalation (`richardson`: the estimate so far).
    Escalate { richardson: FiniteDifference },
    /// Agreement at an informative level.
    AgreeAtSomeLevel { levels: Levels },
    /// A kink within the smallest stencil (`best`: the estimate reported from here on).
    KinkTest {
        levels: Levels,
        best: FiniteDifference,
    },
    /// Has the anchor level converged to a value that convicts the one under test?
    ConvergenceTest {
        levels: Levels,
        best: FiniteDifference,
    },
    /// Does the dual derivative vary across the anchor's stencil?
    DualAcrossStencil {
        anchor: Anchor,
        best: FiniteDifference,
    },
    /// Does the dual value jump under a tiny move of `x`?
    BranchBoundary {
        anchor: Anchor,
        best: FiniteDifference,
    },
}

/// The level that convicts a value, once converged: its step and its estimate.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    h: f64,
    value: f64,
}

impl Anchor {
    /// The gap between the anchor's estimate and the value under test.
    fn gap(&self, d: f64) -> f64 {
        (self.value - d).abs()
    }
}

/// One run of the witness at one entry.
struct Run<'r, 'a> {
    oracle: &'r Oracle,
    entry: WitnessEntry,
    /// The guard added to every comparison: a few ulps of the value and the underflow floor
    /// (the value's own `allowance` is added where the value itself is compared).
    guard: f64,
    inputs: &'r mut WitnessInputs<'a>,
}

/// What a step returns: the entry settled, or the next step.
type Next = ControlFlow<Settled, Step>;

impl Oracle {
    /// The finite-difference witness at entry `(i, j)`: the first estimate; then (once per
    /// column) stencils at larger and smaller steps, each with the rounding noise of `f`
    /// measured at its own scale; agreement at any informative level (`strict`: at the most
    /// accurate one); else a one-sided test for a kink at the smallest step, and a convergence
    /// test before the value is called wrong (the steps of the [module docs](self)).
    pub(crate) fn fd_witness(&self, entry: WitnessEntry, mut inputs: WitnessInputs<'_>) -> Settled {
        let mut run = Run {
            oracle: self,
            entry,
            guard: self.guard(entry),
            inputs: &mut inputs,
        };
        let mut step = Step::Central;
        loop {
            let next = match step {
                Step::Central => run.central(),
                Step::Richardson { d1 } => run.richardson(d1),
                Step::Escalate { richardson } => run.escalate(richardson),
                Step::AgreeAtSomeLevel { levels } => run.agree_at_some_level(levels),
                Step::KinkTest { levels, best } => run.kink_test(levels, best),
                Step::ConvergenceTest { levels, best } => run.convergence_test(&levels, best),
                Step::DualAcrossStencil { anchor, best } => run.dual_across_stencil(anchor, best),
                Step::BranchBoundary { anchor, best } => {
                    ControlFlow::Break(run.branch_boundary(anchor, best))
                }
            };
            match next {
                ControlFlow::Continue(s) => step = s,
                ControlFlow::Break(settled) => return settled,
            }
        }
    }
}

impl Oracle {
    /// The guard added to every comparison of the witness: a few ulps of the value under test
    /// and the underflow floor.
    fn guard(&self, entry: WitnessEntry) -> f64 {
        self.ulps * f64::EPSILON * entry.value.abs() + UNDERFLOW_FLOOR
    }

    /// Stage 0: the central difference at h alone. When it agrees with the dual value to
    /// within its rounding (two values off by Δ at most, over 2h), the dual value is vouched
    /// for whatever the truncation error: a wrong dual value matching D(h) that closely would
    /// be a coincidence. Costs no more evaluations than the floor, and settles most entries of
    /// a correct map: the judge tries it before it gathers the witness's other inputs.
    pub(crate) fn central_agreement(
        &self,
        first: &Stencil,
        entry: WitnessEntry,
    ) -> Option<Settled> {
        let d1 = first.central(entry.i, 1);
        let rounding = entry.delta / first.h;
        let guard = self.guard(entry) + entry.allowance;
        (d1.is_finite() && (d1 - entry.value).abs() <= self.fd_safety * rounding + guard).then(
            || {
                let fdv = FiniteDifference {
                    value: d1,
                    error_estimate: rounding,
                    step: first.h,
                    measured_noise: None,
                };
                (FdState::Agree, fdv)
            },
        )
    }
}

impl Run<'_, '_> {
    /// Whether `value` is within `safety · estimate` of the value under test (and the guard and
    /// the value's allowance).
    fn within(&self, value: f64, estimate: f64) -> bool {
        (value - self.entry.value).abs()
            <= self.oracle.fd_safety * estimate + self.guard + self.entry.allowance
    }

    /// The escalation, once [`Step::Escalate`] has built it.
    fn escalation(&mut self) -> &mut Escalation {
        self.inputs
            .escalation
            .as_mut()
            .expect("built by the escalation step")
    }

    /// Stage 0 ([`Oracle::central_agreement`]), or Richardson next.
    fn central(&mut self) -> Next {
        match self.oracle.central_agreement(self.inputs.first, self.entry) {
            Some(settled) => ControlFlow::Break(settled),
            None => ControlFlow::Continue(Step::Richardson {
                d1: self.inputs.first.central(self.entry.i, 1),
            }),
        }
    }

    /// Stage 1: Richardson with the points ±2h.
    fn richardson(&mut self, d1: f64) -> Next {
        let WitnessInputs {
            first,
            eval,
            x,
            evaluations,
            ..
        } = &mut self.inputs;
        if !first.has(2) {
            evaluations.f64_evals += 2;
        }
        if first.extend(*eval, x, &[-2, 2]).is_none() {
            let fdv = FiniteDifference {
                value: d1,
                error_estimate: f64::INFINITY,
                step: first.h,
                measured_noise: None,
            };
            return ControlFlow::Break((FdState::Unavailable, fdv));
        }
        let (r, trunc) = first.richardson(self.entry.i);
        let fdv = FiniteDifference {
            value: r,
            error_estimate: trunc + 1.5 * self.entry.delta / first.h,
            step: first.h,
            measured_noise: None,
        };
        if !(r.is_finite() && fdv.error_estimate.is_finite()) {
            // The differences overflow (f near the top of f64's range): no witness here.
            return ControlFlow::Break((FdState::Unavailable, fdv));
        }
        if self.within(r, fdv.error_estimate) {
            return ControlFlow::Break((FdState::Agree, fdv));
        }
        ControlFlow::Continue(Step::Escalate { richardson: fdv })
    }

    /// Escalating: the column's [`Escalation`] (built on the first entry that needs it), and
    /// its [`Levels`] at this entry.
    fn escalate(&mut self, richardson: FiniteDifference) -> Next {
        // The rounding of f_i is at least its running bound, which sees what the model
        // ε·|f_i| cannot (a value absorbed into a larger one and subtracted out again).
        let bound = (self.inputs.value_bound)();
        let delta = if bound.is_nan() {
            f64::INFINITY
        } else {
            self.entry.delta.max(bound)
        };
        let WitnessInputs {
            first,
            escalation,
            eval,
            x,
            f0,
            evaluations,
            ..
        } = &mut self.inputs;
        let esc =
            escalation.get_or_insert_with(|| Escalation::build(first, *eval, x, f0, evaluations));
        let Some(default_level) = esc.default_level else {
            return ControlFlow::Break((FdState::Unavailable, richardson));
        };
        let levels = Levels::measure(
            esc,
            default_level,
            self.oracle,
            self.entry,
            delta,
            self.guard,
        );
        ControlFlow::Continue(Step::AgreeAtSomeLevel { levels })
    }

    /// Agreement at any informative level vouches for a dual value (a wrong dual value
    /// matching some converged step is a coincidence, and a false alarm on eval costs more
    /// than a second look). A value under test with no other reference (`strict`: a black
    /// box's analytic entry) must agree with the most accurate informative level: a coarse
    /// level's estimate may be an eighth of the derivative, and errors that size would pass
    /// there.
    fn agree_at_some_level(&mut self, levels: Levels) -> Next {
        if let Some((level, fd)) = levels.agreeing() {
            let state = if level == levels.default_level {
                FdState::Noisy
            } else {
                FdState::Refined
            };
            return ControlFlow::Break((state, *fd));
        }
        let best = levels.best();
        ControlFlow::Continue(Step::KinkTest { levels, best })
    }

    /// No step explains the gap: a kink within the smallest stencil, finite differences
    /// that have not converged, or a wrong dual path. First the kink: one-sided differences
    /// at the smallest step (its `±4h` points added once per column).
    fn kink_test(&mut self, levels: Levels, best: FiniteDifference) -> Next {
        let (i, delta_i, guard, safety) = (
            self.entry.i,
            levels.delta,
            self.guard,
            self.oracle.fd_safety,
        );
        let WitnessInputs {
            escalation,
            eval,
            x,
            evaluations,
            ..
        } = &mut self.inputs;
        let esc = escalation.as_mut().expect("built by the escalation step");
        let last = esc.levels.len() - 1;
        if last > levels.default_level {
            let smallest = &mut esc.levels[last];
            let wide = *esc.widened.get_or_insert_with(|| {
                evaluations.f64_evals += 2;
                smallest.widen(*eval, x).is_some()
            });
            if wide {
                let delta = delta_i.max(NOISE_SIGMAS * smallest.one_sided_noise(i));
                let [(fw, efw), (bw, ebw)] = smallest.one_sided(i);
                let kink_bound = safety * (efw + ebw + 8.0 * delta / smallest.h) + guard;
                if (fw - bw).abs() > kink_bound {
                    let state = FdState::NonSmooth {
                        forward: fw,
                        backward: bw,
                    };
                    return ControlFlow::Break((state, best));
                }
            }
        }
        ControlFlow::Continue(Step::ConvergenceTest { levels, best })
    }

    /// Blame eval only if the default step — the one finite differences are designed for —
    /// resolves the derivative on its own (its bounded estimate includes its neighbours'
    /// distance) and every larger step agrees with it within their own estimates. Smaller
    /// steps alone cannot convict: a coarse rounding grid (an additive offset) leaves part
    /// of f flat on them, and they agree with each other on a wrong slope; a larger step
    /// that sees the grid resolved contradicts them …
    /// (Strictly, the level the value was compared with takes the default step's place, and
    /// a gap beyond its own margin is evidence enough: the value under test has no other
    /// reference to fall back on.)
    fn convergence_test(&mut self, levels: &Levels, best: FiniteDifference) -> Next {
        let (anchor, conviction) = match (self.entry.strict, levels.most_accurate) {
            (true, Some(l)) => (l, 1.0),
            (true, None) => return ControlFlow::Break((FdState::NotConverged, best)),
            (false, _) => (levels.default_level, CONVICTION),
        };
        if !levels.converged(anchor, conviction) {
            return ControlFlow::Break((FdState::NotConverged, best));
        }
        let anchor = Anchor {
            h: self.escalation().levels[anchor].h,
            value: levels.fds[anchor].value,
        };
        ControlFlow::Continue(Step::DualAcrossStencil { anchor, best })
    }

    /// Before blaming eval: does the dual derivative vary across the anchor's stencil by as
    /// much as the gap? Differences average f' over x_j ± 2h; a derivative varying that
    /// much inside (x + sin x at |x| = 1e20, where even the smallest step spans many
    /// periods of sin) explains the gap: no verdict.
    /// (When the samples across agree among themselves and only `d` stands apart, the
    /// derivative does not vary across the stencil: `d` is an outlier at `x` itself, which
    /// the branch-boundary test below decides. The softplus `log(1 + e^{−|a|})` at `a = 0`:
    /// the dual of `|a|` takes `signum(0) = +1`, every sample across takes the other side.)
    fn dual_across_stencil(&mut self, anchor: Anchor, best: FiniteDifference) -> Next {
        let d = self.entry.value;
        if let Some((lo, hi)) = (self.inputs.dual_across)(anchor.h) {
            let gap = anchor.gap(d);
            let varies = hi - lo > 0.5 * gap;
            let d_apart = (hi - d).abs().max((lo - d).abs()) > 0.5 * gap;
            let fd_among_samples = (lo - 0.5 * gap..=hi + 0.5 * gap).contains(&anchor.value);
            if varies || d_apart && !fd_among_samples {
                return ControlFlow::Break((FdState::NotConverged, best));
            }
        }
        ControlFlow::Continue(Step::BranchBoundary { anchor, best })
    }

    /// Does the dual value itself jump under a tiny move of x? Then x sits on a branch
    /// boundary of eval (a ReLU exactly at 0 whose kinks cancel in f, so f is smooth while
    /// the dual derivative takes one branch): no verdict. Else the value disagrees.
    fn branch_boundary(&mut self, anchor: Anchor, best: FiniteDifference) -> Settled {
        let d = self.entry.value;
        if let Some((plus, minus)) = (self.inputs.dual_nearby)() {
            let gap = anchor.gap(d);
            if (plus - d).abs().max((minus - d).abs()) > 0.5 * gap {
                return (FdState::BranchBoundary { plus, minus }, best);
            }
        }
        (FdState::Disagree, best)
    }
}

/// The escalation's levels as seen from one entry: each level's estimate, its error bounded
/// by its neighbours, and whether it resolved the derivative at all.
struct Levels {
    /// The entry.
    entry: WitnessEntry,
    /// Its guard (see [`Run::guard`]).
    guard: f64,
    /// The finite-difference safety factor.
    safety: f64,
    /// The rounding error of `f_i`: the model's, raised to the running bound.
    delta: f64,
    /// Where the default step sits.
    default_level: usize,
    /// Every level's Richardson value, with the rounding noise measured at its own scale.
    fds: Vec<FiniteDifference>,
    /// The same, each error estimate raised to the distance to its neighbours' values.
    bounded: Vec<FiniteDifference>,
    /// `f_i` did not move across the level while the value under test says it moves.
    flat: Vec<bool>,
    /// The level's noise is as large as `f_i`'s change across it.
    unresolved: Vec<bool>,
    /// The informative level with the smallest bounded estimate (`strict`: among those
    /// consistent with every finer informative level).
    most_accurate: Option<usize>,
}

impl Levels {
    /// The analysis of `esc` at the entry's row.
    fn measure(
        esc: &Escalation,
        default_level: usize,
        oracle: &Oracle,
        entry: WitnessEntry,
        delta: f64,
        guard: f64,
    ) -> Levels {
        let fds = Self::estimates(esc, entry.i, delta);
        let mut levels = Levels {
            entry,
            guard,
            safety: oracle.fd_safety,
            delta,
            default_level,
            bounded: Self::bounded(&fds),
            flat: Self::flat(esc, entry),
            unresolved: Self::unresolved(esc, entry.i, &fds),
            fds,
            most_accurate: None,
        };
        levels.most_accurate = levels.find_most_accurate();
        levels
    }

    /// Every level's Richardson value, with the rounding noise measured at its own scale.
    fn estimates(esc: &Escalation, i: usize, delta_i: f64) -> Vec<FiniteDifference> {
        esc.levels
            .iter()
            .map(|s| {
                let (r, trunc) = s.richardson(i);
                let sigma = s.residual_noise(i);
                let delta = delta_i.max(NOISE_SIGMAS * sigma);
                FiniteDifference {
                    value: r,
                    error_estimate: trunc + 1.5 * delta / s.h,
                    step: s.h,
                    measured_noise: Some(sigma),
                }
            })
            .collect()
    }

    /// A level's error is also bounded by its distance to its neighbours' values: that
    /// catches a coarse step whose own estimate is not yet asymptotic, and a fine step
    /// whose rounding error (which grows as 1/h) the estimate misses.
    fn bounded(fds: &[FiniteDifference]) -> Vec<FiniteDifference> {
        fds.iter()
            .enumerate()
            .map(|(l, fd)| {
                let cross = [l.checked_sub(1), Some(l + 1)]
                    .iter()
                    .flatten()
                    .filter_map(|&k| fds.get(k))
                    .map(|nb| (fd.value - nb.value).abs())
                    .fold(0.0, f64::max);
                FiniteDifference {
                    error_estimate: fd.error_estimate.max(cross),
                    ..*fd
                }
            })
            .collect()
    }

    /// A level is informative when it resolves the derivative to better than half its size
    /// and f_i moved at all across it (a level on which f_i is constant while dual says it
    /// moves has not resolved the change: f is coarser than the step).
    fn flat(esc: &Escalation, entry: WitnessEntry) -> Vec<bool> {
        esc.levels
            .iter()
            .map(|s| entry.value != 0.0 && s.spread(entry.i) == 0.0)
            .collect()
    }

    /// … and f_i is close to a quadratic across it: a step spanning many periods of f
    /// (sin x at |x| = 1e8, where h ≈ 600) sees f as noise as large as its whole change,
    /// and its differences "converge" to the average slope, about 0, with a tiny estimate
    /// (the noise over a huge h). The fit residual must be small against f_i's spread.
    fn unresolved(esc: &Escalation, i: usize, fds: &[FiniteDifference]) -> Vec<bool> {
        esc.levels
            .iter()
            .zip(fds)
            .map(|(s, fd)| {
                fd.measured_noise
                    .is_some_and(|sigma| NOISE_SIGMAS * sigma > 0.5 * s.spread(i))
            })
            .collect()
    }

    /// Level `l` (estimate `fd`) resolves the derivative (see [`Levels::flat`] and
    /// [`Levels::unresolved`]).
    fn informative(&self, l: usize, fd: &FiniteDifference) -> bool {
        !self.flat[l]
            && !self.unresolved[l]
            && self.safety * fd.error_estimate < 0.5 * self.entry.value.abs().max(fd.value.abs())
    }

    /// `fd` agrees with the value under test.
    fn agrees(&self, fd: &FiniteDifference) -> bool {
        fd.value.is_finite()
            && fd.error_estimate.is_finite()
            && (fd.value - self.entry.value).abs()
                <= self.safety * fd.error_estimate + self.guard + self.entry.allowance
    }

    /// Strictly, a level also has to agree with every finer informative level: estimates
    /// shrink with a growing step while the step is outside the asymptotic range (a
    /// periodic part riding on a trend, x + sin x at |x| = 1e8: the coarse levels see the
    /// trend alone, with estimates far smaller than the finer levels' that resolve sin).
    fn consistent_below(&self, l: usize) -> bool {
        let bounded = &self.bounded;
        bounded.iter().enumerate().skip(l + 1).all(|(k, finer)| {
            !self.informative(k, finer)
                || (finer.value - bounded[l].value).abs()
                    <= self.safety * (finer.error_estimate + bounded[l].error_estimate) + self.guard
        })
    }

    /// The informative level with the smallest bounded estimate (`strict`: consistent below).
    fn find_most_accurate(&self) -> Option<usize> {
        self.bounded
            .iter()
            .enumerate()
            .filter(|&(l, fd)| {
                self.informative(l, fd) && (!self.entry.strict || self.consistent_below(l))
            })
            .min_by(|p, q| p.1.error_estimate.total_cmp(&q.1.error_estimate))
            .map(|(l, _)| l)
    }

    /// The level that vouches for the value, if any: the first informative one that agrees
    /// (`strict`: the most accurate one, if it agrees).
    fn agreeing(&self) -> Option<(usize, &FiniteDifference)> {
        if self.entry.strict {
            self.most_accurate
                .map(|l| (l, &self.bounded[l]))
                .filter(|&(_, fd)| self.agrees(fd))
        } else {
            self.bounded
                .iter()
                .enumerate()
                .find(|&(l, fd)| self.informative(l, fd) && self.agrees(fd))
        }
    }

    /// The estimate reported when no level agrees: the most accurate one (`strict`), else
    /// the smallest bounded estimate.
    fn best(&self) -> FiniteDifference {
        match (self.entry.strict, self.most_accurate) {
            (true, Some(l)) => self.bounded[l],
            _ => self
                .bounded
                .iter()
                .copied()
                .min_by(|p, q| p.error_estimate.total_cmp(&q.error_estimate))
                .expect("the default level is present"),
        }
    }

    /// Whether the `anchor` level convicts the value under test: it resolves the derivative,
    /// its gap is at least its margin over `conviction`, every larger step agrees with it, …
    fn converged(&self, anchor: usize, conviction: f64) -> bool {
        let (fds, d) = (&self.fds, self.entry.value);
        let default = fds[anchor];
        let consistent = |other: &FiniteDifference| {
            (other.value - default.value).abs()
                <= self.safety * (other.error_estimate + default.error_estimate) + self.guard
        };
        // … and the next smaller step agrees with it too: a default step far above the scale
        // on which f varies (layer normalisation of a nearly constant input, whose scale is
        // √ε_LN) can look informative and agree with larger steps, all of them wrong.
        // The evidence must be strong: the gap at least ten times the default step's safety
        // margin (a step far above f's scale has an estimate that is merely large, not
        // wrong by ten times).
        let margin = self.safety * self.bounded[anchor].error_estimate;
        !self.flat[anchor]
            && !self.unresolved[anchor]
            && margin <= conviction * (default.value - d).abs()
            && fds[..anchor].iter().all(consistent)
            && fds.get(anchor + 1).is_none_or(consistent)
    }
}
