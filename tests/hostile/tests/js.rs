//! Hostile JavaScript plugins: each attack is a few lines of script with one action, `run`.

use std::net::TcpListener;
use std::time::Duration;

use interop_hostile::{invoke, load, trusting_host, Arena, Case, ErrorKind, Expect, Host, Outcome};
use serde_json::{json, Value};

/// The time limit of the cases that loop or wait.
const TIMEOUT_MS: u64 = 400;

/// How long a call past its time limit may take to end: five times the limit, room for a
/// loaded machine; every script bounded by it would otherwise run forever.
fn in_time() -> Duration {
    Duration::from_millis(TIMEOUT_MS * 5)
}

/// A manifest for `hostile.js` with one action `run`.
fn manifest(limits: Value, permissions: Value) -> Value {
    json!({
        "name": "hostile", "version": "1.0.0",
        "interop": {"protocol": "js", "scriptPath": "hostile.js"},
        "actions": [{"name": "run"}],
        "permissions": permissions,
        "limits": limits
    })
}

/// A case running `plugin.run()` of `script` under `limits`.
fn js(name: &str, expect: Expect, limits: Value, script: &str) -> Case {
    Case::invoke(
        "js",
        name,
        expect,
        manifest(limits, json!({})),
        &[("hostile.js", script)],
        "run",
        Value::Null,
    )
}

/// A case whose `run()` must be stopped at the time limit (see [`in_time`]).
fn js_looping(name: &str, script: &str) -> Case {
    js(
        name,
        Expect::limit("time").within(in_time()),
        json!({"timeoutMs": TIMEOUT_MS}),
        script,
    )
}

/// A case whose `run()` must be stopped at a 16 MiB memory limit.
fn js_hungry(name: &str, script: &str) -> Case {
    js(
        name,
        Expect::limit("memory"),
        json!({"memoryMb": 16}),
        script,
    )
}

/// A case granted what its manifest requests (`permissions`), in a trusting host.
fn js_granted(name: &str, expect: Expect, permissions: Value, script: &str) -> Case {
    Case::invoke(
        "js",
        name,
        expect,
        manifest(json!({"timeoutMs": TIMEOUT_MS}), permissions),
        &[("hostile.js", script)],
        "run",
        Value::Null,
    )
    .in_host(trusting_host)
}

/// The bytes of a wasm module, as a JS expression.
fn wasm_bytes(bytes: &[u8]) -> String {
    let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
    format!("new Uint8Array([{}])", list.join(","))
}

/// Writes `script`, loads it, and calls `run` twice: the second call sees what the first
/// one left.
fn run_twice(arena: &Arena, host: &Host, script: &str) -> Outcome {
    arena.write("hostile.js", script);
    let plugin = load(host, &arena.manifest(manifest(json!({}), json!({}))))?;
    invoke(host, &plugin, "run", Value::Null)?;
    invoke(host, &plugin, "run", Value::Null)
}

/// `run(url)` fetching from a local server that accepts connections and never answers.
fn silent_server_case() -> Case {
    Case::new(
        "js",
        "host.fetch of a server that never answers is cut at the time limit",
        Expect::limit("time").within(in_time()),
        |arena, host| {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| {
                interop_hostile::PluginError::internal(format!("a local listener: {e}"))
            })?;
            let url = format!("http://{}/", listener.local_addr().map_err(|e| {
                interop_hostile::PluginError::internal(e.to_string())
            })?);
            std::thread::spawn(move || {
                let held: Vec<_> = listener.incoming().flatten().collect();
                drop(held);
            });
            arena.write(
                "hostile.js",
                "const plugin = { run(url) { for (;;) { try { host.fetch(url) } catch (e) {} } } };",
            );
            let permissions = json!({"network": {"allowedUrlPrefixes": [url.clone()]}});
            let plugin = load(
                host,
                &arena.manifest(manifest(json!({"timeoutMs": TIMEOUT_MS}), permissions)),
            )?;
            arena.start_clock();
            invoke(host, &plugin, "run", json!(url))
        },
    )
    .in_host(trusting_host)
}

pub fn cases() -> Vec<Case> {
    vec![
        // Loops, wherever they hide.
        js_looping(
            "while (true) in a handler is stopped at the time limit",
            "const plugin = { run() { while (true) {} } };",
        ),
        Case::new(
            "js",
            "a loop in the top-level script is stopped at the time limit while loading",
            Expect::limit("time").within(in_time()),
            |arena, host| {
                arena.write("hostile.js", "for (;;) {}");
                load(host, &arena.manifest(manifest(json!({"timeoutMs": TIMEOUT_MS}), json!({}))))
                    .map(Value::String)
            },
        ),
        js_looping(
            "a loop in a promise job is stopped at the time limit",
            "const plugin = { async run() { await null; for (;;) {} } };",
        ),
        js_looping(
            "a loop in the result's toJSON is stopped at the time limit",
            "const plugin = { run() { return { toJSON() { for (;;) {} } } } };",
        ),
        js_looping(
            "a loop in a getter of the returned object is stopped at the time limit",
            "const plugin = { run() { return { get value() { for (;;) {} } } } };",
        ),
        js_looping(
            "a thrown object whose getters loop is stopped at the time limit",
            "const plugin = { run() { throw { get message() { for (;;) {} }, get name() { for (;;) {} } } } };",
        ),
        js_looping(
            "host.sleep in a loop is stopped at the time limit",
            "const plugin = { run() { for (;;) { try { host.sleep(100) } catch (e) {} } } };",
        ),
        silent_server_case(),
        js_looping(
            "Atomics.wait on a SharedArrayBuffer is stopped at the time limit",
            "const plugin = { run() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) } };",
        ),
        // Memory, on the heap and beside it.
        js_hungry(
            "an array growing without bound is stopped at the memory limit",
            "const plugin = { run() { const a = []; for (;;) a.push({ n: a.length }) } };",
        ),
        js_hungry(
            "a string doubling without bound is stopped at the memory limit",
            "const plugin = { run() { let s = 'x'; for (;;) { s = s + s; s.charCodeAt(s.length - 1) } } };",
        ),
        js_hungry(
            "one 32 MB array in a 16 MiB plugin is stopped at the memory limit",
            "const plugin = { run() { return new Array(4e6).fill(1.5).length } };",
        ),
        js_hungry(
            "ArrayBuffers allocated in a loop are stopped at the memory limit",
            "const plugin = { run() { const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20)) } };",
        ),
        js_hungry(
            "typed arrays allocated in a loop are stopped at the memory limit",
            "const plugin = { run() { const keep = []; for (;;) keep.push(new Float64Array(1 << 17)) } };",
        ),
        js_hungry(
            "a 256 MiB WebAssembly.Memory is refused at the memory limit",
            "const plugin = { run() { return new WebAssembly.Memory({ initial: 4096 }).buffer.byteLength } };",
        ),
        js_hungry(
            "growing a WebAssembly.Memory without bound is stopped at the memory limit",
            "const plugin = { run() { const m = new WebAssembly.Memory({ initial: 1 }); for (;;) m.grow(16) } };",
        ),
        js_hungry(
            "a wasm module declaring a 256 MiB memory is refused at the memory limit",
            // (module (memory 4096))
            &format!(
                "const plugin = {{ run() {{ new WebAssembly.Instance(new WebAssembly.Module({})) }} }};",
                wasm_bytes(&[0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 0, 128, 32])
            ),
        ),
        js_hungry(
            "a wasm module declaring a ten-million-entry table is stopped at the memory limit",
            // (module (table 10000000 funcref))
            &format!(
                "const plugin = {{ run() {{ new WebAssembly.Instance(new WebAssembly.Module({})) }} }};",
                wasm_bytes(&[0, 97, 115, 109, 1, 0, 0, 0, 4, 7, 1, 112, 0, 128, 173, 226, 4])
            ),
        ),
        // Stack and size.
        js(
            "deep recursion is an exec error, not a crash",
            Expect::error(ErrorKind::Exec).containing("call stack"),
            json!({}),
            "const plugin = { run() { const f = (n) => f(n + 1) + 1; return f(0) } };",
        ),
        js(
            "a result over maxMessageBytes is refused",
            Expect::limit("message_size"),
            json!({"maxMessageBytes": 1 << 20}),
            "const plugin = { run() { return 'x'.repeat(2 << 20) } };",
        ),
        js(
            "a 20 MiB thrown message reaches people cut, saying how much",
            Expect::error(ErrorKind::Exec).containing("more bytes)"),
            json!({"maxMessageBytes": 1 << 20}),
            "const plugin = { run() { throw new Error('x'.repeat(20 << 20)) } };",
        ),
        js(
            "host function arguments over maxMessageBytes never reach the host",
            Expect::limit("message_size"),
            json!({"maxMessageBytes": 1 << 20}),
            "const plugin = { run() { host.log('x'.repeat(2 << 20)) } };",
        ),
        // The sandbox's doors.
        js_granted(
            "host.fs escaping its root with .. is denied",
            Expect::denied(),
            json!({"fs": [{"path": ".", "read": true, "write": true}]}),
            "const plugin = { run() { return host.fs.readFile('../outside/secret.txt') } };",
        ),
        js_granted(
            "host.fs reading the secret by its absolute path is denied",
            Expect::denied(),
            json!({"fs": [{"path": ".", "read": true, "write": true}]}),
            "const plugin = { run() { return host.fs.readFile('{SECRET}') } };",
        ),
        js_granted(
            "host.fs writing outside its root is denied",
            Expect::denied(),
            json!({"fs": [{"path": ".", "read": true, "write": true}]}),
            "const plugin = { run() { host.fs.writeFile('{OUTSIDE}/planted.txt', 'x') } };",
        ),
        js(
            "an environment variable not granted is denied",
            Expect::denied(),
            json!({}),
            "const plugin = { run() { return host.env('HOME') } };",
        ),
        js(
            "require is absent: a clear ReferenceError",
            Expect::error(ErrorKind::Exec).containing("require is not defined"),
            json!({}),
            "const plugin = { run() { return require('fs').readFileSync('{SECRET}', 'utf8') } };",
        ),
        js(
            "process is absent: a clear ReferenceError",
            Expect::error(ErrorKind::Exec).containing("process is not defined"),
            json!({}),
            "const plugin = { run() { process.exit(1) } };",
        ),
        js(
            "import() of a module is refused",
            Expect::error(ErrorKind::Exec).containing("Not supported"),
            json!({}),
            "const plugin = { async run() { return (await import('fs')).readFileSync('{SECRET}') } };",
        ),
        // Tampering with what the host relies on.
        js(
            "Object.prototype.toJSON and a replaced JSON.stringify do not break reading results",
            Expect::harmless(),
            json!({}),
            "Object.prototype.toJSON = function () { return 'polluted' };
             JSON.stringify = () => { throw new Error('replaced') };
             JSON.parse = () => { throw new Error('replaced') };
             const plugin = { run() { return 'a result' } };",
        ),
        Case::new(
            "js",
            "replacing globalThis.plugin mid-call leaves the next call not_found",
            Expect::error(ErrorKind::NotFound),
            |arena, host| run_twice(arena, host, "var plugin = { run() { globalThis.plugin = 42; return 1 } };"),
        ),
        Case::new(
            "js",
            "replacing the host object mid-call gains nothing",
            Expect::harmless(),
            |arena, host| {
                run_twice(
                    arena,
                    host,
                    "const plugin = { run() { globalThis.host = { env: () => 'fake' }; console.log('still logging'); return host.env('HOME') } };",
                )
            },
        ),
        Case::new(
            "js",
            "a FIFO as scriptPath is refused at once instead of hanging the load",
            Expect::error(ErrorKind::InvalidInput).within(Duration::from_secs(2)),
            |arena, host| {
                let fifo = arena.plugin_dir.join("hostile.js");
                let path = std::ffi::CString::new(fifo.display().to_string())
                    .map_err(|e| interop_hostile::PluginError::internal(e.to_string()))?;
                // SAFETY: mkfifo with a valid NUL-terminated path.
                if unsafe { libc::mkfifo(path.as_ptr(), 0o600) } != 0 {
                    return Err(interop_hostile::PluginError::internal("mkfifo failed"));
                }
                load(host, &arena.manifest(manifest(json!({}), json!({})))).map(Value::String)
            },
        ),
    ]
}
