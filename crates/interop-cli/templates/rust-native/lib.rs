//! {{name}}: a native interop plugin in Rust (a shared library, native ABI v1).
//!
//! The host loads the library, calls `interop_plugin_entry` for the descriptor below,
//! then `invoke` with the handler's name and the input as JSON; the reply is JSON too (a
//! string becomes the result's text). A native plugin runs with the host's privileges:
//! set `"isolated": true` in plugin.json to run it in a child process instead.

use std::ffi::{c_char, c_void};
use std::panic::catch_unwind;

use serde_json::{json, Value};

const ABI_VERSION: u32 = 1;
const OK: i32 = 0;
const ERROR: i32 = 1;
const NOT_FOUND: i32 = 2;
const INVALID_INPUT: i32 = 3;

type EntryFn = unsafe extern "C" fn(
    *mut c_void,
    *const u8,
    usize,
    *const u8,
    usize,
    *mut *mut u8,
    *mut usize,
) -> i32;

/// The descriptor of the ABI (`interop_plugin_t` in interop_plugin.h).
#[repr(C)]
pub struct Plugin {
    abi_version: u32,
    size: u32,
    name: *const c_char,
    init: Option<unsafe extern "C" fn(*const c_void, *mut *mut c_void) -> i32>,
    invoke: Option<EntryFn>,
    get_provider: Option<EntryFn>,
    on_event: Option<EntryFn>,
    free: Option<unsafe extern "C" fn(*mut c_void, *mut u8, usize)>,
    deinit: Option<unsafe extern "C" fn(*mut c_void)>,
}

// SAFETY: the descriptor is immutable static data (function pointers, a static string).
unsafe impl Sync for Plugin {}

/// The plugin's actions: the handler's name and its JSON input to a reply or an error.
fn handle(handler: &str, input: Value) -> Result<Value, (i32, String)> {
    match (handler, input) {
        ("greet", Value::String(name)) => Ok(json!(format!("Hello, {name}!"))),
        ("greet", _) => Err((
            INVALID_INPUT,
            "greet: expected the name as a JSON string".into(),
        )),
        (other, _) => Err((NOT_FOUND, format!("no handler `{other}`"))),
    }
}

unsafe extern "C" fn invoke(
    _state: *mut c_void,
    handler: *const u8,
    handler_len: usize,
    input: *const u8,
    input_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    // Nothing may unwind into the host: a panic becomes an error reply.
    let reply = catch_unwind(|| {
        // SAFETY: the host passes valid buffers of these lengths for the call's duration.
        let (handler, input) = unsafe {
            let input = if input_len == 0 {
                &[][..]
            } else {
                std::slice::from_raw_parts(input, input_len)
            };
            (std::slice::from_raw_parts(handler, handler_len), input)
        };
        let handler = std::str::from_utf8(handler)
            .map_err(|_| (INVALID_INPUT, "handler is not UTF-8".to_owned()))?;
        let input = serde_json::from_slice(input).unwrap_or(Value::Null);
        handle(handler, input)
    })
    .unwrap_or_else(|_| Err((ERROR, "the plugin panicked".into())));
    let (code, bytes) = match reply {
        Ok(value) => (OK, value.to_string().into_bytes()),
        Err((code, message)) => (code, message.into_bytes()),
    };
    // Handed to the host, which gives it back through `free`.
    let bytes = bytes.into_boxed_slice();
    *out_len = bytes.len();
    *out = Box::into_raw(bytes).cast::<u8>();
    code
}

unsafe extern "C" fn free(_state: *mut c_void, ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
    }
}

static DESCRIPTOR: Plugin = Plugin {
    abi_version: ABI_VERSION,
    size: std::mem::size_of::<Plugin>() as u32,
    // The manifest's name: the host checks that they agree.
    name: c"{{name}}".as_ptr(),
    init: None,
    invoke: Some(invoke),
    get_provider: None,
    on_event: None,
    free: Some(free),
    deinit: None,
};

/// The one symbol the host looks for.
#[no_mangle]
pub extern "C" fn interop_plugin_entry() -> *const Plugin {
    &DESCRIPTOR
}
