//! What a script hands the host (results, thrown errors, host function arguments, log
//! lines) is bounded, and checked before it is copied out of V8.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use interop_js::{host_api, Error, Runtime, RuntimeConfig};
use interop_protocol::ErrorKind;
use interop_sandbox::{HostServices, MemorySink, Policy};
use serde_json::{json, Value};

const MAX_MESSAGE: usize = 1 << 20;

/// A runtime whose largest message is 1 MiB.
fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_message_bytes: MAX_MESSAGE,
        timeout: Some(Duration::from_millis(300)),
        ..RuntimeConfig::default()
    })
    .unwrap()
}

#[test]
fn a_huge_thrown_message_is_cut_to_the_largest_message_and_shorter_for_people() {
    let rt = runtime();
    let Err(Error::Thrown(e)) = rt.eval("throw new Error('x'.repeat(8 << 20))") else {
        panic!("expected a thrown error");
    };
    assert!(e.message.len() < MAX_MESSAGE + 64, "{}", e.message.len());
    assert!(
        e.message.ends_with(" more characters)"),
        "{}",
        &e.message[e.message.len() - 40..]
    );
    assert!(e.stack.len() < MAX_MESSAGE + 64, "{}", e.stack.len());
    let shown = Error::Thrown(e.clone()).into_plugin_error("p");
    assert!(shown.message.len() < 2200, "{}", shown.message.len());
    assert!(shown.message.ends_with(" more bytes)"), "{}", shown.message);
    assert!(Error::Thrown(e).to_string().len() < 2200);
    // An error the script gives a kind is cut the same way.
    let Err(Error::Host(e)) =
        rt.eval("throw Object.assign(new Error('y'.repeat(5 << 20)), { kind: 'invalid_input' })")
    else {
        panic!("expected the script's invalid_input error");
    };
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.len() < 2200, "{}", e.message.len());
}

#[test]
fn a_thrown_value_whose_getters_loop_is_stopped_at_the_time_limit() {
    let rt = runtime();
    for thrown in [
        "{ get message() { for (;;) {} } }",
        "{ get name() { for (;;) {} } }",
        "{ get stack() { for (;;) {} } }",
        "{ toString() { for (;;) {} } }",
        "Object.assign(() => 1, { toString() { for (;;) {} } })",
    ] {
        let result = rt.eval(&format!("throw {thrown}"));
        assert!(
            matches!(result, Err(Error::Limit { limit: "time", .. })),
            "{thrown}: {result:?}"
        );
    }
    assert_eq!(rt.eval("'alive'").unwrap(), json!("alive"));
}

#[test]
fn host_function_arguments_over_the_largest_message_never_reach_the_host() {
    let rt = runtime();
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    rt.bind_function("take", move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
        Ok(Value::Null)
    })
    .unwrap();
    for args in [
        "'x'.repeat(2 << 20)",
        "{ a: ['x'.repeat(2 << 20)] }",
        "'ab', 'x'.repeat(MAX)",
    ] {
        let script = format!("const MAX = {MAX_MESSAGE}; take({args})");
        match rt.eval(&format!("{{ {script} }}")) {
            Err(Error::Host(e)) => {
                assert_eq!(e.limit_name(), Some("message_size"), "{args}: {e}");
            }
            other => panic!("{args}: expected a message_size error, got {other:?}"),
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    rt.eval("take('small')").unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_result_over_the_largest_message_is_refused() {
    let rt = runtime();
    assert!(matches!(
        rt.eval("'x'.repeat(2 << 20)"),
        Err(Error::Limit {
            limit: "message_size",
            ..
        })
    ));
    assert!(matches!(
        rt.eval("({ big: 'é'.repeat(700 << 10) })"),
        Err(Error::Limit {
            limit: "message_size",
            ..
        })
    ));
}

#[test]
fn a_result_that_serializes_to_nothing_is_null() {
    let rt = runtime();
    assert_eq!(
        rt.eval("({ toJSON() { return undefined } })").unwrap(),
        Value::Null
    );
}

#[test]
fn log_lines_are_cut_to_a_readable_length() {
    let rt = runtime();
    let sink = Arc::new(MemorySink::new());
    let services =
        HostServices::new(Policy::new("logger", std::env::temp_dir())).with_sink(sink.clone());
    host_api::bind_host(&rt, &services).unwrap();
    rt.eval("console.log('x'.repeat(512 << 10)); host.log('warn', 'y'.repeat(512 << 10))")
        .unwrap();
    let logs = sink.logs();
    assert_eq!(logs.len(), 2);
    for line in logs {
        assert!(line.message.len() < host_api::LOG_LINE_BYTES + 64);
        assert!(
            line.message.ends_with(" more bytes)"),
            "{}",
            &line.message[..64]
        );
    }
}

#[test]
fn arguments_longer_than_a_v8_string_are_refused_without_aborting() {
    let rt = Runtime::new(RuntimeConfig::default()).unwrap();
    rt.eval("function len(s) { return s.length }").unwrap();
    // V8 strings hold at most 2^29 - 24 characters.
    let mut bytes = vec![b'x'; (1 << 29) + 4];
    bytes[..2].copy_from_slice(b"[\"");
    bytes[(1 << 29) + 2..].copy_from_slice(b"\"]");
    let args = String::from_utf8(bytes).unwrap();
    let result = rt.call_json("len", &args);
    drop(args);
    assert!(
        matches!(result, Err(Error::Engine(ref m)) if m.contains("larger than")),
        "{result:?}"
    );
    assert_eq!(rt.call("len", &[json!("abc")]).unwrap(), json!(3));
}
