//! Why a connection ended ([`Disconnect`]) and why a call failed ([`CallError`]).

use std::time::Duration;

use interop_protocol::jsonrpc::RpcError;
use interop_protocol::PluginError;
use serde_json::Value;

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
    /// The other side's reply could not be used: it was not JSON, not JSON-RPC 2.0, had an
    /// id of another type than the request's, or was an error with a null id (the other
    /// side could not read a request, and cannot say which). Says what was wrong.
    #[error("the reply could not be used: {0}")]
    BadReply(String),
}

impl CallError {
    /// The error as a [`PluginError`] about `plugin`, for the call `method`.
    pub fn to_plugin_error(&self, plugin: &str, method: &str) -> PluginError {
        let err = match self {
            CallError::Remote(e) => remote_error(e),
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
            CallError::BadReply(why) => PluginError::parse(format!(
                "`{method}` failed: the plugin's reply could not be used: {why}"
            )),
        };
        err.in_plugin(plugin)
    }
}

/// A remote error as a [`PluginError`]: the interop error its `data` carries, when it
/// carries one; otherwise one made from its code and message, keeping the `data` the
/// other side sent (a traceback, an exception's text) and quoting it in the message, so
/// that the user reads more than "Internal error".
pub fn remote_error(e: &RpcError) -> PluginError {
    let mut err = e.to_plugin_error();
    match &e.data {
        Some(data) if serde_json::from_value::<PluginError>(data.clone()).is_err() => {
            err.message = describe_remote(e);
            err.data = Some(Box::new(data.clone()));
            err
        }
        _ => err,
    }
}

/// Longest text quoted from a remote error's `data` in a message.
const MAX_QUOTED: usize = 2000;

/// `message (JSON-RPC code N): data`, with the data's text (or its `message` field, or
/// its JSON) cut to its last [`MAX_QUOTED`] bytes: a traceback ends with what matters.
pub(super) fn describe_remote(e: &RpcError) -> String {
    let mut text = format!("{} (JSON-RPC code {})", e.message, e.code);
    let quoted = match &e.data {
        None | Some(Value::Null) => return text,
        Some(Value::String(s)) => s.clone(),
        Some(data) => match data.get("message").and_then(Value::as_str) {
            Some(message) => message.to_owned(),
            None => data.to_string(),
        },
    };
    let quoted = quoted.trim();
    let mut start = quoted.len().saturating_sub(MAX_QUOTED);
    while !quoted.is_char_boundary(start) {
        start += 1;
    }
    text.push_str(": ");
    if start > 0 {
        text.push_str("...");
    }
    text.push_str(&quoted[start..]);
    text
}
