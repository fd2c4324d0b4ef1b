//! The backends compiled into this build, one cargo feature each.
//!
//! A backend issue plugs its protocol in with one feature-gated line below.

use std::sync::Arc;

use interop_sandbox::Backend;

/// Every backend enabled by cargo features.
#[allow(clippy::vec_init_then_push)] // one feature-gated push per backend
pub(crate) fn builtin() -> Vec<Arc<dyn Backend>> {
    #[allow(unused_mut)]
    let mut backends: Vec<Arc<dyn Backend>> = Vec::new();
    // Each backend crate adds its line here.
    #[cfg(feature = "wasm")]
    backends.push(Arc::new(interop_wasm::WasmBackend::default()));
    #[cfg(all(feature = "ffi", not(feature = "ipc")))]
    backends.push(Arc::new(interop_ffi::FfiBackend::default()));
    // With ipc, `isolated: true` native plugins run in runner children (`isolation`).
    #[cfg(all(feature = "ffi", feature = "ipc"))]
    backends.push(Arc::new(interop_ffi::FfiBackend::default().with_isolation(
        Arc::new(interop_ipc::IpcBackend::subprocess()),
        crate::isolation::runner,
    )));
    #[cfg(feature = "js")]
    backends.push(Arc::new(interop_js::JsBackend::default()));
    #[cfg(feature = "ipc")]
    backends.push(Arc::new(interop_ipc::IpcBackend::ipc()));
    #[cfg(feature = "ipc")]
    backends.push(Arc::new(interop_ipc::IpcBackend::subprocess()));
    backends
}
