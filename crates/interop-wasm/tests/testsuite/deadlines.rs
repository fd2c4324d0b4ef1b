//! A call ends at its deadline even when the guest is not running wasm code: sleeping in
//! WASI `poll_oneoff` (how Rust's `std::thread::sleep` and C's `sleep` reach the host), in
//! `ft_sleep_ms`, or waiting on a fetch. Each is stopped at its `timeoutMs` (asserted
//! within 4x, room for a loaded machine, far below the guests' 30 s) and reported as
//! the `time` limit.

use crate::common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::{backend, load, wat_dir};
use interop_protocol::{ActionInvoke, ErrorKind, Plugin, PluginError};
use serde_json::{json, Value};

const TIMEOUT_MS: u64 = 500;

/// Calls `action` and returns its error and how long the call took.
fn failing_call(p: &common::Loaded, action: &str) -> (PluginError, Duration) {
    let started = Instant::now();
    let result = p.plugin.invoke(&ActionInvoke::new(action, Value::Null));
    let took = started.elapsed();
    match result {
        Ok(r) => panic!("{action} returned {r:?} after {took:?}"),
        Err(e) => (e, took),
    }
}

fn assert_stopped_at_the_deadline(err: &PluginError, took: Duration) {
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("time"), "{err}");
    assert!(
        err.message
            .contains(&format!("time limit of {TIMEOUT_MS} ms")),
        "{err}"
    );
    let limit = Duration::from_millis(TIMEOUT_MS);
    assert!(took >= limit - Duration::from_millis(10), "{took:?}");
    assert!(took < limit * 4, "stopped after {took:?}");
}

/// A guest whose `sleep` polls one clock subscription of 30 s on `clock` (0 realtime,
/// 1 monotonic), relative or absolute (read from `clock_time_get` first), and whose
/// `sleep_two` polls two such subscriptions.
fn sleeper(clock: u32, absolute: bool) -> String {
    let flags = u32::from(absolute);
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  ;; A subscription of 48 bytes at $at: userdata, tag 0 (clock), clock id, timeout, flags.
  (func $subscribe (param $at i32)
    (local $base i64)
    (if (i32.const {flags})
      (then (drop (call $now (i32.const {clock}) (i64.const 1) (i32.const 1024)))
            (local.set $base (i64.load (i32.const 1024)))))
    (i64.store (local.get $at) (i64.const 7))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i32.store offset=16 (local.get $at) (i32.const {clock}))
    (i64.store offset=24 (local.get $at) (i64.add (local.get $base) (i64.const 30000000000)))
    (i32.store16 offset=40 (local.get $at) (i32.const {flags})))
  (func (export "sleep")
    (call $subscribe (i32.const 0))
    (drop (call $poll (i32.const 0) (i32.const 256) (i32.const 1) (i32.const 512))))
  (func (export "sleep_two")
    (call $subscribe (i32.const 0))
    (call $subscribe (i32.const 48))
    (drop (call $poll (i32.const 0) (i32.const 256) (i32.const 2) (i32.const 512)))))"#
    )
}

#[test]
fn a_guest_sleeping_in_poll_oneoff_is_stopped_at_the_time_limit() {
    let (backend, _cache) = backend();
    // Rust's std::thread::sleep (relative monotonic), C's sleep (relative realtime), and
    // both clocks with absolute deadlines.
    for (clock, absolute) in [(1, false), (0, false), (1, true), (0, true)] {
        let p = load(
            &backend,
            wat_dir(
                &sleeper(clock, absolute),
                &["sleep", "sleep_two"],
                json!({"timeoutMs": TIMEOUT_MS}),
                json!({}),
            ),
        );
        for action in ["sleep", "sleep_two"] {
            let (err, took) = failing_call(&p, action);
            assert_stopped_at_the_deadline(&err, took);
            assert!(err.message.contains("poll_oneoff"), "{err}");
        }
    }
}

const POLLER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (memory (export "memory") 1)
  ;; Outputs [errno, nevents, first event's userdata, its type] as a JSON array of digits.
  (func $report (param $errno i32)
    (i32.store8 (i32.const 2048) (i32.const 91))
    (i32.store8 (i32.const 2049) (i32.add (i32.const 48) (local.get $errno)))
    (i32.store8 (i32.const 2050) (i32.const 44))
    (i32.store8 (i32.const 2051) (i32.add (i32.const 48) (i32.load (i32.const 1024))))
    (i32.store8 (i32.const 2052) (i32.const 44))
    (i32.store8 (i32.const 2053) (i32.add (i32.const 48) (i32.wrap_i64 (i64.load (i32.const 512)))))
    (i32.store8 (i32.const 2054) (i32.const 44))
    (i32.store8 (i32.const 2055) (i32.add (i32.const 48) (i32.load8_u (i32.const 522))))
    (i32.store8 (i32.const 2056) (i32.const 93))
    (call $output (i32.const 2048) (i32.const 9)))
  (func $clock (param $at i32) (param $userdata i64) (param $nanos i64)
    (i64.store (local.get $at) (local.get $userdata))
    (i32.store8 offset=8 (local.get $at) (i32.const 0))
    (i32.store offset=16 (local.get $at) (i32.const 1))
    (i64.store offset=24 (local.get $at) (local.get $nanos)))
  ;; 10 ms, then 30 s: only the first is due.
  (func (export "short")
    (call $clock (i32.const 0) (i64.const 3) (i64.const 10000000))
    (call $clock (i32.const 48) (i64.const 4) (i64.const 30000000000))
    (call $report (call $poll (i32.const 0) (i32.const 512) (i32.const 2) (i32.const 1024))))
  ;; 30 s, or stdout writable (at once).
  (func (export "stdout")
    (call $clock (i32.const 0) (i64.const 3) (i64.const 30000000000))
    (i64.store (i32.const 48) (i64.const 5))
    (i32.store8 (i32.const 56) (i32.const 2))
    (i32.store (i32.const 64) (i32.const 1))
    (call $report (call $poll (i32.const 0) (i32.const 512) (i32.const 2) (i32.const 1024))))
  ;; No subscriptions: outputs [1] when poll_oneoff answers EINVAL (28).
  (func (export "none")
    (i32.store8 (i32.const 2048) (i32.const 91))
    (i32.store8 (i32.const 2049) (i32.add (i32.const 48)
      (i32.eq (call $poll (i32.const 0) (i32.const 512) (i32.const 0) (i32.const 1024)) (i32.const 28))))
    (i32.store8 (i32.const 2050) (i32.const 93))
    (call $output (i32.const 2048) (i32.const 3))))"#;

#[test]
fn poll_oneoff_within_the_deadline_reports_the_events_that_are_due() {
    let (backend, _cache) = backend();
    let p = load(
        &backend,
        wat_dir(
            POLLER,
            &["short", "stdout", "none"],
            json!({"timeoutMs": 5000}),
            json!({}),
        ),
    );
    let run = |action: &str| {
        let started = Instant::now();
        let result = p
            .plugin
            .invoke(&ActionInvoke::new(action, Value::Null))
            .unwrap_or_else(|e| panic!("{action}: {e}"));
        (result.data.unwrap_or(Value::Null), started.elapsed())
    };
    // errno 0, one event, userdata 3, type clock (0), after about 10 ms.
    let (short, took) = run("short");
    assert_eq!(short, json!([0, 1, 3, 0]));
    assert!(
        took >= Duration::from_millis(10) && took < Duration::from_secs(2),
        "{took:?}"
    );
    // A descriptor that is ready answers at once (type fd_write, 2), the clock never fires.
    let (stdout, took) = run("stdout");
    assert_eq!(stdout, json!([0, 1, 5, 2]));
    assert!(took < Duration::from_secs(2), "{took:?}");
    // No subscriptions: EINVAL, as wasmtime-wasi answers.
    assert_eq!(run("none").0, json!([1]));
}

const SLEEPER_FT: &str = r#"(module
  (import "env" "ft_sleep_ms" (func $sleep (param i64) (result i32)))
  (memory (export "memory") 1)
  ;; Sleeps 400 ms at a time, forever.
  (func (export "naps") (loop $l (drop (call $sleep (i64.const 400))) (br $l)))
  ;; One sleep of an hour.
  (func (export "hour") (drop (call $sleep (i64.const 3600000)))))"#;

#[test]
fn ft_sleep_ms_past_the_deadline_ends_the_call_as_the_time_limit() {
    let (backend, _cache) = backend();
    let p = load(
        &backend,
        wat_dir(
            SLEEPER_FT,
            &["naps", "hour"],
            json!({"timeoutMs": TIMEOUT_MS}),
            json!({}),
        ),
    );
    for action in ["naps", "hour"] {
        let (err, took) = failing_call(&p, action);
        assert_stopped_at_the_deadline(&err, took);
        assert!(err.message.contains("ft_sleep_ms"), "{err}");
    }
}

/// Spins until 300 ms have passed, then fetches `url`, then spins forever.
fn late_fetcher(url: &str) -> String {
    let args = format!(r#"{{"url":"{url}"}}"#);
    format!(
        r#"(module
  (import "env" "ft_now_ms" (func $now (result i64)))
  (import "env" "ft_host_call" (func $call (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "net.fetch")
  (data (i32.const 16) {args:?})
  (func (export "fetch")
    (local $until i64)
    (local.set $until (i64.add (call $now) (i64.const 300)))
    (loop $spin (br_if $spin (i64.lt_s (call $now) (local.get $until))))
    (drop (call $call (i32.const 0) (i32.const 9) (i32.const 16) (i32.const {len})))
    (loop $forever (br $forever))))"#,
        len = args.len()
    )
}

#[test]
fn a_fetch_started_late_in_a_call_ends_at_the_call_deadline() {
    // A server that accepts connections and never answers.
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", server.local_addr().unwrap());
    let (backend, _cache) = backend();
    let p = load(
        &backend,
        wat_dir(
            &late_fetcher(&format!("{base}slow")),
            &["fetch"],
            json!({"timeoutMs": TIMEOUT_MS}),
            json!({"network": {"allowedUrlPrefixes": [base], "timeoutMs": 30000}}),
        ),
    );
    let (err, took) = failing_call(&p, "fetch");
    assert_stopped_at_the_deadline(&err, took);
    drop(server);
}
