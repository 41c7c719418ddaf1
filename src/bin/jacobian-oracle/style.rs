//! Terminal niceties: colours and progress bars, only where a person is watching.
//!
//! Output goes through [`anstream`], which drops the colour codes when stdout is not a
//! terminal, or when `NO_COLOR` is set (`CLICOLOR_FORCE` forces them). Progress bars are drawn
//! on stderr only when it is a terminal, and never in JSON mode.

use std::io::IsTerminal;

use anstyle::{AnsiColor, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const GOOD: Style = AnsiColor::Green.on_default().bold();
const BAD: Style = AnsiColor::Red.on_default().bold();
const QUIET: Style = AnsiColor::BrightBlack.on_default();

/// A verdict word, padded to `width`, green when good and red when bad.
pub fn verdict(word: &str, good: bool, width: usize) -> String {
    let style = if good { GOOD } else { BAD };
    format!("{style}{word:<width$}{style:#}")
}

/// Secondary text (explanations under a table), dimmed.
pub fn quiet(text: &str) -> String {
    format!("{QUIET}{text}{QUIET:#}")
}

/// A progress bar of `len` steps on stderr, or a hidden one when stderr is not a terminal
/// or `hidden` (JSON mode).
pub fn progress(len: u64, what: &str, hidden: bool) -> ProgressBar {
    if hidden || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}, {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}
