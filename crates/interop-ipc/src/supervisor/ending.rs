//! How a failed plugin process ended, and what the supervisor does next, as the user
//! reads it in the error of the call that failed with it.

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

use interop_protocol::PluginError;
use serde_json::{Map, Value};

use crate::rpc::{CallError, Disconnect};

/// What the supervisor does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// The next call starts a new process, not before this delay.
    Restart(Duration),
    /// The plugin failed this many times in a row: it is not restarted any more.
    GiveUp(u32),
}

/// The end of a plugin process (or connection) that failed.
#[derive(Debug, Clone)]
pub(super) struct Ending {
    /// The exit status, when the process had exited on its own.
    pub(super) status: Option<ExitStatus>,
    /// The last lines of its output (stderr, and stdout for socket plugins).
    pub(super) output: Vec<String>,
    /// What happens next.
    pub(super) next: Option<Next>,
}

/// What interpreters and runtimes print when an allocation fails (Python's
/// `MemoryError`, V8's "heap out of memory", glibc's `ENOMEM` text, C++'s `bad_alloc`,
/// Rust's "memory allocation of N bytes failed").
const OUT_OF_MEMORY: &[&str] = &[
    "MemoryError",
    "out of memory",
    "Out of memory",
    "Cannot allocate memory",
    "bad_alloc",
    "memory allocation of",
    "Allocation failed",
];

impl Ending {
    /// The limit the process died of, when its end shows one: killed by `SIGXCPU` is
    /// its CPU time (`RLIMIT_CPU`; the keeper reports a plugin killed at the hard limit
    /// the same way); a failed allocation in its last output is its memory
    /// (`RLIMIT_DATA`, `memory` bytes: allocations fail there rather than a signal).
    pub(super) fn limit(&self, method: &str, memory: u64) -> Option<PluginError> {
        let status = self.status.filter(|s| !s.success())?;
        if status.signal() == Some(libc::SIGXCPU) {
            return Some(PluginError::limit(
                "cpu",
                format!("`{method}` failed: the plugin process used up its CPU time"),
            ));
        }
        let out_of_memory = self
            .output
            .iter()
            .any(|line| OUT_OF_MEMORY.iter().any(|m| line.contains(m)));
        out_of_memory.then(|| {
            PluginError::limit(
                "memory",
                format!(
                    "`{method}` failed: the plugin process ran out of memory (limit {} MiB)",
                    memory >> 20
                ),
            )
        })
    }

    /// `err` completed with how the process ended: its exit status and its last output in
    /// the message and in `data` (`status`, `stderr`), beside what `data` already holds (a
    /// limit's name). What happens next is in `data.next`; the message says it only when
    /// the supervisor gave up: a restart on the next call is the normal course, and a
    /// one-shot caller (the CLI) makes no next call to mislead it about.
    pub(super) fn report(&self, mut err: PluginError) -> PluginError {
        let mut data = match err.data.take().map(|d| *d) {
            Some(Value::Object(map)) => map,
            Some(other) => Map::from_iter([("details".to_owned(), other)]),
            None => Map::new(),
        };
        if let Some(status) = &self.status {
            err.message.push_str(&format!("; process {status}"));
            data.insert("status".into(), Value::String(status.to_string()));
        }
        match self.next {
            Some(Next::Restart(delay)) => {
                let next = format!("the next call restarts it (after {} ms)", delay.as_millis());
                data.insert("next".into(), Value::String(next));
            }
            Some(Next::GiveUp(failures)) => {
                let next =
                    format!("it failed {failures} times in a row: it is not restarted any more");
                err.message.push_str(&format!("; {next}"));
                data.insert("next".into(), Value::String(next));
            }
            None => {}
        }
        if !self.output.is_empty() {
            err.message
                .push_str("\nlast output of the plugin process:\n");
            err.message.push_str(&self.output.join("\n"));
            data.insert("stderr".into(), self.output.clone().into());
        }
        if !data.is_empty() {
            err.data = Some(Box::new(Value::Object(data)));
        }
        err
    }
}

/// The error of a call whose connection ended (before [`Ending::report`]).
pub(super) fn disconnect_error(plugin: &str, method: &str, reason: &Disconnect) -> PluginError {
    match reason {
        Disconnect::TooLarge { .. } => {
            CallError::Disconnected(reason.clone()).to_plugin_error(plugin, method)
        }
        Disconnect::Eof => PluginError::exec(format!(
            "`{method}` failed: the plugin process closed its connection (crashed or exited)"
        ))
        .in_plugin(plugin),
        other => PluginError::exec(format!(
            "`{method}` failed: lost the connection to the plugin process ({other})"
        ))
        .in_plugin(plugin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_report_keeps_a_limit_and_adds_status_output_and_next_step() {
        let ending = Ending {
            status: Some(ExitStatus::from_raw(1 << 8)),
            output: vec![
                "Traceback (most recent call last):".into(),
                "MemoryError".into(),
            ],
            next: Some(Next::Restart(Duration::from_millis(50))),
        };
        let err = ending.report(PluginError::limit("memory", "out of memory"));
        assert_eq!(
            err.message,
            "out of memory; process exit status: 1\n\
             last output of the plugin process:\nTraceback (most recent call last):\nMemoryError"
        );
        assert_eq!(err.limit_name(), Some("memory"));
        assert_eq!(
            err.data.as_ref().unwrap()["status"],
            json!("exit status: 1")
        );
        assert_eq!(
            err.data.as_ref().unwrap()["stderr"][1],
            json!("MemoryError")
        );
        assert_eq!(
            err.data.as_ref().unwrap()["next"],
            json!("the next call restarts it (after 50 ms)")
        );
    }
}
