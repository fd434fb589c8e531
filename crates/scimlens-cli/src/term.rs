//! Printing to the terminal: the print macros, progress bars and import outcomes. Whatever is
//! printed may carry text from a log, a file name or a workspace someone else made, so it goes
//! through `terminal_safe`: control characters (ESC, OSC, C1, bidirectional overrides) come out
//! as visible escapes, never as terminal commands.

/// `println!` for the terminal, inert.
macro_rules! outln {
    ($($arg:tt)*) => {
        println!("{}", scimlens_core::api::terminal_safe(&format!($($arg)*)))
    };
}

/// `print!` for the terminal, inert.
macro_rules! out {
    ($($arg:tt)*) => {
        print!("{}", scimlens_core::api::terminal_safe(&format!($($arg)*)))
    };
}

/// `eprintln!` for the terminal, inert.
macro_rules! errln {
    ($($arg:tt)*) => {
        eprintln!("{}", scimlens_core::api::terminal_safe(&format!($($arg)*)))
    };
}

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scimlens_core::api::{CancelToken, ImportOutcome};

/// A progress bar of `length` steps (`None`: a spinner) on standard error, drawn only when that
/// is a terminal, so that piped or captured output carries no redraws.
pub fn progress_bar(length: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(length, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// A spinner with a message (a fetch or a pull: its length is not known in advance).
pub fn spinner() -> ProgressBar {
    let bar = progress_bar(None);
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("valid template"));
    bar
}

/// ", N throttled" when any call was throttled, for a progress line.
pub fn throttled(calls: u64) -> String {
    if calls > 0 {
        format!(", {calls} throttled")
    } else {
        String::new()
    }
}

/// Ctrl-C sets `cancel`; the returned task is aborted when the work ends.
pub fn cancel_on_ctrl_c(cancel: &CancelToken) -> tokio::task::JoinHandle<()> {
    let cancel = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    })
}

/// One line per imported (or skipped) file on standard error, with its warnings.
pub fn print_outcomes(outcomes: &[ImportOutcome]) {
    for o in outcomes {
        match o {
            ImportOutcome::Imported {
                path,
                format,
                records,
                warnings,
                ..
            } => {
                errln!("imported {path}: {format}, {records} records");
                for w in warnings {
                    errln!("  warning: {w}");
                }
            }
            ImportOutcome::AlreadyImported {
                path,
                existing_path,
                ..
            } => {
                errln!(
                    "skipped {path}: already imported (same content as {existing_path}); nothing added"
                );
            }
        }
    }
}
