//! [`Oracle`]: the configured judge, and [`Oracle::check`], the three-witness check of an
//! analytic Jacobian.

use nalgebra::{DMatrix, DVector};

use crate::dual::{SecondOrderColumn, dual_jacobian, second_order_column};
use crate::fd::Stencil;
use crate::report::{
    Agreement, CannotJudge, EntryStat, EvalDerivative, Evaluations, Mismatch, NotJudgeable, Note,
    Quantity, Tolerance, Witnesses,
};
use crate::rounding::Bounded;
use crate::scalar::{AsVectorFn, GradientOf};
use crate::tolerance::{
    DEFAULT_ULPS, FD_SAFETY, SENSITIVITY_SAFETY, UNDERFLOW_FLOOR, forward_error,
};
use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, CheckError, VectorFn};

mod witness;

pub(crate) use witness::{Escalation, FdState, FdVerdict, WitnessEntry, WitnessInputs};

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
                        let entry = WitnessEntry {
                            i,
                            value: d,
                            delta: delta_f[i],
                            strict: false,
                        };
                        let (state, fdv) = self.fd_witness(
                            entry,
                            WitnessInputs {
                                first: s,
                                escalation: &mut escalation,
                                eval: &mut |p| eval(p),
                                x,
                                f0,
                                evaluations: &mut evaluations,
                                value_bound: &mut || value_bound(i),
                                dual_nearby: &mut || {
                                    nearby
                                        .get_or_insert_with(|| {
                                            evaluations_nearby += 2;
                                            dual_near(f, x, j)
                                        })
                                        .as_ref()
                                        .map(|(p, q)| (p[i], q[i]))
                                },
                                dual_across: &mut |h| {
                                    let samples = across.get_or_insert_with(|| {
                                        evaluations_across += ACROSS_SAMPLES;
                                        dual_across_stencil(f, x, j, h)
                                    });
                                    samples.as_ref().map(|cols| {
                                        cols.iter().fold(
                                            (f64::INFINITY, f64::NEG_INFINITY),
                                            |(lo, hi), c| (lo.min(c[i]), hi.max(c[i])),
                                        )
                                    })
                                },
                            },
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
                if !analytic_ok || !fd_state.vouches() {
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
                || !e.analytic_ok && !e.unbounded && e.fd.vouches()
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
