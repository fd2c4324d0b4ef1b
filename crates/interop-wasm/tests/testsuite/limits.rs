//! Hostile plugins (examples/plugins/wasm-hostile) are stopped with clear errors, and the
//! host and its other plugins keep working right after.

use crate::common;

use std::time::{Duration, Instant};

use common::{backend, guest, plugin_dir};
use interop_host::Host;
use interop_protocol::{ActionInvoke, ErrorKind, Plugin, PluginError};
use interop_sandbox::{AuditOutcome, HostServices, Policy};
use serde_json::{json, Value};

fn hostile(name: &str) -> std::path::PathBuf {
    common::repo()
        .join("examples/plugins/wasm-hostile")
        .join(name)
        .join("plugin.json")
}

/// A host with the hostile sample `name` and a well-behaved plugin loaded; returns the
/// well-behaved plugin's directory (kept alive) too.
fn host_with(name: &str) -> (Host, String, common::PluginDir) {
    let host = Host::new();
    let hostile = host.load(hostile(name)).unwrap().name().to_owned();
    let good = plugin_dir(
        json!({
            "name": "good", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": [{"name": "echo"}]
        }),
        &[("abi.wat", &guest("abi.wat"))],
    );
    host.load_manifest(good.loaded.clone()).unwrap();
    (host, hostile, good)
}

fn assert_good_plugin_still_works(host: &Host) {
    let result = host.invoke("good", "echo", json!("still here")).unwrap();
    assert_eq!(result.text.as_deref(), Some("still here"));
}

fn plugin_error(err: interop_host::HostError) -> PluginError {
    match err {
        interop_host::HostError::Plugin(e) => e,
        other => panic!("expected a plugin error, got {other}"),
    }
}

#[test]
fn an_infinite_loop_is_stopped_at_the_time_limit() {
    let (host, name, _good) = host_with("infinite-loop");
    for _ in 0..2 {
        let started = Instant::now();
        let err = plugin_error(host.invoke(&name, "spin", Value::Null).unwrap_err());
        let took = started.elapsed();
        assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
        assert_eq!(err.limit_name(), Some("time"));
        assert_eq!(err.plugin.as_deref(), Some("hostile-loop"));
        assert!(err.message.contains("time limit of 500 ms"), "{err}");
        assert!(took >= Duration::from_millis(500), "{took:?}");
        assert!(took < Duration::from_secs(5), "stopped too late: {took:?}");
        assert_good_plugin_still_works(&host);
    }
}

#[test]
fn a_memory_bomb_is_stopped_at_the_memory_limit() {
    let (host, name, _good) = host_with("memory-bomb");
    let err = plugin_error(host.invoke(&name, "bomb", Value::Null).unwrap_err());
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("memory"));
    assert!(
        err.message
            .contains("over the limit of 16777216 bytes (16 MiB)"),
        "{err}"
    );
    assert_good_plugin_still_works(&host);
    // The bomb itself gets a fresh instance and is stopped again.
    let err = plugin_error(host.invoke(&name, "bomb", Value::Null).unwrap_err());
    assert_eq!(err.limit_name(), Some("memory"));
}

#[test]
fn a_path_escape_is_denied_and_audited() {
    let (host, name, _good) = host_with("path-escape");
    for (action, path) in [("parent", "../../etc/passwd"), ("absolute", "/etc/passwd")] {
        let result = host.invoke(&name, action, Value::Null).unwrap();
        assert!(!result.success, "{action}: {result:?}");
        let err = result.error.unwrap();
        assert_eq!(err.kind, ErrorKind::Denied, "{action}: {err}");
        assert!(
            !format!("{:?}", result.data).contains("root:"),
            "file contents leaked"
        );
        let denied = host.audit().denied();
        assert!(
            denied.iter().any(|e| e.plugin == "hostile-escape"
                && e.function == "fs.readFile"
                && e.args == path
                && matches!(e.outcome, AuditOutcome::Denied { .. })),
            "{action}: {denied:?}"
        );
    }
    assert_good_plugin_still_works(&host);
}

#[test]
fn a_disallowed_url_is_denied_and_audited() {
    let (host, name, _good) = host_with("disallowed-url");
    let result = host.invoke(&name, "exfiltrate", Value::Null).unwrap();
    let err = result.error.unwrap();
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    let denied = host.audit().denied();
    assert!(
        denied.iter().any(|e| e.plugin == "hostile-fetch"
            && e.function == "net.fetch"
            && e.args.contains("https://evil.example.net/steal")),
        "{denied:?}"
    );
    assert_good_plugin_still_works(&host);
}

#[test]
fn fuel_limits_stop_a_metered_plugin() {
    let (backend, _cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "metered", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "loop.wat"},
            "actions": [{"name": "spin"}],
            "limits": {"fuel": 100000}
        }),
        &[(
            "loop.wat",
            &std::fs::read(hostile("infinite-loop").with_file_name("loop.wat")).unwrap(),
        )],
    );
    let services = HostServices::new(Policy::from_manifest(&dir.loaded).unwrap());
    let plugin = backend.load_plugin(&dir.loaded, services).unwrap();
    let started = Instant::now();
    let err = plugin
        .invoke(&ActionInvoke::new("spin", Value::Null))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("fuel"), "{err}");
    assert!(err.message.contains("100000"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Refuelled on the next call.
    let err = plugin
        .invoke(&ActionInvoke::new("spin", Value::Null))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("fuel"), "{err}");
}

#[test]
fn a_module_whose_initial_memory_is_over_the_limit_fails_to_load() {
    let (backend, _cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "big", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "big.wat"},
            "actions": [{"name": "run"}],
            "limits": {"memoryMb": 1}
        }),
        &[(
            "big.wat",
            b"(module (memory (export \"memory\") 32) (func (export \"run\")))",
        )],
    );
    let services = HostServices::new(Policy::from_manifest(&dir.loaded).unwrap());
    let err = backend.load_plugin(&dir.loaded, services).unwrap_err();
    assert_eq!(err.limit_name(), Some("memory"), "{err}");
    assert_eq!(err.plugin.as_deref(), Some("big"));
}

#[test]
fn oversized_input_is_refused_before_the_guest_runs() {
    let (backend, _cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "small", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": [{"name": "echo"}],
            "limits": {"maxMessageBytes": 64}
        }),
        &[("abi.wat", &guest("abi.wat"))],
    );
    let services = HostServices::new(Policy::from_manifest(&dir.loaded).unwrap());
    let plugin = backend.load_plugin(&dir.loaded, services).unwrap();
    let err = plugin
        .invoke(&ActionInvoke::new("echo", json!("x".repeat(100))))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("message_size"), "{err}");
    // JSON text is held to the same limit.
    let text = interop_protocol::raw::to_raw(&"x".repeat(100)).unwrap();
    let err = plugin.invoke_raw("echo", &text).unwrap_err();
    assert_eq!(err.limit_name(), Some("message_size"), "{err}");
}

/// Loads the WAT `wat` with one action `run` under a 16 MiB memory limit.
fn sixteen_mib(wat: &str) -> Result<interop_wasm::WasmPlugin, PluginError> {
    let (backend, _cache) = backend();
    common::try_load(
        &backend,
        &common::wat_dir(wat, &["run"], json!({"memoryMb": 16}), json!({})),
    )
}

fn assert_memory_limit(result: Result<impl std::fmt::Debug, PluginError>) -> PluginError {
    let err = result.expect_err("the memory limit must stop this");
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("memory"), "{err}");
    assert!(err.message.contains("16 MiB"), "{err}");
    err
}

fn run(plugin: &interop_wasm::WasmPlugin) -> Result<interop_protocol::ActionResult, PluginError> {
    plugin.invoke(&ActionInvoke::new("run", Value::Null))
}

#[test]
fn memories_grown_one_after_another_share_one_memory_limit() {
    // Three memories of 12 MiB each would be 36 MiB: the second growth is refused.
    let plugin = sixteen_mib(
        r#"(module
          (memory (export "memory") 1) (memory $b 1) (memory $c 1)
          (func (export "run")
            (if (i32.eq (memory.grow 0 (i32.const 192)) (i32.const -1)) (then unreachable))
            (if (i32.eq (memory.grow $b (i32.const 192)) (i32.const -1)) (then unreachable))
            (if (i32.eq (memory.grow $c (i32.const 192)) (i32.const -1)) (then unreachable))))"#,
    )
    .unwrap();
    assert_memory_limit(run(&plugin));
}

#[test]
fn a_module_with_forty_memories_fails_to_load_with_the_memory_limit() {
    let memories = "(memory 16)\n".repeat(40);
    let err = assert_memory_limit(sixteen_mib(&format!(
        r#"(module {memories} (func (export "run")))"#
    )));
    assert!(err.message.contains("40 memories"), "{err}");
}

#[test]
fn initial_sizes_of_all_memories_and_tables_count_at_instantiation() {
    // Two memories of 10 MiB.
    assert_memory_limit(sixteen_mib(
        r#"(module (memory 160) (memory 160) (func (export "run")))"#,
    ));
    // A table of 2^20 functions (8 MiB) beside a memory of 12 MiB.
    assert_memory_limit(sixteen_mib(
        r#"(module (memory 192) (table 1048576 funcref) (func (export "run")))"#,
    ));
}

#[test]
fn growing_a_table_in_a_loop_is_stopped_by_the_memory_limit() {
    let plugin = sixteen_mib(
        r#"(module (table $t 0 funcref)
          (func (export "run")
            (loop $l
              (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 65536)) (i32.const -1))))
            unreachable))"#,
    )
    .unwrap();
    assert_memory_limit(run(&plugin));
}

#[test]
fn growth_refused_by_a_memory_s_own_maximum_does_not_use_up_the_limit() {
    // A thousand attempts to grow a memory past its declared maximum of 2 pages fail as
    // the spec says, and leave the whole limit to the other memory.
    let plugin = sixteen_mib(
        r#"(module (memory (export "memory") 1 2) (memory $big 0)
          (func (export "run")
            (local $i i32)
            (loop $l
              (if (i32.ne (memory.grow 0 (i32.const 100)) (i32.const -1)) (then unreachable))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const 1000))))
            (if (i32.eq (memory.grow $big (i32.const 200)) (i32.const -1)) (then unreachable))))"#,
    )
    .unwrap();
    run(&plugin).unwrap();
}
