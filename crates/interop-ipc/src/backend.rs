//! [`IpcBackend`]: the [`Backend`] for `protocol: "ipc"` and `protocol: "subprocess"`, and
//! [`IpcPlugin`], the [`Plugin`] it loads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use interop_protocol::{
    ActionInvoke, ActionResult, HookEvent, LoadedManifest, Manifest, Plugin, PluginError, Protocol,
    ProviderGet, ProviderResult,
};
use interop_sandbox::{Backend, HostServices};
use serde_json::Value;

use crate::methods::{self, ACTION_INVOKE, HOOK_EVENT, PROVIDER_GET};
use crate::runtime::block_on;
use crate::supervisor::{IpcConfig, Supervisor};

/// Loads plugins that run as processes. One value serves one protocol: register both
/// [`IpcBackend::ipc`] and [`IpcBackend::subprocess`] with a host.
#[derive(Debug, Clone)]
pub struct IpcBackend {
    protocol: Protocol,
    config: IpcConfig,
}

impl Default for IpcBackend {
    /// The backend of `protocol: "ipc"`.
    fn default() -> Self {
        Self::ipc()
    }
}

impl IpcBackend {
    /// The backend of `protocol: "ipc"` (JSON-RPC over a Unix socket or TCP).
    pub fn ipc() -> Self {
        IpcBackend {
            protocol: Protocol::Ipc,
            config: IpcConfig::default(),
        }
    }

    /// The backend of `protocol: "subprocess"` (JSON-RPC lines over stdin/stdout).
    pub fn subprocess() -> Self {
        IpcBackend {
            protocol: Protocol::Subprocess,
            config: IpcConfig::default(),
        }
    }

    /// Uses `config` (restarts, start timeout, framing, sandbox) for plugins it loads.
    pub fn with_config(mut self, config: IpcConfig) -> Self {
        self.config = config;
        self
    }

    /// Loads a plugin and returns the concrete type (with its process inspection
    /// methods) rather than a `Box<dyn Plugin>`.
    pub fn load_ipc(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<IpcPlugin, PluginError> {
        let name = manifest.name().to_owned();
        if manifest.manifest.interop.protocol() != self.protocol {
            return Err(PluginError::invalid_input(format!(
                "the {} backend cannot load a `{}` plugin",
                self.protocol,
                manifest.manifest.interop.protocol()
            ))
            .in_plugin(name));
        }
        let supervisor = Arc::new(Supervisor::new(manifest, services, self.config.clone())?);
        block_on(supervisor.clone().start_now())??;
        Ok(IpcPlugin {
            supervisor,
            unloaded: AtomicBool::new(false),
        })
    }
}

impl Backend for IpcBackend {
    fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn load(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError> {
        Ok(Box::new(self.load_ipc(manifest, services)?))
    }
}

/// A plugin running as a process (or reached over a socket), supervised: see
/// [`crate::supervisor`] for crash, hang and restart handling.
pub struct IpcPlugin {
    supervisor: Arc<Supervisor>,
    unloaded: AtomicBool,
}

impl IpcPlugin {
    /// How many times the plugin process was restarted after a failure.
    pub fn restarts(&self) -> u64 {
        self.supervisor.restarts()
    }

    /// The OS process id of the running plugin process (`None` for a plugin the host
    /// connects to, or between a crash and the restart).
    pub fn pid(&self) -> Option<u32> {
        let sup = self.supervisor.clone();
        block_on(async move { sup.pid().await }).ok().flatten()
    }

    fn call(&self, method: &'static str, params: Value) -> Result<Value, PluginError> {
        if self.unloaded.load(Ordering::Acquire) {
            return Err(interop_protocol::plugin::unloaded(self.manifest()));
        }
        block_on(self.supervisor.clone().call(method, params))?
    }
}

impl Plugin for IpcPlugin {
    fn manifest(&self) -> &Manifest {
        self.supervisor.manifest()
    }

    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        let params = methods::action_params(self.manifest(), request)?;
        self.call(ACTION_INVOKE, params)
            .map(ActionResult::from_reply)
    }

    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError> {
        let params = methods::provider_params(self.manifest(), request)?;
        self.call(PROVIDER_GET, params)
            .map(ProviderResult::from_reply)
    }

    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        match methods::hook_params(self.manifest(), event)? {
            None => Ok(Value::Array(Vec::new())),
            Some(params) => match self.call(HOOK_EVENT, params)? {
                Value::Array(results) => Ok(Value::Array(results)),
                other => Err(PluginError::parse(format!(
                    "`hook.event` must answer an array (one result per handler); got {other}"
                ))
                .in_plugin(self.name())),
            },
        }
    }

    fn unload(&self) -> Result<(), PluginError> {
        if self.unloaded.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let sup = self.supervisor.clone();
        block_on(async move { sup.shutdown().await })
    }
}

impl Drop for IpcPlugin {
    fn drop(&mut self) {
        // The process is killed when the supervisor's last reference goes; asking it to
        // shut down first lets it finish cleanly.
        let _ = self.unload();
    }
}
