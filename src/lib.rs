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
#![deny(missing_docs)]

pub mod black_box;
pub mod catalogue;
pub mod dual;
mod error;
pub mod fd;
pub mod modes;
pub mod mutants;
mod oracle;
pub mod plot_data;
pub mod precision;
pub mod report;
pub mod rounding;
pub mod scalar;
pub mod speed;
pub mod strategy;
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
