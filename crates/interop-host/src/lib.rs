//! The interop plugin host: load `plugin.json` manifests and get back each plugin, whatever
//! language and backend it uses, as an `Arc<dyn Plugin>`.
//!
//! ```no_run
//! use interop_host::Host;
//! use serde_json::json;
//!
//! let host = Host::new();
//! let greeter = host.load("examples/plugins/rust-greeter/plugin.json")?;
//! let result = host.invoke(greeter.name(), "greet", json!("World"))?;
//! println!("{}", result.text.unwrap_or_default());
//! # Ok::<(), interop_host::HostError>(())
//! ```
//!
//! This crate owns discovery, the plugin table and lifecycle, what the host grants each
//! plugin ([`Grants`], also from a [`GrantsFile`]), the shared audit trail, and the
//! application's own host functions. It owns no engine: each backend crate provides a
//! [`Backend`] (enabled by this crate's cargo features `wasm`, `ffi`, `js`, `ipc`), and
//! every plugin reaches the host only through the [`HostServices`] built here from its
//! policy: what its manifest requests, intersected with what the host grants. With the
//! `ffi` and `ipc` features, [`isolation`] is the runner of isolated native plugins,
//! which any application can be.
#![deny(missing_docs)]

mod async_calls;
mod backends;
mod calls;
mod discover;
mod entry;
mod error;
mod grants_file;
mod host;
#[cfg(all(feature = "ffi", feature = "ipc"))]
pub mod isolation;
mod metrics;
mod reload;
#[cfg(feature = "ipc")]
pub mod serve;

pub use async_calls::Concurrency;
pub use discover::discover;
pub use error::HostError;
pub use grants_file::{GrantsFile, GrantsFileError};
pub use host::{Host, LoadOutcome};
pub use metrics::{Latency, PluginMetrics};
pub use reload::{HostEvent, Watcher};

pub use interop_protocol::{
    ActionInvoke, ActionResult, ErrorKind, HookEvent, LoadedManifest, Manifest, Plugin,
    PluginError, Protocol, ProviderGet, ProviderResult, RawActionResult, RawValue,
};
pub use interop_sandbox::{
    AuditTrail, Backend, Grants, HostLimits, HostServices, HostSink, MemorySink, Policy,
};

/// The JSON crate of every input and result, so that an application needs no dependency
/// of its own to build them (`interop_host::serde_json::json!`).
pub use serde_json;
