//! `interop.Host` over [`interop_host::Host`]: load plugins of any backend, call them
//! (the GIL released while a plugin runs; `*_async` awaitables for asyncio), offer them
//! Python functions, grant, audit.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use interop_host::{ActionResult, Host, PluginError, ProviderResult, RawActionResult, RawValue};
use interop_sandbox::AuditEvent;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use serde_json::Value;

use crate::callable::{call, require_callable, spread};
use crate::convert::{from_py, to_py};
use crate::errors::{invalid, plugin_err, IntoPy};
use crate::grants::PyGrants;
use crate::proxy::PyPlugin;

/// Loads plugins and holds them, whatever their language.
#[pyclass(name = "Host", module = "interop", frozen)]
pub struct PyHost {
    /// Each call holds a clone of the `Arc` while it runs; grants change in place, when
    /// no call holds it.
    host: RwLock<Arc<Host>>,
}

impl PyHost {
    pub(crate) fn from_host(host: Host) -> Self {
        PyHost {
            host: RwLock::new(Arc::new(host)),
        }
    }

    pub(crate) fn host(&self) -> Arc<Host> {
        self.host.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Changes the host's grants in place; possible only while no call holds the host.
    fn change(&self, f: impl FnOnce(&mut Host)) -> PyResult<()> {
        let mut guard = self.host.write().unwrap_or_else(|e| e.into_inner());
        match Arc::get_mut(&mut guard) {
            Some(host) => {
                f(host);
                Ok(())
            }
            None => Err(plugin_err(PluginError::invalid_input(
                "grants cannot change while a call is running",
            ))),
        }
    }
}

/// What an action returned, as Python: its data, else its text, else `None`; a result
/// that reports failure raises its error.
pub(crate) fn action_value(py: Python<'_>, result: ActionResult) -> PyResult<Py<PyAny>> {
    failed(result.success, result.error)?;
    match (result.data, result.text) {
        (Some(data), _) => Ok(to_py(py, &data)?.unbind()),
        (None, Some(text)) => Ok(text.into_pyobject(py)?.into_any().unbind()),
        (None, None) => Ok(py.None()),
    }
}

/// The error of an action result that reports failure (an `exec` error when it gives
/// none).
fn failed(success: bool, error: Option<PluginError>) -> PyResult<()> {
    if success {
        return Ok(());
    }
    let err =
        error.unwrap_or_else(|| PluginError::exec("the action reported failure without an error"));
    Err(plugin_err(err))
}

/// [`action_value`] as JSON text: the data as the plugin wrote it, else the text as a
/// JSON string, else `null`.
fn action_json(result: RawActionResult) -> PyResult<String> {
    failed(result.success, result.error)?;
    match (result.data, result.text) {
        (Some(data), _) => Ok(String::from(Box::<str>::from(data))),
        (None, Some(text)) => Ok(Value::String(text).to_string()),
        (None, None) => Ok("null".to_owned()),
    }
}

/// What a provider returned: its values, else its data, else its text.
pub(crate) fn provider_value(py: Python<'_>, result: ProviderResult) -> PyResult<Py<PyAny>> {
    match (result.values, result.data, result.text) {
        (Some(v), _, _) | (None, Some(v), _) => Ok(to_py(py, &v)?.unbind()),
        (None, None, Some(text)) => Ok(text.into_pyobject(py)?.into_any().unbind()),
        (None, None, None) => Ok(py.None()),
    }
}

fn outcomes(
    py: Python<'_>,
    all: BTreeMap<String, Result<Value, PluginError>>,
) -> PyResult<Py<PyDict>> {
    let dict = PyDict::new(py);
    for (name, outcome) in all {
        match outcome {
            Ok(v) => dict.set_item(name, to_py(py, &v)?)?,
            Err(e) => dict.set_item(name, plugin_err(e).into_value(py))?,
        }
    }
    Ok(dict.unbind())
}

fn records(py: Python<'_>, events: Vec<AuditEvent>) -> PyResult<Bound<'_, PyList>> {
    let items = events
        .iter()
        .map(|e| pythonize::pythonize(py, e).map_err(|e| invalid(e.to_string())))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

fn input_json(input: Option<&Bound<'_, PyAny>>) -> PyResult<Value> {
    input
        .map(from_py)
        .transpose()
        .map(Option::unwrap_or_default)
}

#[pymethods]
impl PyHost {
    /// A host with every backend; `grants` for every plugin (default: each may read what
    /// it asks for in its own directory, 64 MiB and 10 s per call).
    #[new]
    #[pyo3(signature = (grants=None))]
    fn new(grants: Option<PyGrants>) -> Self {
        let mut host = Host::new();
        if let Some(g) = grants {
            host.set_grants(g.inner);
        }
        PyHost::from_host(host)
    }

    /// Grants `grants` to every plugin loaded from now on that has none of its own.
    fn set_grants(&self, grants: PyGrants) -> PyResult<()> {
        self.change(|h| h.set_grants(grants.inner))
    }

    /// Grants `grants` to the plugin named `plugin`.
    fn grant(&self, plugin: String, grants: PyGrants) -> PyResult<()> {
        self.change(|h| h.grant(plugin, grants.inner))
    }

    /// Loads the plugin whose manifest is at `path` (a `plugin.json`, or its directory).
    fn load(slf: &Bound<'_, Self>, path: PathBuf) -> PyResult<PyPlugin> {
        let host = slf.get().host();
        let name = slf
            .py()
            .detach(|| host.load(&path).map(|p| p.name().to_owned()))
            .py_err()?;
        Ok(PyPlugin::new(slf.clone().unbind(), name))
    }

    /// Loads every plugin of a directory (`path/*/plugin.json`); returns each manifest's
    /// outcome by path: the plugin, or the exception that stopped it.
    fn load_dir(slf: &Bound<'_, Self>, path: PathBuf) -> PyResult<Py<PyDict>> {
        let py = slf.py();
        let host = slf.get().host();
        let all = py.detach(|| {
            host.load_dir(&path)
                .into_iter()
                .map(|(p, outcome)| (p, outcome.map(|plugin| plugin.name().to_owned())))
                .collect::<Vec<_>>()
        });
        let dict = PyDict::new(py);
        for (p, outcome) in all {
            let key = p.display().to_string();
            match outcome {
                Ok(name) => dict.set_item(key, PyPlugin::new(slf.clone().unbind(), name))?,
                Err(e) => dict.set_item(key, crate::errors::host_err(e).into_value(py))?,
            }
        }
        Ok(dict.unbind())
    }

    /// Runs `action` of `plugin` with `input` (JSON-able) and returns its result.
    #[pyo3(signature = (plugin, action, input=None))]
    fn invoke(
        &self,
        py: Python<'_>,
        plugin: &str,
        action: &str,
        input: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let input = input_json(input)?;
        let host = self.host();
        let result = py.detach(|| host.invoke(plugin, action, input)).py_err()?;
        action_value(py, result)
    }

    /// As `invoke`, with the input and the result as JSON text: `json.loads` of what it
    /// returns is what `invoke` returns. No Python object is converted either way, and
    /// wasm, JS and native plugins get the text as written.
    fn invoke_json(
        &self,
        py: Python<'_>,
        plugin: &str,
        action: &str,
        input: &str,
    ) -> PyResult<String> {
        let input = RawValue::from_string(input.to_owned()).map_err(|e| {
            plugin_err(
                PluginError::invalid_input(format!(
                    "action `{action}`: the input is not JSON text: {e}"
                ))
                .in_plugin(plugin),
            )
        })?;
        let host = self.host();
        let result = py
            .detach(|| host.invoke_raw(plugin, action, &input))
            .py_err()?;
        action_json(result)
    }

    /// Asks `plugin` for its provider `provider`.
    fn provider(&self, py: Python<'_>, plugin: &str, provider: &str) -> PyResult<Py<PyAny>> {
        let host = self.host();
        let result = py.detach(|| host.get_provider(plugin, provider)).py_err()?;
        provider_value(py, result)
    }

    /// Delivers `event` to every plugin with a hook for it; returns each one's outcome by
    /// plugin name (a failure as its exception, not raised).
    #[pyo3(signature = (event, payload=None))]
    fn emit(
        &self,
        py: Python<'_>,
        event: &str,
        payload: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyDict>> {
        let payload = input_json(payload)?;
        let host = self.host();
        let all = py.detach(|| host.emit(event, payload));
        outcomes(py, all)
    }

    /// As `invoke`, awaitable: the call runs off the event loop's thread.
    #[pyo3(signature = (plugin, action, input=None))]
    fn invoke_async<'py>(
        &self,
        py: Python<'py>,
        plugin: String,
        action: String,
        input: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let input = input_json(input)?;
        let host = self.host();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = host.invoke_async(&plugin, &action, input).await.py_err()?;
            Python::attach(|py| action_value(py, result))
        })
    }

    /// As `provider`, awaitable.
    fn provider_async<'py>(
        &self,
        py: Python<'py>,
        plugin: String,
        provider: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let host = self.host();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = host.get_provider_async(&plugin, &provider).await.py_err()?;
            Python::attach(|py| provider_value(py, result))
        })
    }

    /// As `emit`, awaitable: the plugins' hooks run concurrently.
    #[pyo3(signature = (event, payload=None))]
    fn emit_async<'py>(
        &self,
        py: Python<'py>,
        event: String,
        payload: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let payload = input_json(payload)?;
        let host = self.host();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let all = host.emit_async(&event, payload).await;
            Python::attach(|py| outcomes(py, all))
        })
    }

    /// Offers the Python callable `f` to plugins as the host function `name` (granted
    /// with `Grants(functions=[...])`). Its JSON arguments arrive as positional arguments
    /// (an array spread); what it returns goes back as JSON; what it raises reaches the
    /// plugin as an error (an `interop` exception keeps its kind).
    fn register_function(&self, name: String, f: &Bound<'_, PyAny>) -> PyResult<()> {
        let f = require_callable(f, "register_function's function")?;
        self.host()
            .register_function(name, move |_plugin, args| call(&f, &spread(args)));
        Ok(())
    }

    /// The loaded plugin named `name`.
    fn plugin(slf: &Bound<'_, Self>, name: &str) -> PyResult<PyPlugin> {
        slf.get().host().get(name).py_err()?;
        Ok(PyPlugin::new(slf.clone().unbind(), name.to_owned()))
    }

    /// The names of the loaded plugins, sorted.
    fn plugin_names(&self) -> Vec<String> {
        self.host().plugin_names()
    }

    /// Unloads `plugin`.
    fn unload(&self, py: Python<'_>, plugin: &str) -> PyResult<()> {
        let host = self.host();
        py.detach(|| host.unload(plugin)).py_err()
    }

    /// Unloads every plugin; returns the failures by plugin name.
    fn close_all(&self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let host = self.host();
        let failed = py.detach(|| host.close_all());
        outcomes(py, failed.into_iter().map(|(n, e)| (n, Err(e))).collect())
    }

    /// Every host call plugins made (kept up to the trail's capacity), oldest first: dicts
    /// with `ts_ms`, `plugin`, `function`, `args`, `outcome`, `duration_us`.
    fn audit<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        records(py, self.host().audit().events())
    }

    /// The host calls the policy refused.
    fn denied<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        records(py, self.host().audit().denied())
    }

    /// Call counts and latencies of `plugin`.
    fn metrics<'py>(&self, py: Python<'py>, plugin: &str) -> PyResult<Bound<'py, PyDict>> {
        let m = self.host().metrics(plugin).py_err()?;
        let dict = PyDict::new(py);
        dict.set_item("calls", m.calls)?;
        dict.set_item("errors", m.errors)?;
        dict.set_item("limit_hits", m.limit_hits)?;
        dict.set_item("in_flight", m.in_flight)?;
        dict.set_item("memory_bytes", m.memory_bytes)?;
        Ok(dict)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.close_all(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        format!("Host(plugins={:?})", self.host().plugin_names())
    }
}
