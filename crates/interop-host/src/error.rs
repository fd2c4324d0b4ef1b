//! Errors of the host itself (as opposed to a plugin's [`PluginError`]).

use interop_protocol::{ManifestError, PluginError, Protocol};
use interop_sandbox::PolicyError;

/// Why the host could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// The manifest could not be read or is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// The manifest's permissions cannot be turned into a policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A grants file could not be used.
    #[error(transparent)]
    GrantsFile(#[from] crate::GrantsFileError),
    /// This build has no backend for the manifest's protocol.
    #[error("plugin `{plugin}`: no `{protocol}` backend in this build (enable the `interop-host` feature `{protocol}`)")]
    NoBackend {
        /// The plugin.
        plugin: String,
        /// Its protocol.
        protocol: Protocol,
    },
    /// A plugin with this name is already loaded.
    #[error("a plugin named `{0}` is already loaded")]
    AlreadyLoaded(String),
    /// No plugin with this name is loaded.
    #[error("no plugin named `{0}` is loaded")]
    NotLoaded(String),
    /// The plugin was not loaded from a manifest (the application built it), so there is
    /// nothing to reload it from.
    #[error("plugin `{0}` was registered by the application, not loaded from a manifest: it cannot be reloaded")]
    NotReloadable(String),
    /// The new version of a plugin's manifest names another plugin.
    #[error("plugin `{from}`: its manifest now names it `{to}`; a reload keeps the name (unload and load instead)")]
    Renamed {
        /// The loaded name.
        from: String,
        /// The name in the manifest now.
        to: String,
    },
    /// Plugin files cannot be watched.
    #[error("cannot watch plugin files: {0}")]
    Watch(String),
    /// The plugin failed.
    #[error(transparent)]
    Plugin(#[from] PluginError),
}
