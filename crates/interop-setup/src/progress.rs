//! Telling the user what an installation is doing: a spinner on a terminal, plain lines
//! otherwise (CI logs, pipes), so that a download of minutes shows signs of life.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Where progress goes.
pub struct Progress {
    terminal: bool,
}

impl Progress {
    /// A spinner when stderr is a terminal, plain lines on stdout otherwise.
    pub fn auto() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Plain lines only (what xtask and tests want).
    pub fn plain() -> Self {
        Self { terminal: false }
    }

    /// A line that says something, with no step running.
    pub fn say(&self, message: &str) {
        println!("{message}");
    }

    /// Runs `step`, showing `what` while it runs.
    pub fn step<T>(&self, what: &str, step: impl FnOnce() -> T) -> T {
        tracing::info!("{what}");
        if !self.terminal {
            println!("==> {what}");
            return step();
        }
        let spinner = ProgressBar::new_spinner();
        spinner.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        spinner.set_message(what.to_owned());
        spinner.enable_steady_tick(Duration::from_millis(120));
        let result = step();
        spinner.finish_and_clear();
        println!("done: {what}");
        result
    }
}
