//! The host callback table, seen from a C plugin: status codes, result and error JSON,
//! policy checks and audit records, message limits, application functions.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use interop_host::Host;
use interop_sandbox::MemorySink;
use serde_json::{json, Value};

/// A probe plugin: each action's handler names a host function, which it calls with the
/// action's input as arguments, answering `{"status": <code>, "out": <JSON returned>}`.
/// Action `log` logs its input through `host->log` instead.
const PROBE: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "interop_plugin.h"

static const interop_host_api_t *host;

static int32_t init(const interop_host_api_t *h, void **state) {
    host = h;
    *state = NULL;
    return h->abi_version == INTEROP_ABI_VERSION ? INTEROP_OK : INTEROP_ERROR;
}

static int32_t invoke(void *state, const uint8_t *handler, size_t handler_len,
                      const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len) {
    (void)state;
    if (handler_len == 3 && memcmp(handler, "log", 3) == 0) {
        host->log(host->ctx, INTEROP_LOG_WARN, input, input_len);
        *out = NULL;
        *out_len = 0;
        return INTEROP_OK;
    }
    uint8_t *res = NULL;
    size_t res_len = 0;
    int32_t rc = host->call(host->ctx, handler, handler_len, input, input_len, &res, &res_len);
    size_t cap = res_len + 64;
    char *reply = malloc(cap);
    if (!reply) return INTEROP_ERROR;
    int n = snprintf(reply, cap, "{\"status\": %d, \"out\": %.*s}", rc,
                     res_len ? (int)res_len : 4, res_len ? (const char *)res : "null");
    host->free(host->ctx, res, res_len);
    *out = (uint8_t *)reply;
    *out_len = (size_t)n;
    return INTEROP_OK;
}

static void release(void *state, uint8_t *ptr, size_t len) { (void)state; (void)len; free(ptr); }

static const interop_plugin_t d = {
    .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t), .name = "probe",
    .init = init, .invoke = invoke, .free = release,
};
const interop_plugin_t *interop_plugin_entry(void) { return &d; }
"#;

fn probe(dir: &Path, limits: &str) {
    let src = dir.join("probe.c");
    std::fs::write(&src, PROBE).unwrap();
    common::cc_shared(&src, &dir.join("libprobe.so"));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/hello.txt"), "hello").unwrap();
    let actions: Vec<Value> = [
        ("now", "time.now"),
        ("trace", "trace"),
        ("env", "env.get"),
        ("read", "fs.readFile"),
        ("write", "fs.writeFile"),
        ("nope", "no.such.function"),
        ("shout", "app.shout"),
        ("log", "log"),
    ]
    .iter()
    .map(|(name, handler)| json!({"name": name, "handler": handler}))
    .collect();
    let manifest = json!({
        "name": "probe", "version": "1.0.0",
        "interop": {"protocol": "ffi", "libraryPath": "libprobe.so"},
        "actions": actions,
        "permissions": {"fs": [{"path": "data"}]},
        "limits": serde_json::from_str::<Value>(limits).unwrap(),
    });
    std::fs::write(dir.join("plugin.json"), manifest.to_string()).unwrap();
}

fn call(host: &Host, action: &str, input: Value) -> (i64, Value) {
    let result = host.invoke("probe", action, input).unwrap();
    let data = result.data.unwrap_or(Value::Null);
    (data["status"].as_i64().unwrap(), data["out"].clone())
}

fn loaded(limits: &str) -> (Host, Arc<MemorySink>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    probe(dir.path(), limits);
    let mut host = Host::new();
    host.set_grants(interop_host::Grants::default().allow_function("app.shout"));
    let sink = Arc::new(MemorySink::new());
    host.set_sink(sink.clone());
    host.register_function("app.shout", |_plugin, args| {
        Ok(json!(args["text"].as_str().unwrap_or("").to_uppercase()))
    });
    host.load(dir.path().join("plugin.json")).unwrap();
    (host, sink, dir)
}

#[test]
fn host_functions_answer_with_status_ok_and_json() {
    let (host, sink, _dir) = loaded("{}");
    let (status, now) = call(&host, "now", json!({}));
    assert_eq!(status, 0);
    assert!(now.as_u64().unwrap() > 1_700_000_000_000, "{now}");

    let (status, out) = call(&host, "read", json!({"path": "data/hello.txt"}));
    assert_eq!((status, out), (0, json!("hello")));

    let (status, _) = call(
        &host,
        "trace",
        json!({"category": "t", "name": "probe-event"}),
    );
    assert_eq!(status, 0);
    assert_eq!(sink.traces()[0].name, "probe-event");
    assert_eq!(sink.traces()[0].plugin, "probe");

    let (status, out) = call(&host, "shout", json!({"text": "hi"}));
    assert_eq!((status, out), (0, json!("HI")));

    host.invoke("probe", "log", json!("a warning")).unwrap();
    let logs = sink.logs();
    assert_eq!(logs.last().unwrap().message, "\"a warning\"");
}

/// `invoke_raw`: the library gets the caller's text and the caller gets the library's,
/// spacing and all.
#[test]
fn json_text_goes_in_and_comes_back_as_written() {
    let (host, sink, _dir) = loaded("{}");
    let text = |t: &str| interop_host::RawValue::from_string(t.to_owned()).unwrap();
    let shout = host
        .invoke_raw("probe", "shout", &text(r#"{"text":"hi"}"#))
        .unwrap();
    assert_eq!(shout.data.unwrap().get(), r#"{"status": 0, "out": "HI"}"#);
    let log = host
        .invoke_raw("probe", "log", &text(r#"  "as written"  "#))
        .unwrap();
    assert!(log.success && log.data.is_none() && log.text.is_none());
    assert_eq!(sink.logs().last().unwrap().message, r#""as written""#);
}

#[test]
fn refusals_and_unknown_functions_come_back_as_error_json_and_are_audited() {
    let (host, _, _dir) = loaded("{}");
    let (status, out) = call(&host, "env", json!({"name": "HOME"}));
    assert_eq!(status, 1, "{out}");
    assert_eq!(out["kind"], "denied");
    assert_eq!(out["plugin"], "probe");

    let (status, out) = call(
        &host,
        "write",
        json!({"path": "data/x.txt", "content": "x"}),
    );
    assert_eq!(status, 1, "{out}");
    assert_eq!(out["kind"], "denied");

    let (status, out) = call(&host, "read", json!({"path": "../plugin.json"}));
    assert_eq!(status, 1, "{out}");
    assert_eq!(out["kind"], "denied");

    let (status, out) = call(&host, "nope", json!({}));
    assert_eq!(status, 2, "{out}");
    assert_eq!(out["kind"], "not_found");

    let (status, out) = call(&host, "read", json!({}));
    assert_eq!(status, 1, "{out}");
    assert_eq!(out["kind"], "invalid_input");

    let denied: Vec<String> = host
        .audit()
        .denied()
        .into_iter()
        .map(|e| e.function)
        .collect();
    assert_eq!(
        denied,
        ["env.get", "fs.writeFile", "fs.readFile"],
        "{denied:?}"
    );
}

#[test]
fn messages_over_the_limit_are_refused_before_the_plugin_sees_them() {
    let (host, _, _dir) = loaded(r#"{"maxMessageBytes": 64}"#);
    let err = host
        .invoke("probe", "log", json!("x".repeat(100)))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("limit_exceeded"), "{text}");
    assert!(text.contains("64-byte message limit"), "{text}");
    // A small one still passes.
    host.invoke("probe", "log", json!("ok")).unwrap();
}
