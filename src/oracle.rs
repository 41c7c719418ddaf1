//! [`Oracle`]: the configured judge, and [`Oracle::check`], the three-witness check of an
//! analytic Jacobian.

use nalgebra::{DMatrix, DVector};

use crate::dual::{SecondOrderColumn, dual_jacobian, second_order_column};
use crate::fd::{self, Stencil};
use crate::report::{
    Agreement, CannotJudge, EntryStat, EvalDerivative, Evaluations, FiniteDifference, Mismatch,
    NotJudgeable, Note, Quantity, Tolerance, Witnesses,
};
use crate::rounding::Bounded;
use crate::scalar::{AsVectorFn, GradientOf};
use crate::tolerance::{
    DEFAULT_ULPS, FD_SAFETY, NOISE_SIGMAS, SENSITIVITY_SAFETY, UNDERFLOW_FLOOR, forward_error,
};
use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, CheckError, VectorFn};

/// The judge: checks hand-written derivatives against dual numbers and finite differences.
///
/// `Oracle::default()` uses the tolerances of [`crate::tolerance`], each derived from an
/// error model; the `with_*` methods tune them. An `Oracle` is a few numbers: it is `Copy`,
/// `Send` and `Sync`, and one can be shared by parallel tests.
///
/// # Examples
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// let layer = SigmoidLayer::new(DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75]));
/// let x = DVector::from_vec(vec![0.3, -1.2, 0.7]);
/// let agreement = Oracle::default().check(&layer, &x).unwrap();
/// assert!(agreement.worst_analytic.ratio() < 1.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oracle {
    ulps: f64,
    sensitivity_safety: f64,
    fd_safety: f64,
    finite_differences: bool,
    full_statistics: bool,
}

impl Default for Oracle {
    fn default() -> Self {
        Oracle {
            ulps: DEFAULT_ULPS,
            sensitivity_safety: SENSITIVITY_SAFETY,
            fd_safety: FD_SAFETY,
            finite_differences: true,
            full_statistics: false,
        }
    }
}

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

impl Oracle {
    /// An oracle with the default tolerances (same as `Oracle::default()`).
    ///
    /// ```
    /// use jacobian_oracle::Oracle;
    /// assert_eq!(Oracle::new(), Oracle::default());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Relative tolerance of analytic vs dual in units of `f64::EPSILON`
    /// (default [`DEFAULT_ULPS`] = 32). Must be finite and ≥ 1, else checks return
    /// [`CheckError::InvalidOracle`].
    ///
    /// ```
    /// let strict = jacobian_oracle::Oracle::default().with_ulps(8.0);
    /// assert_eq!(strict.ulps(), 8.0);
    /// ```
    #[must_use]
    pub fn with_ulps(mut self, ulps: f64) -> Self {
        self.ulps = ulps;
        self
    }

    /// Safety factor on the rounding-sensitivity term (default [`SENSITIVITY_SAFETY`] = 4).
    /// Must be finite and ≥ 0 (0 turns the term off: every precision loss becomes a mismatch).
    ///
    /// ```
    /// let o = jacobian_oracle::Oracle::default().with_sensitivity_safety(0.0);
    /// assert_eq!(o.sensitivity_safety(), 0.0);
    /// ```
    #[must_use]
    pub fn with_sensitivity_safety(mut self, safety: f64) -> Self {
        self.sensitivity_safety = safety;
        self
    }

    /// Safety factor on the finite-difference error estimate (default [`FD_SAFETY`] = 4).
    /// Must be finite and ≥ 1.
    ///
    /// ```
    /// let o = jacobian_oracle::Oracle::default().with_fd_safety(8.0);
    /// assert_eq!(o.fd_safety(), 8.0);
    /// ```
    #[must_use]
    pub fn with_fd_safety(mut self, safety: f64) -> Self {
        self.fd_safety = safety;
        self
    }

    /// Turns the finite-difference witness on or off (default on). Without it the dual
    /// reference is trusted alone: faster (about a third of the evaluations), but an `eval`
    /// that is not differentiated correctly goes unnoticed.
    ///
    /// ```
    /// let o = jacobian_oracle::Oracle::default().with_finite_differences(false);
    /// assert!(!o.finite_differences());
    /// ```
    #[must_use]
    pub fn with_finite_differences(mut self, on: bool) -> Self {
        self.finite_differences = on;
        self
    }

    /// Computes the whole tolerance (one more pass per column) for every entry that uses
    /// more than a quarter of its ulps and matrix parts, not only for entries outside them
    /// (default off). Verdicts are the same either way; with it, the agreement's
    /// `worst_analytic.ratio()` is against the whole tolerance — the report binary turns it on.
    /// Without it, that ratio is against the parts computed, and can come close to 1 for an
    /// entry that the rest of the tolerance would hold far inside.
    ///
    /// ```
    /// let o = jacobian_oracle::Oracle::default().with_full_statistics(true);
    /// assert!(o.full_statistics());
    /// ```
    #[must_use]
    pub fn with_full_statistics(mut self, on: bool) -> Self {
        self.full_statistics = on;
        self
    }

    /// Whether the whole tolerance is computed for every entry near its first parts.
    ///
    /// ```
    /// use jacobian_oracle::Oracle;
    /// assert!(!Oracle::default().full_statistics()); // off by default
    /// assert!(Oracle::default().with_full_statistics(true).full_statistics());
    /// ```
    #[must_use]
    pub fn full_statistics(&self) -> bool {
        self.full_statistics
    }

    /// The relative tolerance in ulps.
    ///
    /// ```
    /// use jacobian_oracle::{Oracle, tolerance::DEFAULT_ULPS};
    /// assert_eq!(Oracle::default().ulps(), DEFAULT_ULPS);
    /// assert_eq!(Oracle::default().with_ulps(64.0).ulps(), 64.0);
    /// ```
    #[must_use]
    pub fn ulps(&self) -> f64 {
        self.ulps
    }

    /// The safety factor on the rounding-sensitivity term.
    ///
    /// ```
    /// use jacobian_oracle::{Oracle, tolerance::SENSITIVITY_SAFETY};
    /// assert_eq!(Oracle::default().sensitivity_safety(), SENSITIVITY_SAFETY);
    /// ```
    #[must_use]
    pub fn sensitivity_safety(&self) -> f64 {
        self.sensitivity_safety
    }

    /// The safety factor on the finite-difference error estimate.
    ///
    /// ```
    /// use jacobian_oracle::{Oracle, tolerance::FD_SAFETY};
    /// assert_eq!(Oracle::default().fd_safety(), FD_SAFETY);
    /// ```
    #[must_use]
    pub fn fd_safety(&self) -> f64 {
        self.fd_safety
    }

    /// Whether the finite-difference witness runs.
    ///
    /// ```
    /// use jacobian_oracle::Oracle;
    /// assert!(Oracle::default().finite_differences()); // on by default
    /// ```
    #[must_use]
    pub fn finite_differences(&self) -> bool {
        self.finite_differences
    }

    pub(crate) fn validate(&self) -> Result<(), CheckError> {
        let bad =
            |parameter: &'static str, value: f64| CheckError::InvalidOracle { parameter, value };
        if !(self.ulps.is_finite() && self.ulps >= 1.0) {
            return Err(bad("ulps", self.ulps));
        }
        if !(self.sensitivity_safety.is_finite() && self.sensitivity_safety >= 0.0) {
            return Err(bad("sensitivity_safety", self.sensitivity_safety));
        }
        if !(self.fd_safety.is_finite() && self.fd_safety >= 1.0) {
            return Err(bad("fd_safety", self.fd_safety));
        }
        Ok(())
    }

    /// Checks the analytic Jacobian of `f` at `x` against forward-mode AD (dual numbers) and
    /// central finite differences.
    ///
    /// Cost: one `eval::<f64>`, one analytic Jacobian, `⌈n/8⌉` dual passes (eight seeded
    /// columns each) and `2n` `f64` evaluations when the central differences agree with the
    /// dual values to rounding (`4n` when Richardson is needed). Entries that do not agree at
    /// once cost more, once per column: a
    /// second-order dual pass (for the rounding-sensitivity tolerance), or the finite-difference
    /// escalation — stencils at eight other steps with scatter points for their noise, and the
    /// kink test (126 evaluations per column at most).
    ///
    /// A panic inside `eval` or `jacobian` is not caught here: it propagates to the caller
    /// (inside `proptest!`, the runner catches it and shrinks the input that caused it).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Softmax;
    /// use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::DVector;
    ///
    /// let x = DVector::from_vec(vec![0.5, -1.0, 2.0]);
    /// let oracle = Oracle::default();
    /// // The textbook diag(p) − ppᵀ passes, every entry within its tolerance …
    /// let agreement = oracle.check(&Softmax::new(3), &x).unwrap();
    /// assert!(agreement.worst_analytic.ratio() < 1.0);
    /// // … and a Jacobian that forgets the −ppᵀ coupling is a Mismatch.
    /// let wrong = SoftmaxMutant::new(SoftmaxMutantKind::DiagonalOnly, 3);
    /// assert!(matches!(oracle.check(&wrong, &x), Err(CheckError::Mismatch(_))));
    /// // Bad input is reported, not judged.
    /// assert_eq!(
    ///     oracle.check(&Softmax::new(3), &DVector::from_vec(vec![1.0])),
    ///     Err(CheckError::InputLength { expected: 3, found: 1 })
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// A [`CheckError`] naming what is wrong: the verdicts `Mismatch` (analytic wrong),
    /// `EvalDerivative` (`eval` not differentiated correctly) and `CannotJudge` (non-smooth
    /// point), or a bad-input variant (`x` of the wrong length or not finite, an empty map, an
    /// analytic Jacobian or `eval` output of the wrong shape, a non-finite `eval`).
    pub fn check<F: AnalyticJacobian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.check_as(f, x, Quantity::Jacobian, None)
    }

    /// Checks the analytic gradient of a scalar function `f` at `x` against dual numbers and
    /// finite differences, exactly as [`Oracle::check`] checks the `1×n` Jacobian of `f`
    /// (reports call it a gradient; a wrong length is [`CheckError::AnalyticShape`] with
    /// shapes `1×len`).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let data = DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -1.0, 2.0, 0.25, -0.75]);
    /// let lr = LogisticRegression::new(data, DVector::from_vec(vec![1.0, 0.0, 1.0]));
    /// Oracle::default().check_gradient(&lr, &DVector::from_vec(vec![0.3, -0.2])).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`].
    pub fn check_gradient<F: AnalyticGradient + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.check_as(&AsVectorFn(f), x, Quantity::Gradient, None)
    }

    /// Checks the analytic Hessian of a scalar function `f` at `x`.
    ///
    /// The exact reference is the Jacobian of the exact gradient: `f` on nested dual numbers
    /// (`Dual<Dual64>`, second derivatives exact to rounding like hyper-dual numbers), `n²`
    /// passes. The finite-difference witness differentiates the exact gradient (computed with
    /// `Dual64`), so it also catches an `eval` whose second-order dual path is wrong. The
    /// tolerance adds the measured rounding spread of the reference: a Hessian written from an
    /// expanded expression with large, cancelling terms differs from the exact value by
    /// rounding alone far above a few ulps, and so does the reference (see
    /// [`crate::tolerance`]).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::LogisticRegression;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let data = DMatrix::from_row_slice(3, 2, &[1.0, 0.5, -1.0, 2.0, 0.25, -0.75]);
    /// let lr = LogisticRegression::new(data, DVector::from_vec(vec![1.0, 0.0, 1.0]));
    /// let agreement = Oracle::default().check_hessian(&lr, &DVector::from_vec(vec![0.3, -0.2])).unwrap();
    /// assert_eq!(agreement.shape, (2, 2));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check`]; an analytic Hessian that is not `n×n` is
    /// [`CheckError::AnalyticShape`].
    pub fn check_hessian<F: AnalyticHessian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        // f itself must be finite at x, as for a gradient check (the view below evaluates
        // only its gradient).
        self.validate()?;
        validate_input(&AsVectorFn(f), x)?;
        eval_f64(&AsVectorFn(f), x, 1)?;
        let mut agreement = self.check_as(&GradientOf(f), x, Quantity::Hessian, None)?;
        agreement.evaluations.f64_evals += 1;
        Ok(agreement)
    }

    /// The check of a Jacobian-shaped quantity (a Jacobian, or a gradient or Hessian through
    /// the views of [`crate::scalar`]).
    pub(crate) fn check_as<F: AnalyticJacobian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        quantity: Quantity,
        direction: Option<&DVector<f64>>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        let (m, _) = validate_input(f, x)?;
        let f0 = eval_f64(f, x, m)?;
        let mut agreement = self.check_with_value(f, x, f0, quantity, direction)?;
        agreement.evaluations.f64_evals += 1;
        Ok(agreement)
    }

    /// [`Oracle::check_as`] with `f(x)` already evaluated (and `x` validated): the projections
    /// of [`Oracle::check_projected`] share one `f(x)`.
    pub(crate) fn check_with_value<F: AnalyticJacobian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        f0: DVector<f64>,
        quantity: Quantity,
        direction: Option<&DVector<f64>>,
    ) -> Result<Agreement, CheckError> {
        self.check_with_reference(f, x, f0, None, quantity, direction, None)
    }

    /// [`Oracle::check_with_value`] with the dual reference possibly computed already (the
    /// projections of [`Oracle::check_projected`] get theirs from one batched pass).
    #[expect(
        clippy::too_many_arguments,
        reason = "internal: the views share one entry point"
    )]
    pub(crate) fn check_with_reference<F: AnalyticJacobian + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        f0: DVector<f64>,
        reference: Option<DMatrix<f64>>,
        quantity: Quantity,
        direction: Option<&DVector<f64>>,
        rows: Option<&dyn RowResolved>,
    ) -> Result<Agreement, CheckError> {
        let (m, n) = (f.output_dim(), f.input_dim());
        let analytic = f.jacobian(x);
        if analytic.shape() != (m, n) {
            return Err(CheckError::AnalyticShape {
                expected: (m, n),
                found: analytic.shape(),
            });
        }
        let (reference, passes) = match reference {
            Some(r) => (r, 0),
            None => (
                dual_jacobian(f, x)?.jacobian,
                n.div_ceil(crate::dual::LANES),
            ),
        };
        let evaluations = Evaluations {
            f64_evals: 0,
            dual_evals: passes,
            second_order_evals: 0,
        };
        self.judge(
            f,
            x,
            &f0,
            &analytic,
            &reference,
            evaluations,
            quantity,
            direction,
            rows,
        )
    }

    /// The finite-difference witness at entry `(i, j)`: the first estimate; then (once per
    /// column) stencils at larger and smaller steps, each with the rounding noise of `f`
    /// measured at its own scale; agreement at any informative level (`strict`: at the most
    /// accurate one); else a one-sided test for a kink at the smallest step, and a convergence
    /// test before the value is called wrong.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal helper over one column's state"
    )]
    pub(crate) fn fd_witness(
        &self,
        i: usize,
        d: f64,
        delta_i: f64,
        value_bound: &mut dyn FnMut() -> f64,
        dual_nearby: &mut dyn FnMut() -> Option<(f64, f64)>,
        dual_across: &mut dyn FnMut(f64) -> Option<(f64, f64)>,
        first: &mut Stencil,
        escalation: &mut Option<Escalation>,
        eval: &mut fd::Eval<'_>,
        x: &DVector<f64>,
        f0: &DVector<f64>,
        evaluations: &mut Evaluations,
        strict: bool,
    ) -> (FdState, FiniteDifference) {
        let guard = self.ulps * f64::EPSILON * d.abs() + UNDERFLOW_FLOOR;
        // Stage 0: the central difference at h alone. When it agrees with the dual value to
        // within its rounding (two values off by Δ at most, over 2h), the dual value is
        // vouched for whatever the truncation error: a wrong dual value matching D(h) that
        // closely would be a coincidence. Costs no more evaluations than the floor.
        let d1 = first.central(i, 1);
        let rounding = delta_i / first.h;
        if d1.is_finite() && (d1 - d).abs() <= self.fd_safety * rounding + guard {
            let fdv = FiniteDifference {
                value: d1,
                error_estimate: rounding,
                step: first.h,
                measured_noise: None,
            };
            return (FdState::Agree, fdv);
        }
        // Stage 1: Richardson with the points ±2h.
        if !first.has(2) {
            evaluations.f64_evals += 2;
        }
        if first.extend(eval, x, &[-2, 2]).is_none() {
            return (
                FdState::Unavailable,
                FiniteDifference {
                    value: d1,
                    error_estimate: f64::INFINITY,
                    step: first.h,
                    measured_noise: None,
                },
            );
        }
        let (r, trunc) = first.richardson(i);
        let fdv = FiniteDifference {
            value: r,
            error_estimate: trunc + 1.5 * delta_i / first.h,
            step: first.h,
            measured_noise: None,
        };
        if !(r.is_finite() && fdv.error_estimate.is_finite()) {
            // The differences overflow (f near the top of f64's range): no witness here.
            return (FdState::Unavailable, fdv);
        }
        if (r - d).abs() <= self.fd_safety * fdv.error_estimate + guard {
            return (FdState::Agree, fdv);
        }
        // Escalating: the rounding of f_i is at least its running bound, which sees what the
        // model ε·|f_i| cannot (a value absorbed into a larger one and subtracted out again).
        let bound = value_bound();
        let delta_i = if bound.is_nan() {
            f64::INFINITY
        } else {
            delta_i.max(bound)
        };
        let j = first.j;
        let esc = escalation.get_or_insert_with(|| {
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
        });
        let Some(default_level) = esc.default_level else {
            return (FdState::Unavailable, fdv);
        };
        // Every level's Richardson value, with the rounding noise measured at its own scale.
        let fds: Vec<FiniteDifference> = esc
            .levels
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
            .collect();
        // A level's error is also bounded by its distance to its neighbours' values: that
        // catches a coarse step whose own estimate is not yet asymptotic, and a fine step
        // whose rounding error (which grows as 1/h) the estimate misses.
        let bounded: Vec<FiniteDifference> = fds
            .iter()
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
            .collect();
        // A level is informative when it resolves the derivative to better than half its size
        // and f_i moved at all across it (a level on which f_i is constant while dual says it
        // moves has not resolved the change: f is coarser than the step).
        let flat: Vec<bool> = esc
            .levels
            .iter()
            .map(|s| d != 0.0 && s.spread(i) == 0.0)
            .collect();
        // … and f_i is close to a quadratic across it: a step spanning many periods of f
        // (sin x at |x| = 1e8, where h ≈ 600) sees f as noise as large as its whole change,
        // and its differences "converge" to the average slope, about 0, with a tiny estimate
        // (the noise over a huge h). The fit residual must be small against f_i's spread.
        let unresolved: Vec<bool> = esc
            .levels
            .iter()
            .zip(&fds)
            .map(|(s, fd)| {
                fd.measured_noise
                    .is_some_and(|sigma| NOISE_SIGMAS * sigma > 0.5 * s.spread(i))
            })
            .collect();
        let informative = |l: usize, fd: &FiniteDifference| {
            !flat[l]
                && !unresolved[l]
                && self.fd_safety * fd.error_estimate < 0.5 * d.abs().max(fd.value.abs())
        };
        let agrees = |fd: &FiniteDifference| {
            fd.value.is_finite()
                && fd.error_estimate.is_finite()
                && (fd.value - d).abs() <= self.fd_safety * fd.error_estimate + guard
        };
        // Agreement at any informative level vouches for a dual value (a wrong dual value
        // matching some converged step is a coincidence, and a false alarm on eval costs more
        // than a second look). A value under test with no other reference (`strict`: a black
        // box's analytic entry) must agree with the most accurate informative level: a
        // coarse level's estimate may be an eighth of the derivative, and errors that size
        // would pass there.
        // Strictly, a level also has to agree with every finer informative level: estimates
        // shrink with a growing step while the step is outside the asymptotic range (a
        // periodic part riding on a trend, x + sin x at |x| = 1e8: the coarse levels see the
        // trend alone, with estimates far smaller than the finer levels' that resolve sin).
        let consistent_below = |l: usize| {
            bounded.iter().enumerate().skip(l + 1).all(|(k, finer)| {
                !informative(k, finer)
                    || (finer.value - bounded[l].value).abs()
                        <= self.fd_safety * (finer.error_estimate + bounded[l].error_estimate)
                            + guard
            })
        };
        let most_accurate = bounded
            .iter()
            .enumerate()
            .filter(|&(l, fd)| informative(l, fd) && (!strict || consistent_below(l)))
            .min_by(|p, q| p.1.error_estimate.total_cmp(&q.1.error_estimate))
            .map(|(l, _)| l);
        let agreeing = if strict {
            most_accurate
                .map(|l| (l, &bounded[l]))
                .filter(|&(_, fd)| agrees(fd))
        } else {
            bounded
                .iter()
                .enumerate()
                .find(|&(l, fd)| informative(l, fd) && agrees(fd))
        };
        if let Some((level, fd)) = agreeing {
            let state = if level == default_level {
                FdState::Noisy
            } else {
                FdState::Refined
            };
            return (state, *fd);
        }
        let best = match (strict, most_accurate) {
            (true, Some(l)) => bounded[l],
            _ => bounded
                .iter()
                .copied()
                .min_by(|p, q| p.error_estimate.total_cmp(&q.error_estimate))
                .expect("the default level is present"),
        };
        // No step explains the gap: a kink within the smallest stencil, finite differences
        // that have not converged, or a wrong dual path.
        let last = esc.levels.len() - 1;
        if last > default_level {
            let smallest = &mut esc.levels[last];
            let wide = *esc.widened.get_or_insert_with(|| {
                evaluations.f64_evals += 2;
                smallest.widen(eval, x).is_some()
            });
            if wide {
                let delta = delta_i.max(NOISE_SIGMAS * smallest.one_sided_noise(i));
                let [(fw, efw), (bw, ebw)] = smallest.one_sided(i);
                let kink_bound = self.fd_safety * (efw + ebw + 8.0 * delta / smallest.h) + guard;
                if (fw - bw).abs() > kink_bound {
                    return (
                        FdState::NonSmooth {
                            forward: fw,
                            backward: bw,
                        },
                        best,
                    );
                }
            }
        }
        // Blame eval only if the default step — the one finite differences are designed for —
        // resolves the derivative on its own (its bounded estimate includes its neighbours'
        // distance) and every larger step agrees with it within their own estimates. Smaller
        // steps alone cannot convict: a coarse rounding grid (an additive offset) leaves part
        // of f flat on them, and they agree with each other on a wrong slope; a larger step
        // that sees the grid resolved contradicts them …
        // (Strictly, the level the value was compared with takes the default step's place, and
        // a gap beyond its own margin is evidence enough: the value under test has no other
        // reference to fall back on.)
        let (anchor, conviction) = match (strict, most_accurate) {
            (true, Some(l)) => (l, 1.0),
            (true, None) => return (FdState::NotConverged, best),
            (false, _) => (default_level, CONVICTION),
        };
        let default = fds[anchor];
        let consistent = |other: &FiniteDifference| {
            (other.value - default.value).abs()
                <= self.fd_safety * (other.error_estimate + default.error_estimate) + guard
        };
        // … and the next smaller step agrees with it too: a default step far above the scale
        // on which f varies (layer normalisation of a nearly constant input, whose scale is
        // √ε_LN) can look informative and agree with larger steps, all of them wrong.
        // The evidence must be strong: the gap at least ten times the default step's safety
        // margin (a step far above f's scale has an estimate that is merely large, not
        // wrong by ten times).
        let margin = self.fd_safety * bounded[anchor].error_estimate;
        let converged = !flat[anchor]
            && !unresolved[anchor]
            && margin <= conviction * (default.value - d).abs()
            && fds[..anchor].iter().all(consistent)
            && fds.get(anchor + 1).is_none_or(consistent);
        if !converged {
            return (FdState::NotConverged, best);
        }
        // Before blaming eval: does the dual derivative vary across the anchor's stencil by as
        // much as the gap? Differences average f' over x_j ± 2h; a derivative varying that
        // much inside (x + sin x at |x| = 1e20, where even the smallest step spans many
        // periods of sin) explains the gap: no verdict.
        // (When the samples across agree among themselves and only `d` stands apart, the
        // derivative does not vary across the stencil: `d` is an outlier at `x` itself, which
        // the branch-boundary test below decides. The softplus `log(1 + e^{−|a|})` at `a = 0`:
        // the dual of `|a|` takes `signum(0) = +1`, every sample across takes the other side.)
        if let Some((lo, hi)) = dual_across(esc.levels[anchor].h) {
            let gap = (default.value - d).abs();
            let varies = hi - lo > 0.5 * gap;
            let d_apart = (hi - d).abs().max((lo - d).abs()) > 0.5 * gap;
            let fd_among_samples = (lo - 0.5 * gap..=hi + 0.5 * gap).contains(&default.value);
            if varies || d_apart && !fd_among_samples {
                return (FdState::NotConverged, best);
            }
        }
        // Does the dual value itself jump under a tiny move of x? Then x sits on a branch
        // boundary of eval (a ReLU exactly at 0 whose kinks cancel in f, so f is smooth while
        // the dual derivative takes one branch): no verdict.
        if let Some((plus, minus)) = dual_nearby() {
            let gap = (default.value - d).abs();
            if (plus - d).abs().max((minus - d).abs()) > 0.5 * gap {
                return (FdState::BranchBoundary { plus, minus }, best);
            }
        }
        (FdState::Disagree, best)
    }

    /// Compares the analytic matrix with the dual reference entry by entry, and the dual
    /// reference with finite differences, then turns the per-entry states into a verdict.
    #[expect(
        clippy::too_many_arguments,
        reason = "internal: the state of one check"
    )]
    fn judge<F: VectorFn + ?Sized>(
        &self,
        f: &F,
        x: &DVector<f64>,
        f0: &DVector<f64>,
        analytic: &DMatrix<f64>,
        dual: &DMatrix<f64>,
        mut evaluations: Evaluations,
        quantity: Quantity,
        direction: Option<&DVector<f64>>,
        rows: Option<&dyn RowResolved>,
    ) -> Result<Agreement, CheckError> {
        let (m, n) = dual.shape();
        let delta_f = forward_errors(f0, dual, x);
        // The analytic side's precision: f64, or f32 for an f32 implementation, whose every
        // rounding is that much coarser (the references stay f64).
        let (eps, floor) = quantity.precision();
        // A JVP or VJP entry sums entries of J weighted by the direction: each carries the
        // underflow floor, so the sum carries Σ|d_k|·floor (summed term by term: no overflow).
        let floor = direction.map_or(floor, |d| {
            d.iter().map(|e| e.abs() * floor).sum::<f64>().max(floor)
        });
        let coarser = eps / f64::EPSILON;
        let matrix = MATRIX_ULPS * eps * dual.amax();
        // The running rounding bound of each f_i (one pass of eval on bounded numbers),
        // computed the first time an entry needs it.
        let mut value_bounds: Option<DVector<f64>> = None;
        let mut value_bound = |i: usize| -> f64 {
            value_bounds.get_or_insert_with(|| {
                let out = f.eval(&x.map(Bounded::exact));
                if out.len() == m {
                    out.map(Bounded::bound)
                } else {
                    DVector::from_element(m, f64::INFINITY)
                }
            })[i]
        };
        let mut eval = |p: &DVector<f64>| f.eval::<f64>(p);

        let mut flagged: Vec<Flagged> = Vec::new();
        let mut worst_analytic = EntryStat {
            row: 0,
            col: 0,
            abs_error: 0.0,
            bound: UNDERFLOW_FLOOR,
        };
        let mut worst_rel_error: f64 = 0.0;
        let mut worst_fd: Option<EntryStat> = None;
        let (mut precision_loss, mut worst_loss) = (0usize, 0.0f64);
        let (mut noisy, mut refined, mut not_converged) = (0usize, 0usize, 0usize);
        let (mut non_smooth_ok, mut fd_unavailable_cols) = (0usize, 0usize);
        let mut evaluations_nearby = 0usize;
        let mut evaluations_across = 0usize;

        for j in 0..n {
            let mut stencil = if self.finite_differences {
                let s = Stencil::new(&mut eval, x, j, f0);
                evaluations.f64_evals += 2;
                if s.is_none() {
                    fd_unavailable_cols += 1;
                }
                s
            } else {
                None
            };
            // A column whose stencil exists but whose differences overflow for some entry.
            let mut column_unavailable = false;
            let mut second_order: Option<Option<SecondOrderColumn>> = None;
            let mut row_parts: Option<Option<RowParts>> = None;
            let mut nearby: Option<Option<(DVector<f64>, DVector<f64>)>> = None;
            let mut across: Option<Option<Vec<DVector<f64>>>> = None;
            let mut escalation: Option<Escalation> = None;

            for i in 0..m {
                let (a, d) = (analytic[(i, j)], dual[(i, j)]);
                let err = (a - d).abs();
                let relative = self.ulps * eps * d.abs();
                let mut tolerance = Tolerance {
                    total: relative + matrix + floor,
                    relative,
                    matrix,
                    sensitivity: 0.0,
                    terms: 0.0,
                    floor,
                };
                let within_ulps = a.is_finite() && err <= relative + floor;
                let mut unbounded = false;
                // Entries outside the ulps and matrix parts get the rest of the tolerance (one
                // second-order pass on bounded numbers per column): the rounding sensitivity
                // of f, and the rounding of the reference's terms. With full statistics, so do
                // entries that use more than a quarter of it, so that the reported
                // error/tolerance ratio is against the whole tolerance.
                let needed = if self.full_statistics {
                    tolerance.total / 4.0
                } else {
                    tolerance.total
                };
                if a.is_finite() && err > needed {
                    let column = second_order.get_or_insert_with(|| {
                        evaluations.second_order_evals += 1;
                        second_order_column(f, x, j)
                    });
                    if let Some(c) = column.as_ref() {
                        let ratio = if d != 0.0 {
                            (c.curvature[i] / d).abs()
                        } else {
                            0.0
                        };
                        let sensitivity = self.sensitivity_safety
                            * ratio
                            * delta_f[i].max(value_bound(i))
                            * coarser;
                        // (A contracted view's sensitivity is resolved row by row below:
                        // `Δ(uᵀf)` is dominated by the largest outputs, and `uᵀf`'s curvature
                        // by the most curved rows, which need not be the same.)
                        if sensitivity.is_finite() && rows.is_none() {
                            tolerance.sensitivity = sensitivity;
                            tolerance.total += sensitivity;
                        } else if ratio.is_finite() && !sensitivity.is_finite() {
                            unbounded = true;
                        }
                        let terms = ROUNDING_SAFETY * c.derivative_bound[i] * coarser;
                        if terms.is_finite() {
                            tolerance.terms = terms;
                            tolerance.total += terms;
                        } else {
                            // Terms near the top of f64's range: their running bound overflows.
                            unbounded = true;
                        }
                    }
                }
                // A contracted view (a VJP `uᵀJ`): each entry also gets the tolerance of the
                // Jacobian entries it contracts, row by row (see [`RowResolved`]).
                if let Some(rows) = rows {
                    let needed = if self.full_statistics {
                        tolerance.total / 4.0
                    } else {
                        tolerance.total
                    };
                    if a.is_finite() && err > needed {
                        let parts = row_parts.get_or_insert_with(|| {
                            evaluations.second_order_evals += 1;
                            rows.column(self, j)
                        });
                        if let Some(p) = parts {
                            tolerance.relative = tolerance.relative.max(p.relative);
                            tolerance.sensitivity = p.sensitivity;
                            tolerance.terms = tolerance.terms.max(p.terms);
                            tolerance.total = tolerance.relative
                                + tolerance.matrix
                                + tolerance.sensitivity
                                + tolerance.terms
                                + tolerance.floor;
                        }
                    }
                }
                let analytic_ok = a.is_finite() && err <= tolerance.total;
                if analytic_ok && !within_ulps {
                    precision_loss += 1;
                    worst_loss = worst_loss.max(rel_error(err, d));
                }
                let analytic_ratio = if a.is_finite() {
                    err / tolerance.total
                } else {
                    f64::INFINITY
                };
                if analytic_ok {
                    if analytic_ratio > worst_analytic.ratio() {
                        worst_analytic = EntryStat {
                            row: i,
                            col: j,
                            abs_error: err,
                            bound: tolerance.total,
                        };
                    }
                    // Well-conditioned: within the ulps part, and large enough for relative
                    // precision in the analytic side's precision (f32's floor is 1e-38).
                    if within_ulps && d.abs() >= floor / eps {
                        worst_rel_error = worst_rel_error.max(rel_error(err, d));
                    }
                }

                // The finite-difference witness.
                let (fd_state, fd_value) = match stencil.as_mut() {
                    None => (FdState::Unavailable, None),
                    Some(s) => {
                        let (state, fdv) = self.fd_witness(
                            i,
                            d,
                            delta_f[i],
                            &mut || value_bound(i),
                            &mut || {
                                nearby
                                    .get_or_insert_with(|| {
                                        evaluations_nearby += 2;
                                        dual_near(f, x, j)
                                    })
                                    .as_ref()
                                    .map(|(p, q)| (p[i], q[i]))
                            },
                            &mut |h| {
                                let samples = across.get_or_insert_with(|| {
                                    evaluations_across += ACROSS_SAMPLES;
                                    dual_across_stencil(f, x, j, h)
                                });
                                samples.as_ref().map(|cols| {
                                    cols.iter()
                                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), c| {
                                            (lo.min(c[i]), hi.max(c[i]))
                                        })
                                })
                            },
                            s,
                            &mut escalation,
                            &mut |p| eval(p),
                            x,
                            f0,
                            &mut evaluations,
                            false,
                        );
                        if matches!(state, FdState::Agree | FdState::Refined) {
                            let stat = EntryStat {
                                row: i,
                                col: j,
                                abs_error: (fdv.value - d).abs(),
                                // Passing is `gap ≤ safety·(estimate + guard/safety)`.
                                bound: fdv.error_estimate
                                    + (self.ulps * f64::EPSILON * d.abs() + UNDERFLOW_FLOOR)
                                        / self.fd_safety,
                            };
                            if worst_fd.is_none_or(|w| stat.ratio() > w.ratio()) {
                                worst_fd = Some(stat);
                            }
                        }
                        (state, Some(fdv))
                    }
                };
                match fd_state {
                    FdState::Noisy => noisy += 1,
                    FdState::Refined => refined += 1,
                    FdState::NotConverged => not_converged += 1,
                    FdState::NonSmooth { .. } | FdState::BranchBoundary { .. } if analytic_ok => {
                        non_smooth_ok += 1;
                    }
                    FdState::Unavailable if stencil.is_some() && !column_unavailable => {
                        column_unavailable = true;
                        fd_unavailable_cols += 1;
                    }
                    _ => {}
                }
                let fd_vouches = matches!(
                    fd_state,
                    FdState::Agree
                        | FdState::Noisy
                        | FdState::Refined
                        | FdState::Unavailable
                        | FdState::NotConverged
                );
                if !analytic_ok || !fd_vouches {
                    let fd_agrees_with_analytic = fd_value.is_some_and(|fd| {
                        (fd.value - a).abs()
                            <= self.fd_safety * fd.error_estimate
                                + self.ulps * f64::EPSILON * a.abs()
                                + UNDERFLOW_FLOOR
                    });
                    flagged.push(Flagged {
                        witnesses: Witnesses {
                            row: i,
                            col: j,
                            analytic: a,
                            dual: d,
                            finite_difference: fd_value,
                        },
                        analytic_ok,
                        unbounded,
                        analytic_ratio,
                        tolerance,
                        fd: fd_state,
                        fd_agrees_with_analytic,
                    });
                }
            }
        }

        // The map's Rust expression is built only for a failure report (it prints every
        // parameter: a 256×256 layer takes longer to print than to check).
        // 1. The analytic side is wrong where the dual reference is vouched for.
        let trusted_wrong = flagged.iter().filter(|e| {
            // A non-finite analytic entry against a finite reference is wrong whatever the
            // finite differences say (at a kink too: no one-sided derivative is NaN).
            (!e.witnesses.analytic.is_finite() && e.witnesses.dual.is_finite())
                || !e.analytic_ok
                    && !e.unbounded
                    && matches!(
                        e.fd,
                        FdState::Agree
                            | FdState::Noisy
                            | FdState::Refined
                            | FdState::Unavailable
                            | FdState::NotConverged
                    )
        });
        if let Some(worst) = trusted_wrong
            .clone()
            .max_by(|p, q| p.analytic_ratio.total_cmp(&q.analytic_ratio))
        {
            let w = worst.witnesses;
            let err = (w.analytic - w.dual).abs();
            return Err(CheckError::Mismatch(Box::new(Mismatch {
                quantity,
                direction: direction.cloned(),
                shape: (m, n),
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
                x: x.clone(),
                map_expr: f.rust_expr(),
            })));
        }
        // 2. The dual reference disagrees with finite differences at a smooth point.
        let eval_wrong = flagged.iter().filter(|e| e.fd == FdState::Disagree);
        if let Some(worst) = eval_wrong
            .clone()
            .max_by(|p, q| fd_gap(&p.witnesses).total_cmp(&fd_gap(&q.witnesses)))
        {
            return Err(CheckError::EvalDerivative(Box::new(EvalDerivative {
                quantity,
                direction: direction.cloned(),
                shape: (m, n),
                witnesses: worst.witnesses,
                analytic_agrees_with_fd: worst.fd_agrees_with_analytic,
                disagreeing_entries: eval_wrong.count(),
                x: x.clone(),
                map_expr: f.rust_expr(),
            })));
        }
        // 3. The analytic side disagrees only at non-smooth points, or where the rounding
        // cannot be bounded in f64.
        if let Some(worst) = flagged.iter().find(|e| !e.analytic_ok) {
            let (reason, one_sided) = match worst.fd {
                FdState::NonSmooth { forward, backward } => {
                    (NotJudgeable::NonSmooth, (forward, backward))
                }
                FdState::BranchBoundary { plus, minus } => {
                    (NotJudgeable::BranchBoundary, (plus, minus))
                }
                _ if worst.unbounded => (NotJudgeable::Unbounded, (f64::NAN, f64::NAN)),
                _ => (NotJudgeable::NonSmooth, (f64::NAN, f64::NAN)),
            };
            return Err(CheckError::CannotJudge(Box::new(CannotJudge {
                quantity,
                direction: direction.cloned(),
                reason,
                shape: (m, n),
                witnesses: worst.witnesses,
                one_sided,
                x: x.clone(),
            })));
        }

        evaluations.dual_evals += evaluations_nearby + evaluations_across;
        let mut notes = Vec::new();
        if precision_loss > 0 {
            notes.push(Note::PrecisionLoss {
                entries: precision_loss,
                worst_rel_error: worst_loss,
            });
        }
        if noisy > 0 {
            notes.push(Note::NoisyFiniteDifferences { entries: noisy });
        }
        if refined > 0 {
            notes.push(Note::RefinedStep { entries: refined });
        }
        if not_converged > 0 {
            notes.push(Note::FiniteDifferencesNotConverged {
                entries: not_converged,
            });
        }
        if fd_unavailable_cols > 0 {
            notes.push(Note::FiniteDifferencesUnavailable {
                columns: fd_unavailable_cols,
            });
        }
        if non_smooth_ok > 0 {
            notes.push(Note::NonSmooth {
                entries: non_smooth_ok,
            });
        }
        Ok(Agreement {
            quantity,
            shape: (m, n),
            worst_analytic,
            worst_rel_error,
            worst_fd,
            notes,
            evaluations,
        })
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

/// Dimensions of the map, and `x` checked against them.
pub(crate) fn validate_input<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
) -> Result<(usize, usize), CheckError> {
    let (n, m) = (f.input_dim(), f.output_dim());
    if n == 0 || m == 0 {
        return Err(CheckError::EmptyMap {
            input_dim: n,
            output_dim: m,
        });
    }
    if x.len() != n {
        return Err(CheckError::InputLength {
            expected: n,
            found: x.len(),
        });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CheckError::NonFiniteInput { index, value });
    }
    Ok((m, n))
}

/// `f(x)` in `f64`, checked for length and finiteness.
pub(crate) fn eval_f64<F: VectorFn + ?Sized>(
    f: &F,
    x: &DVector<f64>,
    m: usize,
) -> Result<DVector<f64>, CheckError> {
    checked_f64_output(f.eval::<f64>(x), m)
}

/// An `f64` evaluation `f0` checked for length `m` and finiteness (any evaluation of `f` at
/// `x`: a [`VectorFn`]'s or a black box's).
pub(crate) fn checked_f64_output(f0: DVector<f64>, m: usize) -> Result<DVector<f64>, CheckError> {
    if f0.len() != m {
        return Err(CheckError::EvalLength {
            expected: m,
            found: f0.len(),
            scalar: "f64",
        });
    }
    if let Some((index, &value)) = f0.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CheckError::NonFiniteEval { index, value });
    }
    Ok(f0)
}

/// `Δf_i` for every output: [`forward_error`] with `Σ_k |D_ik|·|x_k|` accumulated column by
/// column (nalgebra is column-major: no strided row walks).
fn forward_errors(f0: &DVector<f64>, dual: &DMatrix<f64>, x: &DVector<f64>) -> DVector<f64> {
    let mut sums = DVector::zeros(dual.nrows());
    for (col, xk) in dual.column_iter().zip(x.iter()) {
        let w = xk.abs();
        for (s, d) in sums.iter_mut().zip(col.iter()) {
            *s += d.abs() * w;
        }
    }
    DVector::from_fn(f0.len(), |i, _| forward_error(f0[i], sums[i], x.len()))
}

/// Norm-wise rounding of a Jacobian, in units of `ε·max|dual|`: a matrix computed by products
/// of factors and rank-one updates (a chain rule `J_L ⋯ J_1`, `I − 1pᵀ`, `diag(p) − ppᵀ`) is
/// accurate to a few roundings of its largest entries, not of each entry: an entry that
/// cancels to 0 (or to far below its neighbours) carries the error of the terms it cancelled
/// (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.5: `|ΔC| ≤ γ_n|A||B|`).
pub(crate) const MATRIX_ULPS: f64 = 8.0;

/// The running rounding bound enters the tolerance this many times: once for the reference,
/// once more for an analytic formula computed through terms of the same size.
pub(crate) const ROUNDING_SAFETY: f64 = 2.0;

/// Tolerance parts of one entry of a contracted view, resolved over the rows it contracts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowParts {
    pub(crate) relative: f64,
    pub(crate) sensitivity: f64,
    pub(crate) terms: f64,
}

/// A view whose single output contracts the rows of another map (`g = uᵀf`, whose gradient is
/// a VJP): the rounding of entry `j` of its gradient is that of the Jacobian entries `J_ij` it
/// sums, weighted by `|u_i|`, which the view's own second-order pass cannot see (it sees `g`'s
/// curvature, in which the rows' sensitivities can cancel).
pub(crate) trait RowResolved {
    /// The parts for column `j`, or `None` if the passes they need fail.
    fn column(&self, oracle: &Oracle, j: usize) -> Option<RowParts>;
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
