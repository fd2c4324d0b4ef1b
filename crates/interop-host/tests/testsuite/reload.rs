//! Hot reload: a plugin replaced on disk while threads call it.

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{answering, write_plugin};
use interop_host::{Host, HostEvent};
use serde_json::{json, Value};

/// The next reload outcome of the watcher, skipping failures to parse a file caught while
/// the test was still writing it (`fs::write` truncates first; a late event of an earlier
/// write can start a reload in that moment). Any other event is returned.
fn next_outcome(events: &std::sync::mpsc::Receiver<HostEvent>) -> HostEvent {
    loop {
        let event = events.recv_timeout(Duration::from_secs(10)).unwrap();
        match &event {
            HostEvent::ReloadFailed { error, .. } if error.contains("not a valid WebAssembly") => {}
            _ => return event,
        }
    }
}

fn text(host: &Host) -> String {
    host.invoke("swapped", "run", Value::Null)
        .unwrap()
        .text
        .unwrap_or_default()
}

#[test]
fn a_plugin_replaced_under_eight_callers_drops_no_call_and_a_broken_version_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_plugin(
        dir.path(),
        "swapped",
        "1.0.0",
        &answering("v1", 1),
        json!({}),
    );
    let host = Arc::new(Host::new());
    host.load(&manifest).unwrap();
    let events = host.subscribe();
    let stop = Arc::new(AtomicBool::new(false));
    let seen_v2 = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (host, stop, seen_v2) = (host.clone(), stop.clone(), seen_v2.clone());
            std::thread::spawn(move || {
                let mut calls = 0;
                while !stop.load(Ordering::Relaxed) {
                    // Every call succeeds, with one version or the other.
                    match text(&host).as_str() {
                        "v1" => {}
                        "v2" => {
                            seen_v2.fetch_add(1, Ordering::Relaxed);
                        }
                        other => panic!("unexpected answer {other:?}"),
                    }
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    write_plugin(
        dir.path(),
        "swapped",
        "2.0.0",
        &answering("v2", 1),
        json!({}),
    );
    let reloaded = host.reload("swapped").unwrap();
    assert_eq!(reloaded.manifest().version, "2.0.0");
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    let calls: usize = callers.into_iter().map(|c| c.join().unwrap()).sum();
    assert!(
        calls > 8 && seen_v2.load(Ordering::Relaxed) > 0,
        "{calls} calls"
    );
    assert_eq!(text(&host), "v2");
    assert_eq!(
        events.try_recv().unwrap(),
        HostEvent::Reloaded {
            plugin: "swapped".into(),
            version: "2.0.0".into()
        }
    );
    // The metrics carry on across the reload.
    assert!(host.metrics("swapped").unwrap().calls >= calls as u64);

    // A broken new version is refused; the loaded one keeps serving.
    std::fs::write(
        dir.path().join("plugin.wat"),
        "(module (func (export \"run\") oops))",
    )
    .unwrap();
    let Err(err) = host.reload("swapped") else {
        panic!("a broken module was loaded");
    };
    assert!(
        err.to_string().contains("not a valid WebAssembly module"),
        "{err}"
    );
    assert_eq!(text(&host), "v2");
    assert!(matches!(
        events.try_recv().unwrap(),
        HostEvent::ReloadFailed { ref plugin, .. } if plugin == "swapped"
    ));
}

#[test]
fn a_watched_plugin_is_reloaded_when_its_module_changes_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_plugin(
        dir.path(),
        "swapped",
        "1.0.0",
        &answering("v1", 0),
        json!({}),
    );
    let host = Arc::new(Host::new());
    host.load(&manifest).unwrap();
    let events = host.subscribe();
    let watcher = host.watch().unwrap();
    assert!(watcher.files().iter().any(|f| f.ends_with("plugin.wat")));
    std::fs::write(dir.path().join("plugin.wat"), answering("v2", 0)).unwrap();
    let event = next_outcome(&events);
    assert!(matches!(event, HostEvent::Reloaded { .. }), "{event:?}");
    assert_eq!(text(&host), "v2");
    // A rename in the manifest is refused: the name is how callers find the plugin.
    write_plugin(
        dir.path(),
        "renamed",
        "3.0.0",
        &answering("v3", 0),
        json!({}),
    );
    let event = next_outcome(&events);
    assert!(
        matches!(event, HostEvent::ReloadFailed { ref error, .. } if error.contains("now names it `renamed`")),
        "{event:?}"
    );
    assert_eq!(text(&host), "v2");
}
