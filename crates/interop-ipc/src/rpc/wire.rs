//! What goes over the wire: requests and responses as written.

use interop_protocol::jsonrpc::{Id, Outcome, Response, RpcError, VERSION};
use interop_protocol::PluginError;
use serde::Serialize;
use serde_json::Value;

use crate::framing::Framing;

use super::PeerOptions;

/// A request or notification as written.
#[derive(Serialize)]
pub(super) struct OutRequest<'a> {
    pub(super) jsonrpc: &'static str,
    pub(super) method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) params: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) id: Option<i64>,
}

/// `json` with its framing (a newline, or a `Content-Length` header).
pub(super) fn framed(framing: Framing, mut json: Vec<u8>) -> Vec<u8> {
    match framing {
        Framing::Lines => {
            json.push(b'\n');
            json
        }
        Framing::ContentLength => crate::framing::encode(Framing::ContentLength, &json),
    }
}

/// A response as written: `Response` flattens its outcome, which serde serializes
/// through a slower map path; this is the same JSON, directly.
#[derive(Serialize)]
struct Wire<'a> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RpcError>,
    id: &'a Id,
}

impl<'a> From<&'a Response> for Wire<'a> {
    fn from(r: &'a Response) -> Self {
        let (result, error) = match &r.outcome {
            Outcome::Result(v) => (Some(v), None),
            Outcome::Error(e) => (None, Some(e)),
        };
        Wire {
            jsonrpc: VERSION,
            result,
            error,
            id: &r.id,
        }
    }
}

/// A response (or batch of responses) to send back.
pub(super) trait Outgoing {
    /// The JSON text.
    fn encode(&self) -> serde_json::Result<Vec<u8>>;
    /// The same answer with every result replaced by a `message_size` error.
    fn too_large(&self, size: usize, limit: usize) -> Self;
}

fn too_large_error(id: Id, size: usize, limit: usize) -> Response {
    let err = PluginError::limit(
        "message_size",
        format!("the response of {size} bytes is over the {limit}-byte maximum frame size"),
    );
    Response::err(id, RpcError::from(err))
}

impl Outgoing for Response {
    fn encode(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&Wire::from(self))
    }
    fn too_large(&self, size: usize, limit: usize) -> Self {
        too_large_error(self.id.clone(), size, limit)
    }
}

impl Outgoing for Vec<Response> {
    fn encode(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&self.iter().map(Wire::from).collect::<Vec<_>>())
    }
    fn too_large(&self, size: usize, limit: usize) -> Self {
        self.iter()
            .map(|r| too_large_error(r.id.clone(), size, limit))
            .collect()
    }
}

/// The JSON of a response; one over the frame limit is replaced by a `message_size`
/// error with the same id, so that the caller is not left waiting.
pub(super) fn encode_response<T: Outgoing>(options: &PeerOptions, response: &T) -> Option<Vec<u8>> {
    let limit = options.max_frame;
    let json = match response.encode() {
        Ok(json) if json.len() > limit => {
            tracing::warn!(label = %options.label, size = json.len(), "response over the frame limit replaced by an error");
            response.too_large(json.len(), limit).encode()
        }
        other => other,
    };
    json.map_err(|e| tracing::error!(label = %options.label, "cannot serialize a response: {e}"))
        .ok()
}
