//! `speed`: each check of σ(Wx) against its floor and the peers' times.

use std::io::Write;

use jacobian_oracle::speed::{SpeedRow, format_table, table};
use serde_json::json;

use crate::style;

/// The speed table: text, or JSON Lines with one object per row.
pub fn run(out: &mut impl Write, json: bool, budget_ms: u64) -> std::io::Result<bool> {
    let sizes = [16, 64, 256, 1024];
    let bar = style::progress(sizes.len() as u64, "speed", json);
    let mut rows: Vec<SpeedRow> = Vec::new();
    for n in sizes {
        bar.set_message(format!("n = {n}"));
        rows.extend(table(std::time::Duration::from_millis(budget_ms), &[n]));
        bar.inc(1);
    }
    bar.finish_and_clear();
    if json {
        for r in &rows {
            let peers: serde_json::Map<String, serde_json::Value> = r
                .faster_than
                .iter()
                .map(|(name, x)| ((*name).to_string(), json!(x)))
                .collect();
            let line = json!({
                "kind": "speed",
                "check": r.check,
                "n": r.n,
                "check_ms": r.check_ms,
                "floor_ms": r.floor_ms,
                "ratio": r.ratio(),
                "faster_than": peers,
            });
            writeln!(out, "{line}")?;
        }
    } else {
        writeln!(
            out,
            "time per check of σ(Wx) (n×n, float64), median of repeated runs, against its floor \
             measured here\n(full, f32, vjp: 2n evaluations + one analytic Jacobian; projected \
             k4: one analytic Jacobian + 8 evaluations)\nand against the peers' times on the \
             reference machine (2 cores)\n"
        )?;
        write!(out, "{}", format_table(&rows))?;
    }
    Ok(true)
}
