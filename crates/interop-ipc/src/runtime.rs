//! The tokio runtime the backend runs on, and the bridge from the synchronous
//! [`interop_protocol::Plugin`] calls to it.
//!
//! One multi-thread runtime with two workers, created on first use, is shared by every
//! IPC plugin of the process. A call blocks the calling thread until its future is done:
//! directly with `block_on` from an ordinary thread; from inside another tokio runtime
//! (where `block_on` would panic), by running the future on our runtime and waiting for
//! it on a channel. Either way the caller's thread is blocked for the call, as the
//! synchronous `Plugin` trait requires: async applications should call plugins from
//! `spawn_blocking`.

use std::future::Future;
use std::sync::OnceLock;

use interop_protocol::PluginError;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime.
pub fn runtime() -> Result<&'static Runtime, PluginError> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("interop-ipc")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| PluginError::internal(format!("cannot start the IPC runtime: {e}")))
}

/// Runs `fut` to completion on the shared runtime, blocking the calling thread.
pub fn block_on<F>(fut: F) -> Result<F::Output, PluginError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let rt = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return Ok(rt.block_on(fut));
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rt.spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv()
        .map_err(|_| PluginError::internal("the IPC runtime dropped a call"))
}
