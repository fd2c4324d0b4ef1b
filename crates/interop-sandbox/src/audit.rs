//! The audit trail: one record per host call a plugin makes.
//!
//! Every host service goes through [`HostServices`](crate::HostServices), which records
//! the plugin, the function, a short summary of the arguments, the outcome and the
//! duration here. The trail is shared (cloning it shares it) by all plugins of a host,
//! keeps the most recent records in memory (bounded) and can also stream every record
//! as a JSON line to a writer, such as a file.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use interop_protocol::{ErrorKind, PluginError};

/// How a host call ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It succeeded.
    Ok,
    /// The policy refused it.
    Denied {
        /// Why.
        reason: String,
    },
    /// It was allowed but failed.
    Error {
        /// The error kind.
        kind: ErrorKind,
        /// The error message.
        message: String,
    },
}

impl AuditOutcome {
    /// The outcome of a call that returned `result`.
    pub fn of<T>(result: &Result<T, PluginError>) -> Self {
        match result {
            Ok(_) => AuditOutcome::Ok,
            Err(e) if e.kind == ErrorKind::Denied => AuditOutcome::Denied {
                reason: e.message.clone(),
            },
            Err(e) => AuditOutcome::Error {
                kind: e.kind,
                message: e.message.clone(),
            },
        }
    }
}

/// One host call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When the call started, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
    /// The calling plugin.
    pub plugin: String,
    /// The host function (`fs.read`, `net.fetch`, `env.get`...).
    pub function: String,
    /// A short summary of the arguments (a path, a URL, a variable name), never contents.
    pub args: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// How long it took, in microseconds.
    pub duration_us: u64,
}

/// Default number of records kept in memory.
pub const DEFAULT_CAPACITY: usize = 10_000;

struct Inner {
    events: VecDeque<AuditEvent>,
    capacity: usize,
    sink: Option<Box<dyn Write + Send>>,
    total: u64,
}

/// A shared, bounded record of host calls.
#[derive(Clone)]
pub struct AuditTrail {
    inner: Arc<Mutex<Inner>>,
}

impl Default for AuditTrail {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.lock();
        f.debug_struct("AuditTrail")
            .field("kept", &inner.events.len())
            .field("total", &inner.total)
            .finish()
    }
}

impl AuditTrail {
    /// A trail keeping the last [`DEFAULT_CAPACITY`] records.
    pub fn new() -> Self {
        Self::default()
    }

    /// A trail keeping the last `capacity` records.
    pub fn with_capacity(capacity: usize) -> Self {
        AuditTrail {
            inner: Arc::new(Mutex::new(Inner {
                events: VecDeque::new(),
                capacity: capacity.max(1),
                sink: None,
                total: 0,
            })),
        }
    }

    /// Also writes every future record to `sink`, one JSON object per line.
    pub fn stream_to(&self, sink: impl Write + Send + 'static) {
        self.lock().sink = Some(Box::new(sink));
    }

    // A panic while holding the lock cannot leave the trail inconsistent (each update is
    // a push or a pop), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a call.
    pub fn record(&self, event: AuditEvent) {
        tracing::debug!(
            target: "interop::audit",
            plugin = %event.plugin, function = %event.function, args = %event.args,
            outcome = ?event.outcome, duration_us = event.duration_us,
        );
        let mut inner = self.lock();
        inner.total += 1;
        if let Some(sink) = inner.sink.as_mut() {
            let line = serde_json::to_string(&event).unwrap_or_default();
            if let Err(e) = writeln!(sink, "{line}") {
                tracing::warn!(target: "interop::audit", "cannot write audit record: {e}");
            }
        }
        if inner.events.len() == inner.capacity {
            inner.events.pop_front();
        }
        inner.events.push_back(event);
    }

    /// Records a call made by `plugin` to `function`, started at `started`.
    pub fn record_call<T>(
        &self,
        plugin: &str,
        function: &str,
        args: String,
        started: SystemTime,
        elapsed: Duration,
        result: &Result<T, PluginError>,
    ) {
        self.record(AuditEvent {
            ts_ms: started
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            plugin: plugin.to_owned(),
            function: function.to_owned(),
            args,
            outcome: AuditOutcome::of(result),
            duration_us: elapsed.as_micros() as u64,
        });
    }

    /// The records kept in memory, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.lock().events.iter().cloned().collect()
    }

    /// The kept records of denied calls.
    pub fn denied(&self) -> Vec<AuditEvent> {
        self.lock()
            .events
            .iter()
            .filter(|e| matches!(e.outcome, AuditOutcome::Denied { .. }))
            .cloned()
            .collect()
    }

    /// How many calls were recorded since the trail was made (kept or not).
    pub fn total(&self) -> u64 {
        self.lock().total
    }

    /// Writes the kept records as JSON lines.
    pub fn write_json_lines(&self, mut out: impl Write) -> std::io::Result<()> {
        for e in self.events() {
            serde_json::to_writer(&mut out, &e)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Forgets the kept records.
    pub fn clear(&self) {
        self.lock().events.clear();
    }
}

/// Shortens an argument summary to at most 200 characters.
pub fn summarize(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(function: &str, outcome: AuditOutcome) -> AuditEvent {
        AuditEvent {
            ts_ms: 1,
            plugin: "p".into(),
            function: function.into(),
            args: "x".into(),
            outcome,
            duration_us: 2,
        }
    }

    #[test]
    fn trail_is_bounded_and_counts_everything() {
        let trail = AuditTrail::with_capacity(2);
        for f in ["a", "b", "c"] {
            trail.record(event(f, AuditOutcome::Ok));
        }
        let kept: Vec<String> = trail.events().into_iter().map(|e| e.function).collect();
        assert_eq!(kept, ["b", "c"]);
        assert_eq!(trail.total(), 3);
    }

    #[test]
    fn records_stream_as_json_lines() {
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let trail = AuditTrail::new();
        let out = Shared::default();
        trail.stream_to(out.clone());
        trail.record(event(
            "fs.read",
            AuditOutcome::Denied {
                reason: "outside".into(),
            },
        ));
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let line: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["function"], "fs.read");
        assert_eq!(line["outcome"]["status"], "denied");
        assert_eq!(trail.denied().len(), 1);
    }
}
