//! The report (catalogue and mutants), `check` (chosen maps), `mutants` and `list`.

use std::io::Write;

use jacobian_oracle::strategy::Regime;
use jacobian_oracle::suite::{
    Entry, MapReport, MutantReport, SuiteConfig, catalogue, mutants, run_map, run_mutant,
};
use serde_json::json;

use crate::style;

/// Options of every suite run.
#[derive(Debug, Clone, clap::Args)]
pub struct SuiteArgs {
    /// Random cases per catalogue map (and the most a mutant may take to be caught).
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: u32,
    /// Seed of the random inputs: the same seed gives the same report.
    #[arg(long, default_value_t = jacobian_oracle::suite::DEFAULT_SEED)]
    pub seed: u64,
    /// Largest number of rows and columns of W.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_dim: u64,
    /// Print JSON Lines (one object per map or mutant) instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl SuiteArgs {
    fn config(&self) -> SuiteConfig {
        SuiteConfig {
            cases: self.cases,
            seed: self.seed,
            max_dim: usize::try_from(self.max_dim).unwrap_or(8),
        }
    }
}

/// Entries whose names are given (all if none), or an error naming the unknown ones.
pub fn select(all: Vec<Entry>, names: &[String], what: &str) -> Result<Vec<Entry>, String> {
    select_by(
        all,
        names,
        what,
        "`jacobian-oracle list` shows them all",
        |e| e.name,
    )
}

/// Items whose names (`name_of`) are given (all if none), or an error naming the unknown
/// ones and where to find the names (`listing`).
pub fn select_by<T>(
    all: Vec<T>,
    names: &[String],
    what: &str,
    listing: &str,
    name_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>, String> {
    if names.is_empty() {
        return Ok(all);
    }
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !all.iter().any(|e| name_of(e) == n.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "no {what} named {} ({listing})",
            unknown
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(all
        .into_iter()
        .filter(|e| names.iter().any(|n| n == name_of(e)))
        .collect())
}

fn widths(maps: &[Entry], muts: &[Entry]) -> Widths {
    Widths {
        map: maps
            .iter()
            .map(|e| e.name.chars().count())
            .max()
            .unwrap_or(3),
        mutant: muts
            .iter()
            .map(|e| e.name.chars().count())
            .max()
            .unwrap_or(6),
        formula: muts
            .iter()
            .map(|e| e.formula.chars().count())
            .max()
            .unwrap_or(13)
            .max(13),
    }
}

const LEGEND: &str =
    "  worst rel: largest relative analytic-vs-dual error over well-conditioned entries;
  err/tol: largest error as a fraction of its tolerance (< 1 passes); fd/est: largest
  dual-vs-finite-difference gap in units of its error estimate (agrees below 4;
  above, the witness escalates to other steps and measures the noise of f);
  prec.loss: entries accepted with a precision-loss note (z(1−z) in saturation);
  kinks: entries at non-smooth points where the analytic value takes the dual's branch
  (passed with a note); n/j: cases that could not be judged (non-smooth points where
  it takes the other branch; skipped, not failed).";

/// Checks `maps` and runs `muts`, printing both tables (or JSON Lines); `Ok(false)` when a
/// map failed or a mutant was missed.
pub fn run(
    out: &mut impl Write,
    args: &SuiteArgs,
    maps: Vec<Entry>,
    muts: Vec<Entry>,
) -> std::io::Result<bool> {
    let config = args.config();
    let width = widths(&maps, &muts);
    let bar = style::progress((maps.len() + muts.len()) as u64, "checking", args.json);
    let mut ok = true;
    let mut reports = Vec::new();
    if !maps.is_empty() {
        if !args.json {
            writeln!(
                out,
                "jacobian-oracle report — seed {:#x}, {} cases per map, shapes 1×1 to {}×{}\n",
                config.seed, config.cases, config.max_dim, config.max_dim
            )?;
            writeln!(
                out,
                "{:<w$} {:>5} {:>7} {:>11} {:>9} {:>9} {:>10} {:>6} {:>5}  verdict",
                "map",
                "cases",
                "shapes",
                "worst rel",
                "err/tol",
                "fd/est",
                "prec.loss",
                "kinks",
                "n/j",
                w = width.map
            )?;
        }
        for e in &maps {
            bar.set_message(e.name);
            let r = run_map(e, &config);
            ok &= r.passed();
            bar.suspend(|| print_map(out, &r, args.json, &width))?;
            bar.inc(1);
            reports.push(r);
        }
        if !args.json {
            writeln!(out, "\n{}", style::quiet(LEGEND))?;
        }
    }
    if !muts.is_empty() {
        if !args.json {
            if !maps.is_empty() {
                writeln!(out)?;
            }
            writeln!(
                out,
                "{:<wm$} {:<wf$} {:>5}  {:<7} {:>7} {:>8}  minimal counterexample",
                "mutant",
                "wrong formula",
                "cases",
                "verdict",
                "shape",
                "expected",
                wm = width.mutant,
                wf = width.formula
            )?;
        }
        for e in &muts {
            bar.set_message(e.name);
            let r = run_mutant(e, &config);
            ok &= r.caught();
            bar.suspend(|| print_mutant(out, &r, args.json, &width))?;
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if !args.json {
        let secs: f64 = reports.iter().map(|m| m.seconds).sum();
        let what = match (maps.is_empty(), muts.is_empty()) {
            (false, false) => (
                "every map passes and every mutant is caught",
                "a map failed or a mutant was missed",
            ),
            (false, true) => ("every map passes", "a map failed"),
            _ => ("every mutant is caught", "a mutant was missed"),
        };
        let verdict = if ok {
            what.0.to_string()
        } else {
            format!("FAILED: {}", what.1)
        };
        let timing = if maps.is_empty() {
            String::new()
        } else {
            format!(" (catalogue checked in {secs:.2} s)")
        };
        writeln!(out, "\n{}{timing}", style::verdict(&verdict, ok, 0))?;
        for m in reports.iter().filter(|m| !m.passed()) {
            writeln!(
                out,
                "\n{} failed:\n{}",
                m.name,
                m.failure.as_deref().unwrap_or("")
            )?;
        }
    }
    Ok(ok)
}

/// `list`: every map and mutant with its formula.
pub fn list(out: &mut impl Write, json: bool) -> std::io::Result<bool> {
    let (maps, muts) = (catalogue(), mutants());
    if json {
        for (kind, e) in maps
            .iter()
            .map(|e| ("map", e))
            .chain(muts.iter().map(|e| ("mutant", e)))
        {
            let line = json!({
                "map": e.name,
                "kind": kind,
                "formula": e.formula,
                "expected_rows": e.minimal_shape.map(|s| s.0),
                "expected_cols": e.minimal_shape.map(|s| s.1),
            });
            writeln!(out, "{line}")?;
        }
        return Ok(true);
    }
    let w = maps
        .iter()
        .chain(muts.iter())
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(3);
    writeln!(out, "{} catalogue maps:", maps.len())?;
    for e in &maps {
        writeln!(out, "  {:<w$}  {}", e.name, e.formula)?;
    }
    writeln!(out, "\n{} mutants (known-wrong formulas):", muts.len())?;
    for e in &muts {
        writeln!(out, "  {:<w$}  {}", e.name, e.formula)?;
    }
    Ok(true)
}

/// Column widths of the tables (names and formulas vary in length).
pub struct Widths {
    map: usize,
    mutant: usize,
    formula: usize,
}

pub fn print_map(
    out: &mut impl Write,
    r: &MapReport,
    json: bool,
    w: &Widths,
) -> std::io::Result<()> {
    let verdict = if r.passed() { "pass" } else { "fail" };
    let (max_rows, max_cols) = r
        .shapes
        .iter()
        .fold((0, 0), |(a, b), &(m, n)| (a.max(m), b.max(n)));
    if json {
        let regimes: serde_json::Map<String, serde_json::Value> = Regime::ALL
            .iter()
            .zip(r.regimes)
            .map(|(g, k)| (g.name().to_string(), json!(k)))
            .collect();
        let line = json!({
            "map": r.name,
            "kind": "map",
            "formula": r.formula,
            "cases": r.cases,
            "verdict": verdict,
            "shapes": r.shapes.len(),
            "max_rows": max_rows,
            "max_cols": max_cols,
            "regimes": regimes,
            "worst_rel_error": r.worst_rel_error,
            "worst_tolerance_ratio": r.worst_tolerance_ratio,
            "worst_fd_ratio": r.worst_fd_ratio,
            "precision_loss_entries": r.precision_loss_entries,
            "non_smooth_entries": r.non_smooth_entries,
            "cannot_judge": r.cannot_judge,
            "failure": r.failure,
        });
        writeln!(out, "{line}")
    } else {
        writeln!(
            out,
            "{:<wm$} {:>5} {:>7} {:>11.2e} {:>9.3} {:>9.3} {:>10} {:>6} {:>5}  {}",
            r.name,
            r.cases,
            format!("{}≤{}×{}", r.shapes.len(), max_rows, max_cols),
            r.worst_rel_error,
            r.worst_tolerance_ratio,
            r.worst_fd_ratio,
            r.precision_loss_entries,
            r.non_smooth_entries,
            r.cannot_judge,
            style::verdict(verdict, r.passed(), 0),
            wm = w.map
        )
    }
}

pub fn print_mutant(
    out: &mut impl Write,
    r: &MutantReport,
    json: bool,
    w: &Widths,
) -> std::io::Result<()> {
    let verdict = if r.caught() { "caught" } else { "missed" };
    let shape = r.minimal_shape();
    if json {
        let line = json!({
            "map": r.name,
            "kind": "mutant",
            "formula": r.formula,
            "cases": r.cases,
            "verdict": verdict,
            "rows": shape.map(|s| s.0),
            "cols": shape.map(|s| s.1),
            "expected_rows": r.expected_shape.0,
            "expected_cols": r.expected_shape.1,
            "caught_by": r.caught_by,
            "counterexample": r.minimal.as_ref().map(|c| format!("{c:?}")),
        });
        writeln!(out, "{line}")
    } else {
        let shape_s = shape.map_or("-".to_string(), |(m, n)| format!("{m}×{n}"));
        let expected = format!("{}×{}", r.expected_shape.0, r.expected_shape.1);
        let example = r.minimal.as_ref().map_or("-".to_string(), |c| {
            format!("W = {}, x = {}", rows(&c.w), cols(&c.x))
        });
        writeln!(
            out,
            "{:<wm$} {:<wf$} {:>5}  {} {:>7} {:>8}  {}",
            r.name,
            r.formula,
            r.cases,
            style::verdict(verdict, r.caught(), 7),
            shape_s,
            expected,
            example,
            wm = w.mutant,
            wf = w.formula
        )
    }
}

fn rows(w: &nalgebra::DMatrix<f64>) -> String {
    let rs: Vec<String> = w
        .row_iter()
        .map(|r| {
            let v: Vec<String> = r.iter().map(|x| format!("{x}")).collect();
            v.join(" ")
        })
        .collect();
    format!("[{}]", rs.join("; "))
}

fn cols(x: &nalgebra::DVector<f64>) -> String {
    let v: Vec<String> = x.iter().map(|x| format!("{x}")).collect();
    format!("[{}]", v.join(", "))
}
