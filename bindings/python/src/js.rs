//! `interop.js`: the embedded V8 of interop-js (`RuntimeConfig`, `Runtime`: one isolate
//! each, heap limit and timeout, Python callables and values bound into it) and the Node
//! bridge (`call(module, function, args)` in a `node` subprocess).

use std::path::PathBuf;
use std::time::Duration;

use interop_js::{node, Runtime, RuntimeConfig};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::callable::{call as call_python, require_callable};
use crate::convert::{from_py, seconds, to_py};
use crate::errors::IntoPy;

/// Whether a `node` program can be run (for `call`).
#[pyfunction]
pub fn node_available(py: Python<'_>) -> bool {
    py.detach(node::available)
}

/// Calls `function` exported by the Node module at `module` (CommonJS or ES) with `args`
/// in a new `node` process; returns its result (a promise is awaited).
#[pyfunction]
#[pyo3(signature = (module, function, args=None, *, timeout=None, max_heap_mb=None))]
pub fn call(
    py: Python<'_>,
    module: PathBuf,
    function: &str,
    args: Option<Vec<Bound<'_, PyAny>>>,
    timeout: Option<f64>,
    max_heap_mb: Option<u64>,
) -> PyResult<Py<PyAny>> {
    let args = args
        .unwrap_or_default()
        .iter()
        .map(from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let mut limits = node::Limits::default();
    if let Some(t) = seconds(timeout, "timeout")? {
        limits.timeout = t;
    }
    if let Some(mb) = max_heap_mb {
        limits.max_heap_mb = mb;
    }
    let value = py
        .detach(|| node::call_with_limits(&module, function, &args, &limits))
        .py_err()?;
    Ok(to_py(py, &value)?.unbind())
}

/// The limits of a `Runtime`.
#[pyclass(name = "RuntimeConfig", module = "interop.js", frozen)]
#[derive(Clone)]
pub struct PyRuntimeConfig {
    inner: RuntimeConfig,
}

#[pymethods]
impl PyRuntimeConfig {
    /// `max_heap_size` in bytes (default 64 MiB), `timeout` in seconds for each eval or
    /// call (default 10; `None` keeps the default, `0` or less is refused),
    /// `max_message_bytes` for results and host function arguments (default 16 MiB).
    #[new]
    #[pyo3(signature = (max_heap_size=None, timeout=None, max_message_bytes=None))]
    fn new(
        max_heap_size: Option<usize>,
        timeout: Option<f64>,
        max_message_bytes: Option<usize>,
    ) -> PyResult<Self> {
        let mut inner = RuntimeConfig::default();
        if let Some(bytes) = max_heap_size {
            inner = inner.with_max_heap_size(bytes);
        }
        if let Some(t) = seconds(timeout, "timeout")? {
            inner = inner.with_timeout(t);
        }
        if let Some(bytes) = max_message_bytes {
            inner.max_message_bytes = bytes;
        }
        Ok(PyRuntimeConfig { inner })
    }

    /// The heap limit, in bytes.
    #[getter]
    fn max_heap_size(&self) -> usize {
        self.inner.max_heap_size
    }

    /// The time limit of one eval or call, in seconds.
    #[getter]
    fn timeout(&self) -> Option<f64> {
        self.inner.timeout.as_ref().map(Duration::as_secs_f64)
    }

    /// The largest text a script hands the host at once, in bytes.
    #[getter]
    fn max_message_bytes(&self) -> usize {
        self.inner.max_message_bytes
    }

    fn __repr__(&self) -> String {
        format!(
            "RuntimeConfig(max_heap_size={}, timeout={:?}, max_message_bytes={})",
            self.inner.max_heap_size,
            self.timeout(),
            self.inner.max_message_bytes
        )
    }
}

/// One JavaScript runtime: a V8 isolate whose globals persist between calls.
#[pyclass(name = "Runtime", module = "interop.js", frozen)]
pub struct PyRuntime {
    inner: Runtime,
}

#[pymethods]
impl PyRuntime {
    #[new]
    #[pyo3(signature = (config=None))]
    fn new(config: Option<PyRuntimeConfig>) -> PyResult<Self> {
        let config = config.map(|c| c.inner).unwrap_or_default();
        let inner = Runtime::new(config).py_err()?;
        Ok(PyRuntime { inner })
    }

    /// Binds the Python callable `f` as the global function `name` (dotted names create
    /// objects). JS calls it synchronously; its arguments arrive as Python values, what it
    /// returns goes back as JSON, what it raises is thrown in JS.
    fn bind_function(&self, py: Python<'_>, name: &str, f: &Bound<'_, PyAny>) -> PyResult<()> {
        let f = require_callable(f, "bind_function's function")?;
        py.detach(|| {
            self.inner
                .bind_function(name, move |args| call_python(&f, args))
        })
        .py_err()
    }

    /// Binds `value` (JSON-able: dicts, lists, str, numbers...) as the global `name`.
    fn bind_object(&self, py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = from_py(value)?;
        py.detach(|| self.inner.bind_object(name, &value)).py_err()
    }

    /// Runs `code` as a script and returns its completion value (a promise is awaited).
    fn eval(&self, py: Python<'_>, code: &str) -> PyResult<Py<PyAny>> {
        let value = py.detach(|| self.inner.eval(code)).py_err()?;
        Ok(to_py(py, &value)?.unbind())
    }

    /// Calls the global function at `path` (`"add"`, `"plugin.greet"`) with `args`.
    #[pyo3(signature = (path, *args))]
    fn call(&self, py: Python<'_>, path: &str, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let args = args
            .iter()
            .map(|a| from_py(&a))
            .collect::<PyResult<Vec<_>>>()?;
        let value = py.detach(|| self.inner.call(path, &args)).py_err()?;
        Ok(to_py(py, &value)?.unbind())
    }

    /// Stops the script running in this runtime (from another thread); it raises a
    /// time limit error.
    fn terminate(&self) {
        self.inner.terminate();
    }

    /// Bytes in use in the runtime's V8 heap.
    fn heap_used(&self) -> PyResult<usize> {
        self.inner.heap_used().py_err()
    }

    /// Frees the isolate; later calls raise. Closing twice is fine.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> bool {
        self.close(py);
        false
    }
}
