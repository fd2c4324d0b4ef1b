//! The guest ABI of docs/abi.md, exercised by a WAT guest (tests/guests/abi.wat) that
//! calls every import.

use crate::common;

use common::{backend, guest, load, load_with, plugin_dir, Loaded};
use interop_protocol::{ActionInvoke, ErrorKind, HookEvent, Plugin, ProviderGet};
use interop_sandbox::{AuditOutcome, HostFunctions, LogLevel};
use interop_wasm::WasmBackend;
use serde_json::{json, Value};

const ACTIONS: &[&str] = &[
    "echo",
    "log",
    "env",
    "read",
    "fetch",
    "hostfn",
    "fail",
    "trap",
    "oob",
    "now",
    "sleep_short",
    "sleep_long",
    "input_len",
    "count",
    "stdout",
    "garbage",
];

pub(crate) fn abi_plugin(backend: &WasmBackend, functions: HostFunctions) -> Loaded {
    let actions: Vec<Value> = ACTIONS.iter().map(|a| json!({"name": a})).collect();
    let dir = plugin_dir(
        json!({
            "name": "abi", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": actions,
            "providers": [{"name": "info", "handler": "echo"}],
            "hooks": [{"event": "config.reload", "handler": "on_reload"}],
            "permissions": {
                "fs": [{"path": "data"}],
                "env": ["INTEROP_WASM_TEST_GRANTED"],
                "network": {"allowedUrlPrefixes": ["http://127.0.0.1:1/allowed/"]}
            },
            "limits": {"timeoutMs": 2000}
        }),
        &[
            ("abi.wat", &guest("abi.wat")),
            ("data/hello.txt", b"hi from data"),
            ("secret.txt", b"top secret"),
        ],
    );
    load_with(backend, dir, functions)
}

fn call(
    p: &Loaded,
    action: &str,
    input: Value,
) -> Result<interop_protocol::ActionResult, interop_protocol::PluginError> {
    p.plugin.invoke(&ActionInvoke::new(action, input))
}

fn data(p: &Loaded, action: &str, input: Value) -> Value {
    let result = call(p, action, input).unwrap_or_else(|e| panic!("{action}: {e}"));
    assert!(result.success, "{action}: {result:?}");
    match (result.text, result.data) {
        (Some(text), _) => Value::String(text),
        (None, Some(data)) => data,
        (None, None) => Value::Null,
    }
}

#[test]
fn the_wat_add_module_adds_its_arguments() {
    let (backend, _cache) = backend();
    let module = backend
        .open_module(common::repo().join("examples/plugins/wat-add/add.wat"))
        .unwrap();
    assert_eq!(
        module.call_export("add", &[2, 3]).unwrap()[0].as_i64(),
        Some(5)
    );
    assert_eq!(
        module.call_export_text("add", &["40", "2"]).unwrap()[0].to_string(),
        "42"
    );
    let err = module.call_export("add", &[1]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    let err = module.call_export("sub", &[1, 2]).unwrap_err();
    assert!(err.message.contains("exports no function `sub`"), "{err}");
}

#[test]
fn input_and_output_round_trip_json() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    let value = json!({"name": "World", "list": [1, 2.5, null, true], "nested": {"ü": "✓"}});
    assert_eq!(data(&p, "echo", value.clone()), value);
    // A JSON string output becomes the result's text.
    let result = call(&p, "echo", json!("World")).unwrap();
    assert_eq!(result.text.as_deref(), Some("World"));
    // ft_return_buffer_len reports what ft_input put there.
    let input = json!({"k": "0123456789"});
    assert_eq!(
        data(&p, "input_len", input.clone()),
        json!(input.to_string().len())
    );
}

#[test]
fn log_lines_and_stdout_reach_the_host_sink() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    data(&p, "log", Value::Null);
    data(&p, "stdout", Value::Null);
    let logs = p.sink.logs();
    assert!(
        logs.iter().any(|r| r.message == "hello from wat"
            && r.level == LogLevel::Info
            && r.plugin == "abi"),
        "{logs:?}"
    );
    assert!(logs.iter().any(|r| r.message == "hello stdout"), "{logs:?}");
}

#[test]
fn get_env_returns_granted_variables_only_and_audits_denials() {
    // SAFETY (edition 2021: safe fn): set once, before any plugin runs in this test.
    std::env::set_var("INTEROP_WASM_TEST_GRANTED", "granted-value");
    std::env::set_var("INTEROP_WASM_TEST_SECRET", "secret-value");
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    assert_eq!(
        data(&p, "env", json!("INTEROP_WASM_TEST_GRANTED")),
        json!("granted-value")
    );
    assert_eq!(
        data(&p, "env", json!("INTEROP_WASM_TEST_SECRET")),
        Value::Null
    );
    let denied = p.audit.denied();
    assert!(
        denied
            .iter()
            .any(|e| e.function == "env.get" && e.args == "INTEROP_WASM_TEST_SECRET"),
        "{denied:?}"
    );
}

#[test]
fn host_call_reaches_the_sandboxed_host_services() {
    let functions = HostFunctions::new();
    functions.register("app.double", |_plugin: &str, args: Value| {
        Ok(json!(args["n"].as_i64().unwrap_or(0) * 2))
    });
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, functions);
    assert_eq!(
        data(&p, "read", json!({"path": "data/hello.txt"})),
        json!("hi from data")
    );
    assert_eq!(data(&p, "hostfn", json!({"n": 21})), json!(42));

    // Denials come back as the sandbox's error, which the guest passes on.
    let result = call(&p, "read", json!({"path": "secret.txt"})).unwrap();
    assert!(!result.success);
    assert_eq!(result.error.unwrap().kind, ErrorKind::Denied);
    let result = call(&p, "fetch", json!({"url": "https://example.com/"})).unwrap();
    assert_eq!(result.error.unwrap().kind, ErrorKind::Denied);
    // Bad arguments are the guest's problem, reported, not a trap.
    let result = call(&p, "read", json!({"nope": 1})).unwrap();
    assert_eq!(result.error.unwrap().kind, ErrorKind::InvalidInput);

    let events = p.audit.events();
    let read = |args: &str| {
        events
            .iter()
            .find(|e| e.function == "fs.readFile" && e.args == args)
    };
    assert_eq!(read("data/hello.txt").unwrap().outcome, AuditOutcome::Ok);
    assert!(matches!(
        read("secret.txt").unwrap().outcome,
        AuditOutcome::Denied { .. }
    ));
    assert!(events
        .iter()
        .any(|e| e.function == "net.fetch" && matches!(e.outcome, AuditOutcome::Denied { .. })));
}

#[test]
fn time_imports_report_now_and_a_sleep_past_the_deadline_ends_the_call() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    let now = data(&p, "now", Value::Null).as_u64().unwrap();
    let host_now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(host_now.abs_diff(now) < 60_000, "{now} vs {host_now}");
    assert_eq!(data(&p, "sleep_short", Value::Null), json!(0));
    // An hour's sleep lasts until the call's 2 s deadline, which ends the call.
    let started = std::time::Instant::now();
    let err = call(&p, "sleep_long", Value::Null).unwrap_err();
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    let took = started.elapsed();
    assert!(took >= std::time::Duration::from_millis(1990), "{took:?}");
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

#[test]
fn ft_error_fails_the_call_and_traps_discard_the_instance() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    assert_eq!(data(&p, "count", Value::Null), json!(1));
    assert_eq!(data(&p, "count", Value::Null), json!(2));

    let err = call(&p, "fail", Value::Null).unwrap_err();
    assert_eq!((err.kind, err.message.as_str()), (ErrorKind::Exec, "boom"));
    assert_eq!(err.plugin.as_deref(), Some("abi"));
    // ft_error is a normal failure: the instance (and its counter) is kept.
    assert_eq!(data(&p, "count", Value::Null), json!(3));

    let err = call(&p, "trap", Value::Null).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec);
    assert!(err.message.contains("action `trap` trapped"), "{err}");
    // A fresh instance: the counter starts again.
    assert_eq!(data(&p, "count", Value::Null), json!(1));

    let err = call(&p, "oob", Value::Null).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec);
    assert!(err.message.contains("outside the guest's memory"), "{err}");
    assert_eq!(data(&p, "count", Value::Null), json!(1));
}

#[test]
fn providers_and_hooks_are_delivered_with_their_input() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    let mut get = ProviderGet::new("info");
    get.state = json!({"k": 1});
    let answer = p.plugin.get_provider(&get).unwrap();
    assert_eq!(
        answer.data,
        Some(json!({"memory": null, "state": {"k": 1}}))
    );

    let results = p
        .plugin
        .on_event(&HookEvent::new("config.reload", json!({"changed": ["a"]})))
        .unwrap();
    assert_eq!(results, json!([{"changed": ["a"]}]));
    let none = p
        .plugin
        .on_event(&HookEvent::new("other.event", json!(1)))
        .unwrap();
    assert_eq!(none, json!([]));
}

#[test]
fn unknown_actions_and_providers_are_named_errors() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    let err = call(&p, "nope", Value::Null).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains("no action `nope`") && err.message.contains("echo"),
        "{err}"
    );
    let err = p
        .plugin
        .get_provider(&ProviderGet::new("nope"))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

#[test]
fn a_manifest_naming_a_missing_export_fails_to_load_with_the_export_named() {
    let (backend, _cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "missing", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": [{"name": "greet", "handler": "does_not_exist"}]
        }),
        &[("abi.wat", &guest("abi.wat"))],
    );
    let services = interop_sandbox::HostServices::new(
        interop_sandbox::Policy::from_manifest(&dir.loaded).unwrap(),
    );
    let err = backend.load_plugin(&dir.loaded, services).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        err.message.contains("exports no function `does_not_exist`"),
        "{err}"
    );
    assert_eq!(err.plugin.as_deref(), Some("missing"));
}

#[test]
fn unload_makes_later_calls_fail() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    p.plugin.unload().unwrap();
    p.plugin.unload().unwrap();
    let err = call(&p, "echo", json!(1)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("unloaded"), "{err}");
}

#[test]
fn a_plain_load_works_through_the_helper() {
    let (backend, _cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "echoer", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": [{"name": "echo"}]
        }),
        &[("abi.wat", &guest("abi.wat"))],
    );
    let p = load(&backend, dir);
    assert_eq!(data(&p, "echo", json!([1, 2])), json!([1, 2]));
}

#[test]
fn concurrent_calls_to_one_plugin_never_mix_their_inputs_and_outputs() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let p = &p;
            s.spawn(move || {
                for i in 0..50 {
                    let input = json!({"thread": t, "call": i});
                    assert_eq!(data(p, "echo", input.clone()), input);
                }
            });
        }
    });
}
