//! Hostile Extism plugins (`extism:host/env` imports, exports returning an i32 status),
//! written as WebAssembly text: each must be stopped by the limits and grants every wasm
//! plugin has.

use std::time::Duration;

use interop_hostile::{trusting_host, Case, ErrorKind, Expect};
use serde_json::{json, Value};

const TIMEOUT_MS: u64 = 1000;
const BOUND: Duration = Duration::from_millis(TIMEOUT_MS * 3 / 2);

/// The imports the cases use, as Extism's PDKs declare them.
const IMPORTS: &str = r#"
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/env" "http_request" (func $http_request (param i64 i64) (result i64)))
  (memory (export "memory") 1)
"#;

/// A plugin of one export `run` with `body` (a function returning i32), its ABI told from
/// its imports, with `permissions` requested; the host grants what is requested.
fn extism_case(name: &str, expect: Expect, permissions: Value, body: &str) -> Case {
    let wat = format!("(module {IMPORTS}\n  (data (i32.const 16) \"{{\\\"url\\\":\\\"http://127.0.0.1:9/x\\\"}}\")\n  (func (export \"run\") (result i32) {body}))");
    Case::invoke(
        "extism",
        name,
        expect,
        json!({
            "name": "hostile-extism", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "hostile.wat"},
            "actions": [{"name": "run"}],
            "limits": {"timeoutMs": TIMEOUT_MS, "memoryMb": 16, "maxMessageBytes": 65536},
            "permissions": permissions
        }),
        &[("hostile.wat", wat.as_str())],
        "run",
        Value::Null,
    )
    .in_host(trusting_host)
}

/// Leaves a block holding the request JSON of the module's data segment (at 16, 30
/// bytes), copied byte by byte with `store_u8`, in `$req`.
const REQUEST: &str = "(local $req i64) (local $i i64)
    (local.set $req (call $alloc (i64.const 30)))
    (loop $copy
      (call $store_u8 (i64.add (local.get $req) (local.get $i))
        (i32.load8_u (i32.add (i32.const 16) (i32.wrap_i64 (local.get $i)))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $copy (i64.lt_u (local.get $i) (i64.const 30))))";

pub fn cases() -> Vec<Case> {
    let none = json!({});
    vec![
        extism_case(
            "an Extism export that never returns is stopped at its time limit",
            Expect::limit("time").within(BOUND),
            none.clone(),
            "(loop $l (br $l)) (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin allocating without end is stopped at its memory limit",
            Expect::limit("memory"),
            none.clone(),
            "(loop $l (drop (call $alloc (i64.const 1048576))) (br $l)) (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin asking for an allocation of 2^63 bytes is refused",
            Expect::limit("memory"),
            none.clone(),
            "(drop (call $alloc (i64.const 0x7fffffffffffffff))) (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin growing its own memory without end is stopped",
            Expect::limit("memory"),
            none.clone(),
            "(loop $l (br_if $l (i32.ne (memory.grow (i32.const 16)) (i32.const -1)))) unreachable",
        ),
        extism_case(
            "an Extism plugin reading kernel memory it never allocated traps",
            Expect::error(ErrorKind::Exec).containing("outside Extism memory"),
            none.clone(),
            "(drop (call $load_u64 (i64.const 4096))) (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin outputting more than the message limit is stopped",
            Expect::limit("message_size"),
            none.clone(),
            "(call $output_set (call $alloc (i64.const 100000)) (i64.const 100000)) (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin filling its vars past their bound is stopped",
            Expect::limit("memory"),
            none.clone(),
            // Keys of 1, 2, 3... zero bytes: each a new var of 60000 bytes.
            "(local $n i64)
             (loop $l
               (local.set $n (i64.add (local.get $n) (i64.const 1)))
               (call $var_set (call $alloc (local.get $n)) (call $alloc (i64.const 60000)))
               (br $l))
             (i32.const 0)",
        ),
        extism_case(
            "an Extism plugin's HTTP request outside its grants is denied",
            Expect::denied(),
            json!({"network": {"allowedUrlPrefixes": ["http://127.0.0.1:8080/"]}}),
            &format!("{REQUEST} (drop (call $http_request (local.get $req) (i64.const 0))) (i32.const 0)"),
        ),
    ]
}
