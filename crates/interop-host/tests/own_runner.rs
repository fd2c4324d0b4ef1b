//! An application that is its own runner of isolated native plugins: it calls
//! `interop_host::isolation::serve_if_runner()` first thing in `main`, and needs neither
//! the `interop` CLI nor `INTEROP_RUNNER`. This test binary is such an application (its
//! own `main`, no test harness), so the plugin's child process is this very executable.

use std::path::Path;
use std::process::Command;

use interop_host::isolation::{serve_if_runner, RUNNER_ENV};
use interop_host::Host;
use serde_json::{json, Value};

/// A native plugin answering its process id and executable, so that the test sees where
/// it ran (its process id is one of its own PID namespace, where the host cannot look it
/// up: it names its executable itself).
const PLUGIN: &str = r#"
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "interop_plugin.h"

static int32_t invoke(void *state, const uint8_t *handler, size_t handler_len,
                      const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len) {
    (void)state; (void)handler; (void)handler_len; (void)input; (void)input_len;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) return INTEROP_ERROR;
    exe[n] = 0;
    char *reply = malloc(1100);
    if (!reply) return INTEROP_ERROR;
    *out_len = (size_t)snprintf(reply, 1100, "{\"pid\": %d, \"exe\": \"%s\"}", (int)getpid(), exe);
    *out = (uint8_t *)reply;
    return INTEROP_OK;
}

static void release(void *state, uint8_t *ptr, size_t len) { (void)state; (void)len; free(ptr); }

static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t), .name = "where",
    .invoke = invoke, .free = release,
};
const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
"#;

fn build_plugin(dir: &Path) {
    std::fs::write(dir.join("where.c"), PLUGIN).expect("source");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/include");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-std=c11", "-I"])
        .arg(include)
        .arg("-o")
        .arg(dir.join("libwhere.so"))
        .arg(dir.join("where.c"))
        .status()
        .expect("cannot run cc: run cargo xtask setup");
    assert!(status.success(), "compiling the plugin failed");
    let manifest = json!({
        "name": "where", "version": "1.0.0",
        "interop": {"protocol": "ffi", "libraryPath": "libwhere.so", "isolated": true},
        "actions": [{"name": "pid"}]
    });
    std::fs::write(dir.join("plugin.json"), manifest.to_string()).expect("manifest");
}

fn an_isolated_plugin_runs_in_a_child_that_is_this_executable() {
    let dir = tempfile::tempdir().expect("temp dir");
    build_plugin(dir.path());
    let host = Host::new();
    host.load(dir.path().join("plugin.json")).expect("load");
    let answer = host.invoke("where", "pid", Value::Null).expect("invoke");
    let data = answer.data.expect("data");
    let pid = data["pid"].as_u64().expect("a pid");
    assert_ne!(pid, u64::from(std::process::id()), "ran in-process");
    let child = data["exe"].as_str().expect("an executable");
    assert_eq!(
        Path::new(child),
        std::env::current_exe().expect("this executable")
    );
    host.close_all();
}

fn main() {
    serve_if_runner();
    // Nothing else names a runner: the one found is this executable.
    std::env::remove_var(RUNNER_ENV);
    an_isolated_plugin_runs_in_a_child_that_is_this_executable();
    println!("ok: an application is its own runner");
}
