//! Replies the client cannot use fail the waiting call at once, saying what was wrong:
//! never a silent wait for the call's time limit. Each case is a raw server on a real
//! Unix socket that answers the client's request with one crafted frame.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

use interop_ipc::rpc::CallError;
use interop_ipc::{transport, PeerOptions, Router};
use interop_protocol::ErrorKind;
use serde_json::{json, Value};

/// Far longer than any case may take: a call that waits this long failed the test.
const PATIENCE: Duration = Duration::from_secs(5);

/// Calls `m` on a server that answers each request with `reply(id)` (a raw frame), and
/// returns the outcome and how long it took.
fn call_answered_with(
    reply: impl Fn(&Value) -> String + Send + 'static,
) -> (Result<Value, CallError>, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut writer = stream.try_clone().unwrap();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            let request: Value = serde_json::from_str(&line).unwrap();
            let mut frame = reply(&request["id"]);
            frame.push('\n');
            if writer.write_all(frame.as_bytes()).is_err() {
                return;
            }
        }
    });
    let rt = interop_ipc::runtime::runtime().unwrap();
    rt.block_on(async {
        let options = PeerOptions {
            timeout: Some(PATIENCE),
            ..PeerOptions::default()
        };
        let peer = transport::connect_unix(&path, Router::new(), options)
            .await
            .unwrap();
        let started = Instant::now();
        let outcome = peer.call("m", Some(json!({}))).await;
        (outcome, started.elapsed())
    })
}

/// The call failed at once as a bad reply whose description contains `what`.
fn assert_bad_reply(outcome: (Result<Value, CallError>, Duration), what: &str) {
    let (result, took) = outcome;
    match &result {
        Err(CallError::BadReply(why)) => assert!(why.contains(what), "`{what}` not in: {why}"),
        other => panic!("expected a bad reply about `{what}`, got {other:?} after {took:?}"),
    }
    assert!(took < PATIENCE / 2, "the call waited {took:?}");
    let err = result.unwrap_err().to_plugin_error("p", "m");
    assert_eq!(err.kind, ErrorKind::Parse, "{err}");
    assert!(err.message.contains(what), "{err}");
}

#[test]
fn a_reply_without_jsonrpc_fails_the_call_at_once() {
    let outcome = call_answered_with(|id| json!({"id": id, "result": 1}).to_string());
    assert_bad_reply(outcome, "`jsonrpc`");
}

#[test]
fn a_reply_whose_id_is_a_string_for_a_numeric_request_fails_the_call_at_once() {
    let outcome = call_answered_with(|id| {
        json!({"jsonrpc": "2.0", "id": id.to_string(), "result": 1}).to_string()
    });
    assert_bad_reply(outcome, "the string \"1\"");
}

#[test]
fn an_error_with_a_null_id_fails_the_waiting_call_with_its_message() {
    let outcome = call_answered_with(|_| {
        json!({"jsonrpc": "2.0", "id": null,
               "error": {"code": -32700, "message": "cannot read your request"}})
        .to_string()
    });
    assert_bad_reply(outcome, "cannot read your request");
}

#[test]
fn a_reply_nested_a_hundred_thousand_deep_fails_the_call_at_once() {
    let outcome = call_answered_with(|id| {
        let depth = 100_000;
        format!(
            r#"{{"jsonrpc":"2.0","id":{id},"result":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    });
    assert_bad_reply(outcome, "could not be parsed");
}

#[test]
fn malformed_json_in_reply_fails_the_call_at_once() {
    let outcome = call_answered_with(|id| format!(r#"{{"jsonrpc":"2.0","id":{id},"result":"#));
    assert_bad_reply(outcome, "could not be parsed");
}

#[test]
fn a_reply_with_both_result_and_error_fails_the_call_at_once() {
    let outcome = call_answered_with(|id| {
        json!({"jsonrpc": "2.0", "id": id, "result": 1,
               "error": {"code": 1, "message": "x"}})
        .to_string()
    });
    assert_bad_reply(outcome, "both `result` and `error`");
}

#[test]
fn the_message_and_data_of_a_remote_error_reach_the_user() {
    let (result, _) = call_answered_with(|id| {
        json!({"jsonrpc": "2.0", "id": id, "error": {
            "code": -32603, "message": "Internal error",
            "data": "Traceback (most recent call last):\nValueError: the answer is not 42"}})
        .to_string()
    });
    let err = result.unwrap_err().to_plugin_error("p", "m");
    assert_eq!(err.kind, ErrorKind::Internal, "{err}");
    assert!(err.message.contains("Internal error"), "{err}");
    assert!(
        err.message.contains("ValueError: the answer is not 42"),
        "{err}"
    );
    assert_eq!(
        err.data.as_deref(),
        Some(&json!(
            "Traceback (most recent call last):\nValueError: the answer is not 42"
        ))
    );
}

#[test]
fn a_structured_remote_error_keeps_its_kind_and_message() {
    let (result, _) = call_answered_with(|id| {
        json!({"jsonrpc": "2.0", "id": id, "error": {
            "code": -32000, "message": "denied",
            "data": {"kind": "denied", "message": "no network for you"}}})
        .to_string()
    });
    let err = result.unwrap_err().to_plugin_error("p", "m");
    assert_eq!(err.kind, ErrorKind::Denied, "{err}");
    assert_eq!(err.message, "no network for you");
}
