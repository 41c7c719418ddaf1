//! The reproduction snippet of a failure is paste-ready: the text below is what the oracle
//! prints for a known failure, and the test after it is that text pasted verbatim.

mod common;

use jacobian_oracle::{CheckError, Oracle};
use nalgebra::DVector;

const EXPECTED: &str = "\
let f = jacobian_oracle::mutants::LayerMutant::new(jacobian_oracle::mutants::LayerMutantKind::DiagonalOnWrongSide, nalgebra::DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.0, 0.0]));
let x = nalgebra::DVector::from_vec(vec![0.0, -1.0]);
let result = jacobian_oracle::Oracle::default().check(&f, &x);
assert!(result.is_ok(), \"{}\", result.unwrap_err());
";

#[test]
fn the_snippet_is_the_text_pasted_below() {
    let (f, x) = common::readme_failure();
    let Err(CheckError::Mismatch(m)) = Oracle::default().check(&f, &x) else {
        panic!("the mutant must be caught");
    };
    assert_eq!(m.snippet(), EXPECTED);
    assert!(m.to_string().contains(EXPECTED.lines().next().unwrap()));
}

#[test]
#[should_panic(expected = "the analytic Jacobian is wrong: entry (0, 1)")]
#[rustfmt::skip]
fn the_snippet_pasted_reproduces_the_failure() {
    // Pasted from EXPECTED:
    let f = jacobian_oracle::mutants::LayerMutant::new(jacobian_oracle::mutants::LayerMutantKind::DiagonalOnWrongSide, nalgebra::DMatrix::from_row_slice(2, 2, &[0.0, 1.0, 0.0, 0.0]));
    let x = nalgebra::DVector::from_vec(vec![0.0, -1.0]);
    let result = jacobian_oracle::Oracle::default().check(&f, &x);
    assert!(result.is_ok(), "{}", result.unwrap_err());
}

#[test]
fn float_literals_round_trip() {
    use jacobian_oracle::report::{float_literal, vec_literal};
    for v in [0.1, -0.0, 1e-300, 5e-324, f64::MAX, 1.0 / 3.0, -2.5e17] {
        let s = float_literal(v);
        assert_eq!(s.parse::<f64>().unwrap().to_bits(), v.to_bits(), "{s}");
    }
    assert_eq!(
        vec_literal(&DVector::from_vec(vec![1.0, -0.5])),
        "vec![1.0, -0.5]"
    );
}
