//! [`FfiBackend`]: the [`Backend`] for `protocol: "ffi"`.
//!
//! In-process ([`NativePlugin`]) is the default and the fast path. With `isolated: true`
//! the library runs in a child process instead: the backend rewrites the manifest into a
//! `subprocess` one whose command is the *runner* (an executable that serves one native
//! plugin over stdio when started as `<runner> ffi-serve <plugin.json>`, see
//! `interop_host::isolation`) and hands it to the subprocess backend it was given. This
//! crate therefore never depends on the IPC backend: whoever has both (the host)
//! composes them with [`FfiBackend::with_isolation`].

use std::path::PathBuf;
use std::sync::Arc;

use interop_protocol::{Interop, LoadedManifest, Plugin, PluginError, Protocol, SubprocessInterop};
use interop_sandbox::{Backend, HostServices};

use crate::isolated::Isolated;
use crate::library_file::LibraryFile;
use crate::NativePlugin;

/// The first argument of a runner's command line: `<runner> ffi-serve <plugin.json>`
/// serves the native plugin of `plugin.json` over stdin/stdout.
pub const RUNNER_ARG: &str = "ffi-serve";

/// Finds the runner executable when an isolated plugin is loaded, or says (as the error)
/// what to do to have one.
type RunnerResolver = Arc<dyn Fn() -> Result<PathBuf, String> + Send + Sync>;

/// Loads native plugins: in-process, or in a child process when the manifest says
/// `isolated: true` and isolation is configured.
#[derive(Default, Clone)]
pub struct FfiBackend {
    isolation: Option<Isolation>,
}

#[derive(Clone)]
struct Isolation {
    subprocess: Arc<dyn Backend>,
    runner: RunnerResolver,
}

impl std::fmt::Debug for FfiBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FfiBackend")
            .field("can_isolate", &self.can_isolate())
            .finish()
    }
}

impl FfiBackend {
    /// A backend that runs every native plugin in-process; `isolated: true` manifests are
    /// refused with an error saying how to enable isolation.
    ///
    /// In-process native code runs with the host's privileges: loading an `ffi` manifest
    /// without `isolated: true` trusts its library as much as the application's own code
    /// (see [`NativePlugin::load`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Enables isolated mode: `isolated: true` plugins are served by `<runner> ffi-serve
    /// <plugin.json>` loaded through `subprocess` (a backend for `protocol:
    /// "subprocess"`). `runner` is asked for the executable at each load, so that it may
    /// follow the environment (`interop_host::isolation` resolves it).
    pub fn with_isolation(
        mut self,
        subprocess: Arc<dyn Backend>,
        runner: impl Fn() -> Result<PathBuf, String> + Send + Sync + 'static,
    ) -> Self {
        self.isolation = Some(Isolation {
            subprocess,
            runner: Arc::new(runner),
        });
        self
    }

    /// Whether isolated mode is available.
    pub fn can_isolate(&self) -> bool {
        self.isolation.is_some()
    }
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
            // SAFETY: an in-process native plugin is trusted code (see `new`): the
            // application loads this manifest, whose library is the plugin's code and is
            // held to the ABI contract; `isolated: true` is the way not to trust it.
            let plugin = unsafe { NativePlugin::load(manifest, services) }?;
            return Ok(Box::new(plugin));
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
        // Check what can be checked before starting a process: the library is a regular
        // file inside the plugin directory, of this platform's shared-object format.
        LibraryFile::open(manifest)?;
        let runner = (isolation.runner)().map_err(|what_to_do| {
            PluginError::invalid_input(format!(
                "{}: `isolated: true` needs a runner executable: {what_to_do}",
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
            args: vec![RUNNER_ARG.to_owned(), plugin_json.display().to_string()],
            framing: Default::default(),
        });
        tracing::debug!(plugin = %name, runner = %runner.display(), "isolated native plugin");
        let plugin = isolation.subprocess.load(&child, services)?;
        Ok(Box::new(Isolated::new(manifest.manifest.clone(), plugin)))
    }
}
