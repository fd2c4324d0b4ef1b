//! The plugin side of the protocol: serving any [`Plugin`] over stdin/stdout, so that a
//! parent host sees an ordinary `subprocess` plugin (used to run native libraries out of
//! process), and [`HostClient`], the plugin side's handle for calling the host back.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use interop_protocol::{Plugin, PluginError};
use serde_json::{json, Value};

use crate::framing::Framing;
use crate::methods::{self, HOST_CALL};
use crate::rpc::{Peer, PeerOptions};
use crate::runtime;

/// Calls the host's functions (`host.call`) from the plugin side of a connection.
/// Cloning shares it. Until the connection is up, calls fail with an `internal` error.
#[derive(Clone, Default)]
pub struct HostClient {
    peer: Arc<OnceLock<Peer>>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for HostClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostClient")
            .field("connected", &self.peer.get().is_some())
            .finish()
    }
}

impl HostClient {
    /// Calls the host function `function` (`log`, `fs.readFile`, ...: the names of
    /// `HostServices::call`) with JSON `args`, blocking until the host answers. The host
    /// checks its policy and audits the call; a refusal comes back as a `denied` error.
    pub fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        let peer = self
            .peer
            .get()
            .cloned()
            .ok_or_else(|| PluginError::internal("host.call: not connected to a host"))?;
        let timeout = self.timeout;
        let params = json!({"function": function, "args": args});
        runtime::block_on(async move {
            peer.call_with_timeout(HOST_CALL, Some(params), timeout)
                .await
                .map_err(|e| match e {
                    crate::rpc::CallError::Remote(e) => crate::rpc::remote_error(&e),
                    other => PluginError::exec(format!("host.call: {other}")),
                })
        })?
    }
}

/// Serves `plugin` over this process's stdin/stdout (JSON-RPC lines, the `subprocess`
/// protocol) until stdin closes or the host sends `shutdown`. Blocks the calling thread.
/// Nothing else may write to stdout meanwhile (log to stderr).
pub fn serve_stdio(plugin: Arc<dyn Plugin>) -> Result<(), PluginError> {
    serve_stdio_with(|_| plugin)
}

/// Like [`serve_stdio`], for a plugin that calls the host back: `make` gets the
/// [`HostClient`] of the connection and returns the plugin to serve.
pub fn serve_stdio_with(
    make: impl FnOnce(HostClient) -> Arc<dyn Plugin>,
) -> Result<(), PluginError> {
    let (reader, writer) = {
        let _guard = runtime::runtime()?.enter();
        stdio_streams()
    };
    serve_with(reader, writer, make)
}

/// A boxed async reader.
pub type BoxRead = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
/// A boxed async writer.
pub type BoxWrite = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// This process's stdin and stdout as async streams. When they are pipes (as for a
/// plugin process), they are used directly in non-blocking mode; otherwise (a terminal,
/// a file) through tokio's blocking-thread adapters, which cost a thread hop per read.
/// Must be called inside a tokio runtime context.
pub fn stdio_streams() -> (BoxRead, BoxWrite) {
    use std::os::fd::FromRawFd;
    use tokio::net::unix::pipe;
    let dup = |fd: i32| {
        // SAFETY: dup(2) returns a new descriptor (or -1) that we then own.
        let new = unsafe { libc::dup(fd) };
        // SAFETY: `new` is a valid descriptor owned by nobody else.
        (new >= 0).then(|| unsafe { std::fs::File::from_raw_fd(new) })
    };
    let reader: BoxRead = match dup(0).map(pipe::Receiver::from_file) {
        Some(Ok(rx)) => Box::new(rx),
        _ => Box::new(tokio::io::stdin()),
    };
    let writer: BoxWrite = match dup(1).map(pipe::Sender::from_file) {
        Some(Ok(tx)) => Box::new(tx),
        _ => Box::new(tokio::io::stdout()),
    };
    (reader, writer)
}

/// Serves the plugin `make` returns over `reader`/`writer` (JSON lines) until the other
/// side closes or sends `shutdown`. Blocks the calling thread; the streams are used on
/// the shared IPC runtime.
pub fn serve_with<R, W>(
    reader: R,
    writer: W,
    make: impl FnOnce(HostClient) -> Arc<dyn Plugin>,
) -> Result<(), PluginError>
where
    R: tokio::io::AsyncRead + Send + Unpin + 'static,
    W: tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let host = HostClient::default();
    let plugin = make(host.clone());
    let max_frame =
        usize::try_from(plugin.manifest().limits.max_message_bytes()).unwrap_or(usize::MAX);
    runtime::runtime()?;
    let done = Arc::new(tokio::sync::Notify::new());
    let router = {
        let done = done.clone();
        let stop = plugin.clone();
        methods::plugin_router(plugin.clone()).blocking(methods::SHUTDOWN, move |_| {
            let _ = stop.unload();
            done.notify_one();
            Ok(Value::Null)
        })
    };
    let label = plugin.name().to_owned();
    runtime::block_on(async move {
        let peer = Peer::new(
            reader,
            writer,
            router,
            PeerOptions {
                framing: Framing::Lines,
                max_frame,
                timeout: None,
                label,
            },
        );
        let _ = host.peer.set(peer.clone());
        let closed = peer.clone();
        let ended = tokio::spawn(async move { closed.closed().await });
        let stop = done.notified();
        tokio::pin!(stop);
        let ended = async {
            let _ = ended.await;
        };
        tokio::pin!(ended);
        // Whichever comes first: the host closes stdin, or it sends `shutdown`.
        std::future::poll_fn(|cx| {
            use std::future::Future;
            if ended.as_mut().poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
            if stop.as_mut().poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
            std::task::Poll::Pending
        })
        .await;
        // Let the `shutdown` response go out before returning.
        tokio::time::sleep(Duration::from_millis(50)).await;
    })?;
    Ok(())
}
