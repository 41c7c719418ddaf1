//! Detection power on the sigmoid layer `σ(Wx)`: the textbook Jacobian `diag(z∘(1−z)) W` with
//! one entry multiplied by `1 + r` must be caught (a `Mismatch`), for shapes up to 8×8 and
//! `|Wx| ≤ 3`, while the unmodified textbook Jacobian passes on every draw.
//!
//! The draws are continuous (uniform `W` and `x`, not the catalogue's simple values, which put
//! exact zeros in `W` whose scaled entries cannot change): `W_ij, x_j ∈ U(−1, 1)`, `W` scaled
//! down so that `max|Wx| ≤ 3`, shapes `m, n ∈ 1..=8`, the entry drawn uniformly. A fixed seed
//! makes the figures exact and repeatable; `SENSITIVITY_DRAWS` sets their number (default 2000).
//!
//! `cargo test --release --test sensitivity -- --nocapture` prints the detection table.

use jacobian_oracle::catalogue::{SigmoidLayer, sigmoid};
use jacobian_oracle::{AnalyticJacobian, CheckError, Oracle, VectorFn};
use nalgebra::{DMatrix, DVector};
use num_dual::DualNum;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// The sigmoid layer with the textbook Jacobian, entry `(row, col)` multiplied by `factor`.
struct Scaled {
    layer: SigmoidLayer,
    row: usize,
    col: usize,
    factor: f64,
}

impl VectorFn for Scaled {
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

impl AnalyticJacobian for Scaled {
    /// `diag(z∘(1−z)) W`, as the textbook writes it, with one entry scaled.
    fn jacobian(&self, x: &DVector<f64>) -> DMatrix<f64> {
        let z = (&self.layer.w * x).map(sigmoid::<f64>);
        let mut j = DMatrix::from_diagonal(&z.map(|z| z * (1.0 - z))) * &self.layer.w;
        j[(self.row, self.col)] *= self.factor;
        j
    }
}

/// One draw: the layer, its input, and the entry to scale.
#[derive(Debug, Clone)]
struct Draw {
    layer: SigmoidLayer,
    x: DVector<f64>,
    entry: (usize, usize),
}

/// `count` draws from a fixed seed (proptest's deterministic runner).
fn draws(count: usize) -> Vec<Draw> {
    let mut runner = TestRunner::deterministic();
    let shape = (1usize..=8, 1usize..=8);
    let case = shape.prop_flat_map(|(m, n)| {
        (
            proptest::collection::vec(-1.0..1.0f64, m * n),
            proptest::collection::vec(-1.0..1.0f64, n),
            0..m,
            0..n,
        )
            .prop_map(move |(w, x, i, j)| {
                let mut w = DMatrix::from_vec(m, n, w);
                let x = DVector::from_vec(x);
                let largest = (&w * &x).amax();
                if largest > 3.0 {
                    w *= 3.0 / largest;
                }
                Draw {
                    layer: SigmoidLayer::new(w),
                    x,
                    entry: (i, j),
                }
            })
    });
    (0..count)
        .map(|_| {
            case.new_tree(&mut runner)
                .expect("the strategy rejects nothing")
                .current()
        })
        .collect()
}

fn draw_count() -> usize {
    std::env::var("SENSITIVITY_DRAWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

/// How many draws the oracle catches with the entry scaled by `1 + r` (`Mismatch` at that
/// entry), and how many other verdicts it gives (none expected).
fn caught(draws: &[Draw], r: f64) -> (usize, usize) {
    let oracle = Oracle::default();
    let (mut caught, mut other) = (0, 0);
    for d in draws {
        let map = Scaled {
            layer: d.layer.clone(),
            row: d.entry.0,
            col: d.entry.1,
            factor: 1.0 + r,
        };
        match oracle.check(&map, &d.x) {
            Err(CheckError::Mismatch(m)) => {
                assert_eq!((m.witnesses.row, m.witnesses.col), d.entry, "{m}");
                caught += 1;
            }
            Ok(_) => {}
            Err(_) => other += 1,
        }
    }
    (caught, other)
}

#[test]
fn the_textbook_jacobian_passes_on_every_draw() {
    let draws = draws(draw_count());
    let oracle = Oracle::default();
    for d in &draws {
        let map = Scaled {
            layer: d.layer.clone(),
            row: 0,
            col: 0,
            factor: 1.0,
        };
        if let Err(e) = oracle.check(&map, &d.x) {
            panic!("false alarm: {e}");
        }
    }
}

#[test]
fn one_entry_off_by_1e_11_relative_is_caught_on_99_percent_of_draws() {
    let draws = draws(draw_count());
    let (hits, other) = caught(&draws, 1e-11);
    assert_eq!(other, 0);
    assert!(
        hits as f64 >= 0.99 * draws.len() as f64,
        "caught {hits} of {}",
        draws.len()
    );
}

/// The table the README quotes (`-- --nocapture`): the fraction of draws caught at each
/// relative error. Asserts that detection is monotone in the error (a larger slip is never
/// caught less often) and that every slip of 1e-9 or more is caught.
#[test]
fn detection_table() {
    let draws = draws(draw_count());
    let mut previous = usize::MAX;
    println!("| relative error of one entry | caught |");
    println!("|---|---|");
    for r in [1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 3e-14, 1e-14] {
        let (hits, other) = caught(&draws, r);
        assert_eq!(other, 0);
        println!(
            "| {r:e} | {hits} / {} ({:.2}%) |",
            draws.len(),
            100.0 * hits as f64 / draws.len() as f64
        );
        assert!(hits <= previous, "detection not monotone at {r:e}");
        if r >= 1e-9 {
            assert_eq!(hits, draws.len(), "a slip of {r:e} missed");
        }
        previous = hits;
    }
}
