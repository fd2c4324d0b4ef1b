//! The vocabulary every part of interop shares.
//!
//! This crate owns:
//! - the `plugin.json` manifest types ([`manifest`]) and their JSON Schema, from which the
//!   repository's `plugin.schema.json` is generated ([`schema`]);
//! - a manifest's JSON Schemas, compiled once per schema text ([`compiled`]);
//! - loading and validating a manifest, reporting every problem with its JSON path ([`validate`]);
//! - a plugin's configuration: the manifest's `config` with the host's overrides, checked
//!   against its `configSchema` ([`config`]);
//! - the action / provider / hook messages that cross every plugin boundary ([`message`]);
//! - the structured error that crosses those boundaries ([`error`]);
//! - action calls whose input and result data stay JSON text ([`raw`]);
//! - the JSON-RPC 2.0 envelope used by the IPC transports ([`jsonrpc`]);
//! - the [`Plugin`] trait, the one seam every backend implements, and the one dispatch path
//!   ([`dispatch`]) that turns requests into handler calls for the in-process backends;
//! - opening the files a manifest names without blocking on special files ([`files`]).
//!
//! It owns no I/O beyond reading a manifest file, no policy and no engine: the sandbox
//! crate enforces permissions and the backend crates run plugins.
#![deny(missing_docs)]

pub mod compiled;
pub mod config;
pub mod dispatch;
pub mod error;
pub mod files;
mod json;
pub mod jsonrpc;
pub mod manifest;
pub mod message;
pub mod plugin;
pub mod raw;
pub mod schema;
pub mod validate;

pub use config::{effective_config, Config};
pub use dispatch::{HandlerCall, HandlerKind, Handlers};
pub use error::{ErrorKind, PluginError};
pub use manifest::{
    Action, FfiInterop, FsPermission, Hook, Interop, IpcInterop, IpcTransport, JsInterop, Limits,
    Manifest, NetworkPermission, Permissions, Protocol, Provider, SubprocessInterop, WasmAbi,
    WasmInterop,
};
pub use message::{ActionInvoke, ActionResult, HookEvent, Message, ProviderGet, ProviderResult};
pub use plugin::Plugin;
pub use raw::{RawActionResult, RawValue};
pub use validate::{load_manifest, validate_value, LoadedManifest, ManifestError, Problem};

/// Version of the wire protocol (messages and host API) spoken by this crate.
///
/// Out-of-process plugins report the version they speak in their handshake; a plugin
/// whose major version differs is refused.
pub const PROTOCOL_VERSION: &str = "1.0";
