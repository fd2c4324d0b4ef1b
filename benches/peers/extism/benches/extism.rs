//! The peer of interop's `component_call/extism_greeter_interop` row: the same Extism
//! plugin (examples/plugins/extism-rust-greeter, built by `cargo xtask build-plugins`)
//! answering `greet "World"` through Extism's own runtime, the `extism` crate.
//!
//! `cargo bench --manifest-path benches/peers/extism/Cargo.toml` (`cargo xtask bench`
//! runs it with the same target directory, so both land in one criterion report).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};

fn extism_greet(c: &mut Criterion) {
    let wasm_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../examples/plugins/extism-rust-greeter/dist/greeter.wasm");
    let wasm = std::fs::read(&wasm_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run cargo xtask build-plugins)",
            wasm_path.display()
        )
    });
    // The plugin's WASI imports are satisfied as interop satisfies them (no grants).
    let manifest = extism::Manifest::new([extism::Wasm::data(wasm)]);
    let mut plugin = extism::Plugin::new(&manifest, [], true).expect("the Extism greeter loads");
    let answer: String = plugin.call("greet", "World").expect("greet answers");
    assert_eq!(answer, "Hello, World!");
    let mut group = c.benchmark_group("component_call");
    group.bench_function("extism_greeter_extism_runtime", |b| {
        b.iter(|| black_box(plugin.call::<&str, String>("greet", "World").unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = extism_greet
}
criterion_main!(benches);
