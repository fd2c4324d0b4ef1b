//! Helpers shared by the integration tests: plugin directories with a manifest, loading.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use interop_ipc::{IpcBackend, IpcConfig, IpcPlugin, RestartPolicy};
use interop_protocol::{validate_value, ActionInvoke, LoadedManifest, Plugin, PluginError};
use interop_sandbox::{HostServices, Policy};
use serde_json::{json, Value};

/// The hostile test plugin's script.
pub fn hostile_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile.py")
}

/// The repository's examples/plugins/<name>.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins")
        .join(name)
        .join("plugin.json")
}

/// A temporary plugin directory holding `manifest` as plugin.json (and hostile.py).
pub fn plugin_dir(manifest: Value) -> (tempfile::TempDir, LoadedManifest) {
    let dir = tempfile::tempdir().unwrap();
    // Plugin processes may only read their own directory (Landlock): the script lives there.
    std::fs::copy(hostile_script(), dir.path().join("hostile.py")).unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let manifest = validate_value(&manifest, None).expect("test manifest is valid");
    let loaded = LoadedManifest {
        manifest,
        path: dir.path().join("plugin.json"),
        dir: dir.path().to_path_buf(),
    };
    (dir, loaded)
}

/// A manifest for the hostile plugin over stdio, with extra `args` and manifest fields.
pub fn hostile_manifest(args: &[&str], extra: Value) -> Value {
    let mut all = vec!["hostile.py".to_owned()];
    all.extend(args.iter().map(|a| a.to_string()));
    let actions: Vec<Value> = [
        "echo", "env", "host", "read", "python", "crash", "raise", "hang", "freeze", "flood",
        "rlimits", "eat",
    ]
    .iter()
    .map(|a| json!({ "name": a }))
    .collect();
    let mut m = json!({
        "name": "hostile",
        "version": "1.0.0",
        "interop": {"protocol": "subprocess", "command": "python3", "args": all},
        "actions": actions,
    });
    if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), extra) {
        m.extend(extra);
    }
    m
}

/// Fast restarts, for tests.
pub fn fast_config() -> IpcConfig {
    IpcConfig {
        restart: RestartPolicy {
            max_restarts: 5,
            initial_backoff: std::time::Duration::from_millis(10),
            max_backoff: std::time::Duration::from_millis(100),
        },
        ..IpcConfig::default()
    }
}

/// Loads `loaded` with the backend of its protocol and the policy of its manifest.
pub fn load(loaded: &LoadedManifest) -> Result<(IpcPlugin, HostServices), PluginError> {
    load_with(loaded, fast_config())
}

/// Like [`load`], with the backend configured by `config`.
pub fn load_with(
    loaded: &LoadedManifest,
    config: IpcConfig,
) -> Result<(IpcPlugin, HostServices), PluginError> {
    let services = HostServices::new(Policy::from_manifest(loaded).unwrap());
    let backend = match loaded.manifest.interop.protocol() {
        interop_protocol::Protocol::Subprocess => IpcBackend::subprocess(),
        _ => IpcBackend::ipc(),
    }
    .with_config(config);
    let plugin = backend.load_ipc(loaded, services.clone())?;
    Ok((plugin, services))
}

/// Runs `action` with `input` and returns the result's data (or text).
pub fn call(plugin: &IpcPlugin, action: &str, input: Value) -> Result<Value, PluginError> {
    let result = plugin.invoke(&ActionInvoke::new(action, input))?;
    Ok(result
        .data
        .or(result.text.map(Value::String))
        .unwrap_or(Value::Null))
}

/// Runs Python `code` in the plugin; `Ok` with its `result` variable, `Err` with what it
/// raised.
pub fn python(plugin: &IpcPlugin, code: &str) -> Result<Value, String> {
    let reply = call(plugin, "python", json!(code)).expect("the python action answers");
    match reply.get("ok") {
        Some(ok) => Ok(ok.clone()),
        None => Err(reply["error"].as_str().unwrap_or_default().to_owned()),
    }
}

/// The processes whose command line contains `marker`, as seen by the host.
pub fn processes_with(marker: &str) -> Vec<i32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmdline).contains(marker) {
            found.push(pid);
        }
    }
    found
}

/// Python code that starts a `setsid` daemon, whose command line holds `marker`, and
/// returns at once.
pub fn daemon_code(marker: &str) -> String {
    format!(
        r#"
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("python3", ["python3", "-c", "import time; time.sleep(300)", "{marker}"])
    os._exit(0)
time.sleep(0.3)
result = "started"
"#
    )
}
