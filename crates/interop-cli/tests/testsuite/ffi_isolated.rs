//! Isolated native plugins (`"isolated": true`): the `interop` binary is the runner
//! (`interop ffi-serve`), a crash in the library is an error, and the host keeps serving.

#![cfg(all(feature = "ffi", feature = "ipc"))]

use crate::common;

use std::path::PathBuf;
use std::process::Command;

use interop_host::Host;
use serde_json::{json, Value};

use common::{interop, repo, text};

/// The manifest of a C sample plugin, compiled first if its library is missing (as
/// `cargo xtask build-plugins` does).
fn c_sample(name: &str, source: &str, library: &str) -> PathBuf {
    let dir = repo().join("examples/plugins").join(name);
    let lib = dir.join(library);
    if !lib.exists() {
        std::fs::create_dir_all(lib.parent().unwrap()).unwrap();
        let status = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-std=c11", "-I"])
            .arg(repo().join("examples/include"))
            .arg("-o")
            .arg(&lib)
            .arg(dir.join(source))
            .status()
            .expect("cannot run cc: run cargo xtask setup");
        assert!(status.success(), "run cargo xtask build-plugins");
    }
    dir.join("plugin.json")
}

fn segfault() -> PathBuf {
    c_sample(
        "native-segfault",
        "segfault.c",
        "build/libnative_segfault.so",
    )
}

fn greeter() -> PathBuf {
    c_sample(
        "c-native-greeter",
        "greeter.c",
        "build/libc_native_greeter.so",
    )
}

fn host() -> Host {
    std::env::set_var("INTEROP_RUNNER", env!("CARGO_BIN_EXE_interop"));
    Host::new()
}

#[test]
fn a_segfault_in_an_isolated_plugin_is_an_error_and_the_host_keeps_serving() {
    let host = host();
    host.load(segfault()).unwrap();
    host.load(greeter()).unwrap();
    let ok = host.invoke("native-segfault", "ok", Value::Null).unwrap();
    assert_eq!(ok.text.as_deref(), Some("still alive"));

    for (crash, signal) in [("crash", "SIGSEGV"), ("abort", "SIGABRT")] {
        let err = host
            .invoke("native-segfault", crash, Value::Null)
            .expect_err("a crashing action cannot succeed");
        let text = err.to_string();
        assert!(
            text.contains("plugin `native-segfault`: exec"),
            "{crash}: {text}"
        );
        assert!(text.contains(signal), "{crash}: {text}");
        // The host lives on: other plugins answer, and the crashed one is restarted.
        let hello = host
            .invoke("c-native-greeter", "greet", json!("World"))
            .unwrap();
        assert_eq!(hello.text.as_deref(), Some("Hello, World!"));
        let again = host.invoke("native-segfault", "ok", Value::Null).unwrap();
        assert_eq!(again.text.as_deref(), Some("still alive"), "after {crash}");
    }
    host.close_all();
}

#[test]
fn a_hung_isolated_plugin_times_out_and_is_restarted() {
    let host = host();
    host.load(segfault()).unwrap();
    let started = std::time::Instant::now();
    let err = host
        .invoke("native-segfault", "hang", Value::Null)
        .expect_err("an endless loop cannot succeed");
    let text = err.to_string();
    assert!(text.contains("timeout"), "{text}");
    // limits.timeoutMs is 1000: stopped close to it, not after the default 10 s.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{text}"
    );
    let again = host.invoke("native-segfault", "ok", Value::Null).unwrap();
    assert_eq!(again.text.as_deref(), Some("still alive"));
    host.close_all();
}

#[test]
fn an_isolated_plugin_reaches_the_host_api_through_the_parent() {
    // The C greeter, isolated: its fs and env calls travel back to this process, whose
    // policy allows data/ and GREETER_PREFIX and whose audit trail records them.
    let src = greeter();
    let dir = tempfile::tempdir().unwrap();
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(&src).unwrap()).unwrap();
    manifest["interop"]["isolated"] = json!(true);
    manifest.as_object_mut().unwrap().remove("$schema");
    let lib = "build/libc_native_greeter.so";
    std::fs::create_dir_all(dir.path().join("build")).unwrap();
    std::fs::copy(src.parent().unwrap().join(lib), dir.path().join(lib)).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/greeting.txt"), "isolated hello\n").unwrap();
    std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();

    let host = host();
    host.load(dir.path().join("plugin.json")).unwrap();
    let hello = host
        .invoke("c-native-greeter", "greet", json!("World"))
        .unwrap();
    assert!(hello.text.unwrap().ends_with("Hello, World!"));
    let greeting = host.get_provider("c-native-greeter", "greeting").unwrap();
    assert_eq!(greeting.text.as_deref(), Some("isolated hello"));
    let functions: Vec<String> = host
        .audit()
        .events()
        .into_iter()
        .map(|e| e.function)
        .collect();
    assert!(
        functions.contains(&"fs.readFile".to_owned()),
        "{functions:?}"
    );
    assert!(functions.contains(&"log".to_owned()), "{functions:?}");
    host.close_all();
}

#[test]
fn the_cli_reports_the_crash_and_exits_with_failure() {
    let manifest = segfault();
    let manifest = manifest.to_str().expect("UTF-8 path");
    let out = interop(&["call", manifest, "crash"]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("native-segfault"), "{stderr}");
    assert!(stderr.contains("SIGSEGV"), "{stderr}");

    let out = interop(&["call", manifest, "ok"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "still alive");
}
