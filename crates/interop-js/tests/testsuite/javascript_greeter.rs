//! The JavaScript twin of the cross-language greeter answers exactly like the others.

use crate::common;

use std::sync::Arc;

use interop_js::JsBackend;
use interop_protocol::{ActionInvoke, ErrorKind, HookEvent, Plugin, ProviderGet};
use interop_sandbox::{AuditOutcome, HostServices, LogLevel, MemorySink, Policy};
use serde_json::json;

fn load() -> (interop_js::JsPlugin, HostServices, Arc<MemorySink>) {
    let loaded = common::manifest("javascript-greeter");
    let sink = Arc::new(MemorySink::new());
    let services =
        HostServices::new(Policy::from_manifest(&loaded).unwrap()).with_sink(sink.clone());
    let plugin = JsBackend::new()
        .load_plugin(&loaded, services.clone())
        .unwrap();
    (plugin, services, sink)
}

#[test]
fn it_greets_and_says_goodbye_like_every_greeter() {
    let (plugin, _, sink) = load();
    let hello = plugin
        .invoke(&ActionInvoke::new("greet", json!("World")))
        .unwrap();
    assert_eq!(hello.text.as_deref(), Some("Hello, World!"));
    let bye = plugin
        .invoke(&ActionInvoke::new("farewell", json!("Ada")))
        .unwrap();
    assert_eq!(bye.text.as_deref(), Some("Goodbye, Ada!"));
    let odd = plugin
        .invoke(&ActionInvoke::new("greet", json!("\"Zoë\" \\ 世界")))
        .unwrap();
    assert_eq!(odd.text.as_deref(), Some("Hello, \"Zoë\" \\ 世界!"));
    assert!(sink
        .logs()
        .iter()
        .any(|l| l.level == LogLevel::Info && l.message == "greet World"));
}

#[test]
fn it_reads_its_greeting_through_the_host_fs_api() {
    let (plugin, services, _) = load();
    let answer = plugin.get_provider(&ProviderGet::new("greeting")).unwrap();
    assert_eq!(
        answer.text.as_deref(),
        Some("Greetings from the greeter plugin.")
    );
    let reads: Vec<_> = services
        .audit()
        .events()
        .into_iter()
        .filter(|e| e.function == "fs.readFile")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].outcome, AuditOutcome::Ok);
}

#[test]
fn it_handles_the_reload_hook() {
    let (plugin, _, sink) = load();
    let result = plugin
        .on_event(&HookEvent::new("config.reload", json!({})))
        .unwrap();
    assert_eq!(result, json!([null]));
    assert!(sink
        .logs()
        .iter()
        .any(|l| l.message == "greeter: configuration reloaded"));
    assert_eq!(
        plugin
            .on_event(&HookEvent::new("other", json!(null)))
            .unwrap(),
        json!([])
    );
}

#[test]
fn it_refuses_a_non_string_name_as_invalid_input() {
    let (plugin, _, _) = load();
    let err = plugin
        .invoke(&ActionInvoke::new("greet", json!(42)))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.message, "greet: expected the name as a JSON string");
    assert_eq!(err.plugin.as_deref(), Some("javascript-greeter"));
}
