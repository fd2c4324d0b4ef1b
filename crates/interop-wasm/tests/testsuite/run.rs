//! WASI command modules (`interop run`): `_start` runs with the given arguments and its
//! exit code comes back.

use crate::common;

use interop_protocol::ErrorKind;
use interop_sandbox::{HostServices, Policy};

/// Exits with the number of arguments it was given (args_sizes_get) plus 40.
const COMMAND: &str = r#"
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (call $proc_exit (i32.add (i32.const 40) (i32.load (i32.const 0))))))
"#;

#[test]
fn a_command_gets_its_arguments_and_its_exit_code_comes_back() {
    let (backend, _cache) = common::backend();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmd.wat");
    std::fs::write(&path, COMMAND).unwrap();
    let services = HostServices::new(Policy::new("cmd", dir.path()));
    let args: Vec<String> = ["cmd.wat", "a", "b"].map(String::from).to_vec();
    assert_eq!(backend.run_command(&path, &args, services).unwrap(), 43);
}

#[test]
fn a_reactor_module_is_not_a_command() {
    let (backend, _cache) = common::backend();
    let path = common::repo().join("examples/plugins/wat-add/add.wat");
    let services = HostServices::new(Policy::new("add", "."));
    let err = backend.run_command(&path, &[], services).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("no `_start`"), "{err}");
}
