//! Errors as Python exceptions: every interop error becomes an instance of one of the
//! classes of `interop.errors` (chosen by its kind), carrying `kind`, `plugin`, `message`
//! and `data`; and a Python exception raised by a host function or a Python plugin
//! becomes the [`PluginError`] the plugin sees.

use interop_host::HostError;
use interop_protocol::{ErrorKind, PluginError};
use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use serde_json::json;

use crate::convert::to_py;

/// The Python class of an error of `kind` (a time limit is `TimeLimitExceeded`, both a
/// `LimitExceeded` and a `Timeout`).
fn class_name(kind: ErrorKind, limit: Option<&str>) -> &'static str {
    match kind {
        ErrorKind::LimitExceeded if limit == Some("time") => "TimeLimitExceeded",
        ErrorKind::LimitExceeded => "LimitExceeded",
        ErrorKind::Parse => "ParseError",
        ErrorKind::Exec => "ExecError",
        ErrorKind::Fs => "FsError",
        ErrorKind::Network => "NetworkError",
        ErrorKind::Denied => "Denied",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Timeout => "Timeout",
        ErrorKind::InvalidInput => "InvalidInput",
        ErrorKind::Internal => "InternalError",
    }
}

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE
        .get_or_try_init(py, || py.import("interop.errors").map(Bound::unbind))
        .map(|m| m.bind(py))
}

/// The Python exception for `err`.
pub fn plugin_err(err: PluginError) -> PyErr {
    Python::attach(|py| match exception(py, &err) {
        Ok(e) => e,
        Err(failed) => failed,
    })
}

fn exception(py: Python<'_>, err: &PluginError) -> PyResult<PyErr> {
    let class = errors_module(py)?.getattr(class_name(err.kind, err.limit_name()))?;
    let data = match &err.data {
        Some(d) => to_py(py, d)?,
        None => py.None().into_bound(py),
    };
    let value = class.call1((
        err.to_string(),
        err.kind.as_str(),
        err.plugin.clone(),
        err.message.clone(),
        data,
    ))?;
    Ok(PyErr::from_value(value))
}

/// The Python exception for a host error: a plugin's error by its kind, the host's own
/// errors as the kind that fits them.
pub fn host_err(err: HostError) -> PyErr {
    plugin_err(host_to_plugin(err))
}

/// The [`PluginError`] a host error stands for.
pub fn host_to_plugin(err: HostError) -> PluginError {
    match err {
        HostError::Plugin(e) => e,
        HostError::NotLoaded(_) | HostError::NoBackend { .. } => {
            PluginError::not_found(err.to_string())
        }
        HostError::Manifest(_) => PluginError::parse(err.to_string()),
        other => PluginError::invalid_input(other.to_string()),
    }
}

/// `PyResult` of a call that fails with a [`PluginError`].
pub trait IntoPy<T> {
    /// The result, its error as a Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, PluginError> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(plugin_err)
    }
}

impl<T> IntoPy<T> for Result<T, HostError> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(host_err)
    }
}

impl<T> IntoPy<T> for Result<T, interop_js::Error> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| plugin_err(e.into()))
    }
}

impl<T> IntoPy<T> for Result<T, interop_ffi::FfiError> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(|e| plugin_err(e.into_plugin_error()))
    }
}

/// An invalid-input error (bad arguments from Python), as the Python exception.
pub fn invalid(message: impl Into<String>) -> PyErr {
    plugin_err(PluginError::invalid_input(message))
}

/// The [`PluginError`] a plugin sees when the Python code it called raised `err`: an
/// interop exception keeps its kind and data; any other is an `exec` error naming the
/// exception's type, with the Python traceback in `data.traceback`.
pub fn from_python(py: Python<'_>, err: PyErr) -> PluginError {
    let value = err.value(py);
    let kind = value
        .getattr("kind")
        .ok()
        .and_then(|k| k.extract::<String>().ok())
        .and_then(|k| serde_json::from_value::<ErrorKind>(json!(k)).ok());
    if let (Some(kind), true) = (kind, is_interop_error(py, value)) {
        let message = value
            .getattr("message")
            .and_then(|m| m.extract::<String>())
            .unwrap_or_else(|_| value.to_string());
        let mut out = PluginError::new(kind, message);
        if let Some(data) = value
            .getattr("data")
            .ok()
            .filter(|d| !d.is_none())
            .and_then(|d| crate::convert::from_py(&d).ok())
        {
            out = out.with_data(data);
        }
        return out;
    }
    let name = value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let traceback = err
        .traceback(py)
        .and_then(|tb| tb.format().ok())
        .unwrap_or_default();
    PluginError::exec(format!("{name}: {value}"))
        .with_data(json!({ "name": name, "traceback": traceback }))
}

fn is_interop_error(py: Python<'_>, value: &Bound<'_, PyBaseException>) -> bool {
    errors_module(py)
        .and_then(|m| m.getattr("InteropError"))
        .and_then(|c| value.is_instance(&c))
        .unwrap_or(false)
}
