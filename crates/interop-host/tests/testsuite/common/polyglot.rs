//! The same small plugin written for every backend, built from source in a test's
//! directory: a wasm module (WebAssembly text), a JavaScript script, a native library (C,
//! compiled with `cc`) and a process (Python over stdio). Each has two actions:
//! - `config`: the value of its config key `name`, read the backend's own way (wasm
//!   `ft_config_get`, the JS `config` global, the native `config.get` host call, the
//!   process's `initialize` params), `null` when the config has none;
//! - `call`: calls the application's host function `app.greet` with `{"name": <its
//!   backend>}` and answers its reply, or fails with the host's error.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// The backends the plugin is written for.
pub const BACKENDS: [&str; 4] = ["wasm", "js", "native", "process"];

/// Writes (and for `native`, compiles) the plugin for `backend` into `dir/<name>`, with
/// `extra` merged into its manifest; returns the manifest's path.
pub fn write(dir: &Path, backend: &str, name: &str, extra: Value) -> PathBuf {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let interop = match backend {
        "wasm" => {
            std::fs::write(dir.join("plugin.wat"), WAT).unwrap();
            json!({"protocol": "wasm", "wasmPath": "plugin.wat"})
        }
        "js" => {
            std::fs::write(dir.join("plugin.js"), JS).unwrap();
            json!({"protocol": "js", "scriptPath": "plugin.js"})
        }
        "native" => {
            compile_native(&dir, name);
            json!({"protocol": "ffi", "libraryPath": "libplugin.so"})
        }
        "process" => {
            std::fs::write(dir.join("plugin.py"), PYTHON).unwrap();
            json!({"protocol": "subprocess", "command": "python3", "args": ["plugin.py"]})
        }
        other => panic!("no plugin for backend `{other}`"),
    };
    let mut manifest = json!({
        "name": name, "version": "1.0.0",
        "interop": interop,
        "actions": [{"name": "config"}, {"name": "call"}],
    });
    if let (Value::Object(m), Value::Object(extra)) = (&mut manifest, extra) {
        m.extend(extra);
    }
    let path = dir.join("plugin.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}

fn compile_native(dir: &Path, name: &str) {
    let source = NATIVE.replace("PLUGIN_NAME", name);
    std::fs::write(dir.join("plugin.c"), source).unwrap();
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/include");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-std=c11", "-Wall", "-Werror", "-I"])
        .arg(include)
        .arg("-o")
        .arg(dir.join("libplugin.so"))
        .arg(dir.join("plugin.c"))
        .status()
        .expect("cannot run cc: run cargo xtask setup");
    assert!(status.success(), "compiling the native plugin failed");
}

/// Offsets: 0 `name`, 16 `app.greet`, 32 its arguments, 64 a failed result's prefix
/// (`{"success":false,"error":`, 25 bytes) followed by the host's error, 1024 replies.
const WAT: &str = r#"(module
  (import "env" "ft_config_get" (func $config_get (param i32 i32) (result i32)))
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_return_buffer_read" (func $read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "name")
  (data (i32.const 16) "app.greet")
  (data (i32.const 32) "{\22name\22:\22wasm\22}")
  (data (i32.const 64) "{\22success\22:false,\22error\22:")
  (data (i32.const 512) "null")
  (func (export "config") (local $n i32)
    (local.set $n (call $config_get (i32.const 0) (i32.const 4)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (call $output (i32.const 512) (i32.const 4)))
      (else
        (drop (call $read (i32.const 1024) (local.get $n)))
        (call $output (i32.const 1024) (local.get $n)))))
  (func (export "call") (local $n i32)
    (local.set $n (call $host_call (i32.const 16) (i32.const 9) (i32.const 32) (i32.const 15)))
    (if (i32.ge_s (local.get $n) (i32.const 0))
      (then
        (drop (call $read (i32.const 1024) (local.get $n)))
        (call $output (i32.const 1024) (local.get $n)))
      (else
        ;; The error JSON is in the return buffer: answer {"success":false,"error":<it>}.
        (local.set $n (call $read (i32.const 89) (i32.const 60000)))
        (i32.store8 (i32.add (i32.const 89) (local.get $n)) (i32.const 125))
        (call $output (i32.const 64) (i32.add (local.get $n) (i32.const 26)))))))"#;

const JS: &str = r#"const plugin = {
  config() {
    const global = config.name === undefined ? null : config.name;
    const called = host.config("name");
    if (JSON.stringify(global) !== JSON.stringify(called)) {
      throw new Error(`config.name ${JSON.stringify(global)} != host.config ${JSON.stringify(called)}`);
    }
    return global;
  },
  call() {
    return host.call("app.greet", { name: "js" });
  },
};
"#;

const NATIVE: &str = r#"
#include <stdlib.h>
#include <string.h>
#include "interop_plugin.h"

static const interop_host_api_t *host;

static int32_t init(const interop_host_api_t *h, void **state) {
    (void)state;
    host = h;
    return INTEROP_OK;
}

/* Answers the host's buffer as the plugin's own (the host frees it with `release`). */
static int32_t answer(int32_t status, uint8_t *reply, size_t len, uint8_t **out, size_t *out_len) {
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return INTEROP_ERROR;
    memcpy(copy, reply, len);
    host->free(host->ctx, reply, len);
    *out = copy;
    *out_len = len;
    return status;
}

static int32_t invoke(void *state, const uint8_t *handler, size_t handler_len,
                      const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len) {
    (void)state; (void)input; (void)input_len;
    uint8_t *reply = NULL;
    size_t len = 0;
    int32_t status;
    if (handler_len == 6 && memcmp(handler, "config", 6) == 0) {
        status = interop_config_get(host, "name", &reply, &len);
    } else if (handler_len == 4 && memcmp(handler, "call", 4) == 0) {
        static const char args[] = "{\"name\":\"native\"}";
        status = host->call(host->ctx, (const uint8_t *)"app.greet", 9,
                            (const uint8_t *)args, sizeof args - 1, &reply, &len);
    } else {
        return INTEROP_NOT_FOUND;
    }
    return answer(status == INTEROP_OK ? INTEROP_OK : INTEROP_ERROR, reply, len, out, out_len);
}

static void release(void *state, uint8_t *ptr, size_t len) { (void)state; (void)len; free(ptr); }

static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t),
    .name = "PLUGIN_NAME", .init = init, .invoke = invoke, .free = release,
};
const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
"#;

const PYTHON: &str = r#"import json
import sys

config = {}
name = None


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def host_call(function, args):
    send({"jsonrpc": "2.0", "id": "host", "method": "host.call",
          "params": {"function": function, "args": args}})
    while True:
        reply = json.loads(sys.stdin.readline())
        if reply.get("id") == "host" and "method" not in reply:
            return reply


for line in sys.stdin:
    request = json.loads(line)
    method, params = request.get("method"), request.get("params") or {}
    answer = {"jsonrpc": "2.0", "id": request.get("id")}
    if method == "initialize":
        config, name = params.get("config", {}), params["plugin"]
        answer["result"] = {"name": name, "protocolVersion": "1.0"}
    elif method == "action.invoke" and params["handler"] == "config":
        answer["result"] = config.get("name")
    elif method == "action.invoke" and params["handler"] == "call":
        reply = host_call("app.greet", {"name": "process"})
        if "error" in reply:
            answer["error"] = reply["error"]
        else:
            answer["result"] = reply["result"]
    elif method == "shutdown":
        send(dict(answer, result=None))
        break
    else:
        answer["error"] = {"code": -32601, "message": "no method %s" % method}
    send(answer)
"#;
