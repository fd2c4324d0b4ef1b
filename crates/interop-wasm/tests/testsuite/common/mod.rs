//! Helpers shared by the integration tests: plugin directories built from a manifest and
//! the WAT guests in `tests/guests/`, and backends with a private cache directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use interop_protocol::{validate_value, LoadedManifest};
use interop_sandbox::{AuditTrail, HostFunctions, HostServices, MemorySink, Policy};
use interop_wasm::{WasmBackend, WasmPlugin};
use serde_json::Value;
use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The text of a test guest (`tests/guests/<name>`).
pub fn guest(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/guests")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A plugin directory holding `files` and a `plugin.json` from `manifest`.
pub struct PluginDir {
    pub dir: TempDir,
    pub loaded: LoadedManifest,
}

pub fn plugin_dir(manifest: Value, files: &[(&str, &[u8])]) -> PluginDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    std::fs::write(
        dir.path().join("plugin.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let parsed = validate_value(&manifest, Some(dir.path()))
        .unwrap_or_else(|problems| panic!("test manifest is invalid: {problems:?}"));
    let loaded = LoadedManifest {
        manifest: parsed,
        path: dir.path().join("plugin.json"),
        dir: dir.path().to_path_buf(),
    };
    PluginDir { dir, loaded }
}

/// What a test sees of a loaded plugin: the plugin, its log lines and its audit trail.
pub struct Loaded {
    pub plugin: WasmPlugin,
    pub sink: Arc<MemorySink>,
    pub audit: AuditTrail,
    pub dir: PluginDir,
}

/// A backend whose disk cache lives in a fresh temporary directory.
pub fn backend() -> (WasmBackend, TempDir) {
    let cache = tempfile::tempdir().unwrap();
    (
        WasmBackend::builder().cache_dir(cache.path()).build(),
        cache,
    )
}

pub fn load(backend: &WasmBackend, dir: PluginDir) -> Loaded {
    load_with(backend, dir, HostFunctions::new())
}

pub fn load_with(backend: &WasmBackend, dir: PluginDir, functions: HostFunctions) -> Loaded {
    let sink = Arc::new(MemorySink::new());
    let audit = AuditTrail::new();
    let services = HostServices::new(Policy::from_manifest(&dir.loaded).unwrap())
        .with_audit(audit.clone())
        .with_sink(sink.clone())
        .with_functions(Arc::new(functions));
    let plugin = backend
        .load_plugin(&dir.loaded, services)
        .unwrap_or_else(|e| panic!("load failed: {e}"));
    Loaded {
        plugin,
        sink,
        audit,
        dir,
    }
}

/// A plugin `guest` whose module is the WAT text `wat`, with one action per name in
/// `actions` and the manifest's `limits` and `permissions`.
pub fn wat_dir(wat: &str, actions: &[&str], limits: Value, permissions: Value) -> PluginDir {
    let actions: Vec<Value> = actions
        .iter()
        .map(|a| serde_json::json!({"name": a}))
        .collect();
    plugin_dir(
        serde_json::json!({
            "name": "guest", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "guest.wat"},
            "actions": actions,
            "limits": limits,
            "permissions": permissions
        }),
        &[("guest.wat", wat.as_bytes())],
    )
}

/// Loads `dir` with plain services, returning the load error instead of panicking.
pub fn try_load(
    backend: &WasmBackend,
    dir: &PluginDir,
) -> Result<WasmPlugin, interop_protocol::PluginError> {
    let services = HostServices::new(Policy::from_manifest(&dir.loaded).unwrap());
    backend.load_plugin(&dir.loaded, services)
}
