//! `speed`: each check of σ(Wx) against its floor and the peers' times — the reference
//! figures, or the times measured in the same run (`--peers`, from `benches/peers/run.sh`);
//! `--problem-out` writes the problems for the peers.

use std::io::Write;
use std::path::PathBuf;

use jacobian_oracle::speed::{
    Peers, SIZES, SpeedRow, format_side_by_side, format_table, problems_json, table_against,
};
use serde_json::json;

use crate::style;

/// The `speed` command's arguments.
#[derive(Debug, clap::Args)]
pub struct SpeedArgs {
    /// Milliseconds spent on each median (more is steadier).
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub budget_ms: u64,
    /// JSON Lines: one object per row, then one with the peers' source.
    #[arg(long)]
    pub json: bool,
    /// Write the benchmark problems (W row-major and x for n = 16, 64, 256, 1024, every
    /// float exact) as JSON to FILE for the peers (`benches/peers/peers.py`), and exit.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["peers", "json"])]
    pub problem_out: Option<PathBuf>,
    /// Use the peers' times measured in the same run, from the JSON that
    /// `benches/peers/peers.py` prints, instead of the fixed reference figures.
    #[arg(long, value_name = "FILE")]
    pub peers: Option<PathBuf>,
}

impl SpeedArgs {
    /// The defaults, as `speed` alone gives them (the hidden `--speed` flag).
    pub fn with(budget_ms: u64, json: bool) -> Self {
        SpeedArgs {
            budget_ms,
            json,
            problem_out: None,
            peers: None,
        }
    }
}

/// The speed table: text, or JSON Lines with one object per row; or the problem file.
pub fn run(out: &mut impl Write, args: &SpeedArgs) -> std::io::Result<bool> {
    if let Some(path) = &args.problem_out {
        std::fs::write(path, problems_json(&SIZES)).map_err(|e| in_file(e, path))?;
        writeln!(
            out,
            "wrote the problems for n = 16, 64, 256, 1024 to {}",
            path.display()
        )?;
        return Ok(true);
    }
    let peers = match &args.peers {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| in_file(e, path))?;
            Peers::from_json(&text).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", path.display()),
                )
            })?
        }
        None => Peers::reference(),
    };
    let bar = style::progress(SIZES.len() as u64, "speed", args.json);
    let mut rows: Vec<SpeedRow> = Vec::new();
    for n in SIZES {
        bar.set_message(format!("n = {n}"));
        rows.extend(table_against(
            std::time::Duration::from_millis(args.budget_ms),
            &[n],
            &peers.times,
        ));
        bar.inc(1);
    }
    bar.finish_and_clear();
    let source = peers.source_json();
    if args.json {
        for r in &rows {
            let faster: serde_json::Map<String, serde_json::Value> = r
                .faster_than
                .iter()
                .map(|p| (p.name.clone(), json!(p.faster)))
                .collect();
            let peer_ms: serde_json::Map<String, serde_json::Value> = r
                .faster_than
                .iter()
                .map(|p| (p.name.clone(), json!(p.peer_ms)))
                .collect();
            let line = json!({
                "kind": "speed",
                "check": r.check,
                "n": r.n,
                "check_ms": r.check_ms,
                "floor_ms": r.floor_ms,
                "ratio": r.ratio(),
                "faster_than": faster,
                "peer_ms": peer_ms,
                "peer_source": source["source"],
            });
            writeln!(out, "{line}")?;
        }
        let mut last = json!({"kind": "speed_peers"});
        last.as_object_mut()
            .expect("an object")
            .extend(source.as_object().expect("an object").clone());
        writeln!(out, "{last}")?;
    } else {
        writeln!(
            out,
            "time per check of σ(Wx) (n×n, float64), median of repeated runs, against its floor \
             measured here\n(full, f32, vjp: 2n evaluations + one analytic Jacobian; projected \
             k4: one analytic Jacobian + 8 evaluations)\nand against the peers' times per check \
             on the same problem.\n{}\n",
            peers.describe()
        )?;
        write!(out, "{}", format_table(&rows))?;
        let side = format_side_by_side(&rows);
        if !side.is_empty() {
            writeln!(
                out,
                "\nside by side (ms per check; faster = peer / ours):\n"
            )?;
            write!(out, "{side}")?;
        }
    }
    Ok(true)
}

/// An I/O error that names its file.
fn in_file(e: std::io::Error, path: &std::path::Path) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
