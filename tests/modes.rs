//! The modes of the oracle, each with correct implementations it must pass and mutants it must
//! catch: backward passes (`check_vjp`), forward rules (`check_jvp`), the adjoint identity
//! (`check_adjoint`), random projections of a full Jacobian (`check_projected`), `f32`
//! Jacobians (`check_f32`) and black-box functions (`check_black_box`).
//!
//! Every map is the sigmoid layer `z = σ(Wx)` (PML 1, eq. 13.73): a correct rule, then the
//! classic slips — rows permuted, `W` for `Wᵀ`, a sign, the forgotten `σ'`. A mutant property
//! records the directions the oracle drew and asserts the mutant is caught whenever, along one
//! of them, it differs from the truth by more than rounding could explain.
//!
//! Oracle misbehaviour found here is pinned by regression tests with minimal inputs:
//! `check_vjp` flagged the textbook backward pass `Wᵀ(u ∘ z(1 − z))` (false alarm),
//! `check_adjoint` flagged two right rules that round differently (false alarm), and
//! `check_black_box` accepted errors up to ~30% in one entry (missed mistakes).

mod common;

use std::cell::{Cell, RefCell};

use approx::assert_abs_diff_eq;
use jacobian_oracle::catalogue::{SigmoidLayer, sigmoid_derivative, sigmoid_derivative_stable};
use jacobian_oracle::report::{NotJudgeable, Quantity};
use jacobian_oracle::strategy::{LayerCase, Regime, layer_case, simple_f64};
use jacobian_oracle::{
    Agreement, AnalyticJacobian, AnalyticJacobianF32, AnalyticJvp, AnalyticVjp, CheckError,
    Mismatch, Oracle, VectorFn,
};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

// ---------------------------------------------------------------------------------------------
// The sigmoid layer with hand-written backward and forward rules, right or wrong.
// ---------------------------------------------------------------------------------------------

/// Which backward pass `uᵀJ` the layer exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backward {
    /// `Wᵀ(u ∘ σ'(a))`, with the textbook `σ' = z(1 − z)`.
    Right,
    /// `Wᵀ(u ∘ σ'(a))`, with the stable `σ' = σ(a)σ(−a)` (full relative precision).
    Stable,
    /// `(PJ)ᵀu` with `J = diag(σ')W` (the stable `σ'`) and `P` the cyclic shift of rows (row
    /// `i` of `PJ` is row `i + 1` of `J`): `= Jᵀ(Pᵀu)`, so along `u = 1` it is `Jᵀ1` up to the
    /// order of a sum — the column sums of `J` do not see a row permutation.
    PermutedRows,
    /// `W(u ∘ σ')`: `W` instead of `Wᵀ` (square layers only).
    NotTransposed,
    /// `−Wᵀ(u ∘ σ')`.
    SignError,
    /// `Wᵀu`: the `σ'` factor forgotten.
    MissingDerivative,
}

/// Which forward rule `Jv` the layer exposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Forward {
    /// `σ'(a) ∘ (Wv)`, with the textbook `σ' = z(1 − z)`.
    Right,
    /// `σ'(a) ∘ (Wv)`, with the stable `σ' = σ(a)σ(−a)`.
    Stable,
    /// The right `Jv`, cyclically shifted: `(PJ)v`.
    PermutedRows,
    /// `σ' ∘ (Wᵀv)` (square layers only).
    Transposed,
    /// `Wv`: the `σ'` factor forgotten.
    MissingDerivative,
}

/// `σ(Wx)`, delegating `eval` to the catalogue's `SigmoidLayer`, with its own VJP and JVP.
/// It records every direction the oracle hands it.
struct Layer {
    inner: SigmoidLayer,
    backward: Backward,
    forward: Forward,
    seen_u: RefCell<Vec<DVector<f64>>>,
    seen_v: RefCell<Vec<DVector<f64>>>,
}

impl Layer {
    fn new(w: DMatrix<f64>, backward: Backward, forward: Forward) -> Self {
        Layer {
            inner: SigmoidLayer::new(w),
            backward,
            forward,
            seen_u: RefCell::new(Vec::new()),
            seen_v: RefCell::new(Vec::new()),
        }
    }

    fn right(w: DMatrix<f64>) -> Self {
        Layer::new(w, Backward::Right, Forward::Right)
    }

    fn w(&self) -> &DMatrix<f64> {
        &self.inner.w
    }

    /// `σ'(Wx)`, the textbook `z(1 − z)`.
    fn slope(&self, x: &DVector<f64>) -> DVector<f64> {
        (self.w() * x).map(sigmoid_derivative)
    }

    /// `J = diag(σ(a)σ(−a)) W`, every entry to full relative precision.
    fn stable_jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let s = (self.w() * x).map(sigmoid_derivative_stable);
        DMatrix::from_fn(self.w().nrows(), self.w().ncols(), |i, k| {
            s[i] * self.w()[(i, k)]
        })
    }

    fn vjp_as(&self, kind: Backward, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        let w = self.w();
        let s = self.slope(x);
        match kind {
            Backward::Right => w.tr_mul(&u.component_mul(&s)),
            Backward::Stable => {
                let stable = (w * x).map(sigmoid_derivative_stable);
                w.tr_mul(&u.component_mul(&stable))
            }
            Backward::PermutedRows => permute_rows(&self.stable_jacobian(x)).tr_mul(u),
            Backward::NotTransposed => w * u.component_mul(&s),
            Backward::SignError => -w.tr_mul(&u.component_mul(&s)),
            Backward::MissingDerivative => w.tr_mul(u),
        }
    }

    fn jvp_as(&self, kind: Forward, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        let w = self.w();
        let s = self.slope(x);
        match kind {
            Forward::Right => s.component_mul(&(w * v)),
            Forward::Stable => (w * x)
                .map(sigmoid_derivative_stable)
                .component_mul(&(w * v)),
            Forward::PermutedRows => roll(&s.component_mul(&(w * v))),
            Forward::Transposed => s.component_mul(&w.tr_mul(v)),
            Forward::MissingDerivative => w * v,
        }
    }
}

impl VectorFn for Layer {
    fn input_dim(&self) -> usize {
        self.inner.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.inner.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.inner.eval(x)
    }
}

impl AnalyticVjp for Layer {
    fn vjp(&self, x: &DVector<f64>, u: &DVector<f64>) -> DVector<f64> {
        self.seen_u.borrow_mut().push(u.clone());
        self.vjp_as(self.backward, x, u)
    }
}

impl AnalyticJvp for Layer {
    fn jvp(&self, x: &DVector<f64>, v: &DVector<f64>) -> DVector<f64> {
        self.seen_v.borrow_mut().push(v.clone());
        self.jvp_as(self.forward, x, v)
    }
}

/// `u` cyclically shifted up: entry `i` is `u[(i + 1) mod m]`.
fn roll(u: &DVector<f64>) -> DVector<f64> {
    let m = u.len();
    DVector::from_fn(m, |i, _| u[(i + 1) % m])
}

/// `PJ`: row `i` is row `(i + 1) mod m` of `J`.
fn permute_rows(j: &DMatrix<f64>) -> DMatrix<f64> {
    let m = j.nrows();
    DMatrix::from_fn(m, j.ncols(), |i, k| j[((i + 1) % m, k)])
}

fn v(xs: &[f64]) -> DVector<f64> {
    DVector::from_vec(xs.to_vec())
}

fn amax(v: &DVector<f64>) -> f64 {
    v.iter().fold(0.0, |acc: f64, e| acc.max(e.abs()))
}

/// Whether `wrong` differs from `right` by more than rounding could explain: in some entry by
/// more than `1e-6` relative and more than `1e3·ε·scale` absolute (`scale` bounds what the
/// rounding of the layer's outputs can do to an entry: the oracle's sensitivity tolerance for
/// the textbook `z(1−z)` in saturation is a few `ε` times it).
fn clearly_differs(right: &DVector<f64>, wrong: &DVector<f64>, scale: f64) -> bool {
    right.len() != wrong.len()
        || right.iter().zip(wrong.iter()).any(|(&r, &w)| {
            let gap = (r - w).abs();
            gap > 1e-6 * r.abs().max(w.abs()) && gap > 1e3 * f64::EPSILON * scale
        })
}

/// A runner with a fixed seed, no failure persistence (the seed reproduces it), and room to
/// shrink.
fn runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let v = seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 8192,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// The Mismatch inside an error, or a test failure naming what came instead.
fn mismatch(err: CheckError) -> Result<Box<Mismatch>, TestCaseError> {
    match err {
        CheckError::Mismatch(m) => Ok(m),
        other => Err(TestCaseError::fail(format!(
            "expected a Mismatch, got {other}"
        ))),
    }
}

fn expect_mismatch<T: std::fmt::Debug>(r: Result<T, CheckError>) -> Box<Mismatch> {
    match r {
        Err(CheckError::Mismatch(m)) => m,
        other => panic!("expected a Mismatch, got {other:?}"),
    }
}

/// A deterministic `m×n` matrix with entries in `[-1, 1]·scale` of irregular sizes and signs.
fn fixed_matrix(m: usize, n: usize, scale: f64) -> DMatrix<f64> {
    DMatrix::from_fn(m, n, |i, j| {
        let t = ((i * 37 + j * 91 + 11) % 101) as f64 / 50.0 - 1.0;
        scale * (t + 0.003 * ((i + 2 * j) % 7) as f64)
    })
}

fn fixed_vector(n: usize, scale: f64) -> DVector<f64> {
    DVector::from_fn(n, |j, _| {
        scale * (((j * 13 + 5) % 17) as f64 / 8.0 - 1.0 + 0.01 * (j % 3) as f64)
    })
}

/// A 3×4 case with moderate pre-activations and distinct rows.
fn case34() -> (DMatrix<f64>, DVector<f64>) {
    (
        DMatrix::from_row_slice(
            3,
            4,
            &[
                0.5, -0.25, 0.75, 0.1, -0.6, 0.3, 0.2, -0.4, 0.35, 0.45, -0.55, 0.15,
            ],
        ),
        v(&[0.8, -0.6, 1.1, 0.4]),
    )
}

// ---------------------------------------------------------------------------------------------
// 1. VJP: backward passes.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(common::config("proptest-regressions/modes.txt", 128))]

    /// The right backward pass `Wᵀ(u ∘ σ'(a))`, with the stable `σ' = σ(a)σ(−a)`, passes
    /// `check_vjp` in every regime.
    #[test]
    fn right_vjp_passes_check_vjp(case in layer_case()) {
        let f = Layer::new(case.w.clone(), Backward::Stable, Forward::Right);
        let a = Oracle::default().check_vjp(&f, &case.x)?;
        prop_assert_eq!(a.quantity, Quantity::Vjp);
        prop_assert_eq!(a.shape, (1, case.w.ncols()));
        // DIRECTIONS signed cotangents, never all ones, never all of one sign (m ≥ 2).
        let seen = f.seen_u.borrow();
        prop_assert_eq!(seen.len(), jacobian_oracle::modes::DIRECTIONS);
        for u in seen.iter() {
            prop_assert_eq!(u.len(), case.w.nrows());
            if u.len() >= 2 {
                prop_assert!(u.iter().any(|&e| e < 0.0) && u.iter().any(|&e| e > 0.0), "{}", u);
            }
        }
    }

    /// The right forward rule `σ'(a) ∘ (Wv)` passes `check_jvp` in every regime.
    #[test]
    fn right_jvp_passes_check_jvp(case in layer_case()) {
        let f = Layer::right(case.w.clone());
        let a = Oracle::default().check_jvp(&f, &case.x)?;
        prop_assert_eq!(a.quantity, Quantity::Jvp);
        prop_assert_eq!(a.shape, (case.w.nrows(), 1));
        prop_assert_eq!(f.seen_v.borrow().len(), jacobian_oracle::modes::DIRECTIONS);
    }

    /// The right forward rule passes along every direction proptest draws (unscaled, with
    /// zeros, integers and halves among its entries).
    #[test]
    fn right_jvp_passes_along_drawn_directions(
        case in layer_case(),
        units in proptest::collection::vec(simple_f64(-4.0..=4.0), 8),
    ) {
        let f = Layer::right(case.w.clone());
        let dir = DVector::from_fn(case.x.len(), |j, _| units[j]);
        let a = Oracle::default().check_jvp_along(&f, &case.x, &dir)?;
        prop_assert_eq!(a.quantity, Quantity::Jvp);
    }

    /// The right (stable) backward pass passes along drawn cotangents too.
    #[test]
    fn right_vjp_passes_along_drawn_directions(
        case in layer_case(),
        units in proptest::collection::vec(simple_f64(-4.0..=4.0), 8),
    ) {
        let f = Layer::new(case.w.clone(), Backward::Stable, Forward::Right);
        let dir = DVector::from_fn(case.w.nrows(), |i, _| units[i]);
        Oracle::default().check_vjp_along(&f, &case.x, &dir)?;
    }

    /// A map whose JVP and VJP are both right satisfies the adjoint identity.
    #[test]
    fn consistent_rules_pass_check_adjoint(case in layer_case()) {
        let f = Layer::right(case.w.clone());
        Oracle::default().check_adjoint(&f, &case.x)?;
        prop_assert_eq!(f.seen_u.borrow().len(), jacobian_oracle::modes::DIRECTIONS);
        prop_assert_eq!(f.seen_v.borrow().len(), jacobian_oracle::modes::DIRECTIONS);
    }

    /// The catalogue's sigmoid layer passes four projections in every regime.
    #[test]
    fn sigmoid_layer_passes_check_projected(case in layer_case()) {
        let f = SigmoidLayer::new(case.w.clone());
        let a = Oracle::default().check_projected(&f, &case.x, 4)?;
        prop_assert_eq!(a.quantity, Quantity::Jacobian);
        prop_assert_eq!(a.shape, case.shape());
        prop_assert!(a.evaluations.dual_evals >= 1, "{:?}", a.evaluations);
    }

    /// An `f32` implementation of the sigmoid layer's Jacobian passes `check_f32` in every
    /// regime.
    #[test]
    fn f32_sigmoid_layer_passes_check_f32(case in layer_case()) {
        let f = F32Layer::new(case.w.clone(), F32Fault::None);
        let a = Oracle::default().check_f32(&f, &case.x)?;
        prop_assert_eq!(a.quantity, Quantity::JacobianF32);
        prop_assert_eq!(a.shape, case.shape());
    }

    /// The sigmoid layer as an opaque closure, with its right (textbook) Jacobian, passes
    /// `check_black_box` in every regime.
    #[test]
    fn sigmoid_layer_passes_check_black_box(case in layer_case()) {
        let layer = SigmoidLayer::new(case.w.clone());
        let jac = layer.jacobian(&case.x);
        let a = Oracle::default().check_black_box(|p| layer.eval(p), &jac, &case.x)?;
        prop_assert_eq!(a.quantity, Quantity::BlackBox);
        prop_assert_eq!(a.shape, case.shape());
    }
}

/// Runs `check_vjp` on the mutant over `cases` layer cases: whenever the mutant's VJP clearly
/// differs from the right one along a cotangent the oracle drew, it must be a `Mismatch` of
/// the VJP along that cotangent, whose analytic value is the mutant's and whose dual value is
/// the truth's. Returns (cases caught, cases passed — where the mutant coincides with the truth
/// to rounding: one row, or every row saturated).
fn vjp_mutant_property(
    kind: Backward,
    strategy: impl Strategy<Value = LayerCase>,
    cases: u32,
    seed: u64,
) -> (usize, usize) {
    let (differs, coincides) = (Cell::new(0usize), Cell::new(0usize));
    let result = runner(cases, seed).run(&strategy, |case| {
        let f = Layer::new(case.w.clone(), kind, Forward::Right);
        let outcome = Oracle::default().check_vjp(&f, &case.x);
        let seen = f.seen_u.borrow().clone();
        let scale = |u: &DVector<f64>| u.abs().sum() * case.w.amax();
        let differing: Vec<&DVector<f64>> = seen
            .iter()
            .filter(|u| {
                clearly_differs(
                    &f.vjp_as(Backward::Stable, &case.x, u),
                    &f.vjp_as(kind, &case.x, u),
                    scale(u),
                )
            })
            .collect();
        match outcome {
            Ok(_) => {
                prop_assert!(
                    differing.is_empty(),
                    "{kind:?} missed along u = {} at {case:?}",
                    differing[0]
                );
                coincides.set(coincides.get() + 1);
            }
            Err(err) => {
                let m = mismatch(err)?;
                prop_assert_eq!(m.quantity, Quantity::Vjp);
                let u = m
                    .direction
                    .clone()
                    .expect("a VJP report names its cotangent");
                prop_assert_eq!(&u, seen.last().unwrap(), "the last cotangent drawn failed");
                prop_assert_eq!(m.shape, (1, case.w.ncols()));
                prop_assert_eq!(m.witnesses.row, 0);
                prop_assert_eq!(&m.x, &case.x);
                let wrong = f.vjp_as(kind, &case.x, &u);
                let right = f.vjp_as(Backward::Stable, &case.x, &u);
                let c = m.witnesses.col;
                prop_assert_eq!(m.witnesses.analytic, wrong[c]);
                // The dual value is the truth, to the rounding of the textbook formula.
                let rounding = 1e-12 * right[c].abs() + 64.0 * f64::EPSILON * scale(&u);
                prop_assert!(
                    (m.witnesses.dual - right[c]).abs() <= rounding,
                    "dual {} vs right {}",
                    m.witnesses.dual,
                    right[c]
                );
                prop_assert!(m.abs_error > m.tolerance.total);
                differs.set(differs.get() + 1);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{kind:?}: {e}");
    }
    (differs.get(), coincides.get())
}

#[test]
fn vjp_permuted_rows_is_caught_by_check_vjp() {
    let (caught, coincided) =
        vjp_mutant_property(Backward::PermutedRows, layer_case(), 256, 0x5052_4D31);
    println!("permuted-rows VJP: caught on {caught} cases, coincided on {coincided}");
    // m = 1 (a shift of one row is the identity) and fully saturated layers coincide; the
    // rest are caught.
    assert!(caught >= 128, "caught on only {caught} of 256 cases");
}

#[test]
fn vjp_not_transposed_is_caught_on_square_layers() {
    let (caught, coincided) = vjp_mutant_property(
        Backward::NotTransposed,
        layer_case().square(),
        256,
        0x5452_4E31,
    );
    println!("W-for-Wᵀ VJP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 128, "caught on only {caught} of 256 cases");
}

#[test]
fn vjp_sign_error_is_caught() {
    let (caught, coincided) =
        vjp_mutant_property(Backward::SignError, layer_case(), 256, 0x5349_474E);
    println!("sign-error VJP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 192, "caught on only {caught} of 256 cases");
}

#[test]
fn vjp_missing_derivative_is_caught() {
    let (caught, coincided) =
        vjp_mutant_property(Backward::MissingDerivative, layer_case(), 256, 0x4D49_5353);
    println!("missing-σ' VJP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 192, "caught on only {caught} of 256 cases");
}

/// The contrast: a Jacobian whose rows are permuted has the same column sums, so the gradient
/// of `Σ f` (the VJP along `u = 1`) cannot see it; signed, irregular cotangents do.
#[test]
fn permuted_rows_pass_along_all_ones_but_not_along_signed_cotangents() {
    let (w, x) = case34();
    let f = Layer::new(w.clone(), Backward::PermutedRows, Forward::Right);
    let ones = DVector::from_element(3, 1.0);
    // (PJ)ᵀ1 = Jᵀ1 up to the order of a sum.
    let right = f.vjp_as(Backward::Stable, &x, &ones);
    let wrong = f.vjp_as(Backward::PermutedRows, &x, &ones);
    assert!(
        (&wrong - &right).amax() <= 4.0 * f64::EPSILON * right.amax(),
        "{wrong} vs {right}"
    );
    let a = Oracle::default()
        .check_vjp_along(&f, &x, &ones)
        .expect("the all-ones cotangent cannot see a row permutation");
    assert_eq!(a.quantity, Quantity::Vjp);
    assert_eq!(a.shape, (1, 4));

    let m = expect_mismatch(Oracle::default().check_vjp(&f, &x));
    assert_eq!(m.quantity, Quantity::Vjp);
    let u = m.direction.clone().expect("names its cotangent");
    assert_ne!(u, ones);
    assert!(
        u.iter().any(|&e| e < 0.0) && u.iter().any(|&e| e > 0.0),
        "{u}"
    );
    let c = m.witnesses.col;
    assert_eq!(
        m.witnesses.analytic,
        f.vjp_as(Backward::PermutedRows, &x, &u)[c]
    );
    let truth = f.vjp_as(Backward::Right, &x, &u);
    assert!((m.witnesses.dual - truth[c]).abs() <= 1e-14 * truth.amax()); // relative to the largest entry
    assert!(m.rel_error > 1e-3, "{m}");
    let text = m.to_string();
    assert!(text.contains("the analytic VJP is wrong"), "{text}");
    assert!(text.contains("along vec!["), "{text}");
}

/// The same contrast as a property: on every case, the permuted-rows mutant passes along
/// `u = 1`; on every case where it clearly differs along a drawn cotangent, `check_vjp`
/// catches it.
#[test]
fn permuted_rows_contrast_holds_on_every_case() {
    let caught = Cell::new(0usize);
    let result = runner(256, 0x4F4E_4553).run(&layer_case(), |case| {
        let f = Layer::new(case.w.clone(), Backward::PermutedRows, Forward::Right);
        let ones = DVector::from_element(case.w.nrows(), 1.0);
        Oracle::default().check_vjp_along(&f, &case.x, &ones)?;
        if let Err(e) = Oracle::default().check_vjp(&f, &case.x) {
            let m = mismatch(e)?;
            prop_assert_eq!(m.quantity, Quantity::Vjp);
            prop_assert!(m.direction.is_some());
            prop_assert!(case.w.nrows() >= 2, "a one-row shift is the identity");
            caught.set(caught.get() + 1);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(caught.get() >= 128, "caught on {} of 256", caught.get());
}

/// A backward-pass mutant shrinks to the smallest layer that shows it: two rows, one column.
#[test]
fn vjp_permuted_rows_shrinks_to_two_rows() {
    let result = runner(256, 0x5348_524B).run(&layer_case(), |case| {
        let f = Layer::new(case.w.clone(), Backward::PermutedRows, Forward::Right);
        Oracle::default().check_vjp(&f, &case.x)?;
        Ok(())
    });
    let Err(TestError::Fail(reason, case)) = result else {
        panic!("the permuted-rows VJP was missed: {result:?}")
    };
    assert_eq!(case.shape(), (2, 1), "{case:?}");
    assert_eq!(case.regime, Regime::Moderate, "{case:?}");
    assert_simple(case.w.iter().chain(case.x.iter()), &case);
    assert!(
        reason.message().contains("the analytic VJP is wrong"),
        "{reason}"
    );
}

/// The right backward pass with the textbook `σ' = z(1 − z)` (as the catalogue's
/// `SigmoidLayer::jacobian` computes it, and as `check` accepts it) over 2000 cases of a fixed
/// seed passes `check_vjp`. (Before the row-resolved VJP tolerance, about one case in several
/// hundred was flagged; 40 seeds of 2000 cases were clean after it.) See
/// `textbook_backward_pass_minimal`.
#[test]

fn textbook_vjp_passes_check_vjp() {
    let result = runner(2000, 0).run(&layer_case(), |case| {
        let f = Layer::right(case.w.clone());
        Oracle::default().check_vjp(&f, &case.x)?;
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The textbook backward pass `Wᵀ(u ∘ z(1 − z))` at `W = [[0.125], [11]]`, `x = [1]`, `u = [1, 1]`
/// is right to the rounding of `z(1 − z)`: `z = σ(11)` is within `ε/2` of the truth, so
/// `z(1 − z)` is within about `ε` in absolute terms, and the VJP within `ε·Σ|u_i W_i|`. The full
/// Jacobian with the same formula passes `check`.
#[test]
fn textbook_backward_pass_is_right_to_rounding() {
    let w = DMatrix::from_row_slice(2, 1, &[0.125, 11.0]);
    let (x, u) = (v(&[1.0]), v(&[1.0, 1.0]));
    let f = Layer::right(w.clone());
    Oracle::default()
        .check(&f.inner, &x)
        .expect("check accepts the textbook Jacobian");
    let exact = jacobian_oracle::dual::dual_jacobian(&f.inner, &x)
        .unwrap()
        .jacobian
        .tr_mul(&u);
    let textbook = f.vjp_as(Backward::Right, &x, &u);
    let stable = f.vjp_as(Backward::Stable, &x, &u);
    let bound = f64::EPSILON * u.abs().dot(&w.column(0).abs());
    let error = (textbook[0] - exact[0]).abs();
    println!(
        "textbook VJP {:e}, stable {:e}, dual {:e}: textbook error {error:.3e}, rounding bound \
         ε·Σ|u_i W_i| = {bound:.3e}",
        textbook[0], stable[0], exact[0]
    );
    assert!(error <= bound, "{error:e} > {bound:e}");
    assert!((stable[0] - exact[0]).abs() <= 4.0 * f64::EPSILON * exact[0].abs()); // 4 ulps of exact
    if let Err(e) = Oracle::default().check_vjp_along(&f, &x, &u) {
        panic!("check_vjp_along flags a backward pass right to rounding:\n{e}");
    }
}

/// Regression (a false alarm, fixed): `check_vjp` flagged the textbook backward pass that
/// `check` accepts as a Jacobian. The sensitivity part of the tolerance was computed for the
/// contracted scalar `uᵀf` only (`|∂²(uᵀf)/∂x_j² / ∂(uᵀf)/∂x_j|·Δ(uᵀf)`), but the rounding of
/// `z_i(1 − z_i)` enters row by row: a row with a large weight and `z_i` near 1 (`W = 11` here)
/// adds `≈ ε|u_i W_i|` while its curvature hardly shows in the contraction, which a row with a
/// small weight dominates. The VJP tolerance now includes the per-row sensitivities
/// `Σ_i |u_i|·|C_ij/D_ij|·Δf_i`.
#[test]

fn textbook_backward_pass_minimal() {
    let x = v(&[1.0]);
    let f = Layer::right(DMatrix::from_row_slice(2, 1, &[0.125, 11.0]));
    if let Err(e) = Oracle::default().check_vjp_along(&f, &x, &v(&[1.0, 1.0])) {
        panic!("along u = [1, 1]: {e}");
    }
    // With the oracle's own cotangents.
    let f = Layer::right(DMatrix::from_row_slice(2, 1, &[0.5, 10.5]));
    if let Err(e) = Oracle::default().check_vjp(&f, &x) {
        panic!("check_vjp: {e}");
    }
}

fn assert_simple<'a>(values: impl Iterator<Item = &'a f64>, what: &dyn std::fmt::Debug) {
    for &e in values {
        assert!(
            e.abs() <= 4.0 && (e * 16.0).fract() == 0.0,
            "{e} is not a simple number in {what:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. JVP: forward rules.
// ---------------------------------------------------------------------------------------------

/// As [`vjp_mutant_property`], for forward rules and `check_jvp`.
fn jvp_mutant_property(
    kind: Forward,
    strategy: impl Strategy<Value = LayerCase>,
    cases: u32,
    seed: u64,
) -> (usize, usize) {
    let (differs, coincides) = (Cell::new(0usize), Cell::new(0usize));
    let result = runner(cases, seed).run(&strategy, |case| {
        let f = Layer::new(case.w.clone(), Backward::Right, kind);
        let outcome = Oracle::default().check_jvp(&f, &case.x);
        let seen = f.seen_v.borrow().clone();
        let differing: Vec<&DVector<f64>> = seen
            .iter()
            .filter(|dir| {
                let mut scale = amax(&(&case.w * *dir));
                if case.w.is_square() {
                    scale += amax(&case.w.tr_mul(dir));
                }
                clearly_differs(
                    &f.jvp_as(Forward::Right, &case.x, dir),
                    &f.jvp_as(kind, &case.x, dir),
                    scale,
                )
            })
            .collect();
        match outcome {
            Ok(_) => {
                prop_assert!(
                    differing.is_empty(),
                    "{kind:?} missed along v = {} at {case:?}",
                    differing[0]
                );
                coincides.set(coincides.get() + 1);
            }
            Err(err) => {
                let m = mismatch(err)?;
                prop_assert_eq!(m.quantity, Quantity::Jvp);
                let dir = m
                    .direction
                    .clone()
                    .expect("a JVP report names its direction");
                prop_assert_eq!(&dir, seen.last().unwrap());
                prop_assert_eq!(m.shape, (case.w.nrows(), 1));
                prop_assert_eq!(m.witnesses.col, 0);
                prop_assert_eq!(&m.x, &case.x);
                let r = m.witnesses.row;
                prop_assert_eq!(m.witnesses.analytic, f.jvp_as(kind, &case.x, &dir)[r]);
                let right = f.jvp_as(Forward::Right, &case.x, &dir);
                let rounding =
                    1e-12 * right[r].abs() + 64.0 * f64::EPSILON * amax(&(&case.w * &dir));
                prop_assert!(
                    (m.witnesses.dual - right[r]).abs() <= rounding,
                    "dual {} vs right {}",
                    m.witnesses.dual,
                    right[r]
                );
                differs.set(differs.get() + 1);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{kind:?}: {e}");
    }
    (differs.get(), coincides.get())
}

#[test]
fn jvp_permuted_rows_is_caught_by_check_jvp() {
    let (caught, coincided) =
        jvp_mutant_property(Forward::PermutedRows, layer_case(), 256, 0x4A50_5231);
    println!("permuted-rows JVP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 128, "caught on only {caught} of 256 cases");
}

#[test]
fn jvp_transposed_is_caught_on_square_layers() {
    let (caught, coincided) =
        jvp_mutant_property(Forward::Transposed, layer_case().square(), 256, 0x4A54_5231);
    println!("Wᵀv JVP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 128, "caught on only {caught} of 256 cases");
}

#[test]
fn jvp_missing_derivative_is_caught() {
    let (caught, coincided) =
        jvp_mutant_property(Forward::MissingDerivative, layer_case(), 256, 0x4A4D_4431);
    println!("missing-σ' JVP: caught on {caught} cases, coincided on {coincided}");
    assert!(caught >= 192, "caught on only {caught} of 256 cases");
}

/// A forward-rule mutant checked along directions drawn by proptest: the failing `(case, v)`
/// shrinks to a 2×1 layer with simple numbers and a simple nonzero direction.
#[test]
fn jvp_mutant_along_drawn_directions_shrinks() {
    let strategy = (
        layer_case(),
        proptest::collection::vec(simple_f64(-4.0..=4.0), 8),
    );
    let result = runner(256, 0x414C_4F4E).run(&strategy, |(case, units)| {
        let f = Layer::new(case.w.clone(), Backward::Right, Forward::PermutedRows);
        let dir = DVector::from_fn(case.x.len(), |j, _| units[j]);
        Oracle::default().check_jvp_along(&f, &case.x, &dir)?;
        Ok(())
    });
    let Err(TestError::Fail(reason, (case, units))) = result else {
        panic!("the permuted-rows JVP was missed: {result:?}")
    };
    println!("minimal: {case:?}, v = {units:?}\n{reason}");
    assert_eq!(case.shape(), (2, 1), "{case:?}");
    assert_eq!(case.regime, Regime::Moderate, "{case:?}");
    assert_simple(case.w.iter().chain(case.x.iter()), &case);
    assert_simple(units.iter(), &units);
    // The one used entry is a nonzero simple number; the unused ones shrank to 0.
    assert_ne!(units[0], 0.0);
    assert!(units[1..].iter().all(|&e| e == 0.0), "{units:?}");
    let message = reason.message();
    assert!(message.contains("the analytic JVP is wrong"), "{message}");
    assert!(
        message.contains(&format!(
            "along vec![{}]",
            jacobian_oracle::report::float_literal(units[0])
        )),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. The adjoint identity.
// ---------------------------------------------------------------------------------------------

#[test]
fn permuted_rows_vjp_breaks_the_adjoint_identity() {
    let (w, x) = case34();
    let f = Layer::new(w, Backward::PermutedRows, Forward::Stable);
    let err = Oracle::default().check_adjoint(&f, &x).unwrap_err();
    let text = err.to_string();
    let CheckError::NotAdjoint(a) = err else {
        panic!("expected NotAdjoint, got {err:?}")
    };
    assert_ne!(a.jvp_side, a.vjp_side);
    assert!((a.jvp_side - a.vjp_side).abs() > a.tolerance, "{text}");
    assert!(a.tolerance > 0.0 && a.tolerance < 1e-12, "{text}");
    assert_eq!(a.x, x);
    assert_eq!((a.u.len(), a.v.len()), (3, 4));
    // Its two sides are the map's own products along the pair it names.
    assert_eq!(a.jvp_side, f.jvp_as(Forward::Stable, &x, &a.v).dot(&a.u));
    assert_eq!(
        a.vjp_side,
        a.v.dot(&f.vjp_as(Backward::PermutedRows, &x, &a.u))
    );
    assert!(text.contains("not adjoint"), "{text}");
    // The adjudication against dual numbers names the wrong side: the VJP.
    let Some(CheckError::Mismatch(culprit)) = a.culprit.as_deref() else {
        panic!("expected the VJP's mismatch as the culprit: {text}")
    };
    assert_eq!(culprit.quantity, Quantity::Vjp, "{text}");
    assert_eq!(culprit.direction.as_ref(), Some(&a.u), "{text}");
    assert!(text.contains("the analytic VJP is wrong"), "{text}");
}

#[test]
fn permuted_rows_jvp_breaks_the_adjoint_identity_too() {
    let (w, x) = case34();
    let f = Layer::new(w, Backward::Right, Forward::PermutedRows);
    let Err(CheckError::NotAdjoint(a)) = Oracle::default().check_adjoint(&f, &x) else {
        panic!("expected NotAdjoint")
    };
    let Some(CheckError::Mismatch(culprit)) = a.culprit.as_deref() else {
        panic!("expected the JVP's mismatch as the culprit")
    };
    assert_eq!(culprit.quantity, Quantity::Jvp);
    assert_eq!(culprit.direction.as_ref(), Some(&a.v));
    assert_eq!(
        a.jvp_side,
        f.jvp_as(Forward::PermutedRows, &x, &a.v).dot(&a.u)
    );
    assert_eq!(a.vjp_side, a.v.dot(&f.vjp_as(Backward::Right, &x, &a.u)));
}

/// Regression (a false alarm, fixed): two right rules that round differently — the textbook
/// forward rule `z(1 − z) ∘ (Wv)` and the stable backward pass `Wᵀ(u ∘ σ(a)σ(−a))` — each pass
/// their own check, but `check_adjoint` called them "not adjoint": its tolerance covered the
/// rounding of the two inner products only, not the rounding of the rules themselves
/// (`z(1 − z)` at `a = 8` is off by about `ε/(1 − z) ≈ 7e-13` relative, which `check_jvp`
/// accepts through the rounding sensitivity of `f`). A pair outside the inner products'
/// rounding is now adjudicated by checking each side against dual numbers.
#[test]

fn adjoint_between_two_right_rules_that_round_differently() {
    let f = Layer::new(
        DMatrix::from_element(1, 1, 1.0),
        Backward::Stable,
        Forward::Right,
    );
    let x = v(&[8.0]);
    Oracle::default()
        .check_jvp(&f, &x)
        .expect("the JVP is right");
    Oracle::default()
        .check_vjp(&f, &x)
        .expect("the VJP is right");
    if let Err(e) = Oracle::default().check_adjoint(&f, &x) {
        panic!("{e}");
    }
}

/// As a property: whenever the permuted-rows VJP makes the two sides differ clearly along a
/// drawn pair, `check_adjoint` says `NotAdjoint`; otherwise it passes.
#[test]
fn adjoint_catches_the_permuted_rows_vjp_whenever_the_sides_differ() {
    let caught = Cell::new(0usize);
    let result = runner(256, 0x4144_4A54).run(&layer_case(), |case| {
        let f = Layer::new(case.w.clone(), Backward::PermutedRows, Forward::Stable);
        let outcome = Oracle::default().check_adjoint(&f, &case.x);
        let (us, vs) = (f.seen_u.borrow().clone(), f.seen_v.borrow().clone());
        let differs = us.iter().zip(vs.iter()).any(|(u, dir)| {
            let jv = f.jvp_as(Forward::Stable, &case.x, dir);
            let jtu = f.vjp_as(Backward::PermutedRows, &case.x, u);
            let scale = jv.abs().dot(&u.abs()) + dir.abs().dot(&jtu.abs());
            // The oracle cannot know which σ' a rule used: its tolerance allows what any rule
            // computed through the output z may lose — about ε in absolute terms (the textbook
            // z(1 − z) in saturation has no relative precision) — so a gap is only required to
            // be caught above 1e-8 of |u|ᵀ|W||v|. (Both rules here are stable, and without this
            // scale the test fails where every row saturates: J ≈ 1e-26, W = 10, where the
            // gap is far below any rounding-derived tolerance.)
            let rounding_scale = u.abs().dot(&(case.w.abs() * dir.abs()));
            (jv.dot(u) - dir.dot(&jtu)).abs() > 1e-8 * scale.max(rounding_scale)
        });
        match outcome {
            Ok(()) => prop_assert!(!differs, "missed at {case:?}"),
            Err(CheckError::NotAdjoint(a)) => {
                prop_assert!(case.w.nrows() >= 2);
                prop_assert_ne!(a.jvp_side, a.vjp_side);
                caught.set(caught.get() + 1);
            }
            Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(caught.get() >= 128, "caught on {} of 256", caught.get());
}

// ---------------------------------------------------------------------------------------------
// 4. Projections.
// ---------------------------------------------------------------------------------------------

/// The layer with the rows of its (otherwise right) Jacobian permuted, as [`permute_rows`].
fn permuted(layer: SigmoidLayer) -> impl AnalyticJacobian {
    common::edited(layer, |j| *j = permute_rows(j))
}

/// A `n×n` layer at moderate values (|Wx| of a few units) and the entry of its Jacobian with
/// the largest magnitude, away from the first row and column.
fn projection_case(n: usize) -> (SigmoidLayer, DVector<f64>, (usize, usize)) {
    let layer = SigmoidLayer::new(fixed_matrix(n, n, 2.0 / (n as f64).sqrt()));
    let x = fixed_vector(n, 1.0);
    let j = layer.jacobian(&x);
    let mut best = (1, 1);
    for r in 1..n {
        for c in 1..n {
            if j[(r, c)].abs() > j[best].abs() {
                best = (r, c);
            }
        }
    }
    let a = layer.w.clone() * &x;
    assert!(amax(&a) < 10.0, "moderate pre-activations: {}", amax(&a));
    (layer, x, best)
}

/// The layer with one entry of its (otherwise right) Jacobian scaled by `1 + rel`.
fn one_entry(layer: &SigmoidLayer, (r, c): (usize, usize), rel: f64) -> impl AnalyticJacobian {
    common::edited(layer.clone(), move |j| j[(r, c)] *= 1.0 + rel)
}

#[test]
fn projection_catches_one_entry_off_by_1e8_at_64x64_and_names_it() {
    let (layer, x, (i, j)) = projection_case(64);
    let f = one_entry(&layer, (i, j), 1e-8);
    let m = expect_mismatch(Oracle::default().check_projected(&f, &x, 4));
    assert_eq!(m.quantity, Quantity::Jacobian);
    assert_eq!(m.direction, None, "localised by the full check");
    assert_eq!((m.witnesses.row, m.witnesses.col), (i, j), "{m}");
    assert_eq!(m.wrong_entries, 1, "{m}");
    assert_eq!(m.shape, (64, 64));
    assert_eq!(m.x, x);
    assert_abs_diff_eq!(m.rel_error / 1e-8, 1.0, epsilon = 1e-4);
}

/// The speed claim's detection half, on the benchmark's own problem: at 256×256, `k = 4`
/// projections (the check timed against PyTorch `fast_mode` and JAX `check_grads`) catch one
/// entry off by `1e-8`, and the full check then names it. The problem is `speed`'s, which
/// comes with the `cli` feature.
#[cfg(feature = "cli")]
#[test]
fn projection_catches_one_entry_off_by_1e8_on_the_256x256_benchmark() {
    let (layer, x) = jacobian_oracle::speed::problem(256);
    let j = layer.jacobian(&x);
    let (mut i, mut c) = (0, 0);
    for r in 0..256 {
        for k in 0..256 {
            if j[(r, k)].abs() > j[(i, c)].abs() {
                (i, c) = (r, k);
            }
        }
    }
    let f = one_entry(&layer, (i, c), 1e-8);
    let m = expect_mismatch(Oracle::default().check_projected(&f, &x, 4));
    assert_eq!((m.witnesses.row, m.witnesses.col), (i, c), "{m}");
    assert_eq!(m.wrong_entries, 1, "{m}");
    assert_eq!(m.shape, (256, 256));
    // The right Jacobian passes the same check.
    Oracle::default().check_projected(&layer, &x, 4).unwrap();
}

#[test]
fn projection_catches_one_entry_off_by_1e10_at_16x16() {
    let (layer, x, (i, j)) = projection_case(16);
    let f = one_entry(&layer, (i, j), 1e-10);
    let m = expect_mismatch(Oracle::default().check_projected(&f, &x, 4));
    assert_eq!(m.quantity, Quantity::Jacobian);
    assert_eq!((m.witnesses.row, m.witnesses.col), (i, j), "{m}");
    assert_eq!(m.wrong_entries, 1, "{m}");
}

#[test]
fn projection_catches_permuted_rows() {
    let (layer, x, _) = projection_case(16);
    let f = permuted(layer.clone());
    let wrong = f.jacobian(&x);
    let m = expect_mismatch(Oracle::default().check_projected(&f, &x, 1));
    assert_eq!(m.quantity, Quantity::Jacobian);
    assert_eq!(
        m.witnesses.analytic,
        wrong[(m.witnesses.row, m.witnesses.col)]
    );
    assert!(m.wrong_entries > 16 * 16 / 2, "{m}");
    // The permutation is invisible to Σf: the all-ones projection would miss it.
    let right = layer.jacobian(&x);
    let sums = |j: &DMatrix<f64>| j.row_sum();
    assert!((sums(&wrong) - sums(&right)).amax() < 1e-15);
}

#[test]
fn passing_projection_costs_about_k_dual_passes() {
    let (layer, x, _) = projection_case(64);
    // The full check: n seeded columns (in passes of several lanes).
    let full = Oracle::default().check(&layer, &x).unwrap();
    println!("full check: {:?}", full.evaluations);
    assert!(
        full.evaluations.dual_evals >= 64usize.div_ceil(jacobian_oracle::dual::LANES),
        "{:?}",
        full.evaluations
    );
    for k in [1usize, 4, 8] {
        let a = Oracle::default().check_projected(&layer, &x, k).unwrap();
        println!("k = {k}: {:?}", a.evaluations);
        assert!(
            a.evaluations.dual_evals >= 1 && a.evaluations.dual_evals <= k + 4,
            "k = {k}: {:?}",
            a.evaluations
        );
        assert!(a.evaluations.dual_evals < 64, "O(k), not O(n)");
        assert!(
            a.evaluations.dual_evals < full.evaluations.dual_evals,
            "k = {k}: {:?} vs the full check's {:?}",
            a.evaluations,
            full.evaluations
        );
        assert!(
            a.evaluations.f64_evals <= 1 + 4 * k + 8,
            "{:?}",
            a.evaluations
        );
    }
}

#[test]
fn zero_projections_is_an_invalid_oracle() {
    let (w, x) = case34();
    let err = Oracle::default()
        .check_projected(&SigmoidLayer::new(w), &x, 0)
        .unwrap_err();
    let CheckError::InvalidOracle { parameter, value } = &err else {
        panic!("expected InvalidOracle, got {err:?}")
    };
    assert_eq!(*value, 0.0);
    assert!(parameter.contains('k'), "{parameter}");
    assert!(err.to_string().contains("misconfigured"), "{err}");
}

/// Detection power of projections at 64×64: one entry off by a relative `r`, caught by `k = 1`
/// and `k = 4` projections?
#[test]
fn projection_detection_power_at_64x64() {
    let (layer, x, (i, j)) = projection_case(64);
    println!("64×64, entry ({i}, {j}) perturbed; caught by check_projected?");
    println!(
        "{:>8} {:>14} {:>14} {:>14}",
        "rel", "k = 1", "k = 4", "full check"
    );
    // The entry a Mismatch names, or None if the check passed.
    let caught = |r: f64, k: Option<usize>| -> Option<(usize, usize)> {
        let f = one_entry(&layer, (i, j), r);
        let result = match k {
            Some(k) => Oracle::default().check_projected(&f, &x, k),
            None => Oracle::default().check(&f, &x),
        };
        match result {
            Ok(_) => None,
            Err(CheckError::Mismatch(m)) => Some((m.witnesses.row, m.witnesses.col)),
            Err(other) => panic!("r = {r}, k = {k:?}: {other}"),
        }
    };
    let show = |c: Option<(usize, usize)>| match c {
        None => "missed".to_string(),
        Some(e) if e == (i, j) => "caught".to_string(),
        Some(e) => format!("caught at {e:?}"),
    };
    let mut table = Vec::new();
    for r in [1e-6, 1e-8, 1e-10, 1e-12, 1e-13, 1e-14] {
        let row = (r, caught(r, Some(1)), caught(r, Some(4)), caught(r, None));
        println!(
            "{:>8.0e} {:>14} {:>14} {:>14}",
            row.0,
            show(row.1),
            show(row.2),
            show(row.3)
        );
        table.push(row);
    }
    // The requirement: 1e-8 caught with k = 4, and named by the full check.
    assert_eq!(table[1].2, Some((i, j)), "1e-8 with k = 4");
    assert_eq!(table[0].1, Some((i, j)), "1e-6 with k = 1");
    assert_eq!(table[0].2, Some((i, j)), "1e-6 with k = 4");
    // The README's figures: one projection sees 1e-12, the full check 1e-13.
    assert_eq!(table[3].1, Some((i, j)), "1e-12 with k = 1");
    assert_eq!(table[4].3, Some((i, j)), "1e-13 by the full check");
    // Caught by a projection ⇒ caught and named by the full check.
    for &(r, k1, k4, full) in &table {
        if k1.is_some() || k4.is_some() {
            assert_eq!(full, Some((i, j)), "r = {r}");
            assert_eq!(k1.or(k4), Some((i, j)), "r = {r}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 5. f32 implementations.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq)]
enum F32Fault {
    None,
    SignError,
    /// Entry `(i, j)` multiplied by `1 + rel`.
    Entry(usize, usize, f32),
    /// Rows cyclically shifted, as [`permute_rows`].
    PermutedRows,
}

/// The sigmoid layer, its Jacobian computed in `f32` by the catalogue's [`SigmoidLayer`]
/// (`a = Wx`, `z = σ(a)` (stable), `J = diag(z(1 − z)) W`, every step in `f32`), then `fault`
/// applied to it.
struct F32Layer {
    layer: SigmoidLayer,
    fault: F32Fault,
}

impl F32Layer {
    fn new(w: DMatrix<f64>, fault: F32Fault) -> Self {
        F32Layer {
            layer: SigmoidLayer::new(w),
            fault,
        }
    }
}

impl VectorFn for F32Layer {
    fn input_dim(&self) -> usize {
        self.layer.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.layer.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.layer.eval(x)
    }
}

impl AnalyticJacobianF32 for F32Layer {
    fn jacobian_f32(&self, x: &DVector<f32>) -> DMatrix<f32> {
        let mut j = self.layer.jacobian_f32(x);
        match self.fault {
            F32Fault::None => {}
            F32Fault::SignError => j = -j,
            F32Fault::Entry(r, c, rel) => j[(r, c)] *= 1.0 + rel,
            F32Fault::PermutedRows => {
                let m = j.nrows();
                j = DMatrix::from_fn(m, j.ncols(), |i, k| j[((i + 1) % m, k)]);
            }
        }
        j
    }
}

/// `W` and `x` exactly representable in `f32`, moderate pre-activations.
fn f32_case() -> (DMatrix<f64>, DVector<f64>) {
    (
        DMatrix::from_row_slice(
            3,
            4,
            &[
                0.5, -0.25, 0.75, 0.125, -0.625, 0.3125, 0.1875, -0.4375, 0.375, 0.4375, -0.5625,
                0.15625,
            ],
        ),
        v(&[0.8125, -0.5625, 1.125, 0.4375]),
    )
}

#[test]
fn f32_jacobian_with_f64_tolerances_is_flagged() {
    let (w, x) = f32_case();
    // The f32 Jacobian, widened to f64 and checked as if it were an f64 one.
    let widened = common::WithJacobian::new(
        F32Layer::new(w, F32Fault::None),
        |f: &F32Layer, x: &DVector<f64>| f.jacobian_f32(&x.map(|e| e as f32)).map(f64::from),
    );
    // Right in f32 …
    let a = Oracle::default().check_f32(&widened.map, &x).unwrap();
    assert_eq!(a.quantity, Quantity::JacobianF32);
    // … but far outside f64 tolerances.
    let m = expect_mismatch(Oracle::default().check(&widened, &x));
    assert_eq!(m.quantity, Quantity::Jacobian);
    assert!(
        m.rel_error > 1e-9 && m.rel_error < 1e-6,
        "an f32 rounding error: {}",
        m.rel_error
    );
    assert!(m.tolerance.total < 1e-13, "{}", m.tolerance);
}

/// `x` that `f32` cannot hold exactly (a huge entry with a fraction, a subnormal): the check
/// runs at `x` rounded to `f32`, a right `f32` Jacobian passes there, and a report carries the
/// rounded `x`.
#[test]
fn f32_checks_run_at_x_rounded_to_f32() {
    let (w, _) = f32_case();
    let x = v(&[0.1, 1e6 + 0.1, -3.3, 1e-40]);
    let rounded = x.map(|e| f64::from(e as f32));
    assert_ne!(rounded, x);
    let w = w * 1e-6;
    let right = F32Layer::new(w.clone(), F32Fault::None);
    let a = Oracle::default().check_f32(&right, &x).unwrap();
    assert_eq!(a.quantity, Quantity::JacobianF32);
    let wrong = F32Layer::new(w, F32Fault::SignError);
    let m = expect_mismatch(Oracle::default().check_f32(&wrong, &x));
    assert_eq!(m.quantity, Quantity::JacobianF32);
    assert_eq!(m.x, rounded);
    assert_eq!(m.x[1], 1_000_000.125);
    assert!(
        m.x[3] > 0.0 && m.x[3] < f64::from(f32::MIN_POSITIVE),
        "{}",
        m.x[3]
    );
}

#[test]
fn f32_sign_error_is_caught() {
    let (w, x) = f32_case();
    let f = F32Layer::new(w, F32Fault::SignError);
    let m = expect_mismatch(Oracle::default().check_f32(&f, &x));
    assert_eq!(m.quantity, Quantity::JacobianF32);
    assert_eq!(m.wrong_entries, 12, "{m}");
    assert_abs_diff_eq!(m.rel_error, 2.0, epsilon = 1e-6);
    assert!(
        m.to_string().contains("the analytic f32 Jacobian is wrong"),
        "{m}"
    );
    assert!(m.snippet().contains("check_f32(&f, &x)"), "{}", m.snippet());
}

#[test]
fn f32_one_entry_off_by_1e3_is_caught_and_named() {
    let (w, x) = f32_case();
    let f = F32Layer::new(w, F32Fault::Entry(1, 2, 1e-3));
    let m = expect_mismatch(Oracle::default().check_f32(&f, &x));
    assert_eq!(m.quantity, Quantity::JacobianF32);
    assert_eq!((m.witnesses.row, m.witnesses.col), (1, 2), "{m}");
    assert_eq!(m.wrong_entries, 1, "{m}");
    assert_abs_diff_eq!(m.rel_error / 1e-3, 1.0, epsilon = 1e-3);
    // The tolerance is in units of f32::EPSILON: far above f64's, far below 1e-3.
    let rel_tol = m.tolerance.total / m.witnesses.dual.abs();
    assert!(rel_tol > 1e-7 && rel_tol < 1e-4, "{}", m.tolerance);
}

#[test]
fn x_beyond_f32_range_is_out_of_f32_range() {
    let (w, _) = f32_case();
    let f = F32Layer::new(w, F32Fault::None);
    let x = v(&[0.5, 1e39, -0.25, 0.0]);
    let err = Oracle::default().check_f32(&f, &x).unwrap_err();
    assert_eq!(
        err,
        CheckError::OutOfF32Range {
            index: 1,
            value: 1e39
        }
    );
    assert!(err.to_string().contains("x[1]"), "{err}");
}

/// What `check_f32` does in each regime: every case passes; how many entries pass only within
/// the rounding sensitivity, and how close to the tolerance the worst entry comes.
#[test]
fn f32_behaviour_by_regime() {
    for regime in Regime::ALL {
        let stats = RefCell::new((0usize, 0usize, 0.0f64));
        let result = runner(64, 0xF32).run(&layer_case().regimes(&[regime]), |case| {
            let f = F32Layer::new(case.w.clone(), F32Fault::None);
            let a: Agreement = Oracle::default()
                .with_full_statistics(true)
                .check_f32(&f, &case.x)?;
            let mut s = stats.borrow_mut();
            s.0 += 1;
            s.1 += a.precision_loss_entries();
            s.2 = s.2.max(a.worst_analytic.ratio());
            Ok(())
        });
        let (cases, loss, ratio) = *stats.borrow();
        println!(
            "{:>12}: {cases} cases, {loss} precision-loss entries, worst error/tolerance {ratio:.3}",
            regime.name()
        );
        if let Err(e) = result {
            panic!("{}: {e}", regime.name());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 6. Black boxes.
// ---------------------------------------------------------------------------------------------

#[test]
fn black_box_sign_error_is_a_mismatch_without_dual() {
    let (w, x) = case34();
    let layer = SigmoidLayer::new(w);
    let right = layer.jacobian(&x);
    let wrong = -&right;
    let m = expect_mismatch(Oracle::default().check_black_box(|p| layer.eval(p), &wrong, &x));
    assert_eq!(m.quantity, Quantity::BlackBox);
    assert!(m.witnesses.dual.is_nan());
    assert_eq!(m.direction, None);
    assert_eq!(m.wrong_entries, 12, "{m}");
    let (r, c) = (m.witnesses.row, m.witnesses.col);
    assert_eq!(m.witnesses.analytic, wrong[(r, c)]);
    let fd = m
        .witnesses
        .finite_difference
        .expect("finite differences ran");
    assert!(
        (fd.value - right[(r, c)]).abs() < 1e-8 * right[(r, c)].abs(), // relative to the right value
        "{m}"
    );
    let text = m.to_string();
    assert!(text.contains("black-box Jacobian"), "{text}");
    assert!(text.contains("not used"), "{text}");
    assert!(
        m.snippet().contains("check_black_box(f, &jacobian, &x)"),
        "{}",
        m.snippet()
    );
}

#[test]
fn black_box_abs_at_zero_cannot_be_judged() {
    let f = |p: &DVector<f64>| p.map(f64::abs);
    let x = v(&[0.0, 1.5]);
    // The right-hand derivative at the kink: not wrong, not right.
    let jac = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 1.0]);
    let err = Oracle::default().check_black_box(f, &jac, &x).unwrap_err();
    let CheckError::CannotJudge(c) = &err else {
        panic!("expected CannotJudge, got {err:?}")
    };
    assert_eq!(c.reason, NotJudgeable::NonSmooth);
    assert_eq!(c.quantity, Quantity::BlackBox);
    assert_eq!(c.witnesses.col, 0);
    assert_eq!(c.witnesses.row, 0);
    assert_eq!(c.x, x);
    assert!(err.is_cannot_judge());
}

#[test]
fn black_box_bad_shapes() {
    let f = |p: &DVector<f64>| p.map(|e| e * e);
    let x = v(&[1.0, 2.0]);
    let wide = DMatrix::from_element(2, 3, 1.0);
    assert_eq!(
        Oracle::default().check_black_box(f, &wide, &x).unwrap_err(),
        CheckError::AnalyticShape {
            expected: (2, 2),
            found: (2, 3)
        }
    );
    let tall = DMatrix::from_element(3, 2, 1.0);
    assert_eq!(
        Oracle::default().check_black_box(f, &tall, &x).unwrap_err(),
        CheckError::EvalLength {
            expected: 3,
            found: 2,
            scalar: "f64"
        }
    );
}

/// Per entry of the right Jacobian: the smallest scanned relative error (1e-1 … 1e-12) caught
/// with every larger one caught too (`INFINITY` if even 1e-1 passes).
fn black_box_thresholds(
    layer: &SigmoidLayer,
    x: &DVector<f64>,
    scan: &[f64],
) -> Vec<((usize, usize), f64, f64)> {
    let right = layer.jacobian(x);
    let caught = |r: usize, c: usize, rel: f64| -> bool {
        let mut jac = right.clone();
        jac[(r, c)] *= 1.0 + rel;
        match Oracle::default().check_black_box(|p| layer.eval(p), &jac, x) {
            Ok(_) => false,
            Err(CheckError::Mismatch(m)) => {
                assert_eq!((m.witnesses.row, m.witnesses.col), (r, c), "{m}");
                assert_eq!(m.wrong_entries, 1, "{m}");
                true
            }
            Err(other) => panic!("({r}, {c}) at {rel:e}: {other}"),
        }
    };
    let mut out = Vec::new();
    for r in 0..right.nrows() {
        for c in 0..right.ncols() {
            let mut t = f64::INFINITY;
            for &rel in scan {
                if caught(r, c, rel) {
                    t = rel;
                } else {
                    break;
                }
            }
            out.push(((r, c), right[(r, c)], t));
        }
    }
    out
}

/// The smallest relative error in one entry a black-box check still catches, on a smooth,
/// well-scaled 8×8 sigmoid layer (the module docs give the figures: every entry at 1e-6, the
/// median at 1e-8).
///
/// Regression (missed mistakes, fixed): the finite-difference escalation accepted the analytic
/// value at *any* informative step, and a coarse step's error estimate may be up to an eighth
/// of the derivative (times the safety factor 4): errors up to ~30% passed. A black box's entry
/// is now held to the most accurate step. See `black_box_misses_a_thirty_percent_error_minimal`.
#[test]

fn black_box_detection_threshold() {
    let layer = SigmoidLayer::new(fixed_matrix(8, 8, 0.8));
    let x = fixed_vector(8, 1.0);
    let scan = [
        1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    ];
    let mut thresholds = black_box_thresholds(&layer, &x, &scan);
    thresholds.sort_by(|a, b| a.2.total_cmp(&b.2));
    let (largest, _, t_largest) = *thresholds
        .iter()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .unwrap();
    let median = thresholds[thresholds.len() / 2].2;
    for &t in &scan {
        let k = thresholds.iter().filter(|e| e.2 <= t).count();
        println!("caught down to {t:e}: {k} of 64 entries");
    }
    println!(
        "black box 8×8: detection threshold {t_largest:e} at the largest entry {largest:?}; \
         over all 64 entries: best {:e}, median {median:e}, worst {:e}",
        thresholds[0].2,
        thresholds[thresholds.len() - 1].2
    );
    // The README's figures (adaptive Richardson differences, `fd::adaptive`): every entry
    // caught at 1e-8 (the first witness alone: 1e-6), the median and the largest entry at
    // 1e-10 (alone: 1e-8); none at 1e-14, where the rounding of f itself is the floor (a
    // claim below it would be luck).
    assert!(t_largest <= 1e-10, "largest entry: {t_largest:e}");
    assert!(median <= 1e-10, "median entry: {median:e}");
    assert!(
        thresholds[thresholds.len() - 1].2 <= 1e-8,
        "every entry: {:e}",
        thresholds[thresholds.len() - 1].2
    );
    assert!(thresholds[0].2 > 1e-14, "best entry: {:e}", thresholds[0].2);
}

/// Regression (a missed mistake, fixed): `sin` at 0 has derivative 1; a black-box Jacobian of
/// 1.25 passed.
#[test]

fn black_box_misses_a_thirty_percent_error_minimal() {
    let f = |p: &DVector<f64>| p.map(f64::sin);
    let x = v(&[0.0]);
    // The right one passes …
    Oracle::default()
        .check_black_box(f, &DMatrix::from_element(1, 1, 1.0), &x)
        .unwrap();
    // … and a wrong one does not.
    let m = expect_mismatch(Oracle::default().check_black_box(
        f,
        &DMatrix::from_element(1, 1, 1.25),
        &x,
    ));
    assert_eq!(m.quantity, Quantity::BlackBox);
    assert_eq!((m.witnesses.row, m.witnesses.col), (0, 0));
}

/// Coarse mistakes are caught and localised: a factor of two in one entry, and a
/// sign error (below).
#[test]
fn black_box_catches_a_factor_of_two() {
    let layer = SigmoidLayer::new(fixed_matrix(8, 8, 0.8));
    let x = fixed_vector(8, 1.0);
    let mut jac = layer.jacobian(&x);
    jac[(3, 4)] *= 2.0;
    let m = expect_mismatch(Oracle::default().check_black_box(|p| layer.eval(p), &jac, &x));
    assert_eq!(m.quantity, Quantity::BlackBox);
    assert_eq!((m.witnesses.row, m.witnesses.col), (3, 4), "{m}");
    // The report speaks of finite differences, the only reference, not of a dual value.
    let text = m.to_string();
    assert!(
        text.contains("analytic disagrees with finite differences"),
        "{text}"
    );
    assert!(!text.contains("|analytic − dual|"), "{text}");
    assert_eq!(m.wrong_entries, 1, "{m}");
    assert!(m.witnesses.dual.is_nan());
}

// ---------------------------------------------------------------------------------------------
// 7. Bad input and reports.
// ---------------------------------------------------------------------------------------------

/// A layer whose JVP and VJP return vectors of the wrong length.
struct WrongLength(SigmoidLayer);

impl VectorFn for WrongLength {
    fn input_dim(&self) -> usize {
        self.0.input_dim()
    }
    fn output_dim(&self) -> usize {
        self.0.output_dim()
    }
    fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &DVector<D>) -> DVector<D> {
        self.0.eval(x)
    }
}

impl AnalyticJvp for WrongLength {
    fn jvp(&self, _x: &DVector<f64>, _v: &DVector<f64>) -> DVector<f64> {
        DVector::zeros(self.0.output_dim() + 2)
    }
}

impl AnalyticVjp for WrongLength {
    fn vjp(&self, _x: &DVector<f64>, _u: &DVector<f64>) -> DVector<f64> {
        DVector::zeros(self.0.input_dim() - 1)
    }
}

#[test]
fn direction_of_the_wrong_length() {
    let (w, x) = case34();
    let f = Layer::right(w);
    assert_eq!(
        Oracle::default()
            .check_jvp_along(&f, &x, &v(&[1.0, 2.0, 3.0]))
            .unwrap_err(),
        CheckError::DirectionLength {
            expected: 4,
            found: 3
        }
    );
    assert_eq!(
        Oracle::default()
            .check_vjp_along(&f, &x, &v(&[1.0, 2.0, 3.0, 4.0]))
            .unwrap_err(),
        CheckError::DirectionLength {
            expected: 3,
            found: 4
        }
    );
    assert!(f.seen_u.borrow().is_empty() && f.seen_v.borrow().is_empty());
}

#[test]
fn non_finite_direction() {
    let (w, x) = case34();
    let f = Layer::right(w);
    let err = Oracle::default()
        .check_jvp_along(&f, &x, &v(&[1.0, 2.0, f64::NAN, 4.0]))
        .unwrap_err();
    let CheckError::NonFiniteDirection { index, value } = err else {
        panic!("expected NonFiniteDirection, got {err:?}")
    };
    assert_eq!(index, 2);
    assert!(value.is_nan());
    assert_eq!(
        Oracle::default()
            .check_vjp_along(&f, &x, &v(&[1.0, f64::NEG_INFINITY, 0.5]))
            .unwrap_err(),
        CheckError::NonFiniteDirection {
            index: 1,
            value: f64::NEG_INFINITY
        }
    );
}

#[test]
fn jvp_and_vjp_of_the_wrong_length_are_analytic_shape_errors() {
    let (w, x) = case34();
    let f = WrongLength(SigmoidLayer::new(w));
    let expected_jvp = CheckError::AnalyticShape {
        expected: (3, 1),
        found: (5, 1),
    };
    assert_eq!(
        Oracle::default().check_jvp(&f, &x).unwrap_err(),
        expected_jvp
    );
    assert_eq!(
        Oracle::default()
            .check_jvp_along(&f, &x, &v(&[1.0, -1.0, 0.5, 2.0]))
            .unwrap_err(),
        expected_jvp
    );
    let expected_vjp = CheckError::AnalyticShape {
        expected: (1, 4),
        found: (1, 3),
    };
    assert_eq!(
        Oracle::default().check_vjp(&f, &x).unwrap_err(),
        expected_vjp
    );
    assert_eq!(
        Oracle::default().check_adjoint(&f, &x).unwrap_err(),
        expected_jvp
    );
}

#[test]
fn jvp_mismatch_report_names_its_direction_and_reproduces_it() {
    let (w, x) = case34();
    let f = Layer::new(w, Backward::Right, Forward::MissingDerivative);
    let dir = v(&[0.5, -1.0, 0.25, 2.0]);
    let err = Oracle::default().check_jvp_along(&f, &x, &dir).unwrap_err();
    let text = err.to_string();
    let m = mismatch(err).unwrap();
    assert_eq!(m.quantity, Quantity::Jvp);
    assert_eq!(m.direction.as_ref(), Some(&dir));
    assert_eq!(m.x, x);
    let snippet = m.snippet();
    assert!(
        snippet.contains(
            "check_jvp_along(&f, &x, &nalgebra::DVector::from_vec(vec![0.5, -1.0, 0.25, 2.0]))"
        ),
        "{snippet}"
    );
    assert!(
        snippet.contains("nalgebra::DVector::from_vec(vec![0.8, -0.6, 1.1, 0.4])"),
        "{snippet}"
    );
    assert!(text.contains("along vec![0.5, -1.0, 0.25, 2.0]"), "{text}");
    assert!(text.contains("the analytic JVP is wrong"), "{text}");
    assert!(
        text.contains(&format!("(Jv)_{}", m.witnesses.row)),
        "{text}"
    );
}

#[test]
fn vjp_mismatch_snippet_calls_check_vjp_along() {
    let (w, x) = case34();
    let f = Layer::new(w, Backward::SignError, Forward::Right);
    let u = v(&[1.0, -0.5, 0.75]);
    let m = expect_mismatch(Oracle::default().check_vjp_along(&f, &x, &u));
    assert_eq!(m.quantity, Quantity::Vjp);
    assert!(
        m.snippet().contains(
            "check_vjp_along(&f, &x, &nalgebra::DVector::from_vec(vec![1.0, -0.5, 0.75]))"
        ),
        "{}",
        m.snippet()
    );
    assert!(
        m.to_string()
            .contains(&format!("(uᵀJ)_{}", m.witnesses.col)),
        "{m}"
    );
    // A sign error is wrong in every entry.
    assert_eq!(m.wrong_entries, 4, "{m}");
}

// ---------------------------------------------------------------------------------------------
// 8. The permuted-rows Jacobian in every mode, as a property.
// ---------------------------------------------------------------------------------------------

/// Whether the permuted Jacobian `PJ` differs from `J` clearly: in some entry by more than
/// `rel` relative and more than `abs` absolute.
fn permutation_shows(j: &DMatrix<f64>, rel: f64, abs: f64) -> bool {
    let p = permute_rows(j);
    j.iter()
        .zip(p.iter())
        .any(|(&a, &b)| (a - b).abs() > rel * a.abs().max(b.abs()) && (a - b).abs() > abs)
}

/// Runs `check` on the permuted-rows mutant of each drawn case: wherever the permutation shows
/// (by `shows`), it must be a `Mismatch` naming an entry where the mutant really differs;
/// elsewhere it must pass. Returns how many cases were caught.
fn permuted_rows_property(
    seed: u64,
    shows: impl Fn(&DMatrix<f64>, &LayerCase) -> bool,
    check: impl Fn(&LayerCase) -> Result<Agreement, CheckError>,
) -> usize {
    let caught = Cell::new(0usize);
    let result = runner(256, seed).run(&layer_case(), |case| {
        let right = SigmoidLayer::new(case.w.clone()).jacobian(&case.x);
        let visible = shows(&right, &case);
        match check(&case) {
            Ok(_) => prop_assert!(!visible, "missed at {case:?}"),
            Err(CheckError::Mismatch(m)) => {
                let (i, k) = (m.witnesses.row, m.witnesses.col);
                prop_assert_ne!(right[(i, k)], permute_rows(&right)[(i, k)]);
                caught.set(caught.get() + 1);
            }
            Err(other) => return Err(TestCaseError::fail(format!("{case:?}: {other}"))),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    caught.get()
}

#[test]
fn permuted_rows_are_caught_by_projections_wherever_they_show() {
    let caught = permuted_rows_property(
        0x5052_4D31,
        |j, case| permutation_shows(j, 1e-6, 1e3 * f64::EPSILON * case.w.amax()),
        |case| {
            let f = permuted(SigmoidLayer::new(case.w.clone()));
            Oracle::default().check_projected(&f, &case.x, 4)
        },
    );
    println!("projections: caught on {caught} of 256 cases");
    assert!(caught >= 160, "caught on {caught} of 256 cases");
}

#[test]
fn permuted_rows_are_caught_in_f32_wherever_they_show() {
    let caught = permuted_rows_property(
        0x5052_4D32,
        |j, case| {
            permutation_shows(
                j,
                1e-2,
                1e3 * f64::from(f32::EPSILON) * case.w.amax().max(1.0),
            )
        },
        |case| {
            let f = F32Layer::new(case.w.clone(), F32Fault::PermutedRows);
            Oracle::default().check_f32(&f, &case.x)
        },
    );
    println!("f32: caught on {caught} of 256 cases");
    assert!(caught >= 150, "caught on {caught} of 256 cases");
}

#[test]
fn permuted_rows_are_caught_in_a_black_box_wherever_they_show() {
    let caught = permuted_rows_property(
        0x5052_4D33,
        |j, _| permutation_shows(j, 1e-4, 1e-6),
        |case| {
            let layer = SigmoidLayer::new(case.w.clone());
            let wrong = permute_rows(&layer.jacobian(&case.x));
            Oracle::default().check_black_box(|p| layer.eval(p), &wrong, &case.x)
        },
    );
    println!("black box: caught on {caught} of 256 cases");
    assert!(caught >= 160, "caught on {caught} of 256 cases");
}

/// Regression (a false alarm found while building the adaptive witness): a saturated sigmoid
/// (pre-activation −446, values near 1e-194) whose pre-activation rounding moves `f` by
/// `1e-14` relative between nearby points. Held to adaptive differences with the model's
/// `4ε|f_i|` alone, the right Jacobian failed by `1.3e-12` relative; with the rounding
/// measured along the coordinate (and the noise fit scaled, so that its squares no longer
/// underflow) it passes, and a wrong entry is still caught.
#[test]
fn black_box_saturated_layer_with_amplified_rounding() {
    let w = DMatrix::from_row_slice(
        3,
        6,
        &[
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            0.0,
            11.875,
            28.37872218736443,
            -40.0,
            -2.7579223089887783,
            20.0,
            40.0,
        ],
    );
    let x = v(&[-3.0, -6.0, 3.0, 0.0, 0.0, -3.0]);
    let layer = SigmoidLayer::new(w);
    let right = layer.jacobian(&x);
    let agreement = Oracle::default()
        .check_black_box(|p| layer.eval(p), &right, &x)
        .unwrap();
    assert_eq!(agreement.shape, (3, 6));
    let mut wrong = right.clone();
    wrong[(2, 3)] *= 1.0 + 1e-8;
    let err = Oracle::default()
        .check_black_box(|p| layer.eval(p), &wrong, &x)
        .unwrap_err();
    let CheckError::Mismatch(m) = &err else {
        panic!("{err}")
    };
    assert_eq!((m.witnesses.row, m.witnesses.col), (2, 3), "{m}");
}
