//! The Node subprocess bridge, with the system `node`.

use crate::common;

use std::time::{Duration, Instant};

use interop_js::node::{self, Limits};
use interop_protocol::ErrorKind;
use serde_json::json;

fn require_node() {
    assert!(
        node::available(),
        "the Node bridge tests need `node` on PATH: run `cargo xtask setup`"
    );
}

#[test]
fn calling_add_of_a_commonjs_module_returns_5() {
    require_node();
    let module = common::sample("node-bridge/example.js");
    assert_eq!(
        node::call(&module, "add", &[json!(2), json!(3)]).unwrap(),
        json!(5)
    );
}

#[test]
fn es_modules_and_async_exports_work_too() {
    require_node();
    let module = common::sample("node-bridge/example.mjs");
    assert_eq!(
        node::call(&module, "add", &[json!(2), json!(3)]).unwrap(),
        json!(5)
    );
    assert_eq!(
        node::call(&module, "slowDouble", &[json!(21)]).unwrap(),
        json!(42)
    );
}

#[test]
fn a_missing_export_or_module_is_not_found() {
    require_node();
    let module = common::sample("node-bridge/example.js");
    let err = node::call(&module, "mul", &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(err.message.contains("mul"), "{err}");
    let err = node::call("no/such/module.js", "add", &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
}

#[test]
fn an_untrusted_script_runs_and_its_output_comes_back() {
    require_node();
    let out = node::run_untrusted("console.log(6 * 7)", &Limits::default()).unwrap();
    assert_eq!(out.stdout, "42\n");
}

#[test]
fn an_untrusted_loop_is_killed_at_the_timeout_and_reported() {
    require_node();
    let limits = Limits {
        timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let start = Instant::now();
    let err = node::run_untrusted("for (;;) {}", &limits).unwrap_err();
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_untrusted_allocator_is_stopped_at_the_heap_limit_and_reported() {
    require_node();
    let limits = Limits {
        timeout: Duration::from_secs(30),
        max_heap_mb: 32,
    };
    let script = "const a = []; for (;;) a.push(new Array(1024).fill(a.length));";
    let err = node::run_untrusted(script, &limits).unwrap_err();
    assert_eq!(err.limit_name(), Some("memory"), "{err}");
    assert!(err.message.contains("32 MiB"), "{err}");
}

#[test]
fn an_untrusted_script_cannot_write_files_or_spawn_processes() {
    require_node();
    assert!(
        node::permission_flag().is_some(),
        "this node has no permission model (Node 20 or later has one)"
    );
    let err = node::run_untrusted(
        "require('fs').writeFileSync('/tmp/interop-js-escape', 'x')",
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec, "{err}");
    assert!(err.message.contains("ERR_ACCESS_DENIED"), "{err}");
    let err = node::run_untrusted(
        "require('child_process').execSync('true')",
        &Limits::default(),
    )
    .unwrap_err();
    assert!(err.message.contains("ERR_ACCESS_DENIED"), "{err}");
}
