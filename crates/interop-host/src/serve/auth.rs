//! Authentication: when the server has a token, the first frame of every connection must
//! be the request `auth` with that token; anything else (another method, a wrong token,
//! no frame within the time limit, a frame that is not JSON) is answered with an error
//! and the connection is closed. Only then does the connection get a JSON-RPC peer: an
//! unauthenticated client reaches no method and receives no notification.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt};

use interop_ipc::framing::{encode, FrameReader, Framing};
use interop_protocol::jsonrpc::{Id, Incoming, Outcome, Response, RpcError};
use interop_protocol::PluginError;

use super::error::UNAUTHORIZED;

/// The method that authenticates a connection.
pub const AUTH: &str = "auth";

/// The params of `auth`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthParams {
    /// The server's token.
    #[serde(default)]
    pub(super) token: Option<String>,
}

/// What `auth` answers once a connection is authenticated.
pub(super) fn authenticated() -> Value {
    json!({ "authenticated": true })
}

/// Reads the first frame of a connection and checks that it is `auth` with `token`;
/// answers it either way. `Err` says why the connection must be closed.
pub(super) async fn handshake<R, W>(
    reader: &mut R,
    writer: &mut W,
    token: &str,
    max_frame: usize,
    within: Duration,
) -> Result<(), String>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut frames = FrameReader::new(reader, Framing::Lines, max_frame);
    let (id, outcome) = match tokio::time::timeout(within, frames.next_frame()).await {
        Err(_) => (
            Id::Null,
            Err(format!(
                "no `{AUTH}` request within {} s of connecting",
                within.as_secs()
            )),
        ),
        Ok(Ok(None)) => return Err("the client closed the connection before `auth`".into()),
        Ok(Err(e)) => (Id::Null, Err(format!("unreadable first frame: {e}"))),
        Ok(Ok(Some(frame))) => check(&frame, token),
    };
    let response = match &outcome {
        Ok(()) => Response::ok(id, authenticated()),
        Err(why) => Response::err(id, unauthorized(why)),
    };
    if let Ok(json) = serde_json::to_vec(&response) {
        // A client gone already changes nothing: the outcome stands.
        let _ = writer.write_all(&encode(Framing::Lines, &json)).await;
        let _ = writer.flush().await;
    }
    outcome
}

/// The id to answer and whether `frame` is `auth` with the right token.
fn check(frame: &[u8], token: &str) -> (Id, Result<(), String>) {
    let request = match Incoming::parse(frame) {
        Incoming::Request(request) => request,
        Incoming::Invalid(Response {
            outcome: Outcome::Error(e),
            ..
        }) => {
            let why = e.to_plugin_error().message;
            return (
                Id::Null,
                Err(format!("the first frame is not a request: {why}")),
            );
        }
        Incoming::Invalid(_) | Incoming::Response(_) | Incoming::Batch(_) => {
            return (
                Id::Null,
                Err(format!("the first frame must be the request `{AUTH}`")),
            )
        }
    };
    let Some(id) = request.id else {
        return (
            Id::Null,
            Err(format!(
                "`{AUTH}` must be a request with an id, not a notification"
            )),
        );
    };
    if request.method != AUTH {
        let why = format!(
            "`{}` before `{AUTH}`: this server requires a token; send `{AUTH}` first",
            request.method
        );
        return (id, Err(why));
    }
    let params = request.params.unwrap_or_else(|| json!({}));
    let given = match serde_json::from_value::<AuthParams>(params) {
        Ok(AuthParams { token: Some(t) }) => t,
        Ok(AuthParams { token: None }) => {
            return (id, Err(format!("`{AUTH}` without a `token`")));
        }
        Err(e) => return (id, Err(format!("`{AUTH}` params: {e}"))),
    };
    let matches: bool = given.as_bytes().ct_eq(token.as_bytes()).into();
    if matches {
        (id, Ok(()))
    } else {
        (id, Err("wrong token".into()))
    }
}

/// The error answering a connection that did not authenticate.
pub(super) fn unauthorized(why: &str) -> RpcError {
    let err = PluginError::denied(format!("{why}; closing the connection"));
    RpcError {
        code: UNAUTHORIZED,
        message: format!("Unauthorized: {why}"),
        data: serde_json::to_value(err).ok(),
    }
}
