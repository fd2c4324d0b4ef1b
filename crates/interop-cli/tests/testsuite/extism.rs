//! Extism plugins built with Extism's own PDKs (`extism-pdk` for Rust, `@extism/as-pdk`
//! for AssemblyScript, built by `cargo xtask build-plugins`), unchanged, through the
//! `interop` binary: a greeting, a config value, a log line, a var kept between calls, a
//! granted HTTP request to a local server, and one outside the grant denied and audited.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{interop, repo, text};
use serde_json::{json, Value};

const SAMPLES: &[&str] = &["extism-rust-greeter", "extism-as-greeter"];

fn manifest(sample: &str) -> String {
    format!("examples/plugins/{sample}/plugin.json")
}

/// `interop call` of `action` of `sample` with `extra` arguments: stdout, stderr, success.
fn call(manifest: &str, action: &str, extra: &[&str]) -> (String, String, bool) {
    let mut args = vec!["call", manifest, action];
    args.extend_from_slice(extra);
    let out = interop(&args);
    (
        text(&out.stdout).trim().to_owned(),
        text(&out.stderr),
        out.status.success(),
    )
}

#[test]
fn each_sample_greets_and_its_log_line_reaches_interops_log() {
    for sample in SAMPLES {
        let (out, err, ok) = call(&manifest(sample), "greet", &["-i", "\"World\"", "-v"]);
        assert!(ok, "{sample}: {err}");
        assert_eq!(out, "Hello, World!", "{sample}");
        assert!(
            err.contains("greeting World") && err.contains(&format!("plugin={sample}")),
            "{sample}: the plugin's log line is not in interop's log: {err}"
        );
    }
}

#[test]
fn an_error_the_rust_plugin_returns_fails_the_call_with_its_message() {
    // The manifest's schema lets header values be anything; the PDK's `Json<HttpRequest>`
    // wants strings, so the plugin sets an error and returns -1 before any request.
    let request = r#"{"url": "http://127.0.0.1:9/", "headers": {"a": 1}}"#;
    let (out, err, ok) = call(
        &manifest("extism-rust-greeter"),
        "http_get",
        &["-i", request],
    );
    assert!(!ok, "{out}");
    assert!(
        err.contains("exec: action `http_get` returned status -1: ")
            && err.contains("expected a string"),
        "{err}"
    );
}

#[test]
fn each_sample_reads_its_config_from_the_manifest_or_the_host() {
    for sample in SAMPLES {
        let (out, err, ok) = call(&manifest(sample), "greet_user", &[]);
        assert!(ok, "{sample}: {err}");
        assert_eq!(out, "Hello, Benjamin!", "{sample}: the manifest's config");
        let (out, err, ok) = call(&manifest(sample), "greet_user", &["--config", "user=Ann"]);
        assert!(ok, "{sample}: {err}");
        assert_eq!(out, "Hello, Ann!", "{sample}: the host's --config");
    }
}

/// A server on 127.0.0.1 answering each request with `body`, for `requests` requests.
fn serve(body: &'static str, requests: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            // The request line and headers, up to the blank line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

/// A copy of `sample` whose manifest requests `http://127.0.0.1:{port}/` (the server's
/// port is known only now), in a new temporary directory.
fn copy_requesting(sample: &str, port: u16) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let from = repo().join("examples/plugins").join(sample);
    std::fs::create_dir(dir.path().join("dist")).unwrap();
    std::fs::copy(
        from.join("dist/greeter.wasm"),
        dir.path().join("dist/greeter.wasm"),
    )
    .unwrap();
    let mut manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(from.join("plugin.json")).unwrap()).unwrap();
    manifest["permissions"]["network"]["allowedUrlPrefixes"] =
        json!([format!("http://127.0.0.1:{port}/")]);
    manifest.as_object_mut().unwrap().remove("$schema");
    let path = dir.path().join("plugin.json");
    std::fs::write(&path, manifest.to_string()).unwrap();
    (dir, path)
}

#[test]
fn each_sample_fetches_from_a_granted_local_server_and_is_denied_elsewhere() {
    for sample in SAMPLES {
        let port = serve("pong from the test server", 1);
        let (_dir, manifest) = copy_requesting(sample, port);
        let manifest = manifest.to_str().unwrap();
        let request = json!({"url": format!("http://127.0.0.1:{port}/ping")}).to_string();
        let (out, err, ok) = call(manifest, "http_get", &["-i", &request]);
        assert!(!ok, "{sample}: fetched without the host's grant: {out}");
        assert!(err.contains("denied"), "{sample}: {err}");

        let host = format!("127.0.0.1:{port}");
        let (out, err, ok) = call(
            manifest,
            "http_get",
            &["-i", &request, "--allow-host", &host],
        );
        assert!(ok, "{sample}: {err}");
        assert_eq!(out, "pong from the test server", "{sample}");

        let outside = json!({"url": format!("http://127.0.0.1:{}/", port ^ 1)}).to_string();
        let (out, err, ok) = call(
            manifest,
            "http_get",
            &["-i", &outside, "--allow-host", &host],
        );
        assert!(!ok, "{sample}: fetched outside the grant: {out}");
        assert!(
            err.contains("denied") && err.contains("not under an allowed prefix"),
            "{sample}: {err}"
        );
    }
}

/// `interop serve --stdio` answering `requests` in order; the answers' results.
fn serve_stdio(requests: &[(&str, Value)]) -> Vec<Value> {
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
    let mut results = Vec::new();
    for (id, (method, params)) in requests.iter().enumerate() {
        let request = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{request}").unwrap();
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "stdout ended");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message["id"] == json!(id) {
                results.push(message);
                break;
            }
        }
    }
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let _ = child.wait();
    results
}

fn absolute(path: &str) -> String {
    Path::new(&repo()).join(path).display().to_string()
}

#[test]
fn a_var_set_in_one_call_is_read_in_the_next_and_a_denied_fetch_is_audited() {
    for sample in SAMPLES {
        let invoke = |action: &str, input: Value| {
            (
                "action.invoke",
                json!({"plugin": sample, "action": action, "input": input}),
            )
        };
        let answers = serve_stdio(&[
            ("plugin.load", json!({"path": absolute(&manifest(sample))})),
            invoke("count", Value::Null),
            invoke("count", Value::Null),
            invoke("count", Value::Null),
            invoke("http_get", json!({"url": "http://127.0.0.1:9/secret"})),
            ("audit.tail", json!({"plugin": sample})),
        ]);
        let counts: Vec<&Value> = answers[1..4].iter().map(|a| &a["result"]["data"]).collect();
        assert_eq!(
            counts,
            [&json!(1), &json!(2), &json!(3)],
            "{sample}: {answers:?}"
        );
        assert_eq!(
            answers[4]["error"]["data"]["kind"],
            json!("denied"),
            "{sample}: {answers:?}"
        );
        let audit = answers[5]["result"].as_array().expect("the audit trail");
        assert!(
            audit.iter().any(|e| e["function"] == json!("net.fetch")
                && e["args"]
                    .as_str()
                    .is_some_and(|a| a.contains("127.0.0.1:9/secret"))
                && e["outcome"]["status"] == json!("denied")),
            "{sample}: the denied fetch is not in the audit trail: {audit:?}"
        );
    }
}
