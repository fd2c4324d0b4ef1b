//! The `plugin.json` manifest: what a plugin is, how to reach it, what it offers and what
//! it may touch.
//!
//! Field names are camelCase on the wire (`wasmPath`, `allowedUrlPrefixes`), as in the
//! manifests users already write. Unknown fields are rejected so that a misspelt
//! permission or limit is an error, not a silently ignored setting.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Default memory limit of a plugin, in MiB.
pub const DEFAULT_MEMORY_MB: u64 = 64;
/// Default time limit of one call into a plugin, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default largest message (request or reply) exchanged with a plugin, in bytes.
pub const DEFAULT_MAX_MESSAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Default largest HTTP response body a plugin may fetch, in bytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 * 1024 * 1024;
/// Default time limit of one HTTP fetch, in milliseconds.
pub const DEFAULT_FETCH_TIMEOUT_MS: u64 = 30_000;

/// A plugin manifest, as read from `plugin.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "interop plugin manifest")]
pub struct Manifest {
    /// Optional reference to the schema this file follows, for editors.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Plugin name: letters, digits, `.`, `_` and `-`, starting with a letter or digit.
    #[schemars(regex(pattern = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"))]
    pub name: String,
    /// Plugin version, a semantic version such as `1.0.0`.
    #[schemars(regex(
        pattern = r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"
    ))]
    pub version: String,
    /// What the plugin does, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The language the plugin is written in (`rust`, `go`, `c`, `javascript`, `python`...).
    /// Informational: the `interop` section decides how it is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// How the host reaches the plugin.
    pub interop: Interop,
    /// Actions the plugin performs (`action.invoke` -> `action.result`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
    /// Providers the plugin answers (`provider.get` -> `provider.result`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<Provider>,
    /// Host events the plugin handles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<Hook>,
    /// What the plugin may touch through the host API. Nothing is granted by default.
    #[serde(default, skip_serializing_if = "Permissions::is_empty")]
    pub permissions: Permissions,
    /// Resource limits; unset ones take the defaults (64 MiB, 10 s).
    #[serde(default, skip_serializing_if = "Limits::is_empty")]
    pub limits: Limits,
    /// The plugin's configuration: keys and JSON values it reads at run time (`config.get`
    /// on every backend). The host may override any key before loading the plugin.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub config: serde_json::Map<String, Value>,
    /// JSON Schema the effective configuration (the manifest's `config` with the host's
    /// overrides) must satisfy when the plugin is loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_schema: Option<Value>,
}

impl Manifest {
    /// The action with this name, if the manifest declares it.
    pub fn action(&self, name: &str) -> Option<&Action> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// The provider with this name, if the manifest declares it.
    pub fn provider(&self, name: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.name == name)
    }

    /// The action named `name`, or the `not_found` error every backend gives for an
    /// action the manifest does not declare.
    pub fn require_action(&self, name: &str) -> Result<&Action, crate::PluginError> {
        self.action(name)
            .ok_or_else(|| crate::plugin::unknown_action(self, name))
    }

    /// The provider named `name`, or the `not_found` error every backend gives for a
    /// provider the manifest does not declare.
    pub fn require_provider(&self, name: &str) -> Result<&Provider, crate::PluginError> {
        self.provider(name)
            .ok_or_else(|| crate::plugin::unknown_provider(self, name))
    }

    /// The hooks that handle this event, in manifest order.
    pub fn hooks_for<'a>(&'a self, event: &'a str) -> impl Iterator<Item = &'a Hook> + 'a {
        self.hooks.iter().filter(move |h| h.event == event)
    }
}

/// The protocols a plugin can be reached by.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// A `wasm32-wasip1` module run in wasmtime.
    Wasm,
    /// A native shared library with the interop C ABI.
    Ffi,
    /// A JavaScript file run in a V8 isolate.
    Js,
    /// A process speaking JSON-RPC 2.0 over a Unix socket or TCP.
    Ipc,
    /// A process speaking JSON lines over its stdin/stdout.
    Subprocess,
}

impl Protocol {
    /// Every protocol, in a stable order.
    pub const ALL: [Protocol; 5] = [
        Protocol::Wasm,
        Protocol::Ffi,
        Protocol::Js,
        Protocol::Ipc,
        Protocol::Subprocess,
    ];

    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Wasm => "wasm",
            Protocol::Ffi => "ffi",
            Protocol::Js => "js",
            Protocol::Ipc => "ipc",
            Protocol::Subprocess => "subprocess",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the host reaches the plugin, selected by `protocol`.
///
/// Paths are relative to the directory holding `plugin.json` and may not leave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "protocol", rename_all = "lowercase")]
pub enum Interop {
    /// A WebAssembly module (`wasm32-wasip1`, or `.wat` text).
    Wasm(WasmInterop),
    /// A native shared library exporting the interop C ABI.
    Ffi(FfiInterop),
    /// A JavaScript plugin script run in its own V8 isolate.
    Js(JsInterop),
    /// A process speaking JSON-RPC 2.0 over a Unix socket or TCP.
    Ipc(IpcInterop),
    /// A process speaking JSON lines over stdin/stdout.
    Subprocess(SubprocessInterop),
}

impl Interop {
    /// The protocol this section selects.
    pub fn protocol(&self) -> Protocol {
        match self {
            Interop::Wasm(_) => Protocol::Wasm,
            Interop::Ffi(_) => Protocol::Ffi,
            Interop::Js(_) => Protocol::Js,
            Interop::Ipc(_) => Protocol::Ipc,
            Interop::Subprocess(_) => Protocol::Subprocess,
        }
    }

    /// Every file path this section names, with the JSON field that names it.
    pub fn paths(&self) -> Vec<(&'static str, &str)> {
        match self {
            Interop::Wasm(w) => vec![("wasmPath", w.wasm_path.as_str())],
            Interop::Ffi(f) => vec![("libraryPath", f.library_path.as_str())],
            Interop::Js(j) => vec![("scriptPath", j.script_path.as_str())],
            Interop::Ipc(i) => i
                .socket_path
                .as_deref()
                .map(|p| vec![("socketPath", p)])
                .unwrap_or_default(),
            Interop::Subprocess(_) => Vec::new(),
        }
    }
}

/// `protocol: "wasm"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WasmInterop {
    /// Path of the `.wasm` (or `.wat`) module.
    #[schemars(length(min = 1))]
    pub wasm_path: String,
    /// How the binary is run; detected from it when absent: a component, else a core
    /// module, on Extism's ABI when it imports from `extism:host/env`, else on interop's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_abi: Option<WasmAbi>,
}

/// How a wasm plugin's binary talks to the host (`interop.wasmAbi`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WasmAbi {
    /// A core module on interop's own ABI (`docs/abi.md`): `ft_*` imports, handlers
    /// exported as functions.
    Interop,
    /// A WebAssembly component (WASI 0.2) of the `interop:plugin` WIT world
    /// (`docs/components.md`).
    Component,
    /// A core module built with an Extism PDK (`extism:host/env` imports).
    Extism,
}

impl WasmAbi {
    /// The name used in manifests.
    pub fn as_str(self) -> &'static str {
        match self {
            WasmAbi::Interop => "interop",
            WasmAbi::Component => "component",
            WasmAbi::Extism => "extism",
        }
    }
}

impl std::fmt::Display for WasmAbi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `protocol: "ffi"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FfiInterop {
    /// Path of the shared library (`.so`, `.dylib`, `.dll`).
    #[schemars(length(min = 1))]
    pub library_path: String,
    /// Run the library in a child process so that a crash in it cannot take the host down.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub isolated: bool,
}

/// `protocol: "js"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JsInterop {
    /// Path of the plugin script; it defines a global `plugin` object whose methods are
    /// the plugin's actions, providers and hook handlers.
    #[schemars(length(min = 1))]
    pub script_path: String,
}

/// `protocol: "ipc"`: JSON-RPC 2.0 over a Unix socket or TCP.
///
/// With `command`, the host starts the plugin process itself and passes it the endpoint
/// in `INTEROP_SOCKET` or `INTEROP_ADDRESS` (without `socketPath` or `address`, the host
/// picks a socket in a private directory or a free loopback port); without `command`,
/// the host connects to a plugin that is already listening there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpcInterop {
    /// Transport to connect over.
    pub transport: IpcTransport,
    /// Unix socket path (transport `unix`); required without `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_path: Option<String>,
    /// `host:port` to connect to (transport `tcp`); required without `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Program that serves the plugin, started by the host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments of `command`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// How messages are delimited on the connection.
    #[serde(default, skip_serializing_if = "Framing::is_lines")]
    pub framing: Framing,
}

/// How JSON-RPC messages are delimited on a process plugin's stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Framing {
    /// One JSON message per `\n`-terminated line (the default).
    #[default]
    Lines,
    /// `Content-Length: N` headers, a blank line, then `N` bytes of JSON, as LSP
    /// libraries speak.
    ContentLength,
}

impl Framing {
    fn is_lines(&self) -> bool {
        *self == Framing::Lines
    }
}

/// The transports of `protocol: "ipc"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IpcTransport {
    /// A Unix domain socket.
    Unix,
    /// A TCP connection.
    Tcp,
}

/// `protocol: "subprocess"`: JSON-RPC 2.0 over the plugin's stdin/stdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SubprocessInterop {
    /// Program to run (looked up on `PATH` unless it contains a `/`).
    #[schemars(length(min = 1))]
    pub command: String,
    /// Its arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// How messages are delimited on stdin/stdout.
    #[serde(default, skip_serializing_if = "Framing::is_lines")]
    pub framing: Framing,
}

/// An action the plugin performs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Action {
    /// Action name, unique in the manifest.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What it does, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The entry point that runs it (export, symbol or method name); defaults to `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// JSON Schema of the action's input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Value>,
    /// JSON Schema of the action's result data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

impl Action {
    /// The entry point that runs this action.
    pub fn handler(&self) -> &str {
        self.handler.as_deref().unwrap_or(&self.name)
    }
}

/// A provider the plugin answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// Provider name, unique in the manifest.
    #[schemars(length(min = 1))]
    pub name: String,
    /// What it provides, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The entry point that answers it; defaults to `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handler: Option<String>,
    /// JSON Schema of the provider's result data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

impl Provider {
    /// The entry point that answers this provider.
    pub fn handler(&self) -> &str {
        self.handler.as_deref().unwrap_or(&self.name)
    }
}

/// A host event the plugin handles: `event` is delivered to the entry point `handler`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hook {
    /// Event name, such as `config.reload`.
    #[schemars(length(min = 1))]
    pub event: String,
    /// The entry point that handles it, such as `on_reload`.
    #[schemars(length(min = 1))]
    pub handler: String,
}

/// What a plugin may touch through the host API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Permissions {
    /// Directories (or files) the plugin may read or write, relative to the plugin directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fs: Vec<FsPermission>,
    /// HTTP access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkPermission>,
    /// Names of the environment variables the plugin may read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
}

impl Permissions {
    /// True when nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.fs.is_empty() && self.network.is_none() && self.env.is_empty()
    }
}

/// A filesystem grant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FsPermission {
    /// Root of the grant, relative to the plugin directory (or absolute).
    #[schemars(length(min = 1))]
    pub path: String,
    /// May read under `path` (default true).
    #[serde(default = "yes")]
    pub read: bool,
    /// May write, create and remove under `path` (default false).
    #[serde(default)]
    pub write: bool,
    /// The name a wasm guest sees the directory under (a WASI preopen such as `/data`),
    /// instead of its path relative to the plugin directory (or its absolute path).
    /// Wasm plugins only: other backends see real paths, and refuse the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub guest_path: Option<String>,
}

fn yes() -> bool {
    true
}

/// HTTP access: which URLs, which methods, how long and how much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPermission {
    /// URL prefixes the plugin may fetch, such as `https://api.example.com/v1/`.
    /// Matching is on parsed URLs: scheme, host and port exactly, then the path.
    pub allowed_url_prefixes: Vec<String>,
    /// HTTP methods allowed (default `GET` and `HEAD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_methods: Option<Vec<String>>,
    /// Time limit of one fetch in milliseconds (default 30000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_ms: Option<u64>,
    /// Largest response body in bytes (default 10 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_response_size: Option<u64>,
}

/// Resource limits of a plugin.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    /// Memory limit in MiB (default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub memory_mb: Option<u64>,
    /// Time limit of one call in milliseconds (default 10000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub timeout_ms: Option<u64>,
    /// Largest message exchanged with the plugin, in bytes (default 16 MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_message_bytes: Option<u64>,
    /// Instruction budget per call, for engines that meter (wasm fuel). Unset: unmetered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
}

impl Limits {
    /// True when no limit is set.
    pub fn is_empty(&self) -> bool {
        self == &Limits::default()
    }

    /// Memory limit in bytes, with the default applied.
    pub fn memory_bytes(&self) -> u64 {
        self.memory_mb
            .unwrap_or(DEFAULT_MEMORY_MB)
            .saturating_mul(1024 * 1024)
    }

    /// Call time limit, with the default applied.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS))
    }

    /// Largest message in bytes, with the default applied.
    pub fn max_message_bytes(&self) -> u64 {
        self.max_message_bytes.unwrap_or(DEFAULT_MAX_MESSAGE_BYTES)
    }
}
