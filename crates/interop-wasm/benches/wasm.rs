//! Side by side in one run: raw wasmtime against interop's wasm backend.
//!
//! - `call`: a no-op export through a raw `TypedFunc`, and the same export as an interop
//!   action (`Plugin::invoke`);
//! - `json_1kib`: a 1 KiB JSON document in and out of an echo action, as a `Value`
//!   (`Plugin::invoke`) and as JSON text (`Plugin::invoke_raw`), next to `serde_json`
//!   alone; `json_64kib`: the same with a 64 KiB document;
//! - `load` (the Rust greeter sample, about 120 KiB): compiling, the `.cwasm` disk cache
//!   next to raw wasmtime's `deserialize_file`, the memory cache from bytes and from a
//!   known file, and loading one more copy of a plugin whose module is cached;
//! - `instantiate`: a fresh instance with on-demand allocation and with the pooling
//!   allocator, next to raw wasmtime in the same mode.
//!
//! `cargo bench -p interop-wasm --bench wasm` (results in docs/benchmarks.md).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use interop_protocol::{validate_value, ActionInvoke, LoadedManifest, Plugin};
use interop_sandbox::{HostServices, Policy};
use interop_wasm::{CacheSource, WasmBackend};
use serde_json::{json, Value};

const GUEST: &str = include_str!("../tests/guests/abi.wat");

/// The test guest plus a no-op export, as binary wasm.
fn guest_wasm() -> Vec<u8> {
    // Close the module after one more export.
    let end = GUEST.rfind(')').expect("the guest ends with `)`");
    let text = format!("{}\n  (func (export \"noop\")))", &GUEST[..end]);
    wat::parse_str(&text).expect("bench guest is valid WAT")
}

fn plugin(backend: &WasmBackend, dir: &std::path::Path, wasm: &[u8]) -> impl Plugin {
    std::fs::write(dir.join("bench.wasm"), wasm).unwrap();
    let manifest = validate_value(
        &json!({
            "name": "bench", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "bench.wasm"},
            "actions": [{"name": "noop"}, {"name": "echo"}]
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
    backend.load_plugin(&loaded, services).unwrap()
}

fn call(c: &mut Criterion) {
    let wasm = guest_wasm();
    let mut group = c.benchmark_group("call");

    // Raw wasmtime: one store, the no-op export as a TypedFunc (a trivial import set so
    // that the module links).
    let engine = wasmtime::Engine::default();
    let module = wasmtime::Module::new(&engine, &wasm).unwrap();
    let mut linker = wasmtime::Linker::<()>::new(&engine);
    linker.define_unknown_imports_as_traps(&module).unwrap();
    let mut store = wasmtime::Store::new(&engine, ());
    let instance = linker.instantiate(&mut store, &module).unwrap();
    let noop = instance
        .get_typed_func::<(), ()>(&mut store, "noop")
        .unwrap();
    group.bench_function("raw_wasmtime_typed_func", |b| {
        b.iter(|| noop.call(&mut store, ()).unwrap())
    });

    let dir = tempfile::tempdir().unwrap();
    let backend = WasmBackend::builder().without_disk_cache().build();
    let plugin = plugin(&backend, dir.path(), &wasm);
    let request = ActionInvoke::new("noop", Value::Null);
    group.bench_function("interop_noop_action", |b| {
        b.iter(|| black_box(plugin.invoke(black_box(&request)).unwrap()))
    });
    group.finish();

    let mut group = json_group(c, &plugin, "json_1kib", 36, 900..1200);
    // The same size as one JSON string (a text payload): no tree to build.
    let request = ActionInvoke::new("echo", Value::String("x".repeat(1022)));
    group.bench_function("interop_echo_string", |b| {
        b.iter(|| black_box(plugin.invoke(black_box(&request)).unwrap()))
    });
    group.finish();
    json_group(c, &plugin, "json_64kib", 2180, 60_000..70_000).finish();
}

/// The group `name`: a document of `records` small records (`size` bytes of JSON) in and
/// out of the echo action, as a `Value` and as JSON text, next to their floors.
fn json_group<'a>(
    c: &'a mut Criterion,
    plugin: &dyn Plugin,
    name: &str,
    records: usize,
    size: std::ops::Range<usize>,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    let doc: Value = json!({
        "items": (0..records).map(|i| json!({"id": i, "name": format!("item-{i:03}")})).collect::<Vec<_>>(),
    });
    let len = doc.to_string().len();
    assert!(size.contains(&len), "document is {len} bytes");
    // The floor of `invoke`: serde_json alone writing the document and parsing it back.
    group.bench_function("serde_json_alone", |b| {
        b.iter(|| {
            let bytes = serde_json::to_vec(black_box(&doc)).unwrap();
            black_box(serde_json::from_slice::<Value>(&bytes).unwrap())
        })
    });
    let request = ActionInvoke::new("echo", doc.clone());
    group.bench_function("interop_echo_object", |b| {
        b.iter(|| black_box(plugin.invoke(black_box(&request)).unwrap()))
    });
    raw_rows(&mut group, plugin, &doc);
    group
}

/// The JSON-text rows of a `json_*` group: `doc` through `Plugin::invoke_raw`, and the
/// floor of that path, `serde_json` checking the text is one JSON value (what the host
/// does with a guest's output before handing it on as `RawValue`).
fn raw_rows(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    plugin: &dyn Plugin,
    doc: &Value,
) {
    let text = serde_json::value::to_raw_value(doc).unwrap();
    group.bench_function("serde_json_check_text", |b| {
        b.iter(|| {
            let owned = black_box(text.get()).as_bytes().to_vec();
            black_box(interop_protocol::raw::raw_output(owned).unwrap())
        })
    });
    group.bench_function("interop_echo_raw", |b| {
        b.iter(|| black_box(plugin.invoke_raw("echo", black_box(&text)).unwrap()))
    });
}

/// The module of the Rust greeter sample (about 120 KiB of wasm), which
/// `cargo xtask build-plugins` builds: the load rows use a module of a real size.
fn greeter() -> Option<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins/rust-greeter");
    let found = dir.join("dist/greeter.wasm").is_file().then_some(dir);
    if found.is_none() {
        eprintln!("the load rows need the sample plugins: cargo xtask build-plugins");
    }
    found
}

fn load(c: &mut Criterion) {
    let Some(greeter_dir) = greeter() else {
        return;
    };
    let wasm_path = greeter_dir.join("dist/greeter.wasm");
    let wasm = std::fs::read(&wasm_path).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let backend = WasmBackend::builder().cache_dir(cache.path()).build();
    let clear_disk = || {
        for entry in std::fs::read_dir(cache.path()).unwrap() {
            let _ = std::fs::remove_file(entry.unwrap().path());
        }
    };
    let mut group = c.benchmark_group("load");
    group.bench_function("compile", |b| {
        b.iter_batched(
            || {
                backend.clear_memory_cache();
                clear_disk();
            },
            |()| assert_eq!(backend.prepare(&wasm).unwrap(), CacheSource::Compiled),
            BatchSize::PerIteration,
        )
    });
    backend.prepare(&wasm).unwrap();
    group.bench_function("disk_cache", |b| {
        b.iter_batched(
            || backend.clear_memory_cache(),
            |()| assert_eq!(backend.prepare(&wasm).unwrap(), CacheSource::Disk),
            BatchSize::PerIteration,
        )
    });
    // The same from the module's file, as a plugin loads it in a new process: the
    // file's digest is found in the cache's table, so the wasm is neither read nor hashed.
    backend.prepare_file(&wasm_path).unwrap();
    group.bench_function("disk_cache_file", |b| {
        b.iter_batched(
            || backend.clear_memory_cache(),
            |()| assert_eq!(backend.prepare_file(&wasm_path).unwrap(), CacheSource::Disk),
            BatchSize::PerIteration,
        )
    });
    // Raw wasmtime reading a module it serialized to a file, with the engine interop
    // uses (epoch interruption).
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(true);
    let engine = wasmtime::Engine::new(&config).unwrap();
    let raw_file = cache.path().join("raw.cwasm-raw");
    let serialized = wasmtime::Module::new(&engine, &wasm)
        .unwrap()
        .serialize()
        .unwrap();
    std::fs::write(&raw_file, serialized).unwrap();
    group.bench_function("raw_wasmtime_deserialize_file", |b| {
        // SAFETY: the file was written just above by `serialize` of the same engine.
        b.iter(|| {
            black_box(unsafe { wasmtime::Module::deserialize_file(&engine, &raw_file) }.unwrap())
        })
    });
    group.bench_function("memory_cache_bytes", |b| {
        b.iter(|| assert_eq!(backend.prepare(&wasm).unwrap(), CacheSource::Memory))
    });
    backend.prepare_file(&wasm_path).unwrap();
    group.bench_function("memory_cache_file", |b| {
        b.iter(|| {
            assert_eq!(
                backend.prepare_file(&wasm_path).unwrap(),
                CacheSource::Memory
            )
        })
    });
    // One more copy of a plugin whose module is cached: module lookup, handler checks,
    // linking (cached), WASI template and the first instance.
    let loaded = interop_protocol::load_manifest(greeter_dir.join("plugin.json")).unwrap();
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap());
    group.bench_function("plugin_cached", |b| {
        b.iter(|| black_box(backend.load_plugin(&loaded, services.clone()).unwrap()))
    });
    group.finish();
}

fn instantiate(c: &mut Criterion) {
    let wasm = guest_wasm();
    let mut group = c.benchmark_group("instantiate");
    for (name, pooling) in [("on_demand", None), ("pooled", Some(64))] {
        // Raw wasmtime in the same mode: a store and an instance from an `InstancePre`
        // (imports defined as traps, no WASI context).
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        if pooling.is_some() {
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::pooling());
        }
        let engine = wasmtime::Engine::new(&config).unwrap();
        let module = wasmtime::Module::new(&engine, &wasm).unwrap();
        let mut linker = wasmtime::Linker::<()>::new(&engine);
        linker.define_unknown_imports_as_traps(&module).unwrap();
        let pre = linker.instantiate_pre(&module).unwrap();
        group.bench_function(format!("raw_wasmtime_{name}"), |b| {
            b.iter(|| {
                let mut store = wasmtime::Store::new(&engine, ());
                black_box(pre.instantiate(&mut store).unwrap());
                store
            })
        });
        // interop: a fresh instance of an opened module (store, limits, WASI context from
        // the plugin's template, `_initialize` if any).
        let mut builder = WasmBackend::builder().without_disk_cache();
        if let Some(slots) = pooling {
            builder = builder.pooling(slots);
        }
        let backend = builder.build();
        let services = HostServices::new(Policy::new("bench", "."));
        let module = backend
            .open_module_bytes(&wasm, "bench.wasm".as_ref(), services)
            .unwrap();
        group.bench_function(format!("interop_{name}"), |b| {
            b.iter(|| module.reset().unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = call, load, instantiate
}
criterion_main!(benches);
