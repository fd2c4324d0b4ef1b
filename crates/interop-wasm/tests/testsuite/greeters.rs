//! The greeter sample plugin, written in Rust, Go, AssemblyScript and C
//! (examples/plugins/<lang>-greeter), behaves identically through the host.
//!
//! The guests are built by `cargo xtask build-plugins`; a missing module fails the test
//! with that instruction rather than passing silently.

use crate::common;

use std::path::PathBuf;

use interop_host::Host;
use serde_json::{json, Value};

const LANGUAGES: &[&str] = &["rust", "go", "assemblyscript", "c"];

fn manifest(lang: &str) -> PathBuf {
    common::repo()
        .join("examples/plugins")
        .join(format!("{lang}-greeter"))
        .join("plugin.json")
}

/// Loads the `lang` greeter into a fresh host, or fails saying how to build it.
fn load(lang: &str) -> (Host, String) {
    let path = manifest(lang);
    let loaded = interop_protocol::load_manifest(&path).unwrap_or_else(|e| {
        panic!("{lang} greeter: {e}\n(the greeters come with the guest-side work: run cargo xtask build-plugins)")
    });
    if let interop_protocol::Interop::Wasm(w) = &loaded.manifest.interop {
        let module = loaded.resolve(&w.wasm_path);
        assert!(
            module.exists(),
            "{lang} greeter: {} is missing: run cargo xtask build-plugins",
            module.display()
        );
    }
    let host = Host::new();
    let name = host
        .load_manifest(loaded)
        .unwrap_or_else(|e| panic!("{lang} greeter: {e}"))
        .name()
        .to_owned();
    (host, name)
}

/// What the greeter answers, as one JSON document (to compare languages).
fn transcript(lang: &str) -> Value {
    // The greeters read GREETER_PREFIX if set; the agreed output is without it.
    std::env::remove_var("GREETER_PREFIX");
    let (host, name) = load(lang);
    let greet = host.invoke(&name, "greet", json!("World")).unwrap();
    let farewell = host.invoke(&name, "farewell", json!("World")).unwrap();
    let provider = host.get_provider(&name, "greeting").unwrap();
    let hook = host.emit("config.reload", json!({})).remove(&name);
    let hook = match hook {
        Some(Ok(_)) => json!("ok"),
        Some(Err(e)) => panic!("{lang} greeter: config.reload failed: {e}"),
        None => panic!("{lang} greeter: no config.reload hook"),
    };
    json!({
        "greet": greet.text,
        "farewell": farewell.text,
        "greeting": provider.text,
        "config.reload": hook,
    })
}

fn check(lang: &str) {
    let t = transcript(lang);
    assert_eq!(t["greet"], json!("Hello, World!"), "{lang}: {t}");
    assert_eq!(t["farewell"], json!("Goodbye, World!"), "{lang}: {t}");
    assert!(
        t["greeting"].as_str().is_some_and(|s| !s.is_empty()),
        "{lang}: {t}"
    );
}

#[test]
fn rust_greeter() {
    check("rust");
}

#[test]
fn go_greeter() {
    check("go");
}

#[test]
fn assemblyscript_greeter() {
    check("assemblyscript");
}

#[test]
fn c_greeter() {
    check("c");
}

#[test]
fn all_greeters_answer_identically() {
    let first = transcript(LANGUAGES[0]);
    for lang in &LANGUAGES[1..] {
        assert_eq!(
            transcript(lang),
            first,
            "{lang} differs from {}",
            LANGUAGES[0]
        );
    }
}

/// Compatibility with guests written against the raw `ft_*` imports with an exported
/// `on_reload` (a Rust and a TinyGo-style Go example): they load and run unchanged.
#[test]
fn guests_written_against_the_raw_imports_run_unchanged() {
    for (dir, expected) in [
        ("go-raw-imports", "Hello from Go!"),
        ("rust-raw-imports", "reloaded (GREETER_PREFIX"),
    ] {
        let path = common::repo()
            .join("examples/plugins")
            .join(dir)
            .join("plugin.json");
        let loaded = interop_protocol::load_manifest(&path)
            .unwrap_or_else(|e| panic!("{dir}: {e} (run cargo xtask build-plugins)"));
        if let interop_protocol::Interop::Wasm(w) = &loaded.manifest.interop {
            assert!(
                loaded.resolve(&w.wasm_path).exists(),
                "{dir}: module missing: run cargo xtask build-plugins"
            );
        }
        let sink = std::sync::Arc::new(interop_sandbox::MemorySink::new());
        let mut host = Host::new();
        host.set_sink(sink.clone());
        let name = host.load_manifest(loaded).unwrap().name().to_owned();
        let results = host.emit("config.reload", json!({})).remove(&name);
        assert_eq!(results.unwrap().unwrap(), json!([null]), "{dir}");
        let logs = sink.logs();
        assert!(
            logs.iter().any(|r| r.message.contains(expected)),
            "{dir}: {logs:?}"
        );
    }
}
