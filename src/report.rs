//! What a check reports: an [`Agreement`] on success, and for each kind of failure the
//! entry, the values of the three witnesses, the errors, the tolerance and why, the input,
//! and a paste-ready Rust snippet that reproduces it.
//!
//! ```
//! use jacobian_oracle::catalogue::Softmax;
//! use jacobian_oracle::mutants::{SoftmaxMutant, SoftmaxMutantKind};
//! use jacobian_oracle::{CheckError, Oracle};
//! use nalgebra::DVector;
//!
//! let x = DVector::from_vec(vec![0.5, -1.0, 2.0]);
//! // Success: how close the worst entry came to its tolerance, and what was noted.
//! let agreement = Oracle::default().check(&Softmax::new(3), &x).unwrap();
//! assert!(agreement.worst_analytic.ratio() < 1.0);
//! assert_eq!(agreement.shape, (3, 3));
//!
//! // Failure: the entry, the three witnesses and a snippet that reproduces it.
//! let wrong = SoftmaxMutant::new(SoftmaxMutantKind::DiagonalOnly, 3);
//! let Err(CheckError::Mismatch(m)) = Oracle::default().check(&wrong, &x) else { panic!() };
//! assert_eq!(m.wrong_entries, 9); // −ppᵀ touches every entry, the diagonal too
//! assert!(m.abs_error > m.tolerance.total);
//! assert!(m.snippet().contains("DVector::from_vec(vec![0.5, -1.0, 2.0])"));
//! ```

use std::fmt;

use nalgebra::DVector;

/// What was checked: a Jacobian ([`Oracle::check`](crate::Oracle::check)), a gradient
/// ([`Oracle::check_gradient`](crate::Oracle::check_gradient)) or a Hessian
/// ([`Oracle::check_hessian`](crate::Oracle::check_hessian)). Reports name their entries
/// accordingly.
///
/// ```
/// use jacobian_oracle::report::Quantity;
/// assert_eq!(Quantity::Hessian.entry(0, 1), "∂²f/∂x_0∂x_1");
/// assert_eq!(Quantity::Gradient.entry(0, 2), "∂f/∂x_2");
/// assert_eq!(Quantity::Jacobian.entry(1, 2), "∂f_1/∂x_2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Quantity {
    /// The `m×n` Jacobian of a [`VectorFn`](crate::VectorFn).
    Jacobian,
    /// The gradient of a [`ScalarFn`](crate::ScalarFn), as a `1×n` row.
    Gradient,
    /// The `n×n` Hessian of a [`ScalarFn`](crate::ScalarFn).
    Hessian,
    /// A Jacobian-vector product `Jv` (an `m×1` column), from
    /// [`AnalyticJvp`](crate::AnalyticJvp).
    Jvp,
    /// A vector-Jacobian product `uᵀJ` (a `1×n` row), from
    /// [`AnalyticVjp`](crate::AnalyticVjp).
    Vjp,
    /// An `m×n` Jacobian computed in `f32`
    /// ([`AnalyticJacobianF32`](crate::AnalyticJacobianF32)), held to
    /// tolerances in units of `f32::EPSILON`.
    JacobianF32,
    /// The Jacobian of a black-box `f64` function, checked against finite differences only
    /// ([`Oracle::check_black_box`](crate::Oracle::check_black_box)).
    BlackBox,
}

impl Quantity {
    /// `"Jacobian"`, `"gradient"`, `"Hessian"`, `"JVP"`, `"VJP"`, `"f32 Jacobian"` or
    /// `"black-box Jacobian"`.
    ///
    /// ```
    /// use jacobian_oracle::report::Quantity;
    /// assert_eq!(Quantity::Jacobian.noun(), "Jacobian");
    /// assert_eq!(Quantity::Vjp.noun(), "VJP");
    /// assert_eq!(Quantity::JacobianF32.noun(), "f32 Jacobian");
    /// ```
    #[must_use]
    pub fn noun(self) -> &'static str {
        match self {
            Quantity::Jacobian => "Jacobian",
            Quantity::Gradient => "gradient",
            Quantity::Hessian => "Hessian",
            Quantity::Jvp => "JVP",
            Quantity::Vjp => "VJP",
            Quantity::JacobianF32 => "f32 Jacobian",
            Quantity::BlackBox => "black-box Jacobian",
        }
    }

    /// The derivative at entry `(row, col)`, in Leibniz notation.
    ///
    /// ```
    /// use jacobian_oracle::report::Quantity;
    /// assert_eq!(Quantity::Jvp.entry(1, 0), "(Jv)_1"); // a JVP is an m×1 column
    /// assert_eq!(Quantity::Vjp.entry(0, 3), "(uᵀJ)_3"); // a VJP is a 1×n row
    /// ```
    #[must_use]
    pub fn entry(self, row: usize, col: usize) -> String {
        match self {
            Quantity::Jacobian => format!("∂f_{row}/∂x_{col}"),
            Quantity::Gradient => format!("∂f/∂x_{col}"),
            Quantity::Hessian => format!("∂²f/∂x_{row}∂x_{col}"),
            Quantity::Jvp => format!("(Jv)_{row}"),
            Quantity::Vjp => format!("(uᵀJ)_{col}"),
            Quantity::JacobianF32 | Quantity::BlackBox => format!("∂f_{row}/∂x_{col}"),
        }
    }

    /// The unit roundoff and smallest normal number of the analytic side: `f32`'s for
    /// [`Quantity::JacobianF32`], `f64`'s otherwise.
    ///
    /// ```
    /// use jacobian_oracle::report::Quantity;
    /// assert_eq!(Quantity::Jacobian.precision(), (f64::EPSILON, f64::MIN_POSITIVE));
    /// let (eps, tiny) = Quantity::JacobianF32.precision();
    /// assert_eq!((eps, tiny), (f32::EPSILON as f64, f32::MIN_POSITIVE as f64));
    /// ```
    #[must_use]
    pub fn precision(self) -> (f64, f64) {
        match self {
            Quantity::JacobianF32 => (f64::from(f32::EPSILON), f64::from(f32::MIN_POSITIVE)),
            _ => (f64::EPSILON, f64::MIN_POSITIVE),
        }
    }

    /// The [`Oracle`](crate::Oracle) method that checks it.
    ///
    /// ```
    /// use jacobian_oracle::report::Quantity;
    /// assert_eq!(Quantity::Hessian.method(), "check_hessian");
    /// assert_eq!(Quantity::JacobianF32.method(), "check_f32");
    /// ```
    #[must_use]
    pub fn method(self) -> &'static str {
        match self {
            Quantity::Jacobian => "check",
            Quantity::Gradient => "check_gradient",
            Quantity::Hessian => "check_hessian",
            Quantity::Jvp => "check_jvp",
            Quantity::Vjp => "check_vjp",
            Quantity::JacobianF32 => "check_f32",
            Quantity::BlackBox => "check_black_box",
        }
    }
}

/// The finite-difference witness at one entry.
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let m = LayerMutant::new(LayerMutantKind::SignError, DMatrix::from_row_slice(1, 1, &[2.0]));
/// let Err(CheckError::Mismatch(report)) = Oracle::default().check(&m, &DVector::from_vec(vec![0.25])) else {
///     panic!("the sign error is caught")
/// };
/// // The finite-difference witness of the worst entry vouches for the dual value, within
/// // a bound derived from its own error estimate.
/// let fd = report.witnesses.finite_difference.unwrap();
/// assert!(fd.step > 0.0 && fd.error_estimate >= 0.0);
/// assert!((fd.value - report.witnesses.dual).abs() <= 4.0 * fd.error_estimate + 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FiniteDifference {
    /// Richardson-extrapolated central difference.
    pub value: f64,
    /// Its error estimate: Richardson's truncation estimate plus the rounding (noise) term.
    pub error_estimate: f64,
    /// The step `h` used for this column.
    pub step: f64,
    /// Noise of `f_i` along `x_j`, when it was measured (only for entries where the first
    /// estimate did not explain the disagreement).
    pub measured_noise: Option<f64>,
}

/// The three witnesses at one Jacobian entry `(row, col)`.
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let m = LayerMutant::new(LayerMutantKind::SignError, DMatrix::from_row_slice(1, 1, &[2.0]));
/// let Err(CheckError::Mismatch(report)) = Oracle::default().check(&m, &DVector::from_vec(vec![0.25])) else {
///     panic!("the sign error is caught")
/// };
/// let w = report.witnesses;
/// assert_eq!((w.row, w.col), (0, 0));
/// assert_eq!(w.analytic, -w.dual); // the sign error, exactly
/// assert!(w.to_string().contains("dual (forward AD)"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Witnesses {
    /// Output index `i`.
    pub row: usize,
    /// Input index `j`.
    pub col: usize,
    /// The hand-written value.
    pub analytic: f64,
    /// The dual-number (forward-mode AD) value of `eval`'s derivative.
    pub dual: f64,
    /// The finite-difference value, when it could be computed (`None` when `x ± h` or
    /// `f(x ± h)` overflows, or finite differences are turned off).
    pub finite_difference: Option<FiniteDifference>,
}

impl fmt::Display for Witnesses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  analytic           = {:+.17e}", self.analytic)?;
        if self.dual.is_nan() {
            writeln!(
                f,
                "  dual (forward AD)  = not used (a black box: finite differences only)"
            )?;
        } else {
            writeln!(f, "  dual (forward AD)  = {:+.17e}", self.dual)?;
        }
        match &self.finite_difference {
            Some(fd) => {
                write!(
                    f,
                    "  finite difference  = {:+.17e} ± {:.2e} (Richardson, h = {:.3e}",
                    fd.value, fd.error_estimate, fd.step
                )?;
                if let Some(noise) = fd.measured_noise {
                    write!(f, ", measured noise of f {noise:.2e}")?;
                }
                writeln!(f, ")")
            }
            None => writeln!(
                f,
                "  finite difference  = unavailable (x ± h or f(x ± h) overflows)"
            ),
        }
    }
}

/// The tolerance an analytic entry was held to, and where each part comes from.
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use nalgebra::{DMatrix, DVector};
///
/// let m = LayerMutant::new(LayerMutantKind::SignError, DMatrix::from_row_slice(1, 1, &[2.0]));
/// let Err(CheckError::Mismatch(report)) = Oracle::default().check(&m, &DVector::from_vec(vec![0.25])) else {
///     panic!("the sign error is caught")
/// };
/// let t = report.tolerance;
/// // The parts add up to the total (to 1e-12 relative to it), and the error is far outside it.
/// let parts = t.relative + t.matrix + t.sensitivity + t.terms + t.analytic_noise + t.floor;
/// assert!((parts - t.total).abs() <= 1e-12 * t.total);
/// assert_eq!(t.floor, f64::MIN_POSITIVE);
/// assert!(report.abs_error > 1e6 * t.total);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// The total: `relative + matrix + sensitivity + terms + analytic_noise + floor`.
    pub total: f64,
    /// `ulps · ε · |dual|`: rounding of a well-conditioned entry on both sides.
    pub relative: f64,
    /// `8 · ε · max|dual|` over the whole matrix: the norm-wise rounding of a matrix computed by
    /// products and rank-one updates, for entries that cancel to far below their neighbours.
    pub matrix: f64,
    /// `safety · |∂²f_i/∂x_j² / ∂f_i/∂x_j| · Δf_i`: what the rounding error `Δf_i` of the
    /// computed output does to an entry derived from it (the textbook `z(1−z)` in saturation).
    /// Zero when it was not needed.
    pub sensitivity: f64,
    /// `2 ·` the running rounding bound of the reference entry ([`crate::rounding`]): `ε` times
    /// the terms it was computed through, as large as the rounding of an analytic formula
    /// computed through the same large, cancelling terms (an expanded polynomial's second
    /// derivative, a gradient summed over samples). Zero when it was not needed.
    pub terms: f64,
    /// `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ` (16σ), `σ` the rounding noise of the
    /// *analytic* entry measured at points up to 192 ulps from `x` ([`crate::noise`]): the
    /// implementation's own rounding, which nothing about `eval` can predict (a derivative
    /// pasted from a computer-algebra system, expanded into terms that cancel). Zero when it
    /// was not needed, or where the analytic value does not jitter.
    pub analytic_noise: f64,
    /// `f64::MIN_POSITIVE`: below the smallest normal number there is no relative precision.
    pub floor: f64,
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.3e} = {:.3e} (ulps·ε·|dual|) + {:.3e} (8ε·max|dual|) + {:.3e} (rounding \
             sensitivity of f) + {:.3e} (rounding of the reference's terms) + {:.3e} (measured \
             noise of the analytic side) + {:.1e} (underflow floor)",
            self.total,
            self.relative,
            self.matrix,
            self.sensitivity,
            self.terms,
            self.analytic_noise,
            self.floor
        )
    }
}

/// A wrong analytic Jacobian: the worst entry, and how many entries are wrong.
///
/// ```
/// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
/// use jacobian_oracle::{CheckError, Oracle};
/// use jacobian_oracle::report::Quantity;
/// use nalgebra::{DMatrix, DVector};
///
/// // σ'_{i+1} W_ij: a wrong row index; with two rows both rows are wrong.
/// let m = LayerMutant::new(LayerMutantKind::ShiftedRow, DMatrix::from_row_slice(2, 1, &[1.0, -2.0]));
/// let x = DVector::from_vec(vec![0.5]);
/// let Err(CheckError::Mismatch(report)) = Oracle::default().check(&m, &x) else { panic!() };
/// assert_eq!(report.quantity, Quantity::Jacobian);
/// assert_eq!(report.shape, (2, 1));
/// assert_eq!(report.wrong_entries, 2);
/// assert_eq!(report.x, x);
/// assert!(report.abs_error > report.tolerance.total);
/// assert!(report.to_string().starts_with("the analytic Jacobian is wrong"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// The direction `v` of a JVP or `u` of a VJP the failure was found along (`None` for a
    /// Jacobian, gradient or Hessian).
    pub direction: Option<DVector<f64>>,
    /// What was checked.
    pub quantity: Quantity,
    /// The shape of the checked matrix (`output_dim × input_dim` for a Jacobian, `1×n` for a
    /// gradient, `n×n` for a Hessian).
    pub shape: (usize, usize),
    /// The worst entry (largest error relative to its tolerance).
    pub witnesses: Witnesses,
    /// `|analytic − dual|`.
    pub abs_error: f64,
    /// `|analytic − dual| / |dual|` (infinite when dual is 0).
    pub rel_error: f64,
    /// The tolerance at that entry.
    pub tolerance: Tolerance,
    /// How many entries exceed their tolerance.
    pub wrong_entries: usize,
    /// The input `x`.
    pub x: DVector<f64>,
    /// A Rust expression rebuilding the map ([`VectorFn::rust_expr`](crate::VectorFn::rust_expr)).
    pub map_expr: Option<String>,
}

impl Mismatch {
    /// A paste-ready Rust snippet that reproduces this failure.
    ///
    /// ```
    /// use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
    /// use jacobian_oracle::{CheckError, Oracle};
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// let m = LayerMutant::new(LayerMutantKind::SignError, DMatrix::from_row_slice(1, 1, &[1.0]));
    /// let Err(CheckError::Mismatch(report)) = Oracle::default().check(&m, &DVector::from_vec(vec![0.5])) else {
    ///     panic!()
    /// };
    /// // The snippet rebuilds the mutant and x with full paths and runs the same check.
    /// let s = report.snippet();
    /// assert!(s.contains("jacobian_oracle::mutants::LayerMutant::new("));
    /// assert!(s.contains("let x = nalgebra::DVector::from_vec(vec![0.5]);"));
    /// assert!(s.contains("jacobian_oracle::Oracle::default().check(&f, &x)"));
    /// ```
    #[must_use]
    pub fn snippet(&self) -> String {
        snippet(
            self.map_expr.as_deref(),
            &self.x,
            self.quantity,
            self.direction.as_ref(),
        )
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.witnesses;
        let noun = self.quantity.noun();
        writeln!(
            f,
            "the analytic {noun} is wrong: entry ({}, {}) of the {}×{} {noun} ({}); \
             {} of {} entries exceed their tolerance",
            w.row,
            w.col,
            self.shape.0,
            self.shape.1,
            self.quantity.entry(w.row, w.col),
            self.wrong_entries,
            self.shape.0 * self.shape.1
        )?;
        write!(f, "{w}")?;
        if self.quantity == Quantity::BlackBox {
            // Finite differences are the only reference: no dual value, no tolerance parts.
            writeln!(
                f,
                "  |analytic − finite difference| = {:.3e} (relative {:.3e}); tolerance {:.3e} \
                 = {:.3e} (the safety factor times the finite differences' error estimate) + \
                 {:.3e} (measured noise of the analytic side)",
                self.abs_error,
                self.rel_error,
                self.tolerance.total,
                self.tolerance.terms,
                self.tolerance.analytic_noise
            )?;
            writeln!(
                f,
                "  verdict: analytic disagrees with finite differences, which have converged at \
                 this step (the larger steps agree with them)"
            )?;
            writeln!(f, "  x = {}", vec_literal(&self.x))?;
            writeln!(f, "reproduce:")?;
            return write!(f, "{}", indent(&self.snippet()));
        }
        writeln!(
            f,
            "  |analytic − dual| = {:.3e} (relative {:.3e}); tolerance {}",
            self.abs_error, self.rel_error, self.tolerance
        )?;
        let fd_view = match &w.finite_difference {
            // Derived bound: the witness's own error estimate.
            Some(fd) if (fd.value - w.dual).abs() <= fd.error_estimate.max(f64::MIN_POSITIVE) => {
                "finite differences agree with the dual reference"
            }
            Some(_) => {
                "finite differences agree with the dual reference within their safety margin"
            }
            None => "finite differences were not available here; the dual reference decides",
        };
        writeln!(f, "  verdict: analytic disagrees with dual; {fd_view}")?;
        writeln!(f, "  x = {}", vec_literal(&self.x))?;
        if let Some(d) = &self.direction {
            writeln!(f, "  along {}", vec_literal(d))?;
        }
        writeln!(f, "reproduce:")?;
        write!(f, "{}", indent(&self.snippet()))
    }
}

/// `eval`'s dual-number derivative disagrees with finite differences at a smooth point.
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// f(x) = sin x, but computed off the dual path: its dual derivative is 0.
/// struct OffPath;
/// impl VectorFn for OffPath {
///     fn input_dim(&self) -> usize { 1 }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(|xi| D::from(xi.re().sin()))
///     }
/// }
/// impl AnalyticJacobian for OffPath {
///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
///         DMatrix::from_element(1, 1, x[0].cos())
///     }
/// }
/// let err = Oracle::default().check(&OffPath, &DVector::from_vec(vec![0.5])).unwrap_err();
/// let CheckError::EvalDerivative(report) = err else { panic!("{err}") };
/// assert_eq!(report.witnesses.dual, 0.0);
/// assert!(report.analytic_agrees_with_fd); // the analytic side is probably right
/// assert_eq!(report.disagreeing_entries, 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EvalDerivative {
    /// The direction `v` of a JVP or `u` of a VJP the failure was found along (`None` for a
    /// Jacobian, gradient or Hessian).
    pub direction: Option<DVector<f64>>,
    /// What was checked.
    pub quantity: Quantity,
    /// The shape of the checked matrix.
    pub shape: (usize, usize),
    /// The worst entry.
    pub witnesses: Witnesses,
    /// Whether the analytic Jacobian agrees with finite differences there (then the dual
    /// path of `eval` is the likely culprit, and the analytic side is probably right).
    pub analytic_agrees_with_fd: bool,
    /// How many entries disagree.
    pub disagreeing_entries: usize,
    /// The input `x`.
    pub x: DVector<f64>,
    /// A Rust expression rebuilding the map.
    pub map_expr: Option<String>,
}

impl EvalDerivative {
    /// A paste-ready Rust snippet that reproduces this failure.
    ///
    /// ```
    /// use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
    /// use nalgebra::{DMatrix, DVector};
    /// use num_dual::DualNum;
    ///
    /// /// f(x) = x², with the square taken off the dual path.
    /// struct OffPath;
    /// impl VectorFn for OffPath {
    ///     fn input_dim(&self) -> usize { 1 }
    ///     fn output_dim(&self) -> usize { 1 }
    ///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
    ///         x.map(|xi| D::from(xi.re() * xi.re()))
    ///     }
    /// }
    /// impl AnalyticJacobian for OffPath {
    ///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> { DMatrix::from_element(1, 1, 2.0 * x[0]) }
    /// }
    /// let Err(CheckError::EvalDerivative(report)) = Oracle::default().check(&OffPath, &DVector::from_vec(vec![1.5])) else {
    ///     panic!()
    /// };
    /// // No rust_expr: the snippet leaves a placeholder for the map, and rebuilds x.
    /// let s = report.snippet();
    /// assert!(s.contains("/* your map, as constructed in the failing test */"));
    /// assert!(s.contains("nalgebra::DVector::from_vec(vec![1.5])"));
    /// ```
    #[must_use]
    pub fn snippet(&self) -> String {
        snippet(
            self.map_expr.as_deref(),
            &self.x,
            self.quantity,
            self.direction.as_ref(),
        )
    }
}

impl fmt::Display for EvalDerivative {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.witnesses;
        let noun = self.quantity.noun();
        writeln!(
            f,
            "eval is not differentiated correctly: at entry ({}, {}) of the {}×{} {noun} ({}) the \
             dual-number derivative disagrees with finite differences at a smooth point \
             ({} entries disagree); the analytic {noun} is not judged",
            w.row,
            w.col,
            self.shape.0,
            self.shape.1,
            self.quantity.entry(w.row, w.col),
            self.disagreeing_entries
        )?;
        write!(f, "{w}")?;
        let hint = if self.analytic_agrees_with_fd {
            "the analytic value agrees with finite differences: a value in eval is probably \
             computed off the dual path (through .re() or a plain f64)"
        } else {
            "none of the three witnesses agree: check eval's dual path first"
        };
        writeln!(
            f,
            "  verdict: dual disagrees with finite differences; {hint}"
        )?;
        writeln!(f, "  x = {}", vec_literal(&self.x))?;
        if let Some(d) = &self.direction {
            writeln!(f, "  along {}", vec_literal(d))?;
        }
        writeln!(f, "reproduce:")?;
        write!(f, "{}", indent(&self.snippet()))
    }
}

/// A map's own JVP and VJP that break the adjoint identity `⟨Jv, u⟩ = ⟨v, Jᵀu⟩`.
///
/// ```
/// use jacobian_oracle::{AnalyticJvp, AnalyticVjp, CheckError, Oracle, VectorFn};
/// use nalgebra::DVector;
/// use num_dual::DualNum;
///
/// /// f(x) = 3x₀x₁: a right JVP, and a VJP that drops the factor 3.
/// struct F;
/// impl VectorFn for F {
///     fn input_dim(&self) -> usize { 2 }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         DVector::from_vec(vec![x[0] * x[1] * 3.0])
///     }
/// }
/// impl AnalyticJvp for F {
///     fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
///         DVector::from_vec(vec![3.0 * (x[1] * v[0] + x[0] * v[1])])
///     }
/// }
/// impl AnalyticVjp for F {
///     fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
///         DVector::from_vec(vec![x[1] * u[0], x[0] * u[0]])
///     }
/// }
/// let Err(CheckError::NotAdjoint(report)) = Oracle::default().check_adjoint(&F, &DVector::from_vec(vec![0.5, -2.0])) else {
///     panic!()
/// };
/// // ⟨Jv, u⟩ is three times ⟨v, Jᵀu⟩ (to 1e-12 relative to ⟨Jv, u⟩), far outside the
/// // rounding of the two inner products.
/// assert!((report.jvp_side - 3.0 * report.vjp_side).abs() <= 1e-12 * report.jvp_side.abs());
/// assert!((report.jvp_side - report.vjp_side).abs() > report.tolerance);
/// assert_eq!((report.u.len(), report.v.len()), (1, 2));
/// assert!(matches!(report.culprit.as_deref(), Some(CheckError::Mismatch(_))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NotAdjoint {
    /// The cotangent `u`.
    pub u: DVector<f64>,
    /// The tangent `v`.
    pub v: DVector<f64>,
    /// `⟨jvp(x, v), u⟩`.
    pub jvp_side: f64,
    /// `⟨v, vjp(x, u)⟩`.
    pub vjp_side: f64,
    /// The tolerance: the rounding of both inner products.
    pub tolerance: f64,
    /// The input `x`.
    pub x: DVector<f64>,
    /// A Rust expression rebuilding the map.
    pub map_expr: Option<String>,
    /// The side found wrong when each was checked against dual numbers along this pair
    /// ([`crate::Oracle::check_jvp_along`] along `v`, then [`crate::Oracle::check_vjp_along`]
    /// along `u`): its [`crate::CheckError::Mismatch`], naming the entry. (Always `Some` from
    /// [`crate::Oracle::check_adjoint`].)
    pub culprit: Option<Box<crate::CheckError>>,
}

impl fmt::Display for NotAdjoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "the JVP and the VJP are not adjoint: ⟨Jv, u⟩ = {:+.17e} but ⟨v, Jᵀu⟩ = {:+.17e} \
             (difference {:.3e}, tolerance {:.3e})",
            self.jvp_side,
            self.vjp_side,
            (self.jvp_side - self.vjp_side).abs(),
            self.tolerance
        )?;
        writeln!(f, "  x = {}", vec_literal(&self.x))?;
        writeln!(f, "  u = {}", vec_literal(&self.u))?;
        writeln!(f, "  v = {}", vec_literal(&self.v))?;
        if let Some(map) = &self.map_expr {
            writeln!(f, "  f = {map}")?;
        }
        match &self.culprit {
            Some(report) => {
                writeln!(f, "checked against dual numbers along this pair:")?;
                for line in report.to_string().lines() {
                    writeln!(f, "  {line}")?;
                }
            }
            None => writeln!(
                f,
                "one of them is wrong: check each against dual numbers with check_jvp and \
                 check_vjp"
            )?,
        }
        Ok(())
    }
}

/// Why a point cannot be judged.
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
/// use jacobian_oracle::report::NotJudgeable;
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
///
/// /// f(x) = |x|, with the subgradient 0 as its derivative at the kink.
/// struct Abs;
/// impl VectorFn for Abs {
///     fn input_dim(&self) -> usize { 1 }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(|xi| if xi.re() >= 0.0 { xi } else { -xi })
///     }
/// }
/// impl AnalyticJacobian for Abs {
///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
///         DMatrix::from_element(1, 1, if x[0] == 0.0 { 0.0 } else { x[0].signum() })
///     }
/// }
/// // At 0 the dual derivative (1) and the analytic one (0) differ, but the point is a kink.
/// let err = Oracle::default().check(&Abs, &DVector::from_vec(vec![0.0])).unwrap_err();
/// let CheckError::CannotJudge(report) = err else { panic!("{err}") };
/// assert_eq!(report.reason, NotJudgeable::NonSmooth);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotJudgeable {
    /// The one-sided derivatives at `x` disagree: a kink or jump lies within the
    /// finite-difference stencil, so `f` is not differentiable there (or nearly not).
    NonSmooth,
    /// `f` is smooth at `x`, but the dual derivative of `eval` jumps under a tiny move of `x`
    /// (`CannotJudge::one_sided` holds the dual values either side): `x` lies on a branch
    /// boundary of `eval` — a ReLU exactly at 0 whose kinks cancel in `f`, or `|a|` at `a = 0`
    /// inside a smooth function, which dual numbers differentiate as `signum(0) = +1` whatever
    /// the branch. The dual value at `x` is then no reference for the analytic one.
    ///
    /// The move: the dual reference at `x + δ∘s`, then at `x − δ∘s`, with
    /// `δ_l = 10⁻⁹·max(|x_l|, 1)` and `s_l = ±(1 + 0.37·(l mod 3))`, `+` for even `l`, `−`
    /// for odd (irregular sizes and alternating signs, so that no smooth `eval` jumps). It
    /// jumps if either value is more than half the gap `G = |fd − d|` from the dual value `d`
    /// at `x` (the test that follows [`Note::FiniteDifferencesNotConverged`]'s, where the
    /// derivative does not vary across the stencil).
    BranchBoundary,
    /// A black box only ([`crate::Oracle::check_black_box`], where finite differences are the
    /// sole reference): they give no verdict on the entry — no step resolves the derivative
    /// (they do not converge as the step shrinks), or `f` cannot be evaluated at `x ± h`.
    NotConverged,
    /// The analytic value disagrees with the dual one by more than the tolerance's cheap
    /// parts, and the rest of the tolerance cannot be derived: the running rounding bound of
    /// the entry overflows `f64` (terms near `1e300` that cancel). No verdict.
    Unbounded,
}

/// A point where the analytic Jacobian disagrees with the dual reference but the point is not
/// smooth, so no verdict is possible.
///
/// ```
/// use jacobian_oracle::{AnalyticJacobian, CheckError, CheckResultExt, Oracle, VectorFn};
/// use nalgebra::{DMatrix, DVector};
/// use num_dual::DualNum;
/// use proptest::test_runner::TestCaseError;
///
/// /// f(x) = |x|, with the subgradient 0 as its derivative at the kink.
/// struct Abs;
/// impl VectorFn for Abs {
///     fn input_dim(&self) -> usize { 1 }
///     fn output_dim(&self) -> usize { 1 }
///     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
///         x.map(|xi| if xi.re() >= 0.0 { xi } else { -xi })
///     }
/// }
/// impl AnalyticJacobian for Abs {
///     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
///         DMatrix::from_element(1, 1, if x[0] == 0.0 { 0.0 } else { x[0].signum() })
///     }
/// }
/// let x = DVector::from_vec(vec![0.0]);
/// let Err(CheckError::CannotJudge(report)) = Oracle::default().check(&Abs, &x) else { panic!() };
/// // The one-sided differences are the slopes on either side of the kink, 1 and −1.
/// let (forward, backward) = report.one_sided;
/// assert!((forward - backward).abs() > 1.0);
/// assert_eq!((report.witnesses.analytic, report.witnesses.dual), (0.0, 1.0));
/// // Inside proptest!, such a point is rejected, not failed.
/// assert!(matches!(Oracle::default().check(&Abs, &x).reject_unjudgeable(), Err(TestCaseError::Reject(_))));
/// // Away from the kink, the same derivative passes.
/// assert!(Oracle::default().check(&Abs, &DVector::from_vec(vec![0.5])).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CannotJudge {
    /// The direction `v` of a JVP or `u` of a VJP the failure was found along (`None` for a
    /// Jacobian, gradient or Hessian).
    pub direction: Option<DVector<f64>>,
    /// Why.
    pub reason: NotJudgeable,
    /// What was checked.
    pub quantity: Quantity,
    /// The shape of the checked matrix.
    pub shape: (usize, usize),
    /// The entry.
    pub witnesses: Witnesses,
    /// One-sided (forward, backward) second-order differences at the entry — or, for
    /// [`NotJudgeable::BranchBoundary`] (the kink shows in `eval`'s branches rather than in
    /// `f`), the dual values at `x + δ∘s` and `x − δ∘s` ([`NotJudgeable::BranchBoundary`]).
    pub one_sided: (f64, f64),
    /// The input `x`.
    pub x: DVector<f64>,
}

impl fmt::Display for CannotJudge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let w = &self.witnesses;
        let what = match self.quantity {
            Quantity::Jacobian => format!("f_{}", w.row),
            Quantity::Gradient => "f".to_string(),
            Quantity::Hessian => format!("∂f/∂x_{}", w.row),
            Quantity::Jvp => format!("f_{} along v", w.row),
            Quantity::Vjp => "uᵀf".to_string(),
            Quantity::JacobianF32 | Quantity::BlackBox => format!("f_{}", w.row),
        };
        let entry = self.quantity.entry(w.row, w.col);
        match self.reason {
            NotJudgeable::NonSmooth => writeln!(
                f,
                "cannot judge at this point: {what} is not smooth along x_{} near x (one-sided \
                 differences {:+.6e} and {:+.6e} differ), and the analytic value of {entry} \
                 disagrees with {} there",
                w.col,
                self.one_sided.0,
                self.one_sided.1,
                if self.quantity == Quantity::BlackBox {
                    "finite differences"
                } else {
                    "the dual one"
                }
            )?,
            NotJudgeable::BranchBoundary => writeln!(
                f,
                "cannot judge at this point: x lies on a branch boundary of eval — the dual \
                 derivative {entry} jumps under a tiny move of x (to {:+.6e} and {:+.6e} either \
                 side) while finite differences see {what} smooth, and the analytic value \
                 disagrees with the dual value at x itself",
                self.one_sided.0, self.one_sided.1,
            )?,
            NotJudgeable::Unbounded => writeln!(
                f,
                "cannot judge at this point: the analytic value of {entry} differs from the \
                 dual one by more than a few ulps, and the rounding bound of the entry overflows \
                 f64 (terms near the top of its range), so no tolerance can be derived"
            )?,
            NotJudgeable::NotConverged => writeln!(
                f,
                "cannot judge at this point: finite differences of {what} along x_{} do not \
                 resolve the derivative (no step converges, or f cannot be evaluated at x ± h), \
                 and they are the only reference for the analytic value of {entry}",
                w.col
            )?,
        }
        write!(f, "{w}")?;
        writeln!(f, "  x = {}", vec_literal(&self.x))?;
        if let Some(d) = &self.direction {
            writeln!(f, "  along {}", vec_literal(d))?;
        }
        Ok(())
    }
}

/// Where an entry agreed, and how: the statistics of a passing check.
///
/// ```
/// use jacobian_oracle::catalogue::Softmax;
/// use jacobian_oracle::Oracle;
/// use nalgebra::DVector;
///
/// let agreement = Oracle::default().check(&Softmax::new(3), &DVector::from_vec(vec![0.5, -1.0, 2.0])).unwrap();
/// let worst = agreement.worst_analytic;
/// assert!(worst.row < 3 && worst.col < 3);
/// assert!(worst.abs_error <= worst.bound);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryStat {
    /// Output index.
    pub row: usize,
    /// Input index.
    pub col: usize,
    /// Absolute error against the dual reference.
    pub abs_error: f64,
    /// The bound it was held to (tolerance or error estimate).
    pub bound: f64,
}

impl EntryStat {
    /// `abs_error / bound`: below 1 passes.
    ///
    /// ```
    /// use jacobian_oracle::report::EntryStat;
    /// let stat = EntryStat { row: 0, col: 0, abs_error: 1e-16, bound: 4e-16 };
    /// assert_eq!(stat.ratio(), 0.25); // passes
    /// assert_eq!(EntryStat { bound: 0.0, ..stat }.ratio(), f64::INFINITY);
    /// assert_eq!(EntryStat { abs_error: 0.0, bound: 0.0, ..stat }.ratio(), 0.0);
    /// ```
    #[must_use]
    pub fn ratio(&self) -> f64 {
        if self.bound > 0.0 {
            self.abs_error / self.bound
        } else if self.abs_error == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    }
}

/// Something worth knowing about a passing check.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::report::Note;
/// use nalgebra::{DMatrix, DVector};
///
/// // Deep saturation: the textbook z(1 − z) passes, but with no relative precision left.
/// let saturated = SigmoidLayer::new(DMatrix::from_row_slice(1, 1, &[50.0]));
/// let agreement = Oracle::default().check(&saturated, &DVector::from_vec(vec![8.0])).unwrap();
/// assert!(matches!(agreement.notes[..], [Note::PrecisionLoss { entries: 1, .. }]));
/// assert!(agreement.notes[0].to_string().contains("loses relative precision"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Note {
    /// Entries that agree only within the rounding sensitivity of `f`, not to a few ulps:
    /// the analytic formula loses relative precision there (e.g. `z(1−z)` in saturation).
    PrecisionLoss {
        /// How many entries.
        entries: usize,
        /// The worst relative error among them.
        worst_rel_error: f64,
    },
    /// Entries where finite differences agreed only after the noise of `f` was measured
    /// (for instance an additive offset in `eval`).
    NoisyFiniteDifferences {
        /// How many entries.
        entries: usize,
    },
    /// Entries where finite differences agreed only at a smaller step than the default (the
    /// function varies on a scale much smaller than `max(1, |x_j|)`), or at a larger one.
    ///
    /// Where the default step `h = `[`crate::fd::step`]`(x_j)` does not explain an entry, the
    /// witness differentiates column `j` at the steps `h_k = (x_j + 8^k·h) − x_j`, `k = 5, 4,
    /// …, 1` and `k = −1, −2, …, −6` (each at `x ± h_k` and `x ± 2h_k`, with scattered points
    /// that measure the noise of `f`; a side ends at its first step that cannot be evaluated).
    RefinedStep {
        /// How many entries.
        entries: usize,
    },
    /// Entries where finite differences did not converge as the step shrank (the function
    /// varies on a scale below the smallest step tried); the dual reference decided alone.
    ///
    /// Also where they converged away from the dual value but the dual derivative varies
    /// across their stencil by as much as the gap: before blaming `eval`, the oracle samples
    /// column `j` of the dual reference at sixteen points `x + o_k·e_j`,
    /// `o_k = (4u_k − 2)·h·(1 + √2·10⁻⁷·(k + 1))`, `u_k = frac(0.618033988749895·k + 0.3)`,
    /// `k = 0, …, 15`, over the span `±2h` of the stencil at the default step
    /// `h = `[`crate::fd::step`]`(x_j)`. With `G = |fd − d|` the gap between the default step's
    /// finite difference and the dual value `d`, and `[lo, hi]` the samples' range, the
    /// derivative varies across the stencil if `hi − lo > G/2`, or if the samples sit apart
    /// from `d` (`max(|hi − d|, |lo − d|) > G/2`) with `fd` outside `[lo − G/2, hi + G/2]`.
    FiniteDifferencesNotConverged {
        /// How many entries.
        entries: usize,
    },
    /// Columns where finite differences could not be computed (`x ± h` or `f(x ± h)`
    /// overflows); the dual reference decided alone.
    FiniteDifferencesUnavailable {
        /// How many columns.
        columns: usize,
    },
    /// Entries at non-smooth points where the analytic value agrees with the dual one.
    NonSmooth {
        /// How many entries.
        entries: usize,
    },
    /// Entries that agree only within the measured rounding noise of the analytic
    /// implementation ([`Tolerance::analytic_noise`]): right as formulas, but computed through
    /// terms that cancel (an expanded polynomial, a common denominator), so accurate only to
    /// the rounding of those terms. In the checks with a dual reference, also counted as
    /// [`Note::PrecisionLoss`].
    AnalyticNoise {
        /// How many entries.
        entries: usize,
    },
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::PrecisionLoss {
                entries,
                worst_rel_error,
            } => write!(
                f,
                "{entries} entries agree only within the rounding sensitivity of f (worst \
                 relative error {worst_rel_error:.2e}): the formula loses relative precision there"
            ),
            Note::NoisyFiniteDifferences { entries } => write!(
                f,
                "{entries} entries: finite differences agree only within the measured noise of f"
            ),
            Note::RefinedStep { entries } => write!(
                f,
                "{entries} entries: finite differences agree only at a smaller step"
            ),
            Note::FiniteDifferencesNotConverged { entries } => write!(
                f,
                "{entries} entries: finite differences did not converge; dual reference alone"
            ),
            Note::FiniteDifferencesUnavailable { columns } => write!(
                f,
                "{columns} columns: finite differences unavailable (overflow); dual reference alone"
            ),
            Note::NonSmooth { entries } => write!(
                f,
                "{entries} entries at non-smooth points (analytic agrees with dual)"
            ),
            Note::AnalyticNoise { entries } => write!(
                f,
                "{entries} entries agree only within the measured rounding noise of the analytic \
                 formula (terms that cancel, as an expanded form has): a factored form would be \
                 accurate"
            ),
        }
    }
}

/// Evaluation counts of one check.
///
/// ```
/// use jacobian_oracle::catalogue::SigmoidLayer;
/// use jacobian_oracle::Oracle;
/// use nalgebra::{DMatrix, DVector};
///
/// // Ten inputs: ⌈10/8⌉ = 2 dual passes give the whole reference Jacobian.
/// let layer = SigmoidLayer::new(DMatrix::from_fn(2, 10, |i, j| (i as f64 - j as f64) / 10.0));
/// let agreement = Oracle::default().check(&layer, &DVector::from_element(10, 0.5)).unwrap();
/// assert_eq!(agreement.evaluations.dual_evals, 2);
/// // f(x), then central differences along 3 directions (two evaluations each) vouch for
/// // every column at once …
/// assert_eq!(agreement.evaluations.f64_evals, 1 + 2 * 3);
/// // … where the per-column witness takes two per column.
/// let per_column = Oracle::default().with_directional_witness(false);
/// let agreement = per_column.check(&layer, &DVector::from_element(10, 0.5)).unwrap();
/// assert_eq!(agreement.evaluations.f64_evals, 1 + 2 * 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Evaluations {
    /// `eval::<f64>` calls.
    pub f64_evals: usize,
    /// Passes of `eval` on dual numbers: `⌈n/8⌉` for the reference Jacobian (eight seeded
    /// columns per pass), and one per direction, probe or projection (including the 25 per
    /// column that check the exact derivative is smooth where the analytic side's noise is
    /// measured).
    pub dual_evals: usize,
    /// Passes of `eval` on the rounding model, only where a tolerance needed them: on
    /// second-order duals over bounded numbers (`Dual2<Bounded>`, a column's curvature and
    /// rounding, [`crate::rounding`]) and on bounded numbers (`Bounded`, the running rounding
    /// bound of `f` itself, once per check).
    pub second_order_evals: usize,
    /// Evaluations of the analytic derivative at the probe points of [`crate::noise`]
    /// (`ANALYTIC_NOISE_PROBES + REPEATED_PROBES + 1 = 29` per measurement, once per check —
    /// once per direction or projection in the checks that merge several — and only where an
    /// entry was outside every other part of its tolerance).
    pub analytic_evals: usize,
}

/// A passing check: the analytic Jacobian agrees with the dual reference everywhere, and the
/// dual reference is vouched for by finite differences.
///
/// ```
/// use jacobian_oracle::catalogue::Softmax;
/// use jacobian_oracle::Oracle;
/// use jacobian_oracle::report::Quantity;
/// use nalgebra::DVector;
///
/// let agreement = Oracle::default().check(&Softmax::new(3), &DVector::from_vec(vec![0.5, -1.0, 2.0])).unwrap();
/// assert_eq!(agreement.quantity, Quantity::Jacobian);
/// assert_eq!(agreement.shape, (3, 3));
/// assert!(agreement.worst_analytic.ratio() <= 1.0);
/// assert!(agreement.worst_rel_error < 1e-13);
/// assert!(agreement.worst_fd.is_some()); // finite differences ran
/// assert!(agreement.notes.is_empty());
/// assert!(agreement.to_string().starts_with("agreement on the 3×3 Jacobian"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// What was checked.
    pub quantity: Quantity,
    /// The shape of the checked matrix.
    pub shape: (usize, usize),
    /// The entry closest to its analytic-vs-dual tolerance (the largest `abs_error / bound`;
    /// of equal ratios, the first in column-major order).
    pub worst_analytic: EntryStat,
    /// The largest relative analytic-vs-dual error among entries that are well-conditioned
    /// (passed on the ulps tolerance alone, `|dual|` at least the underflow floor over `ε` of
    /// the analytic side's precision: `f64::MIN_POSITIVE / f64::EPSILON ≈ 1e-292`, or
    /// `f32::MIN_POSITIVE / f32::EPSILON ≈ 1e-31` for [`crate::Oracle::check_f32`]; below it,
    /// relative precision is lost to underflow).
    pub worst_rel_error: f64,
    /// The entry closest to its finite-difference error estimate (dual vs finite
    /// differences), if finite differences ran. Its `bound` is the estimate without the
    /// safety factor, so its ratio may exceed 1 and still pass. Where the directional witness
    /// vouched, the comparison along a direction closest to its bound (`col` 0; see
    /// [`crate::Oracle::with_directional_witness`]). Where the per-column witness vouched for
    /// entry `(i, j)` at once: the central difference `D(h)` at `h = `[`crate::fd::step`]`(x_j)`
    /// with the estimate `δ_i/h`, if `|D(h) − d| ≤ fd_safety·δ_i/h + g`; else Richardson's
    /// value with `±2h`, with the estimate `|D(h) − D(2h)|/3 + 1.5·δ_i/h`, if within
    /// `fd_safety·estimate + g` — `d` the dual value, `g = ulps·ε·|d| + `
    /// [`crate::tolerance::UNDERFLOW_FLOOR`] and `δ_i = `[`crate::tolerance::forward_error`]`(f_i,
    /// Σ_k |D_ik|·|x_k|, n)` (else the escalation's estimate).
    pub worst_fd: Option<EntryStat>,
    /// Notes: precision loss, noisy or unavailable finite differences, non-smooth points.
    pub notes: Vec<Note>,
    /// What the check cost.
    pub evaluations: Evaluations,
}

impl Agreement {
    /// Two agreements of one check (two directions, two projections) as one: the worst of
    /// each statistic, the notes of both, the evaluations added up.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::Sigmoid;
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    /// let a = Oracle::default().check(&Sigmoid, &DVector::from_vec(vec![0.5])).unwrap();
    /// let b = Oracle::default().check(&Sigmoid, &DVector::from_vec(vec![50.0])).unwrap();
    /// let both = a.clone().merge(b.clone());
    /// assert_eq!(both.evaluations.dual_evals, a.evaluations.dual_evals + b.evaluations.dual_evals);
    /// assert_eq!(both.precision_loss_entries(), a.precision_loss_entries() + b.precision_loss_entries());
    /// ```
    #[must_use]
    pub fn merge(mut self, other: Agreement) -> Agreement {
        if other.worst_analytic.ratio() > self.worst_analytic.ratio() {
            self.worst_analytic = other.worst_analytic;
        }
        self.worst_rel_error = self.worst_rel_error.max(other.worst_rel_error);
        self.worst_fd = match (self.worst_fd, other.worst_fd) {
            (Some(a), Some(b)) => Some(if b.ratio() > a.ratio() { b } else { a }),
            (a, b) => a.or(b),
        };
        self.notes.extend(other.notes);
        self.evaluations.f64_evals += other.evaluations.f64_evals;
        self.evaluations.dual_evals += other.evaluations.dual_evals;
        self.evaluations.second_order_evals += other.evaluations.second_order_evals;
        self.evaluations.analytic_evals += other.evaluations.analytic_evals;
        self
    }

    /// Entries that agree only within the rounding sensitivity of `f` (precision loss).
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{SigmoidLayer, sigmoid_derivative};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::{DMatrix, DVector};
    ///
    /// // At a = 400 the textbook σ(a)(1 − σ(a)) rounds to 0 (the true value is e^{−400}).
    /// let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 1, &[50.0]));
    /// assert_eq!(sigmoid_derivative(400.0), 0.0);
    /// let agreement = Oracle::default().check(&layer, &DVector::from_vec(vec![8.0])).unwrap();
    /// assert_eq!(agreement.precision_loss_entries(), 1);
    /// // Away from saturation, no precision is lost.
    /// let agreement = Oracle::default().check(&layer, &DVector::from_vec(vec![0.01])).unwrap();
    /// assert_eq!(agreement.precision_loss_entries(), 0);
    /// ```
    #[must_use]
    pub fn precision_loss_entries(&self) -> usize {
        self.notes
            .iter()
            .map(|n| match n {
                Note::PrecisionLoss { entries, .. } => *entries,
                _ => 0,
            })
            .sum()
    }

    /// Entries at non-smooth points.
    ///
    /// ```
    /// use jacobian_oracle::catalogue::{Activation, Elementwise};
    /// use jacobian_oracle::Oracle;
    /// use nalgebra::DVector;
    ///
    /// // ReLU at its kink: its derivative there agrees with the dual one, and the entry is noted.
    /// let relu = Elementwise::new(Activation::Relu, 2);
    /// let agreement = Oracle::default().check(&relu, &DVector::from_vec(vec![0.0, 1.5])).unwrap();
    /// assert_eq!(agreement.non_smooth_entries(), 1);
    /// ```
    #[must_use]
    pub fn non_smooth_entries(&self) -> usize {
        self.notes
            .iter()
            .map(|n| match n {
                Note::NonSmooth { entries } => *entries,
                _ => 0,
            })
            .sum()
    }
}

impl fmt::Display for Agreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A black box has no dual reference: its analytic side is held to finite differences.
        let reference = if self.quantity == Quantity::BlackBox {
            "finite-difference"
        } else {
            "dual"
        };
        write!(
            f,
            "agreement on the {}×{} {}: worst analytic-vs-{reference} error {:.2e} at ({}, {}) \
             ({:.2} of tolerance)",
            self.shape.0,
            self.shape.1,
            self.quantity.noun(),
            self.worst_analytic.abs_error,
            self.worst_analytic.row,
            self.worst_analytic.col,
            self.worst_analytic.ratio(),
        )?;
        if self.quantity != Quantity::BlackBox {
            write!(
                f,
                ", worst well-conditioned relative error {:.2e}",
                self.worst_rel_error
            )?;
        }
        if let Some(fd) = &self.worst_fd {
            write!(
                f,
                "; finite differences within {:.2}× their error estimate",
                fd.ratio()
            )?;
        }
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}

/// `vec![a, b, …]` with every value printed so that it parses back to the same `f64`.
///
/// ```
/// use jacobian_oracle::report::vec_literal;
/// use nalgebra::DVector;
/// let v = DVector::from_vec(vec![0.1, -2.0, 1e-300]);
/// assert_eq!(vec_literal(&v), "vec![0.1, -2.0, 1e-300]");
/// ```
#[must_use]
pub fn vec_literal(v: &DVector<f64>) -> String {
    let items: Vec<String> = v.iter().map(|x| float_literal(*x)).collect();
    format!("vec![{}]", items.join(", "))
}

/// A Rust literal for `x` that parses back to the same `f64` (shortest round trip).
///
/// ```
/// use jacobian_oracle::report::float_literal;
/// assert_eq!(float_literal(0.1 + 0.2), "0.30000000000000004"); // round-trips exactly
/// assert_eq!(float_literal(1.0), "1.0");
/// assert_eq!(float_literal(f64::NEG_INFINITY), "f64::NEG_INFINITY");
/// assert_eq!(float_literal(f64::NAN), "f64::NAN");
/// ```
#[must_use]
pub fn float_literal(x: f64) -> String {
    if x.is_nan() {
        "f64::NAN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "f64::INFINITY"
        } else {
            "f64::NEG_INFINITY"
        }
        .into()
    } else {
        format!("{x:?}")
    }
}

/// `nalgebra::DMatrix::from_row_slice(r, c, &[…])`, row by row, every value round-tripping.
///
/// ```
/// use jacobian_oracle::report::matrix_literal;
/// use nalgebra::DMatrix;
/// let w = DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 0.5]);
/// assert_eq!(matrix_literal(&w), "nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 3.0, 0.5])");
/// ```
#[must_use]
pub fn matrix_literal(w: &nalgebra::DMatrix<f64>) -> String {
    let items: Vec<String> = w
        .row_iter()
        .flat_map(|row| row.iter().map(|v| float_literal(*v)).collect::<Vec<_>>())
        .collect();
    format!(
        "nalgebra::DMatrix::from_row_slice({}, {}, &[{}])",
        w.nrows(),
        w.ncols(),
        items.join(", ")
    )
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The reproduction snippet: rebuild the map, rebuild `x` (and the direction of a JVP or
/// VJP), run the same check. Every path is written in full, so it compiles pasted into any
/// test of a crate that depends on `jacobian-oracle` and `nalgebra`.
pub(crate) fn snippet(
    map_expr: Option<&str>,
    x: &DVector<f64>,
    quantity: Quantity,
    direction: Option<&DVector<f64>>,
) -> String {
    let map = map_expr.unwrap_or("/* your map, as constructed in the failing test */");
    if quantity == Quantity::BlackBox {
        return format!(
            "let f = |x: &nalgebra::DVector<f64>| /* your function */;\n\
             let jacobian = /* your Jacobian at x */;\n\
             let x = nalgebra::DVector::from_vec({});\n\
             let result = jacobian_oracle::Oracle::default().check_black_box(f, &jacobian, &x);\n\
             assert!(result.is_ok(), \"{{}}\", result.unwrap_err());\n",
            vec_literal(x)
        );
    }
    let call = match direction {
        Some(d) => format!(
            "{}_along(&f, &x, &nalgebra::DVector::from_vec({}))",
            quantity.method(),
            vec_literal(d)
        ),
        None => format!("{}(&f, &x)", quantity.method()),
    };
    format!(
        "let f = {map};\n\
         let x = nalgebra::DVector::from_vec({});\n\
         let result = jacobian_oracle::Oracle::default().{call};\n\
         assert!(result.is_ok(), \"{{}}\", result.unwrap_err());\n",
        vec_literal(x)
    )
}
