//! `new Host(options)`: the host bridges configured from JavaScript, mapped onto the
//! sandbox's [`Grants`] (what plugins may reach) and a [`HostSink`] (where their logs and
//! trace events go).

use std::time::Duration;

use napi::bindgen_prelude::Unknown;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::Status;
use napi_derive::napi;

use interop_host::{Concurrency, Grants};
use interop_sandbox::{HostSink, LogRecord, TraceEvent as SandboxTraceEvent, TracingSink};

/// A JavaScript callback receiving `T`, callable from any thread, which does not keep
/// Node's event loop alive on its own.
pub(crate) type Callback<T> = ThreadsafeFunction<T, Unknown<'static>, T, Status, false, true>;

/// The filesystem bridge: the directory plugins may reach.
#[napi(object)]
pub struct FsOptions {
    /// The root directory; paths are checked against it (no `..`, no symlink out).
    pub root: String,
    /// Reads only (default `false`: reads and writes).
    pub read_only: Option<bool>,
}

/// The network bridge. Redirects are returned to the plugin, never followed.
#[napi(object)]
pub struct NetworkOptions {
    /// URL prefixes plugins may fetch under (`https://api.example.com/v1/`).
    pub allowed_url_prefixes: Vec<String>,
    /// Methods allowed under them (default: whatever the manifest asks for, itself GET and
    /// HEAD by default).
    pub allowed_methods: Option<Vec<String>>,
    /// Time of one fetch, in milliseconds (default 30000).
    pub timeout_ms: Option<u32>,
    /// Largest response body, in bytes (default 10 MiB); a longer one is `limit_exceeded`.
    pub max_response_size: Option<u32>,
}

/// Limits of every plugin (a manifest may lower them, never raise them).
#[napi(object)]
pub struct LimitsOptions {
    /// Memory, in MiB (default 64).
    pub memory_mb: Option<u32>,
    /// Time of one call, in milliseconds (default 10000).
    pub timeout_ms: Option<u32>,
    /// Largest message exchanged with a plugin, in bytes (default 16 MiB).
    pub max_message_bytes: Option<u32>,
}

/// How many calls of one plugin run at once, and how many may wait.
#[napi(object)]
pub struct ConcurrencyOptions {
    /// Calls of one plugin running at once (default 16).
    pub max_in_flight: Option<u32>,
    /// Calls of one plugin waiting for a slot (default 1024); one more is refused with
    /// `limit_exceeded`.
    pub max_queued: Option<u32>,
}

/// A trace event a plugin emitted.
#[napi(object)]
#[derive(Clone)]
pub struct TraceEvent {
    /// The plugin.
    pub plugin: String,
    /// A grouping such as `fs` or `compute`.
    pub category: String,
    /// What happened.
    pub name: String,
    /// How long it took, when it measures something.
    pub duration_ms: Option<f64>,
    /// Anything else.
    pub data: serde_json::Value,
}

/// A line a plugin logged.
#[napi(object)]
#[derive(Clone)]
pub struct LogEntry {
    /// The plugin.
    pub plugin: String,
    /// `trace`, `debug`, `info`, `warn` or `error`.
    pub level: String,
    /// The text.
    pub message: String,
}

/// Options of `new Host(options)`. The manifest requests; these grant: a plugin gets what
/// both allow.
#[napi(object, object_to_js = false)]
pub struct HostOptions {
    /// The directory plugins may reach (beyond reading what they request in their own).
    pub fs: Option<FsOptions>,
    /// URLs plugins may fetch.
    pub network: Option<NetworkOptions>,
    /// Environment variables plugins may read.
    pub env: Option<Vec<String>>,
    /// Memory and time limits.
    pub limits: Option<LimitsOptions>,
    /// The functions registered with `registerFunction` that plugins may call: names,
    /// `prefix.*`, or `*` (the default: every registered function).
    pub functions: Option<Vec<String>>,
    /// Grant whatever each manifest requests (within the limits). Default `false`.
    pub grant_requested: Option<bool>,
    /// Directories searched by `loadPythonPlugin(name)` (default: `plugins` and `.`).
    pub plugin_dirs: Option<Vec<String>>,
    /// Calls of one plugin at once.
    pub concurrency: Option<ConcurrencyOptions>,
    /// Receives every trace event plugins emit.
    #[napi(ts_type = "(event: TraceEvent) => void")]
    pub trace: Option<Callback<TraceEvent>>,
    /// Receives every line plugins log (default: Rust's `tracing`).
    #[napi(ts_type = "(record: LogEntry) => void")]
    pub log: Option<Callback<LogEntry>>,
}

impl HostOptions {
    /// What the host grants plugins.
    pub(crate) fn grants(&self) -> Result<Grants, String> {
        let mut grants = if self.grant_requested == Some(true) {
            Grants::requested()
        } else {
            default_grants()
        };
        grants.functions = self
            .functions
            .clone()
            .unwrap_or_else(|| vec!["*".to_owned()]);
        if let Some(fs) = &self.fs {
            if fs.root.is_empty() {
                return Err("fs.root: expected a directory, got an empty string".to_owned());
            }
            grants = grants.allow_path(&fs.root, fs.read_only != Some(true));
        }
        if let Some(net) = &self.network {
            let methods = net
                .allowed_methods
                .as_ref()
                .map(|m| m.iter().map(|m| m.to_ascii_uppercase()).collect::<Vec<_>>());
            for prefix in &net.allowed_url_prefixes {
                grants = grants
                    .allow_url(prefix)
                    .map_err(|e| format!("network.allowedUrlPrefixes: `{prefix}`: {e}"))?;
                if let Some(grant) = grants.network.last_mut() {
                    grant.methods = methods.clone();
                }
            }
            if let Some(ms) = net.timeout_ms {
                grants.limits.fetch_timeout = Duration::from_millis(ms.into());
            }
            if let Some(size) = net.max_response_size {
                grants.limits.max_response_bytes = size.into();
            }
        }
        for name in self.env.iter().flatten() {
            grants = grants.allow_env(name);
        }
        if let Some(limits) = &self.limits {
            if let Some(mb) = limits.memory_mb {
                grants = grants.memory_mb(mb.into());
            }
            if let Some(ms) = limits.timeout_ms {
                grants = grants.timeout(Duration::from_millis(ms.into()));
            }
            if let Some(bytes) = limits.max_message_bytes {
                grants.limits.max_message_bytes = bytes.into();
            }
        }
        Ok(grants)
    }

    /// The concurrency limits of each plugin.
    pub(crate) fn concurrency(&self) -> Concurrency {
        let mut limits = Concurrency::default();
        if let Some(c) = &self.concurrency {
            if let Some(n) = c.max_in_flight {
                limits.max_in_flight = n as usize;
            }
            if let Some(n) = c.max_queued {
                limits.max_queued = n as usize;
            }
        }
        limits
    }

    /// Where plugins' logs and trace events go, when a callback asks for them.
    pub(crate) fn sink(&mut self) -> Option<JsSink> {
        if self.trace.is_none() && self.log.is_none() {
            return None;
        }
        Some(JsSink {
            trace: self.trace.take(),
            log: self.log.take(),
        })
    }
}

/// Hands plugins' logs and trace events to JavaScript callbacks (without waiting for
/// them: a plugin never blocks on its host's logging), and to `tracing` where no callback
/// is set.
pub(crate) struct JsSink {
    trace: Option<Callback<TraceEvent>>,
    log: Option<Callback<LogEntry>>,
}

impl HostSink for JsSink {
    fn log(&self, record: &LogRecord) {
        match &self.log {
            Some(callback) => {
                let entry = LogEntry {
                    plugin: record.plugin.clone(),
                    level: record.level.as_upper().to_ascii_lowercase(),
                    message: record.message.clone(),
                };
                callback.call(entry, ThreadsafeFunctionCallMode::NonBlocking);
            }
            None => TracingSink.log(record),
        }
    }

    fn trace(&self, event: &SandboxTraceEvent) {
        match &self.trace {
            Some(callback) => {
                let event = TraceEvent {
                    plugin: event.plugin.clone(),
                    category: event.category.clone(),
                    name: event.name.clone(),
                    duration_ms: event.duration_ms,
                    data: event.data.clone(),
                };
                callback.call(event, ThreadsafeFunctionCallMode::NonBlocking);
            }
            None => TracingSink.trace(event),
        }
    }
}

/// What a host made without options grants: the sandbox's defaults, and every function
/// the application registers.
pub(crate) fn default_grants() -> Grants {
    Grants::default().allow_function("*")
}
