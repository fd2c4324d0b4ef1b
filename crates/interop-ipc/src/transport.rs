//! Transports: JSON-RPC peers over Unix domain sockets, TCP and stdio.
//!
//! Connecting gives a [`Peer`]; serving accepts connections and answers each from a
//! [`Router`]. Both sides of every transport are the same [`Peer`], so requests may flow
//! both ways on any of them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::rpc::{Peer, PeerOptions, Router};

/// Where a JSON-RPC endpoint listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix domain socket path.
    Unix(PathBuf),
    /// A TCP `host:port`.
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// Connects to `endpoint` once.
pub async fn connect(
    endpoint: &Endpoint,
    router: Router,
    options: PeerOptions,
) -> std::io::Result<Peer> {
    match endpoint {
        Endpoint::Unix(path) => connect_unix(path, router, options).await,
        Endpoint::Tcp(addr) => connect_tcp(addr, router, options).await,
    }
}

/// Connects to a Unix socket.
pub async fn connect_unix(
    path: &Path,
    router: Router,
    options: PeerOptions,
) -> std::io::Result<Peer> {
    let (r, w) = UnixStream::connect(path).await?.into_split();
    Ok(Peer::new(r, w, router, options))
}

/// Connects over TCP (with `TCP_NODELAY`: messages are small and latency matters).
pub async fn connect_tcp(
    addr: &str,
    router: Router,
    options: PeerOptions,
) -> std::io::Result<Peer> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (r, w) = stream.into_split();
    Ok(Peer::new(r, w, router, options))
}

/// Connects to `endpoint`, retrying every few milliseconds until it accepts or `within`
/// has passed (for a plugin process that is still starting). `give_up` is polled between
/// attempts: when it returns an error (the process died), connecting stops with it.
pub async fn connect_with_retry(
    endpoint: &Endpoint,
    router: Router,
    options: PeerOptions,
    within: Duration,
    mut give_up: impl FnMut() -> Option<String>,
) -> Result<Peer, String> {
    let deadline = Instant::now() + within;
    let mut delay = Duration::from_millis(5);
    loop {
        match connect(endpoint, router.clone(), options.clone()).await {
            Ok(peer) => return Ok(peer),
            Err(e) => {
                if let Some(why) = give_up() {
                    return Err(why);
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "could not connect to {endpoint} within {} ms: {e}",
                        within.as_millis()
                    ));
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

/// Serves every connection accepted on a Unix socket listener with `router`, until the
/// listener fails.
pub async fn serve_unix(
    listener: UnixListener,
    router: Router,
    options: PeerOptions,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let (r, w) = stream.into_split();
        let peer = Peer::new(r, w, router.clone(), options.clone());
        tokio::spawn(async move { peer.closed().await });
    }
}

/// Serves every connection accepted on a TCP listener with `router`.
pub async fn serve_tcp(
    listener: TcpListener,
    router: Router,
    options: PeerOptions,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (r, w) = stream.into_split();
        let peer = Peer::new(r, w, router.clone(), options.clone());
        tokio::spawn(async move { peer.closed().await });
    }
}

/// A free TCP port on the loopback interface, as `127.0.0.1:port` (for a plugin process
/// the host starts and tells where to listen).
pub fn free_loopback_address() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}
