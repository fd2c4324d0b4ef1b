//! How a plugin is reached ([`Launch`], read from the manifest), and the endpoint a
//! started socket plugin is told to listen on ([`prepare_endpoint`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use interop_protocol::manifest::IpcTransport;
use interop_protocol::{Interop, LoadedManifest, PluginError};

use crate::framing::Framing;
use crate::transport::{self, Endpoint};

/// How the plugin is reached.
#[derive(Debug, Clone)]
pub(super) enum Launch {
    /// `protocol: "subprocess"`: JSON lines over the child's stdin/stdout.
    Stdio { program: PathBuf, args: Vec<String> },
    /// `protocol: "ipc"` with `command`: start it, then connect.
    Spawn {
        program: PathBuf,
        args: Vec<String>,
        transport: IpcTransport,
        socket_path: Option<PathBuf>,
        address: Option<String>,
    },
    /// `protocol: "ipc"` without `command`: connect to a listening plugin.
    Connect(Endpoint),
}

/// `path` made absolute (the plugin runs in its own directory, so relative paths would
/// change meaning).
pub(super) fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

fn program_path(loaded: &LoadedManifest, command: &str) -> PathBuf {
    if command.contains('/') {
        absolute(loaded.resolve(command))
    } else {
        PathBuf::from(command)
    }
}

impl Launch {
    pub(super) fn from_manifest(loaded: &LoadedManifest) -> Result<Launch, PluginError> {
        let name = loaded.name();
        match &loaded.manifest.interop {
            Interop::Subprocess(s) => Ok(Launch::Stdio {
                program: program_path(loaded, &s.command),
                args: s.args.clone(),
            }),
            Interop::Ipc(i) => {
                let socket_path = i
                    .socket_path
                    .as_deref()
                    .map(|p| absolute(loaded.resolve(p)));
                match (&i.command, i.transport) {
                    (Some(command), transport) => Ok(Launch::Spawn {
                        program: program_path(loaded, command),
                        args: i.args.clone(),
                        transport,
                        socket_path,
                        address: i.address.clone(),
                    }),
                    (None, IpcTransport::Unix) => socket_path
                        .map(|p| Launch::Connect(Endpoint::Unix(p)))
                        .ok_or_else(|| {
                            PluginError::invalid_input(
                            "interop.socketPath is required for transport `unix` without `command`",
                        )
                        .in_plugin(name)
                        }),
                    (None, IpcTransport::Tcp) => i
                        .address
                        .clone()
                        .map(|a| Launch::Connect(Endpoint::Tcp(a)))
                        .ok_or_else(|| {
                            PluginError::invalid_input(
                                "interop.address is required for transport `tcp` without `command`",
                            )
                            .in_plugin(name)
                        }),
                }
            }
            other => Err(PluginError::invalid_input(format!(
                "the ipc backend cannot load protocol `{}`",
                other.protocol()
            ))
            .in_plugin(name)),
        }
    }
}

/// The framing the manifest asks for (lines unless it says otherwise).
pub(super) fn framing(interop: &Interop) -> Framing {
    match interop {
        Interop::Ipc(i) => i.framing,
        Interop::Subprocess(s) => s.framing,
        _ => Framing::default(),
    }
}

/// A private temporary directory (for a plugin's socket), removed on drop.
#[derive(Debug)]
pub(super) struct TempDir(PathBuf);

impl TempDir {
    fn new(plugin: &str) -> std::io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let safe: String = plugin
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
        let path = std::env::temp_dir().join(format!("interop-{safe}-{}-{n}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Where a started socket plugin listens, and what it is told about it.
#[derive(Debug)]
pub(super) struct PreparedEndpoint {
    /// Where the host connects.
    pub(super) endpoint: Endpoint,
    /// `INTEROP_SOCKET` or `INTEROP_ADDRESS`, with its value.
    pub(super) env: (String, String),
    /// Directories the process must be able to write (the socket's).
    pub(super) writable: Vec<PathBuf>,
    /// The temporary socket directory, when the manifest names no socket path.
    pub(super) dir: Option<TempDir>,
}

/// The endpoint of a plugin the host starts: the manifest's socket path (its directory
/// created) or address, or else a socket in a private temporary directory or a free
/// loopback port.
pub(super) fn prepare_endpoint(
    plugin: &str,
    transport: IpcTransport,
    socket_path: Option<&Path>,
    address: Option<&str>,
) -> Result<PreparedEndpoint, PluginError> {
    match transport {
        IpcTransport::Unix => {
            let (path, dir) = match socket_path {
                Some(p) => {
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent).map_err(|e| {
                            PluginError::fs(format!(
                                "cannot create the socket directory {}: {e}",
                                parent.display()
                            ))
                            .in_plugin(plugin)
                        })?;
                    }
                    (p.to_path_buf(), None)
                }
                None => {
                    let dir = TempDir::new(plugin).map_err(|e| {
                        PluginError::internal(format!("socket directory: {e}")).in_plugin(plugin)
                    })?;
                    (dir.0.join("plugin.sock"), Some(dir))
                }
            };
            Ok(PreparedEndpoint {
                env: ("INTEROP_SOCKET".to_owned(), path.display().to_string()),
                writable: path.parent().map(Path::to_path_buf).into_iter().collect(),
                endpoint: Endpoint::Unix(path),
                dir,
            })
        }
        IpcTransport::Tcp => {
            let addr = match address {
                Some(a) => a.to_owned(),
                None => transport::free_loopback_address()
                    .map_err(|e| {
                        PluginError::internal(format!("no free port: {e}")).in_plugin(plugin)
                    })?
                    .to_string(),
            };
            Ok(PreparedEndpoint {
                env: ("INTEROP_ADDRESS".to_owned(), addr.clone()),
                writable: Vec::new(),
                endpoint: Endpoint::Tcp(addr),
                dir: None,
            })
        }
    }
}
