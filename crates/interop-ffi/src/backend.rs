//! [`FfiBackend`]: the [`Backend`] for `protocol: "ffi"`.
//!
//! In-process ([`NativePlugin`]) is the default and the fast path. With `isolated: true`
//! the library runs in a child process instead: the backend rewrites the manifest into a
//! `subprocess` one whose command is the *runner* (the `interop` binary's hidden
//! `ffi-serve` subcommand, which loads the library in-process there and serves it over
//! stdio) and hands it to the subprocess backend it was given. This crate therefore never
//! depends on the IPC backend: whoever has both (the host, the CLI) composes them with
//! [`FfiBackend::with_isolation`].

use std::path::PathBuf;
use std::sync::Arc;

use interop_protocol::{Interop, LoadedManifest, Plugin, PluginError, Protocol, SubprocessInterop};
use interop_sandbox::{Backend, HostServices};

use crate::NativePlugin;

/// The environment variable naming the runner binary for isolated mode (default: the
/// current executable, when it is `interop`).
pub const RUNNER_ENV: &str = "INTEROP_RUNNER";

/// The runner's subcommand that serves one native plugin over stdio.
pub const SERVE_SUBCOMMAND: &str = "ffi-serve";

/// Loads native plugins: in-process, or in a child process when the manifest says
/// `isolated: true` and isolation is configured.
#[derive(Default, Clone)]
pub struct FfiBackend {
    isolation: Option<Isolation>,
}

#[derive(Clone)]
struct Isolation {
    subprocess: Arc<dyn Backend>,
    runner: Option<PathBuf>,
}

impl std::fmt::Debug for FfiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiBackend")
            .field("isolation", &self.isolation.as_ref().map(|i| &i.runner))
            .finish()
    }
}

impl FfiBackend {
    /// A backend that runs every native plugin in-process; `isolated: true` manifests are
    /// refused with an error saying how to enable isolation.
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables isolated mode: `isolated: true` plugins are served by `runner ffi-serve
    /// <plugin.json>` loaded through `subprocess` (a backend for `protocol: "subprocess"`).
    /// With `runner` `None`, the runner is `$INTEROP_RUNNER`, else the current executable
    /// if it is the `interop` binary.
    pub fn with_isolation(mut self, subprocess: Arc<dyn Backend>, runner: Option<PathBuf>) -> Self {
        self.isolation = Some(Isolation { subprocess, runner });
        self
    }

    /// Whether isolated mode is available.
    pub fn can_isolate(&self) -> bool {
        self.isolation.is_some()
    }
}

/// The runner binary: `$INTEROP_RUNNER`, else the current executable if it is `interop`.
pub fn default_runner() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(RUNNER_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let stem = exe.file_stem()?.to_string_lossy().into_owned();
    (stem == "interop").then_some(exe)
}

impl Backend for FfiBackend {
    fn protocol(&self) -> Protocol {
        Protocol::Ffi
    }

    fn load(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError> {
        let name = manifest.name();
        let Interop::Ffi(ffi) = &manifest.manifest.interop else {
            return Err(PluginError::internal(format!(
                "the ffi backend was given a `{}` plugin",
                manifest.manifest.interop.protocol()
            ))
            .in_plugin(name));
        };
        if !ffi.isolated {
            return Ok(Box::new(NativePlugin::load(manifest, services)?));
        }
        let Some(isolation) = &self.isolation else {
            return Err(PluginError::invalid_input(format!(
                "{}: `isolated: true` needs a subprocess backend to run the library in a \
                 child process; this build has none (enable the `ipc` feature of \
                 interop-host / interop-cli)",
                manifest.path.display()
            ))
            .in_plugin(name));
        };
        // Check what can be checked before starting a process: the library is inside the
        // plugin directory and exists.
        crate::plugin::library_path(manifest)?;
        let runner = isolation
            .runner
            .clone()
            .or_else(default_runner)
            .ok_or_else(|| {
                PluginError::invalid_input(format!(
                    "{}: `isolated: true` needs the runner binary (`interop`); set {RUNNER_ENV} \
                 to its path",
                    manifest.path.display()
                ))
                .in_plugin(name)
            })?;
        let plugin_json = manifest
            .path
            .canonicalize()
            .unwrap_or_else(|_| manifest.path.clone());
        let mut child = manifest.clone();
        child.manifest.interop = Interop::Subprocess(SubprocessInterop {
            command: runner.display().to_string(),
            args: vec![
                SERVE_SUBCOMMAND.to_owned(),
                plugin_json.display().to_string(),
            ],
            framing: Default::default(),
        });
        tracing::debug!(plugin = %name, runner = %runner.display(), "isolated native plugin");
        let plugin = isolation.subprocess.load(&child, services)?;
        Ok(Box::new(Isolated {
            manifest: manifest.manifest.clone(),
            inner: plugin,
        }))
    }
}

/// An isolated plugin: the subprocess plugin, presenting the original `ffi` manifest.
struct Isolated {
    manifest: interop_protocol::Manifest,
    inner: Box<dyn Plugin>,
}

impl Plugin for Isolated {
    fn manifest(&self) -> &interop_protocol::Manifest {
        &self.manifest
    }
    fn invoke(
        &self,
        request: &interop_protocol::ActionInvoke,
    ) -> Result<interop_protocol::ActionResult, PluginError> {
        self.inner.invoke(request)
    }
    fn get_provider(
        &self,
        request: &interop_protocol::ProviderGet,
    ) -> Result<interop_protocol::ProviderResult, PluginError> {
        self.inner.get_provider(request)
    }
    fn on_event(
        &self,
        event: &interop_protocol::HookEvent,
    ) -> Result<serde_json::Value, PluginError> {
        self.inner.on_event(event)
    }
    fn unload(&self) -> Result<(), PluginError> {
        self.inner.unload()
    }
}
