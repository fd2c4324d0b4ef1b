//! The [`Host`]: backends by protocol, what it grants, and the loaded plugins by name.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde_json::Value;

use interop_protocol::{
    effective_config, load_manifest, Config, LoadedManifest, Plugin, PluginError, Protocol,
};
use interop_sandbox::{
    AuditTrail, Backend, Grants, HostFunctions, HostServices, HostSink, TracingSink,
};

use crate::async_calls::{Concurrency, Limiter};
use crate::entry::Entry;
use crate::metrics::PluginMetrics;
use crate::reload::Subscribers;
use crate::{backends, discover, HostError};

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
    plugin_config: BTreeMap<String, Config>,
    audit: AuditTrail,
    sink: Arc<dyn HostSink>,
    functions: Arc<HostFunctions>,
    pub(crate) concurrency: Concurrency,
    pub(crate) subscribers: Subscribers,
    plugins: RwLock<BTreeMap<String, Entry>>,
    next_id: AtomicU64,
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
            plugin_config: BTreeMap::new(),
            audit: AuditTrail::new(),
            sink: Arc::new(TracingSink),
            functions: Arc::new(HostFunctions::new()),
            concurrency: Concurrency::default(),
            subscribers: Subscribers::default(),
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

    /// Offers the application's function `name`, working on JSON, to every plugin the
    /// host grants it to ([`Grants::allow_function`]); plugins already loaded see it at
    /// once. It gets the calling plugin's name and its JSON arguments.
    pub fn register_function(
        &self,
        name: impl Into<String>,
        f: impl Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
    ) {
        self.functions.register(name, f);
    }

    /// Offers the application's function `name`, working on Rust types, to every plugin
    /// the host grants it to; a plugin passing arguments that do not deserialize into `A`
    /// gets an `invalid_input` error saying so.
    ///
    /// ```
    /// # let host = interop_host::Host::without_backends();
    /// #[derive(serde::Deserialize)]
    /// struct Order { item: String, quantity: u32 }
    /// host.register("shop.order", |order: Order| {
    ///     Ok(format!("{} x {}", order.quantity, order.item))
    /// });
    /// ```
    pub fn register<A, R>(
        &self,
        name: impl Into<String>,
        f: impl Fn(A) -> Result<R, PluginError> + Send + Sync + 'static,
    ) where
        A: serde::de::DeserializeOwned,
        R: serde::Serialize,
    {
        self.functions.register_typed(name, f);
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

    /// Sets the configuration key `key` of the plugin named `plugin` to `value`, over what
    /// its manifest's `config` says, for every load (and reload) from now on. The result
    /// is checked against the manifest's `configSchema` when the plugin is loaded.
    pub fn set_config(&mut self, plugin: impl Into<String>, key: impl Into<String>, value: Value) {
        self.plugin_config
            .entry(plugin.into())
            .or_default()
            .insert(key.into(), value);
    }

    /// The configuration keys the host sets for the plugin named `plugin` (over its
    /// manifest's `config`).
    pub fn config_overrides(&self, plugin: &str) -> Config {
        self.plugin_config.get(plugin).cloned().unwrap_or_default()
    }

    /// The host services a plugin loaded from `manifest` gets: its requests intersected
    /// with its grants, and its configuration (the manifest's `config` with the host's
    /// overrides, checked against its `configSchema`).
    pub fn services_for(&self, manifest: &LoadedManifest) -> Result<HostServices, HostError> {
        let policy = self.grants_for(manifest.name()).policy_for(manifest)?;
        let config = effective_config(&manifest.manifest, &self.config_overrides(manifest.name()))?;
        Ok(HostServices::new(policy)
            .with_audit(self.audit.clone())
            .with_sink(self.sink.clone())
            .with_functions(self.functions.clone())
            .with_config(config))
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
        let plugin = self.start(&manifest)?;
        let entry = Entry::new(
            plugin.clone(),
            Some(manifest),
            Limiter::new(self.concurrency.for_plugin(plugin.as_ref())),
        )
        .inspect_err(|_| {
            let _ = plugin.unload();
        })?;
        self.insert(name, entry)?;
        Ok(plugin)
    }

    /// Loads the plugin `manifest` describes through the backend of its protocol, under
    /// its grants, without adding it to the table.
    pub(crate) fn start(&self, manifest: &LoadedManifest) -> Result<Arc<dyn Plugin>, HostError> {
        let name = manifest.name();
        let protocol = manifest.manifest.interop.protocol();
        let backend = self
            .backends
            .get(&protocol)
            .ok_or_else(|| HostError::NoBackend {
                plugin: name.to_owned(),
                protocol,
            })?;
        let services = self.services_for(manifest)?;
        tracing::info!(target: "interop::host", plugin = %name, %protocol, path = %manifest.path.display(), "loading plugin");
        Ok(Arc::from(backend.load(manifest, services)?))
    }

    fn insert(&self, name: String, entry: Entry) -> Result<(), HostError> {
        let mut plugins = self.write();
        if plugins.contains_key(&name) {
            // Lost a race with another thread loading the same name.
            let _ = entry.plugin.unload();
            return Err(HostError::AlreadyLoaded(name));
        }
        plugins.insert(name, entry);
        Ok(())
    }

    /// Adds a plugin the application built itself (any [`Plugin`] implementation, such
    /// as one written in Rust) under its manifest's name, to be called like any other.
    pub fn register_builtin(&self, plugin: Arc<dyn Plugin>) -> Result<(), HostError> {
        let name = plugin.name().to_owned();
        let limiter = Limiter::new(self.concurrency.for_plugin(plugin.as_ref()));
        let entry = Entry::new(plugin, None, limiter)?;
        self.insert(name, entry)
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

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        self.plugins.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        self.plugins.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The loaded plugin named `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Plugin>, HostError> {
        self.entry(name).map(|e| e.plugin)
    }

    pub(crate) fn entry(&self, name: &str) -> Result<Entry, HostError> {
        self.read()
            .get(name)
            .cloned()
            .ok_or_else(|| HostError::NotLoaded(name.to_owned()))
    }

    /// Every entry, by name (a snapshot: calls run on it without holding the table).
    pub(crate) fn entries(&self) -> Vec<(String, Entry)> {
        self.read()
            .iter()
            .map(|(name, entry)| (name.clone(), entry.clone()))
            .collect()
    }

    /// What the plugin named `name` has done since it was loaded.
    pub fn metrics(&self, name: &str) -> Result<PluginMetrics, HostError> {
        let entry = self.entry(name)?;
        Ok(entry.recorder.snapshot(name, entry.plugin.memory_bytes()))
    }

    /// The metrics of every loaded plugin, by name.
    pub fn all_metrics(&self) -> Vec<PluginMetrics> {
        self.entries()
            .into_iter()
            .map(|(name, e)| e.recorder.snapshot(&name, e.plugin.memory_bytes()))
            .collect()
    }

    /// The names of the loaded plugins, sorted.
    pub fn plugin_names(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    pub(crate) fn next_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
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
        let all: Vec<(String, Entry)> = std::mem::take(&mut *self.write()).into_iter().collect();
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
