//! Per-plugin metrics: calls, errors by kind, limit hits, calls in flight and latency
//! percentiles, recorded by the host around every call whatever the backend.
//!
//! Recording costs an uncontended lock and a histogram increment per call; a snapshot
//! ([`PluginMetrics`]) is a plain value that serializes to JSON for the CLI and `serve`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use interop_protocol::PluginError;

/// Latencies above this are recorded as this (one hour, in microseconds).
const MAX_LATENCY_US: u64 = 3_600_000_000;

/// The live counters of one plugin.
pub(crate) struct Recorder {
    calls: AtomicU64,
    in_flight: AtomicU64,
    failures: Mutex<Failures>,
    /// Made at the first call: a host with thousands of plugins loaded pays nothing for
    /// those never called.
    latency_us: Mutex<Option<Histogram<u64>>>,
}

#[derive(Default)]
struct Failures {
    by_kind: BTreeMap<&'static str, u64>,
    by_limit: BTreeMap<String, u64>,
}

/// A call in progress; records its outcome when finished.
pub(crate) struct CallTimer<'a> {
    recorder: &'a Recorder,
    started: std::time::Instant,
}

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            calls: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            failures: Mutex::new(Failures::default()),
            latency_us: Mutex::new(None),
        }
    }

    /// Starts timing a call.
    pub(crate) fn start(&self) -> CallTimer<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        CallTimer {
            recorder: self,
            started: std::time::Instant::now(),
        }
    }

    /// A snapshot, for `plugin`, with `memory_bytes` if the engine reports it.
    pub(crate) fn snapshot(&self, plugin: &str, memory_bytes: Option<u64>) -> PluginMetrics {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let histogram = self.latency_us.lock().unwrap_or_else(|e| e.into_inner());
        let latency = histogram
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(|histogram| Latency {
                p50_us: histogram.value_at_quantile(0.50),
                p90_us: histogram.value_at_quantile(0.90),
                p99_us: histogram.value_at_quantile(0.99),
                max_us: histogram.max(),
                mean_us: histogram.mean(),
            });
        PluginMetrics {
            plugin: plugin.to_owned(),
            calls: self.calls.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            errors: failures
                .by_kind
                .iter()
                .map(|(k, n)| ((*k).to_owned(), *n))
                .collect(),
            limit_hits: failures.by_limit.clone(),
            latency,
            memory_bytes,
        }
    }
}

impl CallTimer<'_> {
    /// Records the call's outcome (an `Err` counts by kind, and by limit for
    /// `limit_exceeded`).
    pub(crate) fn finish<T>(self, outcome: &Result<T, PluginError>) {
        let took = self.started.elapsed();
        let r = self.recorder;
        r.calls.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = outcome {
            let mut failures = r.failures.lock().unwrap_or_else(|e| e.into_inner());
            *failures.by_kind.entry(e.kind.as_str()).or_default() += 1;
            if let Some(limit) = e.limit_name() {
                *failures.by_limit.entry(limit.to_owned()).or_default() += 1;
            }
        }
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let mut histogram = r.latency_us.lock().unwrap_or_else(|e| e.into_inner());
        if histogram.is_none() {
            // Two significant digits (percentiles within 1%), 1 µs to one hour: about
            // 23 KiB. Three digits would take 184 KiB per plugin (measured: 10,000 loaded
            // plugins used 2 GiB, most of it these counters).
            *histogram = Histogram::new_with_bounds(1, MAX_LATENCY_US, 2).ok();
        }
        if let Some(histogram) = histogram.as_mut() {
            let _ = histogram.record(us.clamp(1, MAX_LATENCY_US));
        }
    }
}

impl Drop for CallTimer<'_> {
    fn drop(&mut self) {
        self.recorder.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one plugin has done since it was loaded (or reloaded).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginMetrics {
    /// The plugin.
    pub plugin: String,
    /// Calls finished (actions, providers and events), failed ones included.
    pub calls: u64,
    /// Calls running now.
    pub in_flight: u64,
    /// Failed calls by error kind (`limit_exceeded`, `exec`, ...).
    pub errors: BTreeMap<String, u64>,
    /// `limit_exceeded` errors by limit (`time`, `memory`, ...).
    pub limit_hits: BTreeMap<String, u64>,
    /// Call latency, once there was a call.
    pub latency: Option<Latency>,
    /// Memory the plugin's engine holds, where the engine reports it.
    pub memory_bytes: Option<u64>,
}

/// Call latency percentiles, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latency {
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest.
    pub max_us: u64,
    /// Mean.
    pub mean_us: f64,
}

impl Latency {
    /// The median as a duration.
    pub fn p50(&self) -> Duration {
        Duration::from_micros(self.p50_us)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_by_kind_and_limit_and_latency_is_recorded() {
        let r = Recorder::new();
        for _ in 0..3 {
            r.start().finish(&Ok::<(), PluginError>(()));
        }
        r.start()
            .finish(&Err::<(), _>(PluginError::limit("time", "too slow")));
        r.start().finish(&Err::<(), _>(PluginError::exec("trap")));
        let timer = r.start();
        let during = r.snapshot("p", None);
        drop(timer);
        let m = r.snapshot("p", Some(1024));
        assert_eq!(during.in_flight, 1);
        assert_eq!((m.calls, m.in_flight), (5, 0));
        assert_eq!(m.errors["limit_exceeded"], 1);
        assert_eq!(m.errors["exec"], 1);
        assert_eq!(m.limit_hits["time"], 1);
        assert!(m.latency.is_some());
        assert_eq!(m.memory_bytes, Some(1024));
    }
}
