//! Check an argmin problem's derivatives, then solve it: the Rosenbrock function, its
//! hand-written gradient and Hessian checked by `jacobian_oracle::argmin` at a few points,
//! then minimised with argmin's L-BFGS (More–Thuente line search).
//!
//!     cargo run --release --features argmin --example argmin_rosenbrock

use argmin::core::{CostFunction, Error, Executor, Gradient, Hessian, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use jacobian_oracle::Oracle;
use jacobian_oracle::argmin::{check_gradient, check_hessian};

/// f(x, y) = (a − x)² + b(y − x²)², minimum 0 at (a, a²).
struct Rosenbrock {
    a: f64,
    b: f64,
}

impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        Ok((self.a - p[0]).powi(2) + self.b * (p[1] - p[0] * p[0]).powi(2))
    }
}

impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let (x, y) = (p[0], p[1]);
        Ok(vec![
            -2.0 * (self.a - x) - 4.0 * self.b * x * (y - x * x),
            2.0 * self.b * (y - x * x),
        ])
    }
}

impl Hessian for Rosenbrock {
    type Param = Vec<f64>;
    type Hessian = Vec<Vec<f64>>;
    fn hessian(&self, p: &Vec<f64>) -> Result<Vec<Vec<f64>>, Error> {
        let (x, y) = (p[0], p[1]);
        let b = self.b;
        Ok(vec![
            vec![2.0 - 4.0 * b * y + 12.0 * b * x * x, -4.0 * b * x],
            vec![-4.0 * b * x, 2.0 * b],
        ])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let problem = Rosenbrock { a: 1.0, b: 100.0 };
    let oracle = Oracle::default();
    // The derivatives first, at a few points along the way the solver will go.
    for p in [
        vec![-1.2, 1.0],
        vec![0.0, 0.0],
        vec![0.5, 0.25],
        vec![2.0, -3.0],
    ] {
        let g = check_gradient(&oracle, &problem, &p)?;
        let h = check_hessian(&oracle, &problem, &p)?;
        println!("at {p:?}: gradient {g}; Hessian {h}");
    }
    // Then the solve.
    let linesearch = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(linesearch, 7);
    let result = Executor::new(problem, solver)
        .configure(|state| state.param(vec![-1.2, 1.0]).max_iters(100))
        .run()?;
    let state = result.state();
    let best = state.get_best_param().expect("L-BFGS keeps its best point");
    println!(
        "L-BFGS: minimum {:.3e} at {best:?} after {} iterations ({:?})",
        state.get_best_cost(),
        state.get_iter(),
        state.get_termination_status()
    );
    assert!((best[0] - 1.0).abs() < 1e-6 && (best[1] - 1.0).abs() < 1e-6);
    Ok(())
}
