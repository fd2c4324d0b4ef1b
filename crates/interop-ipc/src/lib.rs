//! interop backend: plugins as processes, in any language.
//!
//! This crate owns:
//! - a complete JSON-RPC 2.0 implementation on tokio ([`rpc`]): requests, notifications,
//!   batches, the standard errors with interop's [`PluginError`](interop_protocol::PluginError)
//!   in `data`; one [`Peer`] type is both client (many calls in flight, replies matched by
//!   id, time limits) and server (a [`Router`] of sync, blocking or async handlers);
//! - framing ([`framing`]): JSON lines (default) or `Content-Length` headers, with a
//!   maximum frame size;
//! - transports ([`transport`]): Unix domain sockets, TCP, and a child's stdin/stdout;
//! - the interop plugin protocol on top ([`methods`], specified for plugin authors in
//!   `docs/ipc.md`): `initialize`, `action.invoke`, `provider.get`, `hook.event`,
//!   `shutdown`, and `host.call` from plugin to host ([`host_api`]);
//! - supervision of plugin processes ([`supervisor`]): confined start ([`confine`]:
//!   cleared environment, PID/mount/network namespaces, a keeper tying the plugin to the
//!   host, no capabilities, rlimits, Landlock), handshake, crash and hang detection,
//!   restart with backoff, errors that show the plugin's last output;
//! - [`IpcBackend`], the `Backend` of `protocol: "ipc"` and `protocol: "subprocess"`;
//! - [`serve_stdio`], the plugin side: any `dyn Plugin` served over stdin/stdout.
//!
//! It does not implement the host functions or their policy checks: `host.call` is
//! answered by `interop_sandbox::HostServices`.
#![deny(missing_docs)]

pub mod backend;
pub mod confine;
pub mod framing;
pub mod host_api;
pub mod methods;
pub mod rpc;
pub mod runtime;
pub mod serve;
pub mod supervisor;
pub mod transport;

pub use backend::{IpcBackend, IpcPlugin};
pub use confine::{confine_command, landlock_abi, SandboxConfig};
pub use framing::Framing;
pub use rpc::{CallError, Disconnect, Peer, PeerOptions, Router};
pub use serve::{serve_stdio, serve_stdio_with, serve_with, HostClient};
pub use supervisor::{IpcConfig, RestartPolicy};
pub use transport::Endpoint;
