//! Hostile wasm guests, written as WebAssembly text so that each attack reads in a few
//! lines.

use std::time::Duration;

use interop_hostile::{invoke, load, trusting_host, Arena, Case, ErrorKind, Expect};
use serde_json::{json, Value};

/// The time limit of the cases that must be stopped in time.
const TIMEOUT_MS: u64 = 1000;
/// How soon a call past its limit must end: room for a loaded machine; each guest bounded
/// by it would otherwise run forever or sleep 30 s.
const BOUND: Duration = Duration::from_millis(TIMEOUT_MS * 4);

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

/// A guest that must be stopped at its time limit (see [`BOUND`]).
fn timed_case(name: &str, wat: &'static str) -> Case {
    wat_case(
        name,
        Expect::limit("time").within(BOUND),
        json!({"timeoutMs": TIMEOUT_MS}),
        wat,
    )
}

/// A guest whose module file is made by `make` (in the plugin directory, as
/// `hostile.wasm`); loading it must fail as `expect` says.
fn module_file_case(name: &str, expect: Expect, make: fn(&std::path::Path)) -> Case {
    Case::new("wasm", name, expect, move |arena, host| {
        make(&arena.plugin_dir.join("hostile.wasm"));
        let mut manifest = manifest(json!({}));
        manifest["interop"]["wasmPath"] = json!("hostile.wasm");
        load(host, &arena.manifest(manifest)).map(Value::String)
    })
}

/// A guest with the `data` directory (holding `readme.txt`) as `permissions` request
/// it, in a host that grants what is requested. `input` (with `{OUTSIDE}` and `{SECRET}`
/// substituted) is the call's input; `setup` prepares the arena.
fn granted_case(
    name: &str,
    expect: Expect,
    permissions: Value,
    wat: String,
    input: &'static str,
    setup: fn(&Arena),
) -> Case {
    Case::new("wasm", name, expect, move |arena, host| {
        arena.write("hostile.wat", &wat);
        arena.write("data/readme.txt", "a granted file");
        setup(arena);
        let mut manifest = manifest(json!({"timeoutMs": TIMEOUT_MS}));
        manifest["permissions"] = permissions.clone();
        let plugin = load(host, &arena.manifest(manifest))?;
        let input: Value = serde_json::from_str(&arena.substitute(input)).expect("JSON input");
        arena.start_clock();
        invoke(host, &plugin, "run", input)
    })
    .in_host(trusting_host)
}

fn nothing(_: &Arena) {}

/// Calls the host function `function` with the call's input as its arguments and outputs
/// the result, or fails the call with the host's error.
fn host_call_guest(function: &str) -> String {
    format!(
        r#"(module
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_host_call" (func $call (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "{function}")
  (data (i32.const 32) "{{\"success\":false,\"error\":")
  (func (export "run")
    (local $n i32)
    (local.set $n (call $read (i32.const 1024) (call $input)))
    (local.set $n (call $call (i32.const 0) (i32.const {len}) (i32.const 1024) (local.get $n)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (memory.copy (i32.const 65536) (i32.const 32) (i32.const 25))
        (local.set $n (call $read (i32.const 65561) (i32.const 60000)))
        (i32.store8 (i32.add (i32.const 65561) (local.get $n)) (i32.const 125))
        (call $output (i32.const 65536) (i32.add (local.get $n) (i32.const 26))))
      (else
        (call $output (i32.const 65536) (call $read (i32.const 65536) (local.get $n)))))))"#,
        len = function.len()
    )
}

fn fs_case(
    name: &str,
    expect: Expect,
    function: &str,
    input: &'static str,
    setup: fn(&Arena),
) -> Case {
    granted_case(
        name,
        expect,
        json!({"fs": [{"path": "data", "write": true}]}),
        host_call_guest(function),
        input,
        setup,
    )
}

fn fetch_case(name: &str, url: &'static str) -> Case {
    granted_case(
        name,
        Expect::denied(),
        json!({"network": {"allowedUrlPrefixes": ["https://api.example.com/v1/"]}}),
        host_call_guest("net.fetch"),
        url,
        nothing,
    )
}

/// Opens the path of the call's input (a JSON string) in the preopened `data` (fd 3)
/// through WASI, first making `data/link` a symlink to it when `symlink` is 1; fails with
/// `path_open refused` when WASI refuses, else outputs what it read.
fn wasi_open_guest(symlink: bool) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_error" (func $error (param i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "path_open refused")
  (data (i32.const 32) "link")
  (func (export "run")
    (local $n i32) (local $path i32) (local $len i32)
    ;; The input is a JSON string: the path is between its quotes.
    (local.set $n (call $read (i32.const 1024) (call $input)))
    (local.set $path (i32.const 1025))
    (local.set $len (i32.sub (local.get $n) (i32.const 2)))
    (if (i32.const {symlink})
      (then
        (drop (call $symlink (local.get $path) (local.get $len) (i32.const 3) (i32.const 32) (i32.const 4)))
        (local.set $path (i32.const 32))
        (local.set $len (i32.const 4))))
    (if (call $open (i32.const 3) (i32.const 1) (local.get $path) (local.get $len)
          (i32.const 0) (i64.const 2) (i64.const 2) (i32.const 0) (i32.const 16))
      (then (call $error (i32.const 0) (i32.const 17)) (return)))
    ;; Opened: read it and output it as a JSON string.
    (i32.store (i32.const 64) (i32.const 4097))
    (i32.store (i32.const 68) (i32.const 4000))
    (drop (call $fd_read (i32.load (i32.const 16)) (i32.const 64) (i32.const 1) (i32.const 72)))
    (i32.store8 (i32.const 4096) (i32.const 34))
    (i32.store8 (i32.add (i32.const 4097) (i32.load (i32.const 72))) (i32.const 34))
    (call $output (i32.const 4096) (i32.add (i32.load (i32.const 72)) (i32.const 2)))))"#,
        symlink = u8::from(symlink)
    )
}

fn wasi_case(name: &str, symlink: bool, input: &'static str) -> Case {
    granted_case(
        name,
        Expect::error(ErrorKind::Exec).containing("path_open refused"),
        json!({"fs": [{"path": "data", "write": true}]}),
        wasi_open_guest(symlink),
        input,
        nothing,
    )
}

/// A WASI clock subscription of 30 s (relative, monotonic: what Rust's
/// `std::thread::sleep` asks for) polled by `run`, or by `_initialize` when loading.
const POLL_30S: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $sleep
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 30000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))
  (func (export "run") (call $sleep)))"#;

const POLL_30S_IN_INITIALIZE: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_initialize")
    (i32.store (i32.const 16) (i32.const 0))
    (i64.store (i32.const 24) (i64.const 30000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))
  (func (export "run")))"#;

fn loops() -> Vec<Case> {
    vec![
        timed_case(
            "an infinite loop is stopped at its time limit",
            r#"(module (func (export "run") (loop $l (br $l))))"#,
        ),
        timed_case(
            "a loop in _initialize fails the load at the time limit",
            r#"(module (func (export "_initialize") (loop $l (br $l))) (func (export "run")))"#,
        ),
        timed_case(
            "a loop in the start function fails the load at the time limit",
            r#"(module (func $start (loop $l (br $l))) (start $start) (func (export "run")))"#,
        ),
        Case::new(
            "wasm",
            "a loop in a hook handler is stopped at its time limit",
            Expect::limit("time").within(BOUND),
            |arena, host| {
                arena.write(
                    "hostile.wat",
                    r#"(module (func (export "on_reload") (loop $l (br $l))))"#,
                );
                let mut manifest = manifest(json!({"timeoutMs": TIMEOUT_MS}));
                manifest["actions"] = json!([]);
                manifest["hooks"] = json!([{"event": "config.reload", "handler": "on_reload"}]);
                let plugin = load(host, &arena.manifest(manifest))?;
                arena.start_clock();
                let mut outcomes = host.emit("config.reload", Value::Null);
                outcomes.remove(&plugin).expect("the plugin's outcome")
            },
        ),
        wat_case(
            "deep recursion overflows the guest's stack, not the host's",
            Expect::error(ErrorKind::Exec).containing("stack"),
            json!({}),
            r#"(module (func $f (call $f)) (func (export "run") (call $f)))"#,
        ),
        wat_case(
            "an infinite loop under a fuel limit runs out of fuel",
            Expect::limit("fuel").within(BOUND),
            json!({"fuel": 100000}),
            r#"(module (func (export "run") (loop $l (br $l))))"#,
        ),
    ]
}

fn memory_bombs() -> Vec<Case> {
    vec![
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
            "forty memories cannot add up past the memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            concat!(
                "(module (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                " (memory 16) (memory 16) (memory 16) (memory 16) (memory 16)",
                r#" (func (export "run")))"#
            ),
        ),
        wat_case(
            "growing several memories in turn is held to one memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            r#"(module (memory 1) (memory $b 1) (memory $c 1)
                 (func (export "run")
                   (loop $l
                     (br_if $l (i32.and
                       (i32.and (i32.ne (memory.grow 0 (i32.const 16)) (i32.const -1))
                                (i32.ne (memory.grow $b (i32.const 16)) (i32.const -1)))
                       (i32.ne (memory.grow $c (i32.const 16)) (i32.const -1)))))
                   unreachable))"#,
        ),
        wat_case(
            "a huge initial memory fails the load as a memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            r#"(module (memory 65536) (func (export "run")))"#,
        ),
        wat_case(
            "a huge initial table fails the load as a memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            r#"(module (table 100000000 funcref) (func (export "run")))"#,
        ),
        wat_case(
            "growing a table in a loop is stopped by the memory limit",
            Expect::limit("memory"),
            json!({"memoryMb": 16}),
            r#"(module (table $t 0 funcref)
                 (func (export "run")
                   (loop $l
                     (br_if $l (i32.ne (table.grow $t (ref.null func) (i32.const 65536)) (i32.const -1))))
                   unreachable))"#,
        ),
    ]
}

fn floods() -> Vec<Case> {
    vec![
        wat_case(
            "an ft_output of 2 GiB is refused before it is read",
            Expect::limit("message_size"),
            json!({}),
            r#"(module (import "env" "ft_output" (func $output (param i32 i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (call $output (i32.const 0) (i32.const 0x7fffffff))))"#,
        ),
        wat_case(
            "an ft_output over the manifest's message limit is refused",
            Expect::limit("message_size"),
            json!({"maxMessageBytes": 1024}),
            r#"(module (import "env" "ft_output" (func $output (param i32 i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (call $output (i32.const 0) (i32.const 4096))))"#,
        ),
        wat_case(
            "an ft_log line of 2 GiB is refused before it is read",
            Expect::limit("message_size"),
            json!({}),
            r#"(module (import "env" "ft_log" (func $log (param i32 i32 i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (call $log (i32.const 2) (i32.const 0) (i32.const 0x7fffffff))))"#,
        ),
        timed_case(
            "a flood of ft_log lines is stopped at the time limit",
            r#"(module (import "env" "ft_log" (func $log (param i32 i32 i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (loop $l (call $log (i32.const 2) (i32.const 0) (i32.const 1000)) (br $l))))"#,
        ),
        timed_case(
            "a flood of stdout through WASI fd_write is stopped at the time limit",
            r#"(module
                 (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
                 (memory (export "memory") 1)
                 (func (export "run")
                   (i32.store (i32.const 0) (i32.const 64))
                   (i32.store (i32.const 4) (i32.const 4096))
                   (loop $l (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (br $l))))"#,
        ),
        wat_case(
            "a megabyte error message reaches the host cut short",
            Expect::error(ErrorKind::Exec).containing("(cut at 4096 of 1048576 bytes)"),
            json!({}),
            r#"(module (import "env" "ft_error" (func $error (param i32 i32)))
                 (memory (export "memory") 17)
                 (func (export "run")
                   (memory.fill (i32.const 0) (i32.const 120) (i32.const 1048576))
                   (call $error (i32.const 0) (i32.const 1048576))))"#,
        ),
    ]
}

fn sleeps() -> Vec<Case> {
    vec![
        timed_case(
            "a 30 s sleep in WASI poll_oneoff is stopped at the time limit",
            POLL_30S,
        ),
        timed_case(
            "a 30 s sleep in WASI poll_oneoff during _initialize fails the load at the time limit",
            POLL_30S_IN_INITIALIZE,
        ),
        timed_case(
            "a loop of ft_sleep_ms naps is stopped at the time limit",
            r#"(module (import "env" "ft_sleep_ms" (func $sleep (param i64) (result i32)))
                 (func (export "run") (loop $l (drop (call $sleep (i64.const 400))) (br $l))))"#,
        ),
        granted_case(
            "a 30 s time.sleep through ft_host_call is stopped at the time limit",
            Expect::limit("time").within(BOUND),
            json!({}),
            host_call_guest("time.sleep"),
            r#"{"ms": 30000}"#,
            nothing,
        ),
    ]
}

fn escapes() -> Vec<Case> {
    vec![
        fs_case(
            "fs.readFile of a path climbing out with .. is denied",
            Expect::denied(),
            "fs.readFile",
            r#"{"path": "data/../../outside/secret.txt"}"#,
            nothing,
        ),
        fs_case(
            "fs.readFile of an absolute path outside the grant is denied",
            Expect::denied(),
            "fs.readFile",
            r#"{"path": "{SECRET}"}"#,
            nothing,
        ),
        fs_case(
            "fs.readFile through a symlink in the granted root pointing outside is denied",
            Expect::denied(),
            "fs.readFile",
            r#"{"path": "data/link"}"#,
            |arena| {
                std::os::unix::fs::symlink(arena.secret(), arena.plugin_dir.join("data/link"))
                    .expect("symlink")
            },
        ),
        fs_case(
            "fs.readFile of a path with a NUL byte is refused",
            Expect::any_error(&[ErrorKind::Denied, ErrorKind::InvalidInput]),
            "fs.readFile",
            r#"{"path": "data/readme.txt\u0000/../../../outside/secret.txt"}"#,
            nothing,
        ),
        fs_case(
            "fs.writeFile climbing out of a writable grant is denied",
            Expect::denied(),
            "fs.writeFile",
            r#"{"path": "data/../../outside/planted.txt", "content": "pwned"}"#,
            nothing,
        ),
        wasi_case(
            "WASI path_open climbing out of the preopen with .. is refused",
            false,
            r#""../../outside/secret.txt""#,
        ),
        wasi_case(
            "WASI path_open of an absolute path is refused",
            false,
            r#""{SECRET}""#,
        ),
        wasi_case(
            "a WASI symlink to a file outside cannot be opened",
            true,
            r#""{SECRET}""#,
        ),
        fetch_case(
            "net.fetch to a look-alike host is denied",
            r#"{"url": "https://api.example.com.evil.test/v1/x"}"#,
        ),
        fetch_case(
            "net.fetch with the granted host as userinfo is denied",
            r#"{"url": "https://api.example.com@evil.test/v1/x"}"#,
        ),
        fetch_case(
            "net.fetch with an encoded slash climbing out of the prefix is denied",
            r#"{"url": "https://api.example.com/v1/..%2F..%2Fadmin"}"#,
        ),
    ]
}

fn bad_modules() -> Vec<Case> {
    vec![
        wat_case(
            "a trap is an exec error",
            Expect::error(ErrorKind::Exec),
            json!({}),
            r#"(module (func (export "run") unreachable))"#,
        ),
        wat_case(
            "proc_exit ends the call as an exec error, not the host",
            Expect::error(ErrorKind::Exec).containing("proc_exit"),
            json!({}),
            r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (call $exit (i32.const 0))))"#,
        ),
        wat_case(
            "a pointer past the guest's memory given to an import traps",
            Expect::error(ErrorKind::Exec).containing("outside the guest's memory"),
            json!({}),
            r#"(module (import "env" "ft_output" (func $output (param i32 i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (call $output (i32.const 0xfffffff0) (i32.const 16))))"#,
        ),
        wat_case(
            "ft_return_buffer_read past the guest's memory traps",
            Expect::error(ErrorKind::Exec).containing("outside the guest's memory"),
            json!({}),
            r#"(module
                 (import "env" "ft_input" (func $input (result i32)))
                 (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
                 (memory (export "memory") 1)
                 (func (export "run") (drop (call $read (i32.const 0xffffff00) (call $input)))))"#,
        ),
        wat_case(
            "a module importing an unknown host function fails to load, naming it",
            Expect::error(ErrorKind::InvalidInput).containing("ft_steal_keys"),
            json!({}),
            r#"(module (import "env" "ft_steal_keys" (func)) (func (export "run")))"#,
        ),
        wat_case(
            "a shared memory (threads) is refused at load",
            Expect::any_error(&[ErrorKind::Parse, ErrorKind::InvalidInput]),
            json!({}),
            r#"(module (memory 1 1 shared) (func (export "run")))"#,
        ),
        module_file_case(
            "invalid module bytes fail to load as a parse error",
            Expect::error(ErrorKind::Parse).containing("hostile.wasm"),
            |path| std::fs::write(path, b"\0asm\x01\0\0\0\xff\xff\xff\xff").expect("module"),
        ),
        module_file_case(
            "a FIFO as wasmPath is refused at once",
            Expect::error(ErrorKind::InvalidInput)
                .containing("FIFO")
                .within(Duration::from_secs(2)),
            |path| {
                let c = std::ffi::CString::new(path.to_str().expect("UTF-8 path")).expect("path");
                // SAFETY: mkfifo with a valid NUL-terminated path.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
            },
        ),
        module_file_case(
            "a 4 GiB wasmPath is refused before it is read",
            Expect::error(ErrorKind::InvalidInput)
                .containing("4294967296 bytes")
                .within(Duration::from_secs(2)),
            |path| {
                let file = std::fs::File::create(path).expect("module");
                file.set_len(4 << 30).expect("a sparse file");
            },
        ),
    ]
}

pub fn cases() -> Vec<Case> {
    [
        loops(),
        memory_bombs(),
        floods(),
        sleeps(),
        escapes(),
        bad_modules(),
    ]
    .into_iter()
    .flatten()
    .collect()
}
