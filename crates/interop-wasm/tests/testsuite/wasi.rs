//! WASI preview 1 is limited to the policy's grants: only granted directories are
//! preopened, and a path cannot leave them.

use crate::common;

use common::{backend, guest, load, plugin_dir};
use interop_protocol::{ActionInvoke, Plugin};
use serde_json::{json, Value};

fn wasi_plugin(fs: Value) -> (common::Loaded, tempfile::TempDir) {
    let (backend, cache) = backend();
    let dir = plugin_dir(
        json!({
            "name": "wasi", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
            "actions": [{"name": "prestat"}, {"name": "open"}],
            "permissions": {"fs": fs}
        }),
        &[
            ("abi.wat", &guest("abi.wat")),
            ("data/hello.txt", b"hello through wasi"),
            ("secret.txt", b"top secret"),
        ],
    );
    (load(&backend, dir), cache)
}

fn call(p: &common::Loaded, action: &str, input: Value) -> Value {
    let r = p.plugin.invoke(&ActionInvoke::new(action, input)).unwrap();
    r.text.map(Value::String).or(r.data).unwrap_or(Value::Null)
}

// WASI errno values (wasi_snapshot_preview1).
const EBADF: u64 = 8;
const ENOTCAPABLE: u64 = 76;
const EPERM: u64 = 63;

#[test]
fn a_granted_directory_is_preopened_under_its_manifest_name() {
    let (p, _cache) = wasi_plugin(json!([{"path": "data"}]));
    assert_eq!(call(&p, "prestat", Value::Null), json!("data"));
    assert_eq!(
        call(&p, "open", json!("hello.txt")),
        json!("hello through wasi")
    );
}

#[test]
fn paths_outside_the_preopen_are_refused() {
    let (p, _cache) = wasi_plugin(json!([{"path": "data"}]));
    for path in ["../secret.txt", "/etc/passwd", "../../../../etc/passwd"] {
        let answer = call(&p, "open", json!(path));
        let errno = answer
            .as_u64()
            .unwrap_or_else(|| panic!("{path} was opened: {answer}"));
        assert!(
            [ENOTCAPABLE, EPERM].contains(&errno),
            "{path}: errno {errno}"
        );
    }
}

#[test]
fn without_a_grant_nothing_is_preopened() {
    let (p, _cache) = wasi_plugin(json!([]));
    assert_eq!(call(&p, "prestat", Value::Null), json!(EBADF));
    assert_eq!(call(&p, "open", json!("hello.txt")), json!(EBADF));
}
