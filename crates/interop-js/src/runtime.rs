//! [`Runtime`]: one V8 isolate with one context, a heap limit and a call timeout, host
//! functions and objects bound into it by name.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use interop_protocol::{PluginError, RawValue};
use interop_sandbox::HostServices;
use serde_json::Value;

use crate::engine::{self, Engine, Outcome, RawRet};
use crate::error::Error;
use crate::watchdog::Watched;

/// Default heap limit of a runtime: 64 MiB (the sandbox default).
pub const DEFAULT_MAX_HEAP_SIZE: usize = 64 * 1024 * 1024;
/// Default time limit of one call: 10 s (the sandbox default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest result of one call: 16 MiB (the sandbox default).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// How a [`Runtime`] is limited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Largest V8 heap, in bytes. Past it (checked at each full collection and at the
    /// end of each call) the running script is terminated and the call fails with a
    /// `memory` limit error. Memory outside the heap (`ArrayBuffer`s, typed
    /// arrays, `WebAssembly.Memory`) gets a budget of the same size: an allocation past
    /// it is refused (a `RangeError` in JS), and a call that fails after a refusal fails
    /// with a `memory` limit error.
    pub max_heap_size: usize,
    /// Longest time one eval or call may run before the watchdog terminates it (`time`
    /// limit error). `None`: no limit.
    pub timeout: Option<Duration>,
    /// Largest text the script hands the host at once: a call's result as JSON
    /// (`message_size` limit error past it), the arguments of a host function call (a
    /// `message_size` error thrown in JS), and a thrown error's message and stack (cut
    /// to it). Checked before the text is copied out of V8.
    pub max_message_bytes: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            max_heap_size: DEFAULT_MAX_HEAP_SIZE,
            timeout: Some(DEFAULT_TIMEOUT),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

impl RuntimeConfig {
    /// The default limits with this heap size.
    pub fn with_max_heap_size(mut self, bytes: usize) -> Self {
        self.max_heap_size = bytes;
        self
    }

    /// The default limits with this timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

/// A host function bound into a runtime: gets the JS arguments as JSON values, returns a
/// JSON value (`undefined` for `Null` is not distinguished: JS sees `null`), or an error the
/// script sees as a thrown `Error` whose `kind` property is the error's kind.
type HostFn = Box<dyn Fn(&[Value]) -> Result<Value, PluginError> + Send + Sync>;

/// The host functions of one runtime, at a stable address the shim calls back with.
struct HostTable {
    functions: RwLock<Vec<(String, HostFn)>>,
}

/// One JavaScript runtime: a V8 isolate with its own heap and a context whose globals
/// persist between calls.
///
/// A runtime is `Send + Sync`; calls into it are serialised (one at a time), and different
/// runtimes run in parallel. Each call runs on the calling thread, which enters the
/// isolate under V8's `Locker`: no hop to another thread, so a call costs well under a
/// microsecond (see `docs/benchmarks.md`).
pub struct Runtime {
    engine: Mutex<Option<Engine>>,
    watched: Arc<Watched>,
    host: Box<HostTable>,
    config: RuntimeConfig,
    /// The host services whose calls follow this runtime's (see `set_call_services`).
    services: RwLock<Option<HostServices>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

unsafe extern "C" fn host_callback(
    user: *mut c_void,
    id: u32,
    args: *const u8,
    len: usize,
    ret: *mut RawRet,
) {
    // SAFETY: `user` is the runtime's HostTable, alive as long as its engine.
    let table = unsafe { &*(user as *const HostTable) };
    let args_text = if len == 0 || args.is_null() {
        ""
    } else {
        // SAFETY: the shim passes `len` bytes of UTF-8 JSON, valid during the callback.
        std::str::from_utf8(unsafe { std::slice::from_raw_parts(args, len) }).unwrap_or("")
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let args: Vec<Value> = if args_text.is_empty() {
            Vec::new()
        } else {
            serde_json::from_str(args_text)
                .map_err(|e| PluginError::invalid_input(format!("host function arguments: {e}")))?
        };
        let functions = table.functions.read().unwrap_or_else(|e| e.into_inner());
        let (_, f) = functions
            .get(id as usize)
            .ok_or_else(|| PluginError::internal(format!("no host function #{id}")))?;
        f(&args)
    }))
    .unwrap_or_else(|_| Err(PluginError::internal("host function panicked")));
    match result {
        // SAFETY: `ret` is the slot of this callback.
        Ok(Value::Null) => unsafe { engine::ret_json(ret, "null") },
        Ok(v) => {
            let text = v.to_string();
            // SAFETY: `ret` is the slot of this callback.
            unsafe { engine::ret_json(ret, &text) }
        }
        Err(e) => {
            let message = format!("{}: {}", e.kind, e.message);
            // SAFETY: as above.
            unsafe {
                engine::ret_error(ret, &message, e.kind.as_str(), e.limit_name().unwrap_or(""))
            }
        }
    }
}

impl Runtime {
    /// A new runtime (isolate + context) with `config`'s limits.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, Error> {
        let host = Box::new(HostTable {
            functions: RwLock::new(Vec::new()),
        });
        let user = &*host as *const HostTable as *mut c_void;
        let engine = Engine::new(
            config.max_heap_size,
            config.max_heap_size,
            config.max_message_bytes,
            host_callback,
            user,
        )
        .map_err(Error::Engine)?;
        let watched = Watched::register(engine.raw_handle());
        Ok(Runtime {
            engine: Mutex::new(Some(engine)),
            watched,
            host,
            config,
            services: RwLock::new(None),
        })
    }

    /// Makes each eval or call of this runtime a call of `services`: its deadline is set
    /// when the eval or call starts ([`HostServices::start_call`]) and cleared when it
    /// ends, so that host calls made through `services` meanwhile (sleeps, fetches) end
    /// at that deadline instead of outliving it. Give each runtime its own services
    /// ([`HostServices::for_instance`]); [`bind_host`](crate::host_api::bind_host) does.
    pub fn set_call_services(&self, services: HostServices) {
        *self.services.write().unwrap_or_else(|e| e.into_inner()) = Some(services);
    }

    /// The runtime's limits.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Runs `source` as a classic script and returns its completion value as JSON
    /// (`undefined` is `null`; a returned promise is awaited).
    pub fn eval(&self, source: &str) -> Result<Value, Error> {
        self.eval_named("<eval>", source)
    }

    /// As [`eval`](Self::eval), naming the script `name` in stack traces.
    pub fn eval_named(&self, name: &str, source: &str) -> Result<Value, Error> {
        self.run(|e| e.eval(name, source))
    }

    /// Calls the global function at `path` (`"add"`, or `"plugin.greet"` to call a method
    /// with its object as `this`) with JSON-able `args`; returns its result (a returned
    /// promise is awaited).
    pub fn call(&self, path: &str, args: &[Value]) -> Result<Value, Error> {
        let args = if args.is_empty() {
            String::new()
        } else {
            Value::Array(args.to_vec()).to_string()
        };
        self.call_json(path, &args)
    }

    /// As [`call`](Self::call), with the arguments already as a JSON array text (or empty
    /// for none).
    ///
    /// Top-level `const`/`let`/`class` declarations of a script are not properties of the
    /// global object; the first call that names one publishes it there
    /// (`globalThis.plugin = plugin`), so a script's `const plugin = {...}` works.
    pub fn call_json(&self, path: &str, args_json: &str) -> Result<Value, Error> {
        self.call_published(path, || self.run(|e| e.call(path, args_json)))
    }

    /// As [`call_json`](Self::call_json), with the result kept as the JSON text the
    /// script's value was printed to (`undefined` is `null`): no `Value` is built.
    pub fn call_raw(&self, path: &str, args_json: &str) -> Result<Box<RawValue>, Error> {
        let text = self.call_published(path, || self.run_text(|e| e.call(path, args_json)))?;
        RawValue::from_string(text.unwrap_or_else(|| "null".to_owned()))
            .map_err(|e| Error::Engine(format!("result is not JSON: {e}")))
    }

    /// Runs `call` (a call of the function at `path`); when `path`'s first name is a
    /// top-level lexical binding not yet on the global object, publishes it and runs
    /// `call` again.
    fn call_published<T>(
        &self,
        path: &str,
        call: impl Fn() -> Result<T, Error>,
    ) -> Result<T, Error> {
        match call() {
            Err(Error::NotFound(what)) => {
                let root = path.split('.').next().unwrap_or(path);
                if is_identifier(root) && self.publish_lexical(root)? {
                    return call().map_err(|err| not_found_at(path, err));
                }
                Err(not_found_at(path, Error::NotFound(what)))
            }
            other => other,
        }
    }

    /// Copies the top-level lexical binding `name` onto the global object, if there is
    /// one and the global object has no such property yet. True when the global object
    /// has it now: also when a concurrent call published it between this call's lookup
    /// and this check, so that the caller retries instead of failing.
    fn publish_lexical(&self, name: &str) -> Result<bool, Error> {
        let script = format!(
            "(typeof {name} !== 'undefined' && !Object.prototype.hasOwnProperty.call(globalThis, '{name}')) \
             ? (globalThis.{name} = {name}, true) \
             : Object.prototype.hasOwnProperty.call(globalThis, '{name}')"
        );
        match self.eval_named("<interop>", &script) {
            Ok(v) => Ok(v == Value::Bool(true)),
            Err(Error::Thrown(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the global `path` (dotted) is a function.
    pub fn has_function(&self, path: &str) -> Result<bool, Error> {
        let probe = format!("typeof globalThis.{path} === 'function'");
        match self.eval(&probe) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(_) => Ok(false),
            Err(Error::Thrown(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Binds `f` as the global function `name` (dotted names create objects:
    /// `host.fs.readFile`). JS calls it synchronously; its arguments arrive as JSON values,
    /// its return value becomes the JS result, and an error is thrown in JS as an `Error`
    /// with the error's message and a `kind` property.
    ///
    /// `f` runs on the thread that called into the runtime, while the runtime is busy: it
    /// must not call back into this same runtime (that would wait on itself forever).
    pub fn bind_function(
        &self,
        name: &str,
        f: impl Fn(&[Value]) -> Result<Value, PluginError> + Send + Sync + 'static,
    ) -> Result<(), Error> {
        let id = {
            let mut functions = self
                .host
                .functions
                .write()
                .unwrap_or_else(|e| e.into_inner());
            match functions.iter().position(|(n, _)| n == name) {
                Some(i) => {
                    functions[i].1 = Box::new(f);
                    return Ok(());
                }
                None => {
                    functions.push((name.to_owned(), Box::new(f)));
                    (functions.len() - 1) as u32
                }
            }
        };
        self.run(|e| e.bind_function(name, id)).map(|_| ())
    }

    /// Binds `value` as the global `name` (dotted names create objects), a plain JS value
    /// made from the JSON.
    pub fn bind_object(&self, name: &str, value: &Value) -> Result<(), Error> {
        let json = value.to_string();
        self.run(|e| e.bind_json(name, &json)).map(|_| ())
    }

    /// Bytes in use in the runtime's V8 heap.
    pub fn heap_used(&self) -> Result<usize, Error> {
        let mut guard = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let engine = guard.as_mut().ok_or(Error::Closed)?;
        Ok(engine.heap_used())
    }

    /// Stops the script running in this runtime, from any thread; the call fails with a
    /// `time` limit error. No effect when nothing runs.
    pub fn terminate(&self) {
        self.watched.terminate_now();
    }

    /// Frees the isolate. Later calls fail with [`Error::Closed`]; closing twice is fine.
    ///
    /// A call running in another thread is terminated first (it fails with a `time` limit
    /// error), so closing never waits on a runaway script.
    pub fn close(&self) {
        self.watched.terminate_now();
        let mut guard = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        self.watched.release();
        guard.take();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }

    fn run(&self, op: impl FnOnce(&mut Engine) -> Outcome) -> Result<Value, Error> {
        match self.run_text(op)? {
            None => Ok(Value::Null),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Error::Engine(format!("result is not JSON: {e}"))),
        }
    }

    /// Runs `op` on the engine under the runtime's limits; its result as the JSON text
    /// the shim printed it to (`None` for `undefined`).
    fn run_text(&self, op: impl FnOnce(&mut Engine) -> Outcome) -> Result<Option<String>, Error> {
        let mut guard = self.engine.lock().unwrap_or_else(|e| e.into_inner());
        let engine = guard.as_mut().ok_or(Error::Closed)?;
        let services = self.services.read().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = services.as_ref() {
            s.start_call();
        }
        if let Some(t) = self.config.timeout {
            self.watched.arm(t);
        }
        let outcome = op(engine);
        let fired = self.watched.disarm();
        if let Some(s) = services.as_ref() {
            s.set_deadline(None);
        }
        drop(services);
        let terminated = matches!(outcome, Outcome::Terminated);
        let heap_hit = if fired || terminated {
            engine.after_terminate()
        } else {
            false
        };
        if heap_hit {
            return Err(Error::Limit {
                limit: "memory",
                message: format!(
                    "the script went past its heap limit of {} MiB and was stopped",
                    self.config.max_heap_size / (1024 * 1024)
                ),
            });
        }
        // A call the watchdog had to stop is over its time, even when it returned before
        // the termination took effect (it was inside a host function then).
        if terminated || fired {
            return Err(Error::Limit {
                limit: "time",
                message: match self.config.timeout {
                    Some(t) if fired => {
                        format!("the script ran past its {t:?} timeout and was stopped")
                    }
                    _ => "the script was stopped by the host".into(),
                },
            });
        }
        match outcome {
            Outcome::Ok(text) if text.is_empty() => Ok(None),
            Outcome::TooLarge => Err(Error::Limit {
                limit: "message_size",
                message: format!(
                    "the result's JSON is over the {}-byte limit",
                    self.config.max_message_bytes
                ),
            }),
            Outcome::Ok(text) => Ok(Some(text)),
            Outcome::Thrown(text) => Err(Error::from_thrown(&text)),
            Outcome::Failed(text) if text == "not found" || text == "not a function" => {
                Err(Error::NotFound(text))
            }
            Outcome::Failed(text) => Err(Error::Engine(text)),
            Outcome::OverBudget => Err(Error::Limit {
                limit: "memory",
                message: format!(
                    "the script's ArrayBuffers and WebAssembly memories would have gone past \
                     their limit of {} MiB; the allocation was refused",
                    self.config.max_heap_size / (1024 * 1024)
                ),
            }),
            Outcome::Terminated => Err(Error::Engine("terminated".into())),
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn not_found_at(path: &str, err: Error) -> Error {
    match err {
        Error::NotFound(what) => Error::NotFound(format!("`{path}` is {what}")),
        other => other,
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.close();
    }
}
