//! The js backend's costs, side by side in one run: a no-op hook call into V8 (through
//! `Runtime::call` and through the `Plugin` trait), the same call from JS to JS (the raw
//! engine), a JS -> host function callback, isolate creation, a call through a channel to
//! a dedicated runtime thread (the design not taken), and the Node subprocess round trip.
//!
//! `cargo bench -p interop-js`

use std::hint::black_box;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use interop_js::{node, JsBackend, Runtime, RuntimeConfig};
use interop_protocol::{load_manifest, ActionInvoke, Plugin};
use interop_sandbox::{HostServices, Policy};
use serde_json::{json, Value};

const SCRIPT: &str = "var plugin = { noop() {}, greet(name) { return `Hello, ${name}!` } };";

fn runtime() -> Runtime {
    let rt = Runtime::new(RuntimeConfig::default()).expect("runtime");
    rt.bind_function("hostNoop", |_| Ok(Value::Null)).unwrap();
    rt.eval(SCRIPT).unwrap();
    rt
}

/// CPU time of the calling thread: what a call costs when the 2 cores are shared with
/// other work (wall-clock time then includes time spent preempted).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` `n` times and returns the thread CPU time taken.
fn cpu_time(n: u64, mut f: impl FnMut()) -> Duration {
    let start = thread_cpu();
    for _ in 0..n {
        f();
    }
    thread_cpu() - start
}

/// Runs `body` `n` times inside one script and returns the time taken.
fn js_loop(rt: &Runtime, n: u64, body: &str) -> Duration {
    let script = format!("for (let i = 0; i < {n}; i++) {{ {body} }}");
    let start = Instant::now();
    rt.eval(&script).unwrap();
    start.elapsed()
}

fn calls(c: &mut Criterion) {
    let rt = runtime();
    let mut g = c.benchmark_group("js");
    g.warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    g.bench_function("hook call: Runtime::call(plugin.noop)", |b| {
        b.iter(|| black_box(rt.call("plugin.noop", &[]).unwrap()))
    });
    g.bench_function("hook call: Runtime::call(plugin.greet, \"World\")", |b| {
        let args = [json!("World")];
        b.iter(|| black_box(rt.call("plugin.greet", &args).unwrap()))
    });
    g.bench_function(
        "hook call: Runtime::call(plugin.noop) [thread CPU time]",
        |b| {
            b.iter_custom(|n| {
                cpu_time(n, || {
                    black_box(rt.call("plugin.noop", &[]).unwrap());
                })
            })
        },
    );
    g.bench_function("raw V8: JS calls plugin.noop()", |b| {
        b.iter_custom(|n| js_loop(&rt, n, "plugin.noop();"))
    });
    g.bench_function("host callback: JS calls hostNoop()", |b| {
        b.iter_custom(|n| js_loop(&rt, n, "hostNoop();"))
    });
    g.bench_function("host callback: JS calls hostNoop(i, 'x')", |b| {
        b.iter_custom(|n| js_loop(&rt, n, "hostNoop(i, 'x');"))
    });
    g.bench_function(
        "host callback: JS calls hostNoop() [thread CPU time]",
        |b| {
            b.iter_custom(|n| {
                let script = format!("for (let i = 0; i < {n}; i++) {{ hostNoop(); }}");
                let start = thread_cpu();
                rt.eval(&script).unwrap();
                thread_cpu() - start
            })
        },
    );

    let loaded = load_manifest(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples/plugins/js-greeter/plugin.json"),
    )
    .unwrap();
    let backend = JsBackend::new().with_log_writer(Arc::new(Mutex::new(std::io::sink())));
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap())
        .with_config(loaded.manifest.config.clone());
    let plugin = backend.load_plugin(&loaded, services.clone()).unwrap();
    g.bench_function("hook call: Plugin::invoke(farewell, \"World\")", |b| {
        let request = ActionInvoke::new("farewell", json!("World"));
        b.iter(|| black_box(plugin.invoke(&request).unwrap()))
    });
    g.bench_function(
        "hook call: Plugin::invoke(farewell, \"World\") [thread CPU time]",
        |b| {
            let request = ActionInvoke::new("farewell", json!("World"));
            b.iter_custom(|n| {
                cpu_time(n, || {
                    black_box(plugin.invoke(&request).unwrap());
                })
            })
        },
    );

    // The design not taken: the runtime on its own thread, each call a channel round trip.
    let (tx, rx) = mpsc::channel::<mpsc::Sender<Value>>();
    let worker = std::thread::spawn(move || {
        let rt = runtime();
        for reply in rx {
            let _ = reply.send(rt.call("plugin.noop", &[]).unwrap());
        }
    });
    g.bench_function("hook call via a dedicated runtime thread (channel)", |b| {
        b.iter(|| {
            let (rtx, rrx) = mpsc::channel();
            tx.send(rtx).unwrap();
            black_box(rrx.recv().unwrap())
        })
    });
    drop(tx);
    worker.join().unwrap();
    g.finish();

    let mut g = c.benchmark_group("js-setup");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("isolate + context: Runtime::new", |b| {
        b.iter(|| black_box(Runtime::new(RuntimeConfig::default()).unwrap()))
    });
    g.bench_function(
        "load the greeter plugin (isolate + host API + script)",
        |b| b.iter(|| black_box(backend.load_plugin(&loaded, services.clone()).unwrap())),
    );
    g.finish();

    let mut g = c.benchmark_group("node");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    let module = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins/node-bridge/example.js");
    g.bench_function("Node subprocess round trip: node::call(add, 2, 3)", |b| {
        b.iter(|| black_box(node::call(&module, "add", &[json!(2), json!(3)]).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
