//! The host API of native plugins: the callback table (`log`, `call` and `free`) adapted to
//! a [`NativeHost`], normally the plugin's [`HostServices`], which do every policy check
//! and audit record.
//!
//! What a plugin passes is checked before it is used: every length against the message
//! limit (a line or arguments over it are refused unread, `limit_exceeded`
//! `message_size`), null pointers with a length refused, and `free` accepts only buffers
//! the host handed out and not yet released (a double or foreign free is ignored and
//! logged). A wild pointer cannot be detected in-process; `isolated: true` confines it.
//!
//! The callbacks are `extern "C"`: a panic inside them is caught and reported to the
//! plugin as an error status, never unwound into the plugin's frames.

use std::collections::HashMap;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

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
    /// A call into the plugin (or its `init`) starts: host calls made until
    /// [`NativeHost::end_call`] belong to it (and end with its deadline).
    fn start_call(&self) {}
    /// The call into the plugin is over.
    fn end_call(&self) {}
}

impl NativeHost for HostServices {
    fn log(&self, level: LogLevel, message: &str) {
        HostServices::log(self, level, message)
    }
    fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        HostServices::call(self, function, args)
    }
    fn start_call(&self) {
        HostServices::start_call(self);
    }
    fn end_call(&self) {
        self.set_deadline(None);
    }
}

/// What a plugin's `ctx` points to.
pub(crate) struct HostCtx {
    pub(crate) host: Arc<dyn NativeHost>,
    plugin: String,
    max_message: usize,
    /// The buffers handed to the plugin and not yet released: address -> length.
    given: Mutex<HashMap<usize, usize>>,
}

impl HostCtx {
    pub(crate) fn new(host: Arc<dyn NativeHost>, plugin: String, max_message: usize) -> Self {
        HostCtx {
            host,
            plugin,
            max_message,
            given: Mutex::new(HashMap::new()),
        }
    }

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

    /// The `len` bytes at `ptr`, once `len` is known to be within the message limit and
    /// `ptr` not null (unless `len` is 0). `what` names them in errors.
    ///
    /// # Safety
    /// A non-null `ptr` must point to `len` readable bytes that stay valid for `'a`.
    unsafe fn bytes<'a>(
        &self,
        ptr: *const u8,
        len: usize,
        what: &str,
    ) -> Result<&'a [u8], PluginError> {
        if len == 0 {
            return Ok(&[]);
        }
        if len > self.max_message || len > isize::MAX as usize {
            return Err(PluginError::limit(
                "message_size",
                format!(
                    "{what} of {len} bytes exceeds the {}-byte message limit",
                    self.max_message
                ),
            ));
        }
        if ptr.is_null() {
            return Err(PluginError::invalid_input(format!(
                "{what}: a null pointer with a length of {len} bytes"
            )));
        }
        // SAFETY: non-null, a sane length, and readable for `'a` by the caller's contract.
        Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
    }

    /// Hands `data` to the plugin as a host-allocated buffer (released by [`host_free`]).
    ///
    /// # Safety
    /// `out` and `out_len` must be null or writable.
    unsafe fn give(&self, data: Vec<u8>, out: *mut *mut u8, out_len: *mut usize) {
        if out.is_null() || out_len.is_null() {
            return;
        }
        if data.is_empty() {
            // SAFETY: both are writable (the caller's contract) and not null.
            unsafe {
                *out = std::ptr::null_mut();
                *out_len = 0;
            }
            return;
        }
        let len = data.len();
        let ptr = Box::into_raw(data.into_boxed_slice()).cast::<u8>();
        lock(&self.given).insert(ptr as usize, len);
        // SAFETY: as above.
        unsafe {
            *out_len = len;
            *out = ptr;
        }
    }
}

impl Drop for HostCtx {
    /// Releases what the plugin never did (it is unloaded by now).
    fn drop(&mut self) {
        for (ptr, len) in lock(&self.given).drain() {
            // SAFETY: a buffer `give` made and nobody released; no one can use it any more.
            drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr as *mut u8, len)) });
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn error_json(error: &PluginError) -> Vec<u8> {
    serde_json::to_vec(error).unwrap_or_else(|_| error.message.clone().into_bytes())
}

/// The context behind a plugin's `ctx` pointer.
///
/// # Safety
/// A non-null `ctx` must be the pointer of a table [`HostCtx::api`] built, whose context
/// is alive (the plugin owning it is loaded).
unsafe fn context<'a>(ctx: *mut c_void) -> Option<&'a HostCtx> {
    // SAFETY: by the caller's contract.
    (!ctx.is_null()).then(|| unsafe { &*(ctx as *const HostCtx) })
}

unsafe extern "C" fn host_log(ctx: *mut c_void, level: i32, msg: *const u8, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the ABI requires `ctx` to be the table's own.
        let Some(ctx) = (unsafe { context(ctx) }) else {
            return;
        };
        // SAFETY: the ABI requires `msg` to point to `len` readable bytes.
        match unsafe { ctx.bytes(msg, len, "log line") } {
            Ok(msg) => ctx.host.log(
                LogLevel::from_number(i64::from(level)),
                &String::from_utf8_lossy(msg),
            ),
            Err(e) => {
                tracing::warn!(target: "interop::ffi", plugin = %ctx.plugin, "log line refused: {}", e.message)
            }
        }
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
        // SAFETY: the ABI requires `ctx` to be the table's own.
        let Some(ctx) = (unsafe { context(ctx) }) else {
            return status::INVALID_INPUT;
        };
        let fail = |code: i32, error: PluginError| {
            // SAFETY: the ABI requires `out`/`out_len` to be writable (null is tolerated).
            unsafe { ctx.give(error_json(&error.in_plugin(&ctx.plugin)), out, out_len) };
            code
        };
        // What the plugin passed and the host cannot read: a bad pointer is
        // INVALID_INPUT, a length over the limit an ERROR (`limit_exceeded`).
        let unreadable = |error: PluginError| {
            let code = match error.kind {
                ErrorKind::LimitExceeded => status::ERROR,
                _ => status::INVALID_INPUT,
            };
            fail(code, error)
        };
        // SAFETY: the ABI requires `name` and `args` to point to their lengths in bytes.
        let name = match unsafe { ctx.bytes(name, name_len, "host call: the function name") } {
            Ok(name) => name,
            Err(e) => return unreadable(e),
        };
        let Ok(name) = std::str::from_utf8(name) else {
            return unreadable(PluginError::invalid_input(
                "host call: the function name is not UTF-8",
            ));
        };
        let what = format!("host call `{name}`: arguments");
        // SAFETY: as above.
        let args = match unsafe { ctx.bytes(args, args_len, &what) } {
            Ok(args) => args,
            Err(e) => return unreadable(e),
        };
        let args: Value = if args.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(args) {
                Ok(v) => v,
                Err(e) => {
                    return unreadable(PluginError::invalid_input(format!(
                        "host call `{name}`: arguments are not JSON: {e}"
                    )))
                }
            }
        };
        match ctx.host.call(name, args) {
            Ok(value) => {
                let bytes = serde_json::to_vec(&value).unwrap_or_default();
                if bytes.len() > ctx.max_message {
                    return fail(
                        status::ERROR,
                        PluginError::limit(
                            "message_size",
                            format!(
                                "host call `{name}`: result of {} bytes exceeds the {}-byte \
                             message limit",
                                bytes.len(),
                                ctx.max_message
                            ),
                        ),
                    );
                }
                // SAFETY: as in `fail`.
                unsafe { ctx.give(bytes, out, out_len) };
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
        tracing::error!(target: "interop::ffi", "host call panicked; reported to the plugin as an error");
        status::ERROR
    })
}

unsafe extern "C" fn host_free(ctx: *mut c_void, ptr: *mut u8, len: usize) {
    if ptr.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the ABI requires `ctx` to be the table's own.
        let Some(ctx) = (unsafe { context(ctx) }) else {
            return;
        };
        let Some(given) = lock(&ctx.given).remove(&(ptr as usize)) else {
            tracing::warn!(target: "interop::ffi", plugin = %ctx.plugin, "free of a buffer the host did not hand out, or already released: ignored");
            return;
        };
        if given != len {
            tracing::warn!(target: "interop::ffi", plugin = %ctx.plugin, "free of a {given}-byte buffer with length {len}: released with its own length");
        }
        // SAFETY: a buffer `give` made with this length, removed from `given`: released
        // exactly once.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, given)) });
    }));
}
