//! How a failed call is reported: the error the host sees for a trap or a limit.
//!
//! - memory: a call that fails after the store's limiter refused growth
//!   ([`crate::limits`]) reports the `memory` limit;
//! - time: the epoch deadline set before each call ([`crate::engine`]) traps with
//!   [`Trap::Interrupt`], and a host call that reaches the call's deadline (a sleep, a
//!   fetch, WASI `poll_oneoff`) traps with [`LimitReached`]; both report the `time` limit;
//! - fuel: [`Trap::OutOfFuel`], reported as the `fuel` limit;
//! - an import refusing an argument over a limit (the message size) traps with
//!   [`LimitReached`], reported as that limit;
//! - a host service that refused (a fetch outside the grants) traps with [`HostRefused`],
//!   reported as the service's error.
//!
//! Any other trap is an `exec` error. After any failure of these kinds the instance is
//! discarded and a fresh one is made on the next call.

use interop_protocol::PluginError;
use interop_sandbox::Policy;
use wasmtime::Trap;
use wasmtime_wasi::I32Exit;

/// What an import traps with when a limit ends the call.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct LimitReached {
    /// The limit's name (`time`, `message_size`).
    pub limit: &'static str,
    /// What reached it: for `time`, the host call that was waiting.
    pub message: String,
}

impl LimitReached {
    /// The call's deadline came while `during` (`ft_sleep_ms`, `WASI poll_oneoff`) waited.
    pub fn deadline(during: impl Into<String>) -> Self {
        LimitReached {
            limit: "time",
            message: during.into(),
        }
    }

    /// `import` was handed `len` bytes, over the policy's message limit of `max`.
    pub fn message_size(import: &str, len: u64, max: u64) -> Self {
        LimitReached {
            limit: "message_size",
            message: format!("{import} was given {len} bytes, over the {max}-byte message limit"),
        }
    }
}

/// What an import traps with when a host service refused or failed and the call ends
/// with the service's own error (an Extism `http_request` outside the grants stays
/// `denied`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct HostRefused(pub PluginError);

/// Turns the failure of `what` (``action `greet` ``, `` `_initialize` ``...) into the
/// error the host sees; `refused` is why the limiter refused growth during the call.
pub(crate) fn classify(
    err: &wasmtime::Error,
    what: &str,
    policy: &Policy,
    refused: Option<&str>,
) -> PluginError {
    let time_limit = |during: Option<&str>| {
        let during = during.map(|d| format!(" (in {d})")).unwrap_or_default();
        PluginError::limit(
            "time",
            format!(
                "{what} ran past the time limit of {} ms and was stopped{during}",
                policy.timeout.as_millis()
            ),
        )
    };
    let error = if let Some(HostRefused(refused)) = err.downcast_ref::<HostRefused>() {
        PluginError {
            message: format!("{what}: {}", refused.message),
            ..refused.clone()
        }
    } else if let Some(reached) = err.downcast_ref::<LimitReached>() {
        match reached.limit {
            "time" => time_limit(Some(&reached.message)),
            limit => PluginError::limit(limit, format!("{what}: {}", reached.message)),
        }
    } else {
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => time_limit(None),
            Some(Trap::OutOfFuel) => PluginError::limit(
                "fuel",
                format!(
                    "{what} used up its fuel ({} units) and was stopped",
                    policy.fuel.unwrap_or(0)
                ),
            ),
            _ => match (refused, err.downcast_ref::<I32Exit>()) {
                (Some(why), _) => PluginError::limit(
                    "memory",
                    format!(
                        "{what} hit the memory limit: {why}; it failed: {}",
                        root_message(err)
                    ),
                ),
                (None, Some(exit)) => PluginError::exec(format!(
                    "{what} called proc_exit({}); a plugin module must not exit",
                    exit.0
                )),
                (None, None) => PluginError::exec(format!("{what} trapped: {}", root_message(err))),
            },
        }
    };
    error.in_plugin(&policy.plugin)
}

fn root_message(err: &wasmtime::Error) -> String {
    // The chain is "error while executing at wasm backtrace: ..." around the cause; the
    // cause (a trap, or the message of a failed import) is what a person needs.
    match err.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    }
}

/// The first line of a wasmtime error with its causes (`{e:#}`), for messages that name
/// the problem without wasmtime's backtrace.
pub(crate) fn first_line(e: &wasmtime::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
