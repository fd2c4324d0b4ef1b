//! The global `host` object: the sandbox's host API, policy-checked and audited there.

use std::sync::Arc;

use interop_js::{JsBackend, JsPlugin};
use interop_protocol::{load_manifest, ActionInvoke, ErrorKind, Plugin, PluginError};
use interop_sandbox::{AuditOutcome, HostFunctions, HostServices, Policy};
use serde_json::{json, Value};

const SCRIPT: &str = r#"
const plugin = {
  files() {
    host.fs.mkdir("work/sub");
    host.fs.writeFile("work/sub/a.txt", "hello");
    const text = host.fs.readFile("work/sub/a.txt");
    const stat = host.fs.stat("work/sub/a.txt");
    const names = host.fs.readdir("work/sub").map((e) => e.name);
    const existed = host.fs.exists("work/sub/a.txt");
    host.fs.rm("work/sub");
    return { text, size: stat.size, names, existed, after: host.fs.exists("work/sub") };
  },
  outside() { return host.fs.writeFile("../escape.txt", "x"); },
  app(n) { return host.call("app.double", { n }); },
  missing() { return host.call("app.nope", {}); },
  clock() { const t = host.now(); host.sleep(1); return host.now() >= t; },
  env() { return [host.env("JS_HOST_API_TEST_UNSET"), (() => { try { return host.env("HOME"); } catch (e) { return e.kind; } })()]; },
  big() { return "x".repeat(4096); },
  traced() { host.trace({ category: "test", name: "step", durationMs: 1.5 }); console.warn("careful"); return true; },
};
"#;

fn load(functions: HostFunctions) -> (JsPlugin, HostServices, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("work")).unwrap();
    std::fs::write(dir.path().join("plugin.js"), SCRIPT).unwrap();
    let actions: Vec<Value> = [
        "files", "outside", "app", "missing", "clock", "env", "big", "traced",
    ]
    .iter()
    .map(|a| json!({ "name": a }))
    .collect();
    let manifest = json!({
        "name": "host-api",
        "version": "0.1.0",
        "interop": { "protocol": "js", "scriptPath": "plugin.js" },
        "actions": actions,
        "permissions": {
            "fs": [ { "path": "work", "read": true, "write": true } ],
            "env": ["JS_HOST_API_TEST_UNSET"]
        },
        "limits": { "maxMessageBytes": 1024 }
    });
    std::fs::write(dir.path().join("plugin.json"), manifest.to_string()).unwrap();
    let loaded = load_manifest(dir.path().join("plugin.json")).unwrap();
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap())
        .with_functions(Arc::new(functions));
    let plugin = JsBackend::new()
        .load_plugin(&loaded, services.clone())
        .unwrap();
    (plugin, services, dir)
}

fn call(plugin: &JsPlugin, action: &str, input: Value) -> Result<Value, PluginError> {
    let r = plugin.invoke(&ActionInvoke::new(action, input))?;
    Ok(r.data.or(r.text.map(Value::String)).unwrap_or(Value::Null))
}

#[test]
fn the_filesystem_api_works_inside_the_granted_directory() {
    let (plugin, services, _dir) = load(HostFunctions::new());
    assert_eq!(
        call(&plugin, "files", Value::Null).unwrap(),
        json!({ "text": "hello", "size": 5, "names": ["a.txt"], "existed": true, "after": false })
    );
    let err = call(&plugin, "outside", Value::Null).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    let denied = services.audit().denied();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].function, "fs.writeFile");
}

#[test]
fn application_functions_are_called_through_host_call() {
    let functions = HostFunctions::new();
    functions.register("app.double", |_plugin, args| {
        Ok(json!(args["n"].as_i64().unwrap_or(0) * 2))
    });
    let (plugin, services, _dir) = load(functions);
    assert_eq!(call(&plugin, "app", json!(21)).unwrap(), json!(42));
    let err = call(&plugin, "missing", Value::Null).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");
    assert!(err.message.contains("app.nope"), "{err}");
    assert!(services
        .audit()
        .events()
        .iter()
        .any(|e| e.function == "app.double" && e.outcome == AuditOutcome::Ok));
}

#[test]
fn time_env_and_trace_go_through_the_host() {
    let (plugin, services, _dir) = load(HostFunctions::new());
    assert_eq!(call(&plugin, "clock", Value::Null).unwrap(), json!(true));
    // Granted but unset: null; not granted: a `denied` error the script can catch.
    assert_eq!(
        call(&plugin, "env", Value::Null).unwrap(),
        json!([null, "denied"])
    );
    assert_eq!(call(&plugin, "traced", Value::Null).unwrap(), json!(true));
    let functions: Vec<String> = services
        .audit()
        .events()
        .into_iter()
        .map(|e| e.function)
        .collect();
    for f in ["time.sleep", "env.get", "trace", "log"] {
        assert!(functions.iter().any(|g| g == f), "{f} not in {functions:?}");
    }
}

#[test]
fn a_result_over_the_message_size_limit_is_refused() {
    let (plugin, _, _dir) = load(HostFunctions::new());
    let err = call(&plugin, "big", Value::Null).unwrap_err();
    assert_eq!(err.limit_name(), Some("message_size"), "{err}");
    assert_eq!(err.plugin.as_deref(), Some("host-api"));
}

#[test]
fn concurrent_calls_to_one_plugin_are_serialised_and_all_answered() {
    let (plugin, _, _dir) = load(HostFunctions::new());
    let plugin = Arc::new(plugin);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let p = plugin.clone();
            std::thread::spawn(move || {
                for _ in 0..100 {
                    assert_eq!(call(&p, "clock", Value::Null).unwrap(), json!(true));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
