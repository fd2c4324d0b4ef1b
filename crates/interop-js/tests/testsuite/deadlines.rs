//! A call's time limit covers everything the call does: its script, the host calls it
//! makes (sleeps, fetches), `Atomics.wait`, and the script's top level at load time.

use crate::common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop_js::{JsBackend, JsPlugin};
use interop_protocol::{load_manifest, ActionInvoke, ErrorKind, Plugin, PluginError};
use interop_sandbox::HostFunctions;
use serde_json::{json, Value};

const TIMEOUT_MS: u64 = 300;

/// How long a call past its time limit may take to end: ten times the limit, room for a
/// loaded machine. Without the deadline every script here would run for far longer
/// (forever, or a 60 s sleep).
fn bound() -> Duration {
    Duration::from_millis(TIMEOUT_MS * 10)
}

/// A plugin with the action `run` and a 300 ms time limit.
fn plugin(script: &str, permissions: Value) -> (JsPlugin, tempfile::TempDir) {
    let (plugin, dir) = common::load_script(
        script,
        json!({
            "actions": [{ "name": "run" }],
            "permissions": permissions,
            "limits": { "timeoutMs": TIMEOUT_MS }
        }),
    );
    (plugin.expect("the plugin loads"), dir)
}

/// Runs `run` with `input`; asserts it failed at the time limit within the bound.
fn assert_stopped_in_time(plugin: &JsPlugin, input: Value) -> PluginError {
    let started = Instant::now();
    let err = plugin
        .invoke(&ActionInvoke::new("run", input))
        .expect_err("the call must not succeed");
    let took = started.elapsed();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    assert!(took < bound(), "took {took:?}, over {:?}", bound());
    err
}

#[test]
fn a_plugin_sleeping_in_a_loop_is_stopped_at_its_time_limit() {
    let (p, _dir) = plugin(
        "const plugin = { run() { for (;;) host.sleep(100) } };",
        json!({}),
    );
    assert_stopped_in_time(&p, Value::Null);
    // The next call has a deadline of its own.
    let (quick, _dir) = plugin(
        "const plugin = { run() { host.sleep(10); return 'slept' } };",
        json!({}),
    );
    for _ in 0..3 {
        let r = quick
            .invoke(&ActionInvoke::new("run", Value::Null))
            .unwrap();
        assert_eq!(r.text.as_deref(), Some("slept"));
    }
}

#[test]
fn catching_the_cut_sleep_does_not_keep_a_plugin_running() {
    let (p, _dir) = plugin(
        "const plugin = { run() { for (;;) { try { host.sleep(60000) } catch (e) {} } } };",
        json!({}),
    );
    assert_stopped_in_time(&p, Value::Null);
}

#[test]
fn a_fetch_that_never_answers_is_cut_at_the_time_limit() {
    // Accepts connections and never answers them.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let (p, _dir) = plugin(
        "const plugin = { run(url) { for (;;) { try { host.fetch(url) } catch (e) {} } } };",
        json!({ "network": { "allowedUrlPrefixes": [url.clone()] } }),
    );
    assert_stopped_in_time(&p, json!(url));
}

#[test]
fn atomics_wait_is_stopped_at_the_time_limit() {
    let (p, _dir) = plugin(
        "const plugin = { run() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 'woke' } };",
        json!({}),
    );
    assert_stopped_in_time(&p, Value::Null);
}

#[test]
fn a_script_looping_or_sleeping_at_load_time_is_stopped_at_the_time_limit() {
    for script in ["for (;;) {}", "for (;;) host.sleep(100)"] {
        let started = Instant::now();
        let (loaded, _dir) = common::load_script(
            script,
            json!({ "actions": [{ "name": "run" }], "limits": { "timeoutMs": TIMEOUT_MS } }),
        );
        let err = loaded.expect_err("the script must not load");
        assert_eq!(err.limit_name(), Some("time"), "{script}: {err}");
        assert!(
            started.elapsed() < bound(),
            "{script}: {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_call_stuck_in_an_application_function_past_its_deadline_fails_at_the_time_limit() {
    // Application functions are the application's: the watchdog cannot cut them, but the
    // call they outlast still fails as over its time.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plugin.js"),
        "const plugin = { run() { try { host.call('app.slow', {}) } catch (e) {} return 'done' } };",
    )
    .unwrap();
    let manifest = json!({
        "name": "slow-app", "version": "0.1.0",
        "interop": { "protocol": "js", "scriptPath": "plugin.js" },
        "actions": [{ "name": "run" }],
        "limits": { "timeoutMs": TIMEOUT_MS }
    });
    std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();
    let loaded = load_manifest(dir.path().join("plugin.json")).unwrap();
    let functions = HostFunctions::new();
    functions.register("app.slow", |_plugin, _args| {
        std::thread::sleep(Duration::from_millis(TIMEOUT_MS + 100));
        Ok(Value::Null)
    });
    let services = common::trusting_services(&loaded).with_functions(Arc::new(functions));
    let plugin = JsBackend::new().load_plugin(&loaded, services).unwrap();
    let err = plugin
        .invoke(&ActionInvoke::new("run", Value::Null))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("time"), "{err}");
}
