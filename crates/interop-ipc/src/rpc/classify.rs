//! Frames classified as they are read: a request to answer, a reply to one of this side's
//! calls (usable or not, and why not), or something to reject with the error the spec
//! requires.
//!
//! A reply is anything with `result` or `error` and no `method`. It is never answered
//! (the spec forbids answering responses); a reply that cannot be used is described
//! instead, so that the call it answers fails at once saying what was wrong.

use interop_protocol::jsonrpc::{Id, Incoming, Request, Response, RpcError, VERSION};
use serde_json::{Map, Value};

/// One frame, classified.
#[derive(Debug)]
pub(super) enum Frame {
    /// A request or notification to dispatch.
    Request(Request),
    /// A reply to a call of this side.
    Reply(Reply),
    /// An invalid request: the error response to send back.
    Invalid(Response),
    /// Not JSON (or nested deeper than the parser's limit): what the parser said, and the
    /// `-32700` response to send back.
    Unreadable {
        /// The parser's error.
        why: String,
        /// The response the spec requires.
        answer: Response,
    },
    /// A non-empty batch; each entry classified on its own (never a batch or unreadable).
    Batch(Vec<Frame>),
}

/// A reply as received.
#[derive(Debug)]
pub(super) struct Reply {
    /// The id as sent (`null` when missing).
    pub(super) id: Value,
    /// The result or error; `Err` says what makes the reply unusable.
    pub(super) outcome: Result<Result<Value, RpcError>, String>,
}

impl Reply {
    /// The call this reply answers (this side sends integer ids), and what is wrong with
    /// its id when it is not exactly that integer. `None`: no call can be told.
    pub(super) fn target(&self) -> Option<(i64, Option<String>)> {
        match &self.id {
            Value::Number(n) => n.as_i64().map(|n| (n, None)),
            Value::String(s) => s.trim().parse::<i64>().ok().map(|n| {
                let why = format!("its id is the string {s:?}; the request's was the number {n}");
                (n, Some(why))
            }),
            _ => None,
        }
    }
}

/// Classifies one frame.
pub(super) fn parse_frame(frame: &[u8]) -> Frame {
    match serde_json::from_slice::<Value>(frame) {
        Err(e) => Frame::Unreadable {
            why: e.to_string(),
            answer: Response::err(Id::Null, RpcError::parse_error(&e)),
        },
        Ok(Value::Array(items)) if items.is_empty() => Frame::Invalid(Response::err(
            Id::Null,
            RpcError::invalid_request("empty batch"),
        )),
        Ok(Value::Array(items)) => Frame::Batch(items.into_iter().map(classify).collect()),
        Ok(value) => classify(value),
    }
}

/// Classifies one value that is not a batch.
fn classify(value: Value) -> Frame {
    let Value::Object(mut map) = value else {
        return Frame::Invalid(Response::err(
            Id::Null,
            RpcError::invalid_request("a request must be a JSON object"),
        ));
    };
    if !map.contains_key("method") && (map.contains_key("result") || map.contains_key("error")) {
        return Frame::Reply(reply(map));
    }
    // The common shape, without the copies of the general path below.
    let id = match map.get("id") {
        None => Some(None),
        Some(Value::Number(n)) => n.as_i64().map(|n| Some(Id::Number(n))),
        Some(Value::String(s)) => Some(Some(Id::String(s.clone()))),
        Some(Value::Null) => Some(Some(Id::Null)),
        Some(_) => None,
    };
    let plain_request = map.get("jsonrpc").and_then(Value::as_str) == Some(VERSION)
        && matches!(map.get("method"), Some(Value::String(_)))
        && matches!(
            map.get("params"),
            None | Some(Value::Array(_)) | Some(Value::Object(_))
        );
    if let (true, Some(id)) = (plain_request, id) {
        if let Some(Value::String(method)) = map.remove("method") {
            return Frame::Request(Request {
                jsonrpc: VERSION.into(),
                method,
                params: map.remove("params"),
                id,
            });
        }
    }
    match Incoming::classify(Value::Object(map)) {
        Incoming::Request(request) => Frame::Request(request),
        Incoming::Invalid(response) => Frame::Invalid(response),
        // Replies were told apart above, and a batch is never an object.
        Incoming::Response(_) | Incoming::Batch(_) => Frame::Invalid(Response::err(
            Id::Null,
            RpcError::invalid_request("neither a request nor a response"),
        )),
    }
}

/// A reply object, with what makes it unusable.
fn reply(mut map: Map<String, Value>) -> Reply {
    let id = map.remove("id").unwrap_or(Value::Null);
    let mut problems = Vec::new();
    match map.get("jsonrpc") {
        Some(Value::String(v)) if v == VERSION => {}
        None => problems.push("`jsonrpc` is missing (it must be \"2.0\")".to_owned()),
        Some(other) => problems.push(format!("`jsonrpc` is {other}, not \"2.0\"")),
    }
    let outcome = match (map.remove("result"), map.remove("error")) {
        (Some(_), Some(_)) => Err("it has both `result` and `error`".to_owned()),
        (Some(result), None) => Ok(Ok(result)),
        (None, Some(error)) => match serde_json::from_value::<RpcError>(error) {
            Ok(error) => Ok(Err(error)),
            Err(e) => Err(format!(
                "its `error` is not {{\"code\": integer, \"message\": string}}: {e}"
            )),
        },
        (None, None) => Err("it has neither `result` nor `error`".to_owned()),
    };
    let outcome = match outcome {
        Err(why) => Err(problems
            .into_iter()
            .chain([why])
            .collect::<Vec<_>>()
            .join("; ")),
        Ok(outcome) if problems.is_empty() => Ok(outcome),
        Ok(_) => Err(problems.join("; ")),
    };
    Reply { id, outcome }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_request_and_a_plain_reply_are_told_apart() {
        let Frame::Request(r) = parse_frame(br#"{"jsonrpc":"2.0","id":3,"method":"m"}"#) else {
            panic!()
        };
        assert_eq!((r.method.as_str(), r.id), ("m", Some(Id::Number(3))));
        let Frame::Reply(r) = parse_frame(br#"{"jsonrpc":"2.0","id":3,"result":[1]}"#) else {
            panic!()
        };
        assert_eq!(r.target(), Some((3, None)));
        assert_eq!(r.outcome, Ok(Ok(serde_json::json!([1]))));
    }

    #[test]
    fn an_error_object_without_a_message_makes_the_reply_unusable() {
        let Frame::Reply(r) = parse_frame(br#"{"jsonrpc":"2.0","id":3,"error":{"code":1}}"#) else {
            panic!()
        };
        assert!(r.outcome.unwrap_err().contains("`error` is not"));
    }

    mod properties {
        //! Arbitrary frames never panic the parser; valid requests are read back as sent.
        use super::*;
        use proptest::prelude::*;

        fn json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_map(Value::from),
                ".{0,8}".prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    proptest::collection::btree_map(
                        prop_oneof![
                            Just("jsonrpc".to_owned()),
                            Just("id".to_owned()),
                            Just("method".to_owned()),
                            Just("result".to_owned()),
                            Just("error".to_owned()),
                            ".{0,4}".prop_map(String::from)
                        ],
                        inner,
                        0..5,
                    )
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_bytes_never_panic_the_parser(
                input in proptest::collection::vec(any::<u8>(), 0..256),
            ) {
                let _ = parse_frame(&input);
            }

            #[test]
            fn arbitrary_json_never_panics_the_parser(value in json()) {
                let _ = parse_frame(value.to_string().as_bytes());
                let _ = parse_frame(Value::Array(vec![value.clone(), value]).to_string().as_bytes());
            }

            #[test]
            fn a_valid_request_is_read_back_as_sent(
                method in ".{0,16}",
                id in prop_oneof![any::<i64>().prop_map(Id::Number), ".{0,8}".prop_map(Id::String), Just(Id::Null)],
                params in prop_oneof![Just(None), json().prop_filter("params", |p| p.is_array() || p.is_object()).prop_map(Some)],
            ) {
                let sent = Request { jsonrpc: VERSION.into(), method, params, id: Some(id) };
                let frame = serde_json::to_vec(&sent).unwrap();
                match parse_frame(&frame) {
                    Frame::Request(got) => prop_assert_eq!(got, sent),
                    other => prop_assert!(false, "{:?}", other),
                }
            }
        }
    }
}
