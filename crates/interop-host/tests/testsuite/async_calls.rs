//! The async facade inside tokio runtimes: concurrency, overload, and never blocking the
//! runtime's threads.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{answering, write_plugin};
use interop_host::{Concurrency, ErrorKind, Host, HostError};
use serde_json::{json, Value};

fn host_with(concurrency: Concurrency, sleep_ms: u64) -> (Arc<Host>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_plugin(
        dir.path(),
        "slow",
        "1.0.0",
        &answering("done", sleep_ms),
        json!({}),
    );
    let mut host = Host::new();
    host.set_concurrency(concurrency);
    host.load(&manifest).unwrap();
    (Arc::new(host), dir)
}

#[test]
fn a_slow_call_does_not_block_a_single_threaded_runtime() {
    let (host, _dir) = host_with(Concurrency::default(), 300);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let call = host.invoke_async("slow", "run", Value::Null);
        let tick = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            "tick"
        };
        // The runtime's only thread is free while the plugin sleeps: the timer fires first.
        tokio::pin!(call);
        tokio::select! {
            first = tick => assert_eq!(first, "tick"),
            _ = &mut call => panic!("the call finished before a 20 ms timer"),
        }
        assert_eq!(call.await.unwrap().text.as_deref(), Some("done"));
    });
}

#[test]
fn many_concurrent_calls_all_answer() {
    let (host, _dir) = host_with(Concurrency::default(), 0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let answers = runtime.block_on(async {
        let calls = (0..200).map(|_| host.invoke_async("slow", "run", Value::Null));
        futures_util::future::join_all(calls).await
    });
    assert!(answers
        .iter()
        .all(|a| a.as_ref().unwrap().text.as_deref() == Some("done")));
    assert_eq!(host.metrics("slow").unwrap().calls, 200);
}

#[test]
fn calls_past_the_queue_bound_fail_at_once_instead_of_waiting() {
    let limits = Concurrency {
        max_in_flight: 1,
        max_queued: 2,
    };
    let (host, _dir) = host_with(limits, 200);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let outcomes = runtime.block_on(async {
        let calls = (0..6).map(|_| host.invoke_async("slow", "run", Value::Null));
        futures_util::future::join_all(calls).await
    });
    let refused: Vec<&HostError> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    // One runs, two wait, three are refused.
    assert_eq!(refused.len(), 3, "{outcomes:?}");
    for err in refused {
        let HostError::Plugin(e) = err else {
            panic!("{err}")
        };
        assert_eq!(
            (e.kind, e.limit_name()),
            (ErrorKind::LimitExceeded, Some("queue"))
        );
        assert!(e.message.contains("overloaded"), "{e}");
    }
}

#[test]
fn async_calls_work_without_a_tokio_runtime_too() {
    let (host, _dir) = host_with(Concurrency::default(), 0);
    let answer = futures_executor::block_on(host.invoke_async("slow", "run", Value::Null));
    assert_eq!(answer.unwrap().text.as_deref(), Some("done"));
    // The JSON-text call too.
    let input = interop_host::RawValue::from_string("null".to_owned()).unwrap();
    let answer = futures_executor::block_on(host.invoke_raw_async("slow", "run", input));
    assert_eq!(answer.unwrap().text.as_deref(), Some("done"));
}
