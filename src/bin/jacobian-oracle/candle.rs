//! `candle`: the sweep of candle's differentiable ops (feature `candle`).

use std::io::Write;

#[cfg(feature = "candle")]
use crate::style;

/// The sweep's options.
#[derive(Debug, clap::Args)]
pub struct CandleArgs {
    /// Only these ops (all of them if none is named), e.g. `conv2d max_pool2d`.
    pub ops: Vec<String>,
    /// Cases per op (each op stops at its first failure, then shrinks it).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub cases: u64,
    /// Seed of the search: the same seed gives the same cases.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print each failure's paste-ready reproduction (a `#[test]`).
    #[arg(long)]
    pub reproduce: bool,
    /// Print JSON Lines: one object per op, then a summary object (last line).
    #[arg(long)]
    pub json: bool,
}

#[cfg(not(feature = "candle"))]
pub fn run(_out: &mut impl Write, _a: &CandleArgs) -> std::io::Result<bool> {
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "this binary was built without the `candle` feature: \
         cargo run --release --features candle -- candle",
    ))
}

/// Runs the sweep; `Ok(false)` when an op fails or errs that is not a known upstream bug.
#[cfg(feature = "candle")]
pub fn run(out: &mut impl Write, a: &CandleArgs) -> std::io::Result<bool> {
    use jacobian_oracle::Oracle;
    use jacobian_oracle::candle::sweep::{SweepConfig, Verdict, ops};

    let all = ops();
    let listing = format!(
        "the ops: {}",
        all.iter().map(|op| op.name).collect::<Vec<_>>().join(", ")
    );
    let chosen = crate::report::select_by(all, &a.ops, "candle op", &listing, |op| op.name)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let config = SweepConfig {
        cases: usize::try_from(a.cases).unwrap_or(usize::MAX),
        seed: a.seed,
        ..SweepConfig::default()
    };
    let oracle = Oracle::default();
    let bar = style::progress(chosen.len() as u64, "candle", a.json);
    if !a.json {
        writeln!(
            out,
            "jacobian-oracle candle — candle's gradients (backward()) of {} ops against finite \
             differences along {} signed random cotangents; up to {} cases per op, seed {}\n",
            chosen.len(),
            jacobian_oracle::candle::COTANGENTS,
            config.cases,
            config.seed
        )?;
    }
    let width = chosen.iter().map(|op| op.name.len()).max().unwrap_or(2);
    let (mut ok, mut counts) = (true, [0usize; 5]);
    let started = std::time::Instant::now();
    for op in &chosen {
        bar.set_message(op.name);
        let r = op.run(&oracle, &config);
        bar.inc(1);
        // A known upstream bug fails as expected; only a new failure fails the run.
        let bad = matches!(r.verdict, Verdict::Fail | Verdict::Error);
        ok &= !bad || op.known_upstream_bug.is_some();
        counts[r.verdict as usize] += 1;
        let text = if a.json {
            json_line(op, &r)
        } else {
            text_lines(op, &r, width, a.reproduce)
        };
        bar.suspend(|| writeln!(out, "{text}"))?;
    }
    bar.finish_and_clear();
    let summary = Summary {
        ops: chosen.len(),
        counts,
        config: &config,
        seconds: started.elapsed().as_secs_f64(),
        ok,
    };
    writeln!(out, "{}", summary.render(a.json))?;
    Ok(ok)
}

/// One op's JSON line.
#[cfg(feature = "candle")]
fn json_line(
    op: &jacobian_oracle::candle::sweep::SweepOp,
    r: &jacobian_oracle::candle::sweep::OpReport,
) -> String {
    serde_json::json!({
        "kind": "candle",
        "op": r.op,
        "family": r.family,
        "verdict": r.verdict.as_str(),
        "cases": r.cases,
        "passed": r.passed,
        "unsupported": r.unsupported,
        "cannot_judge": r.cannot_judge,
        "searched": op.searched,
        "known_upstream_bug": op.known_upstream_bug,
        "unsupported_message": r.unsupported_message,
        "minimal": r.minimal.as_ref().map(|m| serde_json::json!({
            "case": m.params,
            "report": m.report,
            "reproduction": m.reproduction,
            "shrink_steps": m.shrink_steps,
        })),
        "seconds": r.seconds,
    })
    .to_string()
}

/// One op's row of the table, and under it its minimal failing case (with its reproduction
/// when asked).
#[cfg(feature = "candle")]
fn text_lines(
    op: &jacobian_oracle::candle::sweep::SweepOp,
    r: &jacobian_oracle::candle::sweep::OpReport,
    width: usize,
    reproduce: bool,
) -> String {
    use jacobian_oracle::candle::sweep::Verdict;

    let bad = matches!(r.verdict, Verdict::Fail | Verdict::Error);
    let mut text = format!(
        "{:<width$} {} {:>4} cases",
        r.op,
        style::verdict(r.verdict.as_str(), !bad, 12),
        r.cases
    );
    if r.unsupported > 0 {
        text += &format!(", {} unsupported by candle's backward", r.unsupported);
    }
    if r.cannot_judge > 0 {
        text += &format!(", {} not judged", r.cannot_judge);
    }
    text += &format!(" ({:.2} s)", r.seconds);
    if let Some(m) = &r.minimal {
        let mut detail = format!("    minimal case {}", m.params);
        if let Some(note) = op.known_upstream_bug {
            detail += &format!("\n    known upstream bug: {note}");
        }
        let report: String = m.report.lines().map(|l| format!("    | {l}\n")).collect();
        detail += &format!("\n{report}");
        if reproduce && !m.reproduction.is_empty() {
            detail += &format!("{}\n", m.reproduction);
        }
        text += &format!("\n{}", style::quiet(&detail));
    }
    text
}

/// The sweep's totals.
#[cfg(feature = "candle")]
struct Summary<'a> {
    ops: usize,
    /// Ops per verdict, in `Verdict`'s order.
    counts: [usize; 5],
    config: &'a jacobian_oracle::candle::sweep::SweepConfig,
    seconds: f64,
    ok: bool,
}

#[cfg(feature = "candle")]
impl Summary<'_> {
    /// The summary's JSON line, or its sentence under the table.
    fn render(&self, json: bool) -> String {
        let [pass, fail, error, unsupported, cannot_judge] = self.counts;
        if json {
            return serde_json::json!({
                "kind": "candle_summary",
                "ops": self.ops,
                "pass": pass,
                "fail": fail,
                "error": error,
                "unsupported": unsupported,
                "cannot_judge": cannot_judge,
                "seed": self.config.seed,
                "cases_per_op": self.config.cases,
                "seconds": self.seconds,
                "ok": self.ok,
            })
            .to_string();
        }
        let known = if self.ok && fail + error > 0 {
            "; every failure is a known upstream bug"
        } else {
            ""
        };
        format!(
            "\n{} ops: {pass} pass, {fail} fail, {error} error, {unsupported} unsupported, \
             {cannot_judge} cannot judge ({:.1} s){known}",
            self.ops, self.seconds
        )
    }
}
