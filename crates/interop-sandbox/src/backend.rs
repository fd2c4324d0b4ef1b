//! The [`Backend`] trait: how the host asks a backend crate to load a plugin.
//!
//! It lives here rather than in the host so that backend crates, which sit below the
//! host, can implement it; the host keeps one `Arc<dyn Backend>` per protocol. A backend
//! object owns what its plugins share (a wasm engine and module cache, a V8 platform),
//! which is why it is an object and not a free function.

use interop_protocol::{LoadedManifest, Plugin, PluginError, Protocol};

use crate::HostServices;

/// Loads plugins of one protocol.
pub trait Backend: Send + Sync {
    /// The protocol this backend serves.
    fn protocol(&self) -> Protocol;

    /// Loads the plugin `manifest` describes. `services` carries its policy (built from
    /// the same manifest), the shared audit trail and the application's host functions;
    /// the plugin reaches the host only through them.
    fn load(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError>;
}
