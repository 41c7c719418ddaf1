//! `soak`: the catalogue on many random cases, counting false alarms and panics.

use std::io::Write;

use jacobian_oracle::suite::soak::{SoakConfig, soak};
use serde_json::json;

use crate::style;

/// The soak's options.
#[derive(Debug, clap::Args)]
pub struct SoakArgs {
    /// Total cases, spread evenly over the catalogue maps.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub cases: u64,
    /// Seed of the random inputs: the same seed gives the same counts.
    #[arg(long, default_value_t = jacobian_oracle::suite::DEFAULT_SEED)]
    pub seed: u64,
    /// Largest number of rows and columns of W.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_dim: u64,
    /// Worker threads (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Print JSON Lines: one object per map, then a summary object (last line).
    #[arg(long)]
    pub json: bool,
}

/// Per-map counts, then totals and throughput; `Ok(false)` unless clean.
pub fn run(out: &mut impl Write, a: &SoakArgs) -> std::io::Result<bool> {
    let config = SoakConfig {
        cases: a.cases,
        seed: a.seed,
        max_dim: usize::try_from(a.max_dim).unwrap_or(8),
        threads: a
            .threads
            .and_then(|t| usize::try_from(t).ok())
            .unwrap_or_else(|| SoakConfig::default().threads),
    };
    let bar = style::progress(config.cases, "soak", a.json);
    // Panics are counted and the first of each map is reported with its shrunk case: the
    // default hook's message for every one of them would drown the output.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let report = soak(&config, |done| bar.set_position(done));
    std::panic::set_hook(default_hook);
    bar.finish_and_clear();
    if a.json {
        for m in &report.maps {
            let line = json!({
                "kind": "soak_map",
                "map": m.map,
                "cases": m.cases,
                "cannot_judge": m.cannot_judge,
                "false_alarms": m.false_alarms,
                "panics": m.panics,
                "incident": m.first_incident.as_ref().map(|i| json!({
                    "kind": i.kind,
                    "case": format!("{:?}", i.case),
                    "message": i.message,
                })),
            });
            writeln!(out, "{line}")?;
        }
        let line = json!({
            "kind": "soak",
            "seed": report.seed,
            "cases": report.cases,
            "false_alarms": report.false_alarms(),
            "panics": report.panics(),
            "cannot_judge": report.cannot_judge(),
            "seconds": report.seconds,
            "cases_per_second": report.cases_per_second(),
            "threads": config.threads,
        });
        writeln!(out, "{line}")?;
        return Ok(report.clean());
    }
    let width = report
        .maps
        .iter()
        .map(|m| m.map.chars().count())
        .max()
        .unwrap_or(3);
    writeln!(
        out,
        "jacobian-oracle soak — seed {:#x}, {} cases over {} maps, shapes up to {}×{}, {} \
         threads\n",
        report.seed,
        report.cases,
        report.maps.len(),
        config.max_dim,
        config.max_dim,
        config.threads
    )?;
    writeln!(
        out,
        "{:<width$} {:>9} {:>8} {:>12} {:>7}",
        "map", "cases", "n/j", "false alarms", "panics"
    )?;
    for m in &report.maps {
        let clean = m.false_alarms == 0 && m.panics == 0;
        writeln!(
            out,
            "{:<width$} {:>9} {:>8} {} {}",
            m.map,
            m.cases,
            m.cannot_judge,
            style::verdict(&format!("{:>12}", m.false_alarms), clean, 12),
            style::verdict(&format!("{:>7}", m.panics), clean, 7),
        )?;
    }
    let summary = format!(
        "{} false alarms, {} panics",
        report.false_alarms(),
        report.panics()
    );
    writeln!(
        out,
        "\n{} cases in {:.1} s ({:.0} cases/s): {}, {} cases not judged (non-smooth points)",
        report.cases,
        report.seconds,
        report.cases_per_second(),
        style::verdict(&summary, report.clean(), 0),
        report.cannot_judge()
    )?;
    for i in report.maps.iter().filter_map(|m| m.first_incident.as_ref()) {
        writeln!(
            out,
            "\n{} ({}), minimal case {:?}:\n{}",
            i.map, i.kind, i.case, i.message
        )?;
    }
    Ok(report.clean())
}
