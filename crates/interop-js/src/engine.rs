//! The binding to the C++ shim (`shim/shim.cc`): the only module that knows V8 is reached
//! through libnode. Everything here is crate-private; replacing the shim with the `v8`
//! crate means rewriting this file only.

use std::ffi::c_void;
use std::sync::Once;

/// Opaque runtime of the shim (one isolate + one context).
#[repr(C)]
pub(crate) struct RawRuntime {
    _private: [u8; 0],
}

/// Opaque answer slot of a host function call.
#[repr(C)]
pub(crate) struct RawRet {
    _private: [u8; 0],
}

/// The callback the shim calls when JS calls a bound host function.
pub(crate) type HostCallback =
    unsafe extern "C" fn(user: *mut c_void, id: u32, args: *const u8, len: usize, ret: *mut RawRet);

unsafe extern "C" {
    fn ijs_init(flags: *const u8, len: usize);
    fn ijs_new(
        heap_limit: usize,
        buffer_limit: usize,
        cb: HostCallback,
        user: *mut c_void,
    ) -> *mut RawRuntime;
    fn ijs_free(rt: *mut RawRuntime);
    fn ijs_terminate(rt: *mut RawRuntime);
    fn ijs_after_terminate(rt: *mut RawRuntime) -> i32;
    fn ijs_eval(
        rt: *mut RawRuntime,
        src: *const u8,
        len: usize,
        name: *const u8,
        name_len: usize,
        out: *mut *const u8,
        out_len: *mut usize,
    ) -> i32;
    fn ijs_call(
        rt: *mut RawRuntime,
        path: *const u8,
        path_len: usize,
        args: *const u8,
        args_len: usize,
        out: *mut *const u8,
        out_len: *mut usize,
    ) -> i32;
    fn ijs_bind_function(
        rt: *mut RawRuntime,
        path: *const u8,
        path_len: usize,
        id: u32,
        out: *mut *const u8,
        out_len: *mut usize,
    ) -> i32;
    fn ijs_bind_json(
        rt: *mut RawRuntime,
        path: *const u8,
        path_len: usize,
        json: *const u8,
        json_len: usize,
        out: *mut *const u8,
        out_len: *mut usize,
    ) -> i32;
    fn ijs_ret_json(ret: *mut RawRet, json: *const u8, len: usize);
    fn ijs_ret_error(
        ret: *mut RawRet,
        msg: *const u8,
        len: usize,
        kind: *const u8,
        kind_len: usize,
    );
    fn ijs_heap_used(rt: *mut RawRuntime) -> usize;
}

/// How a shim operation ended; the text is JSON for `Ok` and `Thrown`.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Finished: the result as JSON text.
    Ok(String),
    /// A JS exception: `{name, message, stack, kind?}` as JSON text.
    Thrown(String),
    /// Execution was terminated (watchdog or heap limit).
    Terminated,
    /// Another failure, described in plain text.
    Failed(String),
}

fn outcome(status: i32, out: *const u8, len: usize) -> Outcome {
    let text = if out.is_null() || len == 0 {
        String::new()
    } else {
        // SAFETY: the shim returns a pointer to `len` bytes it owns, valid until the next
        // operation on the runtime, which cannot start before we return (the caller holds
        // the runtime's lock).
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(out, len) }).into_owned()
    };
    match status {
        0 => Outcome::Ok(text),
        1 => Outcome::Thrown(text),
        2 => Outcome::Terminated,
        _ => Outcome::Failed(text),
    }
}

/// Initializes V8 once per process (platform, then `V8::Initialize`). V8 is never disposed:
/// isolates may exist until the process ends.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: plain call; the shim guards against repeated initialization too.
        unsafe { ijs_init(std::ptr::null(), 0) }
    });
}

/// One isolate + context, freed on drop. Not `Sync`: callers serialise access.
pub(crate) struct Engine {
    raw: *mut RawRuntime,
}

// SAFETY: every shim entry point takes the isolate's v8::Locker, so the isolate may be
// used from any thread, one at a time (callers hold a mutex around the Engine).
unsafe impl Send for Engine {}

impl Engine {
    /// A new isolate with a heap limit and an ArrayBuffer budget (bytes); host function
    /// calls go to `cb(user, ...)`, and `user` must outlive the engine.
    pub(crate) fn new(
        heap_limit: usize,
        buffer_limit: usize,
        cb: HostCallback,
        user: *mut c_void,
    ) -> Option<Engine> {
        init();
        // SAFETY: `cb` and `user` stay valid for the engine's life (caller's contract).
        let raw = unsafe { ijs_new(heap_limit, buffer_limit, cb, user) };
        (!raw.is_null()).then_some(Engine { raw })
    }

    /// A handle that can terminate execution from another thread while the engine lives.
    pub(crate) fn raw_handle(&self) -> usize {
        self.raw as usize
    }

    pub(crate) fn eval(&mut self, name: &str, source: &str) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: valid runtime; the slices outlive the call.
        let status = unsafe {
            ijs_eval(
                self.raw,
                source.as_ptr(),
                source.len(),
                name.as_ptr(),
                name.len(),
                &mut out,
                &mut len,
            )
        };
        outcome(status, out, len)
    }

    /// Calls the function at the dotted `path` with `args` (a JSON array, or empty for no
    /// arguments).
    pub(crate) fn call(&mut self, path: &str, args: &str) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: as in eval.
        let status = unsafe {
            ijs_call(
                self.raw,
                path.as_ptr(),
                path.len(),
                args.as_ptr(),
                args.len(),
                &mut out,
                &mut len,
            )
        };
        outcome(status, out, len)
    }

    pub(crate) fn bind_function(&mut self, path: &str, id: u32) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: as in eval.
        let status = unsafe {
            ijs_bind_function(self.raw, path.as_ptr(), path.len(), id, &mut out, &mut len)
        };
        outcome(status, out, len)
    }

    pub(crate) fn bind_json(&mut self, path: &str, json: &str) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: as in eval.
        let status = unsafe {
            ijs_bind_json(
                self.raw,
                path.as_ptr(),
                path.len(),
                json.as_ptr(),
                json.len(),
                &mut out,
                &mut len,
            )
        };
        outcome(status, out, len)
    }

    /// Clears a pending termination; whether the heap limit had been reached.
    pub(crate) fn after_terminate(&mut self) -> bool {
        // SAFETY: valid runtime.
        unsafe { ijs_after_terminate(self.raw) != 0 }
    }

    pub(crate) fn heap_used(&mut self) -> usize {
        // SAFETY: valid runtime.
        unsafe { ijs_heap_used(self.raw) }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the runtime is ours and freed once.
        unsafe { ijs_free(self.raw) }
    }
}

/// Terminates whatever runs in the runtime at `handle` (from [`Engine::raw_handle`]).
///
/// # Safety
/// The engine must still be alive (the watchdog holds the runtime's guard, which drop
/// takes before freeing).
pub(crate) unsafe fn terminate(handle: usize) {
    // SAFETY: per the contract above.
    unsafe { ijs_terminate(handle as *mut RawRuntime) }
}

/// Answers a host function call with JSON text (empty: `undefined`).
///
/// # Safety
/// `ret` is the slot the shim passed to the callback, used only during it.
pub(crate) unsafe fn ret_json(ret: *mut RawRet, json: &str) {
    // SAFETY: per the contract above.
    unsafe { ijs_ret_json(ret, json.as_ptr(), json.len()) }
}

/// Answers a host function call by throwing an Error with `message` and `kind`.
///
/// # Safety
/// As [`ret_json`].
pub(crate) unsafe fn ret_error(ret: *mut RawRet, message: &str, kind: &str) {
    // SAFETY: per the contract above.
    unsafe {
        ijs_ret_error(
            ret,
            message.as_ptr(),
            message.len(),
            kind.as_ptr(),
            kind.len(),
        )
    }
}
