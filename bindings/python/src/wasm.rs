//! `interop.wasm`: WebAssembly modules instantiated through interop-wasm (wasmtime, with
//! nothing granted and the sandbox's limits), their exports called with numbers.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use interop_sandbox::{HostServices, Policy};
use interop_wasm::{WasmBackend, WasmModule, WasmValue};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};

use crate::convert::seconds;
use crate::errors::{invalid, IntoPy};

fn backend() -> &'static WasmBackend {
    static BACKEND: OnceLock<WasmBackend> = OnceLock::new();
    BACKEND.get_or_init(WasmBackend::default)
}

/// Whether WebAssembly can run: always, wasmtime is part of the package.
#[pyfunction]
pub fn available() -> bool {
    true
}

/// An instantiated module.
#[pyclass(name = "Instance", module = "interop.wasm", frozen)]
pub struct PyInstance {
    inner: WasmModule,
}

fn limited(name: &str, memory_mb: Option<u64>, timeout: Option<f64>) -> PyResult<HostServices> {
    let mut policy = Policy::new(name, ".");
    if let Some(mb) = memory_mb {
        policy.memory_bytes = mb.saturating_mul(1024 * 1024);
    }
    if let Some(t) = seconds(timeout, "timeout")? {
        policy.timeout = t;
    }
    Ok(HostServices::new(policy))
}

/// Compiles WebAssembly text and instantiates it (nothing granted; `memory_mb` and
/// `timeout`, in seconds, lower the default 64 MiB and 10 s per call).
#[pyfunction]
#[pyo3(signature = (text, *, memory_mb=None, timeout=None))]
pub fn instantiate_wat(
    py: Python<'_>,
    text: &str,
    memory_mb: Option<u64>,
    timeout: Option<f64>,
) -> PyResult<PyInstance> {
    let services = limited("wat-module", memory_mb, timeout)?;
    let inner = py
        .detach(|| backend().open_module_bytes(text.as_bytes(), Path::new("<wat text>"), services))
        .py_err()?;
    Ok(PyInstance { inner })
}

/// Instantiates a module from a path (`.wasm` or `.wat`) or from its bytes.
#[pyfunction]
#[pyo3(signature = (module, *, memory_mb=None, timeout=None))]
pub fn instantiate(
    py: Python<'_>,
    module: &Bound<'_, PyAny>,
    memory_mb: Option<u64>,
    timeout: Option<f64>,
) -> PyResult<PyInstance> {
    let (bytes, origin) = if let Ok(b) = module.cast::<PyBytes>() {
        (b.as_bytes().to_vec(), PathBuf::from("<bytes>"))
    } else if let Ok(path) = module.extract::<PathBuf>() {
        let bytes = std::fs::read(&path).map_err(|e| {
            crate::errors::plugin_err(interop_protocol::PluginError::not_found(format!(
                "cannot read the module {}: {e}",
                path.display()
            )))
        })?;
        (bytes, path)
    } else {
        return Err(invalid("instantiate takes a path or the module's bytes"));
    };
    let name = interop_wasm::module_name(&origin);
    let services = limited(&name, memory_mb, timeout)?;
    let inner = py
        .detach(|| backend().open_module_bytes(&bytes, &origin, services))
        .py_err()?;
    Ok(PyInstance { inner })
}

fn number(py: Python<'_>, v: WasmValue) -> PyResult<Py<PyAny>> {
    Ok(match v {
        WasmValue::I32(x) => x.into_pyobject(py)?.into_any().unbind(),
        WasmValue::I64(x) => x.into_pyobject(py)?.into_any().unbind(),
        WasmValue::F32(x) => f64::from(x).into_pyobject(py)?.into_any().unbind(),
        WasmValue::F64(x) => x.into_pyobject(py)?.into_any().unbind(),
    })
}

#[pymethods]
impl PyInstance {
    /// Calls the export `name` with numbers (ints or floats); returns its result (`None`
    /// for none, a tuple for several).
    #[pyo3(signature = (name, *args))]
    fn call(&self, py: Python<'_>, name: &str, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let text = args
            .iter()
            .map(|a| {
                if a.extract::<i64>().is_ok() || a.extract::<f64>().is_ok() {
                    Ok(a.str()?.to_string())
                } else {
                    Err(invalid(format!("`{name}` takes numbers, not {a}")))
                }
            })
            .collect::<PyResult<Vec<_>>>()?;
        let results = py
            .detach(|| self.inner.call_export_text(name, &text))
            .py_err()?;
        let mut values = results
            .into_iter()
            .map(|v| number(py, v))
            .collect::<PyResult<Vec<_>>>()?;
        match values.len() {
            0 => Ok(py.None()),
            1 => Ok(values.remove(0)),
            _ => Ok(PyTuple::new(py, values)?.into_any().unbind()),
        }
    }

    /// The exported functions: name -> signature (`{'add': '(i32, i32) -> i32'}`).
    #[getter]
    fn exports<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for export in self.inner.exports() {
            let (name, signature) = export.split_once(": ").unwrap_or((&export, ""));
            dict.set_item(name, signature)?;
        }
        Ok(dict)
    }

    fn __repr__(&self) -> String {
        format!("<interop.wasm.Instance {:?}>", self.inner)
    }
}
