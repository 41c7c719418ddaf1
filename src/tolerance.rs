//! Tolerances, each derived from an error model and named with its reason.
//!
//! **Analytic vs dual** (decides correctness). An entry passes when
//! `|A − D| ≤ ulps·ε·|D| + 8ε·max|D| + S + T + N + floor`, where
//!
//! * `ulps·ε·|D|` ([`DEFAULT_ULPS`]) covers the rounding of a well-conditioned entry computed
//!   by a few dozen correctly rounded operations on each side;
//! * `8ε·max|D|` over the whole matrix is its norm-wise rounding: a Jacobian computed by
//!   products of factors and rank-one updates (a chain rule `J_L ⋯ J_1`, `I − 1pᵀ`,
//!   `diag(p) − ppᵀ`) is accurate to a few roundings of its largest entries, and an entry that
//!   cancels to far below its neighbours carries the error of what it cancelled (Higham §3.5).
//!   It costs little detection power: a `1e-10` relative error is still seen in every entry
//!   larger than `1.8e-5` of the largest;
//! * `S` is the *rounding sensitivity*: hand-written derivatives are usually expressed through
//!   the computed output (`σ' = z(1−z)`, `tanh' = 1 − z²`, `softmax' = diag(p) − ppᵀ`), and the
//!   output carries a rounding error `Δf_i` ([`forward_error`]). Moving `f_i` by `Δf_i` along
//!   `x_j` moves the entry by `|∂²f_i/∂x_j² / ∂f_i/∂x_j|·Δf_i` (chain rule), so
//!   `S = SENSITIVITY_SAFETY · |C_ij/D_ij| · Δf_i` with `C_ij = ∂²f_i/∂x_j²` from one
//!   second-order dual pass. It is computed only for entries that fail the ulps test, and an
//!   entry that passes only thanks to it is reported as a precision-loss note. For the sigmoid
//!   layer, `C/D = (1−2z)W_ij` and in saturation `Δf_i ≈ OUTPUT_ULPS·ε` (`z ≈ 1`), so
//!   `S ≈ 16·ε·|W_ij|`: the textbook `z(1−z)` (exact to
//!   `ε|W_ij|` in absolute terms, but with no relative precision once `z` rounds to 1) passes,
//!   while a `1e-10` relative error in a well-conditioned entry stays far above it;
//! * the *rounding of the terms* ([`crate::rounding`]), for entries still outside: twice the
//!   running error bound of the reference entry, recomputed on bounded numbers through
//!   `eval`'s own arithmetic. A formula evaluated through large, cancelling terms — an expanded
//!   polynomial's second derivative, where terms of 1e7 cancel to 10, or a gradient summed
//!   over samples of `(μ_n − y_n)x_n` — carries a rounding error of `ε` times the terms, not of
//!   the result; the reference goes through terms of the same size, and its bound says so
//!   without knowing the analytic formula;
//! * `N`, the *measured noise of the analytic side* ([`crate::noise`]), for entries still
//!   outside: the parts above model the rounding of `eval`, and say nothing of how the analytic
//!   implementation computes its numbers. A derivative pasted from a computer-algebra system —
//!   expanded, over a common denominator — is exact as a formula and off by the rounding of
//!   terms that cancel, far above the reference's own. The analytic derivative is evaluated at
//!   [`crate::noise::ANALYTIC_NOISE_PROBES`] points up to 192 ulps from `x` (once per check,
//!   all entries at once) and the jitter of each entry beyond a smooth change is its noise `σ`:
//!   `N = NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ`. A wrong formula is smooth and does not
//!   jitter, so a slip stays as visible as before; an entry that passes only thanks to `N` is
//!   reported as an analytic-noise note;
//! * `floor = f64::MIN_POSITIVE`: below the smallest normal number there is no relative
//!   precision to speak of.
//!
//! **Dual vs finite differences** (validates `eval`). The Richardson value `R` passes when
//! `|R − D| ≤ FD_SAFETY·(|D(h) − D(2h)|/3 + 1.5·Δ/h) + ulps·ε·|D|`, where `Δ` is the rounding
//! of `f_i` ([`forward_error`], or [`NOISE_SIGMAS`] times the measured noise of `f` when the
//! first estimate does not explain the disagreement): `R = (4D(h) − D(2h))/3` amplifies an
//! error `Δ` in each value by at most `(4/3 + 1/6)/h = 1.5/h`.
//!
//! ```
//! use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
//! use jacobian_oracle::{CheckError, Oracle};
//! use nalgebra::{DMatrix, DVector};
//!
//! // Every failure shows its tolerance broken into these parts, which add up to the total.
//! let w = DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0]);
//! let slip = LayerMutant::new(LayerMutantKind::SignError, w);
//! let x = DVector::from_vec(vec![0.25, -0.5]);
//! let Err(CheckError::Mismatch(m)) = Oracle::default().check(&slip, &x) else { panic!() };
//! let t = m.tolerance;
//! let parts = t.relative + t.matrix + t.sensitivity + t.terms + t.analytic_noise + t.floor;
//! assert!((t.total - parts).abs() <= 1e-15 * t.total);
//! // The ulps part is DEFAULT_ULPS·ε·|dual|.
//! let expected = jacobian_oracle::tolerance::DEFAULT_ULPS * f64::EPSILON * m.witnesses.dual.abs();
//! assert_eq!(t.relative, expected);
//! ```

/// Relative tolerance of analytic vs dual, in units of `f64::EPSILON`: each side computes an
/// entry through a few dozen correctly rounded operations (≤ ½ ulp each).
///
/// ```
/// use jacobian_oracle::tolerance::DEFAULT_ULPS;
/// assert_eq!(DEFAULT_ULPS, 32.0);
/// // About 7e-15 relative: far below a 1e-10 relative slip in a formula.
/// assert!(DEFAULT_ULPS * f64::EPSILON < 1e-14);
/// ```
pub const DEFAULT_ULPS: f64 = 32.0;

/// Safety factor on the rounding sensitivity `|C/D|·Δf`: `Δf` is itself an estimate (the
/// output of a stable sigmoid is within about 2 ulps, its product with other factors adds a
/// few more).
///
/// ```
/// use jacobian_oracle::tolerance::SENSITIVITY_SAFETY;
/// assert_eq!(SENSITIVITY_SAFETY, 4.0);
/// ```
pub const SENSITIVITY_SAFETY: f64 = 4.0;

/// Safety factor on the finite-difference error estimate: Richardson's estimate is accurate to
/// a factor of about 2 when the `h²` term dominates; 4 also covers the next order and the
/// spread of rounding.
///
/// ```
/// use jacobian_oracle::tolerance::FD_SAFETY;
/// assert_eq!(FD_SAFETY, 4.0);
/// // Above the factor of about 2 by which Richardson's estimate can be off.
/// assert!(FD_SAFETY > 2.0);
/// ```
pub const FD_SAFETY: f64 = 4.0;

/// A measured noise level (a standard deviation) times this is taken as a bound: 4σ is
/// exceeded with probability below 1e-4 per value, and the bound is multiplied by
/// [`FD_SAFETY`] on top.
///
/// ```
/// use jacobian_oracle::catalogue::erfc;
/// use jacobian_oracle::tolerance::NOISE_SIGMAS;
/// // P(|X| > 4σ) for a normal X: 6.3e-5.
/// let p = erfc(NOISE_SIGMAS / 2f64.sqrt());
/// assert!(p > 0.0 && p < 1e-4);
/// ```
pub const NOISE_SIGMAS: f64 = 4.0;

/// Safety factor on the measured noise of the analytic side, on top of [`NOISE_SIGMAS`]:
/// the part is `NOISE_SIGMAS · ANALYTIC_NOISE_SAFETY · σ = 16σ`. The estimate `σ` has 22
/// degrees of freedom ([`crate::noise::ANALYTIC_NOISE_PROBES`] probes and `x`, a quadratic
/// fit), so a rounding error of the same kind exceeds `16σ` with probability about `3e-13`
/// (Student's *t*, two-sided); measured on the gradient and Hessian of a SymPy-expanded
/// polynomial over 10⁶ draws, the largest error was `5.1σ`
/// (`cargo test --release --test foreign largest_error_in_sigmas -- --ignored --nocapture`).
///
/// ```
/// use jacobian_oracle::tolerance::{ANALYTIC_NOISE_SAFETY, NOISE_SIGMAS};
/// assert_eq!(NOISE_SIGMAS * ANALYTIC_NOISE_SAFETY, 16.0);
/// ```
pub const ANALYTIC_NOISE_SAFETY: f64 = 4.0;

/// Ulps of `|f_i|` allowed for the last operations of `eval` (an `exp`, a division, a sum).
///
/// ```
/// use jacobian_oracle::tolerance::{OUTPUT_ULPS, forward_error};
/// // An output that depends on no input: only the last operations round.
/// assert_eq!(forward_error(-2.0, 0.0, 5), OUTPUT_ULPS * f64::EPSILON * 2.0);
/// ```
pub const OUTPUT_ULPS: f64 = 4.0;

/// Absolute floor of every tolerance: the smallest normal `f64`.
///
/// ```
/// use jacobian_oracle::tolerance::UNDERFLOW_FLOOR;
/// assert_eq!(UNDERFLOW_FLOOR, f64::MIN_POSITIVE);
/// assert!(UNDERFLOW_FLOOR.is_normal() && !(UNDERFLOW_FLOOR / 2.0).is_normal());
/// ```
pub const UNDERFLOW_FLOOR: f64 = f64::MIN_POSITIVE;

/// The forward rounding error model of a computed output:
/// `Δf_i = ε·(OUTPUT_ULPS·|f_i| + n·Σ_k |∂f_i/∂x_k|·|x_k|)`.
///
/// The first term is the rounding of the last operations; the second propagates the rounding
/// of the inner products and sums that feed `f_i` (`γ_n ≈ nε` times the sum of the absolute
/// terms, Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.1), written
/// through the Jacobian row: an inner product's rounding is a relative perturbation of at most
/// `γ_n` in each `x_k`.
///
/// ```
/// use jacobian_oracle::tolerance::forward_error;
/// // f = 1, no dependence on x: four ulps.
/// assert_eq!(forward_error(1.0, 0.0, 3), 4.0 * f64::EPSILON);
/// ```
#[must_use]
pub fn forward_error(value: f64, abs_row_times_x: f64, n: usize) -> f64 {
    f64::EPSILON * (OUTPUT_ULPS * value.abs() + n as f64 * abs_row_times_x)
}
