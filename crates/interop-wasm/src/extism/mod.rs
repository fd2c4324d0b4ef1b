//! Extism plugins, run unchanged: the `extism:host/env` imports an Extism PDK links
//! against, on interop's host services (docs/extism.md).
//!
//! An Extism plugin exports each function as `() -> i32`, reads its input and writes its
//! output through the host (`input_load_u64`, `output_set`), and keeps its data in memory
//! the host manages and names by offset ([`memory`]). Extism's runtime implements that
//! memory in a wasm "kernel" module; here it is host memory of the instance's store,
//! emptied before each call, bounded by the plugin's memory limit.
//!
//! The imports themselves are in the `extism_host` module; they work on the store's
//! [`ExtismState`], and go to the host services like the interop ABI's: `config_get` reads
//! the plugin's config, `log_*` its log, `http_request` is a fetch under the plugin's
//! network grants, audited. `var_get`/`var_set` keep values per plugin (shared by its
//! instances, kept while it is loaded), bounded by [`MAX_VAR_BYTES`].
//!
//! How an interop call maps onto an export ([`input_bytes`], [`output_value`]): a JSON
//! string input is passed as its text, other JSON as its serialized text; the output is
//! taken as JSON when it parses, else as a string.

mod memory;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wasmtime::Module;

pub(crate) use memory::{KernelMemory, MemoryFault};

/// The import module of Extism's host functions.
pub(crate) const IMPORT_MODULE: &str = "extism:host/env";

/// The most bytes a plugin's vars (keys and values) may hold together, as Extism's
/// default `max_var_bytes`.
pub const MAX_VAR_BYTES: usize = 1 << 20;

/// Whether `module` is an Extism plugin: it imports from `extism:host/env` (or another
/// `extism:` module, such as the `extism:host/user` of Extism's host functions, so that
/// loading it fails by naming that import rather than by the shape of its exports).
pub(crate) fn is_extism(module: &Module) -> bool {
    module.imports().any(|i| i.module().starts_with("extism:"))
}

/// A plugin's vars, shared by its instances.
pub(crate) type Vars = Arc<Mutex<HashMap<String, Vec<u8>>>>;

/// What the store of an Extism plugin's instance holds for it.
pub(crate) struct ExtismState {
    pub memory: KernelMemory,
    /// The block holding the current call's input.
    pub input: u64,
    /// What `output_set` named: offset and length.
    pub output: Option<(u64, u64)>,
    /// The block `error_set` named (0: none).
    pub error: u64,
    /// Status code of the last `http_request`.
    pub http_status: i32,
    /// Headers of the last `http_request`'s response, as JSON.
    pub http_headers: Option<Vec<u8>>,
    pub vars: Vars,
}

impl ExtismState {
    /// The state of a fresh instance whose kernel memory may grow to `memory_limit` bytes.
    pub fn new(memory_limit: u64) -> Self {
        ExtismState {
            memory: KernelMemory::new(memory_limit),
            input: 0,
            output: None,
            error: 0,
            http_status: 0,
            http_headers: None,
            vars: Vars::default(),
        }
    }

    /// Readies a call with `input`: memory emptied, the input in a block of its own.
    pub fn begin_call(&mut self, input: &[u8]) -> Result<(), MemoryFault> {
        self.memory.reset();
        self.output = None;
        self.error = 0;
        self.http_status = 0;
        self.http_headers = None;
        self.input = self.memory.alloc_bytes(input)?;
        Ok(())
    }

    /// The bytes the call output (empty when it set none).
    pub fn output(&self) -> Vec<u8> {
        self.output
            .and_then(|(offset, len)| self.memory.load(offset, len, "output_set").ok())
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// The error message the call set, if any.
    pub fn error(&self) -> Option<String> {
        (self.error != 0)
            .then(|| String::from_utf8_lossy(self.memory.block(self.error)).into_owned())
    }
}

/// The bytes an Extism export is given for an interop input: a string's text, nothing
/// for null, any other JSON as text.
pub(crate) fn input_bytes(input: &Value) -> Vec<u8> {
    match input {
        Value::Null => Vec::new(),
        Value::String(text) => text.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    }
}

/// The JSON value of what an Extism export output: JSON when it parses, else the text;
/// `None` for bytes that are neither.
pub(crate) fn output_value(bytes: &[u8]) -> Option<Value> {
    if bytes.is_empty() {
        return Some(Value::Null);
    }
    serde_json::from_slice(bytes).ok().or_else(|| {
        std::str::from_utf8(bytes)
            .ok()
            .map(|s| Value::String(s.into()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_go_in_as_text_and_come_back_as_json_or_text() {
        assert_eq!(input_bytes(&json!("World")), b"World");
        assert_eq!(input_bytes(&json!({"a": 1})), br#"{"a":1}"#);
        assert_eq!(input_bytes(&Value::Null), b"");
        assert_eq!(output_value(b"Hello, World!"), Some(json!("Hello, World!")));
        assert_eq!(output_value(b"3"), Some(json!(3)));
        assert_eq!(output_value(br#"{"a":1}"#), Some(json!({"a": 1})));
        assert_eq!(output_value(&[0xff, 0xfe]), None);
    }
}
