//! `interop.Grants`: what a host grants its plugins, as keyword arguments onto
//! [`interop_sandbox::Grants`]. "The manifest requests; the host grants."

use interop_sandbox::{Access, Grants};
use pyo3::prelude::*;

use crate::convert::seconds;
use crate::errors::invalid;

/// What the host grants a plugin (or every plugin).
#[pyclass(name = "Grants", module = "interop", frozen)]
#[derive(Clone)]
pub struct PyGrants {
    pub(crate) inner: Grants,
}

#[pymethods]
impl PyGrants {
    #[new]
    #[pyo3(signature = (*, requested=false, own_directory=Some("read"), paths=Vec::new(),
        write_paths=Vec::new(), urls=Vec::new(), hosts=Vec::new(), env=Vec::new(),
        functions=Vec::new(), memory_mb=None, timeout=None, fuel=None, max_message_bytes=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        requested: bool,
        own_directory: Option<&str>,
        paths: Vec<std::path::PathBuf>,
        write_paths: Vec<std::path::PathBuf>,
        urls: Vec<String>,
        hosts: Vec<String>,
        env: Vec<String>,
        functions: Vec<String>,
        memory_mb: Option<u64>,
        timeout: Option<f64>,
        fuel: Option<u64>,
        max_message_bytes: Option<u64>,
    ) -> PyResult<Self> {
        let mut g = if requested {
            Grants::requested()
        } else {
            Grants::default()
        };
        g.own_directory = match own_directory {
            None => None,
            Some("read") => Some(Access::Read),
            Some("write") => Some(Access::Write),
            Some(other) => {
                return Err(invalid(format!(
                    "own_directory must be \"read\", \"write\" or None, not {other:?}"
                )))
            }
        };
        for p in paths {
            g = g.allow_path(p, false);
        }
        for p in write_paths {
            g = g.allow_path(p, true);
        }
        for u in urls {
            g = g.allow_url(&u).map_err(|e| invalid(format!("urls: {e}")))?;
        }
        for h in hosts {
            g = g
                .allow_host(&h)
                .map_err(|e| invalid(format!("hosts: {e}")))?;
        }
        for e in env {
            g = g.allow_env(e);
        }
        for f in functions {
            g = g.allow_function(f);
        }
        if let Some(mb) = memory_mb {
            g = g.memory_mb(mb);
        }
        if let Some(t) = seconds(timeout, "timeout")? {
            g = g.timeout(t);
        }
        if fuel.is_some() {
            g.limits.fuel = fuel;
        }
        if let Some(bytes) = max_message_bytes {
            g.limits.max_message_bytes = bytes;
        }
        Ok(PyGrants { inner: g })
    }

    /// Nothing at all, not even reads in the plugin's own directory.
    #[staticmethod]
    fn none() -> Self {
        PyGrants {
            inner: Grants::none(),
        }
    }

    /// Whatever each manifest requests, and every application function.
    #[staticmethod]
    fn everything_requested() -> Self {
        PyGrants {
            inner: Grants::requested(),
        }
    }

    /// The memory limit, in MiB.
    #[getter]
    fn memory_mb(&self) -> u64 {
        self.inner.limits.memory_bytes / (1024 * 1024)
    }

    /// The time limit of one call, in seconds.
    #[getter]
    fn timeout(&self) -> f64 {
        self.inner.limits.timeout.as_secs_f64()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
