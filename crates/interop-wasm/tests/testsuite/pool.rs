//! The instance pool of a wasm plugin: calls from several threads to one plugin run at
//! once on separate instances, a failing instance is replaced without disturbing the
//! others, and each instance has its own memory under the plugin's limit.

use crate::common;

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use common::{load_with, wat_dir, Loaded};
use interop_protocol::{ActionInvoke, ErrorKind, Plugin};
use interop_sandbox::HostFunctions;
use interop_wasm::WasmBackend;
use serde_json::{json, Value};

/// Actions: `echo` (the input back), `meet` (calls the host's `test.meet` and outputs
/// what it returned), `count` (adds one to a global and outputs it, one digit), `trap`,
/// and `grow` (grows memory by 8 pages = 512 KiB, traps when refused, then meets).
const GUEST: &str = r#"(module
  (import "env" "ft_input" (func $input (result i32)))
  (import "env" "ft_return_buffer_read" (func $rb_read (param i32 i32) (result i32)))
  (import "env" "ft_output" (func $output (param i32 i32)))
  (import "env" "ft_host_call" (func $host_call (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 0) "test.meet")
  (data (i32.const 16) "null")
  (func $echo
    (call $output (i32.const 1024) (call $rb_read (i32.const 1024) (call $input))))
  (func $meet
    (local $n i32)
    (local.set $n (call $host_call (i32.const 0) (i32.const 9) (i32.const 16) (i32.const 4)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then unreachable))
    (call $output (i32.const 1024) (call $rb_read (i32.const 1024) (local.get $n))))
  (func (export "echo") (call $echo))
  (func (export "meet") (call $meet))
  (func (export "count")
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 1024) (i32.add (i32.const 48) (global.get $count)))
    (call $output (i32.const 1024) (i32.const 1)))
  (func (export "trap") unreachable)
  (func (export "grow")
    (if (i32.lt_s (memory.grow (i32.const 8)) (i32.const 0)) (then unreachable))
    (call $meet)))"#;

/// A rendezvous of `parties` calls: each waits until all have arrived (true) or until
/// 10 s have passed (false), so that a test of parallelism fails instead of hanging.
struct Meeting {
    parties: usize,
    arrived: Mutex<usize>,
    all_here: Condvar,
}

impl Meeting {
    fn new(parties: usize) -> Arc<Self> {
        Arc::new(Meeting {
            parties,
            arrived: Mutex::new(0),
            all_here: Condvar::new(),
        })
    }

    fn meet(&self) -> bool {
        let mut arrived = self.arrived.lock().unwrap();
        *arrived += 1;
        self.all_here.notify_all();
        let (arrived, timeout) = self
            .all_here
            .wait_timeout_while(arrived, Duration::from_secs(10), |n| *n < self.parties)
            .unwrap();
        drop(arrived);
        !timeout.timed_out()
    }
}

fn plugin(pool: usize, meeting: &Arc<Meeting>, limits: Value) -> (Loaded, tempfile::TempDir) {
    let cache = tempfile::tempdir().unwrap();
    let backend = WasmBackend::builder()
        .cache_dir(cache.path())
        .instances_per_plugin(pool)
        .build();
    let functions = HostFunctions::new();
    let meeting = meeting.clone();
    functions.register("test.meet", move |_plugin: &str, _args: Value| {
        Ok(json!(meeting.meet()))
    });
    let dir = wat_dir(
        GUEST,
        &["echo", "meet", "count", "trap", "grow"],
        limits,
        json!({}),
    );
    (load_with(&backend, dir, functions), cache)
}

fn call(plugin: &impl Plugin, action: &str, input: Value) -> Result<Value, ErrorKind> {
    let result = plugin
        .invoke(&ActionInvoke::new(action, input))
        .map_err(|e| e.kind)?;
    match result.error {
        None => Ok(result.data.unwrap_or(Value::Null)),
        Some(e) => Err(e.kind),
    }
}

#[test]
fn eight_threads_calling_one_plugin_run_at_once_and_all_get_their_own_answers() {
    let meeting = Meeting::new(8);
    let (p, _cache) = plugin(8, &meeting, json!({"timeoutMs": 20000}));
    assert_eq!((p.plugin.pool_size(), p.plugin.instances()), (8, 1));
    thread::scope(|s| {
        let calls: Vec<_> = (0..8)
            .map(|t| {
                let plugin = &p.plugin;
                s.spawn(move || {
                    // All eight are inside the plugin at the same time, or none returns.
                    let met = call(plugin, "meet", Value::Null);
                    let echoes: Vec<bool> = (0..50)
                        .map(|i| {
                            let input = json!({"thread": t, "call": i, "text": "x".repeat(i)});
                            call(plugin, "echo", input.clone()) == Ok(input)
                        })
                        .collect();
                    (met, echoes)
                })
            })
            .collect();
        for call in calls {
            let (met, echoes) = call.join().unwrap();
            assert_eq!(met, Ok(json!(true)), "a call did not meet the seven others");
            assert!(echoes.iter().all(|ok| *ok), "an echo came back wrong");
        }
    });
    assert_eq!(p.plugin.instances(), 8);
}

#[test]
fn a_trap_in_one_instance_leaves_the_calls_on_the_others_untouched() {
    // Two calls wait inside the plugin until this thread joins their meeting...
    let meeting = Meeting::new(3);
    let (p, _cache) = plugin(4, &meeting, json!({"timeoutMs": 20000}));
    thread::scope(|s| {
        let waiting: Vec<_> = (0..2)
            .map(|_| s.spawn(|| call(&p.plugin, "meet", Value::Null)))
            .collect();
        // ...while other calls trap, on the other instances.
        for _ in 0..3 {
            assert_eq!(call(&p.plugin, "trap", Value::Null), Err(ErrorKind::Exec));
        }
        assert!(meeting.meet(), "the two calls never arrived");
        for call in waiting {
            assert_eq!(call.join().unwrap(), Ok(json!(true)));
        }
    });
    // The trapped instances were dropped; the two that met went back to the pool.
    assert_eq!(p.plugin.instances(), 2);
    assert_eq!(call(&p.plugin, "echo", json!([1, 2])), Ok(json!([1, 2])));
}

#[test]
fn state_in_globals_belongs_to_one_instance_and_starts_over_after_a_failure() {
    let meeting = Meeting::new(1);
    let (p, _cache) = plugin(4, &meeting, json!({}));
    // Calls from one thread reuse the same instance, which keeps its globals...
    let counts: Vec<_> = (0..3)
        .map(|_| call(&p.plugin, "count", Value::Null))
        .collect();
    assert_eq!(counts, [Ok(json!(1)), Ok(json!(2)), Ok(json!(3))]);
    // ...until a failure discards it: the next instance starts from its initial state.
    assert_eq!(call(&p.plugin, "trap", Value::Null), Err(ErrorKind::Exec));
    assert_eq!(call(&p.plugin, "count", Value::Null), Ok(json!(1)));
}

#[test]
fn the_memory_limit_holds_for_each_instance_not_for_the_pool_as_a_whole() {
    // 1 MiB per instance: one page at start plus one growth of 512 KiB fits, two do not.
    let meeting = Meeting::new(4);
    let (p, _cache) = plugin(4, &meeting, json!({"memoryMb": 1, "timeoutMs": 20000}));
    thread::scope(|s| {
        let calls: Vec<_> = (0..4)
            .map(|_| s.spawn(|| call(&p.plugin, "grow", Value::Null)))
            .collect();
        // Four instances hold 576 KiB each at once: 2.25 MiB in all.
        for call in calls {
            assert_eq!(call.join().unwrap(), Ok(json!(true)));
        }
    });
    assert_eq!(p.plugin.instances(), 4);
    // A second growth of any one instance goes over its own limit.
    let err = p
        .plugin
        .invoke(&ActionInvoke::new("grow", Value::Null))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::LimitExceeded, "{err}");
    assert!(err.message.contains("memory limit"), "{err}");
    assert_eq!(p.plugin.instances(), 3);
}

#[test]
fn an_unloaded_plugin_refuses_calls_and_drops_its_instances() {
    let meeting = Meeting::new(1);
    let (p, _cache) = plugin(2, &meeting, json!({}));
    assert_eq!(call(&p.plugin, "echo", json!(1)), Ok(json!(1)));
    p.plugin.unload().unwrap();
    assert_eq!(p.plugin.instances(), 0);
    assert_eq!(call(&p.plugin, "echo", json!(1)), Err(ErrorKind::NotFound));
}
