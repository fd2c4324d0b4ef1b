//! The binding to the C++ shim (`shim/shim.cc`): the only module that knows V8 is reached
//! through libnode. Everything here is crate-private; replacing the shim with the `v8`
//! crate means rewriting this file only.

use std::ffi::c_void;
use std::sync::OnceLock;

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

type Str = *const u8;
type Out = *mut *const u8;

type InitFn = unsafe extern "C" fn(Str, usize);
type NewFn =
    unsafe extern "C" fn(usize, usize, usize, HostCallback, *mut c_void) -> *mut RawRuntime;
type RtFn = unsafe extern "C" fn(*mut RawRuntime);
type RtIntFn = unsafe extern "C" fn(*mut RawRuntime) -> i32;
type RtSizeFn = unsafe extern "C" fn(*mut RawRuntime) -> usize;
type RunFn = unsafe extern "C" fn(*mut RawRuntime, Str, usize, Str, usize, Out, *mut usize) -> i32;
type BindFnFn = unsafe extern "C" fn(*mut RawRuntime, Str, usize, u32, Out, *mut usize) -> i32;
type RetJsonFn = unsafe extern "C" fn(*mut RawRet, Str, usize);
type RetErrorFn = unsafe extern "C" fn(*mut RawRet, Str, usize, Str, usize, Str, usize);

/// The shim's entry points, resolved with `dlsym` (see [`crate::loader`] for why it is
/// loaded at run time rather than linked).
struct Shim {
    init: InitFn,
    new: NewFn,
    free: RtFn,
    terminate: RtFn,
    after_terminate: RtIntFn,
    eval: RunFn,
    call: RunFn,
    bind_function: BindFnFn,
    bind_json: RunFn,
    ret_json: RetJsonFn,
    ret_error: RetErrorFn,
    heap_used: RtSizeFn,
}

fn load_shim() -> Result<Shim, String> {
    let lib = crate::loader::load()?;
    let sym = |name: &str| -> Result<*mut c_void, String> {
        lib.symbol(name)
            .ok_or_else(|| format!("the V8 shim has no `{name}`"))
    };
    macro_rules! f {
        ($name:literal, $ty:ty) => {
            // SAFETY: the symbol is the shim's function of that name, whose C signature
            // matches the field it is stored in (both written from shim.cc).
            unsafe { std::mem::transmute::<*mut c_void, $ty>(sym($name)?) }
        };
    }
    Ok(Shim {
        init: f!("ijs_init", InitFn),
        new: f!("ijs_new", NewFn),
        free: f!("ijs_free", RtFn),
        terminate: f!("ijs_terminate", RtFn),
        after_terminate: f!("ijs_after_terminate", RtIntFn),
        eval: f!("ijs_eval", RunFn),
        call: f!("ijs_call", RunFn),
        bind_function: f!("ijs_bind_function", BindFnFn),
        bind_json: f!("ijs_bind_json", RunFn),
        ret_json: f!("ijs_ret_json", RetJsonFn),
        ret_error: f!("ijs_ret_error", RetErrorFn),
        heap_used: f!("ijs_heap_used", RtSizeFn),
    })
}

/// The loaded shim, with V8 initialized once per process (platform, then
/// `V8::Initialize`). V8 is never disposed: isolates may exist until the process ends.
fn shim() -> Result<&'static Shim, String> {
    static SHIM: OnceLock<Result<Shim, String>> = OnceLock::new();
    SHIM.get_or_init(|| {
        let shim = load_shim()?;
        // SAFETY: plain call; the shim guards against repeated initialization too.
        unsafe { (shim.init)(std::ptr::null(), 0) };
        Ok(shim)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The shim, once [`shim`] succeeded (every Engine exists only after it did).
fn loaded() -> &'static Shim {
    match shim() {
        Ok(s) => s,
        Err(_) => unreachable!("an Engine exists only once the shim is loaded"),
    }
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
    /// An exception after the runtime's budget for memory outside the heap refused an
    /// allocation.
    OverBudget,
    /// The result's JSON is larger than the runtime's largest message (it was not copied).
    TooLarge,
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
        4 => Outcome::OverBudget,
        5 => Outcome::TooLarge,
        _ => Outcome::Failed(text),
    }
}

/// One isolate + context, freed on drop. Not `Sync`: callers serialise access.
pub(crate) struct Engine {
    raw: *mut RawRuntime,
}

// SAFETY: every shim entry point takes the isolate's v8::Locker, so the isolate may be
// used from any thread, one at a time (callers hold a mutex around the Engine).
unsafe impl Send for Engine {}

impl Engine {
    /// A new isolate with a heap limit, a budget for memory outside the heap, and a
    /// largest message (text handed to the host at once), all in bytes; host function
    /// calls go to `cb(user, ...)`, and `user` must outlive the engine.
    pub(crate) fn new(
        heap_limit: usize,
        buffer_limit: usize,
        max_message: usize,
        cb: HostCallback,
        user: *mut c_void,
    ) -> Result<Engine, String> {
        let shim = shim()?;
        // SAFETY: `cb` and `user` stay valid for the engine's life (caller's contract).
        let raw = unsafe { (shim.new)(heap_limit, buffer_limit, max_message, cb, user) };
        if raw.is_null() {
            return Err("V8 could not create an isolate".into());
        }
        Ok(Engine { raw })
    }

    /// A handle that can terminate execution from another thread while the engine lives.
    pub(crate) fn raw_handle(&self) -> usize {
        self.raw as usize
    }

    pub(crate) fn eval(&mut self, name: &str, source: &str) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: valid runtime; the slices outlive the call.
        let status = unsafe {
            (loaded().eval)(
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
            (loaded().call)(
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
            (loaded().bind_function)(self.raw, path.as_ptr(), path.len(), id, &mut out, &mut len)
        };
        outcome(status, out, len)
    }

    pub(crate) fn bind_json(&mut self, path: &str, json: &str) -> Outcome {
        let (mut out, mut len) = (std::ptr::null(), 0);
        // SAFETY: as in eval.
        let status = unsafe {
            (loaded().bind_json)(
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
        unsafe { (loaded().after_terminate)(self.raw) != 0 }
    }

    pub(crate) fn heap_used(&mut self) -> usize {
        // SAFETY: valid runtime.
        unsafe { (loaded().heap_used)(self.raw) }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // SAFETY: the runtime is ours and freed once.
        unsafe { (loaded().free)(self.raw) }
    }
}

/// Terminates whatever runs in the runtime at `handle` (from [`Engine::raw_handle`]).
///
/// # Safety
/// The engine must still be alive (the watchdog holds the runtime's guard, which drop
/// takes before freeing).
pub(crate) unsafe fn terminate(handle: usize) {
    // SAFETY: per the contract above.
    unsafe { (loaded().terminate)(handle as *mut RawRuntime) }
}

/// Answers a host function call with JSON text (empty: `undefined`).
///
/// # Safety
/// `ret` is the slot the shim passed to the callback, used only during it.
pub(crate) unsafe fn ret_json(ret: *mut RawRet, json: &str) {
    // SAFETY: per the contract above.
    unsafe { (loaded().ret_json)(ret, json.as_ptr(), json.len()) }
}

/// Answers a host function call by throwing an Error with `message`, `kind` and `limit`
/// (the limit a `limit_exceeded` error names; empty: none).
///
/// # Safety
/// As [`ret_json`].
pub(crate) unsafe fn ret_error(ret: *mut RawRet, message: &str, kind: &str, limit: &str) {
    // SAFETY: per the contract above.
    unsafe {
        (loaded().ret_error)(
            ret,
            message.as_ptr(),
            message.len(),
            kind.as_ptr(),
            kind.len(),
            limit.as_ptr(),
            limit.len(),
        )
    }
}
