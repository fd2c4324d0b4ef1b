//! Where a server listens: a Unix socket only its user can use, TCP on loopback (any other
//! address only with a token), or this process's stdin/stdout.

use std::net::ToSocketAddrs;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, UnixListener};

use super::error::ServeError;

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A Unix socket at this path, created with mode 0600 in a directory owned by the
    /// server's user.
    Unix(PathBuf),
    /// TCP `host:port` (port 0: any free port). Loopback unless the server has a token.
    Tcp(String),
    /// One client on this process's stdin and stdout; the server ends with stdin.
    Stdio,
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Unix(path) => write!(f, "unix:{}", path.display()),
            Listen::Tcp(address) => write!(f, "tcp:{address}"),
            Listen::Stdio => f.write_str("stdio"),
        }
    }
}

/// A bound listener.
pub(super) enum Bound {
    Unix {
        listener: UnixListener,
        /// Removes the socket file when the server stops.
        _file: SocketFile,
    },
    Tcp(TcpListener),
    Stdio,
}

impl Bound {
    /// The next connection of a listener, split, with where it comes from (never returns
    /// for stdio, which is one connection already).
    pub(super) async fn accept(&self) -> std::io::Result<(BoxRead, BoxWrite, String)> {
        match self {
            Bound::Unix { listener, .. } => {
                let (stream, _) = listener.accept().await?;
                let (r, w) = stream.into_split();
                Ok((Box::new(r), Box::new(w), "unix".into()))
            }
            Bound::Tcp(listener) => {
                let (stream, from) = listener.accept().await?;
                // Messages are small and latency matters.
                let _ = stream.set_nodelay(true);
                let (r, w) = stream.into_split();
                Ok((Box::new(r), Box::new(w), format!("tcp:{from}")))
            }
            Bound::Stdio => std::future::pending().await,
        }
    }
}

/// Binds TCP `address`; any address but loopback needs `has_token`.
pub(super) async fn tcp(address: &str, has_token: bool) -> Result<TcpListener, ServeError> {
    let tcp_error = |source| ServeError::Tcp {
        address: address.to_owned(),
        source,
    };
    let resolved: Vec<_> = address.to_socket_addrs().map_err(tcp_error)?.collect();
    if !has_token && (resolved.is_empty() || resolved.iter().any(|a| !a.ip().is_loopback())) {
        return Err(ServeError::TokenRequired {
            address: address.to_owned(),
        });
    }
    TcpListener::bind(resolved.as_slice())
        .await
        .map_err(tcp_error)
}

/// The socket file of a Unix listener, removed when the server stops.
pub(super) struct SocketFile(PathBuf);

impl Drop for SocketFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Binds a Unix socket at `path` that only this user can connect to.
///
/// The directory must belong to this user (another user could otherwise replace the
/// socket). The socket is bound in a fresh private directory beside `path`, made 0600,
/// then renamed into place: it is never reachable with looser permissions. A stale
/// socket left at `path` by a server that died is replaced; a live one is an error.
pub(super) fn unix(path: &Path) -> Result<(UnixListener, SocketFile), ServeError> {
    let fail = |why: String| ServeError::Unix {
        path: path.to_owned(),
        why,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let meta = std::fs::metadata(&dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(fail(format!(
            "the directory {} belongs to uid {}, not to this user ({me}); use a directory \
             of your own such as $XDG_RUNTIME_DIR",
            dir.display(),
            meta.uid()
        )));
    }
    remove_stale(path).map_err(fail)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| fail("the path names no file".into()))?;
    let private = dir.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&private)
        .map_err(|e| fail(format!("{}: {e}", private.display())))?;
    let staged = private.join("socket");
    let bound = bind_private(&staged, path);
    let _ = std::fs::remove_file(&staged);
    let _ = std::fs::remove_dir(&private);
    Ok((
        bound.map_err(|e| fail(e.to_string()))?,
        SocketFile(path.to_owned()),
    ))
}

/// Binds at `staged` (in a private directory), makes the socket 0600 and moves it to
/// `path`.
fn bind_private(staged: &Path, path: &Path) -> std::io::Result<UnixListener> {
    let listener = UnixListener::bind(staged)?;
    std::fs::set_permissions(staged, std::fs::Permissions::from_mode(0o600))?;
    std::fs::rename(staged, path)?;
    Ok(listener)
}

/// Removes a socket at `path` that no server listens on; refuses anything else there.
fn remove_stale(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Err("a file that is not a socket is in the way".into());
    }
    if std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err("another server is listening there".into());
    }
    std::fs::remove_file(path).map_err(|e| format!("cannot remove the stale socket: {e}"))
}

/// A boxed reader of the protocol stream.
pub(super) type BoxRead = Box<dyn tokio::io::AsyncRead + Send + Unpin>;
/// A boxed writer of the protocol stream.
pub(super) type BoxWrite = Box<dyn tokio::io::AsyncWrite + Send + Unpin>;

/// stdin, and a private copy of stdout, for the protocol. File descriptor 1 then points
/// at stderr: nothing else the process prints (a native plugin's `printf`, a guest's
/// stray output) can corrupt the stream. Pipes are used directly in non-blocking mode,
/// anything else through tokio's blocking-thread adapters.
pub(super) fn stdio() -> Result<(BoxRead, BoxWrite), ServeError> {
    use std::os::fd::FromRawFd;
    use tokio::net::unix::pipe;
    let dup = |fd: i32| -> Result<std::fs::File, ServeError> {
        // SAFETY: dup(2) has no preconditions; it returns a new descriptor or -1.
        let new = unsafe { libc::dup(fd) };
        if new < 0 {
            return Err(ServeError::Stdio(std::io::Error::last_os_error()));
        }
        // SAFETY: `new` is a fresh descriptor that nothing else owns.
        Ok(unsafe { std::fs::File::from_raw_fd(new) })
    };
    let is_pipe = |file: &std::fs::File| {
        use std::os::unix::fs::FileTypeExt;
        file.metadata().is_ok_and(|m| m.file_type().is_fifo())
    };
    let input = dup(0)?;
    let reader: BoxRead = if is_pipe(&input) {
        Box::new(pipe::Receiver::from_file(input).map_err(ServeError::Stdio)?)
    } else {
        Box::new(tokio::fs::File::from_std(input))
    };
    let output = dup(1)?;
    // SAFETY: dup2(2) on two descriptors of this process: 1 now refers to stderr.
    if unsafe { libc::dup2(2, 1) } < 0 {
        return Err(ServeError::Stdio(std::io::Error::last_os_error()));
    }
    let writer: BoxWrite = if is_pipe(&output) {
        Box::new(pipe::Sender::from_file(output).map_err(ServeError::Stdio)?)
    } else {
        Box::new(tokio::fs::File::from_std(output))
    };
    Ok((reader, writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_unix_socket_is_private_and_removed_when_the_server_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let rt = runtime();
        let _guard = rt.enter();
        let (listener, file) = unix(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        // Nothing but the socket is left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let live = unix(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(live.contains("another server is listening there"), "{live}");
        drop((listener, file));
        assert!(!path.exists());
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_plain_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let rt = runtime();
        let _guard = rt.enter();
        assert!(unix(&path).is_ok(), "a socket nobody listens on is stale");
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = unix(&file).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("not a socket is in the way"), "{err}");
        assert!(file.exists());
    }

    #[test]
    fn a_socket_in_a_directory_of_another_user_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: geteuid has no preconditions.
        let foreign = if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(dir.path(), Some(65534), None).unwrap();
            dir.path().to_owned()
        } else {
            PathBuf::from("/")
        };
        let rt = runtime();
        let _guard = rt.enter();
        let err = unix(&foreign.join("s.sock"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("not to this user"), "{err}");
    }

    #[test]
    fn tcp_beyond_loopback_needs_a_token() {
        runtime().block_on(async {
            let err = tcp("0.0.0.0:0", false).await.unwrap_err().to_string();
            assert!(err.contains("without a token"), "{err}");
            assert!(tcp("127.0.0.1:0", false).await.is_ok());
            assert!(tcp("localhost:0", false).await.is_ok());
            assert!(tcp("0.0.0.0:0", true).await.is_ok());
        });
    }
}
