//! The [`Host`]: backends by protocol, loaded plugins by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use interop_protocol::{
    load_manifest, ActionInvoke, ActionResult, HookEvent, LoadedManifest, ManifestError, Plugin,
    PluginError, Protocol, ProviderGet, ProviderResult,
};
use interop_sandbox::{
    AuditTrail, Backend, Grants, HostFunctions, HostServices, HostSink, TracingSink,
};

use crate::backends;
use crate::HostError;

/// The outcome of loading one plugin.
pub type LoadOutcome = Result<Arc<dyn Plugin>, HostError>;

/// Loads plugins and holds them, whatever their backend.
///
/// Loading and calling take `&self`: a host can be shared between threads (`Arc<Host>`),
/// and one plugin failing, hanging or crashing never affects the others.
///
/// A plugin's manifest only requests permissions; the host grants them
/// ([`set_grants`](Self::set_grants), [`grant`](Self::grant)). By default a plugin may
/// read what it requests inside its own directory and nothing else, with 64 MiB and 10 s
/// per call (see [`Grants`]).
pub struct Host {
    backends: BTreeMap<Protocol, Arc<dyn Backend>>,
    grants: Grants,
    plugin_grants: BTreeMap<String, Grants>,
    audit: AuditTrail,
    sink: Arc<dyn HostSink>,
    functions: Arc<HostFunctions>,
    plugins: RwLock<BTreeMap<String, Loaded>>,
    next_id: AtomicU64,
}

/// A loaded plugin and the compiled input schemas of its actions.
#[derive(Clone)]
struct Loaded {
    plugin: Arc<dyn Plugin>,
    inputs: Arc<BTreeMap<String, jsonschema::Validator>>,
}

impl Loaded {
    fn new(plugin: Arc<dyn Plugin>) -> Result<Self, PluginError> {
        let mut inputs = BTreeMap::new();
        for action in &plugin.manifest().actions {
            if let Some(schema) = &action.input_schema {
                let validator = jsonschema::validator_for(schema).map_err(|e| {
                    PluginError::invalid_input(format!(
                        "action `{}`: inputSchema is not a valid JSON Schema: {e}",
                        action.name
                    ))
                    .in_plugin(plugin.name())
                })?;
                inputs.insert(action.name.clone(), validator);
            }
        }
        Ok(Loaded {
            plugin,
            inputs: Arc::new(inputs),
        })
    }

    /// Checks `input` against the action's `inputSchema`, reporting every problem with
    /// its JSON pointer, before the plugin sees it.
    fn check_input(&self, action: &str, input: &Value) -> Result<(), PluginError> {
        let Some(validator) = self.inputs.get(action) else {
            return Ok(());
        };
        let problems: Vec<String> = validator
            .iter_errors(input)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!(
                    "{}: {e}",
                    if at.is_empty() {
                        "input".to_owned()
                    } else {
                        format!("input{at}")
                    }
                )
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        Err(PluginError::invalid_input(format!(
            "action `{action}`: input does not match its inputSchema: {}",
            problems.join("; ")
        ))
        .in_plugin(self.plugin.name()))
    }
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("backends", &self.backends.keys().collect::<Vec<_>>())
            .field("plugins", &self.plugin_names())
            .finish_non_exhaustive()
    }
}

impl Host {
    /// A host with every backend compiled into this build.
    pub fn new() -> Self {
        let mut host = Self::without_backends();
        for backend in backends::builtin() {
            host.register_backend(backend);
        }
        host
    }

    /// A host with no backend; add them with [`Host::register_backend`].
    pub fn without_backends() -> Self {
        Host {
            backends: BTreeMap::new(),
            grants: Grants::default(),
            plugin_grants: BTreeMap::new(),
            audit: AuditTrail::new(),
            sink: Arc::new(TracingSink),
            functions: Arc::new(HostFunctions::new()),
            plugins: RwLock::new(BTreeMap::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Serves `backend`'s protocol with it (replacing any backend of that protocol).
    pub fn register_backend(&mut self, backend: Arc<dyn Backend>) {
        self.backends.insert(backend.protocol(), backend);
    }

    /// The protocols this host can load.
    pub fn protocols(&self) -> Vec<Protocol> {
        self.backends.keys().copied().collect()
    }

    /// Offers a host function named `name` to plugins loaded from now on.
    pub fn register_function(
        &mut self,
        name: impl Into<String>,
        f: impl Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
    ) {
        Arc::make_mut(&mut self.functions).register(name, f);
    }

    /// Sends plugins' log lines and trace events to `sink` (default: `tracing`).
    pub fn set_sink(&mut self, sink: Arc<dyn HostSink>) {
        self.sink = sink;
    }

    /// The audit trail shared by every plugin of this host.
    pub fn audit(&self) -> &AuditTrail {
        &self.audit
    }

    /// Grants `grants` to every plugin loaded from now on that has no grants of its own.
    pub fn set_grants(&mut self, grants: Grants) {
        self.grants = grants;
    }

    /// Grants `grants` to the plugin named `plugin` (instead of the host-wide grants).
    pub fn grant(&mut self, plugin: impl Into<String>, grants: Grants) {
        self.plugin_grants.insert(plugin.into(), grants);
    }

    /// What every plugin without grants of its own is granted.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    /// What the plugin named `plugin` is granted.
    pub fn grants_for(&self, plugin: &str) -> &Grants {
        self.plugin_grants.get(plugin).unwrap_or(&self.grants)
    }

    /// The host services a plugin loaded from `manifest` gets: its requests intersected
    /// with its grants.
    pub fn services_for(&self, manifest: &LoadedManifest) -> Result<HostServices, HostError> {
        let policy = self.grants_for(manifest.name()).policy_for(manifest)?;
        Ok(HostServices::new(policy)
            .with_audit(self.audit.clone())
            .with_sink(self.sink.clone())
            .with_functions(self.functions.clone()))
    }

    /// Loads the plugin described by the manifest at `path`.
    pub fn load(&self, path: impl AsRef<Path>) -> Result<Arc<dyn Plugin>, HostError> {
        self.load_manifest(load_manifest(path)?)
    }

    /// Loads the plugin an already validated manifest describes.
    pub fn load_manifest(&self, manifest: LoadedManifest) -> Result<Arc<dyn Plugin>, HostError> {
        let name = manifest.name().to_owned();
        if self.read().contains_key(&name) {
            return Err(HostError::AlreadyLoaded(name));
        }
        let protocol = manifest.manifest.interop.protocol();
        let backend = self
            .backends
            .get(&protocol)
            .ok_or_else(|| HostError::NoBackend {
                plugin: name.clone(),
                protocol,
            })?;
        let services = self.services_for(&manifest)?;
        tracing::info!(target: "interop::host", plugin = %name, %protocol, path = %manifest.path.display(), "loading plugin");
        let plugin: Arc<dyn Plugin> = Arc::from(backend.load(&manifest, services)?);
        let loaded = match Loaded::new(plugin.clone()) {
            Ok(l) => l,
            Err(e) => {
                let _ = plugin.unload();
                return Err(e.into());
            }
        };
        let mut plugins = self.write();
        if plugins.contains_key(&name) {
            // Lost a race with another thread loading the same name.
            let _ = plugin.unload();
            return Err(HostError::AlreadyLoaded(name));
        }
        plugins.insert(name, loaded);
        Ok(plugin)
    }

    /// Adds a plugin the application built itself (any [`Plugin`] implementation, such
    /// as one written in Rust), under its manifest's name: seed 000's `register_builtin`.
    pub fn register_builtin(&self, plugin: Arc<dyn Plugin>) -> Result<(), HostError> {
        let name = plugin.name().to_owned();
        let loaded = Loaded::new(plugin)?;
        let mut plugins = self.write();
        if plugins.contains_key(&name) {
            return Err(HostError::AlreadyLoaded(name));
        }
        plugins.insert(name, loaded);
        Ok(())
    }

    /// Loads every plugin of a plugins directory (`dir/*/plugin.json`, see [`discover`]),
    /// each on its own: one broken or failing plugin does not stop the others. Returns each
    /// manifest's outcome, sorted by path.
    pub fn load_dir(&self, dir: impl AsRef<Path>) -> Vec<(PathBuf, LoadOutcome)> {
        discover(dir)
            .into_iter()
            .map(|(path, manifest)| {
                let outcome = manifest
                    .map_err(HostError::from)
                    .and_then(|m| self.load_manifest(m));
                (path, outcome)
            })
            .collect()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Loaded>> {
        self.plugins.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Loaded>> {
        self.plugins.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The loaded plugin named `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Plugin>, HostError> {
        self.loaded(name).map(|l| l.plugin)
    }

    fn loaded(&self, name: &str) -> Result<Loaded, HostError> {
        self.read()
            .get(name)
            .cloned()
            .ok_or_else(|| HostError::NotLoaded(name.to_owned()))
    }

    /// The names of the loaded plugins, sorted.
    pub fn plugin_names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    fn next_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }

    /// Runs `action` of `plugin` with `input`. When the action declares an
    /// `inputSchema`, the input is checked against it first (an `invalid_input` error).
    pub fn invoke(
        &self,
        plugin: &str,
        action: &str,
        input: Value,
    ) -> Result<ActionResult, HostError> {
        let mut request = ActionInvoke::new(action, input);
        request.id = self.next_id();
        self.invoke_request(plugin, &request)
    }

    /// Runs a full `action.invoke` request (with memory, state and options).
    pub fn invoke_request(
        &self,
        plugin: &str,
        request: &ActionInvoke,
    ) -> Result<ActionResult, HostError> {
        let loaded = self.loaded(plugin)?;
        loaded.check_input(&request.action, &request.input)?;
        Ok(loaded.plugin.invoke(request)?)
    }

    /// Asks `plugin` for its provider `provider`.
    pub fn get_provider(&self, plugin: &str, provider: &str) -> Result<ProviderResult, HostError> {
        let mut request = ProviderGet::new(provider);
        request.id = self.next_id();
        Ok(self.get(plugin)?.get_provider(&request)?)
    }

    /// Delivers `event` to every loaded plugin that declares a hook for it, and returns
    /// each one's outcome by plugin name. One plugin failing does not stop the others.
    pub fn emit(
        &self,
        event: &str,
        payload: Value,
    ) -> BTreeMap<String, Result<Value, PluginError>> {
        let targets: Vec<Arc<dyn Plugin>> = self
            .read()
            .values()
            .filter(|l| l.plugin.manifest().hooks_for(event).next().is_some())
            .map(|l| l.plugin.clone())
            .collect();
        let mut out = BTreeMap::new();
        for plugin in targets {
            let mut e = HookEvent::new(event, payload.clone());
            e.id = self.next_id();
            out.insert(plugin.name().to_owned(), plugin.on_event(&e));
        }
        out
    }

    /// Unloads `plugin` and forgets it.
    pub fn unload(&self, plugin: &str) -> Result<(), HostError> {
        let removed = self
            .write()
            .remove(plugin)
            .ok_or_else(|| HostError::NotLoaded(plugin.to_owned()))?;
        Ok(removed.plugin.unload()?)
    }

    /// Unloads every plugin; returns the failures by plugin name.
    pub fn close_all(&self) -> BTreeMap<String, PluginError> {
        let all: Vec<(String, Loaded)> = std::mem::take(&mut *self.write()).into_iter().collect();
        all.into_iter()
            .filter_map(|(name, l)| l.plugin.unload().err().map(|e| (name, e)))
            .collect()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        for (name, err) in self.close_all() {
            tracing::warn!(target: "interop::host", plugin = %name, "unload failed: {err}");
        }
    }
}

/// Finds the manifests of a plugins directory: `dir/*/plugin.json` (and `dir/plugin.json`
/// itself), sorted by path, each loaded and validated on its own so that one broken
/// manifest does not hide the others.
pub fn discover(dir: impl AsRef<Path>) -> Vec<(PathBuf, Result<LoadedManifest, ManifestError>)> {
    let dir = dir.as_ref();
    let mut paths = Vec::new();
    if dir.join("plugin.json").is_file() {
        paths.push(dir.join("plugin.json"));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let candidate = entry.path().join("plugin.json");
            if candidate.is_file() {
                paths.push(candidate);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.clone(), load_manifest(&p)))
        .collect()
}
