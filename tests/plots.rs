//! The `plot` command: three SVG files that parse as SVG, hold in a `<metadata>` element the
//! very data `jacobian_oracle::plot_data` computes for the same options, draw one polyline
//! per curve with one vertex per point, and carry their labels as text.

use std::path::{Path, PathBuf};
use std::process::Command;

use jacobian_oracle::catalogue::Activation;
use jacobian_oracle::plot_data::{Plot, PlotOptions, SeriesStyle, plots};
use serde_json::{Value, json};

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_jacobian-oracle"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

/// A fresh directory under the system's temporary one, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "jacobian-oracle-plots-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Checks one SVG file against the plot it should show.
fn check_svg(file: &Path, plot: &Plot, options: &PlotOptions) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{} is not XML: {e}", file.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{}", file.display());
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );

    // The embedded data is what the library computes, bit for bit.
    let metadata: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("metadata"))
        .collect();
    assert_eq!(metadata.len(), 1, "{}", file.display());
    let meta: Value = serde_json::from_str(metadata[0].text().expect("metadata text"))
        .expect("metadata holds JSON");
    assert_eq!(meta["name"], plot.name);
    assert_eq!(meta["title"], plot.title.as_str());
    assert_eq!(meta["x_label"], plot.x_label.as_str());
    assert_eq!(meta["y_label"], plot.y_label.as_str());
    assert_eq!(meta["log_x"], plot.log_x);
    assert_eq!(meta["log_y"], plot.log_y);
    let options_json = if plot.name == "fd_error" {
        json!({"map": options.map.name(), "at": options.at})
    } else {
        Value::Null
    };
    assert_eq!(meta["options"], options_json);
    let series = meta["series"].as_array().expect("series");
    assert_eq!(series.len(), plot.series.len());
    for (m, s) in series.iter().zip(&plot.series) {
        assert_eq!(m["name"], s.name.as_str());
        assert_eq!(m["style"], s.style.name());
        let points: Vec<(f64, f64)> = m["points"]
            .as_array()
            .expect("points")
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        assert_eq!(points, s.points, "{}: {}", plot.name, s.name);
    }
    let rules = meta["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), plot.rules.len());
    for (m, r) in rules.iter().zip(&plot.rules) {
        assert_eq!(m["name"], r.name.as_str());
        assert_eq!(m["x"].as_f64(), Some(r.x));
    }

    // Each curve is a polyline with one vertex per point; scattered and marked points are
    // circles (one more per series: its legend sample).
    let mut vertex_counts: Vec<usize> = root
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .collect();
    for s in &plot.series {
        if matches!(s.style, SeriesStyle::Line | SeriesStyle::Guide) {
            let n = s.points.len();
            let i = vertex_counts
                .iter()
                .position(|&c| c == n)
                .unwrap_or_else(|| {
                    panic!("{}: no polyline of {n} points for {}", plot.name, s.name)
                });
            vertex_counts.swap_remove(i);
        }
    }
    let circles = root
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    let expected_circles: usize = plot
        .series
        .iter()
        .filter(|s| matches!(s.style, SeriesStyle::Scatter | SeriesStyle::Markers))
        .map(|s| s.points.len() + 1)
        .sum();
    assert_eq!(circles, expected_circles, "{}", plot.name);

    // The labels are text, readable without any font on the machine that drew them.
    let texts: Vec<String> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect();
    let wanted = [&plot.title, &plot.x_label, &plot.y_label]
        .into_iter()
        .chain(plot.series.iter().map(|s| &s.name))
        .chain(plot.rules.iter().map(|r| &r.name));
    for label in wanted {
        assert!(
            texts.iter().any(|t| t == label),
            "{}: no <text> {label:?} among {texts:?}",
            plot.name
        );
    }
    // Tick labels too: a log axis shows powers of ten.
    if plot.log_y {
        assert!(texts.iter().any(|t| t.starts_with("1e")), "{texts:?}");
    }
}

#[test]
fn plot_writes_three_svg_files_holding_the_library_data() {
    let tmp = TempDir::new("default");
    let out = tmp.0.join("nested").join("plots"); // created if missing
    let (code, stdout, stderr) = run(&["plot", "--out", path_arg(&out)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let options = PlotOptions::default();
    let expected = plots(&options);
    assert_eq!(expected.len(), 3);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    for plot in &expected {
        let file = out.join(format!("{}.svg", plot.name));
        assert!(file.is_file(), "{} missing", file.display());
        assert!(stdout.contains(&file.display().to_string()), "{stdout}");
        check_svg(&file, plot, &options);
    }
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "fd_error.svg",
            "sigmoid_precision.svg",
            "vanishing_gradient.svg"
        ]
    );
}

#[test]
fn plot_json_names_each_file_and_its_series_and_honours_map_and_at() {
    let tmp = TempDir::new("json");
    let (code, stdout, stderr) = run(&[
        "plot",
        "--out",
        path_arg(&tmp.0),
        "--map",
        "tanh",
        "--at",
        "-0.5",
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let options = PlotOptions {
        map: Activation::Tanh,
        at: -0.5,
    };
    let expected = plots(&options);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), expected.len());
    for (line, plot) in lines.iter().zip(&expected) {
        let file = tmp.0.join(format!("{}.svg", plot.name));
        let series: Vec<Value> = plot
            .series
            .iter()
            .map(|s| json!({"name": s.name, "points": s.points.len()}))
            .collect();
        assert_eq!(
            line,
            &json!({"kind": "plot", "file": file.display().to_string(), "series": series})
        );
        check_svg(&file, plot, &options);
    }
    assert!(
        expected[0].title.starts_with("tanh'(-0.5)"),
        "{}",
        expected[0].title
    );
}

#[test]
fn plot_files_are_identical_from_run_to_run() {
    let tmp = TempDir::new("twice");
    let (a, b) = (tmp.0.join("a"), tmp.0.join("b"));
    for dir in [&a, &b] {
        let (code, stdout, stderr) = run(&["plot", "--out", path_arg(dir), "--json"]);
        assert_eq!(code, 0, "{stdout}{stderr}");
    }
    for name in ["fd_error", "vanishing_gradient", "sigmoid_precision"] {
        let file = format!("{name}.svg");
        assert_eq!(
            std::fs::read(a.join(&file)).unwrap(),
            std::fs::read(b.join(&file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn plot_rejects_unknown_maps_non_finite_points_and_a_missing_out() {
    let tmp = TempDir::new("bad");
    let dir = path_arg(&tmp.0);
    let (code, _, stderr) = run(&["plot", "--out", dir, "--map", "relu"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("relu") && stderr.contains("gelu_erf"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["plot", "--out", dir, "--at", "inf"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("finite"), "{stderr}");
    let (code, _, stderr) = run(&["plot"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
    assert!(!tmp.0.exists(), "nothing is written on a usage error");
}
