//! The host API of native plugins: the callback table (`log`, `call` and `free`) adapted to
//! a [`NativeHost`], normally the plugin's [`HostServices`], which do every policy check
//! and audit record.
//!
//! The callbacks are `extern "C"`: a panic inside them is caught and reported to the
//! plugin as an error status, never unwound into the plugin's frames.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use interop_protocol::{ErrorKind, PluginError};
use interop_sandbox::{HostServices, LogLevel};
use serde_json::Value;

use crate::abi::{status, HostApi, ABI_VERSION};

/// What the callback table forwards to. [`HostServices`] is the implementation in a host;
/// isolated mode's runner implements it by forwarding over IPC to the parent host, whose
/// services then check and audit each call.
pub trait NativeHost: Send + Sync {
    /// A log line from the plugin.
    fn log(&self, level: LogLevel, message: &str);
    /// A host function call by name with JSON arguments (`HostServices::call`'s names).
    fn call(&self, function: &str, args: Value) -> Result<Value, PluginError>;
}

impl NativeHost for HostServices {
    fn log(&self, level: LogLevel, message: &str) {
        HostServices::log(self, level, message)
    }
    fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        HostServices::call(self, function, args)
    }
}

/// What a plugin's `ctx` points to.
pub(crate) struct HostCtx {
    pub(crate) host: Arc<dyn NativeHost>,
    pub(crate) plugin: String,
}

impl HostCtx {
    /// The callback table for this context. The context must outlive every use of the
    /// table (the plugin owning both keeps them until after `deinit`).
    pub(crate) fn api(ctx: &HostCtx) -> HostApi {
        HostApi {
            abi_version: ABI_VERSION,
            size: std::mem::size_of::<HostApi>() as u32,
            ctx: ctx as *const HostCtx as *mut c_void,
            log: host_log,
            call: host_call,
            free: host_free,
        }
    }
}

/// Reads `len` bytes at `ptr`, accepting a null pointer only for an empty slice.
///
/// # Safety
/// A non-null `ptr` must point to `len` readable bytes that stay valid for `'a`.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        Some(&[])
    } else if ptr.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(ptr, len))
    }
}

/// Hands `data` to the plugin as a host-allocated buffer (released by [`host_free`]).
///
/// # Safety
/// `out` and `out_len` must be null or writable.
unsafe fn give(data: Vec<u8>, out: *mut *mut u8, out_len: *mut usize) {
    if out.is_null() || out_len.is_null() {
        return;
    }
    if data.is_empty() {
        *out = std::ptr::null_mut();
        *out_len = 0;
        return;
    }
    let boxed: Box<[u8]> = data.into_boxed_slice();
    *out_len = boxed.len();
    *out = Box::into_raw(boxed).cast::<u8>();
}

fn error_json(error: &PluginError) -> Vec<u8> {
    serde_json::to_vec(error).unwrap_or_else(|_| error.message.clone().into_bytes())
}

unsafe extern "C" fn host_log(ctx: *mut c_void, level: i32, msg: *const u8, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        if ctx.is_null() {
            return;
        }
        // SAFETY: `ctx` is the `HostCtx` this table was built for (see `HostCtx::api`).
        let ctx = unsafe { &*(ctx as *const HostCtx) };
        // SAFETY: the ABI requires `msg` to point to `len` readable bytes.
        let Some(msg) = (unsafe { bytes(msg, len) }) else {
            return;
        };
        ctx.host.log(
            LogLevel::from_number(i64::from(level)),
            &String::from_utf8_lossy(msg),
        );
    }));
}

unsafe extern "C" fn host_call(
    ctx: *mut c_void,
    name: *const u8,
    name_len: usize,
    args: *const u8,
    args_len: usize,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(|| {
        if ctx.is_null() {
            return status::INVALID_INPUT;
        }
        // SAFETY: as in `host_log`.
        let ctx = unsafe { &*(ctx as *const HostCtx) };
        let plugin = ctx.plugin.as_str();
        let fail = |code: i32, error: PluginError| {
            // SAFETY: the ABI requires `out`/`out_len` to be writable (null is tolerated).
            unsafe { give(error_json(&error.in_plugin(plugin)), out, out_len) };
            code
        };
        // SAFETY: the ABI requires `name` and `args` to point to their lengths in bytes.
        let (name, args) = unsafe { (bytes(name, name_len), bytes(args, args_len)) };
        let Some(name) = name.and_then(|n| std::str::from_utf8(n).ok()) else {
            return fail(
                status::INVALID_INPUT,
                PluginError::invalid_input("host call: the function name is not UTF-8"),
            );
        };
        let Some(args) = args else {
            return fail(
                status::INVALID_INPUT,
                PluginError::invalid_input(format!("host call `{name}`: null arguments")),
            );
        };
        let args: Value = if args.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(args) {
                Ok(v) => v,
                Err(e) => {
                    return fail(
                        status::INVALID_INPUT,
                        PluginError::invalid_input(format!(
                            "host call `{name}`: arguments are not JSON: {e}"
                        )),
                    )
                }
            }
        };
        match ctx.host.call(name, args) {
            Ok(value) => {
                let bytes = serde_json::to_vec(&value).unwrap_or_default();
                // SAFETY: as above.
                unsafe { give(bytes, out, out_len) };
                status::OK
            }
            Err(e) => {
                let code =
                    if e.kind == ErrorKind::NotFound && e.message.starts_with("no host function") {
                        status::NOT_FOUND
                    } else {
                        status::ERROR
                    };
                fail(code, e)
            }
        }
    }));
    result.unwrap_or_else(|_| {
        tracing::error!("host call panicked; reported to the plugin as an error");
        status::ERROR
    })
}

unsafe extern "C" fn host_free(_ctx: *mut c_void, ptr: *mut u8, len: usize) {
    if ptr.is_null() || len == 0 {
        return;
    }
    // SAFETY: the ABI requires `ptr`/`len` to be a buffer `give` returned, freed once.
    let _ = catch_unwind(|| unsafe {
        drop(Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)));
    });
}
