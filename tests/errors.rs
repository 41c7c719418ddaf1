//! Bad input gets a typed error naming what is wrong — never a panic, never a NaN inside an
//! `Ok`.

mod common;

use std::any::TypeId;

use approx::assert_abs_diff_eq;
use jacobian_oracle::catalogue::SigmoidLayer;
use jacobian_oracle::report::Note;
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;

fn v(xs: &[f64]) -> DVector<f64> {
    DVector::from_vec(xs.to_vec())
}

fn layer23() -> SigmoidLayer {
    SigmoidLayer::new(DMatrix::from_row_slice(
        2,
        3,
        &[0.5, -1.0, 2.0, 1.5, 0.25, -0.75],
    ))
}

// ---------------------------------------------------------------------------------------------
// x: length and finiteness.
// ---------------------------------------------------------------------------------------------

#[test]
fn x_of_the_wrong_length() {
    let layer = layer23();
    for found in [0, 1, 2, 4, 7] {
        let x = DVector::from_element(found, 0.5);
        let err = Oracle::default().check(&layer, &x).unwrap_err();
        assert_eq!(err, CheckError::InputLength { expected: 3, found });
        let text = err.to_string();
        assert!(text.contains("expected 3"), "{text}");
        assert!(text.contains(&format!("found {found}")), "{text}");
    }
}

#[test]
fn non_finite_x_names_the_first_bad_entry() {
    let layer = layer23();
    let cases = [
        ([f64::NAN, 0.0, 1.0], 0),
        ([0.0, f64::NAN, f64::INFINITY], 1),
        ([0.0, 1.0, f64::INFINITY], 2),
        ([-1.0, f64::NEG_INFINITY, f64::NAN], 1),
        ([f64::INFINITY, f64::NEG_INFINITY, 0.0], 0),
    ];
    for (x, index) in cases {
        let err = Oracle::default().check(&layer, &v(&x)).unwrap_err();
        let CheckError::NonFiniteInput { index: i, value } = err else {
            panic!("x = {x:?}: expected NonFiniteInput, got {err:?}")
        };
        assert_eq!(i, index, "x = {x:?}");
        let expected = x[index];
        if expected.is_nan() {
            assert!(value.is_nan(), "x = {x:?}: {value}");
        } else {
            assert_eq!(value, expected, "x = {x:?}");
        }
        let text = err.to_string();
        assert!(text.contains(&format!("x[{index}]")), "{text}");
        assert!(text.contains(&format!("{expected}")), "{text}");
    }
    // Length is checked before finiteness.
    let err = Oracle::default()
        .check(&layer, &v(&[f64::NAN]))
        .unwrap_err();
    assert_eq!(
        err,
        CheckError::InputLength {
            expected: 3,
            found: 1
        }
    );
}

// ---------------------------------------------------------------------------------------------
// The map: empty, wrong lengths, non-finite values.
// ---------------------------------------------------------------------------------------------

/// A map whose declared dimensions and actual output can disagree.
#[derive(Clone, Copy)]
struct Shaped {
    n: usize,
    m: usize,
    /// Outputs returned by `eval::<f64>`.
    f64_len: usize,
    /// Outputs returned by `eval` on dual numbers.
    dual_len: usize,
    /// Analytic Jacobian shape.
    analytic: (usize, usize),
}

impl Shaped {
    fn good(m: usize, n: usize) -> Self {
        Shaped {
            n,
            m,
            f64_len: m,
            dual_len: m,
            analytic: (m, n),
        }
    }
}

impl VectorFn for Shaped {
    fn input_dim(&self) -> usize {
        self.n
    }
    fn output_dim(&self) -> usize {
        self.m
    }
    /// `f_i(x) = Σ_k x_k + i`, any length.
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        let len = if TypeId::of::<D>() == TypeId::of::<f64>() {
            self.f64_len
        } else {
            self.dual_len
        };
        let s = x.iter().fold(D::zero(), |acc, &xk| acc + xk);
        DVector::from_fn(len, |i, _| s + i as f64)
    }
}

impl AnalyticJacobian for Shaped {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(self.analytic.0, self.analytic.1, 1.0)
    }
}

#[test]
fn the_shaped_map_is_right_when_its_shapes_are() {
    let a = Oracle::default()
        .check(&Shaped::good(2, 3), &v(&[0.1, 0.2, 0.3]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.shape, (2, 3));
}

#[test]
fn empty_maps() {
    for (m, n) in [(0, 3), (2, 0), (0, 0)] {
        let err = Oracle::default()
            .check(&Shaped::good(m, n), &DVector::zeros(n))
            .unwrap_err();
        assert_eq!(
            err,
            CheckError::EmptyMap {
                input_dim: n,
                output_dim: m
            }
        );
        let text = err.to_string();
        assert!(text.contains(&format!("input_dim() = {n}")), "{text}");
        assert!(text.contains(&format!("output_dim() = {m}")), "{text}");
    }
    // The catalogue layer with an empty W.
    let err = Oracle::default()
        .check(&SigmoidLayer::new(DMatrix::zeros(0, 2)), &v(&[1.0, 2.0]))
        .unwrap_err();
    assert_eq!(
        err,
        CheckError::EmptyMap {
            input_dim: 2,
            output_dim: 0
        }
    );
    let err = Oracle::default()
        .check(&SigmoidLayer::new(DMatrix::zeros(3, 0)), &v(&[]))
        .unwrap_err();
    assert_eq!(
        err,
        CheckError::EmptyMap {
            input_dim: 0,
            output_dim: 3
        }
    );
}

#[test]
fn eval_of_the_wrong_length_on_f64() {
    for f64_len in [0, 1, 3] {
        let map = Shaped {
            f64_len,
            ..Shaped::good(2, 3)
        };
        let err = Oracle::default()
            .check(&map, &v(&[0.1, 0.2, 0.3]))
            .unwrap_err();
        assert_eq!(
            err,
            CheckError::EvalLength {
                expected: 2,
                found: f64_len,
                scalar: "f64"
            }
        );
        let text = err.to_string();
        assert!(text.contains("eval::<f64>"), "{text}");
        assert!(
            text.contains(&format!("returned {f64_len} values")),
            "{text}"
        );
        assert!(text.contains("output_dim() is 2"), "{text}");
    }
}

#[test]
fn eval_of_the_wrong_length_on_duals_only() {
    for dual_len in [0, 1, 3] {
        let map = Shaped {
            dual_len,
            ..Shaped::good(2, 3)
        };
        // The f64 path alone is fine.
        assert_eq!(map.eval(&v(&[0.1, 0.2, 0.3])).len(), 2);
        let err = Oracle::default()
            .check(&map, &v(&[0.1, 0.2, 0.3]))
            .unwrap_err();
        assert_eq!(
            err,
            CheckError::EvalLength {
                expected: 2,
                found: dual_len,
                scalar: "DualSVec64<8>"
            }
        );
        assert!(err.to_string().contains("eval::<DualSVec64<8>>"), "{err}");
    }
}

/// `f(x) = (x₀, 1/x₁, ln x₂)`: non-finite at `x₁ = 0` (∞) or `x₂ < 0` (NaN).
struct Poles;

impl VectorFn for Poles {
    fn input_dim(&self) -> usize {
        3
    }
    fn output_dim(&self) -> usize {
        3
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![x[0], x[1].recip(), x[2].ln()])
    }
}

impl AnalyticJacobian for Poles {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_diagonal(&v(&[1.0, -1.0 / (x[1] * x[1]), 1.0 / x[2]]))
    }
}

#[test]
fn eval_returning_non_finite_values_at_finite_x() {
    let oracle = Oracle::default();
    oracle
        .check(&Poles, &v(&[0.5, 2.0, 3.0]))
        .unwrap_or_else(|e| panic!("the map is right away from its poles: {e}"));

    let err = oracle.check(&Poles, &v(&[0.5, 0.0, 3.0])).unwrap_err();
    assert_eq!(
        err,
        CheckError::NonFiniteEval {
            index: 1,
            value: f64::INFINITY
        }
    );
    assert!(err.to_string().contains("f(x)[1] = inf"), "{err}");

    let err = oracle.check(&Poles, &v(&[0.5, 2.0, -1.0])).unwrap_err();
    let CheckError::NonFiniteEval { index, value } = err else {
        panic!("expected NonFiniteEval, got {err:?}")
    };
    assert_eq!(index, 2);
    assert!(value.is_nan());
    assert!(err.to_string().contains("f(x)[2] = NaN"), "{err}");

    // Both: the first one is named.
    let err = oracle.check(&Poles, &v(&[0.5, -0.0, -1.0])).unwrap_err();
    assert_eq!(
        err,
        CheckError::NonFiniteEval {
            index: 1,
            value: f64::NEG_INFINITY
        }
    );
}

// ---------------------------------------------------------------------------------------------
// The analytic Jacobian: wrong shape, non-finite entries.
// ---------------------------------------------------------------------------------------------

#[test]
fn analytic_jacobian_of_the_wrong_shape() {
    for analytic in [(3, 2), (2, 4), (1, 3), (2, 2), (0, 0)] {
        let map = Shaped {
            analytic,
            ..Shaped::good(2, 3)
        };
        let err = Oracle::default()
            .check(&map, &v(&[0.1, 0.2, 0.3]))
            .unwrap_err();
        assert_eq!(
            err,
            CheckError::AnalyticShape {
                expected: (2, 3),
                found: analytic
            }
        );
        let text = err.to_string();
        assert!(
            text.contains(&format!("shape {}×{}", analytic.0, analytic.1)),
            "{text}"
        );
        assert!(text.contains("expected 2×3"), "{text}");
    }
}

/// The sigmoid layer with one analytic entry replaced by `value`.
fn poisoned(layer: SigmoidLayer, entry: (usize, usize), value: f64) -> impl AnalyticJacobian {
    common::edited(layer, move |j| j[entry] = value)
}

#[test]
fn non_finite_analytic_entry_is_a_mismatch_at_that_entry() {
    let x = v(&[0.3, -1.2, 0.7]);
    let right = layer23().jacobian(&x);
    for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for entry in [(0, 0), (1, 2), (0, 1)] {
            let map = poisoned(layer23(), entry, value);
            let err = Oracle::default().check(&map, &x).unwrap_err();
            let text = err.to_string();
            let CheckError::Mismatch(m) = &err else {
                panic!("{value} at {entry:?}: expected Mismatch, got {err:?}")
            };
            assert_eq!((m.witnesses.row, m.witnesses.col), entry, "{text}");
            assert_eq!(m.wrong_entries, 1);
            if value.is_nan() {
                assert!(m.witnesses.analytic.is_nan());
            } else {
                assert_eq!(m.witnesses.analytic, value);
            }
            assert!((m.witnesses.dual - right[entry]).abs() <= 1e-15 * right[entry].abs()); // relative to the right value
            assert_eq!(m.abs_error, f64::INFINITY);
            assert_eq!(m.rel_error, f64::INFINITY);
            assert!(m.tolerance.total.is_finite() && m.tolerance.total > 0.0);
            let fd = m.witnesses.finite_difference.expect("fd ran");
            assert_abs_diff_eq!(fd.value, m.witnesses.dual, epsilon = 1e-8);
            assert!(text.contains("analytic Jacobian is wrong"), "{text}");
            let shown = if value.is_nan() {
                "NaN"
            } else if value > 0.0 {
                "+inf"
            } else {
                "-inf"
            };
            assert!(
                text.contains(&format!("analytic           = {shown}")),
                "{text}"
            );
        }
    }
    // A NaN entry outranks a finite wrong entry elsewhere (its error ratio is infinite).
    let two_wrong = common::edited(layer23(), |j| {
        j[(0, 0)] *= -1.0;
        j[(1, 1)] = f64::NAN;
    });
    let err = Oracle::default().check(&two_wrong, &x).unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (1, 1));
    assert_eq!(m.wrong_entries, 2);
}

#[test]
fn non_finite_analytic_entry_where_the_reference_is_zero() {
    // W has a zero weight: the dual entry is exactly 0, the analytic NaN.
    let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[0.0, 1.0]));
    let map = poisoned(layer, (0, 0), f64::NAN);
    let err = Oracle::default().check(&map, &v(&[0.5, 0.5])).unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("expected Mismatch, got {err:?}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (0, 0));
    assert_eq!(m.witnesses.dual, 0.0);
    assert!(m.witnesses.analytic.is_nan());
    assert_eq!(m.rel_error, f64::INFINITY);
    assert!(!err.to_string().is_empty());
}

// ---------------------------------------------------------------------------------------------
// A misconfigured oracle.
// ---------------------------------------------------------------------------------------------

#[test]
fn misconfigured_oracle() {
    let layer = layer23();
    let x = v(&[0.3, -1.2, 0.7]);
    let d = Oracle::default();
    let cases: [(Oracle, &str, f64); 9] = [
        (d.with_ulps(0.5), "ulps", 0.5),
        (d.with_ulps(f64::NAN), "ulps", f64::NAN),
        (d.with_ulps(f64::INFINITY), "ulps", f64::INFINITY),
        (d.with_ulps(-3.0), "ulps", -3.0),
        (d.with_fd_safety(0.0), "fd_safety", 0.0),
        (d.with_fd_safety(0.5), "fd_safety", 0.5),
        (d.with_fd_safety(f64::NAN), "fd_safety", f64::NAN),
        (d.with_sensitivity_safety(-1.0), "sensitivity_safety", -1.0),
        (
            d.with_sensitivity_safety(f64::INFINITY),
            "sensitivity_safety",
            f64::INFINITY,
        ),
    ];
    for (oracle, name, bad) in cases {
        // Reported before anything else, even with a bad x.
        for x in [x.clone(), v(&[f64::NAN])] {
            let err = oracle.check(&layer, &x).unwrap_err();
            let CheckError::InvalidOracle { parameter, value } = err else {
                panic!("{name} = {bad}: expected InvalidOracle, got {err:?}")
            };
            assert_eq!(parameter, name);
            if bad.is_nan() {
                assert!(value.is_nan());
            } else {
                assert_eq!(value, bad);
            }
            let text = err.to_string();
            assert!(text.contains(&format!("{name} = {bad}")), "{text}");
        }
    }
    // The edges of the valid ranges are accepted.
    for oracle in [
        d.with_ulps(1.0),
        d.with_fd_safety(1.0),
        d.with_sensitivity_safety(0.0),
    ] {
        oracle
            .check(&layer, &x)
            .unwrap_or_else(|e| panic!("{oracle:?}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Extreme but finite x.
// ---------------------------------------------------------------------------------------------

/// `f(x) = (k·x₀ + x₁)`, analytic `(k, 1)`.
struct Linear {
    k: f64,
}

impl VectorFn for Linear {
    fn input_dim(&self) -> usize {
        2
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![x[0] * self.k + x[1]])
    }
}

impl AnalyticJacobian for Linear {
    fn jacobian(&self, _x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_row_slice(1, 2, &[self.k, 1.0])
    }
}

fn fd_unavailable_columns(notes: &[Note]) -> usize {
    notes
        .iter()
        .map(|n| match n {
            Note::FiniteDifferencesUnavailable { columns } => *columns,
            _ => 0,
        })
        .sum()
}

#[test]
fn huge_x_does_not_panic() {
    let oracle = Oracle::default();
    let tiny = Linear { k: 1e-300 };
    // x₀ = MAX/2: x₀ ± 4h stays finite (h ≈ 5.4e302); f stays near 9e7.
    let a = oracle
        .check(&tiny, &v(&[f64::MAX / 2.0, 1.0]))
        .unwrap_or_else(|e| panic!("{e}"));
    println!("x0 = MAX/2: {a}");
    assert_eq!(fd_unavailable_columns(&a.notes), 0, "{:?}", a.notes);
    assert!(a.worst_fd.is_some());
    // x₀ = ±MAX: x₀ + h overflows, so the column has no finite differences.
    for x0 in [f64::MAX, -f64::MAX] {
        let a = oracle
            .check(&tiny, &v(&[x0, 1.0]))
            .unwrap_or_else(|e| panic!("x0 = {x0:e}: {e}"));
        println!("x0 = {x0:e}: {a}");
        assert_eq!(fd_unavailable_columns(&a.notes), 1, "{:?}", a.notes);
        assert!(
            a.notes
                .contains(&Note::FiniteDifferencesUnavailable { columns: 1 })
        );
        assert!(!a.worst_analytic.abs_error.is_nan() && !a.worst_rel_error.is_nan());
    }
    // f(x) = 2x₀ + x₁ at x₀ = MAX/2: f is finite (MAX) but f(x + h) overflows.
    let a = oracle
        .check(&Linear { k: 2.0 }, &v(&[f64::MAX / 2.0, 0.0]))
        .unwrap_or_else(|e| panic!("{e}"));
    println!("2·x0 at MAX/2: {a}");
    assert!(
        a.notes
            .contains(&Note::FiniteDifferencesUnavailable { columns: 1 }),
        "{:?}",
        a.notes
    );
    // The sigmoid layer at ±MAX: Wx overflows to ±∞, σ saturates.
    let layer = SigmoidLayer::new(DMatrix::from_row_slice(1, 2, &[2.0, 0.5]));
    for x in [[f64::MAX, 1.0], [-f64::MAX, 1.0], [f64::MAX, f64::MAX]] {
        let a = oracle
            .check(&layer, &v(&x))
            .unwrap_or_else(|e| panic!("x = {x:?}: {e}"));
        println!("layer at {x:?}: {a}");
        assert!(!a.worst_analytic.abs_error.is_nan() && !a.worst_rel_error.is_nan());
    }
}

#[test]
fn subnormal_x_on_the_sigmoid_layer() {
    let oracle = Oracle::default();
    for x in [
        [5e-324, 5e-324, 5e-324],
        [-5e-324, 0.0, 5e-324],
        [f64::MIN_POSITIVE / 3.0, -0.0, 1.0],
    ] {
        let a = oracle
            .check(&layer23(), &v(&x))
            .unwrap_or_else(|e| panic!("x = {x:?}: {e}"));
        assert!(a.worst_analytic.ratio() < 1.0);
        assert!(a.notes.is_empty(), "x = {x:?}: {:?}", a.notes);
    }
}

// ---------------------------------------------------------------------------------------------
// Display of every variant.
// ---------------------------------------------------------------------------------------------

/// `f(x) = (sin x₀)` computed off the dual path, analytic `cos x₀`.
struct OffPath;

impl VectorFn for OffPath {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        DVector::from_vec(vec![D::from(x[0].re().sin())])
    }
}

impl AnalyticJacobian for OffPath {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, x[0].cos())
    }
}

/// `|x₀|` with analytic −1 at 0 (the dual takes +1).
struct AbsOtherBranch;

impl VectorFn for AbsOtherBranch {
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

impl AnalyticJacobian for AbsOtherBranch {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, if x[0] > 0.0 { 1.0 } else { -1.0 })
    }
}

/// `tanh x₀` through num-dual's `tanh` (NaN derivative from |a| ≈ 355).
struct NumDualTanh;

impl VectorFn for NumDualTanh {
    fn input_dim(&self) -> usize {
        1
    }
    fn output_dim(&self) -> usize {
        1
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        x.map(|a| a.tanh())
    }
}

impl AnalyticJacobian for NumDualTanh {
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        DMatrix::from_element(1, 1, 1.0 - x[0].tanh().powi(2))
    }
}

#[test]
fn display_of_every_variant_names_the_thing() {
    let o = Oracle::default();
    let x3 = v(&[0.3, -1.2, 0.7]);
    let sign_flip = poisoned(layer23(), (1, 0), 0.0);
    let produced: Vec<(CheckError, Vec<String>)> = vec![
        (
            o.check(&sign_flip, &x3).unwrap_err(),
            vec![
                "entry (1, 0)".into(),
                "of the 2×3 Jacobian".into(),
                "reproduce:".into(),
            ],
        ),
        (
            o.check(&OffPath, &v(&[0.7])).unwrap_err(),
            vec![
                "eval is not differentiated correctly".into(),
                "entry (0, 0)".into(),
            ],
        ),
        (
            o.check(&AbsOtherBranch, &v(&[0.0])).unwrap_err(),
            vec!["cannot judge".into(), "f_0 is not smooth along x_0".into()],
        ),
        (
            o.check(&Shaped::good(0, 2), &v(&[0.0, 0.0])).unwrap_err(),
            vec!["empty".into(), "output_dim() = 0".into()],
        ),
        (
            o.check(&layer23(), &v(&[1.0])).unwrap_err(),
            vec!["expected 3".into(), "found 1".into()],
        ),
        (
            o.check(&layer23(), &v(&[1.0, f64::NAN, 0.0])).unwrap_err(),
            vec!["x[1] = NaN".into()],
        ),
        (
            o.check(
                &Shaped {
                    dual_len: 5,
                    ..Shaped::good(2, 3)
                },
                &x3,
            )
            .unwrap_err(),
            vec![
                "eval::<DualSVec64<8>> returned 5 values".into(),
                "output_dim() is 2".into(),
            ],
        ),
        (
            o.check(&Poles, &v(&[1.0, 0.0, 1.0])).unwrap_err(),
            vec!["f(x)[1] = inf".into()],
        ),
        (
            o.check(&NumDualTanh, &v(&[400.0])).unwrap_err(),
            vec!["∂f_0/∂x_0 = NaN".into(), "tanh".into()],
        ),
        (
            o.with_ulps(0.5).check(&layer23(), &x3).unwrap_err(),
            vec!["ulps = 0.5".into()],
        ),
        (
            o.check(
                &Shaped {
                    analytic: (3, 2),
                    ..Shaped::good(2, 3)
                },
                &x3,
            )
            .unwrap_err(),
            vec!["shape 3×2".into(), "expected 2×3".into()],
        ),
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for (err, needles) in &produced {
        let text = err.to_string();
        assert!(!text.trim().is_empty(), "{err:?}");
        for needle in needles {
            assert!(text.contains(needle.as_str()), "{needle:?} not in: {text}");
        }
        // A std::error::Error with no source.
        assert!(std::error::Error::source(err).is_none());
        kinds.insert(
            format!("{err:?}")
                .split(['(', ' '])
                .next()
                .unwrap_or("")
                .to_owned(),
        );
    }
    // Every variant of CheckError is covered once.
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "AnalyticShape",
            "CannotJudge",
            "EmptyMap",
            "EvalDerivative",
            "EvalLength",
            "InputLength",
            "InvalidOracle",
            "Mismatch",
            "NonFiniteDual",
            "NonFiniteEval",
            "NonFiniteInput",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Garbage in: typed errors out, never a panic or a NaN inside Ok.
// ---------------------------------------------------------------------------------------------

fn garbage_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(5e-324),
        Just(-5e-324),
        Just(f64::MIN_POSITIVE / 7.0),
        Just(f64::MAX),
        Just(-f64::MAX),
        Just(0.0),
        Just(-0.0),
        Just(1.0),
        Just(-1.0),
        -1e3..1e3f64,
        any::<f64>(),
    ]
}

fn weight() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(-1.0), Just(0.5), -4.0..4.0f64]
}

fn assert_not_nan(what: &str, value: f64) -> Result<(), TestCaseError> {
    prop_assert!(!value.is_nan(), "{} is NaN", what);
    Ok(())
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/errors.txt", 128))]

    #[test]
    fn garbage_x_gets_typed_errors(
        (m, n, w) in (1..4usize, 1..4usize)
            .prop_flat_map(|(m, n)| (Just(m), Just(n), proptest::collection::vec(weight(), m * n))),
        x in proptest::collection::vec(garbage_f64(), 0..6),
    ) {
        let layer = SigmoidLayer::new(DMatrix::from_row_slice(m, n, &w));
        let x = DVector::from_vec(x);
        let result = Oracle::default().check(&layer, &x);
        if x.len() != n {
            prop_assert_eq!(result, Err(CheckError::InputLength { expected: n, found: x.len() }));
            return Ok(());
        }
        if let Some(index) = x.iter().position(|v| !v.is_finite()) {
            match result {
                Err(CheckError::NonFiniteInput { index: i, value }) => {
                    prop_assert_eq!(i, index);
                    prop_assert!(value.to_bits() == x[index].to_bits() || (value.is_nan() && x[index].is_nan()));
                }
                other => prop_assert!(false, "x = {:?}: {:?}", x.as_slice(), other),
            }
            return Ok(());
        }
        // A finite x of the right length: the layer is right, so Ok — or a typed error about
        // eval itself (Wx = ∞ − ∞ is NaN).
        match result {
            Ok(a) => {
                prop_assert_eq!(a.shape, (m, n));
                assert_not_nan("worst_analytic.abs_error", a.worst_analytic.abs_error)?;
                assert_not_nan("worst_analytic.bound", a.worst_analytic.bound)?;
                assert_not_nan("worst_rel_error", a.worst_rel_error)?;
                if let Some(fd) = a.worst_fd {
                    assert_not_nan("worst_fd.abs_error", fd.abs_error)?;
                    assert_not_nan("worst_fd.bound", fd.bound)?;
                }
                for note in &a.notes {
                    if let Note::PrecisionLoss { worst_rel_error, .. } = note {
                        assert_not_nan("PrecisionLoss.worst_rel_error", *worst_rel_error)?;
                    }
                }
                prop_assert!(!a.to_string().is_empty());
            }
            Err(CheckError::NonFiniteEval { index, value }) => {
                let f = layer.eval(&x);
                prop_assert!(index < m);
                prop_assert!(!f[index].is_finite(), "f(x)[{}] = {} is finite", index, f[index]);
                prop_assert!(!value.is_finite());
            }
            Err(e) => prop_assert!(
                false,
                "false alarm on a correct layer, W = {:?}, x = {:?}:\n{}",
                layer.w.as_slice(), x.as_slice(), e
            ),
        }
    }
}
