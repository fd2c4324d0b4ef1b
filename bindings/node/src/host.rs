//! `Host`: loads plugins and holds them, with the bridges its options configure.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{Object, PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use interop_protocol::{LoadedManifest, PluginError};

use crate::calls::{blocking, error_value, promise};
use crate::convert::to_json;
use crate::error::to_js;
use crate::functions::{self, JsFunction};
use crate::locate;
use crate::options::HostOptions;
use crate::plugin::Plugin;

/// A plugin host: what it grants plugins, and the plugins it loaded.
#[napi]
pub struct Host {
    pub(crate) inner: Arc<interop_host::Host>,
    plugin_dirs: Vec<PathBuf>,
    call_timeout: Duration,
}

#[napi]
impl Host {
    /// A host granting what `options` say (by default: each plugin may read what it
    /// requests inside its own directory, and nothing else; 64 MiB and 10 s per call).
    #[napi(constructor)]
    pub fn new(env: Env, options: Option<HostOptions>) -> napi::Result<Self> {
        Self::build(options).map_err(|e| to_js(&env, &e))
    }

    /// Loads the plugin described by a `plugin.json` (or a plugin directory), whatever
    /// its protocol.
    #[napi(ts_return_type = "Promise<Plugin>")]
    pub fn load<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, Plugin>> {
        self.start(env, move || locate::manifest(&path))
    }

    /// `load` by another name, for any protocol.
    #[napi(ts_return_type = "Promise<Plugin>")]
    pub fn load_plugin<'env>(
        &self,
        env: &'env Env,
        manifest_path: String,
    ) -> napi::Result<PromiseRaw<'env, Plugin>> {
        self.load(env, manifest_path)
    }

    /// Loads a wasm plugin: its `.wasm` (or `.wat`) module, described by a `plugin.json`
    /// next to it or up to two directories above; or its directory or manifest.
    #[napi(ts_return_type = "Promise<Plugin>")]
    pub fn load_wasm_plugin<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, Plugin>> {
        self.start(env, move || locate::wasm(&path))
    }

    /// Loads a Python plugin: its directory, manifest or script, or its name, found in the
    /// `pluginDirs` of the options (`my_python_plugin` also finds `my-python-plugin`).
    #[napi(ts_return_type = "Promise<Plugin>")]
    pub fn load_python_plugin<'env>(
        &self,
        env: &'env Env,
        path_or_name: String,
    ) -> napi::Result<PromiseRaw<'env, Plugin>> {
        let dirs = self.plugin_dirs.clone();
        self.start(env, move || locate::python(&path_or_name, &dirs))
    }

    /// The loaded plugin named `name`.
    #[napi]
    pub fn get(&self, env: Env, name: String) -> napi::Result<Plugin> {
        match self.inner.get(&name) {
            Ok(plugin) => Ok(Plugin {
                host: self.inner.clone(),
                manifest: serde_json::to_value(plugin.manifest()).unwrap_or(Value::Null),
                name,
            }),
            Err(e) => Err(to_js(&env, &crate::error::from_host(e))),
        }
    }

    /// The names of the loaded plugins, sorted.
    #[napi]
    pub fn plugins(&self) -> Vec<String> {
        self.inner.plugin_names()
    }

    /// Offers `fn` to plugins as the host function `name` (called from wasm with
    /// `ft_host_call`, from process plugins with `host.call`...). It gets the plugin's
    /// arguments and the plugin's name; what it returns (or its promise resolves to) is the
    /// plugin's answer; what it throws (or its promise rejects with) the plugin's error,
    /// with the `kind` of an `InteropError`. A function that does not answer within the
    /// call time limit fails the host call with `limit_exceeded`.
    #[napi(ts_args_type = "name: string, fn: (args: any, plugin: string) => unknown")]
    pub fn register_function(&self, name: String, function: JsFunction) {
        let wait = self.call_timeout;
        let registered = name.clone();
        self.inner
            .register_function(name, move |plugin: &str, args: Value| {
                functions::call(&function, &registered, plugin, args, wait)
            });
    }

    /// Delivers `event` to every plugin with a hook for it, concurrently. Resolves to each
    /// plugin's answer in `results`, and each failure, an `InteropError`, in `errors`:
    /// one plugin failing does not stop the others.
    #[napi(
        ts_args_type = "event: string, payload?: unknown",
        ts_return_type = "Promise<{ results: Record<string, unknown>, errors: Record<string, InteropError> }>"
    )]
    pub fn emit<'env>(
        &self,
        env: &'env Env,
        event: String,
        payload: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Object<'env>>> {
        let payload = match payload.map(to_json).transpose() {
            Ok(payload) => payload.unwrap_or(Value::Null),
            Err(e) => return Err(to_js(env, &e)),
        };
        let host = self.inner.clone();
        promise(
            env,
            async move { Ok(host.emit_async(&event, payload).await) },
            |env, outcomes| {
                let mut results = Object::new(env)?;
                let mut errors = Object::new(env)?;
                for (plugin, outcome) in outcomes {
                    match outcome {
                        Ok(value) => results.set(&plugin, value)?,
                        Err(e) => errors.set(&plugin, error_value(env, &e)?)?,
                    }
                }
                let mut out = Object::new(env)?;
                out.set("results", results)?;
                out.set("errors", errors)?;
                Ok(out)
            },
        )
    }

    /// Unloads the plugin named `name`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn unload<'env>(&self, env: &'env Env, name: String) -> napi::Result<PromiseRaw<'env, ()>> {
        let host = self.inner.clone();
        promise(env, blocking(move || host.unload(&name)), |_, ()| Ok(()))
    }

    /// Unloads every plugin. Resolves to the failures, by plugin name (empty when every
    /// plugin unloaded cleanly).
    #[napi]
    pub fn close_all<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, HashMap<String, String>>> {
        let host = self.inner.clone();
        promise(
            env,
            blocking(move || Ok(host.close_all())),
            |_, failures| {
                Ok(failures
                    .into_iter()
                    .map(|(plugin, e)| (plugin, e.to_string()))
                    .collect())
            },
        )
    }

    /// The host calls plugins made (the most recent ones), as JSON records
    /// `{tsMs, plugin, function, args, outcome, durationUs}`.
    #[napi(ts_return_type = "Array<Record<string, unknown>>")]
    pub fn audit(&self) -> Value {
        serde_json::to_value(self.inner.audit().events()).unwrap_or(Value::Null)
    }
}

impl Host {
    /// A host with the default options.
    pub(crate) fn with_defaults() -> Self {
        Self::assemble(
            interop_host::Host::new(),
            crate::options::default_grants(),
            None,
        )
    }

    /// A host from JavaScript options.
    fn build(options: Option<HostOptions>) -> Result<Self, PluginError> {
        let Some(mut options) = options else {
            return Ok(Self::with_defaults());
        };
        let grants = options.grants().map_err(PluginError::invalid_input)?;
        let mut inner = interop_host::Host::new();
        inner.set_concurrency(options.concurrency());
        if let Some(sink) = options.sink() {
            inner.set_sink(Arc::new(sink));
        }
        Ok(Self::assemble(inner, grants, options.plugin_dirs.take()))
    }

    fn assemble(
        mut inner: interop_host::Host,
        grants: interop_host::Grants,
        plugin_dirs: Option<Vec<String>>,
    ) -> Self {
        let call_timeout = grants.limits.timeout;
        inner.set_grants(grants);
        let plugin_dirs = plugin_dirs.map_or_else(
            || vec![PathBuf::from("plugins"), PathBuf::from(".")],
            |dirs| dirs.into_iter().map(PathBuf::from).collect(),
        );
        Host {
            inner: Arc::new(inner),
            plugin_dirs,
            call_timeout,
        }
    }

    /// Loads the plugin `find` locates, on the blocking pool.
    fn start<'env>(
        &self,
        env: &'env Env,
        find: impl FnOnce() -> Result<LoadedManifest, PluginError> + Send + 'static,
    ) -> napi::Result<PromiseRaw<'env, Plugin>> {
        let host = self.inner.clone();
        let loading = host.clone();
        promise(
            env,
            async move {
                tokio::task::spawn_blocking(move || {
                    let manifest = find()?;
                    let json = serde_json::to_value(&manifest.manifest).unwrap_or(Value::Null);
                    let plugin = loading
                        .load_manifest(manifest)
                        .map_err(crate::error::from_host)?;
                    Ok((plugin.name().to_owned(), json))
                })
                .await
                .map_err(|e| PluginError::internal(format!("the loading thread failed: {e}")))?
            },
            move |_, (name, manifest)| {
                Ok(Plugin {
                    host,
                    name,
                    manifest,
                })
            },
        )
    }
}
