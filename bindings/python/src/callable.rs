//! Python callables called by plugins: host functions (every backend, through
//! `interop_host::Host::register_function`) and functions bound into a JS runtime. The
//! plugin's thread runs the callable under the GIL; its exception comes back to the
//! plugin as an error (see [`crate::errors::from_python`]).

use interop_protocol::PluginError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde_json::Value;

use crate::convert::{from_py, to_py};
use crate::errors::from_python;

/// Calls `f` with `args` as positional Python arguments and returns its result as JSON.
pub fn call(f: &Py<PyAny>, args: &[Value]) -> Result<Value, PluginError> {
    Python::attach(|py| {
        let run = || -> PyResult<Value> {
            let args = args
                .iter()
                .map(|a| to_py(py, a))
                .collect::<PyResult<Vec<_>>>()?;
            let result = f.bind(py).call1(PyTuple::new(py, args)?)?;
            from_py(&result)
        };
        run().map_err(|e| from_python(py, e))
    })
}

/// A host function's JSON arguments as positional arguments: an array is spread, `null`
/// is none, anything else is one argument.
pub fn spread(args: Value) -> Vec<Value> {
    match args {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

/// Checks that `f` can be called, naming `what` otherwise.
pub fn require_callable(f: &Bound<'_, PyAny>, what: &str) -> PyResult<Py<PyAny>> {
    if f.is_callable() {
        Ok(f.clone().unbind())
    } else {
        Err(crate::errors::invalid(format!(
            "{what} must be callable, not a `{}`",
            f.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        )))
    }
}
