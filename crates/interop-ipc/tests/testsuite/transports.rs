//! `protocol: "ipc"` over its three set-ups: the host starts the plugin and connects over
//! a Unix socket or TCP, or connects to a plugin that is already listening.

use crate::common;

use common::{call, hostile_manifest, load, plugin_dir};
use interop_ipc::{transport, PeerOptions, Router};
use interop_protocol::PROTOCOL_VERSION;
use serde_json::{json, Value};

fn ipc_manifest(interop: Value) -> Value {
    let mut m = hostile_manifest(&[], json!({}));
    m["interop"] = interop;
    m
}

#[test]
fn the_host_starts_a_unix_socket_plugin_and_restarts_it_after_a_crash() {
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "unix", "socketPath": "run/hostile.sock",
        "command": "python3", "args": ["hostile.py", "--transport", "unix"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!([1, 2])).unwrap(), json!([1, 2]));
    let names: Vec<String> =
        serde_json::from_value(call(&plugin, "env", json!(null)).unwrap()).unwrap();
    assert!(names.contains(&"INTEROP_SOCKET".to_owned()), "{names:?}");
    let err = call(&plugin, "crash", json!(null)).unwrap_err();
    assert_eq!(err.kind, interop_protocol::ErrorKind::Exec, "{err}");
    assert_eq!(
        call(&plugin, "echo", json!("again")).unwrap(),
        json!("again")
    );
    assert_eq!(plugin.restarts(), 1);
}

#[test]
fn the_host_starts_a_tcp_plugin_at_the_manifest_address() {
    let addr = transport::free_loopback_address().unwrap().to_string();
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "tcp", "address": addr,
        "command": "python3", "args": ["hostile.py", "--transport", "tcp"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(
        call(&plugin, "echo", json!({"over": "tcp"})).unwrap(),
        json!({"over": "tcp"})
    );
}

#[test]
fn a_started_tcp_plugin_without_an_address_gets_a_free_loopback_port() {
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "tcp",
        "command": "python3", "args": ["hostile.py", "--transport", "tcp"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!("tcp")).unwrap(), json!("tcp"));
    let names: Vec<String> =
        serde_json::from_value(call(&plugin, "env", json!(null)).unwrap()).unwrap();
    assert!(names.contains(&"INTEROP_ADDRESS".to_owned()), "{names:?}");
}

#[test]
fn a_started_unix_plugin_without_a_socket_path_gets_a_private_socket() {
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "unix",
        "command": "python3", "args": ["hostile.py", "--transport", "unix"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!("unix")).unwrap(), json!("unix"));
}

#[test]
fn the_manifest_chooses_content_length_framing_over_stdio_and_sockets() {
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "subprocess", "framing": "content-length",
        "command": "python3", "args": ["hostile.py", "--framing", "content-length"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!("lsp")).unwrap(), json!("lsp"));
    assert_eq!(
        call(&plugin, "echo", json!("x".repeat(100_000))).unwrap(),
        json!("x".repeat(100_000))
    );
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "unix", "framing": "content-length",
        "command": "python3",
        "args": ["hostile.py", "--transport", "unix", "--framing", "content-length"]
    })));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!([1])).unwrap(), json!([1]));
}

#[test]
fn a_framing_the_plugin_does_not_speak_fails_the_load_instead_of_hanging() {
    let (_dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "subprocess", "framing": "content-length",
        "command": "python3", "args": ["hostile.py"]
    })));
    let started = std::time::Instant::now();
    let err = load(&loaded)
        .err()
        .expect("a line plugin cannot answer LSP frames");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(8),
        "{err}"
    );
}

#[test]
fn the_host_connects_to_a_plugin_that_is_already_listening() {
    let (dir, loaded) = plugin_dir(ipc_manifest(json!({
        "protocol": "ipc", "transport": "unix", "socketPath": "listening.sock"
    })));
    let rt = interop_ipc::runtime::runtime().unwrap();
    let listener = {
        let _g = rt.enter();
        tokio::net::UnixListener::bind(dir.path().join("listening.sock")).unwrap()
    };
    let router = Router::new()
        .inline("initialize", |_| {
            Ok(json!({"name": "hostile", "protocolVersion": PROTOCOL_VERSION}))
        })
        .inline("action.invoke", |p| {
            let p = p.unwrap_or_default();
            Ok(json!(format!("in-process {}", p["input"])))
        });
    rt.spawn(transport::serve_unix(
        listener,
        router,
        PeerOptions::default(),
    ));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(
        call(&plugin, "echo", json!(7)).unwrap(),
        json!("in-process 7")
    );
    assert_eq!(plugin.pid(), None, "no process of ours");
}
