//! Black-box `f64` functions: a map that cannot be made generic over the scalar (it calls a C
//! library, say), with a hand-written Jacobian. Only one reference is left: finite
//! differences, with Richardson extrapolation, an error estimate and the escalation of
//! [`crate::fd`] (measured noise, larger and smaller steps, a one-sided kink test).
//!
//! **What it is held to.** The analytic entry is compared with the *most accurate* informative
//! finite-difference estimate (the step whose error estimate — its own, bounded by its
//! distance to the neighbouring steps — is smallest), not with any step that happens to agree:
//! with no second reference, a coarse step's loose estimate must not vouch for a wrong value.
//! It is wrong ([`CheckError::Mismatch`]) when it is outside `FD_SAFETY ×` that estimate and
//! the larger steps agree with the estimate; where no step resolves the derivative the entry
//! cannot be judged ([`NotJudgeable::NotConverged`]).
//!
//! **Then held to sharper differences.** Where the first witness agrees, the entry is held
//! again to adaptive Richardson differences ([`crate::fd::adaptive`], the numdifftools
//! approach): central differences at seven steps from an eighth of the coordinate's scale
//! down, each half the last, extrapolated to remove the `h²`, `h⁴` and `h⁶` terms, and the
//! extrapolant with the smallest error estimate (its distance to the next step's and to the
//! lower order's, plus the rounding carried through the extrapolation). The rounding of each
//! output is *measured* along `x_j` (the first stencil's `±2h` and six scattered points, as
//! the first witness's escalation does: `NOISE_SIGMAS·σ`, at least the model's `4ε|f_i|`), so
//! that what `exp` or a long sum amplifies is not mistaken for a derivative. The entry is wrong
//! when the sharper estimate is consistent with the first one, smaller than its estimate,
//! and the analytic entry is outside `FD_SAFETY ×` it (after the analytic side's measured
//! noise, as above).
//!
//! **What it can detect, and at what cost.** Measured on an 8×8 sigmoid layer
//! (`black_box_detection_threshold` in `tests/modes.rs`, one entry scaled by `1 + r`): every
//! entry caught at `r = 1e-10`, 57 of 64 at `1e-11`, 1 at `1e-12`, none at `1e-13` (the first
//! witness alone: every entry at `1e-6`, the median at `1e-8`, none at `1e-9`). The
//! evaluation budget per column: 2 for the first witness (more where it escalates),
//! then `2 + SCATTER_POINTS + 2·ADAPTIVE_STEPS = 22` for the measured rounding and the
//! adaptive steps — about `24n` evaluations of `f` for an `m×n` Jacobian, shared by its `m`
//! rows. Dual numbers, where `eval` can be generic, catch a relative error of `3e-14` in one
//! well-conditioned entry of the same kind of layer
//! (`relative_error_of_1e_10_in_one_entry_is_caught` in `tests/witnesses.rs`) at a fraction
//! of that cost.
//!
//! ```
//! use jacobian_oracle::{CheckError, Oracle};
//! use nalgebra::{DMatrix, DVector};
//!
//! // A map that only exists on f64 (think: a call into C), with its Jacobian diag(cos x).
//! let f = |x: &DVector<f64>| x.map(f64::sin);
//! let x = DVector::from_vec(vec![0.3, -1.2, 2.0]);
//! let right = DMatrix::from_diagonal(&x.map(f64::cos));
//! let agreement = Oracle::default().check_black_box(f, &right, &x).unwrap();
//! // Held to finite differences: there is no dual reference to speak of.
//! let text = agreement.to_string();
//! assert!(text.contains("analytic-vs-finite-difference error") && !text.contains("dual"), "{text}");
//!
//! // One entry off by one part in a million: caught from finite differences alone.
//! let mut wrong = right.clone();
//! wrong[(1, 1)] *= 1.0 + 1e-6;
//! let err = Oracle::default().check_black_box(f, &wrong, &x).unwrap_err();
//! let CheckError::Mismatch(m) = &err else { panic!("{err}") };
//! assert_eq!((m.witnesses.row, m.witnesses.col), (1, 1));
//! ```

use nalgebra::{DMatrix, DVector};

use crate::fd::{ADAPTIVE_STEPS, AdaptiveEstimate, Eval, SCATTER_POINTS, Stencil, adaptive};
use crate::noise::{NoiseCredit, Precision};
use crate::oracle::{AnalyticAt, FdVerdict, WitnessEntry, WitnessInputs, checked_f64_output};
use crate::report::{
    Agreement, CannotJudge, EntryStat, Evaluations, FiniteDifference, Mismatch, NotJudgeable, Note,
    Quantity, Tolerance, Witnesses,
};
use crate::tolerance::NOISE_SIGMAS;
use crate::{CheckError, Oracle};

impl Oracle {
    /// Checks the analytic Jacobian of a black-box `f64` function at `x` against finite
    /// differences alone (see the [module docs](crate::black_box) for what that can detect).
    ///
    /// ```
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // f(x) = (x₀ x₁, sin x₀), as an opaque closure.
    /// let f = |x: &DVector<f64>| DVector::from_vec(vec![x[0] * x[1], x[0].sin()]);
    /// let x: DVector<f64> = DVector::from_vec(vec![0.7, -1.5]);
    /// let right = DMatrix::from_row_slice(2, 2, &[x[1], x[0], x[0].cos(), 0.0]);
    /// Oracle::default().check_black_box(f, &right, &x).unwrap();
    /// let wrong = DMatrix::from_row_slice(2, 2, &[x[1], x[0], -x[0].cos(), 0.0]);
    /// assert!(matches!(Oracle::default().check_black_box(f, &wrong, &x), Err(CheckError::Mismatch(_))));
    /// ```
    ///
    /// # Errors
    ///
    /// [`CheckError::Mismatch`] where the analytic entry is outside the finite differences'
    /// error estimate and they have converged; [`CheckError::CannotJudge`] where `f` is not
    /// smooth near `x` or the finite differences cannot resolve the derivative; bad input
    /// (`x` empty or not finite, `f` of another length than the Jacobian's rows, the Jacobian
    /// not `m×n`) has its own variants.
    pub fn check_black_box(
        &self,
        f: impl Fn(&DVector<f64>) -> DVector<f64>,
        jacobian: &DMatrix<f64>,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.black_box(&f, jacobian, None, x)
    }

    /// [`Oracle::check_black_box`] with the analytic Jacobian as a function rather than a
    /// matrix: where an entry disagrees with the finite differences, the oracle measures the
    /// rounding noise of the analytic implementation itself at points up to 192 ulps from
    /// `x` ([`crate::noise`], 29 more calls of `jacobian`) and allows for it, as
    /// [`Oracle::check`] does. A Jacobian written through terms that cancel (an expanded
    /// polynomial from a computer-algebra system) is then not called wrong for its own
    /// rounding; with a fixed matrix there is nothing to probe.
    ///
    /// ```
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // f = (x − 1)⁶ as an opaque closure; its derivative as a CAS expands it, with terms of
    /// // 10⁶ that cancel near x = 11: 6x⁵ − 30x⁴ + 60x³ − 60x² + 30x − 6.
    /// let f = |x: &DVector<f64>| x.map(|t| (t - 1.0).powi(6));
    /// let expanded = |x: &DVector<f64>| {
    ///     let t = x[0];
    ///     let d = 6.0 * t.powi(5) - 30.0 * t.powi(4) + 60.0 * t.powi(3) - 60.0 * t * t + 30.0 * t - 6.0;
    ///     DMatrix::from_element(1, 1, d)
    /// };
    /// let x = DVector::from_vec(vec![1.01]);
    /// // As a fixed matrix, its rounding (1.4e-14 against an entry of 6e-10) is called wrong …
    /// let err = Oracle::default().check_black_box(f, &expanded(&x), &x).unwrap_err();
    /// assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
    /// // … as a function, its noise is measured at 24 points near x and allowed for.
    /// let agreement = Oracle::default().check_black_box_with(f, expanded, &x).unwrap();
    /// use jacobian_oracle::noise::{ANALYTIC_NOISE_PROBES, REPEATED_PROBES};
    /// assert_eq!(agreement.evaluations.analytic_evals, ANALYTIC_NOISE_PROBES + REPEATED_PROBES + 1);
    /// // A slip in one coefficient is smooth, not noise: still caught.
    /// let slipped = |x: &DVector<f64>| expanded(x).map(|d| d + 1e-6 * x[0].powi(5));
    /// let err = Oracle::default().check_black_box_with(f, slipped, &x).unwrap_err();
    /// assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Oracle::check_black_box`]; `x` is validated before `jacobian` is called, so an
    /// empty `x` is [`CheckError::EmptyMap`] with both dimensions 0 (the Jacobian's rows are
    /// not asked for).
    pub fn check_black_box_with(
        &self,
        f: impl Fn(&DVector<f64>) -> DVector<f64>,
        jacobian: impl Fn(&DVector<f64>) -> DMatrix<f64>,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        // x is validated before the Jacobian is asked for it.
        if x.is_empty() {
            return Err(CheckError::EmptyMap {
                input_dim: 0,
                output_dim: 0,
            });
        }
        if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(CheckError::NonFiniteInput { index, value });
        }
        let at_x = jacobian(x);
        self.black_box(&f, &at_x, Some(&jacobian), x)
    }

    /// The black-box check of `jacobian` (the analytic matrix at `x`), with the function that
    /// computes it when there is one (to measure its noise).
    fn black_box(
        &self,
        f: &dyn Fn(&DVector<f64>) -> DVector<f64>,
        jacobian: &DMatrix<f64>,
        analytic_at: Option<AnalyticAt<'_>>,
        x: &DVector<f64>,
    ) -> Result<Agreement, CheckError> {
        self.validate()?;
        let (m, n) = black_box_shape(jacobian, x)?;
        let f0 = checked_f64_output(f(x), m)?;
        let mut eval = |p: &DVector<f64>| f(p);
        // The rounding model of f: a few ulps of |f_i| (no Jacobian reference to propagate).
        let delta = f0.map(|v| crate::tolerance::OUTPUT_ULPS * f64::EPSILON * v.abs());
        let mut stats = BlackBoxStatistics::new();
        // The analytic side's noise, where it is given as a function. No dual reference to
        // check the premise of smoothness against: a disagreement reaches the measurement only
        // once the finite differences have converged at a step far larger than the probes'
        // span, which says the map is smooth at that scale.
        let mut noise = analytic_at
            .filter(|_| self.analytic_noise())
            .map(|a| NoiseCredit::new(x, Precision::F64, a, None, n));
        for j in 0..n {
            let first =
                Stencil::new_counted(&mut eval, x, j, &f0, &mut stats.evaluations.f64_evals);
            let Some(mut stencil) = first else {
                let w = witnesses(0, j, jacobian[(0, j)], None);
                stats.unjudged(w, NotJudgeable::NotConverged, (f64::NAN, f64::NAN));
                continue;
            };
            let mut escalation = None;
            // The sharper witness, once per column where an entry first agrees.
            let mut sharper: Option<Option<Vec<AdaptiveEstimate>>> = None;
            for i in 0..m {
                let a = jacobian[(i, j)];
                if !a.is_finite() {
                    stats.non_finite(i, &stencil, a, delta[i]);
                    continue;
                }
                // The witness compares finite differences with the analytic value itself.
                let mut entry = WitnessEntry {
                    i,
                    value: a,
                    delta: delta[i],
                    strict: true,
                    allowance: 0.0,
                };
                let mut witness = |entry: WitnessEntry, stats: &mut BlackBoxStatistics| {
                    self.fd_witness(
                        entry,
                        WitnessInputs {
                            first: &mut stencil,
                            escalation: &mut escalation,
                            eval: &mut eval,
                            x,
                            f0: &f0,
                            evaluations: &mut stats.evaluations,
                            value_bound: &mut || 0.0,
                            dual_nearby: &mut || None,
                            dual_across: &mut |_| None,
                        },
                    )
                };
                let (mut state, mut fd) = witness(entry, &mut stats);
                // A disagreement may be the analytic implementation's own rounding: measured
                // near x (once per check), it is allowed for, and the witness asked again (its
                // stencils are kept: no more evaluations of f).
                if let (FdVerdict::Disagree, Some(noise)) = (state.verdict(), noise.as_mut()) {
                    entry.allowance = noise.allowance(jacobian, (i, j), &mut stats.evaluations);
                    if entry.allowance > 0.0 {
                        (state, fd) = witness(entry, &mut stats);
                    }
                }
                let mut verdict = state.verdict();
                // Agreement with the first witness is tested again against adaptive
                // Richardson differences (`fd::adaptive`), far sharper where f is smooth on
                // the coordinate's own scale: where they are consistent with the first
                // estimate and sharper than it, the analytic entry is held to them.
                if let FdVerdict::Agree { .. } = verdict {
                    let column = sharper.get_or_insert_with(|| {
                        sharper_column(&mut eval, x, j, &f0, &delta, &mut stencil, &mut stats)
                    });
                    if let Some(e) = column.as_ref().map(|c| c[i])
                        && self.sharper_disagrees(e, a, &fd, entry.allowance)
                    {
                        // As above: the analytic side's own rounding, where measured.
                        if let Some(noise) = noise.as_mut() {
                            entry.allowance =
                                noise.allowance(jacobian, (i, j), &mut stats.evaluations);
                        }
                        if self.sharper_disagrees(e, a, &fd, entry.allowance) {
                            verdict = FdVerdict::Disagree;
                            fd = e.into();
                        }
                    }
                }
                let w = witnesses(i, j, a, Some(fd));
                stats.record(self, w, fd, entry.allowance, verdict);
            }
        }
        stats.verdict(self, x, (m, n))
    }

    /// Whether the adaptive estimate `e` holds the analytic entry `a` wrong: it is sharper
    /// than the first witness's estimate `fd`, consistent with it, and `a` is outside
    /// `FD_SAFETY ×` its error estimate (and the guard and `allowance`).
    fn sharper_disagrees(
        &self,
        e: AdaptiveEstimate,
        a: f64,
        fd: &FiniteDifference,
        allowance: f64,
    ) -> bool {
        let safety = self.fd_safety();
        let guard = self.ulps() * f64::EPSILON * a.abs() + f64::MIN_POSITIVE;
        let consistent =
            (e.value - fd.value).abs() <= safety * (e.error_estimate + fd.error_estimate) + guard;
        e.error_estimate < fd.error_estimate
            && consistent
            && (a - e.value).abs() > safety * e.error_estimate + guard + allowance
    }
}

impl From<AdaptiveEstimate> for FiniteDifference {
    /// The adaptive estimate as the report shows a finite difference (no noise measured at
    /// its own step).
    fn from(e: AdaptiveEstimate) -> Self {
        FiniteDifference {
            value: e.value,
            error_estimate: e.error_estimate,
            step: e.step,
            measured_noise: None,
        }
    }
}

/// Column `j`'s adaptive estimates ([`adaptive`]), with the rounding of each output measured
/// along `x_j` (the model's few ulps of `|f_i|` miss what `exp` or a long sum amplifies), as
/// the first witness measures it: its stencil's `±2h` and six scattered points, then the
/// steps of the adaptive sequence, all counted.
fn sharper_column(
    eval: &mut Eval<'_>,
    x: &DVector<f64>,
    j: usize,
    f0: &DVector<f64>,
    delta: &DVector<f64>,
    stencil: &mut Stencil,
    stats: &mut BlackBoxStatistics,
) -> Option<Vec<AdaptiveEstimate>> {
    let before = (stencil.has(2), stencil.has(-2));
    let measured = stencil
        .extend(eval, x, &[-2, 2])
        .and_then(|()| stencil.scatter(eval, x));
    stats.evaluations.f64_evals +=
        usize::from(!before.0) + usize::from(!before.1) + SCATTER_POINTS + 2 * ADAPTIVE_STEPS;
    measured?;
    let rounding = DVector::from_fn(f0.len(), |i, _| {
        delta[i].max(NOISE_SIGMAS * stencil.residual_noise(i))
    });
    adaptive(eval, x, j, f0, &rounding)
}

/// The shape `(m, n)` of a black box's check: `x` must be non-empty and finite, and the
/// Jacobian `m×n` with `m > 0`.
fn black_box_shape(
    jacobian: &DMatrix<f64>,
    x: &DVector<f64>,
) -> Result<(usize, usize), CheckError> {
    let n = x.len();
    let m = jacobian.nrows();
    if n == 0 || m == 0 {
        return Err(CheckError::EmptyMap {
            input_dim: n,
            output_dim: m,
        });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(CheckError::NonFiniteInput { index, value });
    }
    if jacobian.ncols() != n {
        return Err(CheckError::AnalyticShape {
            expected: (m, n),
            found: jacobian.shape(),
        });
    }
    Ok((m, n))
}

/// What a black box's check has seen so far.
struct BlackBoxStatistics {
    evaluations: Evaluations,
    /// The agreeing entry closest to its bound.
    worst: Option<EntryStat>,
    /// The wrong entries: witnesses, gap, the error estimate it was held to, and the measured
    /// noise of the analytic entry allowed for.
    wrong: Vec<(Witnesses, f64, f64, f64)>,
    /// Entries that agreed only after escalation.
    escalated: usize,
    /// Entries that agreed only once the analytic side's measured noise was allowed for.
    noise_only: usize,
    /// The first entry that cannot be judged, why, and its one-sided differences.
    unjudged: Option<(Witnesses, NotJudgeable, (f64, f64))>,
}

impl BlackBoxStatistics {
    fn new() -> BlackBoxStatistics {
        BlackBoxStatistics {
            evaluations: Evaluations {
                f64_evals: 1,
                ..Evaluations::default()
            },
            worst: None,
            wrong: Vec::new(),
            escalated: 0,
            noise_only: 0,
            unjudged: None,
        }
    }

    /// Keeps the first entry that cannot be judged.
    fn unjudged(&mut self, w: Witnesses, reason: NotJudgeable, one_sided: (f64, f64)) {
        self.unjudged.get_or_insert((w, reason, one_sided));
    }

    /// A non-finite analytic entry is wrong wherever f's first difference is finite (no
    /// comparison with it can hold).
    fn non_finite(&mut self, i: usize, stencil: &Stencil, a: f64, delta_i: f64) {
        let d1 = stencil.central(i, 1);
        let fd = FiniteDifference {
            value: d1,
            error_estimate: delta_i / stencil.h,
            step: stencil.h,
            measured_noise: None,
        };
        let w = witnesses(i, stencil.j, a, Some(fd));
        if d1.is_finite() {
            self.wrong.push((w, f64::INFINITY, fd.error_estimate, 0.0));
        } else {
            self.unjudged(w, NotJudgeable::NotConverged, (f64::NAN, f64::NAN));
        }
    }

    /// Records the witness's verdict on the analytic entry of `w` (`fd`: its estimate;
    /// `allowance`: the measured noise of the analytic entry allowed for).
    fn record(
        &mut self,
        oracle: &Oracle,
        w: Witnesses,
        fd: FiniteDifference,
        allowance: f64,
        verdict: FdVerdict,
    ) {
        let a = w.analytic;
        let gap = (fd.value - a).abs();
        match verdict {
            FdVerdict::Agree { escalated: e } => {
                self.escalated += usize::from(e);
                // The witness is asked again with the allowance only after it disagreed.
                self.noise_only += usize::from(allowance > 0.0);
                let stat = EntryStat {
                    row: w.row,
                    col: w.col,
                    abs_error: gap,
                    // What agreement allowed: the estimate with its safety factor, and
                    // the witness's guard of a few ulps (and the analytic noise).
                    bound: oracle.fd_safety() * fd.error_estimate
                        + oracle.ulps() * f64::EPSILON * a.abs()
                        + f64::MIN_POSITIVE
                        + allowance,
                };
                if self.worst.is_none_or(|s| stat.ratio() > s.ratio()) {
                    self.worst = Some(stat);
                }
            }
            FdVerdict::Disagree => self.wrong.push((w, gap, fd.error_estimate, allowance)),
            FdVerdict::NonSmooth { forward, backward } => {
                self.unjudged(w, NotJudgeable::NonSmooth, (forward, backward));
            }
            FdVerdict::NoVerdict => {
                self.unjudged(w, NotJudgeable::NotConverged, (f64::NAN, f64::NAN));
            }
        }
    }

    /// The verdict: the worst wrong entry, else the first that cannot be judged, else the
    /// agreement.
    fn verdict(
        self,
        oracle: &Oracle,
        x: &DVector<f64>,
        shape: (usize, usize),
    ) -> Result<Agreement, CheckError> {
        if let Some(mismatch) = self.mismatch(oracle, x, shape) {
            return Err(mismatch);
        }
        if let Some((w, reason, one_sided)) = self.unjudged {
            return Err(CheckError::CannotJudge(Box::new(CannotJudge {
                direction: None,
                reason,
                quantity: Quantity::BlackBox,
                shape,
                witnesses: w,
                one_sided,
                x: x.clone(),
            })));
        }
        Ok(self.agreement(shape))
    }

    /// The worst wrong entry (largest gap over its estimate) as a mismatch.
    fn mismatch(
        &self,
        oracle: &Oracle,
        x: &DVector<f64>,
        shape: (usize, usize),
    ) -> Option<CheckError> {
        let (w, gap, estimate, noise) = self
            .wrong
            .iter()
            .max_by(|p, q| {
                let ratio = |e: &(Witnesses, f64, f64, f64)| e.1 / (oracle.fd_safety() * e.2 + e.3);
                ratio(p).total_cmp(&ratio(q))
            })
            .cloned()?;
        let tolerance = oracle.fd_safety() * estimate;
        Some(CheckError::Mismatch(Box::new(Mismatch {
            direction: None,
            quantity: Quantity::BlackBox,
            shape,
            witnesses: w,
            abs_error: gap,
            rel_error: if w.analytic.is_finite() && w.analytic != 0.0 {
                gap / w.analytic.abs()
            } else {
                f64::INFINITY
            },
            tolerance: Tolerance {
                total: tolerance + noise,
                relative: 0.0,
                matrix: 0.0,
                sensitivity: 0.0,
                terms: tolerance,
                analytic_noise: noise,
                floor: 0.0,
            },
            wrong_entries: self.wrong.len(),
            x: x.clone(),
            map_expr: None,
        })))
    }

    /// The agreement of a passing check.
    fn agreement(self, shape: (usize, usize)) -> Agreement {
        let mut notes = Vec::new();
        if self.escalated > 0 {
            notes.push(Note::RefinedStep {
                entries: self.escalated,
            });
        }
        if self.noise_only > 0 {
            notes.push(Note::AnalyticNoise {
                entries: self.noise_only,
            });
        }
        Agreement {
            quantity: Quantity::BlackBox,
            shape,
            worst_analytic: self.worst.unwrap_or(EntryStat {
                row: 0,
                col: 0,
                abs_error: 0.0,
                bound: f64::MIN_POSITIVE,
            }),
            worst_rel_error: 0.0,
            worst_fd: self.worst,
            notes,
            evaluations: self.evaluations,
        }
    }
}

fn witnesses(row: usize, col: usize, analytic: f64, fd: Option<FiniteDifference>) -> Witnesses {
    Witnesses {
        row,
        col,
        analytic,
        dual: f64::NAN,
        finite_difference: fd,
    }
}
