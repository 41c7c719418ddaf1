//! The report binary: JSON Lines with the promised fields, a deterministic output for a fixed
//! seed, and an exit status that fails when a map fails.

use std::process::Command;

use approx::abs_diff_eq;
use serde_json::Value;

fn report(args: &[&str]) -> (i32, String) {
    let (code, out, _) = report_with_stderr(args);
    (code, out)
}

fn report_with_stderr(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jacobian-oracle"))
        .args(args)
        .output()
        .expect("the report binary runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn lines(json: &str) -> Vec<Value> {
    json.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn json_lines_have_one_object_per_map_and_mutant() {
    let (code, out) = report(&["--json", "--cases", "32"]);
    assert_eq!(code, 0, "{out}");
    let objs = lines(&out);
    let maps: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "map").collect();
    let mutants: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "mutant").collect();
    assert_eq!(maps.len(), jacobian_oracle::suite::catalogue().len());
    assert_eq!(mutants.len(), jacobian_oracle::suite::mutants().len());
    assert_eq!(maps.len() + mutants.len(), objs.len());
    for m in &maps {
        assert!(m["map"].is_string());
        assert_eq!(m["cases"], 32);
        assert_eq!(m["verdict"], "pass", "{m}");
        // Well-conditioned entries agree to a few dozen ulps of the analytic side's precision.
        let ulp = if m["map"].as_str().unwrap().ends_with("_f32") {
            f64::from(f32::EPSILON)
        } else {
            f64::EPSILON
        };
        assert!(m["worst_rel_error"].as_f64().unwrap() <= 33.0 * ulp, "{m}");
        assert!(m["worst_tolerance_ratio"].as_f64().unwrap() <= 1.0, "{m}");
    }
    for m in &mutants {
        assert_eq!(m["verdict"], "caught", "{m}");
        assert_eq!(m["rows"], m["expected_rows"], "{m}");
        assert_eq!(m["cols"], m["expected_cols"], "{m}");
        assert!(m["cases"].as_u64().unwrap() >= 1);
        assert_eq!(m["caught_by"], "mismatch");
    }
    let names: Vec<&str> = objs.iter().map(|o| o["map"].as_str().unwrap()).collect();
    for expected in [
        "sigmoid",
        "sigmoid_layer_x",
        "sigmoid_layer_w",
        "transposed_w",
        "sign_error",
    ] {
        assert!(names.contains(&expected), "{names:?}");
    }
}

#[test]
fn the_same_seed_gives_the_same_report() {
    let args = ["--json", "--cases", "16", "--seed", "42", "--max-dim", "4"];
    let (_, first) = report(&args);
    let (_, second) = report(&args);
    assert_eq!(first, second);
    for m in lines(&first).iter().filter(|o| o["kind"] == "map") {
        assert!(m["max_rows"].as_u64().unwrap() <= 4, "{m}");
        assert!(m["max_cols"].as_u64().unwrap() <= 4, "{m}");
    }
    let (_, other) = report(&["--json", "--cases", "16", "--seed", "43", "--max-dim", "4"]);
    assert_ne!(first, other, "a different seed draws different cases");
}

#[test]
fn the_table_names_every_map_and_mutant() {
    let (code, out) = report(&["--cases", "8"]);
    assert_eq!(code, 0, "{out}");
    for e in jacobian_oracle::suite::catalogue()
        .iter()
        .chain(jacobian_oracle::suite::mutants().iter())
    {
        assert!(out.contains(e.name), "{} missing from\n{out}", e.name);
    }
    assert!(out.contains("every map passes and every mutant is caught"));
}

#[test]
fn a_failing_map_fails_the_report() {
    let (code, out) = report(&["--json", "--cases", "8", "--inject-wrong-map"]);
    assert_eq!(code, 1, "{out}");
    let failing: Vec<Value> = lines(&out)
        .into_iter()
        .filter(|o| o["kind"] == "map" && o["verdict"] == "fail")
        .collect();
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0]["map"], "sign_error");
    assert!(
        failing[0]["failure"]
            .as_str()
            .unwrap()
            .contains("minimal case")
    );
}

#[test]
fn bad_flags_are_rejected() {
    let (code, _) = report(&["--cases", "0"]);
    assert_eq!(code, 2);
    let (code, _) = report(&["--max-dim", "0"]);
    assert_eq!(code, 2);
    let (code, _) = report(&["--seed", "minus-one"]);
    assert_eq!(code, 2);
}

#[test]
fn every_family_of_the_catalogue_is_in_the_json_report() {
    let (code, out) = report(&["--json", "--cases", "8"]);
    assert_eq!(code, 0, "{out}");
    let maps: Vec<String> = lines(&out)
        .iter()
        .filter(|o| o["kind"] == "map")
        .map(|o| o["map"].as_str().unwrap().to_string())
        .collect();
    for family in [
        "tanh",
        "softplus",
        "log_sigmoid",
        "relu",
        "leaky_relu",
        "elu",
        "selu",
        "silu",
        "gelu_erf",
        "gelu_tanh",
        "softsign",
        "linear",
        "softmax",
        "log_softmax",
        "cross_entropy",
        "layer_norm",
        "mlp",
        "logistic_regression",
    ] {
        assert!(
            maps.iter().any(|m| m.contains(family)),
            "no map of the family {family} in {maps:?}"
        );
    }
    for second_order in [
        "logistic_regression_hessian",
        "sigmoid_hessian",
        "softplus_hessian",
        "tanh_hessian",
        "softmax_cross_entropy_hessian",
    ] {
        assert!(
            maps.iter().any(|m| m == second_order),
            "{second_order} missing"
        );
    }
    // Non-smooth points are counted on their own.
    assert!(
        lines(&out)
            .iter()
            .all(|o| o["kind"] != "map" || o["cannot_judge"].is_u64())
    );
}

/// `--speed --json`: one row per check and size, each with its time, its floor and the
/// speed-up over the rival peers at 64 and 256 (a short budget: this tests the output, not
/// the figures, which come from idle runs).
#[test]
fn speed_rows_in_json() {
    let (code, out) = report(&["speed", "--json", "--budget-ms", "1"]);
    assert_eq!(code, 0, "{out}");
    let mut rows = lines(&out);
    assert_eq!(rows.len(), 3 * 4 + 1 + 1, "{out}");
    // The last line says where the peers' times come from: the fixed reference figures.
    let source = rows.pop().unwrap();
    assert_eq!(source["kind"], "speed_peers");
    assert_eq!(source["source"], "reference");
    for r in &rows {
        assert_eq!(r["kind"], "speed");
        assert_eq!(r["peer_source"], "reference");
        // Each rival's time is the reference figure, and the speed-up is measured against it.
        for (name, ms) in r["peer_ms"].as_object().unwrap() {
            let peer = jacobian_oracle::speed::PEERS
                .iter()
                .find(|p| p.name == name && p.n as u64 == r["n"] && p.rival_of == r["check"])
                .unwrap_or_else(|| panic!("{name} in {r}"));
            assert_eq!(ms.as_f64(), Some(peer.ms));
            let faster = r["faster_than"][name].as_f64().unwrap();
            let check_ms = r["check_ms"].as_f64().unwrap();
            assert!(abs_diff_eq!(
                faster,
                peer.ms / check_ms,
                epsilon = 1e-9 * faster
            ));
        }
        let (check_ms, floor_ms) = (
            r["check_ms"].as_f64().unwrap(),
            r["floor_ms"].as_f64().unwrap(),
        );
        assert!(check_ms > 0.0 && floor_ms > 0.0, "{r}");
        assert!(
            abs_diff_eq!(
                r["ratio"].as_f64().unwrap(),
                check_ms / floor_ms,
                epsilon = 1e-9
            ),
            "{r}"
        );
        let n = r["n"].as_u64().unwrap();
        let peers = r["faster_than"].as_object().unwrap();
        match (r["check"].as_str().unwrap(), n) {
            ("full", 64 | 256) => {
                assert!(
                    peers.contains_key("PyTorch gradcheck") && peers.contains_key("numdifftools"),
                    "{r}"
                );
            }
            ("projected k4", 64 | 256) => {
                assert!(
                    peers.contains_key("PyTorch fast_mode")
                        && peers.contains_key("JAX check_grads"),
                    "{r}"
                );
            }
            ("full" | "f32" | "vjp (3 dirs)" | "projected k4", _) => {
                assert!(peers.is_empty(), "{r}")
            }
            other => panic!("unexpected row {other:?}"),
        }
    }
    assert!(
        rows.iter()
            .any(|r| r["check"] == "projected k4" && r["n"] == 1024)
    );
}

/// A file in this test binary's scratch directory.
fn scratch(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

/// `speed --problem-out FILE`: the problems for the peers, every float exactly
/// `speed::problem(n)`'s (row-major W, then x), with its fingerprint; nothing is timed.
#[test]
fn speed_problem_out_reproduces_the_problems_bit_for_bit() {
    use jacobian_oracle::speed::{SIZES, fingerprint, problem};
    let path = scratch("speed_problems.json");
    let (code, out) = report(&["speed", "--problem-out", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("wrote the problems"), "{out}");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(file["schema"], jacobian_oracle::speed::PROBLEMS_SCHEMA);
    let problems = file["problems"].as_array().unwrap();
    assert_eq!(problems.len(), SIZES.len());
    for (p, n) in problems.iter().zip(SIZES) {
        assert_eq!(p["n"], n);
        let (f, x) = problem(n);
        let bits = |v: &Value| v.as_f64().unwrap().to_bits();
        let w: Vec<u64> = p["w"].as_array().unwrap().iter().map(bits).collect();
        let expected_w: Vec<u64> = (0..n)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|ij| f.w[ij].to_bits())
            .collect();
        assert!(w == expected_w, "W differs at n = {n}");
        let xs: Vec<u64> = p["x"].as_array().unwrap().iter().map(bits).collect();
        assert_eq!(xs, x.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(
            p["fingerprint"],
            format!("{:016x}", fingerprint(&f.w, &x)),
            "n = {n}"
        );
    }
    // It writes the file and exits: not with --peers or --json.
    let (code, _, err) = report_with_stderr(&[
        "speed",
        "--problem-out",
        path.to_str().unwrap(),
        "--peers",
        "x.json",
    ]);
    assert_eq!(code, 2, "{err}");
}

/// A peers' JSON as `benches/peers/peers.py` prints it, with made-up times: a full-check
/// rival at 64 and a projection rival at 256, PyTorch not measured.
fn fake_peers(fingerprint_256: &str) -> String {
    use jacobian_oracle::speed::{fingerprint, problem};
    let (f, x) = problem(64);
    serde_json::json!({
        "schema": "jacobian-oracle-peers/1",
        "date": "2030-01-02 03:04 UTC",
        "machine": {"cpu": "Made-up CPU 9000", "cores": 2, "platform": "Linux"},
        "threads": "all 2 cores",
        "versions": {"python": "3.99.0", "fakegrad": "1.2.3"},
        "not_measured": {"PyTorch fast_mode": "torch not importable"},
        "budget_ms": 1,
        "fingerprints": {
            "64": format!("{:016x}", fingerprint(&f.w, &x)),
            "256": fingerprint_256,
        },
        "results": [
            {"tool": "Fake full", "rival_of": "full", "n": 64, "seconds": 1.0, "calls": 7},
            {"tool": "Fake projection", "rival_of": "projected k4", "n": 256, "seconds": 2.0,
             "calls": 7},
        ],
    })
    .to_string()
}

/// `speed --peers FILE`: the table uses the peers' times from the file, measured in the same
/// run, says so with the machine and versions, and names what was not measured; the fixed
/// reference figures are not mixed in.
#[test]
fn speed_uses_the_peers_times_measured_in_the_same_run() {
    use jacobian_oracle::speed::{fingerprint, problem};
    let (f, x) = problem(256);
    let path = scratch("speed_peers.json");
    std::fs::write(
        &path,
        fake_peers(&format!("{:016x}", fingerprint(&f.w, &x))),
    )
    .unwrap();
    let file = path.to_str().unwrap();

    let (code, out) = report(&["speed", "--budget-ms", "1", "--peers", file]);
    assert_eq!(code, 0, "{out}");
    for expected in [
        "measured in the same run, 2030-01-02 03:04 UTC",
        "Made-up CPU 9000, 2 cores",
        "fakegrad 1.2.3",
        "not measured: PyTorch fast_mode (torch not importable)",
        "× Fake full",
        "side by side",
        "1000.0000",
        "2000.0000",
    ] {
        assert!(out.contains(expected), "{expected:?} in\n{out}");
    }
    assert!(
        !out.contains("PyTorch gradcheck") && !out.contains("JAX"),
        "{out}"
    );

    let (code, out) = report(&["speed", "--json", "--budget-ms", "1", "--peers", file]);
    assert_eq!(code, 0, "{out}");
    let mut rows = lines(&out);
    let source = rows.pop().unwrap();
    assert_eq!(source["kind"], "speed_peers");
    assert_eq!(source["source"], "measured");
    assert_eq!(source["cpu"], "Made-up CPU 9000");
    assert_eq!(source["versions"]["fakegrad"], "1.2.3");
    assert_eq!(
        source["not_measured"]["PyTorch fast_mode"],
        "torch not importable"
    );
    let mut rivals = 0;
    for r in &rows {
        assert_eq!(r["peer_source"], "measured", "{r}");
        let check_ms = r["check_ms"].as_f64().unwrap();
        let expected = match (r["check"].as_str().unwrap(), r["n"].as_u64().unwrap()) {
            ("full", 64) => Some(("Fake full", 1000.0)),
            ("projected k4", 256) => Some(("Fake projection", 2000.0)),
            _ => None,
        };
        match expected {
            Some((name, ms)) => {
                rivals += 1;
                assert_eq!(r["peer_ms"][name].as_f64(), Some(ms), "{r}");
                let faster = r["faster_than"][name].as_f64().unwrap();
                assert!(
                    abs_diff_eq!(faster, ms / check_ms, epsilon = 1e-9 * faster),
                    "{r}"
                );
                assert_eq!(r["faster_than"].as_object().unwrap().len(), 1, "{r}");
            }
            None => assert!(r["faster_than"].as_object().unwrap().is_empty(), "{r}"),
        }
    }
    assert_eq!(rivals, 2);
}

/// `speed --peers FILE` refuses, before timing anything, times of another problem (a
/// fingerprint that is not `speed::problem(n)`'s) and a file that is not the peers' JSON.
#[test]
fn speed_refuses_peers_of_another_problem() {
    let path = scratch("speed_peers_other.json");
    std::fs::write(&path, fake_peers("0123456789abcdef")).unwrap();
    let (code, out, err) = report_with_stderr(&["speed", "--peers", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("different problem at n = 256") && err.contains("0123456789abcdef"),
        "{err}"
    );
    std::fs::write(&path, r#"{"schema": "something else"}"#).unwrap();
    let (code, _, err) = report_with_stderr(&["speed", "--peers", path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("jacobian-oracle-peers/1"), "{err}");
    let (code, _, err) = report_with_stderr(&["speed", "--peers", "/no/such/peers.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/no/such/peers.json"), "{err}");
}

/// `soak --json`: one object per catalogue map, then the summary as the last line, with the
/// promised fields; the same seed gives the same counts.
#[test]
fn soak_json_ends_with_the_summary() {
    let args = ["soak", "--cases", "3000", "--seed", "5", "--json"];
    let (code, out) = report(&args);
    assert_eq!(code, 0, "{out}");
    let objs = lines(&out);
    let last = objs.last().expect("a summary line");
    assert_eq!(last["kind"], "soak");
    assert_eq!(last["cases"], 3000);
    assert_eq!(last["false_alarms"], 0, "{last}");
    assert_eq!(last["panics"], 0, "{last}");
    assert!(last["cases_per_second"].as_f64().unwrap() > 0.0, "{last}");
    let maps: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "soak_map").collect();
    assert_eq!(maps.len(), jacobian_oracle::suite::catalogue().len());
    assert_eq!(maps.len() + 1, objs.len());
    let total: u64 = maps.iter().map(|m| m["cases"].as_u64().unwrap()).sum();
    assert_eq!(total, 3000);
    // Deterministic counts (the summary's timing aside).
    let (_, again) = report(&args);
    let per_map = |s: &str| {
        s.lines()
            .filter(|l| l.contains("soak_map"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(per_map(&out), per_map(&again));
}

#[test]
fn soak_table_names_every_map_and_the_totals() {
    let (code, out) = report(&["soak", "--cases", "500"]);
    assert_eq!(code, 0, "{out}");
    for e in jacobian_oracle::suite::catalogue() {
        assert!(out.contains(e.name), "{} missing", e.name);
    }
    assert!(out.contains("500 cases in"), "{out}");
    assert!(out.contains("0 false alarms, 0 panics"), "{out}");
}

#[test]
fn check_runs_the_named_maps_only() {
    let (code, out) = report(&[
        "check",
        "softmax",
        "sigmoid_layer_vjp",
        "--cases",
        "16",
        "--json",
    ]);
    assert_eq!(code, 0, "{out}");
    let objs = lines(&out);
    let names: Vec<&str> = objs.iter().map(|o| o["map"].as_str().unwrap()).collect();
    assert_eq!(names, ["softmax", "sigmoid_layer_vjp"]);
    assert!(
        objs.iter()
            .all(|o| o["kind"] == "map" && o["verdict"] == "pass" && o["cases"] == 16)
    );
}

#[test]
fn an_unknown_name_is_a_usage_error_that_names_it() {
    for args in [
        &["check", "no_such_map"][..],
        &["mutants", "no_such_mutant"][..],
    ] {
        let (code, out, err) = report_with_stderr(args);
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(err.contains("no_such_"), "{err}");
        assert!(err.contains("jacobian-oracle list"), "{err}");
    }
}

#[test]
fn mutants_runs_the_named_mutants_and_shows_their_minimal_shape() {
    let (code, out) = report(&["mutants", "transposed_w", "sign_error", "--json"]);
    assert_eq!(code, 0, "{out}");
    let objs = lines(&out);
    assert_eq!(objs.len(), 2);
    for o in &objs {
        assert_eq!(o["kind"], "mutant");
        assert_eq!(o["verdict"], "caught", "{o}");
        assert_eq!(o["rows"], o["expected_rows"], "{o}");
    }
    let (code, out) = report(&["mutants", "--cases", "32"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("every mutant is caught"), "{out}");
    assert!(!out.contains("worst rel"), "no map table: {out}");
}

#[test]
fn list_names_every_map_and_mutant() {
    let (code, out) = report(&["list", "--json"]);
    assert_eq!(code, 0);
    let objs = lines(&out);
    let maps = jacobian_oracle::suite::catalogue();
    let muts = jacobian_oracle::suite::mutants();
    assert_eq!(objs.len(), maps.len() + muts.len());
    for (o, e) in objs.iter().zip(maps.iter().chain(muts.iter())) {
        assert_eq!(o["map"], e.name);
        assert_eq!(o["formula"], e.formula);
    }
    let (_, text) = report(&["list"]);
    assert!(
        text.contains(&format!("{} catalogue maps", maps.len())),
        "{text}"
    );
}

/// Piped output has no colour codes (a terminal would get them).
#[test]
fn piped_output_has_no_escape_codes() {
    for args in [
        &["--cases", "4"][..],
        &["soak", "--cases", "200"][..],
        &["list"][..],
    ] {
        let (_, out) = report(args);
        assert!(!out.contains('\u{1b}'), "{args:?}: escape codes in\n{out}");
    }
}
