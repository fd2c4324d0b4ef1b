//! Side by side in one run: the greeter sample as a core module (examples/plugins/
//! rust-greeter, interop's ABI), as WebAssembly components (rust-, python- and
//! js-component-greeter, the `interop:plugin` WIT world) and as an Extism plugin
//! (extism-rust-greeter), each answering `greet "World"` through `Plugin::invoke`: the
//! same work (a log line, the greeting) through three ABIs and three guest languages.
//!
//! The samples are built by `cargo xtask build-plugins`; components are compiled once
//! through the backend's disk cache (the default directory).
//!
//! `cargo bench -p interop-wasm --bench component` (results in docs/benchmarks.md).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use interop_protocol::{load_manifest, ActionInvoke, Plugin};
use interop_sandbox::{Backend, HostServices, Policy};
use interop_wasm::WasmBackend;
use serde_json::json;

/// The sample greeter in `examples/plugins/<dir>`, loaded by `backend` (as the host
/// does: the binary tells a core module from a component).
fn greeter(backend: &WasmBackend, dir: &str) -> Box<dyn Plugin> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/plugins")
        .join(dir)
        .join("plugin.json");
    let loaded = load_manifest(&path)
        .unwrap_or_else(|e| panic!("{dir}: {e} (run cargo xtask build-plugins)"));
    let services = HostServices::new(Policy::from_manifest(&loaded).unwrap());
    backend
        .load(&loaded, services)
        .unwrap_or_else(|e| panic!("{dir}: {e} (run cargo xtask build-plugins)"))
}

fn component_call(c: &mut Criterion) {
    std::env::remove_var("GREETER_PREFIX");
    let backend = WasmBackend::default();
    let greet = ActionInvoke::new("greet", json!("World"));
    let mut group = c.benchmark_group("component_call");
    for (id, dir) in [
        ("rust_core_module_greet", "rust-greeter"),
        ("rust_component_greet", "rust-component-greeter"),
        ("python_component_greet", "python-component-greeter"),
        ("js_component_greet", "js-component-greeter"),
        // An Extism plugin, run unchanged through interop's Extism host functions; its
        // peer, the same file under Extism's own runtime, is benches/peers/extism.
        ("extism_greeter_interop", "extism-rust-greeter"),
    ] {
        let plugin = greeter(&backend, dir);
        let answer = plugin.invoke(&greet).unwrap();
        assert_eq!(answer.text.as_deref(), Some("Hello, World!"), "{dir}");
        group.bench_function(id, |b| b.iter(|| black_box(plugin.invoke(&greet).unwrap())));
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(15);
    targets = component_call
}
criterion_main!(benches);
