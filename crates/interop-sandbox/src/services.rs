//! The host services plugins call: log, env, the plugin's config, filesystem, HTTP fetch,
//! time, sleep, trace, and the application's own host functions.
//!
//! Each is implemented once, here: checked against the plugin's [`Policy`], recorded in
//! the [`AuditTrail`], and failing with a [`PluginError`]. Backends adapt these methods to
//! their ABI (wasm imports, JS functions, a C callback table, JSON-RPC methods); the
//! JSON form used by the dynamic ABIs is [`HostServices::call`], whose function names and
//! arguments are listed in `docs/host-api.md`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use interop_protocol::{Config, ErrorKind, PluginError};

use crate::audit::{summarize, AuditTrail};
use crate::fetch::{self, FetchRequest, FetchResponse};
use crate::fs::{self, DirEntry, FileStat};
use crate::functions::HostFunctions;
use crate::log::{HostSink, LogLevel, LogRecord, TraceEvent, TracingSink};
use crate::policy::{Access, Policy};

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
    config: Arc<Config>,
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
            config: Arc::default(),
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

    /// Gives the plugin `config` (its manifest's `config` with the host's overrides, see
    /// [`interop_protocol::effective_config`]) to read with `config.get`.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// The plugin's configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The value of the plugin's configuration key `key`, if it has one. Always allowed:
    /// the configuration is the plugin's own.
    pub fn config_get(&self, key: &str) -> Option<Value> {
        self.audited("config.get", key, || Ok(self.config.get(key).cloned()))
            .unwrap_or(None)
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
                return Err(PluginError::denied(
                    self.policy
                        .ungranted
                        .env_reason(name)
                        .unwrap_or_else(|| format!("environment variable `{name}` is not granted")),
                ));
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

    /// Calls a host function by name with JSON arguments: a built-in (the table in
    /// [`builtins`](crate::builtins), listed in `docs/host-api.md`) or one the application
    /// registered and the host granted this plugin. The shared entry point of the
    /// backends whose ABI is JSON (wasm `ft_host_call`, JS, IPC, the native callback
    /// table).
    pub fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        match crate::builtins::find(function) {
            Some(builtin) => builtin(self, args),
            None => self.call_application(function, args),
        }
    }

    /// Calls the application's function `function`, if it exists and is granted.
    fn call_application(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        let plugin = self.plugin();
        let Some(f) = self.functions.get(function) else {
            let err = PluginError::not_found(format!("no host function `{function}`"));
            return self.audited(function, "", || Err(err));
        };
        self.audited(function, &summarize(&args.to_string()), || {
            if !self.policy.function_allowed(function) {
                return Err(PluginError::denied(format!(
                    "host function `{function}` is not granted to this plugin (an application \
                     grants it with `Grants::allow_function`)"
                )));
            }
            f(plugin, args)
        })
    }
}
