//! The host as a JSON-RPC 2.0 server, so that programs in any language load and call
//! plugins through it: `interop serve`, or [`Server`] in an application.
//!
//! ```no_run
//! use interop_host::serve::{serve, Listen, ServeOptions};
//!
//! let options = ServeOptions::new(Listen::Unix("/run/user/1000/interop.sock".into()));
//! serve(interop_host::Host::new(), options, |address| eprintln!("listening on {address}"))?;
//! # Ok::<(), interop_host::serve::ServeError>(())
//! ```
//!
//! The wire is interop-ipc's: JSON-RPC 2.0, one JSON value per line, batches, the
//! standard errors, a maximum frame size. Methods: `auth`, `plugin.load`,
//! `plugin.list`, `plugin.unload`, `plugin.reload`, `action.invoke`, `provider.get`,
//! `hook.emit`, `host.metrics`, `audit.tail`, `host.shutdown`; a failure is a JSON-RPC
//! error whose `data` is the [`PluginError`](interop_protocol::PluginError).
//! Notifications: [`PLUGIN_LOG`] and [`HOST_EVENT`]. The reference for clients
//! is `docs/serve.md`.
//!
//! Who may connect: a Unix socket is mode 0600 in a directory of the server's user; TCP
//! listens on loopback unless the server has a token; with a token, every connection
//! must first send [`AUTH`] with it or is closed. Anyone connected may load any
//! plugin the server's user can read, under the server's grants.
//!
//! A frame over the maximum size gets an error and closes its connection; a frame that
//! is not JSON gets `-32700` (the connection stays up, as JSON-RPC requires). Either way
//! the server and its other connections carry on.

mod auth;
mod error;
mod listen;
mod methods;
mod notices;

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::watch;

use interop_ipc::{Framing, Peer, PeerOptions};

use crate::Host;
use listen::Bound;
use notices::Notices;

pub use auth::AUTH;
pub use error::{ServeError, UNAUTHORIZED};
pub use listen::Listen;
pub use notices::{HOST_EVENT, PLUGIN_LOG};

/// How a server listens and whom it lets in.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where it listens.
    pub listen: Listen,
    /// The token every connection must send in `auth` first (`None`: no `auth` needed,
    /// which only loopback TCP, a Unix socket or stdio allow).
    pub token: Option<String>,
    /// Largest frame accepted or sent, in bytes (default 16 MiB).
    pub max_frame: usize,
    /// How long a connection has to authenticate (default 10 s).
    pub auth_timeout: Duration,
}

impl ServeOptions {
    /// Listening at `listen`, without a token, with the default limits.
    pub fn new(listen: Listen) -> Self {
        ServeOptions {
            listen,
            token: None,
            max_frame: interop_protocol::manifest::DEFAULT_MAX_MESSAGE_BYTES as usize,
            auth_timeout: Duration::from_secs(10),
        }
    }
}

/// What every connection shares.
struct Shared {
    host: Arc<Host>,
    notices: Notices,
    token: Option<String>,
    max_frame: usize,
    auth_timeout: Duration,
    /// Set once `host.shutdown` is asked for.
    stop: Arc<watch::Sender<bool>>,
}

/// A host serving JSON-RPC at one address.
pub struct Server {
    shared: Arc<Shared>,
    bound: Bound,
    address: String,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Binds where `options` say, serving `host`. The host's plugin log lines go to
    /// `tracing` and to every client (this replaces the host's sink).
    pub async fn bind(mut host: Host, options: ServeOptions) -> Result<Server, ServeError> {
        if options.token.as_deref() == Some("") {
            return Err(ServeError::EmptyToken);
        }
        let has_token = options.token.is_some();
        let (bound, address) = match &options.listen {
            Listen::Unix(path) => {
                let (listener, file) = listen::unix(path)?;
                let bound = Bound::Unix {
                    listener,
                    _file: file,
                };
                (bound, options.listen.to_string())
            }
            Listen::Tcp(address) => {
                let listener = listen::tcp(address, has_token).await?;
                let local = listener.local_addr().map_err(|source| ServeError::Tcp {
                    address: address.clone(),
                    source,
                })?;
                (Bound::Tcp(listener), format!("tcp:{local}"))
            }
            Listen::Stdio => (Bound::Stdio, options.listen.to_string()),
        };
        let notices = notices::publish_from(&mut host);
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            host: Arc::new(host),
            notices,
            token: options.token,
            max_frame: options.max_frame,
            auth_timeout: options.auth_timeout,
            stop: Arc::new(stop),
        });
        Ok(Server {
            shared,
            bound,
            address,
        })
    }

    /// Where the server listens: `unix:PATH`, `tcp:IP:PORT` (the port actually bound) or
    /// `stdio`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The host served.
    pub fn host(&self) -> &Arc<Host> {
        &self.shared.host
    }

    /// Serves until a client calls `host.shutdown` (or, on stdio, until stdin ends).
    pub async fn run(self) -> Result<(), ServeError> {
        let Server { shared, bound, .. } = self;
        let mut stop = shared.stop.subscribe();
        if let Bound::Stdio = bound {
            let (reader, writer) = listen::stdio()?;
            connection(shared, reader, writer, "stdio".into()).await;
        } else {
            let mut accepted = 0u64;
            loop {
                tokio::select! {
                    () = stopped(&mut stop) => break,
                    next = bound.accept() => match next {
                        Ok((reader, writer, peer)) => {
                            accepted += 1;
                            let label = format!("{peer}#{accepted}");
                            tokio::spawn(connection(shared.clone(), reader, writer, label));
                        }
                        Err(e) => accept_failed(e).await,
                    },
                }
            }
        }
        tracing::info!(target: "interop::serve", "server stopped");
        Ok(())
    }
}

/// Resolves once the server is stopping.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopping| *stopping).await;
}

/// A failed accept (out of descriptors, a connection reset before it was accepted) stops
/// nothing: it is logged, and accepting resumes after a pause.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(target: "interop::serve", "accepting a connection failed: {e}");
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Serves `host` as `options` say on a runtime of its own, until a client calls
/// `host.shutdown` (or stdin ends). `ready` is told the address once the server listens.
pub fn serve(
    host: Host,
    options: ServeOptions,
    ready: impl FnOnce(&str),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .thread_name("interop-serve")
        .enable_all()
        .build()
        .map_err(ServeError::Runtime)?;
    let outcome = runtime.block_on(async {
        let server = Server::bind(host, options).await?;
        ready(server.address());
        server.run().await
    });
    // Calls still running on the blocking pool get a moment to finish.
    runtime.shutdown_timeout(Duration::from_secs(1));
    outcome
}

/// Serves one connection: authentication when there is a token, then requests and
/// notifications until either side closes it or the server stops.
async fn connection<R, W>(shared: Arc<Shared>, reader: R, mut writer: W, label: String)
where
    R: AsyncRead + Send + Unpin + 'static,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let mut reader = BufReader::new(reader);
    if let Some(token) = &shared.token {
        let checked = auth::handshake(
            &mut reader,
            &mut writer,
            token,
            shared.max_frame,
            shared.auth_timeout,
        )
        .await;
        if let Err(why) = checked {
            tracing::warn!(target: "interop::serve", %label, "connection refused: {why}");
            let _ = writer.shutdown().await;
            return;
        }
    }
    tracing::debug!(target: "interop::serve", %label, "connection accepted");
    let options = PeerOptions {
        framing: Framing::Lines,
        max_frame: shared.max_frame,
        timeout: None,
        label: label.clone(),
    };
    let peer = Peer::new(reader, writer, methods::router(&shared), options);
    notices::forward_to(peer.clone(), &shared.notices);
    let mut stop = shared.stop.subscribe();
    tokio::select! {
        () = peer.closed() => {}
        () = stopped(&mut stop) => peer.close().await,
    }
    match peer.close_reason() {
        Some(reason @ interop_ipc::Disconnect::TooLarge { .. })
        | Some(reason @ interop_ipc::Disconnect::BadFrame(_)) => {
            tracing::warn!(target: "interop::serve", %label, "connection closed: {reason}");
        }
        reason => {
            tracing::debug!(target: "interop::serve", %label, ?reason, "connection ended");
        }
    }
}
