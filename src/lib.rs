//! # jacobian-oracle
//!
//! Proves hand-written derivatives right, or shows the smallest input where they are wrong.
//!
//! An analytic Jacobian is checked against three witnesses' worth of evidence:
//!
//! 1. **forward-mode AD with dual numbers** ([`num_dual`]): exact derivatives of the very same
//!    program, to rounding — this decides correctness, with a tight tolerance
//!    ([`tolerance`]);
//! 2. **central finite differences** with Richardson extrapolation and an error estimate
//!    ([`fd`]): they need nothing but `f64` evaluations, so they vouch for the dual reference
//!    and catch an `eval` that dual numbers differentiate wrongly;
//! 3. the **analytic** Jacobian under test.
//!
//! A failure says which witness disagrees with which ([`CheckError`]), names the entry, the
//! three values, the errors and the tolerance, and prints a paste-ready snippet. Inputs come
//! from [`proptest`] strategies ([`strategy`]) that shrink shapes first and values toward
//! simple numbers, so a wrong formula ends as a minimal counterexample.
//!
//! ## A sigmoid layer, checked
//!
//! Write the map once, generic over the scalar; write the Jacobian by hand; ask the oracle.
//!
//! ```
//! use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
//! use nalgebra::{DMatrix, DVector};
//! use num_dual::DualNum;
//!
//! /// z = σ(Wx)
//! struct Layer { w: DMatrix<f64>, wrong: bool }
//!
//! fn sigmoid<D: DualNum<Primitive = f64> + Copy>(a: D) -> D {
//!     if a.re() >= 0.0 { (D::one() + (-a).exp()).recip() } else { let e = a.exp(); e / (D::one() + e) }
//! }
//!
//! impl VectorFn for Layer {
//!     fn input_dim(&self) -> usize { self.w.ncols() }
//!     fn output_dim(&self) -> usize { self.w.nrows() }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
//!         let mut a = DVector::from_element(self.w.nrows(), D::zero());
//!         for (col, &xk) in self.w.column_iter().zip(x.iter()) {
//!             for (ai, &wik) in a.iter_mut().zip(col.iter()) { *ai += xk * wik; }
//!         }
//!         a.map(sigmoid)
//!     }
//! }
//!
//! impl AnalyticJacobian for Layer {
//!     /// ∂z/∂x = diag(z∘(1−z)) W — or, when `wrong`, the classic slip W diag(z∘(1−z)).
//!     fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
//!         let z = (&self.w * x).map(sigmoid);
//!         let s = z.map(|zi| zi * (1.0 - zi));
//!         let d = DMatrix::from_diagonal(&s);
//!         if self.wrong { &self.w * d } else { d * &self.w }
//!     }
//! }
//!
//! let w = DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.5, 3.0]);
//! let x = DVector::from_vec(vec![0.25, -0.5]);
//! let oracle = Oracle::default();
//!
//! assert!(oracle.check(&Layer { w: w.clone(), wrong: false }, &x).is_ok());
//!
//! let err = oracle.check(&Layer { w, wrong: true }, &x).unwrap_err();
//! let CheckError::Mismatch(m) = &err else { panic!("{err}") };
//! assert_eq!(m.shape, (2, 2));
//! println!("{err}"); // entry, the three witnesses, errors, tolerance, x, a snippet
//! ```
//!
//! ## Inside `proptest!`
//!
//! [`CheckError`] converts into proptest's `TestCaseError`, so `oracle.check(&f, &x)?` is
//! the whole test body; [`strategy`] draws shapes and values that shrink well. For maps with
//! kinks (ReLU at 0), `oracle.check(&f, &x).reject_unjudgeable()?` ([`CheckResultExt`])
//! skips the points that cannot be judged instead of failing on them.
//!
//! ```
//! use jacobian_oracle::catalogue::SigmoidLayer;
//! use jacobian_oracle::strategy::layer_case;
//! use jacobian_oracle::Oracle;
//! use proptest::prelude::*;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(32))]
//!     // In a test file this function carries `#[test]`.
//!     fn sigmoid_layer_jacobian(case in layer_case()) {
//!         Oracle::default().check(&SigmoidLayer::new(case.w.clone()), &case.x)?;
//!     }
//! }
//! sigmoid_layer_jacobian();
//! ```
//!
//! ## Reading a failure
//!
//! A [`Mismatch`] holds everything its message prints: the entry, the three witnesses, the
//! errors against the tolerance (broken into its parts), the input, and a snippet to paste
//! into a test. The dual value is the reference; the finite difference vouches for it.
//!
//! ```
//! use approx::assert_abs_diff_eq;
//! use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
//! use jacobian_oracle::{CheckError, Oracle};
//! use nalgebra::{DMatrix, DVector};
//!
//! // The classic slip W diag(σ′) for diag(σ′) W, on the 2×2 layer the report shrinks it to.
//! let w = DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.0, 0.0]);
//! let slip = LayerMutant::new(LayerMutantKind::DiagonalOnWrongSide, w);
//! let x = DVector::from_vec(vec![0.0, -1.0]);
//! let Err(CheckError::Mismatch(m)) = Oracle::default().check(&slip, &x) else { panic!() };
//! let e = m.witnesses;
//! assert_eq!((e.row, e.col), (0, 1)); // ∂z_0/∂x_1
//! // Wx = (−1, 0): the right entry is σ′((Wx)_0)·W_01 = σ′(−1), the slip's σ′((Wx)_1)·W_01.
//! let s = 1.0 / (1.0 + 1.0_f64.exp()); // σ(−1)
//! assert_abs_diff_eq!(e.dual, s * (1.0 - s), epsilon = 1e-16); // exact, to rounding
//! assert_eq!(e.analytic, 0.25); // σ′(0)
//! let fd = e.finite_difference.unwrap();
//! assert_abs_diff_eq!(fd.value, e.dual, epsilon = 1e-9); // finite differences side with the dual value
//! assert!(m.abs_error > m.tolerance.total);
//! assert!(m.snippet().contains("Oracle::default().check"));
//! ```
//!
//! Other failures name other culprits: [`CheckError::EvalDerivative`] when dual numbers and
//! finite differences disagree (`eval` itself is not differentiated as written — an
//! `f64` constant cast that drops the derivative, a branch on `re()` that differs from the
//! function), [`CheckError::CannotJudge`] at a point that is not smooth, and typed input
//! errors ([`CheckError::InputLength`], [`CheckError::NonFiniteInput`], …) for bad input.
//!
//! ## Gradients and Hessians
//!
//! A loss is a [`ScalarFn`]; [`Oracle::check_gradient`] and [`Oracle::check_hessian`] check
//! the hand-written derivatives, the Hessian against nested dual numbers (exact second
//! derivatives) and finite differences of the exact gradient.
//!
//! ```
//! use jacobian_oracle::{AnalyticGradient, AnalyticHessian, Oracle, ScalarFn};
//! use nalgebra::{DMatrix, DVector};
//! use num_dual::DualNum;
//!
//! /// f(x) = log Σ exp(x_i), computed stably; ∇f = softmax(x) = p, ∇²f = diag(p) − ppᵀ.
//! struct LogSumExp;
//! impl ScalarFn for LogSumExp {
//!     fn input_dim(&self) -> usize { 3 }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> D {
//!         let m = x.iter().map(|v| v.re()).fold(f64::NEG_INFINITY, f64::max);
//!         x.iter().fold(D::zero(), |s, &v| s + (v - m).exp()).ln() + m
//!     }
//! }
//! fn softmax(x: &DVector<f64>) -> DVector<f64> {
//!     let e = x.map(|v| (v - x.max()).exp());
//!     &e / e.sum()
//! }
//! impl AnalyticGradient for LogSumExp {
//!     fn gradient(&self, x: &DVector<f64>) -> DVector<f64> { softmax(x) }
//! }
//! impl AnalyticHessian for LogSumExp {
//!     fn hessian(&self, x: &DVector<f64>) -> DMatrix<f64> {
//!         let p = softmax(x);
//!         DMatrix::from_diagonal(&p) - &p * p.transpose()
//!     }
//! }
//! let x = DVector::from_vec(vec![1.0, -2.0, 0.5]);
//! Oracle::default().check_gradient(&LogSumExp, &x).unwrap();
//! Oracle::default().check_hessian(&LogSumExp, &x).unwrap();
//! ```
//!
//! ## Backward passes, projections, `f32`, black boxes
//!
//! Real layers rarely hand over a full Jacobian. [`modes`] checks a backward pass
//! ([`AnalyticVjp`], `uᵀJ`) and a forward rule ([`AnalyticJvp`], `Jv`) along signed random
//! directions plus the adjoint identity, and projections `uᵀJv` of a large Jacobian at
//! `O(k)` evaluations ([`Oracle::check_projected`]); [`precision`] checks an `f32`
//! implementation with `f32` tolerances ([`Oracle::check_f32`]); [`black_box`] checks an
//! `f64`-only function from finite differences alone ([`Oracle::check_black_box`]).
//!
//! ## Where things are
//!
//! | module | what it holds |
//! |---|---|
//! | [`catalogue`] | maps with hand-written derivatives, each with its formula and source (PML 1 ch. 13, logistic regression) — references to copy or compare with |
//! | [`mutants`] | the wrong formulas people write, each caught with its minimal counterexample |
//! | [`strategy`] | proptest strategies: shapes, regimes (saturating, tiny, huge), directions, simple values |
//! | [`report`] | [`Agreement`], [`Mismatch`] and the other reports; snippets |
//! | [`tolerance`], [`fd`], [`dual`], [`rounding`], [`noise`] | how the verdict is reached: tolerances and their error models, the two references, running rounding bounds, the measured noise of the analytic side |
#![cfg_attr(
    feature = "cli",
    doc = "| [`suite`] (feature `cli`) | the catalogue and mutants as seeded runs, and the soak ([`suite::soak`]) for your own maps |"
)]
#![cfg_attr(
    feature = "cli",
    doc = "| [`speed`], [`plot_data`] (feature `cli`) | the benchmark problem and floors; the data behind the README's plots |"
)]
//!
//! The modules `suite`, `speed` and `plot_data` serve the report binary and come with the
//! `cli` feature (on by default); with `default-features = false` the crate is the oracle,
//! its references and reports, [`strategy`], [`catalogue`] and [`mutants`].
//!
//! The formulas come from Murphy, *Probabilistic Machine Learning: An Introduction* (2022),
//! sec. 13.3–13.4 and 10.2–10.3, as cited on each map; the crate's README holds the measured
//! speed, detection power and reliability figures.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "argmin")]
#[cfg_attr(docsrs, doc(cfg(feature = "argmin")))]
pub mod argmin;
pub mod black_box;
#[cfg(feature = "candle")]
#[cfg_attr(docsrs, doc(cfg(feature = "candle")))]
pub mod candle;
pub mod catalogue;
pub mod dual;
mod error;
pub mod fd;
pub mod modes;
pub mod mutants;
pub mod noise;
mod oracle;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod plot_data;
pub mod precision;
pub mod report;
pub mod rounding;
pub mod scalar;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod speed;
pub mod strategy;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod suite;
pub mod tolerance;
mod traits;

pub use error::{CheckError, CheckResultExt};
pub use modes::{AnalyticJvp, AnalyticVjp};
pub use oracle::Oracle;
pub use precision::AnalyticJacobianF32;
pub use report::{Agreement, Mismatch};
pub use traits::{AnalyticGradient, AnalyticHessian, AnalyticJacobian, ScalarFn, VectorFn};

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
