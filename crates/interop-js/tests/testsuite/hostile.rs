//! Misbehaving plugins are stopped and reported; the host and other plugins keep running.

use crate::common;

use std::time::{Duration, Instant};

use interop_protocol::{ActionInvoke, ErrorKind, Plugin};
use interop_sandbox::AuditOutcome;
use serde_json::json;

fn invoke(plugin: &dyn Plugin, action: &str) -> Result<String, interop_protocol::PluginError> {
    plugin
        .invoke(&ActionInvoke::new(action, json!(null)))
        .map(|r| r.text.unwrap_or_default())
}

fn greet_works(greeter: &dyn Plugin) {
    let r = greeter
        .invoke(&ActionInvoke::new("farewell", json!("World")))
        .expect("the good plugin still answers");
    assert_eq!(r.text.as_deref(), Some("Goodbye, World!"));
}

#[test]
fn an_infinite_loop_is_stopped_at_the_timeout_and_other_plugins_keep_working() {
    let (hostile, _, _) = common::load("js-hostile");
    let (greeter, _, _) = common::load("js-greeter");
    let start = Instant::now();
    let err = invoke(&hostile, "loop").unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("time"));
    assert_eq!(err.plugin.as_deref(), Some("js-hostile"));
    assert!(err.message.contains("1s timeout"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(3));
    greet_works(&greeter);
    // The looping plugin itself is usable again.
    assert_eq!(invoke(&hostile, "ok").unwrap(), "fine");
}

#[test]
fn a_heap_bomb_is_stopped_at_the_heap_limit_and_other_plugins_keep_working() {
    let (hostile, _, _) = common::load("js-hostile");
    let (greeter, _, _) = common::load("js-greeter");
    let err = invoke(&hostile, "heap_bomb").unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("memory"));
    assert!(err.message.contains("32 MiB"), "{err}");
    greet_works(&greeter);
    assert_eq!(invoke(&hostile, "ok").unwrap(), "fine");
}

#[test]
fn a_denied_fetch_throws_in_js_and_is_audited_as_denied() {
    let (hostile, services, _) = common::load("js-hostile");
    let text = invoke(&hostile, "fetch_denied").unwrap();
    assert!(text.starts_with("refused (denied): denied: GET"), "{text}");
    assert!(text.contains("https://example.com/secrets"), "{text}");
    let denied = services.audit().denied();
    assert_eq!(denied.len(), 1, "{denied:?}");
    assert_eq!(denied[0].function, "net.fetch");
    assert_eq!(denied[0].plugin, "js-hostile");
    assert!(matches!(denied[0].outcome, AuditOutcome::Denied { .. }));
    assert!(denied[0].args.contains("https://example.com/secrets"));
}

#[test]
fn an_uncaught_denial_fails_the_call_as_denied() {
    let (hostile, services, _) = common::load("js-hostile");
    let err = invoke(&hostile, "fetch_denied_uncaught").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert_eq!(err.plugin.as_deref(), Some("js-hostile"));
    assert_eq!(services.audit().denied().len(), 1);
    let err = invoke(&hostile, "read_secret").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert_eq!(services.audit().denied().len(), 2);
}

#[test]
fn a_thrown_error_comes_back_as_exec_with_the_js_stack() {
    let (hostile, _, _) = common::load("js-hostile");
    let err = invoke(&hostile, "fail").unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec);
    assert_eq!(err.message, "RangeError: out of range on purpose");
    let stack = err.data.as_ref().unwrap()["stack"].as_str().unwrap();
    assert!(stack.contains("hostile.js"), "{stack}");
}

#[test]
fn a_fifo_or_a_directory_as_the_script_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plugin.js");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    std::fs::create_dir(dir.path().join("dir.js")).unwrap();
    for (script, what) in [("plugin.js", "FIFO"), ("dir.js", "directory")] {
        let manifest = json!({
            "name": "blocking", "version": "0.1.0",
            "interop": { "protocol": "js", "scriptPath": script }
        });
        std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();
        let loaded = interop_protocol::load_manifest(dir.path().join("plugin.json")).unwrap();
        let started = Instant::now();
        let err = interop_js::JsBackend::new()
            .load_plugin(&loaded, common::trusting_services(&loaded))
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
        assert!(err.message.contains("`interop.scriptPath`"), "{err}");
        assert!(err.message.contains(what), "{err}");
    }
}
