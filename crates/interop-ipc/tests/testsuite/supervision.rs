//! Crashed, hung and flooding plugin processes are contained: their calls fail with clear
//! errors, the process is restarted, and no other call loses or mixes up its reply.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{call, hostile_manifest, load, plugin_dir};
use interop_protocol::ErrorKind;
use serde_json::json;

#[test]
fn a_crash_mid_call_fails_that_call_and_the_plugin_is_restarted() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(call(&plugin, "echo", json!(1)).unwrap(), json!(1));
    let pid = plugin.pid();
    let err = call(&plugin, "crash", json!(null)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec, "{err}");
    assert_eq!(err.plugin.as_deref(), Some("hostile"));
    assert!(err.message.contains("exit status: 3"), "{err}");
    assert_eq!(
        call(&plugin, "echo", json!("after")).unwrap(),
        json!("after")
    );
    assert_eq!(plugin.restarts(), 1);
    assert_ne!(plugin.pid(), pid, "a new process serves after the crash");
}

#[test]
fn a_hung_call_times_out_and_the_plugin_is_killed_and_restarted() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({"limits": {"timeoutMs": 700}})));
    let (plugin, _) = load(&loaded).unwrap();
    let started = std::time::Instant::now();
    let err = call(&plugin, "hang", json!(null)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
    assert_eq!(err.limit_name(), Some("time"));
    assert!(err.message.contains("killed"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(call(&plugin, "echo", json!(2)).unwrap(), json!(2));
    assert_eq!(plugin.restarts(), 1);
}

#[test]
fn a_plugin_that_stops_reading_its_input_cannot_block_callers_past_the_time_limit() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({"limits": {"timeoutMs": 700}})));
    let (plugin, _) = load(&loaded).unwrap();
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        s.spawn(|| call(&plugin, "freeze", json!(null)));
        std::thread::sleep(std::time::Duration::from_millis(100));
        // 4 MiB is far more than a pipe holds: the write itself blocks.
        let err = call(&plugin, "echo", json!("x".repeat(4 << 20))).unwrap_err();
        assert!(
            matches!(err.kind, ErrorKind::Timeout | ErrorKind::Exec),
            "{err}"
        );
    });
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert_eq!(call(&plugin, "echo", json!(3)).unwrap(), json!(3));
}

#[test]
fn a_plugin_flooding_its_output_hits_the_frame_limit_and_is_restarted() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(
        &[],
        json!({"limits": {"maxMessageBytes": 65536}}),
    ));
    let (plugin, _) = load(&loaded).unwrap();
    let err = call(&plugin, "flood", json!(4 << 20)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert_eq!(err.limit_name(), Some("message_size"));
    assert_eq!(call(&plugin, "echo", json!("ok")).unwrap(), json!("ok"));
    assert_eq!(plugin.restarts(), 1);
}

/// 1,000 calls in flight at once, with a crash, a hang and a flood among them: every
/// call returns (none is lost), each success carries its own input back (none is
/// mismatched), and the failures are the hostile calls and the ones in flight with them.
#[test]
fn a_thousand_concurrent_calls_with_crash_hang_and_flood_lose_and_mix_up_nothing() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(
        &[],
        json!({"limits": {"timeoutMs": 5000, "maxMessageBytes": 1048576}}),
    ));
    let (plugin, _) = load(&loaded).unwrap();
    let ok = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..1000u64 {
            let (plugin, ok, failed) = (&plugin, &ok, &failed);
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn_scoped(s, move || {
                    let (action, input) = match i {
                        250 => ("crash", json!(null)),
                        500 => ("flood", json!(2 << 20)),
                        750 => ("hang", json!(null)),
                        _ => ("echo", json!({"i": i})),
                    };
                    match call(plugin, action, input.clone()) {
                        Ok(v) => {
                            assert_eq!(action, "echo", "a hostile call succeeded");
                            assert_eq!(v, input, "call {i} got another call's reply");
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            assert!(
                                matches!(
                                    e.kind,
                                    ErrorKind::Exec | ErrorKind::Timeout | ErrorKind::LimitExceeded
                                ),
                                "call {i}: {e}"
                            );
                            assert_eq!(e.plugin.as_deref(), Some("hostile"));
                            if std::env::var("SHOW").is_ok() {
                                eprintln!("call {i} ({action}): {e}");
                            }
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
                .unwrap();
        }
    });
    let (ok, failed) = (ok.into_inner(), failed.into_inner());
    assert_eq!(ok + failed, 1000, "every call returned");
    assert!(failed >= 3, "the three hostile calls failed");
    // Calls in flight when the process crashes, floods or is killed fail with it; the others
    // succeed. How many were in flight depends on scheduling.
    assert!(
        ok >= 100,
        "echo calls succeeded around the failures: {ok} ok, {failed} failed"
    );
    // The plugin serves again afterwards, from a restarted process (how many restarts
    // depends on whether the hostile calls reached the same process).
    assert_eq!(call(&plugin, "echo", json!("end")).unwrap(), json!("end"));
    assert!(
        plugin.restarts() >= 1,
        "restarted {} times",
        plugin.restarts()
    );
}

#[test]
fn a_plugin_that_keeps_crashing_is_given_up_after_max_restarts() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    let mut last = None;
    for _ in 0..8 {
        last = Some(call(&plugin, "crash", json!(null)).unwrap_err());
    }
    let err = last.unwrap();
    assert!(err.message.contains("not restarted any more"), "{err}");
}

#[test]
fn handshake_name_and_version_mismatches_fail_the_load() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&["--name", "impostor"], json!({})));
    let err = load(&loaded).err().unwrap();
    assert!(err.message.contains("`impostor`"), "{err}");
    assert!(err.message.contains("`hostile`"), "{err}");
    let (_dir, loaded) = plugin_dir(hostile_manifest(&["--version", "2.0"], json!({})));
    let err = load(&loaded).err().unwrap();
    assert!(err.message.contains("protocol version 2.0"), "{err}");
    // A minor version difference is accepted.
    let (_dir, loaded) = plugin_dir(hostile_manifest(&["--version", "1.7"], json!({})));
    assert!(load(&loaded).is_ok());
}

#[test]
fn a_command_that_does_not_exist_fails_the_load_naming_it() {
    let (_dir, loaded) = plugin_dir(json!({
        "name": "ghost", "version": "1.0.0",
        "interop": {"protocol": "subprocess", "command": "./no-such-program"},
    }));
    let err = load(&loaded).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Exec);
    assert!(err.message.contains("no-such-program"), "{err}");
}

#[test]
fn unload_stops_the_process_and_later_calls_fail() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    let pid = plugin.pid().unwrap();
    interop_protocol::Plugin::unload(&plugin).unwrap();
    let err = call(&plugin, "echo", json!(1)).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
    assert!(!alive, "process {pid} still runs after unload");
}

#[test]
fn a_plugin_that_dies_of_an_exception_shows_its_traceback_in_the_error() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    let err = call(&plugin, "raise", json!("the plugin's own bug")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Exec, "{err}");
    assert!(err.message.contains("exit status: 1"), "{err}");
    assert!(
        err.message.contains("ValueError: the plugin's own bug"),
        "the traceback is in the message: {err}"
    );
    let stderr = err.data.as_ref().and_then(|d| d.get("stderr")).cloned();
    let lines: Vec<String> = serde_json::from_value(stderr.unwrap_or_default()).unwrap();
    assert!(
        lines.iter().any(|l| l.starts_with("Traceback")),
        "{lines:?}"
    );
    assert!(
        lines.last().is_some_and(|l| l.contains("ValueError")),
        "{lines:?}"
    );
}

#[test]
fn a_plugin_that_fails_at_start_shows_why_in_the_load_error() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&["--fail-at-start"], json!({})));
    let err = load(&loaded).err().unwrap();
    assert!(
        err.message
            .contains("RuntimeError: cannot start: a dependency is missing"),
        "{err}"
    );
}

#[test]
fn restarts_are_worded_as_what_will_happen() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    let err = call(&plugin, "crash", json!(null)).unwrap_err();
    // A restart is the normal course: said in `data.next`, not in the message, which a
    // one-shot caller shows as it is.
    let next = |e: &interop_protocol::PluginError| e.data.as_ref().map(|d| d["next"].clone());
    assert!(
        next(&err).is_some_and(|n| n.as_str().unwrap().starts_with("the next call restarts it")),
        "{err}"
    );
    assert!(!err.message.contains("restart"), "{err}");
    // max_restarts is 5 in the tests' config: the sixth failure in a row is the last.
    let mut last = err;
    for _ in 0..5 {
        last = call(&plugin, "crash", json!(null)).unwrap_err();
    }
    assert!(
        last.message.contains("it is not restarted any more"),
        "{last}"
    );
    assert!(
        next(&last).is_some_and(|n| n.as_str().unwrap().contains("not restarted any more")),
        "{last}"
    );
}
