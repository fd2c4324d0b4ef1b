//! interop backend: WebAssembly plugins (`wasm32-wasip1` modules or `.wat` text) in
//! wasmtime, with WASI preview 1.
//!
//! This crate owns the wasm side of interop: the shared wasmtime engines, their epoch
//! ticker and linker (`engine`), the two-layer module cache (`cache`), the guest ABI of
//! `docs/abi.md` (`host_api`), Extism's `extism:host/env` imports for Extism plugins run
//! unchanged (`extism` for their memory and state, `extism_host` for the imports,
//! docs/extism.md), WASI limited to the plugin's grants (`wasi`, with
//! `poll_oneoff` bounded by the call's deadline in `poll`), the memory limiter (`limits`),
//! instantiation and every entry into a guest (`instance`), how failures are reported
//! (`failure`), the instance pool of each plugin (`pool`), and [`WasmBackend`] / [`WasmPlugin`], which implement
//! `interop_sandbox::Backend` and `interop_protocol::Handlers` (and so `Plugin`, through
//! the one dispatch path). The crate README lists the modules in the order they use each
//! other.
//!
//! It does not own the policy, the path and URL checks, or the audit trail: every host
//! call a guest makes goes to `interop_sandbox::HostServices`, which checks and records
//! it. Nor does it own the guest-side helpers (the Rust PDK and the Go, AssemblyScript and
//! C helpers live with the example plugins).
//!
//! ```no_run
//! use interop_wasm::WasmBackend;
//!
//! let backend = WasmBackend::default();
//! let module = backend.open_module("examples/plugins/wat-add/add.wat")?;
//! assert_eq!(module.call_export("add", &[2, 3])?[0].as_i64(), Some(5));
//! # Ok::<(), interop_protocol::PluginError>(())
//! ```
#![deny(missing_docs)]

mod abi;
mod backend;
pub mod cache;
mod clock;
mod command;
mod compiled;
mod component;
pub mod engine;
mod extism;
mod extism_host;
mod failure;
mod host_api;
mod info;
mod instance;
mod limits;
mod module;
mod plugin;
mod poll;
mod pool;
mod state;
mod stdio;
mod text;
mod wasi;

pub use backend::{
    default_cache_dir, default_instances_per_plugin, module_name, WasmBackend, WasmBackendBuilder,
    CACHE_DIR_ENV, DEFAULT_MEMORY_CACHE_CAPACITY, MAX_MODULE_BYTES,
};
pub use cache::{CacheSource, CacheStats};
pub use component::plugin::ComponentPlugin;
pub use extism::MAX_VAR_BYTES as EXTISM_MAX_VAR_BYTES;
pub use info::{ItemInfo, ModuleInfo, ModuleKind};
pub use module::{WasmModule, WasmValue};
pub use plugin::WasmPlugin;
pub use pool::MAX_INSTANCES_PER_PLUGIN;
