//! Scale: many wasm plugins in one host.
//!
//! - load 1, 100, 1,000 and 10,000 copies of the Rust greeter sample (each its own
//!   plugin, manifest and sandbox; the module compiled once): the host's resident memory
//!   and the load time per plugin at each size, then the memory once every plugin has
//!   answered one call;
//! - 10,000 `greet` calls over 100 of them from 1, 2 and 4 threads: throughput, the
//!   median and 99th-percentile latency, and how many answers were wrong (must be 0).
//!
//! Not a criterion benchmark (resident memory is not a time): it prints a table and
//! writes `$CARGO_TARGET_DIR/scale.json`, which `cargo xtask bench` turns into the scale
//! table of docs/benchmarks.md. Needs the sample built (`cargo xtask build-plugins`).
//!
//! `cargo bench -p interop-host --bench scale`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop_host::serde_json::{json, Value};
use interop_host::{ActionInvoke, Host, Plugin};

const SIZES: [usize; 4] = [1, 100, 1_000, 10_000];
const CALLS: usize = 10_000;
const CALLED_PLUGINS: usize = 100;

fn main() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wasm = repo.join("examples/plugins/rust-greeter/dist/greeter.wasm");
    if !wasm.is_file() {
        eprintln!(
            "scale: skipped, {} is not built (cargo xtask build-plugins)",
            wasm.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let host = Host::new();
    let mut plugins: Vec<Arc<dyn Plugin>> = Vec::new();
    let mut loads = Vec::new();
    let manifests: Vec<PathBuf> = (0..SIZES[SIZES.len() - 1])
        .map(|i| write_plugin(dir.path(), i, &wasm).join("plugin.json"))
        .collect();
    for size in SIZES {
        let started = Instant::now();
        let first = plugins.len();
        for (i, manifest) in manifests.iter().enumerate().take(size).skip(first) {
            let plugin = host
                .load(manifest)
                .unwrap_or_else(|e| panic!("loading plugin {i} of {size}: {e}"));
            plugins.push(plugin);
        }
        let per_plugin = started.elapsed() / (size - first) as u32;
        let rss = rss_mib();
        println!(
            "{size:>6} plugins loaded: {rss:>7.1} MiB resident, {:>7.1} µs to load each",
            micros(per_plugin)
        );
        loads.push(json!({"plugins": size, "rss_mib": rss, "load_us": micros(per_plugin)}));
    }

    let started = Instant::now();
    for (i, plugin) in plugins.iter().enumerate() {
        let answer = greet(plugin.as_ref(), i);
        assert_eq!(answer, format!("Hello, World{i}!"), "plugin {i}");
    }
    let first_call = started.elapsed() / plugins.len() as u32;
    let called_rss = rss_mib();
    println!(
        "{:>6} plugins called once each: {called_rss:>7.1} MiB resident, {:>7.1} µs per first call",
        plugins.len(),
        micros(first_call)
    );

    let mut calls = Vec::new();
    for threads in [1, 2, 4] {
        let (per_sec, p50, p99, mismatches) = calls_over(&plugins[..CALLED_PLUGINS], threads);
        println!(
            "{CALLS} calls over {CALLED_PLUGINS} plugins, {threads} thread(s): {per_sec:>9.0} calls/s, p50 {p50:.1} µs, p99 {p99:.1} µs, {mismatches} wrong answers"
        );
        calls.push(json!({
            "threads": threads, "per_sec": per_sec, "p50_us": p50, "p99_us": p99,
            "mismatches": mismatches,
        }));
    }

    let report = json!({
        "loads": loads,
        "called_once": {"plugins": plugins.len(), "rss_mib": called_rss, "first_call_us": micros(first_call)},
        "calls": calls,
        "load_average": std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim(),
    });
    let out = target_dir().join("scale.json");
    std::fs::write(&out, serde_json::to_vec_pretty(&report).expect("JSON"))
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    println!("wrote {}", out.display());
}

/// A plugin directory `p<i>` holding a manifest and a hard link to the greeter module
/// (one file on disk, so one compiled module in the cache).
fn write_plugin(root: &Path, i: usize, wasm: &Path) -> PathBuf {
    let dir = root.join(format!("p{i:05}"));
    std::fs::create_dir(&dir).expect("a plugin directory");
    std::fs::hard_link(wasm, dir.join("greeter.wasm")).expect("a link to the module");
    let manifest = json!({
        "name": format!("greeter-{i:05}"),
        "version": "0.1.0",
        "interop": {"protocol": "wasm", "wasmPath": "greeter.wasm"},
        "actions": [
            {"name": "greet", "inputSchema": {"type": "string"}},
            {"name": "farewell", "inputSchema": {"type": "string"}}
        ]
    });
    std::fs::write(dir.join("plugin.json"), manifest.to_string()).expect("a manifest");
    dir
}

fn greet(plugin: &dyn Plugin, i: usize) -> String {
    let result = plugin
        .invoke(&ActionInvoke::new(
            "greet",
            Value::from(format!("World{i}")),
        ))
        .unwrap_or_else(|e| panic!("greet on plugin {i}: {e}"));
    result.text.unwrap_or_default()
}

/// `CALLS` calls spread over `plugins` by `threads` threads: calls per second, p50 and
/// p99 latency (µs), wrong answers.
fn calls_over(plugins: &[Arc<dyn Plugin>], threads: usize) -> (f64, f64, f64, usize) {
    let started = Instant::now();
    let per_thread: Vec<(Vec<Duration>, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let mut latencies = Vec::with_capacity(CALLS / threads);
                    let mut wrong = 0;
                    for n in (t..CALLS).step_by(threads) {
                        let i = n % plugins.len();
                        let call = Instant::now();
                        let answer = greet(plugins[i].as_ref(), n);
                        latencies.push(call.elapsed());
                        if answer != format!("Hello, World{n}!") {
                            wrong += 1;
                        }
                    }
                    (latencies, wrong)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a calling thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    let mismatches = per_thread.iter().map(|(_, wrong)| wrong).sum();
    let mut latencies: Vec<Duration> = per_thread.into_iter().flat_map(|(l, _)| l).collect();
    latencies.sort();
    let at = |q: f64| micros(latencies[((latencies.len() - 1) as f64 * q) as usize]);
    (
        CALLS as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        mismatches,
    )
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// This process's resident memory (`VmRSS`), MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Where cargo puts build output: `$CARGO_TARGET_DIR`, else the `target` above this
/// benchmark's executable (`target/release/deps/scale-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| PathBuf::from("target"))
}
