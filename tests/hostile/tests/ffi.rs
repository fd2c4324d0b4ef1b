//! Hostile native plugins, written in C in this file and compiled into each case's arena
//! (`cc -shared -fPIC`).
//!
//! `ffi` cases load the library into the host's own process, where it is trusted code: a
//! segfault there is the host's, so only what a host can survive is attacked in-process
//! (lying lengths and pointers, bad output, bad files, host callbacks abused). The
//! `ffi-isolated` cases run the library in a runner process (this suite's own binary, see
//! `run_all`), which may crash, exit, hang, fork and eat memory: each is stopped and
//! reported, and the host goes on.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use interop_hostile::{
    host_error, invoke, load, Arena, Case, ErrorKind, Expect, Host, Outcome, PluginError,
};
use serde_json::{json, Value};

const IN_PROCESS: &str = "ffi";
const ISOLATED: &str = "ffi-isolated";

/// Every plugin of this file: one action `run` whose handler is the case's `run()`, the
/// host API kept by `init`, and helpers to reply.
const PRELUDE: &str = r#"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "interop_plugin.h"

static const interop_host_api_t *host;

/* Replies `json` in a buffer of our own. */
static int32_t reply(const char *json, uint8_t **out, size_t *out_len) {
    size_t n = strlen(json);
    uint8_t *p = malloc(n ? n : 1);
    if (!p) return INTEROP_ERROR;
    memcpy(p, json, n);
    *out = p;
    *out_len = n;
    return INTEROP_OK;
}

/* Calls a host function and passes its answer on as ours (its error as our error). */
static int32_t forward(const char *name, const uint8_t *args, size_t args_len, uint8_t **out,
                       size_t *out_len) {
    uint8_t *got = NULL;
    size_t got_len = 0;
    int32_t rc = host->call(host->ctx, (const uint8_t *)name, strlen(name), args, args_len,
                            &got, &got_len);
    uint8_t *copy = malloc(got_len ? got_len : 1);
    if (!copy) return INTEROP_ERROR;
    if (got_len) memcpy(copy, got, got_len);
    host->free(host->ctx, got, got_len);
    *out = copy;
    *out_len = got_len;
    return rc == INTEROP_OK ? INTEROP_OK : INTEROP_ERROR;
}

static int32_t run(uint8_t **out, size_t *out_len);

static int32_t init(const interop_host_api_t *h, void **state) {
    host = h;
    *state = NULL;
    return INTEROP_OK;
}

static int32_t invoke(void *state, const uint8_t *handler, size_t handler_len,
                      const uint8_t *input, size_t input_len, uint8_t **out, size_t *out_len) {
    (void)state; (void)handler; (void)handler_len; (void)input; (void)input_len;
    return run(out, out_len);
}

static void release(void *state, uint8_t *ptr, size_t len) { (void)state; (void)len; free(ptr); }
"#;

/// The descriptor of a well-formed plugin named `hostile`.
const DESCRIPTOR: &str = r#"
static const interop_plugin_t descriptor = {
    .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t), .name = "hostile",
    .init = init, .invoke = invoke, .free = release,
};
const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }
"#;

/// A plugin whose action runs `body` (the body of `run(out, out_len)`).
fn plugin(body: &str) -> String {
    format!("{PRELUDE}\nstatic int32_t run(uint8_t **out, size_t *out_len) {{\n{body}\n}}\n{DESCRIPTOR}")
}

/// Compiles C `source` into `output` (a path in the arena's plugin directory or beside it).
fn compile(arena: &Arena, source: &str, output: &Path) {
    let src = arena.write("hostile.c", source);
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/include");
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-shared", "-fPIC", "-std=gnu11", "-w", "-I"])
        .arg(include)
        .arg("-o")
        .arg(output)
        .arg(src)
        .status()
        .expect("cannot run cc: run cargo xtask setup");
    assert!(status.success(), "the case's C source does not compile");
}

fn manifest(isolated: bool, limits: &Value) -> Value {
    json!({
        "name": "hostile", "version": "1.0.0",
        "interop": {"protocol": "ffi", "libraryPath": "libhostile.so", "isolated": isolated},
        "actions": [{"name": "run"}],
        "limits": limits
    })
}

/// Loads the arena's plugin and runs its action.
fn load_and_run(arena: &Arena, host: &Host, isolated: bool, limits: &Value) -> Outcome {
    let name = load(host, &arena.manifest(manifest(isolated, limits)))?;
    invoke(host, &name, "run", Value::Null)
}

/// A plugin whose action runs `body`, in `backend`'s way.
fn native(backend: &'static str, name: &str, expect: Expect, limits: Value, body: &str) -> Case {
    let source = plugin(body);
    Case::new(backend, name, expect, move |arena, host| {
        compile(arena, &source, &arena.plugin_dir.join("libhostile.so"));
        load_and_run(arena, host, backend == ISOLATED, &limits)
    })
}

/// The same attack in-process and isolated, with the same expected outcome.
fn both(name: &str, expect: Expect, limits: Value, body: &str) -> [Case; 2] {
    [
        native(IN_PROCESS, name, expect.clone(), limits.clone(), body),
        native(ISOLATED, name, expect, limits, body),
    ]
}

/// The same library file (prepared by `prepare` in the arena), refused at load in both
/// ways with `expect`.
fn bad_file(
    name: &str,
    expect: Expect,
    prepare: impl Fn(&Arena) + Clone + Send + Sync + 'static,
) -> [Case; 2] {
    let case = |backend: &'static str| {
        let prepare = prepare.clone();
        Case::new(backend, name, expect.clone(), move |arena, host| {
            prepare(arena);
            load_and_run(arena, host, backend == ISOLATED, &json!({}))
        })
    };
    [case(IN_PROCESS), case(ISOLATED)]
}

/// A library whose descriptor is `descriptor` instead of the well-formed one.
fn with_descriptor(descriptor: &'static str) -> impl Fn(&Arena) + Clone + Send + Sync {
    move |arena| {
        let source = format!(
            "{PRELUDE}\nstatic int32_t run(uint8_t **out, size_t *out_len) \
             {{ return reply(\"null\", out, out_len); }}\n{descriptor}"
        );
        compile(arena, &source, &arena.plugin_dir.join("libhostile.so"));
    }
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("a C path");
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let quick = Duration::from_secs(3);

    // Lies about the reply.
    cases.extend(both(
        "a reply length far beyond the message limit is refused before a byte is read",
        Expect::limit("message_size"),
        json!({}),
        r#"*out = malloc(16); memcpy(*out, "\"x\"", 3); *out_len = (size_t)1 << 40;
           return INTEROP_OK;"#,
    ));
    cases.extend(both(
        "an error message over the message limit is refused unread",
        Expect::limit("message_size"),
        json!({"maxMessageBytes": 4096}),
        r#"*out = malloc(8192); memset(*out, 'x', 8192); *out_len = 8192;
           return INTEROP_ERROR;"#,
    ));
    cases.extend(both(
        "a null reply pointer with a length is an exec error",
        Expect::error(ErrorKind::Exec).containing("null output pointer"),
        json!({}),
        "*out = NULL; *out_len = 64; return INTEROP_OK;",
    ));
    cases.extend(both(
        "a reply that is not JSON is a parse error",
        Expect::error(ErrorKind::Parse),
        json!({}),
        r#"return reply("{\"unterminated", out, out_len);"#,
    ));
    for backend in [IN_PROCESS, ISOLATED] {
        let source = plugin(
            r#"reply("{\"kind\": \"denied\", \"message\": \"forged\", \"plugin\": \"neighbour\"}",
                     out, out_len);
               return INTEROP_ERROR;"#,
        );
        cases.push(Case::new(
            backend,
            "an error naming another plugin is still this plugin's error",
            Expect::error(ErrorKind::Denied).containing("forged"),
            move |arena, host| {
                compile(arena, &source, &arena.plugin_dir.join("libhostile.so"));
                match load_and_run(arena, host, backend == ISOLATED, &json!({})) {
                    Err(e) if e.plugin.as_deref() != Some("hostile") => {
                        Err(PluginError::internal(format!("blamed on {:?}", e.plugin)))
                    }
                    other => other,
                }
            },
        ));
    }

    // Host callbacks given bad pointers and lengths.
    cases.extend(both(
        "a host call with a null argument pointer and a length is refused",
        Expect::error(ErrorKind::InvalidInput).containing("null pointer"),
        json!({}),
        r#"return forward("time.now", NULL, 100, out, out_len);"#,
    ));
    cases.extend(both(
        "a host call with arguments far beyond the message limit is refused unread",
        Expect::limit("message_size"),
        json!({}),
        r#"return forward("time.now", (const uint8_t *)"{}", (size_t)1 << 40, out, out_len);"#,
    ));
    cases.extend(both(
        "a log line far beyond the message limit is refused unread",
        Expect::harmless(),
        json!({}),
        r#"host->log(host->ctx, INTEROP_LOG_INFO, (const uint8_t *)"x", (size_t)1 << 40);
           host->log(host->ctx, INTEROP_LOG_INFO, NULL, 12);
           return reply("\"still here\"", out, out_len);"#,
    ));
    cases.extend(both(
        "freeing a host buffer twice, or one the host never gave, is ignored",
        Expect::harmless(),
        json!({}),
        r#"uint8_t *got = NULL; size_t got_len = 0;
           host->call(host->ctx, (const uint8_t *)"time.now", 8, (const uint8_t *)"{}", 2,
                      &got, &got_len);
           host->free(host->ctx, got, got_len);
           host->free(host->ctx, got, got_len);
           static uint8_t mine[16];
           host->free(host->ctx, mine, sizeof mine);
           return reply("\"freed\"", out, out_len);"#,
    ));

    // Libraries that are not what they claim.
    cases.extend(bad_file(
        "a library built for another ABI version is refused",
        Expect::error(ErrorKind::InvalidInput).containing("ABI version mismatch"),
        with_descriptor(
            r#"static const interop_plugin_t descriptor = {
                 .abi_version = 2, .size = sizeof(interop_plugin_t), .name = "hostile",
                 .invoke = invoke, .free = release };
               const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }"#,
        ),
    ));
    cases.extend(bad_file(
        "a library without the entry symbol is refused",
        Expect::error(ErrorKind::NotFound).containing("interop_plugin_entry"),
        with_descriptor("int not_a_plugin(void) { return 1; }"),
    ));
    cases.extend(bad_file(
        "a descriptor naming another plugin is refused",
        Expect::error(ErrorKind::InvalidInput).containing("the library is plugin `neighbour`"),
        with_descriptor(
            r#"static const interop_plugin_t descriptor = {
                 .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t),
                 .name = "neighbour", .invoke = invoke, .free = release };
               const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }"#,
        ),
    ));
    cases.extend(bad_file(
        "an init that fails is an exec error",
        Expect::error(ErrorKind::Exec).containing("init failed"),
        with_descriptor(
            r#"static int32_t refuse(const interop_host_api_t *h, void **s) {
                 (void)h; (void)s; return INTEROP_ERROR; }
               static const interop_plugin_t descriptor = {
                 .abi_version = INTEROP_ABI_VERSION, .size = sizeof(interop_plugin_t),
                 .name = "hostile", .init = refuse, .invoke = invoke, .free = release };
               const interop_plugin_t *interop_plugin_entry(void) { return &descriptor; }"#,
        ),
    ));
    cases.extend(bad_file(
        "a text file as the library is refused",
        Expect::error(ErrorKind::Parse).containing("not a shared library"),
        |arena: &Arena| {
            arena.write("libhostile.so", "#!/bin/sh\necho not a library\n");
        },
    ));
    cases.extend(bad_file(
        "a truncated shared object is refused",
        Expect::error(ErrorKind::Parse),
        |arena: &Arena| {
            let lib = arena.plugin_dir.join("libhostile.so");
            compile(arena, &plugin(r#"return reply("1", out, out_len);"#), &lib);
            let bytes = std::fs::read(&lib).expect("the library");
            std::fs::write(&lib, &bytes[..200]).expect("truncate");
        },
    ));
    cases.extend(bad_file(
        "a directory as the library is refused",
        Expect::error(ErrorKind::InvalidInput).containing("a directory"),
        |arena: &Arena| {
            std::fs::create_dir(arena.plugin_dir.join("libhostile.so")).expect("directory");
        },
    ));
    for case in bad_file(
        "a FIFO as the library is refused at once instead of blocking",
        Expect::error(ErrorKind::InvalidInput)
            .containing("FIFO")
            .within(quick),
        |arena: &Arena| mkfifo(&arena.plugin_dir.join("libhostile.so")),
    ) {
        cases.push(case);
    }
    for backend in [IN_PROCESS, ISOLATED] {
        let source = plugin(r#"return reply("1", out, out_len);"#);
        cases.push(Case::new(
            backend,
            "a library swapped for a symlink leaving the plugin directory after validation is refused",
            Expect::denied().containing("outside the plugin directory"),
            move |arena, host| {
                let lib = arena.plugin_dir.join("libhostile.so");
                compile(arena, &source, &lib);
                let path = arena.manifest(manifest(backend == ISOLATED, &json!({})));
                let validated = interop_protocol::load_manifest(&path)
                    .map_err(|e| PluginError::internal(e.to_string()))?;
                // Beside the plugin directory (not in `outside`, which the harness
                // watches), reached through a symlink put in the library's place.
                let elsewhere = arena.plugin_dir.with_file_name("elsewhere.so");
                std::fs::rename(&lib, &elsewhere).expect("move the library out");
                std::os::unix::fs::symlink(&elsewhere, &lib).expect("symlink");
                host.load_manifest(validated).map_err(host_error)?;
                invoke(host, "hostile", "run", Value::Null)
            },
        ));
    }

    // Time: host sleeps end with the call's deadline in-process; an isolated plugin that
    // keeps sleeping is a hung process.
    let sleeper = r#"for (int i = 0; i < 50; i++) {
                       int32_t rc = forward("time.sleep", (const uint8_t *)"{\"ms\": 200}", 11,
                                            out, out_len);
                       if (rc != INTEROP_OK) return rc;
                       free(*out);
                     }
                     return reply("\"slept 10 s\"", out, out_len);"#;
    cases.push(native(
        IN_PROCESS,
        "host sleeps past the call's time limit are cut at its deadline",
        Expect::limit("time").within(quick),
        json!({"timeoutMs": 500}),
        sleeper,
    ));
    cases.push(native(
        ISOLATED,
        "host sleeps past the call's time limit are stopped as a hang",
        Expect::error(ErrorKind::Timeout).within(quick),
        json!({"timeoutMs": 500}),
        sleeper,
    ));

    // What only an isolated plugin survives.
    let crashes = [
        (
            "a segfault is reported as a crash",
            "volatile int *p = NULL; *p = 1; return INTEROP_OK;",
            "runner process crashed (signal: 11 (SIGSEGV))",
        ),
        (
            "abort() is reported as a crash",
            "abort();",
            "runner process crashed (signal: 6 (SIGABRT)",
        ),
        (
            "a stack overflow is reported as a crash",
            "volatile char big[1 << 16]; big[0] = 1; return run(out, out_len) + big[0];",
            "runner process crashed (signal: ",
        ),
        (
            "a wild pointer passed to a host callback is reported as a crash",
            r#"return forward("time.now", (const uint8_t *)8, 2, out, out_len);"#,
            "runner process crashed (signal: 11 (SIGSEGV))",
        ),
    ];
    for (name, body, crashed) in crashes {
        cases.push(native(
            ISOLATED,
            name,
            Expect::error(ErrorKind::Exec).containing(crashed),
            json!({}),
            body,
        ));
    }
    cases.push(native(
        ISOLATED,
        "exit(1) is reported as an exit",
        Expect::error(ErrorKind::Exec).containing("runner process exited (exit status: 1)"),
        json!({}),
        "exit(1);",
    ));
    cases.push(native(
        ISOLATED,
        "an infinite loop is stopped at the time limit as a hang",
        Expect::error(ErrorKind::Timeout)
            .containing("runner process hung")
            .within(quick),
        json!({"timeoutMs": 500}),
        "for (volatile unsigned long spin = 0;; spin++) {}",
    ));
    cases.push(native(
        ISOLATED,
        "a child forked and left behind goes with the runner",
        Expect::harmless(),
        json!({}),
        r#"if (fork() == 0) { sleep(60); _exit(0); }
           return reply("\"forked\"", out, out_len);"#,
    ));
    cases.push(native(
        ISOLATED,
        "a memory bomb runs out at the plugin's memory limit",
        Expect::error(ErrorKind::Exec).containing("out of memory after"),
        json!({"memoryMb": 32}),
        r#"static char msg[64];
           void *blocks = NULL; /* a list through the blocks' first word */
           int mib = 0;
           for (; mib < 200; mib++) {
               void **p = malloc(1 << 20);
               if (!p) break;
               memset(p, 1, 1 << 20);
               *p = blocks;
               blocks = p;
           }
           while (blocks) { void *next = *(void **)blocks; free(blocks); blocks = next; }
           if (mib < 200) {
               snprintf(msg, sizeof msg, "\"out of memory after %d MiB\"", mib);
               reply(msg, out, out_len);
               return INTEROP_ERROR;
           }
           return reply("\"200 MiB and no limit\"", out, out_len);"#,
    ));
    cases.push(native(
        ISOLATED,
        "printing to stdout does not corrupt the protocol",
        Expect::harmless().within(quick),
        json!({"timeoutMs": 2000}),
        r#"printf("a debug line without its newline"); fflush(stdout);
           return reply("\"printed\"", out, out_len);"#,
    ));
    cases
}
