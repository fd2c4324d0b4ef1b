//! WebAssembly component plugins (examples/plugins/<lang>-component-greeter: Rust with
//! wit-bindgen, Python with componentize-py, JavaScript with componentize-js) answer like
//! the core-module greeter and stay inside their time and memory limits and their fs and
//! network grants.
//!
//! The guests are built by `cargo xtask build-plugins`; a missing one fails the test with
//! that instruction. Python and JavaScript components are large (tens of MB): each test
//! loads its component once and checks everything on that one load, and the backend's
//! disk cache (the default directory, shared with the `interop` CLI) keeps later runs
//! from compiling them again.

use crate::common;

use interop_host::{Host, HostError};
use interop_protocol::{Action, ErrorKind, Interop, LoadedManifest, PluginError, WasmAbi};
use interop_wasm::CacheSource;
use serde_json::{json, Value};

/// The manifest of a sample greeter.
fn sample(dir: &str) -> LoadedManifest {
    let path = common::repo()
        .join("examples/plugins")
        .join(dir)
        .join("plugin.json");
    let loaded = interop_protocol::load_manifest(&path).unwrap_or_else(|e| {
        panic!("{dir}: {e}\n(the greeters are built by cargo xtask build-plugins)")
    });
    if let interop_protocol::Interop::Wasm(w) = &loaded.manifest.interop {
        let binary = loaded.resolve(&w.wasm_path);
        assert!(
            binary.exists(),
            "{dir}: {} is missing: run cargo xtask build-plugins",
            binary.display()
        );
    }
    loaded
}

/// What a greeter answers, as one JSON document (to compare guests).
fn transcript(host: &Host, name: &str) -> Value {
    let greet = host.invoke(name, "greet", json!("World")).unwrap();
    let farewell = host.invoke(name, "farewell", json!("World")).unwrap();
    let provider = host.get_provider(name, "greeting").unwrap();
    let hook = match host.emit("config.reload", json!({})).remove(name) {
        Some(Ok(_)) => json!("ok"),
        Some(Err(e)) => panic!("{name}: config.reload failed: {e}"),
        None => panic!("{name}: no config.reload hook"),
    };
    json!({
        "greet": greet.text,
        "farewell": farewell.text,
        "greeting": provider.text,
        "config.reload": hook,
    })
}

/// The core-module Rust greeter's transcript, the one every component must match.
fn core_transcript() -> Value {
    let host = Host::new();
    let name = host
        .load_manifest(sample("rust-greeter"))
        .unwrap()
        .name()
        .to_owned();
    transcript(&host, &name)
}

fn plugin_error(err: HostError) -> PluginError {
    match err {
        HostError::Plugin(e) => e,
        other => panic!("expected a plugin error, got {other}"),
    }
}

/// The sample component `dir` with the test handlers declared as actions, a time limit
/// of 1 s, a memory limit of 48 MiB (lowered from the host default of 64), and a network grant for one local prefix only.
fn with_test_handlers(dir: &str) -> LoadedManifest {
    let mut loaded = sample(dir);
    let manifest = &mut loaded.manifest;
    for name in ["spin", "nap", "hog", "read", "fetch"] {
        let action: Action = serde_json::from_value(json!({ "name": name })).unwrap();
        manifest.actions.push(action);
    }
    manifest.limits.timeout_ms = Some(1000);
    manifest.limits.memory_mb = Some(48);
    manifest.permissions.network = Some(
        serde_json::from_value(json!({ "allowedUrlPrefixes": ["http://127.0.0.1:9/granted/"] }))
            .unwrap(),
    );
    loaded
}

/// Loads the component `dir` once and checks it all: the greeter's answers, then each
/// limit and grant, then that it still answers after being stopped.
fn check(dir: &str) {
    std::env::remove_var("GREETER_PREFIX");
    let host = Host::new();
    let name = host
        .load_manifest(with_test_handlers(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .name()
        .to_owned();
    assert_eq!(transcript(&host, &name), core_transcript(), "{dir}");

    let err = plugin_error(host.invoke(&name, "spin", Value::Null).unwrap_err());
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{dir}: {err}");
    assert_eq!(err.limit_name(), Some("time"), "{dir}: {err}");
    assert!(
        err.message.contains("time limit of 1000 ms"),
        "{dir}: {err}"
    );

    let err = plugin_error(host.invoke(&name, "hog", Value::Null).unwrap_err());
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{dir}: {err}");
    assert_eq!(err.limit_name(), Some("memory"), "{dir}: {err}");
    assert!(
        err.message.contains("50331648 bytes (48 MiB)"),
        "{dir}: {err}"
    );

    let granted = host
        .invoke(&name, "read", json!("data/greeting.txt"))
        .unwrap();
    assert!(granted.text.is_some_and(|t| !t.is_empty()), "{dir}");
    for outside in ["/etc/passwd", "../rust-greeter/plugin.json"] {
        let err = plugin_error(host.invoke(&name, "read", json!(outside)).unwrap_err());
        assert_eq!(err.kind, ErrorKind::Denied, "{dir} read {outside}: {err}");
        assert_eq!(err.plugin.as_deref(), Some(name.as_str()), "{dir}: {err}");
    }

    let err = plugin_error(
        host.invoke(&name, "fetch", json!("http://example.com/"))
            .unwrap_err(),
    );
    assert_eq!(err.kind, ErrorKind::Denied, "{dir}: {err}");
    assert!(err.message.contains("example.com"), "{dir}: {err}");

    // Every refusal is in the audit trail, recorded by the host's services.
    let denied: Vec<String> = host
        .audit()
        .denied()
        .into_iter()
        .filter(|e| e.plugin == name)
        .map(|e| e.args)
        .collect();
    assert!(
        denied.iter().any(|t| t.contains("/etc/passwd"))
            && denied.iter().any(|t| t.contains("example.com")),
        "{dir}: denials missing from the audit trail: {denied:?}"
    );

    // Stopped instances were discarded; the plugin goes on with fresh ones.
    let again = host.invoke(&name, "greet", json!("again")).unwrap();
    assert_eq!(again.text.as_deref(), Some("Hello, again!"), "{dir}");
}

#[test]
fn rust_component() {
    check("rust-component-greeter");
}

/// A guest waiting on a WASI 0.2 clock (Rust's `thread::sleep`: `pollable.block` in the
/// host) is cut at the call's deadline, not when the wait ends a minute later.
#[test]
fn a_wasi_clock_wait_ends_at_the_time_limit() {
    let host = Host::new();
    let name = host
        .load_manifest(with_test_handlers("rust-component-greeter"))
        .unwrap()
        .name()
        .to_owned();
    let err = plugin_error(host.invoke(&name, "nap", Value::Null).unwrap_err());
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    assert!(err.message.contains("WASI pollable.block"), "{err}");
    let again = host.invoke(&name, "greet", json!("again")).unwrap();
    assert_eq!(again.text.as_deref(), Some("Hello, again!"));
}

#[test]
fn python_component() {
    check("python-component-greeter");
}

#[test]
fn javascript_component() {
    check("js-component-greeter");
}

/// `sample` with its manifest's `wasmAbi` set to `abi`.
fn declaring(dir: &str, abi: WasmAbi) -> LoadedManifest {
    let mut loaded = sample(dir);
    match &mut loaded.manifest.interop {
        Interop::Wasm(wasm) => wasm.wasm_abi = Some(abi),
        other => panic!("{dir} is not a wasm plugin: {other:?}"),
    }
    loaded
}

#[test]
fn a_declared_abi_that_does_not_match_the_binary_is_refused_at_load() {
    for (dir, abi, expected) in [
        (
            "rust-component-greeter",
            WasmAbi::Interop,
            "is a component, not a core module",
        ),
        (
            "rust-greeter",
            WasmAbi::Component,
            "is a core module, not a component",
        ),
        (
            "rust-component-greeter",
            WasmAbi::Extism,
            "is a component, not a core module",
        ),
    ] {
        let err = match Host::new().load_manifest(declaring(dir, abi)) {
            Ok(_) => panic!("{dir} loaded with wasmAbi {abi}"),
            Err(e) => plugin_error(e),
        };
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{dir}: {err}");
        assert!(err.message.contains(expected), "{dir}: {err}");
    }
}

#[test]
fn components_are_cached_on_disk_and_in_memory_like_modules() {
    let wasm = common::repo().join("examples/plugins/rust-component-greeter/dist/greeter.wasm");
    assert!(wasm.is_file(), "run cargo xtask build-plugins");
    let (backend, cache) = common::backend();
    assert_eq!(backend.prepare_file(&wasm).unwrap(), CacheSource::Compiled);
    assert_eq!(backend.prepare_file(&wasm).unwrap(), CacheSource::Memory);
    let fresh = interop_wasm::WasmBackend::builder()
        .cache_dir(cache.path())
        .build();
    assert_eq!(fresh.prepare_file(&wasm).unwrap(), CacheSource::Disk);
}

/// Loads a plugin whose binary is the component written in `wat`, returning the error.
fn load_error(wat: &str) -> PluginError {
    let binary = wat::parse_str(wat).unwrap();
    let dir = common::plugin_dir(
        json!({
            "name": "odd", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "odd.wasm"},
            "actions": [{"name": "greet"}]
        }),
        &[("odd.wasm", &binary)],
    );
    match Host::new().load_manifest(dir.loaded.clone()) {
        Ok(_) => panic!("the component loaded: {wat}"),
        Err(e) => plugin_error(e),
    }
}

#[test]
fn a_component_of_another_world_is_refused_at_load_naming_what_is_wrong() {
    let err = load_error("(component)");
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert!(err.message.contains("interop:plugin/plugin"), "{err}");
    assert!(err.message.contains("handle"), "{err}");

    let err =
        load_error(r#"(component (import "evil:host/api" (instance (export "steal" (func)))))"#);
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert!(err.message.contains("evil:host/api"), "{err}");
    assert_eq!(err.plugin.as_deref(), Some("odd"), "{err}");
}
