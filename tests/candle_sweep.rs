//! The sweep of candle's ops (`jacobian_oracle::candle::sweep`) and the shape strategies it
//! searches (`jacobian_oracle::candle::shapes`).
//!
//! 1. Every op of the sweep gets its expected verdict: `pass`, except the known upstream bugs
//!    (`fail`, `error`, or `cannot-judge` where the black box cannot convict) and the one op
//!    whose backward candle does not implement (`unsupported`); failures come shrunk, with a
//!    reproduction that calls the op.
//! 2. Shrinking: an op that is wrong only on tensors of 3 or more entries shrinks to the
//!    shape `[3]`; the same op with a right backward pass passes.
//! 3. The strategies make valid ops: candle's forward pass accepts every drawn convolution,
//!    transposed convolution and pooling, with the output shape the strategy computes; index
//!    tensors stay in range (and distinct along the dim where asked); fully shrunk, each
//!    strategy reaches its smallest value.

use candle_core::{CpuStorage, CustomOp1, Device, Layout, Shape, Tensor};
use jacobian_oracle::Oracle;
use jacobian_oracle::candle::shapes::{self, Sign};
use jacobian_oracle::candle::sweep::{
    Case, KNOWN_UPSTREAM_BUGS, SweepConfig, SweepOp, Verdict, ops, tensors,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

#[test]
fn every_op_has_its_expected_verdict() {
    let ops = ops();
    assert!(ops.len() >= 30, "{} ops", ops.len());
    let mut names: Vec<&str> = ops.iter().map(|op| op.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ops.len(), "op names are unique");
    for (name, _) in KNOWN_UPSTREAM_BUGS {
        assert!(names.contains(name), "{name} is not an op of the sweep");
    }
    // The default: 32 cases per op (conv2d's upstream bug needs about a dozen to show).
    let config = SweepConfig::default();
    let oracle = Oracle::default();
    for op in &ops {
        let r = op.run(&oracle, &config);
        let expected: &[Verdict] = match (op.name, op.known_upstream_bug) {
            ("conv_transpose1d", _) => &[Verdict::Unsupported],
            ("scatter", Some(_)) => &[Verdict::CannotJudge],
            (_, Some(_)) => &[Verdict::Fail, Verdict::Error],
            (_, None) => &[Verdict::Pass],
        };
        assert!(
            expected.contains(&r.verdict),
            "{}: {:?}, expected {expected:?}\n{:#?}",
            op.name,
            r.verdict,
            r.minimal
        );
        match r.verdict {
            Verdict::Pass => assert_eq!(r.passed + r.unsupported + r.cannot_judge, config.cases),
            Verdict::Fail | Verdict::Error => {
                let m = r.minimal.as_ref().expect("a failure is shrunk");
                assert!(
                    m.reproduction.contains("#[test]")
                        && m.reproduction.contains("check_gradients"),
                    "{}: {}",
                    op.name,
                    m.reproduction
                );
            }
            _ => assert!(r.minimal.is_none()),
        }
    }
}

#[test]
fn failures_shrink_to_the_smallest_case() {
    let oracle = Oracle::default();
    let config = SweepConfig::default();
    let minimal = |name: &str| {
        let op = ops().into_iter().find(|op| op.name == name).unwrap();
        op.run(&oracle, &config).minimal.unwrap().params
    };
    // The 1×1 kernel of stride 2 on a 1×2 input: the smallest conv2d whose width keeps a
    // remainder its height does not.
    let conv = minimal("conv2d");
    assert!(
        conv.contains("batch: 1, groups: 1, in_per_group: 1, out_per_group: 1, size: (1, 2), kernel: (1, 1), stride: 2, padding: 0, dilation: 1"),
        "{conv}"
    );
    // The smallest max pooling window with more than one entry.
    let pool = minimal("max_pool2d");
    assert!(
        pool.contains("size: (2, 1), kernel: (2, 1), stride: (2, 1)")
            || pool.contains("size: (1, 2), kernel: (1, 2), stride: (1, 2)"),
        "{pool}"
    );
}

/// `y = x³` elementwise with its backward pass `3x²·ḡ`, wrong by one part in 10⁶ at flat
/// position 2 when the tensor has 3 entries or more.
struct Cube {
    slip: bool,
}

impl CustomOp1 for Cube {
    fn name(&self) -> &'static str {
        "cube"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let CpuStorage::F64(data) = s else {
            candle_core::bail!("cube: f64 only")
        };
        let (start, end) = l
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("cube: contiguous only".into()))?;
        let out = data[start..end].iter().map(|v| v * v * v).collect();
        Ok((CpuStorage::F64(out), l.shape().clone()))
    }
    fn bwd(&self, arg: &Tensor, _: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let mut d: Vec<f64> = arg.flatten_all()?.to_vec1::<f64>()?;
        d.iter_mut().for_each(|v| *v = 3.0 * *v * *v);
        if self.slip && d.len() >= 3 {
            d[2] *= 1.0 + 1e-6;
        }
        Ok(Some(
            Tensor::from_vec(d, arg.shape(), arg.device())?.mul(grad)?,
        ))
    }
}

fn cube_op(slip: bool) -> SweepOp {
    SweepOp::new(
        "cube",
        "custom",
        "shape rank 1–3, sizes 1–5",
        (shapes::shape(3, 5), shapes::seed()),
        move |(shape, seed): &(Vec<usize>, u64)| {
            Ok(Case {
                inputs: tensors(*seed, &[(shape, Sign::Any)])?,
                f: Box::new(move |t| t[0].contiguous()?.apply_op1(Cube { slip })),
                source: "t[0].apply_op1(Cube { slip: true })".into(),
            })
        },
    )
}

#[test]
fn a_custom_op_wrong_from_three_entries_shrinks_to_shape_three() {
    let oracle = Oracle::default();
    let config = SweepConfig::default();
    let right = cube_op(false).run(&oracle, &config);
    assert_eq!(right.verdict, Verdict::Pass, "{:?}", right.minimal);
    let wrong = cube_op(true).run(&oracle, &config);
    assert_eq!(wrong.verdict, Verdict::Fail);
    let m = wrong.minimal.unwrap();
    assert!(m.params.starts_with("([3], "), "{}", m.params);
    assert!(m.report.contains("is wrong at index [2]"), "{}", m.report);
    assert!(m.reproduction.contains("vec![3]"), "{}", m.reproduction);
}

fn zeros(shape: Vec<usize>) -> Tensor {
    Tensor::zeros(shape, candle_core::DType::F64, &Device::Cpu).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn conv_strategies_make_valid_convolutions(c1 in shapes::conv1d(3), c2 in shapes::conv2d(3)) {
        let y = zeros(c1.input_shape()).conv1d(&zeros(c1.kernel_shape()), c1.padding, c1.stride, c1.dilation, c1.groups).unwrap();
        prop_assert_eq!(y.dims().to_vec(), c1.output_shape());
        let y = zeros(c2.input_shape()).conv2d(&zeros(c2.kernel_shape()), c2.padding, c2.stride, c2.dilation, c2.groups).unwrap();
        prop_assert_eq!(y.dims().to_vec(), c2.output_shape());
    }

    #[test]
    fn transposed_conv_strategies_make_valid_ops(t1 in shapes::conv_transpose(3, false), t2 in shapes::conv_transpose(3, true)) {
        prop_assert!(t1.output_padding < t1.stride.max(t1.dilation));
        let y = zeros(t1.input_shape()).conv_transpose1d(&zeros(t1.kernel_shape()), t1.padding, t1.output_padding, t1.stride, t1.dilation, t1.groups).unwrap();
        prop_assert_eq!(y.dims().to_vec(), t1.output_shape());
        let y = zeros(t2.input_shape()).conv_transpose2d(&zeros(t2.kernel_shape()), t2.padding, t2.output_padding, t2.stride, t2.dilation).unwrap();
        prop_assert_eq!(y.dims().to_vec(), t2.output_shape());
        prop_assert!(y.dims().iter().all(|&n| n >= 1));
    }

    #[test]
    fn pool_and_broadcast_strategies_make_valid_ops(p in shapes::pool2d(3), b in shapes::broadcast_pair(3, 4), m in shapes::matmul(2, 3)) {
        let y = zeros(p.input_shape()).max_pool2d_with_stride(p.kernel, p.stride).unwrap();
        prop_assert_eq!(y.dims()[2], (p.size.0 - p.kernel.0) / p.stride.0 + 1);
        prop_assert_eq!(y.dims()[3], (p.size.1 - p.kernel.1) / p.stride.1 + 1);
        zeros(b.lhs.clone()).broadcast_add(&zeros(b.rhs.clone())).unwrap();
        let y = zeros(m.lhs_shape()).broadcast_matmul(&zeros(m.rhs_shape())).unwrap();
        prop_assert_eq!(y.dims().to_vec(), [m.batch.as_slice(), &[m.m, m.n]].concat());
    }

    #[test]
    fn index_strategies_stay_in_range(ix in shapes::indexing(3, 4)) {
        let n = ix.shape[ix.dim] as u32;
        prop_assert!(ix.select_indices().iter().all(|&i| i < n));
        for distinct in [false, true] {
            let ids = ix.gather_indices(distinct);
            let shape = ix.index_shape(distinct);
            prop_assert_eq!(ids.len(), shape.iter().product::<usize>());
            prop_assert!(ids.iter().all(|&i| i < n));
            let ids_t = Tensor::from_vec(ids.clone(), shape.clone(), &Device::Cpu).unwrap();
            zeros(ix.shape.clone()).gather(&ids_t, ix.dim).unwrap();
            if distinct {
                // No two equal entries on one line along dim.
                let inner: usize = shape[ix.dim + 1..].iter().product();
                let along = shape[ix.dim];
                for outer in 0..ids.len() / (along * inner) {
                    for i in 0..inner {
                        let mut line: Vec<u32> = (0..along).map(|a| ids[(outer * along + a) * inner + i]).collect();
                        line.sort_unstable();
                        line.dedup();
                        prop_assert_eq!(line.len(), along);
                    }
                }
            }
        }
    }
}

#[test]
fn fully_shrunk_strategies_reach_their_smallest_value() {
    fn smallest<S: Strategy>(s: S) -> S::Value {
        let mut runner = TestRunner::deterministic();
        let mut tree = s.new_tree(&mut runner).unwrap();
        while tree.simplify() {}
        tree.current()
    }
    assert_eq!(smallest(shapes::shape(3, 4)), vec![1]);
    let b = smallest(shapes::broadcast_pair(3, 4));
    assert_eq!((b.lhs, b.rhs), (vec![1], vec![1]));
    let c = smallest(shapes::conv1d(3));
    assert_eq!(
        (
            c.input_shape(),
            c.kernel_shape(),
            c.stride,
            c.padding,
            c.dilation
        ),
        (vec![1, 1, 1], vec![1, 1, 1], 1, 0, 1)
    );
    let t = smallest(shapes::conv_transpose(3, true));
    assert_eq!(
        (t.input_shape(), t.output_shape()),
        (vec![1, 1, 1, 1], vec![1, 1, 1, 1])
    );
    let p = smallest(shapes::pool2d(3));
    assert_eq!(
        (p.input_shape(), p.kernel, p.stride),
        (vec![1, 1, 1, 1], (1, 1), (1, 1))
    );
    let ix = smallest(shapes::indexing(3, 4));
    assert_eq!((ix.shape, ix.count), (vec![1], 1));
    let m = smallest(shapes::matmul(2, 3));
    assert_eq!((m.lhs_shape(), m.rhs_shape()), (vec![1, 1], vec![1, 1]));
}
