//! The native plugin ABI, version 1: the `extern "C"` interface a shared library exports
//! to be an interop plugin, and the table of host callbacks it is given.
//!
//! The same definitions, for C, are in `examples/include/interop_plugin.h`; the contract
//! is written down in `docs/abi.md` ("Native libraries"). In short:
//!
//! 1. The library exports `const interop_plugin_t *interop_plugin_entry(void)` returning a
//!    [`PluginDescriptor`] that stays valid while the library is loaded.
//! 2. The host checks `abi_version` and `size`, then calls `init(host, &state)` once with a
//!    [`HostApi`] valid until `deinit(state)` returns.
//! 3. Actions, providers and hooks are `invoke`/`get_provider`/`on_event(state, handler,
//!    input JSON, &out, &out_len)` returning a [`status`] code; `out` is allocated by the
//!    plugin and released by the host through the plugin's `free`.
//! 4. Host calls go through `host->call(ctx, name, args JSON, &out, &out_len)`; `out` is
//!    allocated by the host and released by the plugin through `host->free`.
//!
//! Strings are UTF-8 with explicit lengths (no NUL needed), except the descriptor's `name`.

use std::ffi::{c_char, c_void};

/// The ABI version this host implements.
pub const ABI_VERSION: u32 = 1;

/// The symbol every native plugin exports.
pub const ENTRY_SYMBOL: &str = "interop_plugin_entry";

/// Status codes returned by plugin entry points and host calls.
pub mod status {
    /// Success: `out` holds the result JSON (may be empty, meaning `null`).
    pub const OK: i32 = 0;
    /// Failure: `out` holds a `PluginError` JSON object, or a plain UTF-8 message (taken
    /// as an `exec` error).
    pub const ERROR: i32 = 1;
    /// The handler (or host function) does not exist.
    pub const NOT_FOUND: i32 = 2;
    /// The input was not acceptable (bad JSON, bad pointers).
    pub const INVALID_INPUT: i32 = 3;
}

/// `void log(void *ctx, int32_t level, const uint8_t *msg, size_t len)`; level 0 trace,
/// 1 debug, 2 info, 3 warn, 4 error.
pub type HostLogFn = unsafe extern "C" fn(ctx: *mut c_void, level: i32, msg: *const u8, len: usize);

/// `int32_t call(void *ctx, const uint8_t *name, size_t name_len, const uint8_t *args,
/// size_t args_len, uint8_t **out, size_t *out_len)`: calls the host function `name`
/// (`fs.readFile`, `env.get`, `net.fetch`, `time.now`, `trace`, application functions...)
/// with JSON arguments. Returns a [`status`] code; `*out` (result or error JSON) is
/// allocated by the host, to be released with `free`.
pub type HostCallFn = unsafe extern "C" fn(
    ctx: *mut c_void,
    name: *const u8,
    name_len: usize,
    args: *const u8,
    args_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;

/// `void free(void *ctx, uint8_t *ptr, size_t len)`: releases a buffer the host returned.
pub type HostFreeFn = unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut u8, len: usize);

/// The host API offered to a native plugin (`interop_host_api_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostApi {
    /// [`ABI_VERSION`].
    pub abi_version: u32,
    /// `sizeof(interop_host_api_t)`, so that later versions can append fields.
    pub size: u32,
    /// Opaque; passed back to every callback.
    pub ctx: *mut c_void,
    /// Logs a line.
    pub log: HostLogFn,
    /// Calls a host function by name with JSON arguments.
    pub call: HostCallFn,
    /// Releases a buffer returned by `call`.
    pub free: HostFreeFn,
}

/// `int32_t init(const interop_host_api_t *host, void **state)`.
pub type InitFn = unsafe extern "C" fn(host: *const HostApi, state: *mut *mut c_void) -> i32;

/// `int32_t entry(void *state, const uint8_t *handler, size_t handler_len,
/// const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len)`.
pub type EntryFn = unsafe extern "C" fn(
    state: *mut c_void,
    handler: *const u8,
    handler_len: usize,
    input: *const u8,
    input_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32;

/// `void free(void *state, uint8_t *ptr, size_t len)`: releases a buffer the plugin returned.
pub type FreeFn = unsafe extern "C" fn(state: *mut c_void, ptr: *mut u8, len: usize);

/// `void deinit(void *state)`.
pub type DeinitFn = unsafe extern "C" fn(state: *mut c_void);

/// What `interop_plugin_entry` returns (`interop_plugin_t`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginDescriptor {
    /// The ABI version the plugin was built for; must equal [`ABI_VERSION`].
    pub abi_version: u32,
    /// `sizeof(interop_plugin_t)` as the plugin was compiled.
    pub size: u32,
    /// The plugin's name, NUL-terminated; must match the manifest's `name`.
    pub name: *const c_char,
    /// Optional: called once after loading.
    pub init: Option<InitFn>,
    /// Runs an action (required if the manifest declares actions).
    pub invoke: Option<EntryFn>,
    /// Answers a provider (required if the manifest declares providers).
    pub get_provider: Option<EntryFn>,
    /// Handles a hook event (required if the manifest declares hooks).
    pub on_event: Option<EntryFn>,
    /// Releases a buffer the plugin returned (required).
    pub free: Option<FreeFn>,
    /// Optional: called once when the plugin is unloaded.
    pub deinit: Option<DeinitFn>,
}

/// The signature of [`ENTRY_SYMBOL`].
pub type EntrySymbolFn = unsafe extern "C" fn() -> *const PluginDescriptor;
