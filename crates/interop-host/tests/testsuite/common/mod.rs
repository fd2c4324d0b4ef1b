//! Small wasm plugins written as WebAssembly text, for the host's own tests.
#![allow(dead_code)] // each test file uses its own subset

pub mod polyglot;

use std::path::{Path, PathBuf};

/// A module whose export `run` outputs the JSON string `text`, after sleeping `sleep_ms`
/// through the host (`ft_sleep_ms`).
pub fn answering(text: &str, sleep_ms: u64) -> String {
    let json = format!("\"{text}\"");
    format!(
        r#"(module
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_sleep_ms" (func $sleep (param i64) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{escaped}")
  (func (export "run")
    (drop (call $sleep (i64.const {sleep_ms})))
    (call $output (i32.const 0) (i32.const {len}))))"#,
        escaped = json.replace('"', "\\22"),
        len = json.len(),
    )
}

/// A module whose export `run` never returns.
pub const LOOPING: &str =
    r#"(module (memory (export "memory") 1) (func (export "run") (loop $l (br $l))))"#;

/// Writes a plugin named `name` at `version` with the module `wat` into `dir`; returns
/// its manifest's path.
pub fn write_plugin(
    dir: &Path,
    name: &str,
    version: &str,
    wat: &str,
    limits: serde_json::Value,
) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("plugin.wat"), wat).unwrap();
    let manifest = serde_json::json!({
        "name": name, "version": version,
        "interop": {"protocol": "wasm", "wasmPath": "plugin.wat"},
        "actions": [{"name": "run"}],
        "limits": limits
    });
    let path = dir.join("plugin.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}
