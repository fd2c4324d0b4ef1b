//! Hostile wasm guests, written as WebAssembly text so that each attack reads in a few
//! lines.

use std::time::Duration;

use interop_hostile::{Case, ErrorKind, Expect};
use serde_json::{json, Value};

/// A manifest for a `.wat` plugin with one action `run`.
fn manifest(limits: Value) -> Value {
    json!({
        "name": "hostile", "version": "1.0.0",
        "interop": {"protocol": "wasm", "wasmPath": "hostile.wat"},
        "actions": [{"name": "run"}],
        "limits": limits
    })
}

fn wat_case(name: &str, expect: Expect, limits: Value, wat: &'static str) -> Case {
    Case::invoke(
        "wasm",
        name,
        expect,
        manifest(limits),
        &[("hostile.wat", wat)],
        "run",
        Value::Null,
    )
}

pub fn cases() -> Vec<Case> {
    vec![
        wat_case(
            "an infinite loop is stopped at its time limit",
            Expect::limit("time").within(Duration::from_millis(750)),
            json!({"timeoutMs": 300}),
            r#"(module (func (export "run") (loop $l (br $l))))"#,
        ),
        wat_case(
            "growing memory past the limit fails as a memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            r#"(module (memory 1)
                 (func (export "run")
                   (loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
                   unreachable))"#,
        ),
        wat_case(
            "a trap is an exec error",
            Expect::error(ErrorKind::Exec),
            json!({}),
            r#"(module (func (export "run") unreachable))"#,
        ),
    ]
}
