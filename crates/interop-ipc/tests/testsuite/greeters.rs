//! The Python, Node and Unix-socket Python greeters answer through the Host exactly as
//! the wasm greeters do.

use crate::common;

use std::sync::Arc;

use common::example;
use interop_host::Host;
use interop_ipc::IpcBackend;
use interop_protocol::ErrorKind;
use serde_json::json;

fn host() -> Host {
    let mut host = Host::without_backends();
    host.register_backend(Arc::new(IpcBackend::ipc()));
    host.register_backend(Arc::new(IpcBackend::subprocess()));
    host
}

fn check_greeter(name: &str) {
    let host = host();
    let plugin = host.load(example(name)).unwrap();
    assert_eq!(plugin.name(), name);
    let greet = host.invoke(name, "greet", json!("World")).unwrap();
    assert!(greet.success);
    assert_eq!(greet.text.as_deref(), Some("Hello, World!"));
    let bye = host.invoke(name, "farewell", json!("World")).unwrap();
    assert_eq!(bye.text.as_deref(), Some("Goodbye, World!"));
    let provided = host.get_provider(name, "greeting").unwrap();
    assert_eq!(
        provided.text.as_deref(),
        Some("Greetings from the greeter plugin.")
    );
    let handlers = host.emit("config.reload", json!({}));
    assert_eq!(handlers[name].as_ref().unwrap(), &json!([null]));
    let err = host.invoke(name, "shout", json!("World")).unwrap_err();
    assert!(err.to_string().contains("shout"), "{err}");
    // The greeter used the host API over the reverse channel: log, env.get, fs.readFile.
    let functions: Vec<String> = host
        .audit()
        .events()
        .into_iter()
        .map(|e| e.function)
        .collect();
    for f in ["log", "env.get", "fs.readFile"] {
        assert!(
            functions.iter().any(|g| g == f),
            "{name} did not call {f}: {functions:?}"
        );
    }
    let bad = plugin.invoke(&interop_protocol::ActionInvoke::new("greet", json!(5)));
    // The manifest's inputSchema rejects a number before the plugin sees it (host), or
    // the plugin reports a failed action (direct call).
    match bad {
        Ok(result) => assert!(!result.success),
        Err(e) => assert_eq!(e.kind, ErrorKind::InvalidInput),
    }
    host.close_all();
}

#[test]
fn the_python_greeter_answers_like_the_wasm_greeters() {
    check_greeter("python-greeter");
}

#[test]
fn the_node_greeter_answers_like_the_wasm_greeters() {
    check_greeter("node-greeter");
}

#[test]
fn the_unix_socket_python_greeter_answers_like_the_wasm_greeters() {
    check_greeter("python-socket-greeter");
}

#[test]
fn calling_a_plugin_from_inside_another_tokio_runtime_does_not_panic() {
    let host = host();
    host.load(example("python-greeter")).unwrap();
    let app = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let text = app.block_on(async {
        host.invoke("python-greeter", "greet", json!("Async"))
            .unwrap()
            .text
    });
    assert_eq!(text.as_deref(), Some("Hello, Async!"));
    host.close_all();
}
