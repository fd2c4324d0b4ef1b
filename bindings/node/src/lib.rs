//! interop for Node.js and TypeScript hosts: a native addon (napi-rs) over
//! `interop-host`.
//!
//! ```js
//! const { Host, loadWasmPlugin, loadPythonPlugin } = require('@interop/host');
//! const greeter = await loadWasmPlugin('./dist/greeter.wasm');
//! const { text } = await greeter.invoke('greet', 'World');
//! ```
//!
//! Every call that may take time returns a promise and runs on the addon's thread pool
//! (tokio's blocking pool), never on Node's event loop. The host's options grant what
//! plugins may reach (the sandbox's `Grants`); JavaScript functions become host functions
//! that plugins on any thread call through threadsafe functions; failures reject with an
//! `InteropError` carrying the error's `kind`, `plugin` and `data`. Nothing here
//! re-implements the Rust crates: this crate converts values and errors, and locates
//! manifests for the loaders.
#![deny(missing_docs)]

mod calls;
mod convert;
mod error;
mod functions;
mod host;
mod locate;
mod options;
mod plugin;

use std::collections::HashMap;
use std::sync::OnceLock;

use napi::bindgen_prelude::{Buffer, Object, PromiseRaw};
use napi::Env;
use napi_derive::napi;

pub use calls::{ActionOutcome, ProviderOutcome};
pub use host::Host;
pub use options::{
    ConcurrencyOptions, FsOptions, HostOptions, LimitsOptions, LogEntry, NetworkOptions, TraceEvent,
};
pub use plugin::Plugin;

/// Defines `InteropError` when the addon is loaded.
#[napi(module_exports)]
pub fn init(mut exports: Object, env: Env) -> napi::Result<()> {
    error::define_class(&env, &mut exports)
}

/// The host behind the module-level loaders: default grants (each plugin reads what it
/// requests in its own directory), every registered function, default limits.
fn default_host() -> &'static Host {
    static DEFAULT: OnceLock<Host> = OnceLock::new();
    DEFAULT.get_or_init(Host::with_defaults)
}

/// Loads a wasm plugin into the default host: see `Host.loadWasmPlugin`.
#[napi(ts_return_type = "Promise<Plugin>")]
pub fn load_wasm_plugin(env: &Env, path: String) -> napi::Result<PromiseRaw<'_, Plugin>> {
    default_host().load_wasm_plugin(env, path)
}

/// Loads a Python plugin into the default host: see `Host.loadPythonPlugin`.
#[napi(ts_return_type = "Promise<Plugin>")]
pub fn load_python_plugin(env: &Env, path_or_name: String) -> napi::Result<PromiseRaw<'_, Plugin>> {
    default_host().load_python_plugin(env, path_or_name)
}

/// Loads any plugin into the default host from its `plugin.json` or directory.
#[napi(ts_return_type = "Promise<Plugin>")]
pub fn load_plugin(env: &Env, manifest_path: String) -> napi::Result<PromiseRaw<'_, Plugin>> {
    default_host().load(env, manifest_path)
}

/// Unloads every plugin of the default host; resolves to the failures by plugin name.
#[napi]
pub fn close_all(env: &Env) -> napi::Result<PromiseRaw<'_, HashMap<String, String>>> {
    default_host().close_all(env)
}

/// The bytes a `"base64:..."` string carries (how bytes cross plugin boundaries).
#[napi]
pub fn decode_bytes(env: Env, text: String) -> napi::Result<Buffer> {
    convert::decode_bytes(&text).map(Buffer::from).map_err(|e| {
        error::to_js(
            &env,
            &interop_protocol::PluginError::invalid_input(format!("decodeBytes: {e}")),
        )
    })
}
