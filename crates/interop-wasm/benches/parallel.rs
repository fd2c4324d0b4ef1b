//! Throughput of one wasm plugin called from 1, 2, 4 and 8 threads, next to raw wasmtime
//! with one instance per thread: calls to one plugin run in parallel on its instance pool.
//!
//! Each call runs a guest loop of a few microseconds (`spin`), so that the numbers show
//! how the calls share the cores rather than the cost of a call (the `call` group of the
//! `wasm` bench measures that). Criterion reports calls per second (`Throughput`).
//!
//! `cargo bench -p interop-wasm --bench parallel` (results in docs/benchmarks.md).

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use interop_protocol::{validate_value, ActionInvoke, LoadedManifest, Plugin};
use interop_sandbox::{HostServices, Policy};
use interop_wasm::WasmBackend;
use serde_json::{json, Value};

/// A loop of `SPIN` rounds of integer arithmetic: a few microseconds of guest work.
const GUEST: &str = r#"(module
  (global $sink (mut i64) (i64.const 0))
  (func (export "spin")
    (local $i i32) (local $x i64)
    (local.set $x (i64.const 1))
    (loop $again
      (local.set $x (i64.add (i64.mul (local.get $x) (i64.const 6364136223846793005))
                             (i64.const 1442695040888963407)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 5000))))
    (global.set $sink (local.get $x))))"#;

/// Calls each thread makes per measured iteration.
const CALLS_PER_THREAD: u64 = 64;

const THREADS: [usize; 4] = [1, 2, 4, 8];

/// Runs `calls` on `threads` threads at once (each its own state from `setup`) and
/// returns the wall-clock time until the last finished.
fn run_threads<S: Send>(
    threads: usize,
    setup: impl Fn() -> S + Sync,
    call: impl Fn(&mut S) + Sync,
) -> Duration {
    let barrier = std::sync::Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut state = setup();
                barrier.wait();
                for _ in 0..CALLS_PER_THREAD {
                    call(&mut state);
                }
                barrier.wait();
            });
        }
        barrier.wait();
        let start = Instant::now();
        barrier.wait();
        start.elapsed()
    })
}

fn plugin(dir: &std::path::Path, pool: usize) -> impl Plugin {
    std::fs::write(dir.join("spin.wat"), GUEST).unwrap();
    let manifest = validate_value(
        &json!({
            "name": "spin", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "spin.wat"},
            "actions": [{"name": "spin"}]
        }),
        Some(dir),
    )
    .unwrap();
    let loaded = LoadedManifest {
        manifest,
        path: dir.join("plugin.json"),
        dir: dir.to_path_buf(),
    };
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap());
    WasmBackend::builder()
        .without_disk_cache()
        .instances_per_plugin(pool)
        .build()
        .load_plugin(&loaded, services)
        .unwrap()
}

fn parallel(c: &mut Criterion) {
    let mut group = c.benchmark_group("parallel_calls");

    // Raw wasmtime: one engine, one store and instance per thread, the export as a
    // TypedFunc.
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, GUEST).unwrap();
    let pre = wasmtime::Linker::<()>::new(&engine)
        .instantiate_pre(&module)
        .unwrap();
    for threads in THREADS {
        group.throughput(Throughput::Elements(threads as u64 * CALLS_PER_THREAD));
        group.bench_with_input(
            BenchmarkId::new("raw_wasmtime_instance_per_thread", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            run_threads(
                                threads,
                                || {
                                    let mut store = wasmtime::Store::new(&engine, ());
                                    let instance = pre.instantiate(&mut store).unwrap();
                                    let spin = instance
                                        .get_typed_func::<(), ()>(&mut store, "spin")
                                        .unwrap();
                                    (store, spin)
                                },
                                |(store, spin)| spin.call(store, ()).unwrap(),
                            )
                        })
                        .sum()
                })
            },
        );
    }

    // interop: one plugin, a pool of 8 instances, shared by the threads.
    let dir = tempfile::tempdir().unwrap();
    let plugin = plugin(dir.path(), 8);
    let request = ActionInvoke::new("spin", Value::Null);
    for threads in THREADS {
        group.throughput(Throughput::Elements(threads as u64 * CALLS_PER_THREAD));
        group.bench_with_input(
            BenchmarkId::new("interop_one_plugin", threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            run_threads(
                                threads,
                                || (),
                                |()| assert!(plugin.invoke(&request).unwrap().success),
                            )
                        })
                        .sum()
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = parallel
}
criterion_main!(benches);
