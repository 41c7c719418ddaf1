//! Proptest strategies for tensor shapes and op parameters (feature `candle`): broadcasting
//! pairs, reduction dims, batch dims of matmul, convolutions (stride, padding, dilation,
//! groups, output padding), pooling windows, index tensors, slices, concatenations and
//! permutations.
//!
//! Every strategy draws *structure only* — sizes, parameters, and a small `seed` — and the
//! tensors' entries and index values are derived from the seed ([`tensor_values`],
//! [`Indexing::gather_indices`], …). The structure is drawn as independent integers, each
//! shrinking toward its smallest valid value (sizes toward 1, strides and dilations toward 1,
//! paddings toward 0, groups toward 1), and derived sizes are made valid by construction (a
//! convolution's input is at least its dilated kernel long), never by filtering: so a failure
//! shrinks to the smallest failing shape *and* parameters, and nothing is rejected.
//!
//! ```
//! use jacobian_oracle::candle::shapes::conv2d;
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::deterministic();
//! let mut tree = conv2d(3).new_tree(&mut runner).unwrap();
//! let c = tree.current();
//! assert!(c.output_shape().iter().all(|&n| n >= 1));
//! // Shrunk all the way, it is the 1×1 convolution of a 1×1×1×1 input.
//! while tree.simplify() {}
//! let smallest = tree.current();
//! assert_eq!(smallest.input_shape(), vec![1, 1, 1, 1]);
//! assert_eq!((smallest.stride, smallest.padding, smallest.dilation, smallest.groups), (1, 0, 1, 1));
//! ```

use proptest::bool::weighted;
use proptest::collection::vec;
use proptest::prelude::any;
use proptest::strategy::Strategy;

/// Largest seed drawn: shrinking the seed changes the entries, and a small range keeps that
/// search short.
const SEEDS: u64 = 1 << 10;

/// The sign of the entries [`tensor_values`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// `±(0.25…2)`, the sign drawn too.
    Any,
    /// `0.25…2`: the domain of `log`, `sqrt`, `powf`.
    Positive,
}

/// A SplitMix64 stream: the entries and indices of a case, from its seed.
#[derive(Clone, Debug)]
pub struct Stream(u64);

impl Stream {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Stream(seed ^ 0x6A09_E667_F3BC_C908)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n ≥ 1`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A uniformly random permutation of `0..n` (Fisher–Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            p.swap(i, self.below(i + 1));
        }
        p
    }
}

/// `len` entries from `seed`, *well separated*: their magnitudes are a random permutation of
/// `len` evenly spaced levels in `0.25…2` (each jittered within a fifth of its spacing), so
/// no two entries are closer than about `1.4 / len` in magnitude and none is closer to 0 than
/// 0.25. Max, min, pooling, ReLU and abs then have no kink or tie within a finite-difference
/// step of any entry, and a wrong gradient is not mistaken for one.
///
/// ```
/// use jacobian_oracle::candle::shapes::{Sign, tensor_values};
/// let v = tensor_values(7, 10, Sign::Any);
/// let mut m: Vec<f64> = v.iter().map(|x| x.abs()).collect();
/// m.sort_by(f64::total_cmp);
/// assert!(m[0] >= 0.25 && m[9] <= 2.0);
/// assert!(m.windows(2).all(|w| w[1] - w[0] > 0.1));
/// assert!(tensor_values(7, 10, Sign::Positive).iter().all(|&x| x > 0.0));
/// ```
pub fn tensor_values(seed: u64, len: usize, sign: Sign) -> Vec<f64> {
    let mut s = Stream::new(seed);
    let levels = s.permutation(len);
    let spacing = 1.75 / len.max(1) as f64;
    levels
        .into_iter()
        .map(|level| {
            let magnitude = 0.25 + spacing * (level as f64 + 0.4 + 0.2 * s.unit());
            match sign {
                Sign::Positive => magnitude,
                Sign::Any if s.next_u64() & 1 == 0 => magnitude,
                Sign::Any => -magnitude,
            }
        })
        .collect()
}

/// A seed for the entries: shrinks toward 0.
pub fn seed() -> impl Strategy<Value = u64> + Clone {
    0..SEEDS
}

/// A shape of rank `1..=max_rank` with sizes `1..=max_dim`.
pub fn shape(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Vec<usize>> + Clone {
    vec(1..=max_dim.max(1), 1..=max_rank.max(1))
}

/// Two shapes that broadcast together (numpy's rules, as candle's `broadcast_*` ops take
/// them): `rhs` is `lhs` with leading dims dropped and some dims set to 1; `swapped` puts the
/// broadcast operand on the left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BroadcastPair {
    /// The left operand's shape.
    pub lhs: Vec<usize>,
    /// The right operand's shape.
    pub rhs: Vec<usize>,
}

/// Broadcasting pairs of rank up to `max_rank`; shrinks toward equal shapes `[1]`.
pub fn broadcast_pair(
    max_rank: usize,
    max_dim: usize,
) -> impl Strategy<Value = BroadcastPair> + Clone {
    (
        shape(max_rank, max_dim),
        vec(weighted(0.3), max_rank.max(1)),
        0..=max_rank,
        weighted(0.3),
    )
        .prop_map(|(full, ones, dropped, swapped)| {
            let dropped = dropped.min(full.len() - 1);
            let small: Vec<usize> = full[dropped..]
                .iter()
                .zip(&ones)
                .map(|(&n, &one)| if one { 1 } else { n })
                .collect();
            if swapped {
                BroadcastPair {
                    lhs: small,
                    rhs: full,
                }
            } else {
                BroadcastPair {
                    lhs: full,
                    rhs: small,
                }
            }
        })
}

/// A shape and one of its dims: a reduction, softmax, a cumulative sum, an index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reduction {
    /// The input's shape.
    pub shape: Vec<usize>,
    /// The dim reduced over.
    pub dim: usize,
}

/// Reductions over one dim of a shape of rank up to `max_rank`; shrinks toward dim 0 of `[1]`.
pub fn reduction(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Reduction> + Clone {
    (shape(max_rank, max_dim), 0..max_rank.max(1)).prop_map(|(shape, dim)| Reduction {
        dim: dim % shape.len(),
        shape,
    })
}

/// A (batched) matrix product `lhs · rhs`: `batch × m × k` times `batch × k × n`, or times a
/// plain `k × n` matrix broadcast over the batch (`broadcast_rhs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matmul {
    /// Batch dims (empty: a plain matrix product).
    pub batch: Vec<usize>,
    /// Rows of `lhs`.
    pub m: usize,
    /// The contracted size.
    pub k: usize,
    /// Columns of `rhs`.
    pub n: usize,
    /// `rhs` has no batch dims (broadcast over them).
    pub broadcast_rhs: bool,
}

impl Matmul {
    /// The left operand's shape.
    pub fn lhs_shape(&self) -> Vec<usize> {
        [self.batch.as_slice(), &[self.m, self.k]].concat()
    }
    /// The right operand's shape.
    pub fn rhs_shape(&self) -> Vec<usize> {
        let batch: &[usize] = if self.broadcast_rhs { &[] } else { &self.batch };
        [batch, &[self.k, self.n]].concat()
    }
}

/// Matrix products with `0..=max_batch_rank` batch dims and sizes up to `max_dim`.
pub fn matmul(max_batch_rank: usize, max_dim: usize) -> impl Strategy<Value = Matmul> + Clone {
    (
        vec(1..=max_dim, 0..=max_batch_rank),
        1..=max_dim,
        1..=max_dim,
        1..=max_dim,
        any::<bool>(),
    )
        .prop_map(|(batch, m, k, n, broadcast_rhs)| Matmul {
            broadcast_rhs: broadcast_rhs && !batch.is_empty(),
            batch,
            m,
            k,
            n,
        })
}

/// Output size of a convolution along one axis.
fn conv_out(input: usize, kernel: usize, stride: usize, padding: usize, dilation: usize) -> usize {
    (input + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
}

/// Output size of a transposed convolution along one axis.
fn conv_transpose_out(
    input: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    output_padding: usize,
    dilation: usize,
) -> usize {
    (input - 1) * stride + dilation * (kernel - 1) + output_padding + 1 - 2 * padding
}

/// A 1-D convolution `conv1d(x, w, padding, stride, dilation, groups)`: `x` is
/// `batch × (groups·in_per_group) × length`, `w` is `(groups·out_per_group) × in_per_group ×
/// kernel`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv1d {
    /// Batch size.
    pub batch: usize,
    /// Groups.
    pub groups: usize,
    /// Input channels per group.
    pub in_per_group: usize,
    /// Output channels per group.
    pub out_per_group: usize,
    /// Input length (at least the dilated kernel).
    pub length: usize,
    /// Kernel size.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on both sides.
    pub padding: usize,
    /// Dilation.
    pub dilation: usize,
}

impl Conv1d {
    /// The input's shape.
    pub fn input_shape(&self) -> Vec<usize> {
        vec![self.batch, self.groups * self.in_per_group, self.length]
    }
    /// The kernel's shape.
    pub fn kernel_shape(&self) -> Vec<usize> {
        vec![
            self.groups * self.out_per_group,
            self.in_per_group,
            self.kernel,
        ]
    }
    /// The output's shape.
    pub fn output_shape(&self) -> Vec<usize> {
        vec![
            self.batch,
            self.groups * self.out_per_group,
            conv_out(
                self.length,
                self.kernel,
                self.stride,
                self.padding,
                self.dilation,
            ),
        ]
    }
}

/// 1-D convolutions with every parameter up to `max` (sizes up to `max + 1`); shrinks toward
/// a 1×1 convolution of a length-1 input.
pub fn conv1d(max: usize) -> impl Strategy<Value = Conv1d> + Clone {
    (
        (1..=2usize, 1..=2usize, 1..=2usize, 1..=2usize),
        (1..=max, 0..=max, 1..=max, 0..=max, 1..=max),
    )
        .prop_map(
            |(
                (batch, groups, in_per_group, out_per_group),
                (kernel, extra, stride, padding, dilation),
            )| {
                Conv1d {
                    batch,
                    groups,
                    in_per_group,
                    out_per_group,
                    length: dilation * (kernel - 1) + 1 + extra,
                    kernel,
                    stride,
                    padding,
                    dilation,
                }
            },
        )
}

/// A 2-D convolution `conv2d(x, w, padding, stride, dilation, groups)` (candle's padding,
/// stride and dilation are the same along both axes; the kernel need not be square).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conv2d {
    /// Batch size.
    pub batch: usize,
    /// Groups.
    pub groups: usize,
    /// Input channels per group.
    pub in_per_group: usize,
    /// Output channels per group.
    pub out_per_group: usize,
    /// Input height and width (each at least the dilated kernel).
    pub size: (usize, usize),
    /// Kernel height and width.
    pub kernel: (usize, usize),
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// Dilation.
    pub dilation: usize,
}

impl Conv2d {
    /// The input's shape.
    pub fn input_shape(&self) -> Vec<usize> {
        vec![
            self.batch,
            self.groups * self.in_per_group,
            self.size.0,
            self.size.1,
        ]
    }
    /// The kernel's shape.
    pub fn kernel_shape(&self) -> Vec<usize> {
        vec![
            self.groups * self.out_per_group,
            self.in_per_group,
            self.kernel.0,
            self.kernel.1,
        ]
    }
    /// The output's shape.
    pub fn output_shape(&self) -> Vec<usize> {
        let out = |n, k| conv_out(n, k, self.stride, self.padding, self.dilation);
        vec![
            self.batch,
            self.groups * self.out_per_group,
            out(self.size.0, self.kernel.0),
            out(self.size.1, self.kernel.1),
        ]
    }
}

/// 2-D convolutions with every parameter up to `max`; shrinks toward a 1×1 convolution of a
/// 1×1 input.
pub fn conv2d(max: usize) -> impl Strategy<Value = Conv2d> + Clone {
    (
        (1..=2usize, 1..=2usize, 1..=2usize, 1..=2usize),
        (1..=max, 1..=max, 0..=max, 0..=max),
        (1..=max, 0..=max, 1..=max),
    )
        .prop_map(
            |(
                (batch, groups, in_per_group, out_per_group),
                (kh, kw, extra_h, extra_w),
                (stride, padding, dilation),
            )| Conv2d {
                batch,
                groups,
                in_per_group,
                out_per_group,
                size: (
                    dilation * (kh - 1) + 1 + extra_h,
                    dilation * (kw - 1) + 1 + extra_w,
                ),
                kernel: (kh, kw),
                stride,
                padding,
                dilation,
            },
        )
}

/// A transposed convolution (1-D: `size.1` is unused and 1; 2-D: no groups in candle),
/// `conv_transpose{1,2}d(x, w, padding, output_padding, stride, dilation)`: `x` is `batch ×
/// (groups·in_per_group) × size`, `w` is `(groups·in_per_group) × out_per_group × kernel`.
/// The output padding is below `max(stride, dilation)` and the padding at most what leaves an
/// output of length 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvTranspose {
    /// Batch size.
    pub batch: usize,
    /// Groups (1 for 2-D).
    pub groups: usize,
    /// Input channels per group.
    pub in_per_group: usize,
    /// Output channels per group.
    pub out_per_group: usize,
    /// Input length, or height and width.
    pub size: (usize, usize),
    /// Kernel length, or height and width.
    pub kernel: (usize, usize),
    /// Stride.
    pub stride: usize,
    /// Padding.
    pub padding: usize,
    /// Output padding.
    pub output_padding: usize,
    /// Dilation.
    pub dilation: usize,
    /// 2-D (else 1-D).
    pub two_d: bool,
}

impl ConvTranspose {
    /// The input's shape.
    pub fn input_shape(&self) -> Vec<usize> {
        let mut s = vec![self.batch, self.groups * self.in_per_group, self.size.0];
        if self.two_d {
            s.push(self.size.1);
        }
        s
    }
    /// The kernel's shape.
    pub fn kernel_shape(&self) -> Vec<usize> {
        let mut s = vec![
            self.groups * self.in_per_group,
            self.out_per_group,
            self.kernel.0,
        ];
        if self.two_d {
            s.push(self.kernel.1);
        }
        s
    }
    /// The output's shape.
    pub fn output_shape(&self) -> Vec<usize> {
        let out = |n, k| {
            conv_transpose_out(
                n,
                k,
                self.stride,
                self.padding,
                self.output_padding,
                self.dilation,
            )
        };
        let mut s = vec![
            self.batch,
            self.groups * self.out_per_group,
            out(self.size.0, self.kernel.0),
        ];
        if self.two_d {
            s.push(out(self.size.1, self.kernel.1));
        }
        s
    }
}

/// Transposed convolutions (1-D with groups, or 2-D) with every parameter up to `max`.
pub fn conv_transpose(max: usize, two_d: bool) -> impl Strategy<Value = ConvTranspose> + Clone {
    let groups = if two_d { 1..=1usize } else { 1..=2usize };
    (
        (1..=2usize, groups, 1..=2usize, 1..=2usize),
        (1..=max, 1..=max, 1..=max, 1..=max),
        (1..=max, 0..=max, 0..=max, 1..=max),
    )
        .prop_map(
            move |(
                (batch, groups, in_per_group, out_per_group),
                (h, w, kh, kw),
                (stride, padding, output_padding, dilation),
            )| {
                let (w, kw) = if two_d { (w, kw) } else { (1, 1) };
                let output_padding = output_padding % stride.max(dilation);
                // The largest padding that leaves an output of length 1 on every axis.
                let room = |n: usize, k: usize| {
                    ((n - 1) * stride + dilation * (k - 1) + output_padding) / 2
                };
                let mut padding = padding.min(room(h, kh));
                if two_d {
                    padding = padding.min(room(w, kw));
                }
                ConvTranspose {
                    batch,
                    groups,
                    in_per_group,
                    out_per_group,
                    size: (h, w),
                    kernel: (kh, kw),
                    stride,
                    padding,
                    output_padding,
                    dilation,
                    two_d,
                }
            },
        )
}

/// A 2-D pooling window over a `batch × channels × h × w` input (`h`, `w` at least the
/// window), with a stride equal to the window (candle's default) or drawn on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pool2d {
    /// Batch size.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
    /// Input height and width.
    pub size: (usize, usize),
    /// Window height and width.
    pub kernel: (usize, usize),
    /// Stride along height and width.
    pub stride: (usize, usize),
}

impl Pool2d {
    /// The input's shape.
    pub fn input_shape(&self) -> Vec<usize> {
        vec![self.batch, self.channels, self.size.0, self.size.1]
    }
}

/// Pooling windows up to `max` on inputs up to `2·max`; the stride is the window's in about
/// 2 cases of 3 (shrinking toward it).
pub fn pool2d(max: usize) -> impl Strategy<Value = Pool2d> + Clone {
    (
        (1..=2usize, 1..=2usize),
        (1..=max, 1..=max, 0..=max, 0..=max),
        (weighted(0.35), 1..=max, 1..=max),
    )
        .prop_map(
            |((batch, channels), (kh, kw, extra_h, extra_w), (own_stride, sh, sw))| Pool2d {
                batch,
                channels,
                size: (kh + extra_h, kw + extra_w),
                kernel: (kh, kw),
                stride: if own_stride { (sh, sw) } else { (kh, kw) },
            },
        )
}

/// A nearest-neighbour upsampling of a `batch × channels × size` input by an integer factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upsample {
    /// Batch size.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
    /// Input length, or height and width.
    pub size: (usize, usize),
    /// The factor (the same along both axes).
    pub scale: usize,
}

/// Upsamplings of inputs up to `max` by factors `1..=3`.
pub fn upsample(max: usize) -> impl Strategy<Value = Upsample> + Clone {
    (1..=2usize, 1..=2usize, 1..=max, 1..=max, 1..=3usize).prop_map(
        |(batch, channels, h, w, scale)| Upsample {
            batch,
            channels,
            size: (h, w),
            scale,
        },
    )
}

/// An indexing op along `dim` of `shape`: `count` indices (`index_select`, `index_add`), or
/// an index tensor of `shape` with `shape[dim]` replaced by `count` (`gather`,
/// `scatter_add`, `scatter`), the index values drawn from `seed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Indexing {
    /// The indexed tensor's shape.
    pub shape: Vec<usize>,
    /// The dim indexed.
    pub dim: usize,
    /// How many indices along `dim`.
    pub count: usize,
    /// Seed of the index values.
    pub seed: u64,
}

impl Indexing {
    /// `count` indices into `0..shape[dim]`, repeats allowed.
    pub fn select_indices(&self) -> Vec<u32> {
        let mut s = Stream::new(self.seed);
        (0..self.count)
            .map(|_| s.below(self.shape[self.dim]) as u32)
            .collect()
    }
    /// The index tensor's shape: `shape` with `shape[dim]` replaced by `count` (at most
    /// `shape[dim]` when `distinct`).
    pub fn index_shape(&self, distinct: bool) -> Vec<usize> {
        let mut s = self.shape.clone();
        s[self.dim] = if distinct {
            self.count.min(self.shape[self.dim])
        } else {
            self.count
        };
        s
    }
    /// The index tensor (row-major) of [`Self::index_shape`], values in `0..shape[dim]`;
    /// with `distinct`, no two entries of one line along `dim` are equal (so an overwriting
    /// `scatter` is well defined).
    pub fn gather_indices(&self, distinct: bool) -> Vec<u32> {
        let index_shape = self.index_shape(distinct);
        let n = self.shape[self.dim];
        let len: usize = index_shape.iter().product();
        let inner: usize = index_shape[self.dim + 1..].iter().product();
        let along = index_shape[self.dim];
        let mut s = Stream::new(self.seed);
        let mut out = vec![0u32; len];
        // One line along `dim` per (outer, inner) pair.
        for outer in 0..len / (along * inner) {
            for i in 0..inner {
                let line: Vec<usize> = if distinct {
                    s.permutation(n)
                } else {
                    (0..along).map(|_| s.below(n)).collect()
                };
                for (a, &v) in line.iter().take(along).enumerate() {
                    out[(outer * along + a) * inner + i] = v as u32;
                }
            }
        }
        out
    }
}

/// Indexing ops on shapes of rank up to `max_rank`; shrinks toward one index into `[1]`.
pub fn indexing(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Indexing> + Clone {
    (reduction(max_rank, max_dim), 1..=max_dim, seed()).prop_map(|(r, count, seed)| Indexing {
        shape: r.shape,
        dim: r.dim,
        count,
        seed,
    })
}

/// A slice `narrow(dim, start, len)` of `shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slice {
    /// The sliced tensor's shape.
    pub shape: Vec<usize>,
    /// The dim sliced.
    pub dim: usize,
    /// First index kept.
    pub start: usize,
    /// How many kept.
    pub len: usize,
}

/// Slices of shapes of rank up to `max_rank`.
pub fn slice(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Slice> + Clone {
    (reduction(max_rank, max_dim), 0..max_dim, 1..=max_dim).prop_map(|(r, start, len)| {
        let n = r.shape[r.dim];
        let start = start % n;
        Slice {
            len: len.min(n - start),
            start,
            shape: r.shape,
            dim: r.dim,
        }
    })
}

/// A concatenation along `dim` of tensors of `shape` with `shape[dim]` replaced by each of
/// `sizes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Concat {
    /// The common shape (its size along `dim` unused).
    pub shape: Vec<usize>,
    /// The dim concatenated along.
    pub dim: usize,
    /// Each part's size along `dim`.
    pub sizes: Vec<usize>,
}

impl Concat {
    /// The shape of part `k`.
    pub fn part_shape(&self, k: usize) -> Vec<usize> {
        let mut s = self.shape.clone();
        s[self.dim] = self.sizes[k];
        s
    }
}

/// Concatenations of 1 to 3 parts of rank up to `max_rank`.
pub fn concat(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Concat> + Clone {
    (reduction(max_rank, max_dim), vec(1..=max_dim, 1..=3)).prop_map(|(r, sizes)| Concat {
        shape: r.shape,
        dim: r.dim,
        sizes,
    })
}

/// A permutation of the dims of `shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permutation {
    /// The input's shape.
    pub shape: Vec<usize>,
    /// `perm[i]` is the input dim that becomes dim `i`.
    pub perm: Vec<usize>,
}

/// Permutations of shapes of rank up to `max_rank`; shrinks toward the identity.
pub fn permutation(max_rank: usize, max_dim: usize) -> impl Strategy<Value = Permutation> + Clone {
    (
        shape(max_rank, max_dim),
        vec(0..max_rank.max(1), max_rank.max(1)),
    )
        .prop_map(|(shape, keys)| {
            // Sort the dims by their drawn keys (stable): all-zero keys are the identity.
            let mut perm: Vec<usize> = (0..shape.len()).collect();
            perm.sort_by_key(|&d| keys[d]);
            Permutation { shape, perm }
        })
}
