//! Actions called with JSON text in and out (`Plugin::invoke_raw`): the text reaches the
//! guest as it is, and the guest's output comes back as its text, checked to be JSON.

use crate::abi::abi_plugin;
use crate::common::backend;

use interop_protocol::{ActionInvoke, ErrorKind, Plugin, RawActionResult, RawValue};
use interop_sandbox::HostFunctions;
use serde_json::json;

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_owned()).unwrap()
}

#[test]
fn the_guest_gets_the_callers_text_and_the_caller_gets_the_guests() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    // Key order, number spelling and escapes are the caller's, untouched both ways.
    let text = r#"{"z":1.50,"a":[true,null],"\u00fc":"\n"}"#;
    let result = p.plugin.invoke_raw("echo", &raw(text)).unwrap();
    assert!(result.success);
    assert_eq!(result.data.unwrap().get(), text);
    // The guest sees the same bytes as through `invoke` (`input_len` counts them).
    let result = p
        .plugin
        .invoke_raw("input_len", &raw(r#"{"k":"0123456789"}"#))
        .unwrap();
    assert_eq!(result.data.unwrap().get(), "18");
    // A string reply is the result's text, as with `invoke`.
    let result = p.plugin.invoke_raw("echo", &raw(r#""World""#)).unwrap();
    assert_eq!(result.text.as_deref(), Some("World"));
    assert!(result.data.is_none());
}

#[test]
fn replies_mean_what_they_mean_through_invoke() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    for (action, input) in [
        (
            "echo",
            json!({"success": false, "error": {"kind": "exec", "message": "no"}}),
        ),
        ("echo", json!(null)),
        ("echo", json!([1, 2])),
        ("read", json!({"path": "secret.txt"})),
        ("count", json!(null)),
    ] {
        let through_value = p.plugin.invoke(&ActionInvoke::new(action, input.clone()));
        let through_text = p
            .plugin
            .invoke_raw(action, &raw(&input.to_string()))
            .map(|r| r.into_result().unwrap());
        // `count` counts per instance: both calls ran, so the second says one more.
        if action == "count" {
            let first = through_value.unwrap().data.unwrap().as_i64().unwrap();
            assert_eq!(through_text.unwrap().data, Some(json!(first + 1)));
            continue;
        }
        assert_eq!(through_text, through_value, "{action} {input}");
    }
    // A failed call is the same error either way.
    let err = p.plugin.invoke_raw("fail", &raw("null")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec);
    assert_eq!(err.message, "boom");
    let err = p.plugin.invoke_raw("missing", &raw("null")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
}

/// A guest whose output is not JSON does not reach the caller as `RawValue` (which
/// promises one JSON value: an application may splice it into a larger document).
#[test]
fn output_that_is_not_json_is_a_parse_error_naming_the_plugin_and_action() {
    let (backend, _cache) = backend();
    let p = abi_plugin(&backend, HostFunctions::new());
    let err = p.plugin.invoke_raw("garbage", &raw("null")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Parse, "{err}");
    assert_eq!(err.plugin.as_deref(), Some("abi"));
    assert!(
        err.message.starts_with("action `garbage`: ft_output"),
        "{err}"
    );
    assert!(err.message.contains("hello from wat"), "{err}");
    // The same output through `invoke`.
    let err = p
        .plugin
        .invoke(&ActionInvoke::new("garbage", json!(null)))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Parse, "{err}");
    // The instance is fine: the next call works.
    let ok: RawActionResult = p.plugin.invoke_raw("echo", &raw("[1]")).unwrap();
    assert_eq!(ok.data.unwrap().get(), "[1]");
}
