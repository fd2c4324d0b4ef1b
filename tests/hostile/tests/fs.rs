//! Filesystem attacks through the host calls of a real plugin: a WebAssembly guest whose
//! actions pass their input, as it is, to `fs.readFile`, `fs.writeFile`, `fs.readdir`,
//! `fs.mkdir` or `fs.rm` (`ft_host_call`), granted `data/` for reading and writing.
//! The harness checks that the secret in `outside/` is never returned and that nothing
//! in `outside/` changes, whatever each case expects.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop_hostile::{invoke, load, trusting_host, Arena, Case, ErrorKind, Expect, Host, Outcome};
use serde_json::{json, Value};

/// Each export calls the host function of its name with the action's input as the
/// arguments, and outputs the result, or `{"success": false, "error": <the error>}`.
const FS_PROXY: &str = r#"(module
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 4)
  (data (i32.const 0) "fs.readFile")
  (data (i32.const 16) "fs.writeFile")
  (data (i32.const 32) "fs.readdir")
  (data (i32.const 48) "fs.mkdir")
  (data (i32.const 64) "fs.rm")
  (data (i32.const 1024) "{\"success\":false,\"error\":")
  ;; Input at 4096 (up to 60 KiB), result at 65536 (up to 128 KiB).
  (func $call (param $name i32) (param $name_len i32)
    (local $n i32)
    (local.set $n (call $read (i32.const 4096) (call $input)))
    (local.set $n (call $host_call (local.get $name) (local.get $name_len)
                                   (i32.const 4096) (local.get $n)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (local.set $n (call $read (i32.const 65536) (i32.const 131072)))
        (call $output (i32.const 65536) (local.get $n))
        (return)))
    ;; The error JSON goes right after the 25-byte prefix at 1024, then a closing brace.
    (local.set $n (call $read (i32.const 1049) (i32.const 3000)))
    (i32.store8 (i32.add (i32.const 1049) (local.get $n)) (i32.const 125))
    (call $output (i32.const 1024) (i32.add (local.get $n) (i32.const 26))))
  (func (export "readFile") (call $call (i32.const 0) (i32.const 11)))
  (func (export "writeFile") (call $call (i32.const 16) (i32.const 12)))
  (func (export "readdir") (call $call (i32.const 32) (i32.const 10)))
  (func (export "mkdir") (call $call (i32.const 48) (i32.const 8)))
  (func (export "rm") (call $call (i32.const 64) (i32.const 5))))"#;

/// Writes the proxy plugin (granted `data/`, read and write) and loads it.
fn load_proxy(arena: &Arena, host: &Host) -> Result<String, interop_hostile::PluginError> {
    arena.write("fs.wat", FS_PROXY);
    arena.write("data/note.txt", "inside");
    let actions: Vec<Value> = ["readFile", "writeFile", "readdir", "mkdir", "rm"]
        .iter()
        .map(|a| json!({ "name": a }))
        .collect();
    load(
        host,
        &arena.manifest(json!({
            "name": "fs-attacker", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "fs.wat"},
            "actions": actions,
            "permissions": {"fs": [{"path": "data", "read": true, "write": true}]}
        })),
    )
}

fn symlink(target: impl AsRef<Path>, arena: &Arena, at: &str) {
    std::os::unix::fs::symlink(target, arena.plugin_dir.join(at)).expect("symlink");
}

/// A case that prepares the arena with `setup`, then has the proxy call `action` with
/// `args` (`{OUTSIDE}` and `{SECRET}` substituted).
fn attack(
    name: &str,
    expect: Expect,
    setup: fn(&Arena),
    action: &'static str,
    args: Value,
) -> Case {
    Case::new("fs", name, expect, move |arena, host| {
        let plugin = load_proxy(arena, host)?;
        setup(arena);
        let args: Value = serde_json::from_str(&arena.substitute(&args.to_string()))
            .map_err(|e| interop_hostile::PluginError::internal(e.to_string()))?;
        invoke(host, &plugin, action, args)
    })
    .in_host(trusting_host)
}

fn nothing(_: &Arena) {}

/// Exchanges two paths atomically (`renameat2` with `RENAME_EXCHANGE`).
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).expect("no NUL");
    let (a, b) = (c(a), c(b));
    // SAFETY: renameat2 with two valid NUL-terminated paths relative to the working
    // directory, and a flag the kernel checks.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Swaps `data/swap` (a directory) and `data/other` (a symlink to `outside/`) for 2 s
/// while the proxy reads, writes and lists through `data/swap`; succeeds with counts when
/// the race ran and nothing leaked (a leak would be in the returned text).
fn swapped_during_calls(arena: &Arena, host: &Host) -> Outcome {
    let plugin = load_proxy(arena, host)?;
    let (swap, other) = (
        arena.plugin_dir.join("data/swap"),
        arena.plugin_dir.join("data/other"),
    );
    arena.write("data/swap/secret.txt", "inside");
    symlink(&arena.outside, arena, "data/other");
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if exchange(&swap, &other).is_err() {
                    return;
                }
            }
        })
    };
    let (mut calls, mut denied, mut seen) = (0, 0, Vec::new());
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        for (action, args) in [
            ("readFile", json!({"path": "data/swap/secret.txt"})),
            (
                "writeFile",
                json!({"path": "data/swap/secret.txt", "content": "overwritten"}),
            ),
            ("readdir", json!({"path": "data/swap"})),
            ("mkdir", json!({"path": "data/swap/made/deeper"})),
            ("rm", json!({"path": "data/swap/made"})),
        ] {
            calls += 1;
            match invoke(host, &plugin, action, args) {
                Ok(value) => seen.push(value),
                Err(e) if e.kind == ErrorKind::Denied => denied += 1,
                Err(e) => seen.push(json!(e.to_string())),
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = swapper.join();
    if denied == 0 || denied == calls {
        return Err(interop_hostile::PluginError::internal(format!(
            "the race did not run: {denied} of {calls} calls denied"
        )));
    }
    Ok(json!({"calls": calls, "denied": denied, "seen": seen}))
}

pub fn cases() -> Vec<Case> {
    vec![
        attack(
            "reading through `..` is denied",
            Expect::denied().containing("`..` is not allowed"),
            nothing,
            "readFile",
            json!({"path": "data/../../outside/secret.txt"}),
        ),
        attack(
            "reading the secret by its absolute path is denied",
            Expect::denied().containing("outside the directories granted for read"),
            nothing,
            "readFile",
            json!({"path": "{SECRET}"}),
        ),
        attack(
            "reading a symlink to a file outside the root is denied",
            Expect::denied().containing("resolves through a symlink outside its granted root"),
            |arena| symlink(arena.secret(), arena, "data/key"),
            "readFile",
            json!({"path": "data/key"}),
        ),
        attack(
            "reading through a symlink to a directory outside the root is denied",
            Expect::denied(),
            |arena| symlink(&arena.outside, arena, "data/out"),
            "readFile",
            json!({"path": "data/out/secret.txt"}),
        ),
        attack(
            "listing through a relative symlink that climbs out of the root is denied",
            Expect::denied(),
            |arena| symlink("../../outside", arena, "data/up"),
            "readdir",
            json!({"path": "data/up"}),
        ),
        attack(
            "writing into a directory outside the root through a symlink is denied",
            Expect::denied(),
            |arena| symlink(&arena.outside, arena, "data/out"),
            "writeFile",
            json!({"path": "data/out/planted.txt", "content": "x"}),
        ),
        attack(
            "creating directories outside the root through a symlink is denied",
            Expect::denied(),
            |arena| symlink(&arena.outside, arena, "data/out"),
            "mkdir",
            json!({"path": "data/out/made/deeper"}),
        ),
        attack(
            "removing a file outside the root through a symlink is denied",
            Expect::denied(),
            |arena| symlink(&arena.outside, arena, "data/out"),
            "rm",
            json!({"path": "data/out/secret.txt"}),
        ),
        attack(
            "writing through a dangling symlink to outside the root is denied",
            Expect::denied(),
            |arena| symlink(arena.outside.join("created.txt"), arena, "data/dangling"),
            "writeFile",
            json!({"path": "data/dangling", "content": "x"}),
        ),
        attack(
            "reading a hard link to the secret is denied (the link count gives it away)",
            Expect::denied().containing("hard links"),
            |arena| {
                std::fs::hard_link(arena.secret(), arena.plugin_dir.join("data/hard"))
                    .expect("hard link")
            },
            "readFile",
            json!({"path": "data/hard"}),
        ),
        attack(
            "writing a hard link to the secret is denied before anything is truncated",
            Expect::denied().containing("hard links"),
            |arena| {
                std::fs::hard_link(arena.secret(), arena.plugin_dir.join("data/hard"))
                    .expect("hard link")
            },
            "writeFile",
            json!({"path": "data/hard", "content": "overwritten"}),
        ),
        attack(
            "reading a FIFO in the root fails at once instead of blocking",
            Expect::error(ErrorKind::Fs)
                .containing("a FIFO (named pipe) is not a regular file")
                .within(Duration::from_secs(2)),
            |arena| {
                arena.fifo("data/pipe");
            },
            "readFile",
            json!({"path": "data/pipe"}),
        ),
        attack(
            "removing the granted root is denied",
            Expect::denied().containing("a granted root cannot be removed"),
            nothing,
            "rm",
            json!({"path": "data/"}),
        ),
        attack(
            "removing the plugin directory above the root is denied",
            Expect::denied(),
            nothing,
            "rm",
            json!({"path": "."}),
        ),
        Case::new(
            "fs",
            "a directory swapped for a symlink while calls run never leads outside the root",
            Expect::harmless(),
            swapped_during_calls,
        )
        .in_host(trusting_host),
    ]
}
