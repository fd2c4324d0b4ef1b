//! One typed host function, registered once with `Host::register::<Args, Reply>`, called
//! by a wasm, a JS, a native (in-process) and a process plugin; a plugin the host has not
//! granted it is refused with `denied`, naming the missing grant.

use crate::common;

use interop_host::{ActionResult, ErrorKind, Grants, Host, HostError, PluginError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use common::polyglot;

#[derive(Deserialize)]
struct Greet {
    name: String,
}

#[derive(Serialize)]
struct Greeting {
    text: String,
    length: usize,
}

fn host() -> Host {
    let mut host = Host::new();
    host.register(
        "app.greet",
        |greet: Greet| -> Result<Greeting, PluginError> {
            Ok(Greeting {
                length: greet.name.len(),
                text: format!("Hello, {}!", greet.name),
            })
        },
    );
    for backend in polyglot::BACKENDS {
        host.grant(
            format!("granted-{backend}"),
            Grants::default().allow_function("app.greet"),
        );
    }
    host
}

/// The error a refused call ended with, whichever way the backend reports it.
fn failure(outcome: Result<ActionResult, HostError>) -> PluginError {
    match outcome {
        Err(HostError::Plugin(err)) => err,
        Ok(ActionResult {
            success: false,
            error: Some(err),
            ..
        }) => err,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn one_typed_host_function_serves_wasm_js_native_and_process_plugins_alike() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    for backend in polyglot::BACKENDS {
        let name = format!("granted-{backend}");
        host.load(polyglot::write(dir.path(), backend, &name, json!({})))
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let result = host
            .invoke(&name, "call", Value::Null)
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        assert!(result.success, "{backend}: {result:?}");
        assert_eq!(
            result.data,
            Some(json!({"text": format!("Hello, {backend}!"), "length": backend.len()})),
            "{backend}"
        );
    }
    let calls = host
        .audit()
        .events()
        .into_iter()
        .filter(|e| e.function == "app.greet")
        .count();
    assert_eq!(calls, polyglot::BACKENDS.len(), "each call is audited");
}

#[test]
fn a_plugin_without_the_grant_is_refused_on_every_backend_naming_the_grant() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    for backend in polyglot::BACKENDS {
        let name = format!("ungranted-{backend}");
        host.load(polyglot::write(dir.path(), backend, &name, json!({})))
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let err = failure(host.invoke(&name, "call", Value::Null));
        assert_eq!(err.kind, ErrorKind::Denied, "{backend}: {err}");
        assert!(
            err.message.contains("app.greet") && err.message.contains("Grants::allow_function"),
            "{backend}: {err}"
        );
    }
    assert_eq!(host.audit().denied().len(), polyglot::BACKENDS.len());
}
