//! Metrics per plugin, whatever the backend.

use crate::common;

use common::{answering, write_plugin, LOOPING};
use interop_host::Host;
use serde_json::{json, Value};

#[test]
fn calls_errors_limit_hits_and_latency_are_counted_per_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new();
    host.load(write_plugin(
        &dir.path().join("ok"),
        "ok",
        "1.0.0",
        &answering("fine", 0),
        json!({}),
    ))
    .unwrap();
    host.load(write_plugin(
        &dir.path().join("loop"),
        "loop",
        "1.0.0",
        LOOPING,
        json!({"timeoutMs": 50}),
    ))
    .unwrap();
    for _ in 0..3 {
        host.invoke("ok", "run", Value::Null).unwrap();
    }
    assert!(host.invoke("loop", "run", Value::Null).is_err());
    assert!(host.invoke("ok", "missing", Value::Null).is_err());
    let ok = host.metrics("ok").unwrap();
    assert_eq!(ok.calls, 4);
    assert_eq!(ok.errors.get("not_found"), Some(&1));
    assert!(ok.latency.is_some());
    let looping = host.metrics("loop").unwrap();
    assert_eq!(looping.limit_hits.get("time"), Some(&1));
    assert!(looping.latency.unwrap().max_us >= 50_000);
    let all: Vec<String> = host.all_metrics().into_iter().map(|m| m.plugin).collect();
    assert_eq!(all, ["loop", "ok"]);
    let json = serde_json::to_value(host.metrics("ok").unwrap()).unwrap();
    assert_eq!(json["limitHits"], json!({}));
}
