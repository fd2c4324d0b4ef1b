//! What a guest hands the host is sized before it is copied: arguments over the message
//! limit are refused without being read, and error messages and log lines are cut to a
//! bounded length, saying so.

use crate::common;

use common::{backend, load, wat_dir, Loaded};
use interop_protocol::{ActionInvoke, ErrorKind, Plugin, PluginError};
use serde_json::{json, Value};

/// 17 pages: the name `time.now` at 0, an iovec at 16, and 1 MiB of `x` from 64 KiB on.
const GUEST: &str = r#"(module
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_error" (func $error (param i32 i32)))
  (import "env" "ft_log" (func $log (param i32 i32 i32)))
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_get_env" (func $get_env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (data (i32.const 0) "time.now")
  (func (export "output_huge") (call $output (i32.const 0) (i32.const 0x7fffffff)))
  (func (export "error_huge") (call $error (i32.const 0) (i32.const 0x7fffffff)))
  (func (export "log_huge") (call $log (i32.const 2) (i32.const 0) (i32.const 0x7fffffff)))
  (func (export "args_huge")
    (drop (call $host_call (i32.const 0) (i32.const 8) (i32.const 0) (i32.const 0x7fffffff))))
  (func (export "name_huge")
    (drop (call $host_call (i32.const 0) (i32.const 0x7fffffff) (i32.const 0) (i32.const 0))))
  (func (export "env_huge") (drop (call $get_env (i32.const 0) (i32.const 0x7fffffff))))
  (func $fill (memory.fill (i32.const 65536) (i32.const 120) (i32.const 1048576)))
  (func (export "error_long") (call $fill) (call $error (i32.const 65536) (i32.const 1048576)))
  (func (export "log_long") (call $fill) (call $log (i32.const 2) (i32.const 65536) (i32.const 1048576)))
  (func (export "stdout_long")
    (call $fill)
    (i32.store (i32.const 16) (i32.const 65536))
    (i32.store (i32.const 20) (i32.const 1048576))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))"#;

const ACTIONS: &[&str] = &[
    "output_huge",
    "error_huge",
    "log_huge",
    "args_huge",
    "name_huge",
    "env_huge",
    "error_long",
    "log_long",
    "stdout_long",
];

fn guest() -> (Loaded, tempfile::TempDir) {
    let (backend, cache) = backend();
    (
        load(&backend, wat_dir(GUEST, ACTIONS, json!({}), json!({}))),
        cache,
    )
}

fn call(p: &Loaded, action: &str) -> Result<interop_protocol::ActionResult, PluginError> {
    p.plugin.invoke(&ActionInvoke::new(action, Value::Null))
}

#[test]
fn arguments_over_the_message_limit_are_refused_before_they_are_read() {
    // Each length runs far past the guest's memory: reading first would trap as out of
    // bounds; refusing first names the message limit.
    let (p, _cache) = guest();
    for (action, import) in [
        ("output_huge", "ft_output"),
        ("error_huge", "ft_error"),
        ("log_huge", "ft_log"),
        ("args_huge", "ft_host_call"),
        ("name_huge", "ft_host_call"),
        ("env_huge", "ft_get_env"),
    ] {
        let err = call(&p, action).unwrap_err();
        assert_eq!(err.kind, ErrorKind::LimitExceeded, "{action}: {err}");
        assert_eq!(err.limit_name(), Some("message_size"), "{action}: {err}");
        assert!(
            err.message.contains(import) && err.message.contains("16777216-byte message limit"),
            "{action}: {err}"
        );
    }
}

#[test]
fn a_long_error_message_is_cut_saying_so() {
    let (p, _cache) = guest();
    let err = call(&p, "error_long").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec, "{err}");
    assert!(err.message.starts_with("xxxx"), "{err}");
    assert!(err.message.len() < 8 * 1024, "{} bytes", err.message.len());
    assert!(
        err.message.ends_with("... (cut at 4096 of 1048576 bytes)"),
        "{}",
        &err.message[err.message.len() - 60..]
    );
}

#[test]
fn long_log_lines_from_ft_log_and_stdout_are_cut_saying_so() {
    let (p, _cache) = guest();
    call(&p, "log_long").unwrap();
    call(&p, "stdout_long").unwrap();
    let lines: Vec<String> = p
        .sink
        .logs()
        .into_iter()
        .map(|r| r.message)
        .filter(|m| m.starts_with('x'))
        .collect();
    assert_eq!(lines.len(), 2, "one line each, not one per chunk");
    for line in lines {
        assert!(line.len() < 80 * 1024, "{} bytes", line.len());
        assert!(
            line.ends_with("bytes)") && line.contains("... (cut at 65536 of"),
            "{}",
            &line[line.len() - 60..]
        );
    }
}
