//! A plugin's config (its manifest's `config`, with the host's overrides, checked against
//! its `configSchema`) read by a real plugin of every backend.

use crate::common;

use std::path::Path;

use interop_host::{ActionResult, ErrorKind, Host, HostError};
use serde_json::{json, Value};

use common::polyglot;

/// What an action answered: its text, else its data.
fn answer(result: ActionResult) -> Value {
    assert!(result.success, "{result:?}");
    result
        .text
        .map(Value::String)
        .or(result.data)
        .unwrap_or(Value::Null)
}

fn read_config(host: &Host, manifest: &Path) -> Value {
    let name = host.load(manifest).expect("load").name().to_owned();
    answer(host.invoke(&name, "config", Value::Null).expect("invoke"))
}

/// Loads the `backend` plugin with `{"name": "from the manifest"}` in its manifest: it reads
/// that, and with the host's override it reads the override.
fn reads_its_manifest_config_and_the_host_override(backend: &str) {
    let dir = tempfile::tempdir().unwrap();
    let name = format!("configured-{backend}");
    let manifest = polyglot::write(
        dir.path(),
        backend,
        &name,
        json!({"config": {"name": "from the manifest", "other": 1}}),
    );
    assert_eq!(
        read_config(&Host::new(), &manifest),
        json!("from the manifest")
    );

    let mut host = Host::new();
    host.set_config(&name, "name", json!("from the host"));
    assert_eq!(read_config(&host, &manifest), json!("from the host"));
    // A process reads its config from `initialize`; the others ask the host, audited.
    if backend != "process" {
        let audited = host.audit().events();
        assert!(
            audited
                .iter()
                .any(|e| e.function == "config.get" && e.plugin == name && e.args == "name"),
            "{audited:?}"
        );
    }
}

#[test]
fn a_wasm_plugin_reads_its_manifest_config_and_the_host_override() {
    reads_its_manifest_config_and_the_host_override("wasm");
}

#[test]
fn a_js_plugin_reads_its_manifest_config_and_the_host_override() {
    reads_its_manifest_config_and_the_host_override("js");
}

#[test]
fn a_native_plugin_reads_its_manifest_config_and_the_host_override() {
    reads_its_manifest_config_and_the_host_override("native");
}

#[test]
fn a_process_plugin_reads_its_manifest_config_and_the_host_override() {
    reads_its_manifest_config_and_the_host_override("process");
}

#[test]
fn a_key_in_neither_the_manifest_nor_the_host_reads_as_null_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new();
    for backend in polyglot::BACKENDS {
        let manifest = polyglot::write(dir.path(), backend, &format!("bare-{backend}"), json!({}));
        assert_eq!(read_config(&host, &manifest), Value::Null, "{backend}");
    }
}

#[test]
fn a_host_override_breaking_the_config_schema_fails_the_load_naming_the_plugin_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = polyglot::write(
        dir.path(),
        "wasm",
        "schemed",
        json!({
            "config": {"name": "fine"},
            "configSchema": {"type": "object", "properties": {"name": {"type": "string"}}},
        }),
    );
    let mut host = Host::new();
    host.set_config("schemed", "name", json!(3));
    let err = match host.load(&manifest) {
        Err(HostError::Plugin(err)) => err,
        Err(other) => panic!("expected a plugin error, got {other}"),
        Ok(_) => panic!("a config breaking its schema was loaded"),
    };
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(err.plugin.as_deref(), Some("schemed"));
    assert!(err.message.contains("key `name`"), "{}", err.message);
    assert!(host.plugin_names().is_empty());
}

#[test]
fn the_jsrun_greeter_sample_reads_its_version_from_its_manifest_or_from_the_host() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/plugins/js-greeter");
    let host = Host::new();
    host.load(&sample).expect("load");
    let greeting = host.invoke("js-greeter", "greet", json!("World")).unwrap();
    assert_eq!(
        greeting.text.as_deref(),
        Some("Hello, World! App version: 1.0.0")
    );

    let mut host = Host::new();
    host.set_config("js-greeter", "version", json!("2.1.0"));
    host.load(&sample).expect("load");
    let greeting = host.invoke("js-greeter", "greet", json!("World")).unwrap();
    assert_eq!(
        greeting.text.as_deref(),
        Some("Hello, World! App version: 2.1.0")
    );
}
