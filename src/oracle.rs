//! [`Oracle`]: the configured judge, and [`Oracle::check`], the three-witness check of an
//! analytic Jacobian.
//!
//! Every check of a Jacobian-shaped quantity ends in `Oracle::judge` ([`judge`]: the
//! tolerance of each entry built part by part, the statistics, the verdict), which asks the
//! finite-difference witness ([`witness`]: a small state machine) about each entry.

use nalgebra::{DMatrix, DVector};

use crate::dual::dual_jacobian;
use crate::report::{Agreement, Evaluations, Quantity};
use crate::scalar::{AsVectorFn, GradientOf};
use crate::tolerance::{DEFAULT_ULPS, FD_SAFETY, SENSITIVITY_SAFETY};
use crate::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, CheckError, VectorFn};

mod directions;
mod judge;
mod witness;

pub(crate) use witness::{FdVerdict, WitnessEntry, WitnessInputs};

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
    directional_witness: bool,
    analytic_noise: bool,
    full_statistics: bool,
}

impl Default for Oracle {
    fn default() -> Self {
        Oracle {
            ulps: DEFAULT_ULPS,
            sensitivity_safety: SENSITIVITY_SAFETY,
            fd_safety: FD_SAFETY,
            finite_differences: true,
            directional_witness: true,
            analytic_noise: true,
            full_statistics: false,
        }
    }
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

    /// Chooses how finite differences vouch for the dual reference (default: along
    /// directions). Along directions (the directional witness): central differences along 3
    /// signed random directions, compared with the dual reference's
    /// products, vouch for every column at once — 6 evaluations instead of `2n`, so the full
    /// check costs less than the cheapest central-difference Jacobian. Where a direction
    /// disagrees (or cannot be computed), and for every entry the analytic side fails, the
    /// per-column witness runs as before: it names the column of an `eval` that is not
    /// differentiated correctly, tells kinks and branch boundaries apart, and gives a failing
    /// entry its own finite difference. `false` runs the per-column witness on every column
    /// (`2n` evaluations and more; every entry's finite-difference statistics).
    ///
    /// The comparison, exactly: along `v_p` = [`crate::modes::direction`]`(n,
    /// `[`crate::modes::WITNESS_SEED`]` + p, Some(x))`, `p = 0, 1, 2` (taken only where
    /// `n > 3`), the dual product `(D v_p)_i` (summed column by column) is held against the
    /// differences of `t ↦ f(x + t·v_p)` at the default step `h = `[`crate::fd::step`]`(0)`:
    /// the central difference within `fd_safety·δ_i/h + g_i + a_i`, else Richardson's value
    /// with `±2h` within `fd_safety·e_i + g_i + a_i`, `e_i` its truncation estimate plus
    /// `1.5·δ_i/h`. Here `δ_i = `[`crate::tolerance::forward_error`]`(f_i, Σ_k |D_ik|·|x_k|, n)`
    /// is the rounding of `f_i`, `g_i = ulps·ε·|(D v_p)_i| + `[`crate::tolerance::UNDERFLOW_FLOOR`]
    /// the guard, and `a_i = n·ε·Σ_k |D_ik|·max_p |v_pk|` the products' own rounding. A
    /// passing check's [`crate::Agreement::worst_fd`] is then the comparison with the largest
    /// `|difference − (D v_p)_i| / (estimate + (g_i + a_i)/fd_safety)` (`col` 0; the first of
    /// equal ratios, direction by direction, row by row), the estimate being `δ_i/h` for the
    /// central difference.
    ///
    /// ```
    /// use jacobian_oracle::Oracle;
    /// use jacobian_oracle::catalogue::SigmoidLayer;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let layer = SigmoidLayer::new(DMatrix::from_fn(8, 8, |i, j| ((i * 3 + j * 5) % 7) as f64 / 4.0 - 0.75));
    /// let x = DVector::from_fn(8, |j, _| j as f64 / 8.0 - 0.5);
    /// let along = Oracle::default().check(&layer, &x).unwrap();
    /// let per_column = Oracle::default().with_directional_witness(false).check(&layer, &x).unwrap();
    /// // 1 + 6 evaluations of f against 1 + 2n = 17.
    /// assert!(along.evaluations.f64_evals < per_column.evaluations.f64_evals);
    /// assert!(!Oracle::default().with_directional_witness(false).directional_witness());
    /// ```
    #[must_use]
    pub fn with_directional_witness(mut self, on: bool) -> Self {
        self.directional_witness = on;
        self
    }

    /// Whether finite differences vouch for the dual reference along directions first (see
    /// [`Oracle::with_directional_witness`]).
    ///
    /// ```
    /// assert!(jacobian_oracle::Oracle::default().directional_witness());
    /// ```
    #[must_use]
    pub fn directional_witness(&self) -> bool {
        self.directional_witness
    }

    /// Turns the measured noise of the analytic side on or off (default on): for entries
    /// outside every other part of their tolerance, the oracle evaluates the analytic
    /// derivative at points up to 192 ulps from `x` and allows for its own rounding noise
    /// ([`crate::noise`]). Off, an analytic formula must be as accurate as the rounding of
    /// `eval` explains — a derivative expanded into terms that cancel (as a computer-algebra
    /// system prints it) is then flagged for its rounding alone.
    ///
    /// ```
    /// let strict = jacobian_oracle::Oracle::default().with_analytic_noise(false);
    /// assert!(!strict.analytic_noise());
    /// assert!(jacobian_oracle::Oracle::default().analytic_noise());
    /// ```
    #[must_use]
    pub fn with_analytic_noise(mut self, on: bool) -> Self {
        self.analytic_noise = on;
        self
    }

    /// Whether the analytic side's noise is measured (see [`Oracle::with_analytic_noise`]).
    ///
    /// ```
    /// assert!(jacobian_oracle::Oracle::default().analytic_noise());
    /// ```
    #[must_use]
    pub fn analytic_noise(&self) -> bool {
        self.analytic_noise
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
    /// columns each) and 6 `f64` evaluations when central differences along 3 directions
    /// agree with the dual reference (12 when Richardson is needed): less than the `2n`
    /// evaluations of the cheapest central-difference Jacobian (see
    /// [`Oracle::with_directional_witness`]). Otherwise, and for the columns of entries the
    /// analytic side fails, the per-column witness: `2n` evaluations (`4n` with Richardson),
    /// and for entries that do not agree at once, once per column, the finite-difference
    /// escalation — stencils at eight other steps with scatter points for their noise, and the
    /// kink test (126 evaluations per column at most). Entries outside the ulps and norm-wise
    /// parts cost a second-order dual pass per column (the rounding-sensitivity and terms
    /// parts); an entry still outside every other part of its tolerance costs, once per check,
    /// 29 analytic Jacobians and 25 dual passes per column: the probes that measure the
    /// analytic side's own rounding noise ([`crate::noise`]).
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
        // The analytic side's noise is measured on the analytic matrix itself near x, and
        // the smoothness of the exact reference there on dual columns.
        let analytic = |p: &DVector<f64>| f.jacobian(p);
        let reference = |p: &DVector<f64>, j: usize| crate::dual::dual_column(f, p, j);
        let probe = Probe {
            at: x,
            analytic: &analytic,
            reference: &reference,
        };
        let directions = direction.map_or(Directions::Axes, Directions::One);
        self.check_with_reference(f, x, f0, None, quantity, directions, None, probe)
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
        directions: Directions<'_>,
        rows: Option<&dyn RowResolved>,
        probe: Probe<'_>,
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
            analytic_evals: 0,
        };
        self.judge(
            f,
            x,
            &f0,
            &analytic,
            &reference,
            evaluations,
            quantity,
            directions,
            rows,
            probe,
        )
    }
}

/// What a view differentiates along, for the underflow floor of its entries and for the
/// `direction` its failures report.
#[derive(Clone, Copy)]
pub(crate) enum Directions<'a> {
    /// The coordinate axes: a Jacobian, gradient or Hessian.
    Axes,
    /// One direction for every entry: the `v` of a JVP, the `u` of a VJP.
    One(&'a DVector<f64>),
    /// One direction per column: column `p` of a projection view is `J·v_p`.
    PerColumn(&'a DMatrix<f64>),
}

impl Directions<'_> {
    /// The direction of column `j`'s entries, if any.
    pub(crate) fn of_column(self, j: usize) -> Option<DVector<f64>> {
        match self {
            Directions::Axes => None,
            Directions::One(d) => Some(d.clone()),
            Directions::PerColumn(v) => Some(v.column(j).clone_owned()),
        }
    }
}

/// Where the judge measures the noise of the analytic side ([`crate::noise`]): the analytic
/// matrix under test and the exact reference as functions of the point, and the point they
/// were computed at. For a view, that is the map's `x`, not the view's own input (a JVP's view
/// is `t ↦ f(x + tv)` at `t = 0`; its analytic column is `f.jvp(·, v)` near `x`).
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    /// The point the analytic matrix was computed at.
    pub(crate) at: &'a DVector<f64>,
    /// The analytic matrix at a point near it.
    pub(crate) analytic: AnalyticAt<'a>,
    /// Column `j` of the exact reference at a point near it.
    pub(crate) reference: crate::noise::ReferenceAt<'a>,
}

/// The analytic matrix under test as a function of the point.
pub(crate) type AnalyticAt<'a> = &'a dyn Fn(&DVector<f64>) -> DMatrix<f64>;

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
    /// The passes of `eval` made once for all columns so far (counted by the caller in
    /// [`crate::report::Evaluations::second_order_evals`]; each column's own pass is counted
    /// where it is asked for).
    fn shared_passes(&self) -> usize;
}
