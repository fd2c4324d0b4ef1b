//! The `js` protocol: [`JsBackend`] loads a manifest's `scriptPath` into its own
//! [`Runtime`], and the resulting plugin calls methods of the script's global `plugin`
//! object for actions, providers and hooks.

use std::path::Path;
use std::sync::Arc;

use interop_protocol::dispatch::{HandlerCall, Handlers};
use interop_protocol::files::read_regular;
use interop_protocol::{
    plugin::unloaded, Interop, LoadedManifest, Manifest, Plugin, PluginError, RawValue,
};
use interop_sandbox::{Backend, HostServices};
use serde_json::Value;

use crate::host_api::{bind_host, bind_plugin_manager_globals, LogWriter};
use crate::{Error, Runtime, RuntimeConfig};

/// Loads `protocol: "js"` plugins, each into its own V8 isolate.
///
/// Besides the global `host` object (the sandbox's host API), every plugin gets the jsrun
/// plugin manager's host API, for compatibility: `log(message)`, which prints `[LOG] message` (to stdout unless
/// [`with_log_writer`](Self::with_log_writer) says otherwise) and logs it through the
/// host, and the global `config` object: the plugin's configuration (its manifest's
/// `config` with the host's overrides).
#[derive(Clone)]
pub struct JsBackend {
    log_out: LogWriter,
}

impl std::fmt::Debug for JsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsBackend").finish_non_exhaustive()
    }
}

impl Default for JsBackend {
    fn default() -> Self {
        JsBackend {
            log_out: Arc::new(std::sync::Mutex::new(std::io::stdout())),
        }
    }
}

impl JsBackend {
    /// The backend with `log` to stdout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends the `[LOG] ...` lines of `log(message)` to `out`.
    pub fn with_log_writer(mut self, out: LogWriter) -> Self {
        self.log_out = out;
        self
    }

    /// Loads the plugin `manifest` describes (what [`Backend::load`] does), as a
    /// [`JsPlugin`].
    pub fn load_plugin(
        &self,
        loaded: &LoadedManifest,
        services: HostServices,
    ) -> Result<JsPlugin, PluginError> {
        let manifest = &loaded.manifest;
        let name = manifest.name.as_str();
        let Interop::Js(js) = &manifest.interop else {
            return Err(PluginError::invalid_input(format!(
                "{}: `interop.protocol` is `{}`, not `js`",
                loaded.path.display(),
                manifest.interop.protocol()
            ))
            .in_plugin(name));
        };
        let path = loaded.resolve(&js.script_path);
        let source = read_script(loaded, &path).map_err(|e| e.in_plugin(name))?;
        let policy = services.policy();
        let config = RuntimeConfig {
            max_heap_size: usize::try_from(policy.memory_bytes).unwrap_or(usize::MAX),
            timeout: Some(policy.timeout),
            max_message_bytes: usize::try_from(policy.max_message_bytes).unwrap_or(usize::MAX),
        };
        let runtime = Runtime::new(config).map_err(|e| e.into_plugin_error(name))?;
        let setup = || -> Result<(), Error> {
            bind_host(&runtime, &services)?;
            bind_plugin_manager_globals(&runtime, &services, self.log_out.clone())?;
            runtime.eval_named(&path.display().to_string(), &source)?;
            Ok(())
        };
        setup().map_err(|e| {
            let mut err = e.into_plugin_error(name);
            err.message = format!("loading {}: {}", path.display(), err.message);
            err
        })?;
        if !runtime
            .eval("typeof plugin === 'object' && plugin !== null")
            .map_err(|e| e.into_plugin_error(name))?
            .as_bool()
            .unwrap_or(false)
        {
            return Err(PluginError::invalid_input(format!(
                "{} does not define a global `plugin` object (e.g. `const plugin = {{ greet(name) {{ ... }} }}`)",
                path.display()
            ))
            .in_plugin(name));
        }
        Ok(JsPlugin {
            manifest: manifest.clone(),
            runtime,
        })
    }
}

/// The text of the script at `path` (a regular file: a FIFO or device is refused at once
/// instead of blocking the host).
fn read_script(loaded: &LoadedManifest, path: &Path) -> Result<String, PluginError> {
    let what = || {
        format!(
            "{}: `interop.scriptPath` {}",
            loaded.path.display(),
            path.display()
        )
    };
    let bytes = read_regular(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PluginError::not_found(format!("{}: {e}", what())),
        _ => PluginError::invalid_input(format!("{}: {e}", what())),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        PluginError::invalid_input(format!(
            "{}: not UTF-8 text (byte {})",
            what(),
            e.utf8_error().valid_up_to()
        ))
    })
}

impl Backend for JsBackend {
    fn protocol(&self) -> interop_protocol::Protocol {
        interop_protocol::Protocol::Js
    }

    fn load(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError> {
        Ok(Box::new(self.load_plugin(manifest, services)?))
    }
}

/// A JavaScript plugin: its manifest and its runtime.
#[derive(Debug)]
pub struct JsPlugin {
    manifest: Manifest,
    runtime: Runtime,
}

impl JsPlugin {
    /// The plugin's runtime (to call other functions of the script directly).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }
}

impl JsPlugin {
    /// The host's error for a failed handler call.
    fn call_error(&self, call: &HandlerCall<'_>, e: Error) -> PluginError {
        let name = &self.manifest.name;
        match e {
            Error::Closed => unloaded(&self.manifest),
            Error::NotFound(_) => PluginError::not_found(format!(
                "{call}: the script's `plugin` object has no method `{}`",
                call.handler
            ))
            .in_plugin(name),
            other => other.into_plugin_error(name),
        }
    }
}

impl Handlers for JsPlugin {
    fn declared(&self) -> &Manifest {
        &self.manifest
    }

    /// Calls `plugin.<handler>` with the call's input, and an action's context as a second
    /// argument when the request carries one.
    fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError> {
        let mut args = vec![call.input.clone()];
        args.extend(call.context.cloned());
        self.runtime
            .call(&format!("plugin.{}", call.handler), &args)
            .map_err(|e| self.call_error(call, e))
    }

    /// The input's text is the call's one argument, as written; the result comes back
    /// as the text the script's value was printed to.
    fn call_handler_raw(
        &self,
        call: &HandlerCall<'_>,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        self.runtime
            .call_raw(
                &format!("plugin.{}", call.handler),
                &format!("[{}]", input.get()),
            )
            .map_err(|e| self.call_error(call, e))
    }

    fn release(&self) -> Result<(), PluginError> {
        self.runtime.close();
        Ok(())
    }
}
