//! The three-witness attribution of `Oracle::check`: analytic vs dual numbers vs finite
//! differences, on small hand-written maps and on the catalogue.
//!
//! Each test pins the variant *and* its contents (entry, values, notes), so that a change in
//! attribution or in the tolerance model shows up here.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use jacobian_oracle::catalogue::{
    Sigmoid, SigmoidLayer, sigmoid_derivative, sigmoid_derivative_stable,
};
use jacobian_oracle::mutants::{LayerMutant, LayerMutantKind};
use jacobian_oracle::report::{NotJudgeable, Note};
use jacobian_oracle::strategy::{Regime, layer_case};
use jacobian_oracle::{AnalyticJacobian, CheckError, CheckResultExt, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn v(xs: &[f64]) -> DVector<f64> {
    DVector::from_vec(xs.to_vec())
}

/// A 2×3 layer with every weight nonzero and moderate pre-activations.
fn w23() -> DMatrix<f64> {
    DMatrix::from_row_slice(2, 3, &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75])
}

/// A 3×4 layer with `|Wx| < 2` at [`x4`]: every entry well-conditioned.
fn w34() -> DMatrix<f64> {
    DMatrix::from_row_slice(
        3,
        4,
        &[
            0.5, -0.25, 0.75, 0.1, -0.6, 0.3, 0.2, -0.4, 0.35, 0.45, -0.55, 0.15,
        ],
    )
}

fn x4() -> DVector<f64> {
    v(&[0.8, -0.6, 1.1, 0.4])
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

// ---------------------------------------------------------------------------------------------
// 1. Analytic wrong, eval right: Mismatch.
// ---------------------------------------------------------------------------------------------

#[test]
fn sign_error_in_analytic_is_a_mismatch_with_full_report() {
    let w = w23();
    let x = v(&[0.25, -1.5, 0.75]);
    let mutant = LayerMutant::new(LayerMutantKind::SignError, w.clone());
    let wrong = mutant.jacobian(&x);
    let right = SigmoidLayer::new(w).jacobian(&x);

    let err = Oracle::default().check(&mutant, &x).unwrap_err();
    let text = err.to_string();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    let (r, c) = (m.witnesses.row, m.witnesses.col);
    assert!(r < 2 && c < 3, "entry ({r}, {c}) out of the 2×3 Jacobian");
    assert_eq!(m.shape, (2, 3));
    // The reported values are those of the entry it names.
    assert_eq!(m.witnesses.analytic, wrong[(r, c)]);
    assert!(
        rel(m.witnesses.dual, right[(r, c)]) < 1e-14,
        "dual {} vs correct {}",
        m.witnesses.dual,
        right[(r, c)]
    );
    assert_eq!(m.witnesses.analytic, -right[(r, c)]);
    let fd = m
        .witnesses
        .finite_difference
        .expect("finite differences are available at a moderate x");
    assert!(
        rel(fd.value, m.witnesses.dual) < 1e-8,
        "fd {} vs dual {}",
        fd.value,
        m.witnesses.dual
    );
    // Derived bound: the witness's error estimate, with the oracle's safety factor.
    assert!(
        (fd.value - m.witnesses.dual).abs() <= Oracle::default().fd_safety() * fd.error_estimate
    );
    assert!(m.tolerance.total > 0.0);
    assert!(
        m.tolerance.total < 1e-12 * m.witnesses.dual.abs(),
        "{}",
        m.tolerance
    );
    assert_eq!(m.abs_error, (m.witnesses.analytic - m.witnesses.dual).abs());
    assert!(
        abs_diff_eq!(m.rel_error, 2.0, epsilon = 1e-12),
        "sign flip: relative error 2, got {}",
        m.rel_error
    );
    // Every entry is nonzero, so every entry is wrong.
    assert_eq!(m.wrong_entries, 6);
    assert_eq!(m.x, x);

    assert!(text.contains("analytic Jacobian is wrong"), "{text}");
    assert!(text.contains("reproduce:"), "{text}");
    assert!(text.contains(&format!("entry ({r}, {c})")), "{text}");
    let expr = mutant
        .rust_expr()
        .expect("catalogue types have a rust_expr");
    assert_eq!(m.map_expr.as_deref(), Some(expr.as_str()));
    let snippet = m.snippet();
    assert!(snippet.contains(&expr), "{snippet}");
    assert!(
        snippet.contains("DVector::from_vec(vec![0.25, -1.5, 0.75])"),
        "{snippet}"
    );
    assert!(text.contains(&expr), "{text}");
}

/// The layer with entry `(i, j)` of its (otherwise right) Jacobian scaled by `factor`.
fn scaled_entry(layer: SigmoidLayer, (i, j): (usize, usize), factor: f64) -> impl AnalyticJacobian {
    common::edited(layer, move |jac| jac[(i, j)] *= factor)
}

#[test]
fn one_flipped_entry_is_named_exactly() {
    let map = scaled_entry(SigmoidLayer::new(w23()), (1, 2), -1.0);
    let x = v(&[0.25, -1.5, 0.75]);
    let err = Oracle::default().check(&map, &x).unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (1, 2));
    assert_eq!(m.wrong_entries, 1);
    assert!(rel(-m.witnesses.analytic, m.witnesses.dual) < 1e-15);
    assert!(m.witnesses.finite_difference.is_some());
    // No rust_expr: the snippet has a placeholder, and still the exact x.
    assert_eq!(m.map_expr, None);
    assert!(
        m.snippet()
            .contains("DVector::from_vec(vec![0.25, -1.5, 0.75])")
    );
    assert!(m.snippet().contains("your map"));
}

// ---------------------------------------------------------------------------------------------
// 2. eval differentiated wrongly: EvalDerivative, never blamed on the analytic side.
// ---------------------------------------------------------------------------------------------

/// `f(x) = (sin x₀, x₀x₁)`, with `sin x₀` computed off the dual path (its derivative is lost).
struct OffPath {
    /// The analytic Jacobian copies the mistake (∂f₀/∂x₀ = 0) instead of the right `cos x₀`.
    analytic_copies_mistake: bool,
}

impl VectorFn for OffPath {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![D::from(x[0].re().sin()), x[0] * x[1]])
    }
}

impl AnalyticJacobian for OffPath {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let d00 = if self.analytic_copies_mistake {
            0.0
        } else {
            x[0].cos()
        };
        DMatrix::from_row_slice(2, 2, &[d00, 0.0, x[1], x[0]])
    }
}

#[test]
fn off_dual_path_eval_is_an_eval_derivative_error_with_right_analytic() {
    let x = v(&[0.7, -1.3]);
    let err = Oracle::default()
        .check(
            &OffPath {
                analytic_copies_mistake: false,
            },
            &x,
        )
        .unwrap_err();
    let text = err.to_string();
    let CheckError::EvalDerivative(e) = &err else {
        panic!("expected EvalDerivative, got {err:?}")
    };
    assert_eq!((e.witnesses.row, e.witnesses.col), (0, 0));
    assert_eq!(e.witnesses.dual, 0.0);
    assert_eq!(e.witnesses.analytic, 0.7f64.cos());
    let fd = e.witnesses.finite_difference.expect("fd ran");
    assert!(rel(fd.value, 0.7f64.cos()) < 1e-8, "fd {}", fd.value);
    assert!(e.analytic_agrees_with_fd);
    assert_eq!(e.disagreeing_entries, 1);
    assert_eq!(e.shape, (2, 2));
    assert_eq!(e.x, x);
    assert!(
        text.contains("eval is not differentiated correctly"),
        "{text}"
    );
    assert!(text.contains("off the dual path"), "{text}");
    assert!(e.snippet().contains("DVector::from_vec(vec![0.7, -1.3])"));
}

#[test]
fn off_dual_path_eval_with_analytic_copying_the_mistake_is_still_eval_derivative() {
    let x = v(&[0.7, -1.3]);
    let err = Oracle::default()
        .check(
            &OffPath {
                analytic_copies_mistake: true,
            },
            &x,
        )
        .unwrap_err();
    let text = err.to_string();
    let CheckError::EvalDerivative(e) = &err else {
        panic!("expected EvalDerivative (never Mismatch), got {err:?}")
    };
    assert_eq!((e.witnesses.row, e.witnesses.col), (0, 0));
    assert_eq!(e.witnesses.dual, 0.0);
    assert_eq!(e.witnesses.analytic, 0.0);
    assert!(!e.analytic_agrees_with_fd);
    assert_eq!(e.disagreeing_entries, 1);
    assert!(text.contains("none of the three witnesses agree"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 3. The additive-offset trap: noisy finite differences must not raise a false alarm.
// ---------------------------------------------------------------------------------------------

/// `f(x) = ((x₀ + c) − c + sin(x₁)·x₀, (x₀x₁ + c) − c)`: the offset `c` makes `f` noisy at the
/// level of `ulp(c)`; dual numbers are exact.
struct Offset {
    c: f64,
}

impl VectorFn for Offset {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let c = self.c;
        DVector::from_vec(vec![
            (x[0] + c) - c + x[1].sin() * x[0],
            (x[0] * x[1] + c) - c,
        ])
    }
}

impl AnalyticJacobian for Offset {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_row_slice(2, 2, &[1.0 + x[1].sin(), x[0] * x[1].cos(), x[1], x[0]])
    }
}

fn offset_outcome(c: f64, x: &DVector<f64>) -> Result<String, String> {
    match Oracle::default().check(&Offset { c }, x) {
        Ok(a) => {
            let has = |f: fn(&Note) -> bool| a.notes.iter().any(f);
            let how = if has(|n| {
                matches!(
                    n,
                    Note::NoisyFiniteDifferences { .. } | Note::RefinedStep { .. }
                )
            }) {
                format!("finite differences escalated: {:?}", a.notes)
            } else if has(|n| matches!(n, Note::FiniteDifferencesNotConverged { .. })) {
                format!("finite differences gave no verdict: {:?}", a.notes)
            } else {
                format!("finite differences agreed directly: {:?}", a.notes)
            };
            // The analytic side agrees to rounding: the offset does not touch the duals.
            assert!(a.worst_analytic.ratio() < 1.0);
            assert!(!a.worst_analytic.abs_error.is_nan() && !a.worst_rel_error.is_nan());
            assert_eq!(a.precision_loss_entries(), 0, "{a}");
            Ok(how)
        }
        Err(e) => Err(format!("{e:?}\n{e}")),
    }
}

/// Offsets and points where the noise of `f` is visible to the oracle's estimator (the
/// step is not an alias of `ulp(c)`): the check passes, and says how.
#[test]
fn additive_offset_passes() {
    let cases: [(f64, [f64; 2]); 12] = [
        (1e6, [0.3, 0.7]),
        (1e6, [12.0, -0.4]),
        (1e6, [1e3, 2.0]),
        (1e6, [1.0, 1.0]),
        (1e6, [0.5, 0.0]),
        (1e8, [0.3, 0.7]),
        (1e8, [12.0, -0.4]),
        (1e8, [1e3, 2.0]),
        (1e8, [1.0, 1.0]),
        (1e8, [0.5, 0.0]),
        (1e10, [12.0, -0.4]),
        (1e10, [1e3, 2.0]),
    ];
    for (c, x) in cases {
        let how = offset_outcome(c, &v(&x)).unwrap_or_else(|e| panic!("c = {c:e}, x = {x:?}: {e}"));
        println!("c = {c:e}, x = {x:?}: {how}");
    }
}

/// The DESIGN requirement in full: every offset, every point.
#[test]
fn additive_offset_passes_everywhere() {
    let mut failures = Vec::new();
    for c in [1e6, 1e8, 1e10] {
        for x in [
            [0.3, 0.7],
            [-2.5, 1.3],
            [12.0, -0.4],
            [1e3, 2.0],
            [1.0, 1.0],
            [2.5, 0.0],
            [0.5, 0.0],
        ] {
            match offset_outcome(c, &v(&x)) {
                Ok(how) => println!("c = {c:e}, x = {x:?}: {how}"),
                Err(e) => failures.push(format!("c = {c:e}, x = {x:?}: {e}")),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} false alarms:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// `f(x) = (x₀ + c) − c`, with the analytic derivative `slope` (right: 1).
struct Offset1 {
    c: f64,
    slope: f64,
}
impl VectorFn for Offset1 {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![(x[0] + self.c) - self.c])
    }
}
impl AnalyticJacobian for Offset1 {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, self.slope)
    }
}

/// The smallest inputs that showed a false alarm during development (fixed by checking
/// every step level against its neighbours, adding coarser steps, and treating a level on
/// which `f` does not move at all as unresolved): `f(x) = (x₀ + c) − c` with `f' = 1`.
///
/// * `c = 1e6, x₀ = 2.5`: the step is `h = ε^{1/3}·2.5 ≈ 1.514e-5` and the noise probe's
///   spacing `δ = h/1024 ≈ 126.99·ulp(1e6)` is nearly a multiple of `ulp(c)`, so the rounding
///   error of `(x + c) − c` drifts *linearly* over the probe and over the stencil: the
///   difference table measures no noise (σ = 0), the stencil sees a straight line of slope
///   `1 + 8.1e-7`, its Richardson estimate is tiny (± 2.8e-10), and the exact dual value 1 is
///   blamed. The same alias hits `(x₀x₁ + c) − c` along `x₁` at `x = (2.5, 0)`.
/// * `c = 1e10, x₀ = 0`: `ulp(1e10) ≈ 1.9e-6`; the probe and the refined steps are below it,
///   `f` is flat on them (σ = 0), and finite differences "converge" to a wrong slope.
#[test]
fn additive_offset_minimal_false_alarm() {
    let mut failures = Vec::new();
    for (c, x0) in [
        (1e6, 2.5),
        (1e6, -2.5),
        (1e8, 2.5),
        (1e10, 0.0),
        (1e10, 1.0),
        (1e3, -3.3998999999999997),
    ] {
        if let Err(e) = Oracle::default().check(&Offset1 { c, slope: 1.0 }, &v(&[x0])) {
            failures.push(format!("c = {c:e}, x0 = {x0}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Noisy finite differences never mask a wrong analytic derivative: at the points that once
/// raised false alarms, a wrong analytic value is a `Mismatch` (dual decides; finite
/// differences at a coarser step vouch for it, or are reported as not converged).
#[test]
fn a_wrong_analytic_derivative_under_an_offset_is_a_mismatch() {
    for (c, x0) in [
        (1e6, 2.5),
        (1e6, -2.5),
        (1e8, 2.5),
        (1e10, 0.0),
        (1e10, 1.0),
        (1e14, 0.5),
    ] {
        match Oracle::default().check(&Offset1 { c, slope: 1.5 }, &v(&[x0])) {
            Err(CheckError::Mismatch(m)) => {
                assert_eq!((m.witnesses.analytic, m.witnesses.dual), (1.5, 1.0));
            }
            other => panic!("c = {c:e}, x0 = {x0}: expected Mismatch, got {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/witnesses.txt", 256))]

    /// The additive-offset trap over offsets from 1e3 to 1e14 and points in [−5, 5]: the
    /// correct derivative always passes.
    #[test]
    fn additive_offset_never_raises_a_false_alarm(
        exponent in 3i32..=14,
        x0 in -5.0f64..5.0,
        x1 in -2.0f64..2.0,
    ) {
        let c = 10f64.powi(exponent);
        if let Err(e) = offset_outcome(c, &v(&[x0, x1])) {
            return Err(TestCaseError::fail(format!("c = {c:e}: {e}")));
        }
        Oracle::default().check(&Offset1 { c, slope: 1.0 }, &v(&[x0]))?;
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Kinks: CannotJudge, NonSmooth notes, and the proptest conversions.
// ---------------------------------------------------------------------------------------------

/// `f(x) = (x₀x₁, |x₀|)`; the analytic Jacobian uses `sign_at_zero` for `∂|x₀|/∂x₀` at 0.
struct Abs {
    sign_at_zero: f64,
}

impl VectorFn for Abs {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let abs = if x[0].re() >= 0.0 { x[0] } else { -x[0] };
        DVector::from_vec(vec![x[0] * x[1], abs])
    }
}

impl AnalyticJacobian for Abs {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = if x[0] > 0.0 {
            1.0
        } else if x[0] < 0.0 {
            -1.0
        } else {
            self.sign_at_zero
        };
        DMatrix::from_row_slice(2, 2, &[x[1], x[0], s, 0.0])
    }
}

#[test]
fn kink_with_other_branch_cannot_be_judged() {
    let x = v(&[0.0, 0.5]);
    // The dual number takes the `x₀ ≥ 0` branch (derivative +1); the analytic side says −1.
    let result = Oracle::default().check(&Abs { sign_at_zero: -1.0 }, &x);
    let err = result.clone().unwrap_err();
    assert!(err.is_cannot_judge());
    let text = err.to_string();
    let CheckError::CannotJudge(c) = &err else {
        panic!("expected CannotJudge, got {err:?}")
    };
    assert_eq!(c.reason, NotJudgeable::NonSmooth);
    assert_eq!((c.witnesses.row, c.witnesses.col), (1, 0));
    assert_eq!(c.witnesses.analytic, -1.0);
    assert_eq!(c.witnesses.dual, 1.0);
    let (fw, bw) = c.one_sided;
    assert_abs_diff_eq!(fw, 1.0, epsilon = 1e-6);
    assert_abs_diff_eq!(bw, -1.0, epsilon = 1e-6);
    assert_eq!(c.shape, (2, 2));
    assert_eq!(c.x, x);
    assert!(text.contains("cannot judge"), "{text}");

    // In proptest: rejected, not failed — unless plain `?` is used.
    assert!(matches!(
        err.clone().into_test_case_error(),
        TestCaseError::Reject(_)
    ));
    assert!(matches!(
        result.clone().reject_unjudgeable(),
        Err(TestCaseError::Reject(_))
    ));
    assert!(matches!(TestCaseError::from(err), TestCaseError::Fail(_)));
}

#[test]
fn kink_with_dual_branch_passes_with_non_smooth_note() {
    let x = v(&[0.0, 0.5]);
    let a = Oracle::default()
        .check(&Abs { sign_at_zero: 1.0 }, &x)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        a.notes.contains(&Note::NonSmooth { entries: 1 }),
        "{:?}",
        a.notes
    );
    assert_eq!(a.non_smooth_entries(), 1);
    // Ok stays Ok through the extension trait.
    assert!(
        Oracle::default()
            .check(&Abs { sign_at_zero: 1.0 }, &x)
            .reject_unjudgeable()
            .is_ok()
    );
}

#[test]
fn wrong_analytic_away_from_the_kink_is_still_a_mismatch() {
    // |x₀| at x₀ = −0.5 (smooth there) with the analytic derivative +1: an ordinary bug.
    let x = v(&[-0.5]);
    struct AbsWrong;
    impl VectorFn for AbsWrong {
        fn input_dim(&self) -> usize {
            1
        }
        fn output_dim(&self) -> usize {
            1
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
            DVector::from_vec(vec![if x[0].re() >= 0.0 { x[0] } else { -x[0] }])
        }
    }
    impl AnalyticJacobian for AbsWrong {
        fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
            DMatrix::from_element(1, 1, 1.0)
        }
    }
    let err = Oracle::default().check(&AbsWrong, &x).unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.analytic, m.witnesses.dual), (1.0, -1.0));
    assert!(matches!(err.into_test_case_error(), TestCaseError::Fail(_)));
}

/// `relu(x₀)`, analytic derivative `if x₀ > 0 { 1 } else { at_or_below_zero }`.
struct Relu {
    derivative: fn(f64) -> f64,
}

impl VectorFn for Relu {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![if x[0].re() > 0.0 { x[0] } else { D::zero() }])
    }
}

impl AnalyticJacobian for Relu {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, (self.derivative)(x[0]))
    }
}

#[test]
fn relu_just_right_of_its_kink() {
    // At 1e-13 the kink lies inside even the finest stencil (h/8⁶ ≈ 2.3e-11): the analytic
    // value matching f' at x passes, with the kink as a note.
    let x = v(&[1e-13]);
    let right = Relu {
        derivative: |x| if x > 0.0 { 1.0 } else { 0.0 },
    };
    let a = Oracle::default()
        .check(&right, &x)
        .unwrap_or_else(|e| panic!("{e}"));
    println!("relu at 1e-13, right analytic: notes {:?}", a.notes);
    assert!(a.worst_analytic.ratio() < 1.0);
    assert_eq!(a.non_smooth_entries(), 1, "{:?}", a.notes);

    // A derivative that is wrong at x (0, the left branch) but right a stencil away: no verdict.
    let wrong = Relu {
        derivative: |_| 0.0,
    };
    let err = Oracle::default().check(&wrong, &x).unwrap_err();
    let CheckError::CannotJudge(c) = &err else {
        panic!("expected CannotJudge, got {err:?}")
    };
    assert_eq!((c.witnesses.analytic, c.witnesses.dual), (0.0, 1.0));
    assert!(matches!(
        Oracle::default().check(&wrong, &x).reject_unjudgeable(),
        Err(TestCaseError::Reject(_))
    ));

    // At 1e-9 the smaller steps resolve the point as smooth: the right analytic value passes
    // with finite differences at a refined step, and the wrong one is a plain mismatch.
    let a = Oracle::default().check(&right, &v(&[1e-9])).unwrap();
    assert!(
        a.notes
            .iter()
            .any(|n| matches!(n, Note::RefinedStep { .. })),
        "{:?}",
        a.notes
    );
    let err = Oracle::default().check(&wrong, &v(&[1e-9])).unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err:?}");

    // Far from the kink the same wrong derivative is a plain mismatch.
    let err = Oracle::default().check(&wrong, &v(&[0.5])).unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err:?}");
}

/// `softplus(x₀) = log(1 + e^{−|x₀|}) + max(x₀, 0)`: smooth everywhere, but its dual path at
/// `x₀ = 0` exactly differentiates `|x₀|` as `signum(0) = +1` and returns `−σ(0) = −0.5`
/// where `f′(0) = +0.5`. (Found by CI: the softplus layer of `examples/layer_test.rs` with
/// `Wx = 0` exactly, shrunk to `W = [−10]`, `x = [0]`.)
struct SoftplusViaAbs {
    analytic: f64,
}

impl VectorFn for SoftplusViaAbs {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let a = x[0];
        let tail = (-a.abs()).exp().ln_1p();
        DVector::from_vec(vec![if a.re() > 0.0 { a + tail } else { tail }])
    }
}

impl AnalyticJacobian for SoftplusViaAbs {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, self.analytic)
    }
}

#[test]
fn dual_outlier_on_a_branch_boundary_is_not_blamed_on_the_analytic_side() {
    let x = v(&[0.0]);
    // The right derivative, 0.5, agrees with finite differences and with the dual value a
    // hair away; only the dual value at x itself differs. No Mismatch: x sits on a branch
    // boundary of eval, and the case is rejected in proptest.
    let err = Oracle::default()
        .check(&SoftplusViaAbs { analytic: 0.5 }, &x)
        .unwrap_err();
    let CheckError::CannotJudge(c) = &err else {
        panic!("expected CannotJudge, got {err}")
    };
    assert_eq!(c.reason, NotJudgeable::BranchBoundary);
    assert_eq!((c.witnesses.analytic, c.witnesses.dual), (0.5, -0.5));
    let text = err.to_string();
    assert!(text.contains("branch boundary of eval"), "{text}");
    let fd = c
        .witnesses
        .finite_difference
        .expect("finite differences exist");
    assert!(abs_diff_eq!(fd.value, 0.5, epsilon = 1e-8), "{fd:?}");
    // The dual values a hair either side are the right derivative.
    let (plus, minus) = c.one_sided;
    assert_abs_diff_eq!(plus, 0.5, epsilon = 1e-8);
    assert_abs_diff_eq!(minus, 0.5, epsilon = 1e-8);
    assert!(matches!(
        err.into_test_case_error(),
        TestCaseError::Reject(_)
    ));
    // A hair away from 0 the same map is an ordinary smooth point: right passes, wrong fails.
    let y = v(&[1e-3]);
    Oracle::default()
        .check(
            &SoftplusViaAbs {
                analytic: 1.0 / (1.0 + (-1e-3f64).exp()),
            },
            &y,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let err = Oracle::default()
        .check(&SoftplusViaAbs { analytic: -0.5 }, &y)
        .unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
}

// ---------------------------------------------------------------------------------------------
// 5. The tanh trap.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum TanhForm {
    /// num-dual's own `tanh` (sinh/cosh on duals).
    NumDual,
    /// `1 − 2/(1 + e^{2a})` for `a ≥ 0`, mirrored: the form suggested in the `VectorFn` docs.
    OnePlusExp2a,
    /// `(1 − e^{−2a})/(1 + e^{−2a})` for `a ≥ 0`, mirrored: no exponential of a positive number.
    Stable,
}

/// `f(x) = (x₀, tanh x₁)`.
struct TanhMap(TanhForm);

fn tanh_of<D: DualNum<Primitive = f64> + Copy>(a: D, form: TanhForm) -> D {
    match form {
        TanhForm::NumDual => a.tanh(),
        TanhForm::OnePlusExp2a => {
            let t = |b: D| D::one() - (D::one() + (b * 2.0).exp()).recip() * 2.0;
            if a.re() >= 0.0 { t(a) } else { -t(-a) }
        }
        TanhForm::Stable => {
            let t = |b: D| {
                let e = (b * -2.0).exp();
                (D::one() - e) / (D::one() + e)
            };
            if a.re() >= 0.0 { t(a) } else { -t(-a) }
        }
    }
}

impl VectorFn for TanhMap {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        2
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![x[0], tanh_of(x[1], self.0)])
    }
}

impl AnalyticJacobian for TanhMap {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let t = x[1].tanh();
        DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0 - t * t])
    }
}

#[test]
fn num_dual_tanh_at_400_is_a_non_finite_dual() {
    let err = Oracle::default()
        .check(&TanhMap(TanhForm::NumDual), &v(&[0.5, 400.0]))
        .unwrap_err();
    let CheckError::NonFiniteDual { row, col, value } = err else {
        panic!("expected NonFiniteDual, got {err:?}")
    };
    assert_eq!((row, col), (1, 1));
    assert!(
        value.is_nan(),
        "num-dual 0.15 gives (∞·∞ − ∞·∞)/∞ = NaN, got {value}"
    );
    assert!(err.to_string().contains("∂f_1/∂x_1"), "{err}");
    assert!(err.to_string().contains("tanh"), "{err}");
}

#[test]
fn num_dual_tanh_at_1000_overflows_the_dual_value() {
    // sinh(1000) and cosh(1000) are ∞ on the dual path: the *value* is NaN there, while
    // the f64 eval (std's tanh) gives 1. The oracle reports it as the dual path overflowing
    // at output 1 (not as a non-finite eval: eval::<f64> is finite).
    let err = Oracle::default()
        .check(&TanhMap(TanhForm::NumDual), &v(&[0.5, 1000.0]))
        .unwrap_err();
    let CheckError::NonFiniteDual { row, value, .. } = err else {
        panic!("expected NonFiniteDual, got {err:?}")
    };
    assert_eq!(row, 1);
    assert!(value.is_nan());
    assert!(err.to_string().contains("dual path"), "{err}");
}

#[test]
fn exp_of_2a_form_overflows_on_duals_like_num_dual_tanh() {
    // 1 − 2/(1 + e^{2a}): e^{800} = ∞, and the derivative of 2/∞ on a dual is 0·∞ = NaN.
    // The same threshold (a ≈ 355) as num-dual's tanh: this form does not escape the trap.
    // Already the pass seeded on x₀ fails: exp's derivative there is 0·e^{800} = 0·∞ = NaN,
    // so the entry named is ∂f₁/∂x₀ (whose true value is 0), not ∂f₁/∂x₁.
    let err = Oracle::default()
        .check(&TanhMap(TanhForm::OnePlusExp2a), &v(&[0.5, 400.0]))
        .unwrap_err();
    assert!(
        matches!(err, CheckError::NonFiniteDual { row: 1, col: 0, value } if value.is_nan()),
        "{err:?}"
    );
    // Below the threshold it is fine.
    Oracle::default()
        .check(&TanhMap(TanhForm::OnePlusExp2a), &v(&[0.5, 300.0]))
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn stable_tanh_passes_in_saturation() {
    for a in [-1000.0, -400.0, -20.0, -0.5, 0.0, 0.5, 20.0, 400.0, 1000.0] {
        let agreement = Oracle::default()
            .check(&TanhMap(TanhForm::Stable), &v(&[0.5, a]))
            .unwrap_or_else(|e| panic!("a = {a}: {e}"));
        println!("stable tanh at {a}: {agreement}");
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Tolerance behaviour: no false alarm in saturation, 1e-10 relative errors caught.
// ---------------------------------------------------------------------------------------------

#[test]
fn textbook_sigmoid_derivative_in_deep_saturation_passes_with_precision_loss() {
    let oracle = Oracle::default();
    // One 1×1 layer per pre-activation a = W·x, x = 2.
    for a in [40.0, 100.0, 300.0, 700.0] {
        let layer = SigmoidLayer::new(DMatrix::from_element(1, 1, a / 2.0));
        let agreement = oracle
            .check(&layer, &v(&[2.0]))
            .unwrap_or_else(|e| panic!("a = {a}: {e}"));
        // z rounds to 1, z(1 − z) to 0, the true σ'(a)·W ≈ e^{−a}·W is a normal number.
        assert_eq!(sigmoid_derivative(a), 0.0);
        assert_eq!(
            agreement.precision_loss_entries(),
            1,
            "a = {a}: {agreement}"
        );
        let Some(Note::PrecisionLoss {
            worst_rel_error, ..
        }) = agreement
            .notes
            .iter()
            .find(|n| matches!(n, Note::PrecisionLoss { .. }))
        else {
            unreachable!()
        };
        assert_eq!(
            *worst_rel_error, 1.0,
            "a = {a}: the analytic entry is 0, all precision lost"
        );
    }
    // σ'(800) underflows to 0 on both sides: no precision is lost that could be measured.
    let layer = SigmoidLayer::new(DMatrix::from_element(1, 1, 400.0));
    let agreement = oracle
        .check(&layer, &v(&[2.0]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(agreement.precision_loss_entries(), 0, "{agreement}");
    // Negative saturation: z is tiny and z(1 − z) ≈ z is accurate.
    for a in [-40.0, -100.0, -300.0, -700.0, -800.0] {
        let layer = SigmoidLayer::new(DMatrix::from_element(1, 1, a / 2.0));
        let agreement = oracle
            .check(&layer, &v(&[2.0]))
            .unwrap_or_else(|e| panic!("a = {a}: {e}"));
        assert_eq!(
            agreement.precision_loss_entries(),
            0,
            "a = {a}: {agreement}"
        );
        if a > -700.0 {
            assert!(rel(sigmoid_derivative(a), sigmoid_derivative_stable(a)) < 1e-15);
        }
    }
    // All of them in one 10×1 layer (rows are independent): exactly the four positive,
    // non-underflowing rows lose precision.
    let col = [
        40.0, 100.0, 300.0, 700.0, 800.0, -40.0, -100.0, -300.0, -700.0, -800.0,
    ];
    let layer = SigmoidLayer::new(DMatrix::from_column_slice(10, 1, &col));
    let agreement = oracle
        .check(&layer, &v(&[1.0]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(agreement.precision_loss_entries(), 4, "{agreement}");
    assert_eq!(agreement.shape, (10, 1));
    // And a 2-column version where each a is a sum (|Wx| reached through x = (3, −2)).
    let w = DMatrix::from_fn(10, 2, |i, _| col[i]);
    let agreement = oracle
        .check(&SigmoidLayer::new(w), &v(&[3.0, -2.0]))
        .unwrap_or_else(|e| panic!("{e}"));
    // a_i = 3w − 2w = w: same four rows, now two entries each.
    assert_eq!(agreement.precision_loss_entries(), 8, "{agreement}");
}

/// Whether `check` catches the layer with entry `(i, j)` scaled by `factor`; a Mismatch must
/// name that entry alone.
fn caught_at(
    layer: &SigmoidLayer,
    (i, j): (usize, usize),
    factor: f64,
    x: &DVector<f64>,
) -> Result<bool, CheckError> {
    match Oracle::default().check(&scaled_entry(layer.clone(), (i, j), factor), x) {
        Ok(_) => Ok(false),
        Err(CheckError::Mismatch(m)) => {
            assert_eq!(
                (m.witnesses.row, m.witnesses.col, m.wrong_entries),
                (i, j, 1),
                "factor {factor}: {m}"
            );
            Ok(true)
        }
        Err(e) => Err(e),
    }
}

#[test]
fn relative_error_of_1e_10_in_one_entry_is_caught() {
    let x = x4();
    let layer = SigmoidLayer::new(w34());
    let a = &layer.w * &x;
    assert!(a.iter().all(|ai| ai.abs() < 2.0), "{a}");
    let clean = Oracle::default()
        .check(&layer, &x)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(clean.precision_loss_entries(), 0, "{clean}");

    let (i, j) = (1, 2);
    let map = scaled_entry(layer.clone(), (i, j), 1.0 + 1e-10);
    let err = Oracle::default().check(&map, &x).unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (i, j));
    assert_eq!(m.wrong_entries, 1);
    assert_abs_diff_eq!(m.rel_error / 1e-10, 1.0, epsilon = 1e-3);

    // The detection threshold: walk the relative perturbation down until it is missed.
    let steps = [
        1e-10, 3e-11, 1e-11, 3e-12, 1e-12, 3e-13, 1e-13, 3e-14, 1e-14, 3e-15, 1e-15, 3e-16,
    ];
    let mut smallest_caught = None;
    for &r in &steps {
        match caught_at(&layer, (i, j), 1.0 + r, &x) {
            Ok(true) => smallest_caught = Some(r),
            Ok(false) => break,
            Err(e) => panic!("relative perturbation {r}: unexpected {e:?}"),
        }
    }
    let threshold = smallest_caught.expect("1e-10 is caught");
    println!("smallest relative perturbation of entry ({i}, {j}) still caught: {threshold:e}");
    // The README's figure: 3e-14 relative in one well-conditioned entry (32ε ≈ 7e-15 of the
    // entry plus 8ε of the largest entry make its tolerance); below 1e-14 would be below it.
    assert!(threshold <= 3e-14, "threshold {threshold:e}");
    assert!(
        threshold >= 1e-14,
        "threshold {threshold:e} below the tolerance's own floor"
    );
    // Below the threshold the check passes (no other error appears).
    for &r in steps.iter().filter(|&&r| r < threshold) {
        let map = scaled_entry(layer.clone(), (i, j), 1.0 + r);
        if let Err(e) = Oracle::default().check(&map, &x) {
            // Monotone: once a perturbation is missed, smaller ones are not caught either,
            // except by rounding luck; anything but a Mismatch at (i, j) would be wrong.
            let CheckError::Mismatch(m) = &e else {
                panic!("{r}: {e:?}")
            };
            assert_eq!((m.witnesses.row, m.witnesses.col), (i, j));
        }
    }
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/witnesses.txt", 64))]

    /// A 1e-10 relative error in the largest entry of a correct sigmoid layer's Jacobian is
    /// always caught, at that entry, when the entry is well-conditioned.
    #[test]
    fn largest_entry_perturbed_by_1e_10_is_caught(
        case in layer_case().regimes(&[Regime::Moderate])
    ) {
        let layer = SigmoidLayer::new(case.w.clone());
        let clean = Oracle::default().check(&layer, &case.x);
        prop_assert!(clean.is_ok(), "false alarm on a correct layer: {}", clean.unwrap_err());
        let jac = layer.jacobian(&case.x);
        let (mut i, mut j, mut best) = (0, 0, 0.0f64);
        for c in 0..jac.ncols() {
            for r in 0..jac.nrows() {
                if jac[(r, c)].abs() > best {
                    (i, j, best) = (r, c, jac[(r, c)].abs());
                }
            }
        }
        prop_assume!(best > 0.0 && best.is_normal());
        // The textbook z(1 − z) loses about e^{|a|}·ε relative precision at pre-activation a
        // (the oracle's sensitivity term, ≈ 16·e^{|a|}·ε, is its honest model of that). Up to
        // |a| = 8 that stays ~10× below 1e-10; beyond it the entry is not well-conditioned.
        let a_i = case.preactivation()[i];
        prop_assume!(a_i.abs() <= 8.0, "saturated row (i, a): {:?}", (i, a_i));
        let map = scaled_entry(layer, (i, j), 1.0 + 1e-10);
        match Oracle::default().check(&map, &case.x) {
            Err(CheckError::Mismatch(m)) => {
                prop_assert_eq!((m.witnesses.row, m.witnesses.col), (i, j));
                prop_assert_eq!(m.wrong_entries, 1);
            }
            other => prop_assert!(false, "entry ({}, {}) a = {}: {:?}", i, j, a_i, other),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 7. The fields of a passing check.
// ---------------------------------------------------------------------------------------------

#[test]
fn agreement_fields_of_a_passing_check() {
    let oracle = Oracle::default();
    let layer = SigmoidLayer::new(w23());
    let x = v(&[0.3, -1.2, 0.7]);
    let a = oracle.check(&layer, &x).unwrap_or_else(|e| panic!("{e}"));
    let n: usize = 3;
    assert_eq!(a.shape, (2, 3));
    assert!(a.worst_analytic.ratio() < 1.0, "{a}");
    assert!(a.worst_analytic.row < 2 && a.worst_analytic.col < 3);
    assert!(a.worst_analytic.bound > 0.0);
    assert!(
        a.worst_rel_error >= 0.0 && a.worst_rel_error < 32.0 * f64::EPSILON,
        "{a}"
    );
    let fd = a.worst_fd.expect("finite differences ran");
    assert!(fd.ratio() < oracle.fd_safety(), "{a}");
    assert!(fd.row < 2 && fd.col < 3);
    // One dual pass: the n = 3 columns seeded together on vector dual numbers.
    assert_eq!(
        a.evaluations.dual_evals,
        n.div_ceil(jacobian_oracle::dual::LANES)
    );
    // f(x), then 2 evaluations per column (x ± h), and 2 more (x ± 2h) for each column whose
    // central difference does not agree with dual to within its rounding.
    assert!(
        (1 + 2 * n..=1 + 4 * n).contains(&a.evaluations.f64_evals),
        "{:?}",
        a.evaluations
    );
    assert!(a.notes.is_empty(), "{:?}", a.notes);
    assert_eq!(a.precision_loss_entries(), 0);
    assert_eq!(a.non_smooth_entries(), 0);
    let text = a.to_string();
    assert!(text.contains("agreement on the 2×3 Jacobian"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 8. Oracle is Send + Sync + Copy and gives identical results from several threads.
// ---------------------------------------------------------------------------------------------

const fn assert_send_sync_copy<T: Send + Sync + Copy>() {}
const _: () = assert_send_sync_copy::<Oracle>();

#[test]
fn oracle_shared_across_threads_gives_identical_results() {
    let oracle = Oracle::default();
    let x = v(&[0.3, -1.2, 0.7]);
    let run_all = |o: &Oracle| -> Vec<String> {
        let mut out = vec![format!("{:?}", o.check(&SigmoidLayer::new(w23()), &x))];
        for kind in [
            LayerMutantKind::SignError,
            LayerMutantKind::MissingOneMinusZ,
            LayerMutantKind::ShiftedColumn,
            LayerMutantKind::OuterProduct,
        ] {
            out.push(format!("{:?}", o.check(&LayerMutant::new(kind, w23()), &x)));
        }
        out.push(format!("{:?}", o.check(&Sigmoid, &v(&[40.0]))));
        out
    };
    let sequential = run_all(&oracle);
    assert!(sequential[0].starts_with("Ok("));
    assert!(
        sequential[1..5]
            .iter()
            .all(|r| r.starts_with("Err(Mismatch("))
    );
    let results: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let shared = &oracle;
                let copied = oracle;
                let run_all = &run_all;
                s.spawn(move || {
                    if t % 2 == 0 {
                        run_all(shared)
                    } else {
                        run_all(&copied)
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    for r in results {
        assert_eq!(r, sequential);
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Without finite differences the dual reference decides alone.
// ---------------------------------------------------------------------------------------------

#[test]
fn without_finite_differences_off_path_eval_goes_unnoticed() {
    let oracle = Oracle::default().with_finite_differences(false);
    let x = v(&[0.7, -1.3]);
    // The analytic Jacobian that copies the lost derivative passes: the documented trade-off.
    let a = oracle
        .check(
            &OffPath {
                analytic_copies_mistake: true,
            },
            &x,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.worst_fd, None);
    assert_eq!(a.evaluations.f64_evals, 1);
    assert_eq!(a.evaluations.dual_evals, 1); // both columns in one vector-dual pass
    assert!(a.notes.is_empty(), "{:?}", a.notes);
    // The right analytic Jacobian is now blamed instead (the dual reference is trusted alone).
    let err = oracle
        .check(
            &OffPath {
                analytic_copies_mistake: false,
            },
            &x,
        )
        .unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (0, 0));
    assert_eq!(m.witnesses.finite_difference, None);
    assert!(
        err.to_string()
            .contains("finite differences were not available"),
        "{err}"
    );
}
