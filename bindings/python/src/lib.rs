//! The native part of the `interop` Python package: a thin PyO3 layer over the interop
//! crates. Each Python module (`interop`, `interop.ffi`, `interop.wasm`, `interop.js`,
//! `interop.sandbox`, `interop.plugins`) re-exports what it needs from `interop._native`;
//! what they do is done by the crates, never re-implemented here.
#![deny(missing_docs)]

mod callable;
mod convert;
mod errors;
mod ffi;
mod grants;
mod host;
mod js;
mod plugins;
mod proxy;
mod sandbox;
mod wasm;

use pyo3::prelude::*;

/// `interop._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<host::PyHost>()?;
    m.add_class::<grants::PyGrants>()?;
    m.add_class::<proxy::PyPlugin>()?;
    m.add_class::<proxy::Action>()?;
    // interop.ffi
    m.add_function(wrap_pyfunction!(ffi::load, m)?)?;
    m.add_class::<ffi::PyLibrary>()?;
    m.add_class::<ffi::PyFunction>()?;
    // interop.wasm
    m.add_function(wrap_pyfunction!(wasm::available, m)?)?;
    m.add_function(wrap_pyfunction!(wasm::instantiate_wat, m)?)?;
    m.add_function(wrap_pyfunction!(wasm::instantiate, m)?)?;
    m.add_class::<wasm::PyInstance>()?;
    // interop.js
    m.add_function(wrap_pyfunction!(js::node_available, m)?)?;
    m.add_function(wrap_pyfunction!(js::call, m)?)?;
    m.add_class::<js::PyRuntimeConfig>()?;
    m.add_class::<js::PyRuntime>()?;
    // interop.sandbox
    m.add_function(wrap_pyfunction!(sandbox::run_file, m)?)?;
    m.add_class::<sandbox::Completed>()?;
    // interop.plugins
    m.add_function(wrap_pyfunction!(plugins::register_builtin, m)?)?;
    m.add_function(wrap_pyfunction!(plugins::discover_plugins, m)?)?;
    m.add_function(wrap_pyfunction!(plugins::default_host, m)?)?;
    Ok(())
}
