//! The host services plugins call: log, env, filesystem, HTTP fetch, time, sleep, trace,
//! and the application's own host functions.
//!
//! Each is implemented once, here: checked against the plugin's [`Policy`], recorded in
//! the [`AuditTrail`], and failing with a [`PluginError`]. Backends adapt these methods to
//! their ABI (wasm imports, JS functions, a C callback table, JSON-RPC methods); the
//! JSON form used by the dynamic ABIs is [`HostServices::call`], whose function names and
//! arguments are listed in `docs/host-api.md`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use interop_protocol::{ErrorKind, PluginError};

use crate::audit::{summarize, AuditTrail};
use crate::fetch::{self, FetchRequest, FetchResponse};
use crate::fs::{self, DirEntry, FileStat};
use crate::log::{HostSink, LogLevel, LogRecord, TraceEvent, TracingSink};
use crate::policy::{Access, Policy};

/// An application-defined host function: gets the calling plugin's name and the JSON
/// arguments, returns a JSON value or an error (which the plugin sees as its own error).
pub type HostFunction = Arc<dyn Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync>;

/// The application's host functions, by name. Cloning shares them.
#[derive(Clone, Default)]
pub struct HostFunctions {
    functions: BTreeMap<String, HostFunction>,
}

impl std::fmt::Debug for HostFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.functions.keys()).finish()
    }
}

impl HostFunctions {
    /// No functions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the function `name`.
    pub fn register(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
    ) {
        self.functions.insert(name.into(), Arc::new(f));
    }

    /// The function `name`.
    pub fn get(&self, name: &str) -> Option<&HostFunction> {
        self.functions.get(name)
    }

    /// The names of all functions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }
}

/// The built-in host functions of [`HostServices::call`].
pub const BUILTIN_FUNCTIONS: &[&str] = &[
    "log",
    "env.get",
    "fs.readFile",
    "fs.writeFile",
    "fs.stat",
    "fs.readdir",
    "fs.exists",
    "fs.mkdir",
    "fs.rm",
    "net.fetch",
    "time.now",
    "time.sleep",
    "trace",
];

/// Everything a plugin may ask of the host, bound to that plugin's policy.
///
/// Cheap to clone: the policy, audit trail, sink and functions are shared, and so is the
/// deadline of the call in progress. A backend gives each instance of a plugin (a wasm
/// store, a V8 isolate) its own deadline with [`for_instance`](Self::for_instance) and
/// sets it around each call ([`start_call`](Self::start_call)); host calls made during
/// the call then end at that deadline: a sleep or a fetch that would run past it is cut
/// short with a `limit_exceeded` (`time`) error.
#[derive(Clone)]
pub struct HostServices {
    policy: Arc<Policy>,
    audit: AuditTrail,
    sink: Arc<dyn HostSink>,
    functions: Arc<HostFunctions>,
    deadline: Arc<Deadline>,
}

/// The deadline of the call in progress on one instance, as nanoseconds after
/// [`clock_base`] (0: no call in progress). An atomic so that setting it costs a store.
#[derive(Default)]
struct Deadline(AtomicU64);

/// The instant deadlines are counted from.
fn clock_base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

impl Deadline {
    fn set(&self, deadline: Option<Instant>) {
        let nanos = deadline.map_or(0, |d| {
            let since = d.saturating_duration_since(clock_base()).as_nanos();
            // 0 means "none": a deadline at the very base instant is one nanosecond later.
            u64::try_from(since).unwrap_or(u64::MAX).max(1)
        });
        self.0.store(nanos, Ordering::Relaxed);
    }

    fn get(&self) -> Option<Instant> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            nanos => Some(clock_base() + Duration::from_nanos(nanos)),
        }
    }
}

impl std::fmt::Debug for HostServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostServices")
            .field("plugin", &self.policy.plugin)
            .field("functions", &self.functions)
            .finish_non_exhaustive()
    }
}

impl HostServices {
    /// Services under `policy`, with a fresh audit trail, logs to `tracing`, and no
    /// application functions.
    pub fn new(policy: Policy) -> Self {
        HostServices {
            policy: Arc::new(policy),
            audit: AuditTrail::new(),
            sink: Arc::new(TracingSink),
            functions: Arc::new(HostFunctions::new()),
            deadline: Arc::default(),
        }
    }

    /// The same services with a deadline of their own, for one instance of the plugin
    /// (whose calls run one at a time). Clones of the result share that deadline.
    pub fn for_instance(&self) -> HostServices {
        HostServices {
            deadline: Arc::default(),
            ..self.clone()
        }
    }

    /// Starts a call: its deadline is now plus the policy's time limit. Returns it.
    pub fn start_call(&self) -> Instant {
        let deadline = Instant::now() + self.policy.timeout;
        self.deadline.set(Some(deadline));
        deadline
    }

    /// Sets (or, with `None`, clears) the deadline of the call in progress.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.deadline.set(deadline);
    }

    /// The deadline of the call in progress, if one is.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline.get()
    }

    /// How long the call in progress has left (zero once past its deadline); `None` when
    /// no call is in progress.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .get()
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// The error of a host call cut short by the call's deadline.
    fn past_deadline(&self, what: &str) -> PluginError {
        PluginError::limit(
            "time",
            format!(
                "{what} ran into the call's time limit of {} ms",
                self.policy.timeout.as_millis()
            ),
        )
    }

    /// Records into `audit` (shared with other plugins) instead.
    pub fn with_audit(mut self, audit: AuditTrail) -> Self {
        self.audit = audit;
        self
    }

    /// Sends log lines and trace events to `sink`.
    pub fn with_sink(mut self, sink: Arc<dyn HostSink>) -> Self {
        self.sink = sink;
        self
    }

    /// Offers the application's `functions` to the plugin.
    pub fn with_functions(mut self, functions: Arc<HostFunctions>) -> Self {
        self.functions = functions;
        self
    }

    /// The plugin's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The audit trail calls are recorded in.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// The plugin these services serve.
    pub fn plugin(&self) -> &str {
        &self.policy.plugin
    }

    /// The application's host functions.
    pub fn functions(&self) -> &HostFunctions {
        &self.functions
    }

    fn audited<T>(
        &self,
        function: &str,
        args: &str,
        f: impl FnOnce() -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let result = f().map_err(|e| e.in_plugin(&self.policy.plugin));
        self.audit.record_call(
            &self.policy.plugin,
            function,
            summarize(args),
            started,
            clock.elapsed(),
            &result,
        );
        result
    }

    /// Logs a line from the plugin.
    pub fn log(&self, level: LogLevel, message: &str) {
        let _ = self.audited("log", level.as_upper(), || {
            self.sink.log(&LogRecord {
                plugin: self.policy.plugin.clone(),
                level,
                message: message.to_owned(),
            });
            Ok(())
        });
    }

    /// Reads an environment variable the policy grants. `Ok(None)` when it is granted but
    /// unset; a `denied` error when it is not granted.
    pub fn env_get(&self, name: &str) -> Result<Option<String>, PluginError> {
        self.audited("env.get", name, || {
            if !self.policy.env_allowed(name) {
                return Err(PluginError::denied(format!(
                    "environment variable `{name}` is not granted"
                )));
            }
            Ok(std::env::var(name).ok())
        })
    }

    /// Reads a file's bytes (at most the message-size limit).
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, PluginError> {
        self.audited("fs.readFile", path, || {
            let at = self.policy.locate(path, Access::Read)?;
            fs::read(&at, path, self.policy.max_message_bytes)
        })
    }

    /// Reads a UTF-8 text file.
    pub fn read_text(&self, path: &str) -> Result<String, PluginError> {
        String::from_utf8(self.read_file(path)?).map_err(|_| {
            PluginError::fs(format!("read `{path}`: not UTF-8 text")).in_plugin(self.plugin())
        })
    }

    /// Writes (creates or replaces) a file.
    pub fn write_file(&self, path: &str, bytes: &[u8]) -> Result<(), PluginError> {
        self.audited(
            "fs.writeFile",
            &format!("{path} ({} bytes)", bytes.len()),
            || {
                if bytes.len() as u64 > self.policy.max_message_bytes {
                    return Err(PluginError::limit(
                        "message_size",
                        format!(
                            "write `{path}`: {} bytes is over the {}-byte limit",
                            bytes.len(),
                            self.policy.max_message_bytes
                        ),
                    ));
                }
                fs::write(&self.policy.locate(path, Access::Write)?, path, bytes)
            },
        )
    }

    /// Describes a file or directory.
    pub fn stat(&self, path: &str) -> Result<FileStat, PluginError> {
        self.audited("fs.stat", path, || {
            fs::stat(&self.policy.locate(path, Access::Read)?, path)
        })
    }

    /// Lists a directory, sorted by name.
    pub fn readdir(&self, path: &str) -> Result<Vec<DirEntry>, PluginError> {
        self.audited("fs.readdir", path, || {
            fs::readdir(&self.policy.locate(path, Access::Read)?, path)
        })
    }

    /// Whether a path exists (a denied path is an error, not `false`).
    pub fn exists(&self, path: &str) -> Result<bool, PluginError> {
        self.audited("fs.exists", path, || {
            fs::exists(&self.policy.locate(path, Access::Read)?, path)
        })
    }

    /// Creates a directory and its missing parents.
    pub fn mkdir(&self, path: &str) -> Result<(), PluginError> {
        self.audited("fs.mkdir", path, || {
            fs::mkdir(&self.policy.locate(path, Access::Write)?, path)
        })
    }

    /// Removes a file or a directory tree; removing a missing path succeeds. A granted
    /// root, or a directory holding one, cannot be removed.
    pub fn rm(&self, path: &str) -> Result<(), PluginError> {
        self.audited("fs.rm", path, || {
            let at = self.policy.locate(path, Access::Write)?;
            fs::rm(&at, path, &self.policy.fs)
        })
    }

    /// Performs an HTTP request the policy allows. Redirects are returned, not followed.
    pub fn fetch(&self, request: &FetchRequest) -> Result<FetchResponse, PluginError> {
        self.audited(
            "net.fetch",
            &format!("{} {}", request.method, request.url),
            || {
                let url = self.policy.check_url(&request.url, &request.method)?;
                let net = self
                    .policy
                    .network
                    .as_ref()
                    .ok_or_else(|| PluginError::internal("network policy vanished"))?;
                // A fetch never outlives the call it is part of.
                let remaining = self.remaining().unwrap_or(self.policy.timeout);
                if remaining.is_zero() {
                    return Err(self.past_deadline("fetch"));
                }
                let timeout = net.timeout.min(remaining);
                match fetch::perform(request, &url, timeout, net.max_response_bytes) {
                    Err(e) if e.kind == ErrorKind::Timeout && timeout == remaining => {
                        Err(self.past_deadline(&format!("fetch of {}", request.url)))
                    }
                    other => other,
                }
            },
        )
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0)
    }

    /// Sleeps. During a call, a sleep that would run past the call's deadline sleeps
    /// until the deadline and fails with `limit_exceeded` (`time`); outside a call, a
    /// sleep longer than the call time limit is refused at once.
    pub fn sleep(&self, duration: Duration) -> Result<(), PluginError> {
        self.audited(
            "time.sleep",
            &format!("{} ms", duration.as_millis()),
            || match self.remaining() {
                // Sleep until the deadline, not past it: the call is over then.
                Some(left) if duration >= left => {
                    std::thread::sleep(left);
                    Err(self.past_deadline(&format!("sleep of {} ms", duration.as_millis())))
                }
                None if duration > self.policy.timeout => Err(PluginError::limit(
                    "time",
                    format!(
                        "sleep of {duration:?} is longer than the {:?} call limit",
                        self.policy.timeout
                    ),
                )),
                _ => {
                    std::thread::sleep(duration);
                    Ok(())
                }
            },
        )
    }

    /// Emits a trace event.
    pub fn trace(&self, mut event: TraceEvent) {
        event.plugin = self.policy.plugin.clone();
        let _ = self.audited("trace", &event.name.clone(), || {
            self.sink.trace(&event);
            Ok(())
        });
    }

    /// Calls a host function by name with JSON arguments: a built-in
    /// ([`BUILTIN_FUNCTIONS`]) or one the application registered. The shared entry point
    /// of the backends whose ABI is JSON (JS, IPC, the native callback table).
    pub fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        let plugin = self.plugin();
        match function {
            "log" => {
                let level = match args.get("level") {
                    Some(Value::Number(n)) => LogLevel::from_number(n.as_i64().unwrap_or(2)),
                    Some(Value::String(s)) => LogLevel::parse(s).unwrap_or(LogLevel::Info),
                    _ => LogLevel::Info,
                };
                let message: String = field(&args, "message", function, plugin)?;
                self.log(level, &message);
                Ok(Value::Null)
            }
            "env.get" => Ok(json!(
                self.env_get(&field::<String>(&args, "name", function, plugin)?)?
            )),
            "fs.readFile" => {
                let path: String = field(&args, "path", function, plugin)?;
                let bytes = self.read_file(&path)?;
                match args.get("encoding").and_then(Value::as_str) {
                    Some("base64") => Ok(json!(
                        base64::engine::general_purpose::STANDARD.encode(bytes)
                    )),
                    _ => String::from_utf8(bytes).map(Value::String).map_err(|_| {
                        PluginError::fs(format!(
                            "read `{path}`: not UTF-8 text; pass \"encoding\": \"base64\""
                        ))
                        .in_plugin(plugin)
                    }),
                }
            }
            "fs.writeFile" => {
                let path: String = field(&args, "path", function, plugin)?;
                let bytes = match (args.get("content"), args.get("contentBase64")) {
                    (Some(Value::String(text)), None) => text.clone().into_bytes(),
                    (None, Some(Value::String(b64))) => base64::engine::general_purpose::STANDARD
                        .decode(b64)
                        .map_err(|e| {
                            bad_args(
                                function,
                                plugin,
                                &format!("`contentBase64` is not base64: {e}"),
                            )
                        })?,
                    _ => {
                        return Err(bad_args(
                            function,
                            plugin,
                            "expected a string `content` or `contentBase64`",
                        ))
                    }
                };
                self.write_file(&path, &bytes)?;
                Ok(Value::Null)
            }
            "fs.stat" => to_json(self.stat(&field::<String>(&args, "path", function, plugin)?)?),
            "fs.readdir" => {
                to_json(self.readdir(&field::<String>(&args, "path", function, plugin)?)?)
            }
            "fs.exists" => Ok(json!(
                self.exists(&field::<String>(&args, "path", function, plugin)?)?
            )),
            "fs.mkdir" => self
                .mkdir(&field::<String>(&args, "path", function, plugin)?)
                .map(|_| Value::Null),
            "fs.rm" => self
                .rm(&field::<String>(&args, "path", function, plugin)?)
                .map(|_| Value::Null),
            "net.fetch" => {
                let request: FetchRequest = serde_json::from_value(args)
                    .map_err(|e| bad_args(function, plugin, &e.to_string()))?;
                to_json(self.fetch(&request)?)
            }
            "time.now" => Ok(json!(self.now_ms())),
            "time.sleep" => {
                let ms: u64 = field(&args, "ms", function, plugin)?;
                self.sleep(Duration::from_millis(ms)).map(|_| Value::Null)
            }
            "trace" => {
                let event: TraceEvent = serde_json::from_value(args)
                    .map_err(|e| bad_args(function, plugin, &e.to_string()))?;
                self.trace(event);
                Ok(Value::Null)
            }
            other => match self.functions.get(other) {
                Some(f) => {
                    let f = f.clone();
                    self.audited(other, &summarize(&args.to_string()), || f(plugin, args))
                }
                None => {
                    let err = PluginError::not_found(format!("no host function `{other}`"))
                        .in_plugin(plugin);
                    self.audit.record_call(
                        plugin,
                        other,
                        String::new(),
                        SystemTime::now(),
                        Duration::ZERO,
                        &Err::<(), _>(err.clone()),
                    );
                    Err(err)
                }
            },
        }
    }
}

fn bad_args(function: &str, plugin: &str, why: &str) -> PluginError {
    PluginError::invalid_input(format!("host function `{function}`: {why}")).in_plugin(plugin)
}

fn field<T: DeserializeOwned>(
    args: &Value,
    name: &str,
    function: &str,
    plugin: &str,
) -> Result<T, PluginError> {
    let value = args
        .get(name)
        .ok_or_else(|| bad_args(function, plugin, &format!("missing argument `{name}`")))?;
    serde_json::from_value(value.clone())
        .map_err(|e| bad_args(function, plugin, &format!("argument `{name}`: {e}")))
}

fn to_json(value: impl serde::Serialize) -> Result<Value, PluginError> {
    serde_json::to_value(value).map_err(|e| PluginError::internal(e.to_string()))
}
