//! A manifest's fs grant with `guestPath`: the wasm plugin sees the granted directory
//! under that name (a WASI preopen), and without it under its path in the plugin
//! directory. The guest (tests/guests/preopen_reader.wat) reads the name of its first
//! preopen and the file `x` in it through WASI.

use crate::common;

use std::path::Path;

use common::{interop, text};
use serde_json::{json, Value};

/// A plugin directory with the reader module, `data/x`, and a manifest granting `data`
/// with `grant`'s extra fields.
fn plugin(grant: Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let guests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests");
    std::fs::copy(
        guests.join("preopen_reader.wat"),
        dir.path().join("reader.wat"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/x"), "granted\n").unwrap();
    let mut fs = json!({"path": "data"});
    fs.as_object_mut()
        .unwrap()
        .extend(grant.as_object().unwrap().clone());
    let manifest = json!({
        "name": "reader", "version": "0.1.0",
        "interop": {"protocol": "wasm", "wasmPath": "reader.wat"},
        "actions": [{"name": "read"}],
        "permissions": {"fs": [fs]},
    });
    std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();
    dir
}

fn read(dir: &Path) -> String {
    let out = interop(&["call", dir.to_str().unwrap(), "read"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_granted_directory_is_seen_under_its_guest_path() {
    let dir = plugin(json!({"guestPath": "/data"}));
    assert_eq!(read(dir.path()), "/data: granted\n");
}

#[test]
fn without_a_guest_path_it_is_seen_under_its_relative_path() {
    let dir = plugin(json!({}));
    assert_eq!(read(dir.path()), "data: granted\n");
}

#[test]
fn a_guest_path_outside_wasm_or_with_dot_dot_is_refused_by_validate() {
    let dir = plugin(json!({"guestPath": "/data/../etc"}));
    let out = interop(&["validate", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("$.permissions.fs[0].guestPath"),
        "{}",
        text(&out.stderr)
    );
}
