//! The host's lifecycle, with a plugin backend written in Rust in this file: a real
//! (if small) backend, loaded through manifests like any other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use interop_host::{
    ActionInvoke, ActionResult, Backend, ErrorKind, HookEvent, Host, HostError, HostServices,
    LoadedManifest, Manifest, Plugin, PluginError, Protocol, ProviderGet, ProviderResult,
};
use serde_json::{json, Value};

/// Runs "plugins" whose actions are Rust code reaching the host only through services.
struct RustBackend;

struct RustPlugin {
    manifest: Manifest,
    services: HostServices,
    unloaded: AtomicBool,
}

impl Backend for RustBackend {
    fn protocol(&self) -> Protocol {
        Protocol::Subprocess
    }
    fn load(
        &self,
        m: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError> {
        Ok(Box::new(RustPlugin {
            manifest: m.manifest.clone(),
            services,
            unloaded: AtomicBool::new(false),
        }))
    }
}

impl Plugin for RustPlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }
    fn invoke(&self, req: &ActionInvoke) -> Result<ActionResult, PluginError> {
        if self.unloaded.load(Ordering::SeqCst) {
            return Err(interop_protocol::plugin::unloaded(&self.manifest));
        }
        match req.action.as_str() {
            "greet" => Ok(ActionResult::text(format!(
                "Hello, {}!",
                req.input.as_str().unwrap_or("?")
            ))),
            "read" => {
                let path = req.input.as_str().unwrap_or_default();
                Ok(ActionResult::text(self.services.read_text(path)?))
            }
            "app" => Ok(ActionResult::data(
                self.services.call("app.version", Value::Null)?,
            )),
            other => Err(interop_protocol::plugin::unknown_action(
                &self.manifest,
                other,
            )),
        }
    }
    fn get_provider(&self, req: &ProviderGet) -> Result<ProviderResult, PluginError> {
        Ok(ProviderResult::from_reply(json!(format!(
            "provided {}",
            req.provider
        ))))
    }
    fn on_event(&self, e: &HookEvent) -> Result<Value, PluginError> {
        Ok(json!([format!("{} saw {}", self.manifest.name, e.event)]))
    }
    fn unload(&self) -> Result<(), PluginError> {
        self.unloaded.store(true, Ordering::SeqCst);
        Ok(())
    }
}

fn write_manifest(dir: &std::path::Path, name: &str, hooks: Value) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join(name).join("data")).unwrap();
    std::fs::write(dir.join(name).join("data/hello.txt"), "from disk").unwrap();
    let path = dir.join(name).join("plugin.json");
    let manifest = json!({
        "name": name, "version": "1.0.0",
        "interop": {"protocol": "subprocess", "command": "unused"},
        "actions": [
            {"name": "greet", "inputSchema": {"type": "string", "minLength": 1}},
            {"name": "read"}, {"name": "app"}
        ],
        "hooks": hooks,
        "permissions": {"fs": [{"path": "data"}]}
    });
    std::fs::write(&path, manifest.to_string()).unwrap();
    path
}

fn host() -> Host {
    let mut host = Host::without_backends();
    host.register_backend(Arc::new(RustBackend));
    host.set_grants(interop_host::Grants::default().allow_function("app.*"));
    host.register_function("app.version", |_, _| Ok(json!("1.0.0")));
    host
}

#[test]
fn a_manifest_is_loaded_by_the_backend_of_its_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let plugin = host
        .load(write_manifest(dir.path(), "a", json!([])))
        .unwrap();
    assert_eq!(plugin.name(), "a");
    assert_eq!(
        host.invoke("a", "greet", json!("World"))
            .unwrap()
            .text
            .as_deref(),
        Some("Hello, World!")
    );
    assert_eq!(
        host.get_provider("a", "time").unwrap().text.as_deref(),
        Some("provided time")
    );
    assert_eq!(
        host.invoke("a", "app", Value::Null).unwrap().data,
        Some(json!("1.0.0"))
    );
    let err = host.invoke("a", "fly", Value::Null).unwrap_err();
    assert!(
        matches!(err, HostError::Plugin(ref e) if e.kind == ErrorKind::NotFound),
        "{err}"
    );
}

fn assert_refused_by_the_schema(err: HostError) {
    let HostError::Plugin(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert!(
        err.message
            .contains("action `greet`: input does not match its inputSchema"),
        "{err}"
    );
}

#[test]
fn input_is_checked_against_the_action_input_schema() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    host.load(write_manifest(dir.path(), "a", json!([])))
        .unwrap();
    let err = host.invoke("a", "greet", json!(42)).unwrap_err();
    assert_refused_by_the_schema(err);
    assert_eq!(
        host.invoke("a", "greet", json!("x"))
            .unwrap()
            .text
            .as_deref(),
        Some("Hello, x!")
    );
}

/// `Host::invoke_raw` holds JSON text to the same schema as `invoke`, and counts in the
/// plugin's metrics the same way.
#[test]
fn json_text_input_is_checked_against_the_input_schema_too() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    host.load(write_manifest(dir.path(), "a", json!([])))
        .unwrap();
    let text = |t: &str| interop_host::RawValue::from_string(t.to_owned()).unwrap();
    let err = host.invoke_raw("a", "greet", &text("42")).unwrap_err();
    assert_refused_by_the_schema(err);
    let ok = host.invoke_raw("a", "greet", &text(r#""x""#)).unwrap();
    assert_eq!(ok.text.as_deref(), Some("Hello, x!"));
    // An action without a schema takes any JSON text.
    let app = host.invoke_raw("a", "app", &text("[1, 2]")).unwrap();
    assert_eq!(app.data.unwrap().get(), r#""1.0.0""#);
    let metrics = host.metrics("a").unwrap();
    assert_eq!(metrics.calls, 3);
    assert_eq!(metrics.errors.get("invalid_input"), Some(&1));
}

#[test]
fn a_protocol_without_a_backend_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let Err(err) = Host::without_backends().load(write_manifest(dir.path(), "a", json!([]))) else {
        panic!("loaded without a backend")
    };
    assert_eq!(
        err.to_string(),
        "plugin `a`: no `subprocess` backend in this build (enable the `interop-host` feature `subprocess`)"
    );
}

#[test]
fn plugins_get_their_own_policy_and_the_shared_audit_trail() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    host.load(write_manifest(dir.path(), "a", json!([])))
        .unwrap();
    assert_eq!(
        host.invoke("a", "read", json!("data/hello.txt"))
            .unwrap()
            .text
            .as_deref(),
        Some("from disk")
    );
    let err = host.invoke("a", "read", json!("plugin.json")).unwrap_err();
    assert!(
        matches!(err, HostError::Plugin(ref e) if e.kind == ErrorKind::Denied),
        "{err}"
    );
    let denied = host.audit().denied();
    assert_eq!(denied.len(), 1);
    assert_eq!(
        (denied[0].plugin.as_str(), denied[0].function.as_str()),
        ("a", "fs.readFile")
    );
}

#[test]
fn events_reach_only_plugins_with_a_hook_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    host.load(write_manifest(
        dir.path(),
        "a",
        json!([{"event": "config.reload", "handler": "on_reload"}]),
    ))
    .unwrap();
    host.load(write_manifest(dir.path(), "b", json!([])))
        .unwrap();
    let outcomes = host.emit("config.reload", json!({}));
    assert_eq!(outcomes.keys().collect::<Vec<_>>(), ["a"]);
    assert_eq!(
        outcomes["a"].as_ref().unwrap(),
        &json!(["a saw config.reload"])
    );
}

#[test]
fn names_are_unique_and_unload_forgets_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let path = write_manifest(dir.path(), "a", json!([]));
    let plugin = host.load(&path).unwrap();
    assert!(matches!(host.load(&path), Err(HostError::AlreadyLoaded(n)) if n == "a"));
    host.unload("a").unwrap();
    assert!(matches!(
        host.invoke("a", "greet", Value::Null),
        Err(HostError::NotLoaded(_))
    ));
    assert_eq!(
        plugin
            .invoke(&ActionInvoke::new("greet", Value::Null))
            .unwrap_err()
            .kind,
        ErrorKind::NotFound
    );
    host.load(&path).unwrap();
    assert!(host.close_all().is_empty());
    assert!(host.plugin_names().is_empty());
}

#[test]
fn discover_reports_every_manifest_even_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "good", json!([]));
    std::fs::create_dir(dir.path().join("broken")).unwrap();
    std::fs::write(dir.path().join("broken/plugin.json"), "{").unwrap();
    let found = interop_host::discover(dir.path());
    assert_eq!(found.len(), 2);
    assert!(found[0].1.is_err() && found[1].1.is_ok());
}

#[test]
fn a_builtin_plugin_is_held_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let host = host();
    let loaded =
        interop_protocol::load_manifest(write_manifest(dir.path(), "builtin", json!([]))).unwrap();
    let services = host.services_for(&loaded).unwrap();
    let plugin = RustBackend.load(&loaded, services).unwrap();
    host.register_builtin(Arc::from(plugin)).unwrap();
    assert_eq!(
        host.invoke("builtin", "greet", json!("you"))
            .unwrap()
            .text
            .as_deref(),
        Some("Hello, you!")
    );
    let again = RustBackend
        .load(&loaded, host.services_for(&loaded).unwrap())
        .unwrap();
    assert!(matches!(
        host.register_builtin(Arc::from(again)),
        Err(HostError::AlreadyLoaded(_))
    ));
}

#[test]
fn load_dir_loads_every_plugin_and_reports_the_broken_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_manifest(dir.path(), "one", json!([]));
    write_manifest(dir.path(), "two", json!([]));
    std::fs::create_dir(dir.path().join("three")).unwrap();
    std::fs::write(dir.path().join("three/plugin.json"), r#"{"name": "three"}"#).unwrap();
    let host = host();
    let outcomes = host.load_dir(dir.path());
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes[0].1.is_ok() && outcomes[2].1.is_ok());
    let Err(err) = &outcomes[1].1 else {
        panic!("three loaded")
    };
    assert!(err.to_string().contains("$.version: missing"), "{err}");
    assert_eq!(host.plugin_names(), ["one", "two"]);
}

#[test]
fn the_manifest_requests_and_the_host_grants() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/data")).unwrap();
    std::fs::write(dir.path().join("a/data/note.txt"), "in data").unwrap();
    let manifest = write_manifest(dir.path(), "a", json!([]));
    // Requested `data` (read) lies in the plugin's own directory: granted by default.
    let host = host();
    host.load(&manifest).unwrap();
    let read = host.invoke("a", "read", json!("data/note.txt")).unwrap();
    assert_eq!(read.text.as_deref(), Some("in data"));
    // With nothing granted, the same request is refused, naming the missing grant.
    let mut strict = host_with(interop_host::Grants::none());
    strict.grant("b", interop_host::Grants::default());
    strict.load(&manifest).unwrap();
    let Err(HostError::Plugin(err)) = strict.invoke("a", "read", json!("data/note.txt")) else {
        panic!("the read should be refused");
    };
    assert_eq!(err.kind, ErrorKind::Denied);
    assert!(
        err.message.contains("the manifest requests read access to")
            && err.message.contains("but the host has not granted it"),
        "{err}"
    );
    // A plugin's own grants replace the host-wide ones, for it alone.
    let mut per_plugin = host_with(interop_host::Grants::none());
    per_plugin.grant("a", interop_host::Grants::default());
    per_plugin.load(&manifest).unwrap();
    assert!(per_plugin
        .invoke("a", "read", json!("data/note.txt"))
        .is_ok());
}

fn host_with(grants: interop_host::Grants) -> Host {
    let mut host = host();
    host.set_grants(grants);
    host
}
