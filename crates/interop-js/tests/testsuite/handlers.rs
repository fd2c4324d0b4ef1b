//! What a script's handlers are called with: the shapes `docs/abi.md` documents for every
//! backend.

use interop_js::{JsBackend, JsPlugin};
use interop_protocol::{load_manifest, ActionInvoke, HookEvent, Plugin, ProviderGet};
use interop_sandbox::{HostServices, Policy};
use serde_json::{json, Value};

/// Every handler answers with the arguments it was called with.
const SCRIPT: &str = "const plugin = { echo(...args) { return { args } } };";

fn load() -> (JsPlugin, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugin.js"), SCRIPT).unwrap();
    let manifest = json!({
        "name": "handlers", "version": "0.1.0",
        "interop": { "protocol": "js", "scriptPath": "plugin.js" },
        "actions": [ { "name": "act", "handler": "echo" } ],
        "providers": [ { "name": "prov", "handler": "echo" } ],
        "hooks": [ { "event": "config.reload", "handler": "echo" } ]
    });
    std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();
    let loaded = load_manifest(dir.path().join("plugin.json")).unwrap();
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap());
    let plugin = JsBackend::new().load_plugin(&loaded, services).unwrap();
    (plugin, dir)
}

fn args_of(data: Option<Value>) -> Value {
    data.expect("the handler's object reply is data")["args"].clone()
}

#[test]
fn an_action_gets_its_input_and_a_context_only_when_the_request_has_one() {
    let (plugin, _dir) = load();
    let mut request = ActionInvoke::new("act", json!("World"));
    let plain = plugin.invoke(&request).unwrap();
    assert_eq!(args_of(plain.data), json!(["World"]));
    request.state = json!({"n": 1});
    let with_state = plugin.invoke(&request).unwrap();
    assert_eq!(
        args_of(with_state.data),
        json!(["World", {"memory": null, "state": {"n": 1}, "options": null}])
    );
}

/// `invoke_raw`: the input's text is the handler's one argument, and the reply comes back
/// as the text V8 printed it to, meaning what it means through `invoke`.
#[test]
fn an_action_called_with_json_text_gets_it_as_its_one_argument() {
    let (plugin, _dir) = load();
    let input =
        interop_protocol::RawValue::from_string(r#"{"b":[1,2.5],"a":"\u00fc"}"#.into()).unwrap();
    let result = plugin.invoke_raw("act", &input).unwrap();
    assert!(result.success);
    assert_eq!(
        result.data.unwrap().get(),
        r#"{"args":[{"b":[1,2.5],"a":"ü"}]}"#
    );
    let through_value = plugin
        .invoke(&ActionInvoke::new("act", json!({"b": [1, 2.5], "a": "ü"})))
        .unwrap();
    assert_eq!(
        args_of(through_value.data),
        json!([{"b": [1, 2.5], "a": "ü"}])
    );
    let err = plugin.invoke_raw("nope", &input).unwrap_err();
    assert_eq!(err.kind, interop_protocol::ErrorKind::NotFound);
}

#[test]
fn a_provider_gets_memory_and_state_as_its_one_argument_even_when_both_are_null() {
    let (plugin, _dir) = load();
    let plain = plugin.get_provider(&ProviderGet::new("prov")).unwrap();
    assert_eq!(
        args_of(plain.data),
        json!([{"memory": null, "state": null}])
    );
    let mut request = ProviderGet::new("prov");
    request.memory = json!(["m"]);
    let with_memory = plugin.get_provider(&request).unwrap();
    assert_eq!(
        args_of(with_memory.data),
        json!([{"memory": ["m"], "state": null}])
    );
}

#[test]
fn a_hook_handler_gets_the_events_payload() {
    let (plugin, _dir) = load();
    let replies = plugin
        .on_event(&HookEvent::new("config.reload", json!({"k": "v"})))
        .unwrap();
    assert_eq!(replies, json!([{"args": [{"k": "v"}]}]));
}
