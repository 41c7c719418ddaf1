//! Claims of the README that are outputs of the crate, kept true by comparing them with what
//! the crate prints now.

mod common;

use approx::abs_diff_eq;
use jacobian_oracle::Oracle;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The first ```` ```text ```` block after `heading`.
fn text_block_after(readme: &str, heading: &str) -> String {
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} not in README"));
    let rest = &readme[at..];
    let start = rest.find("```text\n").expect("a text block") + "```text\n".len();
    let end = rest[start..].find("```").expect("its end");
    rest[start..start + end].to_string()
}

/// "How to read a failure" shows the oracle's message for `W·diag(σ')` at the 2×2
/// counterexample, verbatim.
#[test]
fn the_failure_shown_in_the_readme_is_what_the_oracle_prints() {
    let (f, x) = common::readme_failure();
    let printed = Oracle::default().check(&f, &x).unwrap_err().to_string();
    let shown = text_block_after(&readme(), "## How to read a failure");
    assert_eq!(
        shown.trim_end(),
        printed.trim_end(),
        "update the README block:\n{printed}"
    );
}

/// The README's "about 1.5·10¹³ times the tolerance" for that failure.
#[test]
fn the_error_ratio_quoted_in_the_readme_holds() {
    let (f, x) = common::readme_failure();
    let Err(jacobian_oracle::CheckError::Mismatch(m)) = Oracle::default().check(&f, &x) else {
        panic!("a mismatch")
    };
    let ratio = m.abs_error / m.tolerance.total;
    let quoted = readme();
    let quoted = quoted
        .split("the error is ")
        .nth(1)
        .and_then(|s| s.split(" times the").next())
        .expect("the README quotes the ratio");
    let mantissa: f64 = quoted.split('·').next().unwrap().parse().unwrap();
    let exponent: i32 = quoted
        .split("10")
        .nth(1)
        .unwrap()
        .chars()
        .map(|c| match c {
            '⁰' => '0',
            '¹' => '1',
            '²' => '2',
            '³' => '3',
            '⁴' => '4',
            '⁵' => '5',
            '⁶' => '6',
            '⁷' => '7',
            '⁸' => '8',
            '⁹' => '9',
            other => other,
        })
        .collect::<String>()
        .parse()
        .unwrap();
    let q = mantissa * 10f64.powi(exponent);
    assert!(
        abs_diff_eq!(ratio / q, 1.0, epsilon = 0.1),
        "README says {q:e}, the oracle {ratio:e}"
    );
}
