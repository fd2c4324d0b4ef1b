//! interop backend: JavaScript plugins in V8 isolates.
//!
//! Owns: the [`Runtime`] (one V8 isolate + context per plugin, heap limit, timeout, host
//! functions and objects bound by name), the `js` protocol [`JsBackend`] that adapts
//! `interop-sandbox`'s host services to a global `host` object, and the Node subprocess
//! bridge ([`node`]) for calling Node modules and running untrusted scripts under limits.
//!
//! Does not own: policy checks and auditing (the sandbox's `HostServices` does them), the
//! manifest (`interop-protocol`), or choosing which plugins to load (`interop-host`).
//!
//! V8 comes from Debian's libnode (`interop setup js` unpacks it); a small C++ shim, an
//! internal detail of this crate, is the only code that touches V8's C++ API.
#![deny(missing_docs)]

mod backend;
mod engine;
mod error;
pub mod host_api;
mod loader;
pub mod node;
mod runtime;
mod watchdog;

pub use backend::{JsBackend, JsPlugin};
pub use error::{Error, JsException};
pub use runtime::{
    Runtime, RuntimeConfig, DEFAULT_MAX_HEAP_SIZE, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TIMEOUT,
};
