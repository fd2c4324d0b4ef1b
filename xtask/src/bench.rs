//! `cargo xtask bench`: runs every criterion benchmark of the workspace with short
//! measurement times and writes the tables of `docs/benchmarks.md` from criterion's
//! results (`$CARGO_TARGET_DIR/criterion/**/new/`): per path, our figure, the raw engine
//! or peer measured in the same run, their ratio, the target and whether it is met, with
//! the load average of the machine during the run.
//!
//! The rows are listed below ([`ROWS`]); a row whose benchmark did not run in this run
//! (the isolated FFI runner missing, say) says so instead of showing an old figure. The
//! tables go between two markers in the document, so that the commentary around them
//! (where the time goes, what limits a missed target) stays as written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::util::{cargo, root, step};

/// What `docs/benchmarks.md` says produced its tables.
const COMMAND: &str = "cargo xtask bench";

const BEGIN: &str = "<!-- cargo xtask bench: generated tables begin -->";
const END: &str = "<!-- cargo xtask bench: generated tables end -->";

/// Short runs: every benchmark of the workspace in a few minutes.
const CRITERION_ARGS: [&str; 6] = [
    "--warm-up-time",
    "0.3",
    "--measurement-time",
    "1",
    "--sample-size",
    "15",
];

/// What a row is held to.
#[derive(Clone, Copy)]
enum Target {
    None,
    /// At most this many nanoseconds.
    Ns(f64),
    /// At most this many times the reference.
    Ratio(f64),
    /// At most this many times the reference plus this many nanoseconds.
    RatioPlus(f64, f64),
    /// At least this many operations per second (the row's `per` operations per
    /// iteration).
    PerSec(f64),
}

struct Row {
    section: &'static str,
    what: &'static str,
    /// criterion's full id of our benchmark (`group/function`).
    ours: &'static str,
    /// The raw engine or peer measured in the same run: what it is, and its id.
    reference: Option<(&'static str, &'static str)>,
    target: Target,
    /// Operations per iteration, to show a rate instead of a time.
    per: Option<f64>,
}

const fn row(
    section: &'static str,
    what: &'static str,
    ours: &'static str,
    reference: Option<(&'static str, &'static str)>,
    target: Target,
) -> Row {
    Row {
        section,
        what,
        ours,
        reference,
        target,
        per: None,
    }
}

const fn rate(
    section: &'static str,
    what: &'static str,
    ours: &'static str,
    reference: Option<(&'static str, &'static str)>,
    per: f64,
    target: Target,
) -> Row {
    Row {
        per: Some(per),
        ..row(section, what, ours, reference, target)
    }
}

const RAW_WASMTIME: &str = "raw wasmtime";

/// Every row of the tables, by section.
const ROWS: &[Row] = &[
    row(
        "wasm",
        "no-op action (`Plugin::invoke`)",
        "call/interop_noop_action",
        Some(("raw wasmtime `TypedFunc`", "call/raw_wasmtime_typed_func")),
        Target::RatioPlus(2.0, 500.0),
    ),
    row(
        "wasm",
        "1 KiB JSON string in and out",
        "json_1kib/interop_echo_string",
        None,
        Target::Ns(3_000.0),
    ),
    row(
        "wasm",
        "1 KiB JSON object (36 records) in and out as `Value` (`Plugin::invoke`)",
        "json_1kib/interop_echo_object",
        Some((
            "serde_json alone (print + parse)",
            "json_1kib/serde_json_alone",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "1 KiB JSON object in and out as JSON text (`Plugin::invoke_raw`)",
        "json_1kib/interop_echo_raw",
        Some((
            "serde_json alone checking the text",
            "json_1kib/serde_json_check_text",
        )),
        Target::Ns(3_000.0),
    ),
    row(
        "wasm",
        "64 KiB JSON object (2,180 records) in and out as `Value`",
        "json_64kib/interop_echo_object",
        Some((
            "serde_json alone (print + parse)",
            "json_64kib/serde_json_alone",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "64 KiB JSON object in and out as JSON text",
        "json_64kib/interop_echo_raw",
        Some((
            "serde_json alone checking the text",
            "json_64kib/serde_json_check_text",
        )),
        Target::Ns(50_000.0),
    ),
    row(
        "wasm",
        "`greet`, Rust component (WIT world, `Plugin::invoke`)",
        "component_call/rust_component_greet",
        Some((
            "the same greeter as a core module",
            "component_call/rust_core_module_greet",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "`greet`, Python component (componentize-py)",
        "component_call/python_component_greet",
        Some((
            "the same greeter as a core module",
            "component_call/rust_core_module_greet",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "`greet`, JavaScript component (componentize-js)",
        "component_call/js_component_greet",
        Some((
            "the same greeter as a core module",
            "component_call/rust_core_module_greet",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "`greet`, Extism plugin (extism-pdk) through interop's Extism host functions",
        "component_call/extism_greeter_interop",
        Some((
            "the same file under Extism 1.30's own runtime",
            "component_call/extism_greeter_extism_runtime",
        )),
        Target::Ratio(1.0),
    ),
    row(
        "wasm",
        "load, compile (120 KiB Rust greeter)",
        "load/compile",
        None,
        Target::None,
    ),
    row(
        "wasm",
        "load from the `.cwasm` disk cache, a known file (as in a new process)",
        "load/disk_cache_file",
        Some((
            "raw wasmtime `deserialize_file`",
            "load/raw_wasmtime_deserialize_file",
        )),
        Target::Ratio(1.2),
    ),
    row(
        "wasm",
        "load from the `.cwasm` disk cache, from bytes (hashed: SHA-256 is the key)",
        "load/disk_cache",
        Some((
            "raw wasmtime `deserialize_file`",
            "load/raw_wasmtime_deserialize_file",
        )),
        Target::None,
    ),
    row(
        "wasm",
        "load from the memory cache, from bytes (hashed: SHA-256 is the key)",
        "load/memory_cache_bytes",
        None,
        Target::None,
    ),
    row(
        "wasm",
        "load from the memory cache, a known file (no read, no hash)",
        "load/memory_cache_file",
        None,
        Target::Ns(5_000.0),
    ),
    row(
        "wasm",
        "load one more copy of a cached plugin",
        "load/plugin_cached",
        None,
        Target::Ns(50_000.0),
    ),
    row(
        "wasm",
        "instantiate, on-demand allocation",
        "instantiate/interop_on_demand",
        Some((RAW_WASMTIME, "instantiate/raw_wasmtime_on_demand")),
        Target::Ratio(1.3),
    ),
    row(
        "wasm",
        "instantiate, pooling allocator",
        "instantiate/interop_pooled",
        Some((RAW_WASMTIME, "instantiate/raw_wasmtime_pooled")),
        Target::Ratio(1.3),
    ),
    rate(
        "wasm",
        "one plugin, 1 thread (calls/s)",
        "parallel_calls/interop_one_plugin/1",
        Some((
            "raw wasmtime, instance per thread",
            "parallel_calls/raw_wasmtime_instance_per_thread/1",
        )),
        64.0,
        Target::None,
    ),
    rate(
        "wasm",
        "one plugin, 2 threads (calls/s)",
        "parallel_calls/interop_one_plugin/2",
        Some((
            "raw wasmtime, instance per thread",
            "parallel_calls/raw_wasmtime_instance_per_thread/2",
        )),
        128.0,
        Target::None,
    ),
    rate(
        "wasm",
        "one plugin, 4 threads (calls/s)",
        "parallel_calls/interop_one_plugin/4",
        Some((
            "raw wasmtime, instance per thread",
            "parallel_calls/raw_wasmtime_instance_per_thread/4",
        )),
        256.0,
        Target::None,
    ),
    rate(
        "wasm",
        "one plugin, 8 threads (calls/s)",
        "parallel_calls/interop_one_plugin/8",
        Some((
            "raw wasmtime, instance per thread",
            "parallel_calls/raw_wasmtime_instance_per_thread/8",
        )),
        512.0,
        Target::None,
    ),
    row(
        "js",
        "hook call `Runtime::call(plugin.noop)`, thread CPU",
        "js/hook call: Runtime::call(plugin.noop) [thread CPU time]",
        None,
        Target::Ns(800.0),
    ),
    row(
        "js",
        "hook call `Runtime::call(plugin.noop)`, wall",
        "js/hook call: Runtime::call(plugin.noop)",
        Some((
            "raw V8: JS calling `plugin.noop()`",
            "js/raw V8: JS calls plugin.noop()",
        )),
        Target::None,
    ),
    row(
        "js",
        "host callback `hostNoop()`, thread CPU",
        "js/host callback: JS calls hostNoop() [thread CPU time]",
        None,
        Target::Ns(300.0),
    ),
    row(
        "js",
        "`Plugin::invoke(farewell)`, thread CPU",
        "js/hook call: Plugin::invoke(farewell, \"World\") [thread CPU time]",
        None,
        Target::None,
    ),
    row(
        "js",
        "isolate + context (`Runtime::new`)",
        "js-setup/isolate + context: Runtime::new",
        None,
        Target::Ns(5e6),
    ),
    row(
        "ffi",
        "`atoi` with declared types, thread CPU",
        "ffi/atoi/declared_types_cpu",
        Some(("raw libffi, thread CPU", "ffi/atoi/raw_libffi_cpu")),
        Target::Ratio(1.3),
    ),
    row(
        "ffi",
        "plugin ABI in process, JSON call, thread CPU",
        "ffi/plugin_abi/in_process_json_call_cpu",
        None,
        Target::Ns(1_000.0),
    ),
    row(
        "ffi",
        "plugin ABI isolated (runner child), JSON call",
        "ffi/plugin_abi/isolated_json_call",
        None,
        Target::Ns(30_000.0),
    ),
    row(
        "ipc",
        "JSON-RPC round trip over a Unix socket",
        "roundtrip_uds/jsonrpc_peer",
        Some((
            "newline-JSON echo, blocking threads",
            "roundtrip_uds/thread_newline_json",
        )),
        Target::Ratio(1.3),
    ),
    row(
        "ipc",
        "JSON-RPC round trip over a Unix socket, against tokio",
        "roundtrip_uds/jsonrpc_peer",
        Some((
            "newline-JSON echo on tokio",
            "roundtrip_uds/raw_newline_json",
        )),
        Target::None,
    ),
    row(
        "ipc",
        "JSON-RPC round trip, TCP loopback",
        "transport/tcp",
        None,
        Target::None,
    ),
    row(
        "ipc",
        "JSON-RPC round trip, child over stdio",
        "transport/stdio",
        None,
        Target::None,
    ),
    rate(
        "ipc",
        "1,000 pipelined calls on one socket (calls/s)",
        "pipelined_uds/1000_calls_in_flight",
        None,
        1000.0,
        Target::PerSec(100_000.0),
    ),
];

/// `cargo xtask bench`, of every package or of `packages` only; with `no_run`, only the
/// tables, from criterion's latest results.
pub fn bench(packages: &[String], no_run: bool) -> Result<()> {
    let target = target_dir();
    if no_run {
        let now = load_average();
        let mut results = read_results(&target.join("criterion"), SystemTime::UNIX_EPOCH)?;
        results.extend(read_scale(&target, SystemTime::UNIX_EPOCH)?);
        let how = format!(
            "Written by `{COMMAND} --no-run` from criterion's latest results (`cargo bench` \
             run by hand, each bench's own measurement settings). Load average (1, 5, 15 \
             min) when written: {now}.\n"
        );
        return write_tables(&tables(&results, &how), results.len());
    }
    crate::build_plugins()?;
    let runner = target.join("release/interop");
    if packages.is_empty() || packages.iter().any(|p| p == "interop-ffi") {
        step("the interop runner for the isolated FFI row (release)");
        cargo(&[
            "build",
            "--release",
            "-p",
            "interop-cli",
            "--features",
            "ffi,ipc",
        ])?;
    }
    let before = load_average();
    let started = SystemTime::now();
    step("cargo bench (short measurement times)");
    let mut args: Vec<&str> = vec!["bench"];
    if packages.is_empty() {
        args.push("--workspace");
    }
    for package in packages {
        args.extend(["-p", package]);
    }
    // Bench targets only: a library's test harness would refuse criterion's options.
    args.extend(["--bench", "*", "--"]);
    args.extend(CRITERION_ARGS);
    let status = std::process::Command::new(env_cargo())
        .args(&args)
        .current_dir(root())
        .env("INTEROP_RUNNER", &runner)
        .status()
        .context("running cargo bench")?;
    if !status.success() {
        bail!("cargo bench failed ({status})");
    }
    if packages.is_empty() || packages.iter().any(|p| p == "interop-wasm") {
        extism_peer(&target)?;
    }
    let after = load_average();
    let mut results = read_results(&target.join("criterion"), started)?;
    results.extend(read_scale(&target, started)?);
    let how = format!(
        "Produced by `{COMMAND}` (criterion, release build; {} s measurement, {} samples per \
         benchmark). Load average (1, 5, 15 min) before the run: {before}; after: {after}.\n",
        CRITERION_ARGS[3], CRITERION_ARGS[5]
    );
    write_tables(&tables(&results, &how), results.len())
}

/// The Extism greeter under Extism's own runtime (benches/peers/extism: its own
/// workspace, since extism brings another wasmtime), into the same criterion report.
fn extism_peer(target: &Path) -> Result<()> {
    step("cargo bench: the Extism greeter under Extism's own runtime (benches/peers/extism)");
    let manifest = root().join("benches/peers/extism/Cargo.toml");
    let status = std::process::Command::new(env_cargo())
        .args(["bench", "--manifest-path"])
        .arg(&manifest)
        .args(["--bench", "extism", "--"])
        .args(CRITERION_ARGS)
        .current_dir(root())
        .env("CARGO_TARGET_DIR", target)
        .status()
        .context("running cargo bench for the Extism peer")?;
    if !status.success() {
        bail!("cargo bench for the Extism peer failed ({status})");
    }
    Ok(())
}

fn write_tables(tables: &str, results: usize) -> Result<()> {
    let path = root().join("docs/benchmarks.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, splice(&doc, tables))?;
    println!("wrote {} ({results} results)", path.display());
    Ok(())
}

fn env_cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Mean time per iteration (ns) of every benchmark criterion measured since `since`, by
/// full id.
fn read_results(dir: &Path, since: SystemTime) -> Result<BTreeMap<String, f64>> {
    let mut results = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !path.is_dir() {
                continue;
            }
            let estimates = path.join("new/estimates.json");
            let fresh = std::fs::metadata(&estimates)
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since);
            if fresh {
                let id = read_json(&path.join("new/benchmark.json"))?["full_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let mean = read_json(&estimates)?["mean"]["point_estimate"].as_f64();
                if let Some(mean) = mean {
                    results.insert(id, mean);
                }
            } else {
                pending.push(path);
            }
        }
    }
    Ok(results)
}

/// The figures of the scale benchmark (`interop-host`'s `scale`, which writes
/// `scale.json` in the target directory) if it ran since `since`, under `scale/…` ids.
fn read_scale(target: &Path, since: SystemTime) -> Result<BTreeMap<String, f64>> {
    let path = target.join("scale.json");
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    let mut results = BTreeMap::new();
    if !fresh {
        return Ok(results);
    }
    let scale = read_json(&path)?;
    for load in scale["loads"].as_array().into_iter().flatten() {
        let n = load["plugins"].as_u64().unwrap_or_default();
        for field in ["rss_mib", "load_us"] {
            if let Some(v) = load[field].as_f64() {
                results.insert(format!("scale/loaded/{n}/{field}"), v);
            }
        }
    }
    for field in ["plugins", "rss_mib", "first_call_us"] {
        if let Some(v) = scale["called_once"][field].as_f64() {
            results.insert(format!("scale/called_once/{field}"), v);
        }
    }
    for calls in scale["calls"].as_array().into_iter().flatten() {
        let n = calls["threads"].as_u64().unwrap_or_default();
        for field in ["per_sec", "p50_us", "p99_us", "mismatches"] {
            if let Some(v) = calls[field].as_f64() {
                results.insert(format!("scale/calls/{n}/{field}"), v);
            }
        }
    }
    Ok(results)
}

/// The scale table: resident memory and load time as plugins are added, then calls
/// from several threads (the 10,000-plugin target: under 500 MiB).
fn scale_table(results: &BTreeMap<String, f64>) -> String {
    let get = |id: &str| results.get(id).copied();
    let mut out = String::from(
        "\n### scale (wasm plugins in one host: the Rust greeter, one module, a manifest and sandbox each)\n\n",
    );
    if get("scale/loaded/1/rss_mib").is_none() {
        out.push_str("Not measured in this run (`cargo bench -p interop-host --bench scale`).\n");
        return out;
    }
    out.push_str("| loaded plugins | resident memory | per plugin | load time per plugin | target | met |\n| --- | --- | --- | --- | --- | --- |\n");
    let base = get("scale/loaded/1/rss_mib").unwrap_or_default();
    for n in [1u64, 100, 1_000, 10_000] {
        let (Some(rss), Some(load)) = (
            get(&format!("scale/loaded/{n}/rss_mib")),
            get(&format!("scale/loaded/{n}/load_us")),
        ) else {
            continue;
        };
        let per = if n > 1 {
            format!("{:.1} KiB", (rss - base) * 1024.0 / (n - 1) as f64)
        } else {
            String::new()
        };
        let (target, met) = if n == 10_000 {
            ("< 500 MiB", if rss < 500.0 { "met" } else { "**not met**" })
        } else {
            ("", "")
        };
        let first = if n == 1 {
            " (the first: engine, compile)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| {n} | {rss:.1} MiB | {per} | {load:.1} µs{first} | {target} | {met} |\n"
        ));
    }
    if let (Some(n), Some(rss), Some(first)) = (
        get("scale/called_once/plugins"),
        get("scale/called_once/rss_mib"),
        get("scale/called_once/first_call_us"),
    ) {
        out.push_str(&format!(
            "| {n:.0}, each called once | {rss:.1} MiB | {:.1} KiB | first call {first:.1} µs | | |\n",
            (rss - base) * 1024.0 / (n - 1.0).max(1.0)
        ));
    }
    out.push_str("\n| 10,000 calls over 100 plugins | calls/s | p50 | p99 | wrong answers |\n| --- | --- | --- | --- | --- |\n");
    for threads in [1, 2, 4] {
        let field = |f: &str| get(&format!("scale/calls/{threads}/{f}"));
        if let (Some(rate), Some(p50), Some(p99), Some(wrong)) = (
            field("per_sec"),
            field("p50_us"),
            field("p99_us"),
            field("mismatches"),
        ) {
            out.push_str(&format!(
                "| {threads} thread(s) | {} | {p50:.1} µs | {p99:.1} µs | {wrong:.0} |\n",
                per_sec(rate, 1e9)
            ));
        }
    }
    out
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// `13.6 ns`, `1.19 µs`, `4.61 ms`.
fn time(ns: f64) -> String {
    let (value, unit) = match ns {
        n if n < 1e3 => (n, "ns"),
        n if n < 1e6 => (n / 1e3, "µs"),
        n if n < 1e9 => (n / 1e6, "ms"),
        n => (n / 1e9, "s"),
    };
    let digits = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.digits$} {unit}")
}

/// `168 k/s`.
fn per_sec(per: f64, ns: f64) -> String {
    let rate = per * 1e9 / ns;
    if rate >= 1e6 {
        format!("{:.2} M/s", rate / 1e6)
    } else {
        format!("{:.0} k/s", rate / 1e3)
    }
}

/// The tables of `results`, after `how` (what produced them).
fn tables(results: &BTreeMap<String, f64>, how: &str) -> String {
    let mut out = how.to_owned();
    let mut section = "";
    for row in ROWS {
        if row.section != section {
            section = row.section;
            out.push_str(&format!(
                "\n### {section}\n\n| path | ours | raw engine / peer (same run) | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |\n"
            ));
        }
        let ours = results.get(row.ours).copied();
        let reference = row
            .reference
            .and_then(|(what, id)| Some((what, results.get(id).copied()?)));
        let show = |ns: f64| match row.per {
            Some(per) => per_sec(per, ns),
            None => time(ns),
        };
        let Some(ours) = ours else {
            out.push_str(&format!(
                "| {} | not measured in this run | | | | |\n",
                row.what
            ));
            continue;
        };
        let (reference_text, ratio) = match reference {
            Some((what, ns)) => (format!("{what}: {}", show(ns)), Some(ours / ns)),
            None => (String::new(), None),
        };
        let (target, met) = match (row.target, ratio) {
            (Target::None, _) => (String::new(), None),
            (Target::Ns(max), _) => (format!("≤ {}", time(max)), Some(ours <= max)),
            (Target::Ratio(max), Some(r)) => (format!("≤ {max}x"), Some(r <= max)),
            (Target::RatioPlus(k, plus), Some(_)) => {
                let reference = reference.map_or(0.0, |(_, ns)| ns);
                (
                    format!("≤ {k}x raw + {}", time(plus)),
                    Some(ours <= k * reference + plus),
                )
            }
            (Target::PerSec(min), _) => {
                let per = row.per.unwrap_or(1.0);
                (
                    format!("≥ {}", per_sec(1.0, 1e9 / min)),
                    Some(per * 1e9 / ours >= min),
                )
            }
            (_, None) => ("(reference not measured)".into(), None),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            row.what,
            show(ours),
            reference_text,
            ratio.map(|r| format!("{r:.2}x")).unwrap_or_default(),
            target,
            match met {
                Some(true) => "met",
                Some(false) => "**not met**",
                None => "",
            }
        ));
    }
    let one = results.get("parallel_calls/interop_one_plugin/1");
    let scaling: Vec<String> = [2, 4, 8]
        .iter()
        .filter_map(|n| {
            let t = results.get(&format!("parallel_calls/interop_one_plugin/{n}"))?;
            Some(format!("{n} threads {:.2}x", *n as f64 * one? / t))
        })
        .collect();
    if !scaling.is_empty() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        out.push_str(&format!(
            "\nThroughput of one wasm plugin over one thread's: {} ({cores} cores).\n",
            scaling.join(", ")
        ));
    }
    out.push_str(&scale_table(results));
    out
}

/// `doc` with the text between the markers replaced by `tables` (the markers and a
/// title added at the end when missing).
fn splice(doc: &str, tables: &str) -> String {
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{BEGIN}\n{tables}{}", &doc[..begin], &doc[end..])
        }
        _ => format!("{doc}\n## Tables\n\n{BEGIN}\n{tables}{END}\n"),
    }
}
