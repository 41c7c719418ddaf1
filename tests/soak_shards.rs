//! The soak run cut into shards, so that a long soak spreads over CI machines with
//! `cargo nextest run --partition`:
//!
//! ```sh
//! # on each of 4 machines, k = 1..4: 64 shards × 48 maps × 326 cases ≈ a million in all
//! JACOBIAN_ORACLE_SOAK_CASES=326 cargo nextest run --release --test soak_shards \
//!     --partition count:k/4
//! ```
//!
//! Shard `s` of [`SHARDS`] checks every catalogue map on `JACOBIAN_ORACLE_SOAK_CASES` cases
//! (default 16: the default test run stays fast) drawn from seed `SEED + s`
//! (`JACOBIAN_ORACLE_SOAK_SEED`, default the report's), and fails on any false alarm or
//! panic, printing the first incident shrunk.

use jacobian_oracle::suite::DEFAULT_SEED;
use jacobian_oracle::suite::catalogue;
use jacobian_oracle::suite::soak::{SoakConfig, soak_entries};

/// How many shard tests there are.
const SHARDS: u64 = 64;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a non-negative integer, not {v:?}"))
        })
        .unwrap_or(default)
}

fn shard(s: u64) {
    assert!(s < SHARDS);
    let entries = catalogue();
    let per_map = env_u64("JACOBIAN_ORACLE_SOAK_CASES", 16);
    let seed = env_u64("JACOBIAN_ORACLE_SOAK_SEED", DEFAULT_SEED).wrapping_add(s);
    let config = SoakConfig {
        cases: per_map * entries.len() as u64,
        seed,
        threads: 1,
        ..SoakConfig::default()
    };
    let report = soak_entries(&config, &entries, |_| {});
    assert_eq!(report.cases, config.cases);
    if let Some(i) = report.maps.iter().find_map(|m| m.first_incident.as_ref()) {
        panic!(
            "shard {s} (seed {seed}): {} false alarms, {} panics; first: {} ({}) at {:?}\n{}",
            report.false_alarms(),
            report.panics(),
            i.map,
            i.kind,
            i.case,
            i.message
        );
    }
    println!(
        "shard {s} (seed {seed}): {} cases clean, {:.0} cases/s",
        report.cases,
        report.cases_per_second()
    );
}

macro_rules! shards {
    ($($name:ident = $s:expr),* $(,)?) => {
        $(#[test] fn $name() { shard($s); })*
    };
}

shards! {
    shard_00 = 0, shard_01 = 1, shard_02 = 2, shard_03 = 3, shard_04 = 4, shard_05 = 5,
    shard_06 = 6, shard_07 = 7, shard_08 = 8, shard_09 = 9, shard_10 = 10, shard_11 = 11,
    shard_12 = 12, shard_13 = 13, shard_14 = 14, shard_15 = 15, shard_16 = 16, shard_17 = 17,
    shard_18 = 18, shard_19 = 19, shard_20 = 20, shard_21 = 21, shard_22 = 22, shard_23 = 23,
    shard_24 = 24, shard_25 = 25, shard_26 = 26, shard_27 = 27, shard_28 = 28, shard_29 = 29,
    shard_30 = 30, shard_31 = 31, shard_32 = 32, shard_33 = 33, shard_34 = 34, shard_35 = 35,
    shard_36 = 36, shard_37 = 37, shard_38 = 38, shard_39 = 39, shard_40 = 40, shard_41 = 41,
    shard_42 = 42, shard_43 = 43, shard_44 = 44, shard_45 = 45, shard_46 = 46, shard_47 = 47,
    shard_48 = 48, shard_49 = 49, shard_50 = 50, shard_51 = 51, shard_52 = 52, shard_53 = 53,
    shard_54 = 54, shard_55 = 55, shard_56 = 56, shard_57 = 57, shard_58 = 58, shard_59 = 59,
    shard_60 = 60, shard_61 = 61, shard_62 = 62, shard_63 = 63,
}
