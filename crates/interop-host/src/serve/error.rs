//! What can go wrong in a server ([`ServeError`]), and how a failed request is answered:
//! a JSON-RPC error whose `data` is the [`PluginError`].

use std::path::PathBuf;

use interop_protocol::jsonrpc::{RpcError, PARSE_ERROR, SERVER_ERROR};
use interop_protocol::PluginError;

use crate::HostError;

/// Why a server could not start or stopped serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A TCP address other than loopback was asked for without a token.
    #[error(
        "refusing to listen on {address} without a token: it is reachable from other machines \
         (set --token or INTEROP_SERVE_TOKEN, or listen on 127.0.0.1)"
    )]
    TokenRequired {
        /// The address asked for.
        address: String,
    },
    /// The TCP address could not be resolved or bound.
    #[error("cannot listen on tcp:{address}: {source}")]
    Tcp {
        /// The address asked for.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The Unix socket could not be created where asked.
    #[error("cannot listen on unix:{}: {why}", path.display())]
    Unix {
        /// The socket path asked for.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// stdin/stdout could not be taken over for the protocol.
    #[error("cannot serve on stdin/stdout: {0}")]
    Stdio(std::io::Error),
    /// The token is empty.
    #[error("the token is empty: a server with a token needs a non-empty one")]
    EmptyToken,
    /// The tokio runtime could not start.
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

/// Code of the error answering a connection that did not authenticate (a server error,
/// in the range JSON-RPC leaves to implementations).
pub const UNAUTHORIZED: i64 = -32001;

/// A host error as the [`PluginError`] a client reads in a response's `data`.
pub(super) fn plugin_error(err: HostError) -> PluginError {
    match err {
        HostError::Plugin(e) => e,
        HostError::NotLoaded(name) => {
            PluginError::not_found(format!("no plugin named `{name}` is loaded")).in_plugin(name)
        }
        HostError::NoBackend { ref plugin, .. } => {
            let plugin = plugin.clone();
            PluginError::not_found(err.to_string()).in_plugin(plugin)
        }
        HostError::AlreadyLoaded(ref name)
        | HostError::NotReloadable(ref name)
        | HostError::Renamed { from: ref name, .. } => {
            let name = name.clone();
            PluginError::invalid_input(err.to_string()).in_plugin(name)
        }
        HostError::Manifest(_) | HostError::GrantsFile(_) => PluginError::parse(err.to_string()),
        HostError::Policy(_) => PluginError::denied(err.to_string()),
        HostError::Watch(_) => PluginError::internal(err.to_string()),
    }
}

/// A host error as a JSON-RPC error: `-32602 Invalid params` when the request asked for
/// something unacceptable (an input failing the action's schema, a name already loaded),
/// `-32603` for interop's own failures, `-32000` for the rest (the plugin failed, the
/// manifest is invalid...). The standard codes of the request's own JSON (`-32700`,
/// `-32600`) are never used for what a plugin or manifest did.
pub(super) fn rpc_error(err: HostError) -> RpcError {
    // The protocol's mapping, but a plugin's `parse` error is no `-32700` of the request.
    let mut rpc = RpcError::from(plugin_error(err));
    if rpc.code == PARSE_ERROR {
        rpc.code = SERVER_ERROR;
    }
    rpc
}
