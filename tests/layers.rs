//! Property tests of the layers family — the linear layer (PML 1 sec. 13.3.3), softmax,
//! log-softmax, the cross-entropy of logits and layer normalisation: every analytic Jacobian
//! agrees with the dual and finite-difference references on every case the strategies reach
//! (all regimes: logits in the hundreds, tiny and huge scales, integers), the algebraic
//! identities of each Jacobian hold, and extreme logits stay finite.

mod common;

use approx::assert_abs_diff_eq;
use jacobian_oracle::catalogue::{
    CrossEntropyWithLogits, LayerNorm, LinearLayer, LinearLayerBias, LinearLayerWeights,
    LogSoftmax, Softmax, log_softmax, logsumexp, softmax, softmax_and_complement,
};
use jacobian_oracle::dual::dual_jacobian;
use jacobian_oracle::mutants::{
    CrossEntropyMutant, CrossEntropyMutantKind, LayerNormMutant, LayerNormMutantKind,
    LogSoftmaxMutant, LogSoftmaxMutantKind, SoftmaxMutant, SoftmaxMutantKind,
};
use jacobian_oracle::strategy::{LayerCase, Regime, layer_case};
#[cfg(feature = "cli")]
use jacobian_oracle::suite::{SuiteConfig, catalogue, mutants, run_map};
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::prelude::*;

/// The logits of a case, as the suite builds them: `Wx + (0, 1, …, m − 1)`.
fn logits(c: &LayerCase) -> DVector<f64> {
    let mut z = c.preactivation();
    for (i, zi) in z.iter_mut().enumerate() {
        *zi += i as f64;
    }
    z
}

/// `|a − b| ≤ tol·scale` entrywise, with a readable message.
fn assert_close(a: &DMatrix<f64>, b: &DMatrix<f64>, scale: f64, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}");
    for (x, y) in a.iter().zip(b.iter()) {
        assert!(
            (x - y).abs() <= 64.0 * f64::EPSILON * scale,
            "{what}: {x} vs {y} (scale {scale})\n{a}\n{b}"
        );
    }
}

/// The largest absolute entry of a matrix (at least the smallest normal number).
fn max_abs(a: &DMatrix<f64>) -> f64 {
    a.iter().fold(f64::MIN_POSITIVE, |m, v| m.max(v.abs()))
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/layers.txt", 256))]

    #[test]
    fn linear_layer_of_x(case in layer_case()) {
        let layer = LinearLayer::new(case.w.clone(), case.w.column(0).into_owned());
        let agreement = Oracle::default().check(&layer, &case.x)?;
        prop_assert_eq!(agreement.shape, case.w.shape());
    }

    #[test]
    fn linear_layer_of_w(case in layer_case()) {
        let map = LinearLayerWeights::new(case.w.nrows(), case.x.clone(), case.w.column(0).into_owned());
        let theta = DVector::from_column_slice(case.w.as_slice());
        let agreement = Oracle::default().check(&map, &theta)?;
        prop_assert_eq!(agreement.shape, (case.w.nrows(), case.w.len()));
    }

    #[test]
    fn linear_layer_of_b(case in layer_case()) {
        let map = LinearLayerBias::new(case.w.clone(), case.x.clone());
        Oracle::default().check(&map, &case.w.column(0).into_owned())?;
    }

    /// Softmax of the logits `Wx + r` (in the hundreds in the saturating regime).
    #[test]
    fn softmax_of_logits(case in layer_case()) {
        Oracle::default().check(&Softmax::new(case.w.nrows()), &logits(&case))?;
    }

    /// Softmax of `x` itself: exact ties and uniform `p` in the integer regime, logits up to
    /// 4e6 apart in the huge-input regime.
    #[test]
    fn softmax_of_x(case in layer_case()) {
        Oracle::default().check(&Softmax::new(case.x.len()), &case.x)?;
    }

    #[test]
    fn log_softmax_of_logits(case in layer_case()) {
        Oracle::default().check(&LogSoftmax::new(case.w.nrows()), &logits(&case))?;
    }

    #[test]
    fn log_softmax_of_x(case in layer_case()) {
        Oracle::default().check(&LogSoftmax::new(case.x.len()), &case.x)?;
    }

    /// One-hot at the largest logit: a confident, correct prediction, whose gradient is tiny
    /// in saturation and must keep its relative precision.
    #[test]
    fn cross_entropy_one_hot_at_the_largest_logit(case in layer_case()) {
        let z = logits(&case);
        let a = z.argmax().0;
        let y = DVector::from_fn(z.len(), |i, _| if i == a { 1.0 } else { 0.0 });
        Oracle::default().check(&CrossEntropyWithLogits::new(y), &z)?;
    }

    /// One-hot at the smallest logit: a confident, wrong prediction.
    #[test]
    fn cross_entropy_one_hot_at_the_smallest_logit(case in layer_case()) {
        let z = logits(&case);
        let k = z.argmin().0;
        let y = DVector::from_fn(z.len(), |i, _| if i == k { 1.0 } else { 0.0 });
        Oracle::default().check(&CrossEntropyWithLogits::new(y), &z)?;
    }

    /// Arbitrary real targets (any sign, any sum): the map is linear in y.
    #[test]
    fn cross_entropy_any_targets(case in layer_case()) {
        let y = case.w.column(0).into_owned();
        Oracle::default().check(&CrossEntropyWithLogits::new(y), &logits(&case))?;
    }

    /// Layer normalisation with the suite's positive gain `γ = e^{W_{0,:}/4}`.
    #[test]
    fn layer_norm_of_x(case in layer_case()) {
        let ln = LayerNorm::new(
            case.w.row(0).transpose().map(|v| (v / 4.0).exp()),
            case.w.row(case.w.nrows() - 1).transpose(),
        );
        Oracle::default().check(&ln, &case.x)?;
    }

    /// Layer normalisation with a signed gain `γ = W_{0,:}` (zeros included).
    #[test]
    fn layer_norm_signed_gain(case in layer_case()) {
        let ln = LayerNorm::new(case.w.row(0).transpose(), DVector::zeros(case.x.len()));
        Oracle::default().check(&ln, &case.x)?;
    }

    /// Layer normalisation of the pre-activations `Wx`: the input of a real layer.
    #[test]
    fn layer_norm_of_preactivations(case in layer_case()) {
        let m = case.w.nrows();
        let ln = LayerNorm::new(DVector::from_element(m, 1.0), DVector::zeros(m));
        Oracle::default().check(&ln, &case.preactivation())?;
    }

    /// `J = diag(p) − ppᵀ` is symmetric (exactly: `p_i p_j = p_j p_i` in floating point), its
    /// rows sum to 0 (adding a constant to every logit changes nothing: `J·1 = 0`), and
    /// `J = diag(p)·J_log` (the chain rule through `p = exp(log p)`).
    #[test]
    fn softmax_jacobian_identities(case in layer_case()) {
        let z = logits(&case);
        let j = Softmax::new(z.len()).jacobian(&z);
        prop_assert_eq!(&j, &j.transpose());
        let (p, q) = softmax_and_complement(&z);
        // With gradual underflow every rounding is `x(1 + δ) + η`, `|η| ≤ ½·2⁻¹⁰⁷⁴` (Higham
        // §2.1): products of tiny probabilities round in absolute terms, not relative ones.
        let eta = f64::from_bits(1);
        let m = z.len() as f64;
        for (i, row) in j.row_iter().enumerate() {
            // |Σ_j J_ij| against the terms that cancel: p_i q_i + p_i Σ_{j≠i} p_j = 2 p_i q_i,
            // plus the absolute rounding of the m products and m additions.
            let sum: f64 = row.iter().sum();
            prop_assert!(
                sum.abs() <= 8.0 * f64::EPSILON * p[i] * q[i] + 2.0 * m * eta,
                "row {}: {:e}", i, sum
            );
        }
        let jl = LogSoftmax::new(z.len()).jacobian(&z);
        let chain = DMatrix::from_diagonal(&p) * jl;
        for (a, b) in j.iter().zip(chain.iter()) {
            prop_assert!(
                (a - b).abs() <= 4.0 * f64::EPSILON * a.abs() + 4.0 * eta,
                "{:e} vs {:e}", a, b
            );
        }
    }

    /// `J_log = I − 1pᵀ`: `J_log·1 = 0` (shift invariance) and `pᵀ J_log = 0`
    /// (`Σ_i p_i ∂ log p_i = ∂ Σ_i p_i = 0`); the cross-entropy gradient is `−yᵀ J_log`, and
    /// it sums to 0 for every `y`.
    #[test]
    fn log_softmax_and_cross_entropy_identities(case in layer_case().regimes(&[Regime::Moderate, Regime::Integers])) {
        let z = logits(&case);
        let m = z.len();
        let jl = LogSoftmax::new(m).jacobian(&z);
        let p = softmax(&z);
        let ones = DVector::from_element(m, 1.0);
        // Derived bounds: the rounding of m terms of size at most 1 (of |y| for the gradient).
        for (i, v) in (&jl * &ones).iter().enumerate() {
            prop_assert!(v.abs() <= 4.0 * m as f64 * f64::EPSILON, "J·1 at {}: {}", i, v);
        }
        for (j, v) in (jl.tr_mul(&p)).iter().enumerate() {
            prop_assert!(v.abs() <= 4.0 * m as f64 * f64::EPSILON, "pᵀJ at {}: {}", j, v);
        }
        let y = case.w.column(0).into_owned();
        let g = CrossEntropyWithLogits::new(y.clone()).jacobian(&z);
        let expected = -(jl.tr_mul(&y));
        let scale = y.iter().map(|v| v.abs()).sum::<f64>().max(f64::MIN_POSITIVE);
        for j in 0..m {
            prop_assert!((g[(0, j)] - expected[j]).abs() <= 4.0 * m as f64 * f64::EPSILON * scale,
                "∂L/∂z_{}: {} vs {}", j, g[(0, j)], expected[j]);
        }
        prop_assert!(g.sum().abs() <= 4.0 * m as f64 * f64::EPSILON * scale);
    }

    /// Layer normalisation: `J·1 = 0` (a shift of every input changes nothing),
    /// `J x̂ = (ε/s³) γ∘x̂`, and `diag(γ)⁻¹ J` symmetric.
    #[test]
    fn layer_norm_jacobian_identities(case in layer_case().regimes(&[Regime::Moderate, Regime::Integers])) {
        let n = case.x.len();
        let gamma = case.w.row(0).transpose().map(|v| (v / 4.0).exp());
        let ln = LayerNorm::new(gamma.clone(), DVector::zeros(n));
        let j = ln.jacobian(&case.x);
        let (xhat, s) = ln.normalise(&case.x);
        // The rounding scale: the entries are differences of terms of size γ_i/s·(1 + |x̂|²)
        // (for n = 2 they cancel down to O(ε/s³)), and the identities use Σ x̂ = 0 and
        // ‖x̂‖² = nσ²/s², which the computed x̂ meets only to the rounding of the centring,
        // ε·|x|/s relative.
        let centring = 1.0 + case.x.amax() / s;
        let scale = gamma.amax() / s * n as f64 * xhat.amax().max(1.0).powi(2) * centring;
        let ones = DVector::from_element(n, 1.0);
        for v in (&j * &ones).iter() {
            prop_assert!(v.abs() <= 8.0 * f64::EPSILON * scale, "J·1 = {}", v);
        }
        let jx = &j * &xhat;
        let eps_s3 = LayerNorm::EPSILON / (s * s * s);
        for i in 0..n {
            let expected = eps_s3 * gamma[i] * xhat[i];
            prop_assert!((jx[i] - expected).abs() <= 8.0 * f64::EPSILON * scale,
                "(J x̂)_{}: {} vs {}", i, jx[i], expected);
        }
        for i in 0..n {
            for k in 0..i {
                let (a, b) = (j[(i, k)] / gamma[i], j[(k, i)] / gamma[k]);
                prop_assert!((a - b).abs() <= 8.0 * f64::EPSILON / s * xhat.amax().max(1.0).powi(2),
                    "{} vs {}", a, b);
            }
        }
        // With γ = 1 the Jacobian is symmetric to the last bit.
        let plain = LayerNorm::new(DVector::from_element(n, 1.0), DVector::zeros(n)).jacobian(&case.x);
        prop_assert_eq!(&plain, &plain.transpose());
    }

    /// `y = Wx + b` is linear in each of `x`, `vec(W)` and `b`: the Jacobian times the input
    /// gives back the part of `y` that depends on it.
    #[test]
    fn linear_jacobians_reproduce_the_map(case in layer_case().regimes(&[Regime::Moderate, Regime::Integers])) {
        let wx = &case.w * &case.x;
        let b = case.w.column(0).into_owned();
        let jx = LinearLayer::new(case.w.clone(), b.clone()).jacobian(&case.x);
        let theta = DVector::from_column_slice(case.w.as_slice());
        let jw = LinearLayerWeights::new(case.w.nrows(), case.x.clone(), b.clone()).jacobian(&theta);
        let jb = LinearLayerBias::new(case.w.clone(), case.x.clone()).jacobian(&b);
        let scale = case.w.abs() * case.x.abs();
        for (label, got, expected) in [("J_x x", &jx * &case.x, wx.clone()), ("J_W vec(W)", &jw * &theta, wx.clone()), ("J_b b", &jb * &b, b.clone())] {
            for i in 0..got.len() {
                // Derived bound: n roundings of |W||x| (or of the value).
                prop_assert!((got[i] - expected[i]).abs() <= 4.0 * case.x.len() as f64 * f64::EPSILON * scale[i].max(expected[i].abs()),
                    "{}: {} vs {}", label, got[i], expected[i]);
            }
        }
    }
}

/// Values at logits `±1000` and `±1e300`: finite, and the exact answers.
#[test]
fn extreme_logits_give_finite_exact_values() {
    for big in [1000.0, 1e300] {
        let z = DVector::from_vec(vec![big, -big]);
        assert_eq!(softmax(&z), DVector::from_vec(vec![1.0, 0.0]));
        assert_eq!(log_softmax(&z), DVector::from_vec(vec![0.0, -2.0 * big]));
        assert_eq!(logsumexp(&z), big);
        let right = CrossEntropyWithLogits::new(DVector::from_vec(vec![1.0, 0.0]));
        let wrong = CrossEntropyWithLogits::new(DVector::from_vec(vec![0.0, 1.0]));
        assert_eq!(right.eval(&z)[0], 0.0);
        assert_eq!(wrong.eval(&z)[0], 2.0 * big);
        // Gradients p − y: exactly (0, 0) — to the exact e^{−2·big}, which underflows — and
        // (1, −1).
        assert_eq!(
            right.jacobian(&z),
            DMatrix::from_row_slice(1, 2, &[0.0, 0.0])
        );
        assert_eq!(
            wrong.jacobian(&z),
            DMatrix::from_row_slice(1, 2, &[1.0, -1.0])
        );
        assert_eq!(
            LogSoftmax::new(2).jacobian(&z),
            DMatrix::from_row_slice(2, 2, &[0.0, 0.0, -1.0, 1.0])
        );
        // Dual numbers: no NaN or infinity anywhere (`dual_jacobian` returns an error on one).
        dual_jacobian(&Softmax::new(2), &z).unwrap();
        dual_jacobian(&LogSoftmax::new(2), &z).unwrap();
        assert_eq!(
            dual_jacobian(&right, &z).unwrap().jacobian,
            right.jacobian(&z)
        );
        assert_eq!(
            dual_jacobian(&wrong, &z).unwrap().jacobian,
            wrong.jacobian(&z)
        );
    }
}

/// The oracle agrees with the analytic Jacobians at extreme logits.
#[test]
fn extreme_logits_pass_the_oracle() {
    let oracle = Oracle::default();
    for z in [
        vec![1000.0, -1000.0],
        vec![-1000.0, 1000.0, 0.0],
        vec![1e300, -1e300],
        vec![300.0, 299.0, -300.0],
    ] {
        let z = DVector::from_vec(z);
        let n = z.len();
        oracle.check(&Softmax::new(n), &z).unwrap();
        oracle.check(&LogSoftmax::new(n), &z).unwrap();
        let mut y = DVector::zeros(n);
        y[0] = 1.0;
        oracle.check(&CrossEntropyWithLogits::new(y), &z).unwrap();
    }
}

/// Saturation: logits 100 apart. The largest probability's derivative is
/// `p_0(1 − p_0) ≈ e^{−100}`; the analytic Jacobian has it to full relative precision, and so
/// has the dual reference (the shift by the largest logit stays on the dual path).
#[test]
fn saturated_softmax_keeps_relative_precision() {
    let z = DVector::from_vec(vec![0.0, -100.0]);
    let e = (-100.0_f64).exp();
    let expected = e / ((1.0 + e) * (1.0 + e));
    let j = Softmax::new(2).jacobian(&z);
    assert_abs_diff_eq!(j[(0, 0)] / expected, 1.0, epsilon = 4.0 * f64::EPSILON);
    let d = dual_jacobian(&Softmax::new(2), &z).unwrap().jacobian;
    assert_abs_diff_eq!(d[(0, 0)] / expected, 1.0, epsilon = 4.0 * f64::EPSILON);
    // Log-softmax: ∂ log p_0/∂z_0 = 1 − p_0 ≈ e^{−100}, not 1 − 1 = 0.
    let jl = LogSoftmax::new(2).jacobian(&z);
    assert_abs_diff_eq!(
        jl[(0, 0)] / (e / (1.0 + e)),
        1.0,
        epsilon = 4.0 * f64::EPSILON
    );
    let dl = dual_jacobian(&LogSoftmax::new(2), &z).unwrap().jacobian;
    assert_abs_diff_eq!(
        dl[(0, 0)] / (e / (1.0 + e)),
        1.0,
        epsilon = 4.0 * f64::EPSILON
    );
}

/// Why the shift stays on the dual path: a softmax that subtracts the plain constant
/// `max(z.re)` and divides by `Σ e^{z_k − max}` has the right values, but its dual derivative
/// of the largest probability is `(s − 1)/s² = 0` once `s = 1 + e^{−100}` rounds to 1.
#[test]
fn a_constant_shift_loses_the_largest_derivative_on_the_dual_path() {
    struct ConstantShift;
    impl VectorFn for ConstantShift {
        fn input_dim(&self) -> usize {
            2
        }
        fn output_dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, z: &DVector<D>) -> DVector<D> {
            let m = z.iter().map(|v| v.re()).fold(f64::NEG_INFINITY, f64::max);
            let e = z.map(|v| (v - m).exp());
            let s = e.iter().fold(D::zero(), |a, &v| a + v);
            e.map(|v| v / s)
        }
    }
    let z = DVector::from_vec(vec![0.0, -100.0]);
    let naive = dual_jacobian(&ConstantShift, &z).unwrap();
    let ours = dual_jacobian(&Softmax::new(2), &z).unwrap();
    assert_eq!(naive.value, ours.value);
    assert_eq!(naive.jacobian[(0, 0)], 0.0);
    assert!(ours.jacobian[(0, 0)] > 3e-44);
}

/// Cross-entropy targets need not sum to 1: with counts the gradient is `(Σy) p − y`.
#[test]
fn cross_entropy_gradient_scales_with_the_target_sum() {
    let z = DVector::from_vec(vec![0.0, 0.0, 0.0]);
    let y = DVector::from_vec(vec![3.0, 0.0, 0.0]); // Σy = 3
    let g = CrossEntropyWithLogits::new(y).jacobian(&z);
    assert_eq!(g, DMatrix::from_row_slice(1, 3, &[-2.0, 1.0, 1.0]));
    // p − y would be (−8/3, 1/3, 1/3): the oracle catches it.
    let wrong = CrossEntropyMutant::new(
        CrossEntropyMutantKind::MissingTargetSum,
        DVector::from_vec(vec![3.0, 0.0, 0.0]),
    );
    let err = Oracle::default().check(&wrong, &z).unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
}

/// Layer normalisation at a constant input: `σ² = 0`, `ε` keeps `s = √ε`, and
/// `J = diag(γ)/√ε · (I − 11ᵀ/n)`; the oracle agrees.
#[test]
fn layer_norm_at_a_constant_input() {
    let gamma = DVector::from_vec(vec![1.0, 2.0, -0.5]);
    let ln = LayerNorm::new(gamma.clone(), DVector::from_vec(vec![0.5, 0.0, 1.0]));
    for c in [0.0, 3.0, -1e4] {
        let x = DVector::from_element(3, c);
        let y = ln.eval(&x);
        assert_eq!(y, ln.beta, "at {c}");
        let j = ln.jacobian(&x);
        let s = LayerNorm::EPSILON.sqrt();
        let expected = DMatrix::from_fn(3, 3, |i, k| {
            gamma[i] / s * (if i == k { 1.0 } else { 0.0 } - 1.0 / 3.0)
        });
        assert_close(&j, &expected, max_abs(&expected), "constant input");
        let agreement = Oracle::default().check(&ln, &x).unwrap();
        assert_eq!(agreement.shape, (3, 3));
    }
    // One feature: x̂ = 0 and the Jacobian is exactly 0.
    let one = LayerNorm::new(DVector::from_vec(vec![2.0]), DVector::from_vec(vec![1.0]));
    assert_eq!(
        one.jacobian(&DVector::from_vec(vec![7.0])),
        DMatrix::zeros(1, 1)
    );
    Oracle::default()
        .check(&one, &DVector::from_vec(vec![7.0]))
        .unwrap();
}

/// With `γ = 1`, `x̂ᵀJ = (ε/s³) x̂ᵀ` — not 0: `ε` breaks the scale invariance by exactly
/// that much — and `J` is symmetric; a larger `ε` makes the term larger.
#[test]
fn layer_norm_left_null_vector_is_broken_by_epsilon() {
    let x = DVector::from_vec(vec![0.01, -0.02, 0.005, 0.0]);
    for eps in [LayerNorm::EPSILON, 1e-3] {
        let ln = LayerNorm::new(DVector::from_element(4, 1.0), DVector::zeros(4)).with_epsilon(eps);
        let j = ln.jacobian(&x);
        assert_eq!(j, j.transpose());
        let (xhat, s) = ln.normalise(&x);
        let left = j.tr_mul(&xhat);
        let expected = &xhat * (eps / (s * s * s));
        for (a, b) in left.iter().zip(expected.iter()) {
            assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}"); // relative to b
        }
        // σ² ≈ 1e-4 here, so the ε term is far from negligible.
        assert!(expected.amax() > 1e-2 * xhat.amax() / s);
        Oracle::default().check(&ln, &x).unwrap();
    }
}

/// The Kronecker layout of `∂(Wx + b)/∂vec(W)`, column-major.
#[test]
fn linear_weights_jacobian_is_x_transposed_kronecker_identity() {
    let map = LinearLayerWeights::new(2, DVector::from_vec(vec![1.0, 2.0, 3.0]), DVector::zeros(2));
    let j = map.jacobian(&DVector::zeros(6));
    let expected = DMatrix::from_row_slice(
        2,
        6,
        &[
            1.0, 0.0, 2.0, 0.0, 3.0, 0.0, //
            0.0, 1.0, 0.0, 2.0, 0.0, 3.0,
        ],
    );
    assert_eq!(j, expected);
    // y = Wx + b at θ = vec(W): W = [[1, 2, 3], [4, 5, 6]] (row-major literal).
    let w = DMatrix::from_row_slice(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let y = map.eval(&DVector::from_column_slice(w.as_slice()));
    assert_eq!(y, DVector::from_vec(vec![14.0, 32.0]));
}

/// Mistakes that hide at special points: a uniform `p` hides the transposed log-softmax
/// Jacobian, one class hides a flipped softmax sign, `n = 1` hides the lost `x̂x̂ᵀ/n`.
#[test]
fn some_mistakes_hide_at_special_points() {
    let oracle = Oracle::default();
    let t = LogSoftmaxMutant::new(LogSoftmaxMutantKind::Transposed, 3);
    assert!(oracle.check(&t, &DVector::from_element(3, 0.5)).is_ok());
    let err = oracle
        .check(&t, &DVector::from_vec(vec![0.5, 0.0, 0.0]))
        .unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err}");

    let s = SoftmaxMutant::new(SoftmaxMutantKind::SignFlipped, 1);
    assert!(oracle.check(&s, &DVector::from_vec(vec![2.0])).is_ok());
    let err = oracle
        .check(
            &SoftmaxMutant::new(SoftmaxMutantKind::SignFlipped, 2),
            &DVector::zeros(2),
        )
        .unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err}");

    let ln = LayerNorm::new(DVector::from_element(1, 1.0), DVector::zeros(1));
    let l = LayerNormMutant::new(LayerNormMutantKind::MissingOuterProduct, ln);
    assert!(oracle.check(&l, &DVector::from_vec(vec![3.0])).is_ok());
    let ln2 = LayerNorm::new(DVector::from_element(2, 1.0), DVector::zeros(2));
    let l2 = LayerNormMutant::new(LayerNormMutantKind::MissingOuterProduct, ln2);
    let err = oracle
        .check(&l2, &DVector::from_vec(vec![0.0, 1.0]))
        .unwrap_err();
    assert!(matches!(err, CheckError::Mismatch(_)), "{err}");
}

/// The catalogue entries of this family.
#[cfg(feature = "cli")]
const FAMILY: [&str; 8] = [
    "linear_x",
    "linear_w",
    "linear_b",
    "softmax",
    "log_softmax",
    "cross_entropy_one_hot",
    "cross_entropy_two_annotators",
    "layer_norm",
];

/// The suite runs the family under the names the report prints, and every map passes.
#[cfg(feature = "cli")]
#[test]
fn the_suite_has_the_family_under_its_names() {
    let names: Vec<&str> = catalogue().iter().map(|e| e.name).collect();
    for family in [
        "linear_x",
        "linear_w",
        "linear_b",
        "softmax",
        "log_softmax",
        "cross_entropy",
        "layer_norm",
    ] {
        assert!(
            names.iter().any(|n| n.contains(family)),
            "{family} missing from {names:?}"
        );
    }
    let config = SuiteConfig {
        cases: 64,
        ..SuiteConfig::default()
    };
    for name in FAMILY {
        let e = catalogue().into_iter().find(|e| e.name == name).unwrap();
        let r = run_map(&e, &config);
        assert!(r.passed(), "{}: {:?}", e.name, r.failure);
        assert_eq!(r.cannot_judge, 0, "{name}: smooth maps");
    }
    let mutant_names: Vec<&str> = mutants().iter().map(|e| e.name).collect();
    for name in [
        "softmax_sign_flipped",
        "log_softmax_transposed",
        "cross_entropy_missing_target_sum",
        "layer_norm_missing_mean",
        "linear_w_row_major",
    ] {
        assert!(mutant_names.contains(&name), "{name} missing");
    }
}

/// Layer normalisation at a large constant input (the smallest reproduction of a false alarm
/// found during development): the analytic and dual Jacobians agree and are right,
/// `γ/√ε·(1 − 1/n)` on the diagonal, but the finite-difference step, scaled with
/// `|x_j| = 1e5`, is far larger than the width `√ε ≈ 3e-3` over which the map is linear. The
/// oracle once blamed `eval`; now the smaller steps (down to `h/8⁶`) resolve it, and `eval`
/// is blamed only on strong evidence.
#[test]
fn layer_norm_at_a_large_constant_input() {
    let ln = LayerNorm::new(DVector::from_element(2, 1.0), DVector::zeros(2));
    let x = DVector::from_vec(vec![1e5, 1e5]);
    let s = LayerNorm::EPSILON.sqrt();
    assert_eq!(
        ln.jacobian(&x),
        DMatrix::from_row_slice(2, 2, &[0.5, -0.5, -0.5, 0.5]) / s
    );
    assert_eq!(dual_jacobian(&ln, &x).unwrap().jacobian, ln.jacobian(&x));
    let result = Oracle::default().check(&ln, &x);
    assert!(result.is_ok(), "{}", result.unwrap_err());
}

proptest! {
    #![proptest_config(common::config("proptest-regressions/layers.txt", 256))]

    /// Layer normalisation of a nearly constant input far from 0: `x = 1e6·1 + (tiny spread)`
    /// (a false alarm during development, see [`layer_norm_at_a_large_constant_input`]).
    #[test]
    fn layer_norm_of_a_nearly_constant_input_far_from_zero(case in layer_case().regimes(&[Regime::TinyInput])) {
        let n = case.x.len();
        let ln = LayerNorm::new(DVector::from_element(n, 1.0), DVector::zeros(n));
        let x = case.x.add_scalar(1e6);
        Oracle::default().check(&ln, &x)?;
    }
}

/// The textbook log-softmax Jacobian `I − 1pᵀ`, with its diagonal computed as `1 − p_i` from
/// the computed `p` (the catalogue's [`LogSoftmax`] uses the exact complement instead). At
/// logits 20 apart `p_0 = 1 − 2.06e-9` carries an absolute rounding error of `ε/2`, so
/// `1 − p_0` is off by `3.6e-8` relative — a formula that is right, evaluated the way the
/// textbook writes it. The oracle explains such losses when they come from the rounding of
/// the *output* (`σ' = z(1 − z)` for the sigmoid passes with a precision-loss note), but here
/// the output is `log p`, computed to full precision, and `p` is an intermediate the
/// rounding-sensitivity model does not see. It passes on the norm-wise term of the tolerance
/// (`8ε·max|J|`): the error of `1 − p_0` is `ε` times the largest entry, 1, of `I − 1pᵀ`.
#[test]
fn textbook_log_softmax_jacobian_in_saturation() {
    struct Textbook;
    impl VectorFn for Textbook {
        fn input_dim(&self) -> usize {
            2
        }
        fn output_dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, z: &DVector<D>) -> DVector<D> {
            log_softmax(z)
        }
    }
    impl AnalyticJacobian for Textbook {
        fn jacobian(&self, z: &DVector<f64>) -> DMatrix<f64> {
            let p = softmax(z);
            DMatrix::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.0 } - p[j])
        }
    }
    let z = DVector::from_vec(vec![0.0, -20.0]);
    // The formula is the catalogue's to 4e-8 relative, and exactly so off the diagonal.
    let exact = LogSoftmax::new(2).jacobian(&z);
    let textbook = Textbook.jacobian(&z);
    assert_abs_diff_eq!(textbook[(0, 0)] / exact[(0, 0)], 1.0, epsilon = 4e-8);
    assert_eq!(textbook[(1, 0)], exact[(1, 0)]);
    let result = Oracle::default().check(&Textbook, &z);
    assert!(result.is_ok(), "{}", result.unwrap_err());
}
