//! Helpers shared by the integration tests: loading the sample plugins of
//! `examples/plugins/` through the real backend.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use interop_js::{JsBackend, JsPlugin};
use interop_protocol::{load_manifest, LoadedManifest, PluginError};
use interop_sandbox::{HostServices, Policy};
use serde_json::{json, Value};

/// `examples/plugins/<name>`.
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins")
        .join(name)
}

/// A writer tests can read back.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

pub fn manifest(name: &str) -> LoadedManifest {
    load_manifest(sample(name).join("plugin.json")).expect("sample manifest")
}

/// Services granting the plugin what its manifest requests, with its manifest's config:
/// the one place tests get their permissions from.
pub fn trusting_services(loaded: &LoadedManifest) -> HostServices {
    HostServices::new(Policy::from_manifest(loaded).expect("policy"))
        .with_config(loaded.manifest.config.clone())
}

/// Loads sample `name` with its own policy; returns the plugin, its services and what its
/// `log()` printed.
pub fn load(name: &str) -> (JsPlugin, HostServices, Captured) {
    let loaded = manifest(name);
    let services = trusting_services(&loaded);
    let out = Captured::default();
    let backend = JsBackend::new().with_log_writer(Arc::new(Mutex::new(out.clone())));
    let plugin = backend
        .load_plugin(&loaded, services.clone())
        .expect("load sample plugin");
    (plugin, services, out)
}

/// A plugin in a fresh directory: `script` as `plugin.js`, and a manifest naming it with
/// the keys of `manifest` (`actions`, `limits`, `permissions`...) added.
pub fn load_script(
    script: &str,
    manifest: Value,
) -> (Result<JsPlugin, PluginError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("plugin.js"), script).expect("script");
    let mut full = json!({
        "name": "test-plugin", "version": "0.1.0",
        "interop": { "protocol": "js", "scriptPath": "plugin.js" }
    });
    if let (Some(full), Value::Object(extra)) = (full.as_object_mut(), manifest) {
        full.extend(extra);
    }
    std::fs::write(dir.path().join("plugin.json"), full.to_string()).expect("manifest");
    let loaded = load_manifest(dir.path().join("plugin.json")).expect("valid manifest");
    let services = trusting_services(&loaded);
    (JsBackend::new().load_plugin(&loaded, services), dir)
}
