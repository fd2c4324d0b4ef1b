//! JSON-RPC 2.0 as the specification requires it, over real sockets: each case sends the
//! spec's example frames to a server built from a [`Router`] and checks the response.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use interop_ipc::rpc::{CallError, Disconnect};
use interop_ipc::{transport, Endpoint, Framing, PeerOptions, Router};
use interop_protocol::jsonrpc::RpcError;
use interop_protocol::{ErrorKind, PluginError};
use serde_json::{json, Value};

fn rt() -> &'static tokio::runtime::Runtime {
    interop_ipc::runtime::runtime().unwrap()
}

/// The server of the spec's examples; `notified` counts `update` notifications.
fn router(notified: Arc<AtomicUsize>) -> Router {
    Router::new()
        .inline("subtract", |p| match p {
            Some(Value::Array(a)) if a.len() == 2 => Ok(json!(
                a[0].as_i64().unwrap_or(0) - a[1].as_i64().unwrap_or(0)
            )),
            Some(Value::Object(o)) => Ok(json!(
                o["minuend"].as_i64().unwrap_or(0) - o["subtrahend"].as_i64().unwrap_or(0)
            )),
            _ => Err(RpcError::invalid_params("two numbers expected")),
        })
        .inline("sum", |p| {
            let total: i64 = p
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(Value::as_i64)
                .sum();
            Ok(json!(total))
        })
        .inline("get_data", |_| Ok(json!(["hello", 5])))
        .inline("big", |_| Ok(json!("x".repeat(4096))))
        .inline("update", move |_| {
            notified.fetch_add(1, Ordering::SeqCst);
            Ok(Value::Null)
        })
        .inline("notify_hello", |_| Ok(Value::Null))
        .blocking("denied", |_| {
            Err(PluginError::denied("fs.readFile `/etc/shadow`: outside the granted roots").into())
        })
        .blocking("panics", |_| panic!("the handler's own bug"))
        .async_method("sleep", |p| async move {
            let ms = p
                .and_then(|v| v.get("ms").and_then(Value::as_u64))
                .unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(json!(ms))
        })
}

struct Server {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    notified: Arc<AtomicUsize>,
}

fn unix_server(max_frame: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpc.sock");
    let notified = Arc::new(AtomicUsize::new(0));
    let router = router(notified.clone());
    let listener = {
        let _guard = rt().enter();
        tokio::net::UnixListener::bind(&path).unwrap()
    };
    let options = PeerOptions {
        max_frame,
        ..PeerOptions::default()
    };
    rt().spawn(transport::serve_unix(listener, router, options));
    Server {
        _dir: dir,
        path,
        notified,
    }
}

struct Raw {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Raw {
    fn connect(server: &Server) -> Raw {
        let s = UnixStream::connect(&server.path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Raw {
            reader: BufReader::new(s.try_clone().unwrap()),
            writer: s,
        }
    }
    /// Sends `frame` as one line (newlines inside it, as in a pretty-printed batch, are
    /// made spaces: JSON allows them as whitespace only).
    fn send(&mut self, frame: &str) {
        let line = format!("{}\n", frame.replace('\n', " "));
        // The server may close right after reading an over-long prefix.
        let _ = self.writer.write_all(line.as_bytes());
    }
    fn recv(&mut self) -> Value {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad response {line:?}: {e}"))
    }
    fn exchange(&mut self, frame: &str) -> Value {
        self.send(frame);
        self.recv()
    }
}

#[test]
fn a_call_with_positional_or_named_params_gets_its_result_and_id() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    assert_eq!(
        c.exchange(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#),
        json!({"jsonrpc": "2.0", "result": 19, "id": 1})
    );
    assert_eq!(
        c.exchange(r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": "four"}"#),
        json!({"jsonrpc": "2.0", "result": 19, "id": "four"})
    );
}

#[test]
fn a_notification_gets_no_response_but_runs() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    c.send(r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#);
    c.send(r#"{"jsonrpc": "2.0", "method": "foobar"}"#);
    // The next line read answers the next request: the notifications got nothing.
    assert_eq!(
        c.exchange(r#"{"jsonrpc": "2.0", "method": "get_data", "id": 9}"#),
        json!({"jsonrpc": "2.0", "result": ["hello", 5], "id": 9})
    );
    assert_eq!(server.notified.load(Ordering::SeqCst), 1);
}

#[test]
fn an_unknown_method_gets_method_not_found() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#);
    assert_eq!(r["error"]["code"], json!(-32601));
    assert_eq!(r["id"], json!("1"));
    assert!(r.get("result").is_none());
    assert_eq!(r["error"]["data"]["kind"], json!("not_found"));
}

#[test]
fn a_malformed_frame_gets_a_parse_error_and_the_connection_stays_up() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#);
    assert_eq!(r["error"]["code"], json!(-32700));
    assert_eq!(r["id"], Value::Null);
    assert_eq!(
        c.exchange(r#"{"jsonrpc": "2.0", "method": "sum", "params": [1,2], "id": 2}"#)["result"],
        json!(3)
    );
}

#[test]
fn an_invalid_request_gets_invalid_request() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#);
    assert_eq!(r["error"]["code"], json!(-32600));
    assert_eq!(r["id"], Value::Null);
    let r = c.exchange(r#"{"jsonrpc": "1.0", "method": "sum", "id": 3}"#);
    assert_eq!(r["error"]["code"], json!(-32600));
    assert_eq!(r["id"], json!(3));
}

#[test]
fn an_empty_batch_gets_one_invalid_request() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange("[]");
    assert_eq!(r["error"]["code"], json!(-32600));
    assert!(r.is_object(), "not an array: {r}");
}

#[test]
fn an_invalid_batch_gets_one_error_per_entry() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange("[1,2,3]");
    let items = r.as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items
        .iter()
        .all(|i| i["error"]["code"] == json!(-32600) && i["id"].is_null()));
}

#[test]
fn a_mixed_batch_gets_the_responses_of_its_requests_only() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(
        r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#,
    );
    let mut items = r.as_array().unwrap().clone();
    assert_eq!(items.len(), 5, "{r}");
    items.sort_by_key(|i| i["id"].as_str().unwrap_or("").to_owned());
    assert_eq!(items[0]["error"]["code"], json!(-32600)); // {"foo": "boo"}, id null
    assert_eq!(items[1], json!({"jsonrpc": "2.0", "result": 7, "id": "1"}));
    assert_eq!(items[2], json!({"jsonrpc": "2.0", "result": 19, "id": "2"}));
    assert_eq!(items[3]["error"]["code"], json!(-32601));
    assert_eq!(items[4]["result"], json!(["hello", 5]));
}

#[test]
fn a_batch_of_notifications_gets_no_response_at_all() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    c.send(r#"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "update", "params": [7]}]"#);
    assert_eq!(
        c.exchange(r#"{"jsonrpc": "2.0", "method": "sum", "params": [5], "id": 1}"#),
        json!({"jsonrpc": "2.0", "result": 5, "id": 1})
    );
}

#[test]
fn an_error_carries_the_plugin_error_in_data() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "denied", "id": 1}"#);
    assert_eq!(r["error"]["code"], json!(-32000));
    let err: PluginError = serde_json::from_value(r["error"]["data"].clone()).unwrap();
    assert_eq!(err.kind, ErrorKind::Denied);
}

#[test]
fn a_blocking_handler_that_panics_still_answers_alone_or_in_a_batch() {
    let server = unix_server(1 << 20);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "panics", "id": 7}"#);
    assert_eq!(r["id"], 7, "{r}");
    assert_eq!(r["error"]["code"], -32603, "{r}");
    let message = r["error"]["data"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("handler of `panics` failed: the handler's own bug"),
        "{r}"
    );
    let r = c.exchange(
        r#"[{"jsonrpc": "2.0", "method": "panics", "id": 8},
            {"jsonrpc": "2.0", "method": "denied", "id": 9},
            {"jsonrpc": "2.0", "method": "sum", "params": [1, 2], "id": 10}]"#,
    );
    let mut ids: Vec<i64> = r
        .as_array()
        .unwrap_or_else(|| panic!("not a batch response: {r}"))
        .iter()
        .filter_map(|x| x["id"].as_i64())
        .collect();
    ids.sort();
    assert_eq!(ids, [8, 9, 10], "{r}");
    // The connection still serves.
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "sum", "params": [2, 3], "id": 11}"#);
    assert_eq!(r["result"], 5, "{r}");
}

#[test]
fn a_frame_over_the_limit_gets_an_error_and_the_connection_is_closed() {
    let server = unix_server(1024);
    let mut c = Raw::connect(&server);
    let big = format!(
        r#"{{"jsonrpc": "2.0", "method": "sum", "params": ["{}"], "id": 1}}"#,
        "x".repeat(4096)
    );
    let r = c.exchange(&big);
    assert_eq!(r["error"]["code"], json!(-32600));
    assert_eq!(r["error"]["data"]["data"]["limit"], json!("message_size"));
    let mut rest = String::new();
    assert_eq!(c.reader.read_to_string(&mut rest).unwrap_or(0), 0, "closed");
}

#[test]
fn a_response_over_the_limit_becomes_a_message_size_error_for_its_id() {
    let server = unix_server(1024);
    let mut c = Raw::connect(&server);
    let r = c.exchange(r#"{"jsonrpc": "2.0", "method": "big", "id": 7}"#);
    assert_eq!(r["id"], json!(7));
    assert_eq!(
        r["error"]["data"]["data"]["limit"],
        json!("message_size"),
        "{r}"
    );
}

#[test]
fn the_client_matches_many_concurrent_replies_by_id_out_of_order() {
    let server = unix_server(1 << 20);
    let endpoint = Endpoint::Unix(server.path.clone());
    rt().block_on(async {
        let peer = transport::connect(&endpoint, Router::new(), PeerOptions::default())
            .await
            .unwrap();
        let mut calls = Vec::new();
        for i in 0..200u64 {
            let peer = peer.clone();
            // Later calls finish first: replies arrive out of order.
            calls.push(tokio::spawn(async move {
                let ms = (200 - i) / 10;
                (ms, peer.call("sleep", Some(json!({"ms": ms}))).await)
            }));
        }
        for call in calls {
            let (ms, result) = call.await.unwrap();
            assert_eq!(result.unwrap(), json!(ms));
        }
        assert_eq!(peer.in_flight(), 0);
    });
}

#[test]
fn the_client_times_out_and_reports_remote_errors_and_disconnects() {
    let server = unix_server(1 << 20);
    let endpoint = Endpoint::Unix(server.path.clone());
    rt().block_on(async {
        let peer = transport::connect(&endpoint, Router::new(), PeerOptions::default())
            .await
            .unwrap();
        let r = peer
            .call_with_timeout(
                "sleep",
                Some(json!({"ms": 2000})),
                Some(Duration::from_millis(50)),
            )
            .await;
        assert_eq!(r, Err(CallError::Timeout(Duration::from_millis(50))));
        assert_eq!(peer.in_flight(), 0, "the timed-out call is forgotten");
        match peer.call("nope", None).await {
            Err(CallError::Remote(e)) => assert_eq!(e.code, -32601),
            other => panic!("{other:?}"),
        }
        let big = json!("x".repeat(2 << 20));
        let small = PeerOptions {
            max_frame: 1024,
            ..PeerOptions::default()
        };
        let limited = transport::connect(&endpoint, Router::new(), small)
            .await
            .unwrap();
        assert!(matches!(
            limited.call("sum", Some(json!([big]))).await,
            Err(CallError::TooLarge { limit: 1024, .. })
        ));
        peer.close().await;
        assert_eq!(
            peer.call("sum", None).await,
            Err(CallError::Disconnected(Disconnect::Closed))
        );
    });
}

#[test]
fn tcp_and_content_length_framing_round_trip() {
    let notified = Arc::new(AtomicUsize::new(0));
    let (addr, listener) = {
        let _guard = rt().enter();
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        (
            addr,
            tokio::net::TcpListener::from_std(std_listener).unwrap(),
        )
    };
    let lsp = PeerOptions {
        framing: Framing::ContentLength,
        ..PeerOptions::default()
    };
    rt().spawn(transport::serve_tcp(
        listener,
        router(notified),
        lsp.clone(),
    ));
    // A raw LSP-style exchange.
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let body = r#"{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}"#;
    write!(s, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut buf = [0u8; 256];
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    let (head, json_text) = text.split_once("\r\n\r\n").unwrap();
    assert_eq!(head, format!("Content-Length: {}", json_text.len()));
    assert_eq!(
        serde_json::from_str::<Value>(json_text).unwrap()["result"],
        json!(2)
    );
    // And our client.
    rt().block_on(async {
        let peer = transport::connect(&Endpoint::Tcp(addr.to_string()), Router::new(), lsp)
            .await
            .unwrap();
        assert_eq!(
            peer.call("sum", Some(json!([20, 22]))).await.unwrap(),
            json!(42)
        );
    });
}

#[test]
fn requests_flow_both_ways_on_one_connection() {
    // The server answers `ask` by calling the client's `answer` back on the same connection.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.sock");
    rt().block_on(async {
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (r, w) = stream.into_split();
            let slot: Arc<std::sync::OnceLock<interop_ipc::Peer>> = Arc::default();
            let me = slot.clone();
            let router = Router::new().async_method("ask", move |_| {
                let me = me.clone();
                async move {
                    let peer = me.get().cloned().unwrap();
                    let answer = peer
                        .call("answer", None)
                        .await
                        .map_err(RpcError::internal)?;
                    Ok(json!({"client said": answer}))
                }
            });
            let peer = interop_ipc::Peer::new(r, w, router, PeerOptions::default());
            let _ = slot.set(peer.clone());
            peer.closed().await;
        });
        let client = transport::connect_unix(
            &path,
            Router::new().inline("answer", |_| Ok(json!(42))),
            PeerOptions::default(),
        )
        .await
        .unwrap();
        assert_eq!(
            client.call("ask", None).await.unwrap(),
            json!({"client said": 42})
        );
        client.close().await;
        server.await.unwrap();
    });
}
