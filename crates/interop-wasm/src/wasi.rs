//! WASI for plugins (preview 1 for core modules, 0.2 for components), limited to what
//! the policy grants.
//!
//! - preopens: only the policy's filesystem roots that are directories, read-only unless
//!   the grant allows writing; a root appears to the guest under its guest path when one
//!   is given (a manifest's `guestPath`, `interop run --dir HOST::GUEST`), else under its
//!   name relative to the plugin directory (`data`) when inside it, else under its
//!   absolute path;
//! - environment: only the granted variable names that are set;
//! - arguments: none for plugins (`interop run` passes its own);
//! - stdout and stderr: captured line by line into the plugin's log (info and warn, see
//!   [`crate::stdio`]);
//! - the monotonic clock: [`GuestClock`], which `poll_oneoff` reads deadlines against.
//!
//! What the policy grants is worked out once per plugin ([`WasiTemplate`]: which roots
//! are directories and under which names the guest sees them, which variables are set);
//! each instance's context is then built from that list. Path checks of preopens are wasmtime-wasi's (capability-based, no `..` above a
//! preopen); the same roots are enforced for `ft_host_call` by the sandbox.

use std::path::PathBuf;

use interop_sandbox::{HostServices, LogLevel, Policy};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder};

use crate::clock::GuestClock;
use crate::stdio::CapturedOutput;

/// What a plugin's WASI contexts are made of, worked out from its policy once.
pub(crate) struct WasiTemplate {
    /// Host directory, the name the guest sees it under, and its permissions.
    preopens: Vec<(PathBuf, String, FsPerms)>,
    /// Granted variables that are set, with their values when the plugin was loaded.
    env: Vec<(String, String)>,
}

impl WasiTemplate {
    /// The preopens and variables `policy` grants.
    pub fn new(policy: &Policy) -> Self {
        let mut preopens = Vec::new();
        for root in &policy.fs {
            if !root.read || !root.path.is_dir() {
                // WASI cannot preopen a single file or a write-only directory; the host
                // API (`ft_host_call`) still serves such grants.
                continue;
            }
            let relative = root.path.strip_prefix(&policy.base_dir);
            let guest = match (policy.guest_name(&root.path), relative) {
                (Some(guest), _) => guest,
                (None, Ok(rel)) if !rel.as_os_str().is_empty() => {
                    rel.to_string_lossy().into_owned()
                }
                (None, Ok(_)) => ".".to_owned(),
                (None, Err(_)) => root.path.to_string_lossy().into_owned(),
            };
            let perms = if root.write {
                FsPerms::ReadWrite
            } else {
                FsPerms::ReadOnly
            };
            preopens.push((root.path.clone(), guest, perms));
        }
        let env = policy
            .env
            .iter()
            .filter_map(|name| Some((name.clone(), std::env::var(name).ok()?)))
            .collect();
        WasiTemplate { preopens, env }
    }

    /// Also sets the variables `env` (names and values given by the embedder, such as
    /// `interop run --env K=V`), over any granted variable of the same name.
    pub fn with_env(mut self, env: &[(String, String)]) -> Self {
        self.env
            .retain(|(name, _)| env.iter().all(|(n, _)| n != name));
        self.env.extend(env.iter().cloned());
        self
    }

    /// A builder with the granted preopens and variables.
    fn builder(&self, policy: &Policy) -> WasiCtxBuilder {
        let mut builder = WasiCtxBuilder::new();
        builder.allow_blocking_current_thread(true);
        // The clock `poll_oneoff` reads absolute deadlines against (see `poll`).
        builder.monotonic_clock(GuestClock);
        for (path, guest, perms) in &self.preopens {
            if let Err(e) = builder.preopened_dir(path, guest, *perms) {
                tracing::warn!(target: "interop::wasm", plugin = %policy.plugin, root = %path.display(), "cannot preopen a granted directory: {e:#}");
            }
        }
        builder.envs(&self.env);
        builder
    }

    /// The WASI context of one instance of the plugin `services` serve, and its captured
    /// output.
    pub fn plugin_ctx(&self, services: &HostServices) -> (WasiP1Ctx, CapturedOutput) {
        let (mut builder, stdio) = self.captured(services);
        (builder.build_p1(), stdio)
    }

    /// The WASI 0.2 context of one instance of the component plugin `services` serve,
    /// and its captured output. Sockets are off: a component reaches the network only
    /// through the host API's `fetch`, under the plugin's network grants.
    pub fn component_ctx(&self, services: &HostServices) -> (WasiCtx, CapturedOutput) {
        let (mut builder, stdio) = self.captured(services);
        builder
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        (builder.build(), stdio)
    }

    /// A builder with the granted preopens and variables, its stdout and stderr going to
    /// the plugin's log.
    fn captured(&self, services: &HostServices) -> (WasiCtxBuilder, CapturedOutput) {
        let mut builder = self.builder(services.policy());
        let stdio = CapturedOutput::new(services.clone());
        builder.stdout(stdio.stream(LogLevel::Info));
        builder.stderr(stdio.stream(LogLevel::Warn));
        (builder, stdio)
    }
}

/// The WASI context of a command module run by `interop run` from `template` (the
/// policy's grants and the given variables): the given arguments, and the process's own
/// stdin/stdout/stderr.
pub(crate) fn command_ctx(
    template: &WasiTemplate,
    services: &HostServices,
    args: &[String],
) -> WasiP1Ctx {
    let mut builder = template.builder(services.policy());
    builder.args(args).inherit_stdio();
    builder.build_p1()
}
