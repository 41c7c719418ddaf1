//! The `jacobian-oracle` command line: the report of the catalogue and the mutants (the
//! default), checking chosen maps, running the mutants, the soak run, the speed table and
//! the plots. Exit status 0 when everything asked for passes, 1 when a map fails, a mutant is
//! missed or a soak finds a false alarm, 2 on a usage or I/O error.

mod candle;
mod plot;
mod report;
mod soak;
mod speed;
mod style;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use jacobian_oracle::suite::{catalogue, mutants};

use crate::report::SuiteArgs;

/// Proves hand-written Jacobians right, or shrinks them to the smallest input where they are
/// wrong: the catalogue of PML 1 ch. 13 checked against dual numbers and finite differences,
/// and the classic wrong formulas caught. Without a command: the report.
#[derive(Debug, Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(flatten)]
    suite: SuiteArgs,
    /// The speed table instead of the report (same as the `speed` command).
    #[arg(long, hide = true)]
    speed: bool,
    /// Milliseconds spent on each median of --speed.
    #[arg(long, default_value_t = 400, hide = true, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    speed_budget_ms: u64,
    /// Testing aid: also check a known-wrong formula as if it were a catalogue map, to show
    /// the report fails (exit status 1).
    #[arg(long, hide = true)]
    inject_wrong_map: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check every catalogue map and run every mutant (the default).
    Report(SuiteArgs),
    /// Check the named catalogue maps (`list` shows the names).
    Check {
        /// Map names, e.g. `sigmoid_layer_x softmax`.
        #[arg(required = true)]
        maps: Vec<String>,
        #[command(flatten)]
        suite: SuiteArgs,
    },
    /// Run the named mutants (all of them if none is named) until caught, and show each
    /// minimal counterexample.
    Mutants {
        /// Mutant names, e.g. `transposed_w`.
        names: Vec<String>,
        #[command(flatten)]
        suite: SuiteArgs,
    },
    /// List the catalogue maps and the mutants with their formulas.
    List {
        /// JSON Lines: one object per map or mutant.
        #[arg(long)]
        json: bool,
    },
    /// Check the whole catalogue on many random cases in every regime (saturation, extreme
    /// scales, kinks), counting false alarms and panics; exit status 1 unless both are zero.
    Soak(soak::SoakArgs),
    /// Time each check of σ(Wx) against its floor (n = 16, 64, 256; projections also at 1024)
    /// and against the peers' times (PyTorch gradcheck, JAX check_grads, numdifftools): fixed
    /// reference figures from another machine, or with `--peers FILE` those measured in the
    /// same run (`benches/peers/run.sh` runs both sides).
    Speed(speed::SpeedArgs),
    /// Write three SVG plots into a directory: finite-difference error against step size
    /// (fd_error.svg), the Jacobian norm of deep sigmoid, tanh and ReLU networks
    /// (vanishing_gradient.svg), and the relative error of σ' = z(1 − z) against σ(a)σ(−a)
    /// (sigmoid_precision.svg).
    Plot(plot::PlotArgs),
    /// Sweep candle's differentiable ops (needs `--features candle`): each op searched over
    /// shapes and parameters, its gradients from `backward()` checked against finite
    /// differences along signed random cotangents, a failure shrunk to its smallest case.
    Candle(candle::CandleArgs),
}

fn main() -> ExitCode {
    match try_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // A reader that stops early (`| head`) is not an error of the report.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Runs the command; `Ok(false)` when something it checked failed.
fn try_main() -> std::io::Result<bool> {
    let cli = Cli::parse();
    let mut out = anstream::stdout().lock();
    let usage = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, message);
    let ok = match cli.command {
        None if cli.speed => speed::run(
            &mut out,
            &speed::SpeedArgs::with(cli.speed_budget_ms, cli.suite.json),
        )?,
        None => {
            let mut maps = catalogue();
            if cli.inject_wrong_map {
                maps.extend(mutants().into_iter().filter(|e| e.name == "sign_error"));
            }
            report::run(&mut out, &cli.suite, maps, mutants())?
        }
        Some(Command::Report(suite)) => report::run(&mut out, &suite, catalogue(), mutants())?,
        Some(Command::Check { maps, suite }) => {
            let chosen = report::select(catalogue(), &maps, "catalogue map").map_err(usage)?;
            report::run(&mut out, &suite, chosen, Vec::new())?
        }
        Some(Command::Mutants { names, suite }) => {
            let chosen = report::select(mutants(), &names, "mutant").map_err(usage)?;
            report::run(&mut out, &suite, Vec::new(), chosen)?
        }
        Some(Command::List { json }) => report::list(&mut out, json)?,
        Some(Command::Soak(args)) => soak::run(&mut out, &args)?,
        Some(Command::Speed(args)) => speed::run(&mut out, &args)?,
        Some(Command::Plot(args)) => plot::run(&mut out, &args)?,
        Some(Command::Candle(args)) => candle::run(&mut out, &args)?,
    };
    out.flush()?;
    Ok(ok)
}
