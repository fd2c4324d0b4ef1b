//! Reloading plugins: on request ([`Host::reload`]) or when their files change
//! ([`Host::watch`]).
//!
//! A reload loads the new version beside the old one and swaps them in the plugin table
//! at once. Calls already running finish on the old version (each call holds its own
//! reference; the old version is released when the last of them ends); calls made after
//! the swap reach the new one. When the new version fails to load or validate, the old
//! one keeps serving and the failure is returned and published as a [`HostEvent`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};
use serde::Serialize;

use interop_protocol::{load_manifest, Interop, LoadedManifest, Plugin};

use crate::{Host, HostError};

/// Something that happened to the host's plugins, for subscribers ([`Host::subscribe`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum HostEvent {
    /// A new version of a plugin replaced the old one.
    #[serde(rename_all = "camelCase")]
    Reloaded {
        /// The plugin.
        plugin: String,
        /// Its new version.
        version: String,
    },
    /// A new version failed to load; the old one keeps serving.
    #[serde(rename_all = "camelCase")]
    ReloadFailed {
        /// The plugin.
        plugin: String,
        /// Why, for people.
        error: String,
    },
}

/// The subscribers of a host's events.
#[derive(Default)]
pub(crate) struct Subscribers(Mutex<Vec<Sender<HostEvent>>>);

impl Subscribers {
    fn publish(&self, event: HostEvent) {
        let mut subscribers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // A subscriber that dropped its receiver is forgotten.
        subscribers.retain(|s| s.send(event.clone()).is_ok());
    }
}

impl Host {
    /// Events about the host's plugins from now on (reloads and failed reloads).
    pub fn subscribe(&self) -> Receiver<HostEvent> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.subscribers
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Loads the plugin `name` again from its manifest (which may have changed, but must
    /// keep the name) and swaps it in; see the module docs. The plugin's metrics carry on.
    pub fn reload(&self, name: &str) -> Result<Arc<dyn Plugin>, HostError> {
        let outcome = self.replace(name);
        match &outcome {
            Ok(plugin) => {
                tracing::info!(target: "interop::host", plugin = %name, version = %plugin.manifest().version, "reloaded");
                self.subscribers.publish(HostEvent::Reloaded {
                    plugin: name.to_owned(),
                    version: plugin.manifest().version.clone(),
                });
            }
            Err(e) => {
                tracing::warn!(target: "interop::host", plugin = %name, "reload failed, the loaded version keeps serving: {e}");
                self.subscribers.publish(HostEvent::ReloadFailed {
                    plugin: name.to_owned(),
                    error: e.to_string(),
                });
            }
        }
        outcome
    }

    fn replace(&self, name: &str) -> Result<Arc<dyn Plugin>, HostError> {
        let old = self.entry(name)?;
        let source = old
            .source
            .as_ref()
            .ok_or_else(|| HostError::NotReloadable(name.to_owned()))?;
        let manifest = load_manifest(&source.path)?;
        if manifest.name() != name {
            return Err(HostError::Renamed {
                from: name.to_owned(),
                to: manifest.name().to_owned(),
            });
        }
        let plugin = self.start(&manifest)?;
        let release = |plugin: &Arc<dyn Plugin>| {
            let _ = plugin.unload();
        };
        let entry = old
            .succeed(plugin.clone(), manifest)
            .inspect_err(|_| release(&plugin))?;
        let mut table = self.write();
        match table.get(name) {
            Some(current) if Arc::ptr_eq(&current.plugin, &old.plugin) => {
                table.insert(name.to_owned(), entry);
                Ok(plugin)
            }
            // Unloaded or replaced by another thread meanwhile: that change stands.
            _ => {
                drop(table);
                release(&plugin);
                Err(HostError::NotLoaded(name.to_owned()))
            }
        }
    }

    /// Reloads each plugin loaded now from a manifest when its `plugin.json`, the file
    /// its `interop` section names (module, script, library) or, for a process plugin,
    /// an argument of its command that is a file (its script) changes on disk, until the
    /// returned [`Watcher`] is dropped. Changes are debounced (200 ms). Outcomes are
    /// published as [`HostEvent`]s, one per attempt: a file caught half-written (written
    /// in place rather than renamed into place) gives a `ReloadFailed` that the write's
    /// next change event follows with the real outcome; the running version keeps serving.
    pub fn watch(self: &Arc<Self>) -> Result<Watcher, HostError> {
        let mut files: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
        for (name, entry) in self.entries() {
            let Some(source) = &entry.source else {
                continue;
            };
            let mut watched = vec![source.path.clone()];
            watched.extend(
                source
                    .manifest
                    .interop
                    .paths()
                    .into_iter()
                    .map(|(_, p)| source.resolve(p)),
            );
            watched.extend(process_scripts(source));
            for file in watched {
                let file = std::path::absolute(&file).unwrap_or(file);
                files.entry(file).or_default().insert(name.clone());
            }
        }
        let host: Weak<Host> = Arc::downgrade(self);
        let by_file = files.clone();
        let mut debouncer = new_debouncer(
            Duration::from_millis(200),
            move |result: DebounceEventResult| {
                let Ok(events) = result else {
                    return;
                };
                let Some(host) = host.upgrade() else {
                    return;
                };
                let changed: BTreeSet<&String> = events
                    .iter()
                    .filter_map(|e| by_file.get(&e.path))
                    .flatten()
                    .collect();
                for name in changed {
                    let _ = host.reload(name);
                }
            },
        )
        .map_err(|e| HostError::Watch(e.to_string()))?;
        let dirs: BTreeSet<PathBuf> = files
            .keys()
            .filter_map(|f| f.parent().map(PathBuf::from))
            .collect();
        for dir in dirs {
            debouncer
                .watcher()
                .watch(&dir, RecursiveMode::NonRecursive)
                .map_err(|e| HostError::Watch(format!("{}: {e}", dir.display())))?;
        }
        Ok(Watcher {
            _debouncer: debouncer,
            files: files.into_keys().collect(),
        })
    }
}

/// The arguments of a process plugin's command that are files (`python3 greeter.py`):
/// its script, whose change should reload it as a module's change does.
fn process_scripts(source: &LoadedManifest) -> Vec<PathBuf> {
    let args = match &source.manifest.interop {
        Interop::Ipc(ipc) => &ipc.args,
        Interop::Subprocess(process) => &process.args,
        _ => return Vec::new(),
    };
    args.iter()
        .map(|arg| source.resolve(arg))
        .filter(|path| path.is_file())
        .collect()
}

/// Watches plugin files for [`Host::watch`]; stops when dropped.
pub struct Watcher {
    _debouncer: Debouncer<RecommendedWatcher>,
    files: Vec<PathBuf>,
}

impl Watcher {
    /// The files watched.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("files", &self.files)
            .finish()
    }
}
