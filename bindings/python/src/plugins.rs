//! `interop.plugins`: Python objects as plugins (`register_builtin(name, obj)`: its public
//! methods are its actions) and plugin discovery, both held by one process-wide
//! [`interop_host::Host`], the registry, whose plugins are called like objects
//! (`discover_plugins()['example'].hello()`).

use std::path::PathBuf;
use std::sync::Arc;

use interop_host::{Host, HostError, Manifest, PluginError};
use interop_protocol::dispatch::{HandlerCall, Handlers};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;
use serde_json::{json, Value};

use crate::callable::call;
use crate::errors::{host_err, IntoPy};
use crate::host::PyHost;
use crate::proxy::PyPlugin;

/// A Python object serving as a plugin: each public method is an action.
struct PythonPlugin {
    manifest: Manifest,
    object: Py<PyAny>,
}

impl Handlers for PythonPlugin {
    fn declared(&self) -> &Manifest {
        &self.manifest
    }

    /// Calls the method named by the handler with the input (none for `null`).
    fn call_handler(&self, call_: &HandlerCall<'_>) -> Result<Value, PluginError> {
        let method = Python::attach(|py| {
            self.object
                .bind(py)
                .getattr(call_.handler)
                .map(Bound::unbind)
                .map_err(|e| crate::errors::from_python(py, e))
        })?;
        let args: &[Value] = if call_.input.is_null() {
            &[]
        } else {
            std::slice::from_ref(call_.input)
        };
        call(&method, args).map_err(|e| e.in_plugin(&self.manifest.name))
    }

    fn release(&self) -> Result<(), PluginError> {
        Ok(())
    }
}

/// The manifest of `object` as a plugin named `name`: its public callables are actions.
fn manifest_of(name: &str, object: &Bound<'_, PyAny>) -> PyResult<Manifest> {
    let mut actions = Vec::new();
    for attr in object.dir()?.iter() {
        let attr: String = attr.extract()?;
        if attr.starts_with('_') {
            continue;
        }
        if object.getattr(attr.as_str()).is_ok_and(|a| a.is_callable()) {
            actions.push(json!({ "name": attr }));
        }
    }
    let version = object
        .getattr("__version__")
        .and_then(|v| v.extract::<String>())
        .unwrap_or_else(|_| "0.0.0".into());
    let manifest = json!({
        "name": name,
        "version": version,
        "description": "a Python object registered by the application",
        "language": "python",
        // Never started: the application holds the object (see `Host::register_builtin`).
        "interop": { "protocol": "subprocess", "command": "python3" },
        "actions": actions,
    });
    serde_json::from_value(manifest)
        .map_err(|e| crate::errors::invalid(format!("plugin `{name}`: {e}")))
}

/// The process-wide registry of `interop.plugins`.
fn registry(py: Python<'_>) -> PyResult<&Py<PyHost>> {
    static REGISTRY: PyOnceLock<Py<PyHost>> = PyOnceLock::new();
    REGISTRY.get_or_try_init(py, || Py::new(py, PyHost::from_host(Host::new())))
}

/// The `Host` behind `interop.plugins` (to grant, register functions, audit).
#[pyfunction]
pub fn default_host(py: Python<'_>) -> PyResult<Py<PyHost>> {
    registry(py).map(|r| r.clone_ref(py))
}

/// Registers the Python object `obj` as the plugin `name`: its public methods are its
/// actions, called with the action's input (no argument for none).
#[pyfunction]
pub fn register_builtin(py: Python<'_>, name: &str, obj: &Bound<'_, PyAny>) -> PyResult<PyPlugin> {
    let manifest = manifest_of(name, obj)?;
    let plugin = PythonPlugin {
        manifest,
        object: obj.clone().unbind(),
    };
    let registry = registry(py)?;
    registry
        .get()
        .host()
        .register_builtin(Arc::new(plugin))
        .py_err()?;
    Ok(PyPlugin::new(registry.clone_ref(py), name.to_owned()))
}

/// The registry's plugins by name, after loading every plugin of `path` (its
/// `*/plugin.json`), if given. A manifest that cannot be loaded is reported as a Python
/// warning naming it; plugins already registered stay as they are.
#[pyfunction]
#[pyo3(signature = (path=None))]
pub fn discover_plugins(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Py<PyDict>> {
    let registry = registry(py)?;
    let host = registry.get().host();
    if let Some(dir) = path {
        if !dir.is_dir() {
            return Err(crate::errors::plugin_err(PluginError::not_found(format!(
                "plugin directory {} does not exist",
                dir.display()
            ))));
        }
        let outcomes = py.detach(|| host.load_dir(&dir));
        let warnings = py.import("warnings")?;
        for (manifest, outcome) in outcomes {
            match outcome {
                Ok(_) | Err(HostError::AlreadyLoaded(_)) => {}
                Err(e) => {
                    let err = host_err(e);
                    warnings.call_method1(
                        "warn",
                        (format!("{}: {}", manifest.display(), err.value(py)),),
                    )?;
                }
            }
        }
    }
    let dict = PyDict::new(py);
    for name in host.plugin_names() {
        dict.set_item(&name, PyPlugin::new(registry.clone_ref(py), name.clone()))?;
    }
    Ok(dict.unbind())
}
