//! The greeter as a native interop plugin in Rust (native ABI v1, see docs/abi.md and
//! examples/include/interop_plugin.h).
//!
//! - action `greet`: `"World"` -> `Hello, World!` (prefixed by `$GREETER_PREFIX` and a
//!   space when the variable is granted and set)
//! - action `farewell`: `"World"` -> `Goodbye, World!`
//! - provider `greeting`: the text of `data/greeting.txt`, read through the host fs API
//! - hook `config.reload` -> `on_reload`: logs a line
//!
//! It answers exactly like its wasm twins (`rust-greeter`, `go-greeter`, `c-greeter`...).
//!
//! The `abi` module mirrors the C header; the `Host` wrapper and `export` glue are what a
//! plugin SDK would provide. Every entry point catches panics: none may unwind into the
//! host.

use std::ffi::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use serde_json::{json, Value};

/// The ABI's types, as in `interop_plugin.h`.
mod abi {
    use std::ffi::{c_char, c_void};

    pub const ABI_VERSION: u32 = 1;
    pub const OK: i32 = 0;
    pub const ERROR: i32 = 1;
    pub const NOT_FOUND: i32 = 2;
    pub const INVALID_INPUT: i32 = 3;
    pub const LOG_INFO: i32 = 2;

    #[repr(C)]
    pub struct HostApi {
        pub abi_version: u32,
        pub size: u32,
        pub ctx: *mut c_void,
        pub log: unsafe extern "C" fn(*mut c_void, i32, *const u8, usize),
        pub call: unsafe extern "C" fn(
            *mut c_void,
            *const u8,
            usize,
            *const u8,
            usize,
            *mut *mut u8,
            *mut usize,
        ) -> i32,
        pub free: unsafe extern "C" fn(*mut c_void, *mut u8, usize),
    }

    pub type EntryFn = unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *const u8,
        usize,
        *mut *mut u8,
        *mut usize,
    ) -> i32;

    #[repr(C)]
    pub struct Plugin {
        pub abi_version: u32,
        pub size: u32,
        pub name: *const c_char,
        pub init: Option<unsafe extern "C" fn(*const HostApi, *mut *mut c_void) -> i32>,
        pub invoke: Option<EntryFn>,
        pub get_provider: Option<EntryFn>,
        pub on_event: Option<EntryFn>,
        pub free: Option<unsafe extern "C" fn(*mut c_void, *mut u8, usize)>,
        pub deinit: Option<unsafe extern "C" fn(*mut c_void)>,
    }

    // SAFETY: the descriptor is immutable static data (function pointers and a static
    // string).
    unsafe impl Sync for Plugin {}
}

/// The host API, safely.
struct Host {
    api: *const abi::HostApi,
}

impl Host {
    fn log(&self, level: i32, msg: &str) {
        // SAFETY: the host keeps the table valid from init until deinit returns.
        unsafe { ((*self.api).log)((*self.api).ctx, level, msg.as_ptr(), msg.len()) }
    }

    /// Calls a host function; `Err` carries the host's error (a `PluginError` object).
    fn call(&self, name: &str, args: Value) -> Result<Value, Value> {
        let args = args.to_string();
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len = 0usize;
        // SAFETY: as in `log`; `out` is released with the host's `free` below.
        let (rc, bytes) = unsafe {
            let api = &*self.api;
            let rc = (api.call)(
                api.ctx,
                name.as_ptr(),
                name.len(),
                args.as_ptr(),
                args.len(),
                &mut out,
                &mut out_len,
            );
            let bytes = if out.is_null() {
                Vec::new()
            } else {
                let bytes = std::slice::from_raw_parts(out, out_len).to_vec();
                (api.free)(api.ctx, out, out_len);
                bytes
            };
            (rc, bytes)
        };
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if rc == abi::OK {
            Ok(value)
        } else {
            Err(value)
        }
    }
}

/// What a handler returns: the reply JSON, or a status and an error (JSON or text).
type Reply = Result<Value, (i32, Value)>;

/// The name an action was given: its input, a JSON string.
fn name_of(action: &str, input: &Value) -> Result<String, (i32, Value)> {
    match input {
        Value::String(name) => Ok(name.clone()),
        _ => Err((
            abi::INVALID_INPUT,
            json!(format!("{action}: expected the name as a JSON string")),
        )),
    }
}

/// `greet`: "World" -> "Hello, World!", prefixed by `$GREETER_PREFIX` and a space when
/// the variable is granted and set.
fn greet(host: &Host, input: &Value) -> Reply {
    let name = name_of("greet", input)?;
    host.log(abi::LOG_INFO, &format!("greet {name}"));
    let greeting = format!("Hello, {name}!");
    Ok(json!(
        match host.call("env.get", json!({ "name": "GREETER_PREFIX" })) {
            Ok(Value::String(prefix)) if !prefix.is_empty() => format!("{prefix} {greeting}"),
            _ => greeting,
        }
    ))
}

/// `farewell`: "World" -> "Goodbye, World!".
fn farewell(host: &Host, input: &Value) -> Reply {
    let name = name_of("farewell", input)?;
    host.log(abi::LOG_INFO, &format!("farewell {name}"));
    Ok(json!(format!("Goodbye, {name}!")))
}

fn invoke(host: &Host, handler: &str, input: Value) -> Reply {
    match handler {
        "greet" => greet(host, &input),
        "farewell" => farewell(host, &input),
        _ => Err((abi::NOT_FOUND, Value::Null)),
    }
}

/// Provider `greeting`: the text of data/greeting.txt, read through the host.
fn get_provider(host: &Host, handler: &str, _input: Value) -> Reply {
    match handler {
        "greeting" => match host.call("fs.readFile", json!({ "path": "data/greeting.txt" })) {
            Ok(Value::String(text)) => Ok(json!(text.trim_end())),
            Ok(_) => Err((
                abi::ERROR,
                json!("fs.readFile returned something other than text"),
            )),
            Err(e) => Err((abi::ERROR, e)),
        },
        _ => Err((abi::NOT_FOUND, Value::Null)),
    }
}

/// Hook `config.reload`: logs a line.
fn on_event(host: &Host, handler: &str, _payload: Value) -> Reply {
    match handler {
        "on_reload" => {
            host.log(abi::LOG_INFO, "greeter: configuration reloaded");
            Ok(Value::Null)
        }
        _ => Err((abi::NOT_FOUND, Value::Null)),
    }
}

/// Hands `bytes` to the host (released through `plugin_free`).
unsafe fn give(bytes: Vec<u8>, out: *mut *mut u8, out_len: *mut usize) {
    let boxed = bytes.into_boxed_slice();
    *out_len = boxed.len();
    *out = Box::into_raw(boxed).cast::<u8>();
}

/// The glue of every entry point: decode, dispatch, encode, and never unwind.
#[allow(clippy::too_many_arguments)] // the ABI's seven parameters, plus the handler
unsafe fn export(
    state: *mut c_void,
    handler: *const u8,
    handler_len: usize,
    input: *const u8,
    input_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
    f: fn(&Host, &str, Value) -> Reply,
) -> i32 {
    let run = AssertUnwindSafe(|| {
        let host = &*(state as *const Host);
        let handler = std::slice::from_raw_parts(handler, handler_len);
        let input = if input_len == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(input, input_len)
        };
        let Ok(handler) = std::str::from_utf8(handler) else {
            return (abi::INVALID_INPUT, json!("handler name is not UTF-8"));
        };
        let input: Value = if input.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(input) {
                Ok(v) => v,
                Err(e) => return (abi::INVALID_INPUT, json!(format!("input is not JSON: {e}"))),
            }
        };
        match f(host, handler, input) {
            Ok(v) => (abi::OK, v),
            Err((code, v)) => (code, v),
        }
    });
    let (code, value) = catch_unwind(run).unwrap_or_else(|_| {
        (
            abi::ERROR,
            json!({"kind": "exec", "message": "plugin panicked"}),
        )
    });
    // An error given as a bare string is sent as plain text (taken as an `exec` error).
    let bytes = match (code, value) {
        (abi::OK, v) => v.to_string().into_bytes(),
        (_, Value::Null) => Vec::new(),
        (_, Value::String(s)) => s.into_bytes(),
        (_, v) => v.to_string().into_bytes(),
    };
    give(bytes, out, out_len);
    code
}

macro_rules! entry {
    ($name:ident, $f:path) => {
        unsafe extern "C" fn $name(
            state: *mut c_void,
            handler: *const u8,
            handler_len: usize,
            input: *const u8,
            input_len: usize,
            out: *mut *mut u8,
            out_len: *mut usize,
        ) -> i32 {
            export(
                state,
                handler,
                handler_len,
                input,
                input_len,
                out,
                out_len,
                $f,
            )
        }
    };
}

entry!(plugin_invoke, invoke);
entry!(plugin_get_provider, get_provider);
entry!(plugin_on_event, on_event);

unsafe extern "C" fn plugin_init(host: *const abi::HostApi, state: *mut *mut c_void) -> i32 {
    if host.is_null() || (*host).abi_version != abi::ABI_VERSION {
        return abi::ERROR;
    }
    *state = Box::into_raw(Box::new(Host { api: host })).cast();
    abi::OK
}

unsafe extern "C" fn plugin_free(_state: *mut c_void, ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
    }
}

unsafe extern "C" fn plugin_deinit(state: *mut c_void) {
    if !state.is_null() {
        drop(Box::from_raw(state.cast::<Host>()));
    }
}

static DESCRIPTOR: abi::Plugin = abi::Plugin {
    abi_version: abi::ABI_VERSION,
    size: std::mem::size_of::<abi::Plugin>() as u32,
    name: c"rust-native-greeter".as_ptr() as *const c_char,
    init: Some(plugin_init),
    invoke: Some(plugin_invoke),
    get_provider: Some(plugin_get_provider),
    on_event: Some(plugin_on_event),
    free: Some(plugin_free),
    deinit: Some(plugin_deinit),
};

/// The one symbol the host looks for.
#[no_mangle]
pub extern "C" fn interop_plugin_entry() -> *const abi::Plugin {
    &DESCRIPTOR
}
