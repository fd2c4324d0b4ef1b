//! The JSON-RPC 2.0 envelope (<https://www.jsonrpc.org/specification>), as spoken by the
//! IPC and subprocess transports.
//!
//! This module holds the types and the spec's rules for telling requests, notifications,
//! responses and batches apart; framing and transports live in `interop-ipc`.
//! Our own [`PluginError`] travels in an error's `data`, so that a client in any language
//! sees the standard code and interop clients get the structured error back.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ErrorKind, PluginError};

/// The only protocol version string JSON-RPC 2.0 allows.
pub const VERSION: &str = "2.0";

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// The method does not exist or is not available.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// Internal JSON-RPC error.
pub const INTERNAL_ERROR: i64 = -32603;
/// Start of the range for implementation-defined server errors (-32000 to -32099):
/// interop uses it for failures that carry a [`PluginError`] in `data`.
pub const SERVER_ERROR: i64 = -32000;

/// A request or notification id: a string, a number, or null.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    /// A numeric id.
    Number(i64),
    /// A string id.
    String(String),
    /// `null`, used in responses to requests whose id could not be read.
    Null,
}

impl From<i64> for Id {
    fn from(n: i64) -> Self {
        Id::Number(n)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::String(s.to_owned())
    }
}

/// A request (with `id`) or a notification (without one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The method to call.
    pub method: String,
    /// Positional (array) or named (object) parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    /// Absent for notifications, which get no response.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub id: Option<Id>,
}

// Distinguishes `"id": null` (a request with a null id) from no id (a notification).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Id>, D::Error> {
    Id::deserialize(d).map(Some)
}

impl Request {
    /// A request expecting a response.
    pub fn new(id: impl Into<Id>, method: impl Into<String>, params: Option<Value>) -> Self {
        Request {
            jsonrpc: VERSION.into(),
            method: method.into(),
            params,
            id: Some(id.into()),
        }
    }

    /// A notification: no response is sent.
    pub fn notification(method: impl Into<String>, params: Option<Value>) -> Self {
        Request {
            jsonrpc: VERSION.into(),
            method: method.into(),
            params,
            id: None,
        }
    }

    /// True when no response is expected.
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

/// The error object of a failed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpcError {
    /// One of the standard codes, or a server error in -32000..=-32099.
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Details; for interop errors, the serialized [`PluginError`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// `-32700 Parse error`.
    pub fn parse_error(detail: impl std::fmt::Display) -> Self {
        Self::new(PARSE_ERROR, "Parse error")
            .with_plugin_error(PluginError::parse(detail.to_string()))
    }
    /// `-32600 Invalid Request`.
    pub fn invalid_request(detail: impl std::fmt::Display) -> Self {
        Self::new(INVALID_REQUEST, "Invalid Request")
            .with_plugin_error(PluginError::invalid_input(detail.to_string()))
    }
    /// `-32601 Method not found`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, "Method not found")
            .with_plugin_error(PluginError::not_found(format!("no method `{method}`")))
    }
    /// `-32602 Invalid params`.
    pub fn invalid_params(detail: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, "Invalid params")
            .with_plugin_error(PluginError::invalid_input(detail.to_string()))
    }
    /// `-32603 Internal error`.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(INTERNAL_ERROR, "Internal error")
            .with_plugin_error(PluginError::internal(detail.to_string()))
    }

    fn with_plugin_error(mut self, err: PluginError) -> Self {
        self.data = serde_json::to_value(err).ok();
        self
    }

    /// The interop error carried in `data`, or one made from the code and message.
    pub fn to_plugin_error(&self) -> PluginError {
        if let Some(err) = self
            .data
            .clone()
            .and_then(|d| serde_json::from_value(d).ok())
        {
            return err;
        }
        let kind = match self.code {
            PARSE_ERROR => ErrorKind::Parse,
            INVALID_REQUEST | INVALID_PARAMS => ErrorKind::InvalidInput,
            METHOD_NOT_FOUND => ErrorKind::NotFound,
            INTERNAL_ERROR => ErrorKind::Internal,
            _ => ErrorKind::Exec,
        };
        PluginError::new(
            kind,
            format!("{} (JSON-RPC code {})", self.message, self.code),
        )
    }
}

impl From<PluginError> for RpcError {
    fn from(err: PluginError) -> Self {
        let code = match err.kind {
            ErrorKind::Parse => PARSE_ERROR,
            ErrorKind::InvalidInput => INVALID_PARAMS,
            ErrorKind::Internal => INTERNAL_ERROR,
            _ => SERVER_ERROR,
        };
        RpcError {
            code,
            message: err.to_string(),
            data: serde_json::to_value(&err).ok(),
        }
    }
}

/// A response: exactly one of `result` and `error`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Always `"2.0"`.
    pub jsonrpc: String,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The id of the request answered; null when it could not be read.
    pub id: Id,
}

/// The two outcomes of a response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Success.
    Result(Value),
    /// Failure.
    Error(RpcError),
}

impl Response {
    /// A success response.
    pub fn ok(id: Id, result: Value) -> Self {
        Response {
            jsonrpc: VERSION.into(),
            outcome: Outcome::Result(result),
            id,
        }
    }

    /// An error response.
    pub fn err(id: Id, error: RpcError) -> Self {
        Response {
            jsonrpc: VERSION.into(),
            outcome: Outcome::Error(error),
            id,
        }
    }

    /// The result, or the error as a [`PluginError`].
    pub fn into_result(self) -> Result<Value, PluginError> {
        match self.outcome {
            Outcome::Result(v) => Ok(v),
            Outcome::Error(e) => Err(e.to_plugin_error()),
        }
    }
}

/// One frame's worth of incoming JSON-RPC, classified by the spec's rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A single request or notification.
    Request(Request),
    /// A single response.
    Response(Response),
    /// A non-empty batch; each entry classified on its own.
    Batch(Vec<Incoming>),
    /// Something that is not valid JSON-RPC; the response to send back (id null, or the
    /// request's id when it could be read). For an invalid entry of a batch, the batch
    /// answer contains this response.
    Invalid(Response),
}

impl Incoming {
    /// Classifies one frame. Never fails: what cannot be read becomes
    /// [`Incoming::Invalid`] carrying the response the spec requires.
    pub fn parse(frame: &[u8]) -> Incoming {
        match serde_json::from_slice::<Value>(frame) {
            Err(e) => Incoming::Invalid(Response::err(Id::Null, RpcError::parse_error(e))),
            Ok(Value::Array(items)) if items.is_empty() => Incoming::Invalid(Response::err(
                Id::Null,
                RpcError::invalid_request("empty batch"),
            )),
            Ok(Value::Array(items)) => {
                Incoming::Batch(items.into_iter().map(Self::classify).collect())
            }
            Ok(value) => Self::classify(value),
        }
    }

    /// Classifies one already-parsed JSON value (not a batch).
    pub fn classify(value: Value) -> Incoming {
        let id = value
            .get("id")
            .and_then(|id| serde_json::from_value::<Id>(id.clone()).ok())
            .unwrap_or(Id::Null);
        let Value::Object(map) = &value else {
            return Incoming::Invalid(Response::err(
                Id::Null,
                RpcError::invalid_request("a request must be a JSON object"),
            ));
        };
        if map.get("jsonrpc").and_then(Value::as_str) != Some(VERSION) {
            return Incoming::Invalid(Response::err(
                id,
                RpcError::invalid_request("`jsonrpc` must be \"2.0\""),
            ));
        }
        if map.contains_key("method") {
            match serde_json::from_value::<Request>(value.clone()) {
                Ok(req) => match &req.params {
                    Some(p) if !p.is_array() && !p.is_object() => Incoming::Invalid(Response::err(
                        id,
                        RpcError::invalid_request("`params` must be an array or an object"),
                    )),
                    _ => Incoming::Request(req),
                },
                Err(e) => Incoming::Invalid(Response::err(id, RpcError::invalid_request(e))),
            }
        } else if map.contains_key("result") || map.contains_key("error") {
            match serde_json::from_value::<Response>(value.clone()) {
                Ok(resp) => Incoming::Response(resp),
                Err(e) => Incoming::Invalid(Response::err(id, RpcError::invalid_request(e))),
            }
        } else {
            Incoming::Invalid(Response::err(
                id,
                RpcError::invalid_request("neither a request (`method`) nor a response"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_and_notification_are_told_apart() {
        let Incoming::Request(r) =
            Incoming::parse(br#"{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}"#)
        else {
            panic!()
        };
        assert_eq!(r.id, Some(Id::Number(1)));
        let Incoming::Request(n) = Incoming::parse(br#"{"jsonrpc":"2.0","method":"update"}"#)
        else {
            panic!()
        };
        assert!(n.is_notification());
        let Incoming::Request(null_id) =
            Incoming::parse(br#"{"jsonrpc":"2.0","method":"m","id":null}"#)
        else {
            panic!()
        };
        assert_eq!(
            null_id.id,
            Some(Id::Null),
            "a null id is a request, not a notification"
        );
    }

    #[test]
    fn spec_error_cases_produce_the_spec_responses() {
        let Incoming::Invalid(resp) = Incoming::parse(br#"{"jsonrpc":"2.0","method":"foo"#) else {
            panic!()
        };
        assert_eq!(
            serde_json::to_value(&resp).unwrap()["error"]["code"],
            json!(-32700)
        );
        assert_eq!(resp.id, Id::Null);

        let Incoming::Invalid(resp) = Incoming::parse(br#"[]"#) else {
            panic!()
        };
        assert!(matches!(
            resp.outcome,
            Outcome::Error(RpcError {
                code: INVALID_REQUEST,
                ..
            })
        ));

        let Incoming::Invalid(resp) =
            Incoming::parse(br#"{"jsonrpc":"2.0","method":1,"params":"bar"}"#)
        else {
            panic!()
        };
        assert!(matches!(
            resp.outcome,
            Outcome::Error(RpcError {
                code: INVALID_REQUEST,
                ..
            })
        ));

        let Incoming::Batch(items) = Incoming::parse(br#"[1,2]"#) else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| matches!(i, Incoming::Invalid(_))));
    }

    #[test]
    fn responses_serialize_with_exactly_one_of_result_and_error() {
        let ok = serde_json::to_value(Response::ok(Id::Number(1), json!(19))).unwrap();
        assert_eq!(ok, json!({"jsonrpc":"2.0","result":19,"id":1}));
        let err = Response::err(Id::from("a"), RpcError::method_not_found("foo"));
        let v = serde_json::to_value(&err).unwrap();
        assert_eq!(v["error"]["code"], json!(-32601));
        assert!(v.get("result").is_none());
        let back: Response = serde_json::from_value(v).unwrap();
        assert_eq!(back.into_result().unwrap_err().kind, ErrorKind::NotFound);
    }
}
