//! How a failed call is reported: the error the host sees for a trap or a limit.
//!
//! - memory: a call that fails after the store's limiter refused growth
//!   ([`crate::limits`]) reports the `memory` limit;
//! - time: the epoch deadline set before each call ([`crate::engine`]) traps with
//!   [`Trap::Interrupt`], reported as the `time` limit;
//! - fuel: [`Trap::OutOfFuel`], reported as the `fuel` limit.
//!
//! Any other trap is an `exec` error. After any failure of these kinds the instance is
//! discarded and a fresh one is made on the next call.

use std::time::Duration;

use interop_protocol::PluginError;
use wasmtime::Trap;
use wasmtime_wasi::I32Exit;

/// What went wrong in a call, for [`classify`].
pub(crate) struct Failure<'a> {
    pub plugin: &'a str,
    /// `action `greet``, `provider `greeting``, `hook `on_reload``...
    pub what: &'a str,
    pub timeout: Duration,
    pub memory_bytes: u64,
    pub fuel: Option<u64>,
    pub refused_memory: Option<usize>,
}

/// Turns a failed call into the error the host sees.
pub(crate) fn classify(err: &wasmtime::Error, f: &Failure<'_>) -> PluginError {
    let plugin = f.plugin;
    let error = match err.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => PluginError::limit(
            "time",
            format!(
                "{} ran past the time limit of {} ms and was stopped",
                f.what,
                f.timeout.as_millis()
            ),
        ),
        Some(Trap::OutOfFuel) => PluginError::limit(
            "fuel",
            format!(
                "{} used up its fuel ({} units) and was stopped",
                f.what,
                f.fuel.unwrap_or(0)
            ),
        ),
        _ if f.refused_memory.is_some() => PluginError::limit(
            "memory",
            format!(
                "{} tried to grow its memory to {} bytes, over the limit of {} bytes ({} MiB), and failed: {}",
                f.what,
                f.refused_memory.unwrap_or(0),
                f.memory_bytes,
                f.memory_bytes / (1024 * 1024),
                root_message(err)
            ),
        ),
        _ => match err.downcast_ref::<I32Exit>() {
            Some(exit) => PluginError::exec(format!(
                "{} called proc_exit({}); a plugin module must not exit",
                f.what, exit.0
            )),
            None => PluginError::exec(format!("{} trapped: {}", f.what, root_message(err))),
        },
    };
    error.in_plugin(plugin)
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
