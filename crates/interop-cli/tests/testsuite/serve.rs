//! `interop serve`: the real binary as a JSON-RPC server, driven by the Python and Node
//! client examples (real `python3` and `node` processes) and by raw sockets for the
//! protocol's errors and its security rules.
#![cfg(all(feature = "ipc", feature = "wasm", feature = "js"))]

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{repo, text};
use serde_json::{json, Value};

const WASM_GREETER: &str = "examples/plugins/rust-greeter";
const JS_GREETER: &str = "examples/plugins/js-greeter";

/// A running `interop serve`; killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    /// Starts `interop serve args` and waits until it says where it listens.
    fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_interop"))
            .arg("serve")
            .args(args)
            .env_remove("INTEROP_SERVE_TOKEN")
            .envs(env.iter().copied())
            .current_dir(repo())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start interop serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[serve] {line}");
                if let Some(address) = line.strip_prefix("interop serve: listening on ") {
                    let _ = tx.send(address.to_owned());
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("interop serve did not say where it listens");
        Server { child, address }
    }

    /// Waits for the server to exit by itself.
    fn wait(&mut self) -> std::process::ExitStatus {
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("interop serve did not stop");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client speaking the protocol by hand, one JSON value per line.
struct Raw {
    reader: BufReader<Box<dyn Read + Send>>,
    writer: Box<dyn Write + Send>,
    /// Notifications received so far.
    notifications: Vec<Value>,
}

impl Raw {
    fn connect(address: &str) -> Raw {
        let (reader, writer): (Box<dyn Read + Send>, Box<dyn Write + Send>) =
            if let Some(path) = address.strip_prefix("unix:") {
                let s = UnixStream::connect(path).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                (Box::new(s.try_clone().unwrap()), Box::new(s))
            } else {
                let addr = address.strip_prefix("tcp:").expect("tcp: address");
                let s = TcpStream::connect(addr).expect("connect");
                s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                (Box::new(s.try_clone().unwrap()), Box::new(s))
            };
        Raw {
            reader: BufReader::new(reader),
            writer,
            notifications: Vec::new(),
        }
    }

    fn send(&mut self, line: &str) {
        self.try_send(line).unwrap();
    }

    /// Sends one line in one write; the server may close the connection while it is being
    /// written (it answers an oversized frame as soon as it has seen too much of it).
    fn try_send(&mut self, line: &str) -> std::io::Result<()> {
        self.writer.write_all(format!("{line}\n").as_bytes())
    }

    /// The next response (notifications kept aside); `None` once the server closed.
    fn recv(&mut self) -> Option<Value> {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            let value: Value = serde_json::from_str(&line).expect("the server sent JSON");
            if value.get("method").is_none() {
                return Some(value);
            }
            self.notifications.push(value);
        }
    }

    /// The first notification of `method` (received already, or the next one).
    fn notification(&mut self, method: &str) -> Value {
        loop {
            if let Some(n) = self
                .notifications
                .iter()
                .find(|n| n["method"] == json!(method))
            {
                return n.clone();
            }
            let mut line = String::new();
            assert!(
                self.reader.read_line(&mut line).unwrap() > 0,
                "connection closed"
            );
            let message: Value = serde_json::from_str(&line).expect("the server sent JSON");
            assert!(
                message.get("method").is_some(),
                "an unexpected answer: {message}"
            );
            self.notifications.push(message);
        }
    }

    fn call(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        );
        let response = self.recv().expect("a response");
        assert_eq!(response["id"], json!(id), "{response}");
        response
    }
}

fn absolute(path: &str) -> String {
    repo().join(path).to_string_lossy().into_owned()
}

fn run(program: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(repo())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"))
}

/// What both client examples print for the wasm and the JS greeter.
fn assert_example_output(out: &Output) {
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    for expected in [
        "loaded rust-greeter 0.1.0 (wasm): greet, farewell",
        "loaded js-greeter 1.0.0 (js): greet, farewell",
        "rust-greeter greet -> Hello, World!",
        "js-greeter greet -> Hello, World! App version: 1.0.0",
        "rust-greeter greet 42 -> error -32602 invalid_input:",
        "metrics rust-greeter: calls=2 errors=1",
        "metrics js-greeter: calls=1 errors=0",
        "log js-greeter info: Greeting World",
    ] {
        assert!(
            stdout.contains(expected),
            "missing `{expected}` in:\n{stdout}"
        );
    }
}

#[test]
fn the_python_client_loads_and_calls_a_wasm_and_a_js_plugin_over_a_unix_socket() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("interop.sock");
    let mut server = Server::start(&["--unix", socket.to_str().unwrap()], &[]);
    assert_eq!(server.address, format!("unix:{}", socket.display()));
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");

    let out = run(
        "python3",
        &[
            "examples/hosts/python/example.py",
            &server.address,
            WASM_GREETER,
            JS_GREETER,
        ],
        &[],
    );
    assert_example_output(&out);

    let mut client = Raw::connect(&server.address);
    let stopping = client.call(1, "host.shutdown", json!({}));
    assert_eq!(stopping["result"], json!({"stopping": true}));
    assert!(server.wait().success());
    assert!(
        !socket.exists(),
        "the socket file is removed when the server stops"
    );
}

#[test]
fn the_node_client_does_the_same_over_tcp_with_a_token() {
    let token = [("INTEROP_SERVE_TOKEN", "s3cret-token")];
    let server = Server::start(&["--tcp", "127.0.0.1:0"], &token);
    assert!(
        server.address.starts_with("tcp:127.0.0.1:"),
        "{}",
        server.address
    );
    let out = run(
        "node",
        &[
            "examples/hosts/node/example.js",
            &server.address,
            WASM_GREETER,
            JS_GREETER,
        ],
        &token,
    );
    assert_example_output(&out);

    // The same client without the token is turned away before any method.
    let refused = run(
        "node",
        &[
            "examples/hosts/node/example.js",
            &server.address,
            JS_GREETER,
        ],
        &[],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("Unauthorized"),
        "{}",
        text(&refused.stderr)
    );
}

#[test]
fn a_connection_without_the_right_token_is_answered_with_an_error_and_closed() {
    let server = Server::start(&["--tcp", "127.0.0.1:0", "--token", "right"], &[]);

    let mut no_auth = Raw::connect(&server.address);
    let refused = no_auth.call(1, "plugin.list", json!({}));
    assert_eq!(refused["error"]["code"], json!(-32001), "{refused}");
    assert_eq!(
        refused["error"]["data"]["kind"],
        json!("denied"),
        "{refused}"
    );
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("`plugin.list` before `auth`"));
    assert_eq!(no_auth.recv(), None, "the connection is closed");

    let mut wrong = Raw::connect(&server.address);
    let refused = wrong.call(1, "auth", json!({"token": "wrong"}));
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("wrong token"));
    assert_eq!(wrong.recv(), None);

    let mut garbage = Raw::connect(&server.address);
    garbage.send("hello?");
    let refused = garbage.recv().expect("an answer");
    assert_eq!(refused["error"]["code"], json!(-32001), "{refused}");
    assert_eq!(garbage.recv(), None);

    let mut right = Raw::connect(&server.address);
    let ok = right.call(1, "auth", json!({"token": "right"}));
    assert_eq!(ok["result"], json!({"authenticated": true}));
    assert_eq!(right.call(2, "plugin.list", json!({}))["result"], json!([]));
}

#[test]
fn listening_beyond_loopback_without_a_token_is_refused() {
    let out = common::interop(&["serve", "--tcp", "0.0.0.0:0"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("refusing to listen on 0.0.0.0:0 without a token"),
        "{err}"
    );
}

#[test]
fn protocol_errors_get_standard_codes_with_the_interop_error_in_data() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("s");
    let server = Server::start(&["--unix", socket.to_str().unwrap()], &[]);
    let mut c = Raw::connect(&server.address);

    c.send("{not json");
    let parse = c.recv().unwrap();
    assert_eq!(parse["error"]["code"], json!(-32700), "{parse}");
    assert_eq!(parse["id"], Value::Null);

    c.send(r#"{"jsonrpc":"1.0","id":1,"method":"plugin.list"}"#);
    assert_eq!(c.recv().unwrap()["error"]["code"], json!(-32600));

    let missing = c.call(2, "no.such.method", json!({}));
    assert_eq!(missing["error"]["code"], json!(-32601), "{missing}");

    let params = c.call(3, "action.invoke", json!({"plugin": "x"}));
    assert_eq!(params["error"]["code"], json!(-32602), "{params}");
    assert_eq!(params["error"]["data"]["kind"], json!("invalid_input"));
    assert!(params["error"]["data"]["message"]
        .as_str()
        .unwrap()
        .contains("missing field `action`"));
    let typo = c.call(4, "plugin.load", json!({"paht": "x"}));
    assert!(typo["error"]["data"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown field `paht`"));

    let not_loaded = c.call(
        5,
        "action.invoke",
        json!({"plugin": "ghost", "action": "a"}),
    );
    assert_eq!(not_loaded["error"]["code"], json!(-32000), "{not_loaded}");
    assert_eq!(not_loaded["error"]["data"]["kind"], json!("not_found"));
    assert_eq!(not_loaded["error"]["data"]["plugin"], json!("ghost"));

    let bad_manifest = c.call(
        6,
        "plugin.load",
        json!({"path": "/nonexistent/plugin.json"}),
    );
    assert_eq!(
        bad_manifest["error"]["code"],
        json!(-32000),
        "{bad_manifest}"
    );
    assert!(bad_manifest["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/plugin.json"));

    // After all that, the connection still serves.
    let loaded = c.call(7, "plugin.load", json!({"path": absolute(WASM_GREETER)}));
    assert_eq!(loaded["result"]["name"], json!("rust-greeter"), "{loaded}");
    let provider = c.call(
        8,
        "provider.get",
        json!({"plugin": "rust-greeter", "provider": "greeting"}),
    );
    assert!(provider["result"].is_object(), "{provider}");
}

#[test]
fn an_oversized_frame_closes_that_connection_only() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("s");
    let server = Server::start(
        &["--unix", socket.to_str().unwrap(), "--max-frame", "4096"],
        &[],
    );
    let mut other = Raw::connect(&server.address);
    assert!(other.call(1, "plugin.list", json!({}))["result"].is_array());

    let mut flooder = Raw::connect(&server.address);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"plugin.load","params":{{"path":"{}"}}}}"#,
        "x".repeat(10_000)
    );
    // Broken pipe is an acceptable end of this write: the server stops reading at 4096 bytes.
    let _ = flooder.try_send(&huge);
    let error = flooder
        .recv()
        .expect("an error before the connection closes");
    assert_eq!(
        error["error"]["data"]["kind"],
        json!("limit_exceeded"),
        "{error}"
    );
    assert!(error["error"]["data"]["message"]
        .as_str()
        .unwrap()
        .contains("frame of more than 4096 bytes; closing the connection"));
    assert_eq!(flooder.recv(), None, "the flooding connection is closed");

    assert!(other.call(2, "plugin.list", json!({}))["result"].is_array());
    assert!(Raw::connect(&server.address).call(1, "host.metrics", json!({}))["result"].is_array());
}

#[test]
fn requests_of_one_connection_are_answered_concurrently_and_reloads_are_notified() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("s");
    let server = Server::start(&["--unix", socket.to_str().unwrap()], &[]);
    let mut c = Raw::connect(&server.address);
    c.call(1, "plugin.load", json!({"path": absolute(JS_GREETER)}));
    // Ten calls written at once, answered in any order.
    for id in 10..20 {
        c.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "action.invoke",
            "params": {"plugin": "js-greeter", "action": "farewell", "input": format!("n{id}")}})
            .to_string(),
        );
    }
    let mut seen: Vec<i64> = (0..10)
        .map(|_| {
            let r = c.recv().expect("a response");
            let id = r["id"].as_i64().unwrap();
            assert_eq!(
                r["result"]["text"],
                json!(format!("Goodbye, n{id}!")),
                "{r}"
            );
            id
        })
        .collect();
    seen.sort();
    assert_eq!(seen, (10..20).collect::<Vec<_>>());

    let reloaded = c.call(2, "plugin.reload", json!({"plugin": "js-greeter"}));
    assert_eq!(reloaded["result"]["name"], json!("js-greeter"));
    // The reload is notified to every connection (around the answer).
    assert_eq!(
        c.notification("host.event")["params"],
        json!({"event": "reloaded", "plugin": "js-greeter", "version": "1.0.0"})
    );
    let tail = c.call(3, "audit.tail", json!({"limit": 5}));
    assert!(tail["result"].is_array(), "{tail}");
    let unloaded = c.call(4, "plugin.unload", json!({"plugin": "js-greeter"}));
    assert_eq!(unloaded["result"], json!({"unloaded": "js-greeter"}));
}

#[test]
fn stdio_serves_one_client_and_keeps_plugin_output_off_the_protocol_stream() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["serve", "--stdio"])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start interop serve --stdio");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "plugin.load", "params": {"path": absolute(JS_GREETER)}}),
        // `log()` of the JS greeter also prints `[LOG] ...` to the process's stdout.
        json!({"jsonrpc": "2.0", "id": 2, "method": "action.invoke", "params": {"plugin": "js-greeter", "action": "greet", "input": "World"}}),
    ];
    let mut messages: Vec<Value> = Vec::new();
    let mut read = |messages: &mut Vec<Value>| {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "stdout ended");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("not JSON on stdout: {line:?}: {e}"));
        messages.push(message);
    };
    for request in &requests {
        writeln!(stdin, "{request}").unwrap();
        while !messages.iter().any(|m| m["id"] == request["id"]) {
            read(&mut messages);
        }
    }
    // The greeting's log line comes as a notification (maybe just after the answer).
    while !messages.iter().any(|m| m["method"] == json!("plugin.log")) {
        read(&mut messages);
    }
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for line in rest.lines() {
        let message: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not JSON on stdout: {line:?}: {e}"));
        messages.push(message);
    }
    let greeting = messages
        .iter()
        .find(|m| m["id"] == json!(2))
        .expect("the answer");
    assert_eq!(
        greeting["result"]["text"],
        json!("Hello, World! App version: 1.0.0")
    );
    assert!(
        messages.iter().any(|m| m["method"] == json!("plugin.log")),
        "{messages:?}"
    );
    assert!(text(&out.stderr).contains("[LOG] Greeting World"));
}
