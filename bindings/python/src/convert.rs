//! JSON values to and from Python objects (through pythonize): what crosses every plugin
//! boundary is JSON, so Python sees dicts, lists, strings, numbers, bools and `None`.

use pyo3::prelude::*;
use serde_json::Value;

use crate::errors::invalid;

/// `value` as a Python object.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value).map_err(|e| invalid(format!("cannot convert to Python: {e}")))
}

/// `obj` as a JSON value; anything JSON cannot hold is an `invalid_input` error naming
/// what it is.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize::<Value>(obj).map_err(|e| {
        let ty = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default();
        invalid(format!("a `{ty}` cannot be passed as JSON: {e}"))
    })
}

/// Optional seconds (an `int` or `float` from Python) as a duration.
pub fn seconds(value: Option<f64>, what: &str) -> PyResult<Option<std::time::Duration>> {
    match value {
        None => Ok(None),
        Some(s) if s.is_finite() && s > 0.0 => Ok(Some(std::time::Duration::from_secs_f64(s))),
        Some(s) => Err(invalid(format!(
            "{what} must be a positive number of seconds, not {s}"
        ))),
    }
}
