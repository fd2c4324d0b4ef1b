//! The `ipc` and `subprocess` sections of a manifest: endpoints the host picks, and the
//! framing field.

use interop_protocol::manifest::{Framing, Interop};
use interop_protocol::validate_value;
use serde_json::{json, Value};

fn manifest(interop: Value) -> Value {
    json!({"name": "p", "version": "1.0.0", "interop": interop})
}

fn problems(interop: Value) -> Vec<String> {
    match validate_value(&manifest(interop), None) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .iter()
            .map(|p| format!("{}: {}", p.path, p.message))
            .collect(),
    }
}

#[test]
fn a_started_socket_plugin_may_leave_its_endpoint_to_the_host() {
    for transport in ["unix", "tcp"] {
        let interop = json!({"protocol": "ipc", "transport": transport, "command": "./serve"});
        assert_eq!(problems(interop), Vec::<String>::new(), "{transport}");
    }
}

#[test]
fn a_plugin_the_host_only_connects_to_must_name_its_endpoint() {
    let unix = problems(json!({"protocol": "ipc", "transport": "unix"}));
    assert!(
        unix[0].starts_with("$.interop.socketPath: missing"),
        "{unix:?}"
    );
    let tcp = problems(json!({"protocol": "ipc", "transport": "tcp"}));
    assert!(tcp[0].starts_with("$.interop.address: missing"), "{tcp:?}");
}

#[test]
fn framing_is_lines_unless_the_manifest_says_content_length() {
    let m = validate_value(
        &manifest(json!({"protocol": "subprocess", "command": "x"})),
        None,
    )
    .unwrap();
    let Interop::Subprocess(s) = &m.interop else {
        panic!()
    };
    assert_eq!(s.framing, Framing::Lines);
    let m = validate_value(
        &manifest(
            json!({"protocol": "ipc", "transport": "unix", "command": "x",
                          "framing": "content-length"}),
        ),
        None,
    )
    .unwrap();
    let Interop::Ipc(i) = &m.interop else {
        panic!()
    };
    assert_eq!(i.framing, Framing::ContentLength);
    // Serialized back, the default is left out.
    let json = serde_json::to_value(&m.interop).unwrap();
    assert_eq!(json["framing"], json!("content-length"));
}

#[test]
fn an_unknown_framing_is_refused_naming_the_field() {
    let p = problems(json!({"protocol": "subprocess", "command": "x", "framing": "xml"}));
    assert!(
        p.iter().any(|p| p.starts_with("$.interop.framing")),
        "{p:?}"
    );
}
