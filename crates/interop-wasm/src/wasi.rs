//! WASI preview 1 for plugins, limited to what the policy grants.
//!
//! - preopens: only the policy's filesystem roots that are directories, read-only unless
//!   the grant allows writing; a root inside the plugin directory appears to the guest
//!   under its relative name (`data`), any other under its absolute path;
//! - environment: only the granted variable names that are set;
//! - arguments: none for plugins (`interop run` passes its own);
//! - stdout and stderr: captured line by line into the plugin's log (info and warn, see
//!   [`crate::stdio`]);
//! - the monotonic clock: [`GuestClock`], which `poll_oneoff` reads deadlines against.
//!
//! Path checks of preopens are wasmtime-wasi's (capability-based, no `..` above a
//! preopen); the same roots are enforced for `ft_host_call` by the sandbox.

use interop_sandbox::{HostServices, LogLevel};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::clock::GuestClock;
use crate::stdio::CapturedOutput;

/// The WASI context of a plugin under its policy, and its captured output.
pub(crate) fn plugin_ctx(services: &HostServices) -> (WasiP1Ctx, CapturedOutput) {
    let mut builder = granted(services);
    let stdio = CapturedOutput::new(services.clone());
    builder.stdout(stdio.stream(LogLevel::Info));
    builder.stderr(stdio.stream(LogLevel::Warn));
    (builder.build_p1(), stdio)
}

/// The WASI context of a command module run by `interop run`: the policy's grants, the
/// given arguments, and the process's own stdin/stdout/stderr.
pub(crate) fn command_ctx(services: &HostServices, args: &[String]) -> WasiP1Ctx {
    let mut builder = granted(services);
    builder.args(args).inherit_stdio();
    builder.build_p1()
}

/// A builder with the preopens and environment variables the policy grants.
fn granted(services: &HostServices) -> WasiCtxBuilder {
    let policy = services.policy();
    let mut builder = WasiCtxBuilder::new();
    builder.allow_blocking_current_thread(true);
    // The clock `poll_oneoff` reads absolute deadlines against (see `poll`).
    builder.monotonic_clock(GuestClock);
    for root in &policy.fs {
        if !root.read || !root.path.is_dir() {
            // WASI cannot preopen a single file or a write-only directory; the host API
            // (`ft_host_call`) still serves such grants.
            continue;
        }
        let guest = match root.path.strip_prefix(&policy.base_dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
            Ok(_) => ".".to_owned(),
            Err(_) => root.path.to_string_lossy().into_owned(),
        };
        let perms = if root.write {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        if let Err(e) = builder.preopened_dir(&root.path, &guest, perms) {
            tracing::warn!(target: "interop::wasm", plugin = %policy.plugin, root = %root.path.display(), "cannot preopen a granted directory: {e:#}");
        }
    }
    for name in &policy.env {
        if let Ok(value) = std::env::var(name) {
            builder.env(name, value);
        }
    }
    builder
}
