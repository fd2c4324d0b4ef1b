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

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(frame: &str) -> (Id, Result<(), String>) {
        check(frame.as_bytes(), "s3cret")
    }

    #[test]
    fn only_auth_with_the_token_as_first_request_is_accepted() {
        let ok = outcome(r#"{"jsonrpc":"2.0","id":7,"method":"auth","params":{"token":"s3cret"}}"#);
        assert_eq!(ok, (Id::Number(7), Ok(())));
        for (frame, why) in [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"s3cre"}}"#,
                "wrong token",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"auth"}"#,
                "without a `token`",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"auth","params":{"tokn":"s3cret"}}"#,
                "unknown field `tokn`",
            ),
            (
                r#"{"jsonrpc":"2.0","method":"auth","params":{"token":"s3cret"}}"#,
                "not a notification",
            ),
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"plugin.load"}"#,
                "`plugin.load` before `auth`",
            ),
            ("not json", "the first frame is not a request"),
            ("[]", "the first frame is not a request"),
        ] {
            let (_, result) = outcome(frame);
            let err = result.expect_err(frame);
            assert!(err.contains(why), "{frame}: {err}");
        }
    }

    #[test]
    fn the_handshake_answers_and_gives_up_on_a_silent_client() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, server) = tokio::io::duplex(1024);
            let (server_read, mut server_write) = tokio::io::split(server);
            let mut reader = tokio::io::BufReader::new(server_read);
            let silent = Duration::from_millis(50);
            let err = handshake(&mut reader, &mut server_write, "t", 1024, silent)
                .await
                .unwrap_err();
            assert!(err.contains("no `auth` request within"), "{err}");
            let mut answer = String::new();
            use tokio::io::AsyncBufReadExt;
            tokio::io::BufReader::new(client)
                .read_line(&mut answer)
                .await
                .unwrap();
            let answer: Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(answer["error"]["code"], json!(UNAUTHORIZED), "{answer}");
            assert_eq!(answer["id"], Value::Null);
        });
    }
}
