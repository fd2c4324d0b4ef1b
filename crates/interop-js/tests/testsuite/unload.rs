//! Unloading frees the isolate: 1,000 load/unload cycles do not grow the process.

use crate::common;

use interop_js::JsBackend;
use interop_protocol::{ActionInvoke, Plugin};
use serde_json::json;

/// Resident set size of this process, in bytes (from /proc/self/statm).
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn a_thousand_load_unload_cycles_do_not_leak() {
    let loaded = common::manifest("js-greeter");
    let backend = JsBackend::new()
        .with_log_writer(std::sync::Arc::new(std::sync::Mutex::new(std::io::sink())));
    let cycle = || {
        let plugin = backend
            .load_plugin(&loaded, common::trusting_services(&loaded))
            .unwrap();
        let r = plugin
            .invoke(&ActionInvoke::new("greet", json!("World")))
            .unwrap();
        assert_eq!(r.text.as_deref(), Some("Hello, World! App version: 1.0.0"));
        plugin.unload().unwrap();
    };
    // Warm up (V8's one-off allocations, allocator arenas), then measure.
    for _ in 0..100 {
        cycle();
    }
    let before = rss_bytes();
    for _ in 0..1000 {
        cycle();
    }
    let after = rss_bytes();
    let grown_mb = after.saturating_sub(before) as f64 / (1024.0 * 1024.0);
    eprintln!("RSS {before} -> {after} bytes over 1,000 cycles ({grown_mb:.1} MiB)");
    // One leaked isolate is over 1 MiB: 1,000 of them would be gigabytes.
    assert!(
        grown_mb < 64.0,
        "RSS grew by {grown_mb:.1} MiB over 1,000 cycles ({before} -> {after} bytes)"
    );
}
