//! A loaded plugin as a Python object whose actions are methods:
//! `plugins['example'].hello()`, `host.load(path).greet("World")`.

use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use serde_json::Value;

use crate::convert::from_py;
use crate::errors::IntoPy;
use crate::host::{action_value, provider_value, PyHost};

/// A plugin held by a host; `plugin.<action>(...)` invokes the action.
#[pyclass(name = "Plugin", module = "interop", frozen)]
pub struct PyPlugin {
    /// The host, not its `interop_host::Host` (which is taken for each call only, so
    /// that the host's grants can still change).
    host: Py<PyHost>,
    name: String,
}

impl PyPlugin {
    pub(crate) fn new(host: Py<PyHost>, name: String) -> Self {
        PyPlugin { host, name }
    }

    fn invoke_value(&self, py: Python<'_>, action: &str, input: Value) -> PyResult<Py<PyAny>> {
        let host = self.host.get().host();
        let result = py
            .detach(|| host.invoke(&self.name, action, input))
            .py_err()?;
        action_value(py, result)
    }

    fn declared(&self) -> PyResult<interop_host::Manifest> {
        let plugin = self.host.get().host().get(&self.name).py_err()?;
        Ok(plugin.manifest().clone())
    }
}

/// An action's input from a Python call: no argument is `null`, one argument is itself,
/// several are an array, keyword arguments an object.
fn call_input(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Value> {
    if let Some(kw) = kwargs.filter(|k| !k.is_empty()) {
        if !args.is_empty() {
            return Err(crate::errors::invalid(
                "pass an action either positional arguments or keyword arguments, not both",
            ));
        }
        return from_py(kw.as_any());
    }
    match args.len() {
        0 => Ok(Value::Null),
        1 => from_py(&args.get_item(0)?),
        _ => from_py(args.as_any()),
    }
}

#[pymethods]
impl PyPlugin {
    /// The plugin's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Its version, from its manifest.
    #[getter]
    fn version(&self) -> PyResult<String> {
        Ok(self.declared()?.version)
    }

    /// The names of its actions.
    #[getter]
    fn actions(&self) -> PyResult<Vec<String>> {
        Ok(self
            .declared()?
            .actions
            .into_iter()
            .map(|a| a.name)
            .collect())
    }

    /// The names of its providers.
    #[getter]
    fn providers(&self) -> PyResult<Vec<String>> {
        Ok(self
            .declared()?
            .providers
            .into_iter()
            .map(|p| p.name)
            .collect())
    }

    /// Runs `action` with `input` (JSON-able).
    #[pyo3(signature = (action, input=None))]
    fn invoke(
        &self,
        py: Python<'_>,
        action: &str,
        input: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let input = input.map(from_py).transpose()?.unwrap_or_default();
        self.invoke_value(py, action, input)
    }

    /// Its provider `provider`.
    fn provider(&self, py: Python<'_>, provider: &str) -> PyResult<Py<PyAny>> {
        let host = self.host.get().host();
        let result = py
            .detach(|| host.get_provider(&self.name, provider))
            .py_err()?;
        provider_value(py, result)
    }

    fn __getattr__(slf: Bound<'_, Self>, action: String) -> PyResult<Action> {
        let known = slf.get().declared()?.action(&action).is_some();
        if !known {
            return Err(PyAttributeError::new_err(format!(
                "plugin `{}` has no action `{action}`",
                slf.get().name
            )));
        }
        Ok(Action {
            plugin: slf.unbind(),
            action,
        })
    }

    fn __dir__(&self) -> PyResult<Vec<String>> {
        let mut names = self.actions()?;
        names.extend(
            [
                "name",
                "version",
                "actions",
                "providers",
                "invoke",
                "provider",
            ]
            .map(String::from),
        );
        Ok(names)
    }

    fn __repr__(&self) -> String {
        format!("<interop.Plugin {:?}>", self.name)
    }
}

/// One action of a plugin, callable.
#[pyclass(module = "interop", frozen)]
pub struct Action {
    plugin: Py<PyPlugin>,
    action: String,
}

#[pymethods]
impl Action {
    #[pyo3(signature = (*args, **kwargs))]
    fn __call__(
        &self,
        py: Python<'_>,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let input = call_input(args, kwargs)?;
        self.plugin.get().invoke_value(py, &self.action, input)
    }

    fn __repr__(&self) -> String {
        format!(
            "<interop action {:?} of {:?}>",
            self.action,
            self.plugin.get().name
        )
    }
}
