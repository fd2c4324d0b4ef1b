//! Where plugins' log lines and trace events go.
//!
//! The application decides: [`TracingSink`] (the default) forwards them to `tracing`,
//! [`MemorySink`] keeps them for tests and tools, or the application implements
//! [`HostSink`] itself.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Log levels, numbered as in the wasm ABI (`ft_log`): 0 trace .. 4 error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// 0
    Trace,
    /// 1
    Debug,
    /// 2
    Info,
    /// 3
    Warn,
    /// 4
    Error,
}

impl LogLevel {
    /// The level numbered `n` in the ABI; out-of-range numbers clamp to trace or error.
    pub fn from_number(n: i64) -> Self {
        match n {
            i64::MIN..=0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            _ => LogLevel::Error,
        }
    }

    /// Parses `trace`, `debug`, `info`, `warn`/`warning`, `error` (any case).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "trace" => LogLevel::Trace,
            "debug" => LogLevel::Debug,
            "info" | "log" => LogLevel::Info,
            "warn" | "warning" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => return None,
        })
    }

    /// The level's name in upper case (`INFO`).
    pub fn as_upper(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
        }
    }
}

/// One log line from a plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The plugin that logged it.
    pub plugin: String,
    /// Its level.
    pub level: LogLevel,
    /// The text.
    pub message: String,
}

/// One trace event from a plugin: category, name, duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceEvent {
    /// The plugin that emitted it.
    #[serde(default)]
    pub plugin: String,
    /// A grouping such as `fs` or `compute`.
    #[serde(default)]
    pub category: String,
    /// What happened.
    pub name: String,
    /// How long it took, when it measures something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// Anything else.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

/// Receives plugins' log lines and trace events.
pub trait HostSink: Send + Sync {
    /// A plugin logged a line.
    fn log(&self, record: &LogRecord);
    /// A plugin emitted a trace event.
    fn trace(&self, event: &TraceEvent);
}

/// Forwards to `tracing`, target `interop::plugin`.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingSink;

impl HostSink for TracingSink {
    fn log(&self, r: &LogRecord) {
        let (plugin, message) = (&r.plugin, &r.message);
        match r.level {
            LogLevel::Trace => tracing::trace!(target: "interop::plugin", %plugin, "{message}"),
            LogLevel::Debug => tracing::debug!(target: "interop::plugin", %plugin, "{message}"),
            LogLevel::Info => tracing::info!(target: "interop::plugin", %plugin, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "interop::plugin", %plugin, "{message}"),
            LogLevel::Error => tracing::error!(target: "interop::plugin", %plugin, "{message}"),
        }
    }

    fn trace(&self, e: &TraceEvent) {
        tracing::info!(
            target: "interop::trace",
            plugin = %e.plugin, category = %e.category, name = %e.name,
            duration_ms = e.duration_ms, data = %e.data,
        );
    }
}

/// Keeps everything in memory (and forwards to `tracing` too).
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    logs: Arc<Mutex<Vec<LogRecord>>>,
    traces: Arc<Mutex<Vec<TraceEvent>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// The log lines received so far.
    pub fn logs(&self) -> Vec<LogRecord> {
        self.logs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The trace events received so far.
    pub fn traces(&self) -> Vec<TraceEvent> {
        self.traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl HostSink for MemorySink {
    fn log(&self, record: &LogRecord) {
        TracingSink.log(record);
        self.logs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record.clone());
    }

    fn trace(&self, event: &TraceEvent) {
        TracingSink.trace(event);
        self.traces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
    }
}
