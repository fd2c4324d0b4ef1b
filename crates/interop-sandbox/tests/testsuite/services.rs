//! The host services against the real filesystem and a real HTTP server on 127.0.0.1.

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use interop_protocol::ErrorKind;
use interop_sandbox::{
    AuditOutcome, FetchRequest, HostServices, LogLevel, MemorySink, Policy, TraceEvent,
};
use serde_json::json;

struct Server {
    base: String,
    _thread: thread::JoinHandle<()>,
}

/// A real HTTP server with a few routes, on an ephemeral port.
fn server() -> Server {
    let server = tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = server.server_addr().to_ip().expect("ip address").port();
    let handle = thread::spawn(move || {
        for request in server.incoming_requests() {
            let url = request.url().to_owned();
            let response = match url.as_str() {
                "/api/hello" => {
                    tiny_http::Response::from_string(format!("hello via {}", request.method()))
                }
                "/api/big" => tiny_http::Response::from_data(vec![b'x'; 4096]),
                "/api/redirect" => tiny_http::Response::from_string("moved")
                    .with_status_code(302)
                    .with_header(
                        tiny_http::Header::from_bytes("Location", "/private/secret").unwrap(),
                    ),
                "/api/slow" => {
                    thread::sleep(Duration::from_secs(5));
                    tiny_http::Response::from_string("late")
                }
                _ => tiny_http::Response::from_string("private").with_status_code(200),
            };
            let _ = request.respond(response);
        }
    });
    Server {
        base: format!("http://127.0.0.1:{port}"),
        _thread: handle,
    }
}

fn services_with_network(base: &str, methods: &[&str]) -> HostServices {
    let prefix = format!("{base}/api/");
    HostServices::new(
        Policy::new("net-plugin", "/tmp")
            .with_network(&[prefix.as_str()], methods)
            .unwrap(),
    )
}

#[test]
fn fetch_of_an_allowed_url_returns_status_headers_and_body() {
    let s = server();
    let services = services_with_network(&s.base, &["GET", "POST"]);
    let resp = services
        .fetch(&FetchRequest::get(format!("{}/api/hello", s.base)))
        .unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text(), "hello via GET");
    let post = FetchRequest {
        method: "POST".into(),
        body: Some("{}".into()),
        ..FetchRequest::get(format!("{}/api/hello", s.base))
    };
    assert_eq!(services.fetch(&post).unwrap().text(), "hello via POST");
    assert!(services
        .audit()
        .events()
        .iter()
        .all(|e| e.outcome == AuditOutcome::Ok));
}

#[test]
fn fetch_outside_the_prefixes_is_denied_and_audited() {
    let s = server();
    let services = services_with_network(&s.base, &["GET"]);
    for url in [
        format!("{}/private/secret", s.base),
        format!("{}/api/../private/secret", s.base),
        format!("{}/api%2f..%2fprivate", s.base),
        s.base.replace("127.0.0.1", "127.0.0.1.nip.io") + "/api/hello",
    ] {
        let err = services.fetch(&FetchRequest::get(&url)).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied, "{url}: {err}");
        assert_eq!(err.plugin.as_deref(), Some("net-plugin"));
    }
    let denied = services.audit().denied();
    assert_eq!(denied.len(), 4);
    assert!(denied
        .iter()
        .all(|e| e.function == "net.fetch" && e.plugin == "net-plugin"));
}

#[test]
fn fetch_with_a_method_not_allowed_is_denied() {
    let s = server();
    let services = services_with_network(&s.base, &["GET"]);
    let req = FetchRequest {
        method: "DELETE".into(),
        ..FetchRequest::get(format!("{}/api/hello", s.base))
    };
    let err = services.fetch(&req).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied);
    assert!(err.message.contains("method"), "{err}");
}

#[test]
fn redirects_are_returned_not_followed() {
    let s = server();
    let services = services_with_network(&s.base, &["GET"]);
    let resp = services
        .fetch(&FetchRequest::get(format!("{}/api/redirect", s.base)))
        .unwrap();
    assert_eq!(resp.status, 302);
    assert_eq!(
        resp.headers.get("location").map(String::as_str),
        Some("/private/secret")
    );
    assert_eq!(resp.text(), "moved");
}

#[test]
fn responses_over_the_size_limit_are_cut_off() {
    let s = server();
    let mut policy = Policy::new("p", "/tmp")
        .with_network(&[&format!("{}/api/", s.base)], &["GET"])
        .unwrap();
    policy.network.as_mut().unwrap().max_response_bytes = 1000;
    let services = HostServices::new(policy);
    let err = services
        .fetch(&FetchRequest::get(format!("{}/api/big", s.base)))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded);
    assert_eq!(err.limit_name(), Some("response_size"));
}

#[test]
fn slow_responses_time_out() {
    let s = server();
    let mut policy = Policy::new("p", "/tmp")
        .with_network(&[&format!("{}/api/", s.base)], &["GET"])
        .unwrap();
    policy.network.as_mut().unwrap().timeout = Duration::from_millis(200);
    let services = HostServices::new(policy);
    let err = services
        .fetch(&FetchRequest::get(format!("{}/api/slow", s.base)))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
}

#[test]
fn filesystem_round_trip_inside_a_granted_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let services =
        HostServices::new(Policy::new("fs-plugin", dir.path()).with_fs_root("data", true, true));
    services.mkdir("data/sub/deeper").unwrap();
    services
        .write_file("data/sub/deeper/note.txt", b"hi")
        .unwrap();
    services
        .write_file("data/bin", &[0, 159, 146, 150])
        .unwrap();
    assert_eq!(
        services.read_text("data/sub/deeper/note.txt").unwrap(),
        "hi"
    );
    assert_eq!(services.read_file("data/bin").unwrap(), [0, 159, 146, 150]);
    assert!(services.exists("data/sub").unwrap());
    let stat = services.stat("data/sub/deeper/note.txt").unwrap();
    assert!(stat.is_file && !stat.is_directory && stat.size == 2);
    let names: Vec<String> = services
        .readdir("data")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["bin", "sub"]);
    services.rm("data/sub").unwrap();
    assert!(!services.exists("data/sub").unwrap());
    services.rm("data/sub").unwrap();
    assert_eq!(
        services.rm("data").unwrap_err().kind,
        ErrorKind::Denied,
        "a root cannot be removed"
    );
    assert_eq!(
        services.read_file("data/missing").unwrap_err().kind,
        ErrorKind::NotFound
    );
}

#[test]
fn filesystem_escapes_are_denied_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), dir.path().join("data/link"))
        .unwrap();
    let services =
        HostServices::new(Policy::new("fs-plugin", dir.path()).with_fs_root("data", true, false));
    for path in [
        "data/../secret.txt",
        "secret.txt",
        "/etc/passwd",
        "data/link",
    ] {
        assert_eq!(
            services.read_file(path).unwrap_err().kind,
            ErrorKind::Denied,
            "{path}"
        );
    }
    assert_eq!(
        services.write_file("data/new", b"x").unwrap_err().kind,
        ErrorKind::Denied,
        "read-only root"
    );
    assert_eq!(services.audit().denied().len(), 5);
}

#[test]
fn env_is_limited_to_granted_names() {
    std::env::set_var("INTEROP_TEST_GRANTED", "yes");
    let services = HostServices::new(
        Policy::new("p", "/tmp")
            .with_env("INTEROP_TEST_GRANTED")
            .with_env("INTEROP_TEST_UNSET"),
    );
    assert_eq!(
        services.env_get("INTEROP_TEST_GRANTED").unwrap().as_deref(),
        Some("yes")
    );
    assert_eq!(services.env_get("INTEROP_TEST_UNSET").unwrap(), None);
    assert_eq!(
        services.env_get("PATH").unwrap_err().kind,
        ErrorKind::Denied
    );
}

#[test]
fn json_dispatch_reaches_every_builtin_and_application_functions() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let sink = MemorySink::new();
    let functions = interop_sandbox::HostFunctions::new();
    functions.register("app.double", |plugin, args| {
        Ok(json!({"plugin": plugin, "n": args["n"].as_i64().unwrap_or(0) * 2}))
    });
    let services = HostServices::new(
        Policy::new("json-plugin", dir.path())
            .with_fs_root("data", true, true)
            .with_function("app.*"),
    )
    .with_sink(Arc::new(sink.clone()))
    .with_functions(Arc::new(functions));
    services
        .call("log", json!({"level": 3, "message": "careful"}))
        .unwrap();
    services
        .call(
            "fs.writeFile",
            json!({"path": "data/a.bin", "contentBase64": "AAEC"}),
        )
        .unwrap();
    assert_eq!(
        services
            .call(
                "fs.readFile",
                json!({"path": "data/a.bin", "encoding": "base64"})
            )
            .unwrap(),
        json!("AAEC")
    );
    assert_eq!(
        services
            .call("fs.exists", json!({"path": "data/a.bin"}))
            .unwrap(),
        json!(true)
    );
    assert_eq!(
        services
            .call("fs.readdir", json!({"path": "data"}))
            .unwrap()[0]["name"],
        "a.bin"
    );
    assert!(
        services
            .call("time.now", json!({}))
            .unwrap()
            .as_u64()
            .unwrap()
            > 1_600_000_000_000
    );
    services.call("time.sleep", json!({"ms": 1})).unwrap();
    services
        .call(
            "trace",
            json!({"category": "compute", "name": "step", "durationMs": 1.5}),
        )
        .unwrap();
    assert_eq!(
        services.call("app.double", json!({"n": 21})).unwrap(),
        json!({"plugin": "json-plugin", "n": 42})
    );
    assert_eq!(
        services.call("nope", json!({})).unwrap_err().kind,
        ErrorKind::NotFound
    );
    assert_eq!(
        services.call("fs.readFile", json!({})).unwrap_err().kind,
        ErrorKind::InvalidInput
    );
    assert_eq!(sink.logs()[0].level, LogLevel::Warn);
    assert_eq!(
        sink.traces(),
        vec![TraceEvent {
            plugin: "json-plugin".into(),
            category: "compute".into(),
            name: "step".into(),
            duration_ms: Some(1.5),
            data: serde_json::Value::Null
        }]
    );
    let functions: Vec<String> = services
        .audit()
        .events()
        .into_iter()
        .map(|e| e.function)
        .collect();
    assert!(
        functions.contains(&"app.double".to_owned()) && functions.contains(&"nope".to_owned()),
        "{functions:?}"
    );
}

#[test]
fn sleeping_past_the_call_limit_is_refused() {
    let mut policy = Policy::new("p", "/tmp");
    policy.timeout = Duration::from_millis(50);
    let err = HostServices::new(policy)
        .sleep(Duration::from_secs(5))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("time"));
}

#[test]
fn a_sleep_during_a_call_ends_at_the_calls_deadline() {
    let mut policy = Policy::new("p", "/tmp");
    policy.timeout = Duration::from_millis(300);
    let services = HostServices::new(policy).for_instance();
    let started = std::time::Instant::now();
    services.start_call();
    // Short sleeps fit; the one that would cross the deadline is cut at it (the bounds
    // leave room for a loaded machine, far below the 10 s the sleeps ask for).
    services.sleep(Duration::from_millis(100)).unwrap();
    let err = services.sleep(Duration::from_secs(10)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // Past the deadline, every sleep fails at once.
    let again = std::time::Instant::now();
    assert!(services.sleep(Duration::from_secs(10)).is_err());
    assert!(again.elapsed() < Duration::from_secs(3));
}

#[test]
fn each_instance_has_its_own_deadline_and_clones_share_it() {
    let services = HostServices::new(Policy::new("p", "/tmp"));
    let a = services.for_instance();
    let a_clone = a.clone();
    let b = services.for_instance();
    a.start_call();
    assert!(a_clone.deadline().is_some());
    assert!(b.deadline().is_none() && services.deadline().is_none());
    a.set_deadline(None);
    assert!(a_clone.remaining().is_none());
}

#[test]
fn a_fetch_during_a_call_is_cut_at_the_calls_deadline() {
    let s = server();
    let mut policy = Policy::new("p", "/tmp")
        .with_network(&[&format!("{}/api/", s.base)], &["GET"])
        .unwrap();
    policy.timeout = Duration::from_millis(300);
    let services = HostServices::new(policy).for_instance();
    services.start_call();
    let started = std::time::Instant::now();
    let err = services
        .fetch(&FetchRequest::get(format!("{}/api/slow", s.base)))
        .unwrap_err();
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    // The response would take 5 s.
    assert!(started.elapsed() < Duration::from_millis(2500));
}

#[test]
fn an_application_function_the_host_did_not_grant_is_refused_and_audited() {
    let functions = interop_sandbox::HostFunctions::new();
    functions.register_typed("app.secret", |(): ()| Ok("the secret"));
    functions.register_typed("app.version", |(): ()| Ok("1.0.0"));
    let services = HostServices::new(Policy::new("p", "/tmp").with_function("app.version"))
        .with_functions(Arc::new(functions.clone()));
    assert_eq!(services.call("app.version", json!(null)).unwrap(), "1.0.0");
    let err = services.call("app.secret", json!(null)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Denied);
    assert!(err.message.contains("`app.secret` is not granted"), "{err}");
    assert_eq!(services.audit().denied().len(), 1);
    // Registered after the services were made: seen at once, and still gated.
    functions.register_typed("app.late", |(): ()| Ok(1));
    assert_eq!(
        services.call("app.late", json!(null)).unwrap_err().kind,
        ErrorKind::Denied
    );
}
