//! [`Isolated`]: an `isolated: true` native plugin, seen by the host through its `ffi`
//! manifest while a runner process serves it (the subprocess plugin inside).

use interop_protocol::{
    ActionInvoke, ActionResult, HookEvent, Manifest, Plugin, PluginError, ProviderGet,
    ProviderResult,
};
use serde_json::Value;

/// The subprocess plugin of a runner, presenting the original `ffi` manifest.
pub(crate) struct Isolated {
    manifest: Manifest,
    inner: Box<dyn Plugin>,
}

impl Isolated {
    pub(crate) fn new(manifest: Manifest, inner: Box<dyn Plugin>) -> Isolated {
        Isolated { manifest, inner }
    }
}

impl Plugin for Isolated {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        self.inner.invoke(request)
    }

    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError> {
        self.inner.get_provider(request)
    }

    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        self.inner.on_event(event)
    }

    fn unload(&self) -> Result<(), PluginError> {
        self.inner.unload()
    }
}
