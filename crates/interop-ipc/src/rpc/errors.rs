//! Why a connection ended ([`Disconnect`]) and why a call failed ([`CallError`]).

use std::time::Duration;

use interop_protocol::jsonrpc::RpcError;
use interop_protocol::PluginError;

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Disconnect {
    /// The other side closed the stream.
    #[error("the connection was closed by the other side")]
    Eof,
    /// The other side sent a frame over the maximum size.
    #[error("received a frame of more than {limit} bytes (the maximum frame size)")]
    TooLarge {
        /// The maximum frame size, in bytes.
        limit: usize,
    },
    /// The other side sent a frame header that could not be read.
    #[error("received an unreadable frame: {0}")]
    BadFrame(String),
    /// Reading or writing failed.
    #[error("connection error: {0}")]
    Io(String),
    /// This side closed the connection.
    #[error("the connection was closed")]
    Closed,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The other side answered with an error.
    #[error("error response {}: {}", .0.code, .0.message)]
    Remote(RpcError),
    /// The connection ended before the answer came.
    #[error("{0}")]
    Disconnected(Disconnect),
    /// No answer within the time limit.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The request is larger than the maximum frame size; it was not sent.
    #[error("request of {size} bytes is over the {limit}-byte maximum frame size")]
    TooLarge {
        /// Size of the request.
        size: usize,
        /// The maximum frame size.
        limit: usize,
    },
}

impl CallError {
    /// The error as a [`PluginError`] about `plugin`, for the call `method`.
    pub fn to_plugin_error(&self, plugin: &str, method: &str) -> PluginError {
        let err = match self {
            CallError::Remote(e) => e.to_plugin_error(),
            CallError::Disconnected(Disconnect::TooLarge { limit }) => PluginError::limit(
                "message_size",
                format!(
                    "`{method}` failed: the plugin sent a frame of more than {limit} bytes; \
                     the connection was reset"
                ),
            ),
            CallError::Disconnected(d) => PluginError::exec(format!("`{method}` failed: {d}")),
            CallError::Timeout(t) => PluginError::timeout(format!(
                "`{method}` did not answer within {} ms",
                t.as_millis()
            ))
            .with_data(serde_json::json!({"limit": "time"})),
            CallError::TooLarge { size, limit } => PluginError::limit(
                "message_size",
                format!("`{method}` request of {size} bytes is over the {limit}-byte limit"),
            ),
        };
        err.in_plugin(plugin)
    }
}
