//! The demo: one host process loads every sample plugin (every language, every
//! protocol), greets through each, then lets the hostile samples loose and shows each one
//! stopped while the others keep answering.
//!
//! ```sh
//! cargo run -p interop-host --example demo -- examples/plugins
//! ```
//!
//! (`cargo xtask demo` builds the samples first and runs this.) It is also a small
//! example of embedding `interop-host`: load a directory, grant, invoke, read metrics.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use interop_host::{Grants, Host, LoadOutcome};
use serde_json::{json, Value};

/// The attacks of the hostile samples: (plugin, action, what it does).
const ATTACKS: &[(&str, &str, &str)] = &[
    ("js-hostile", "loop", "while (true) {}"),
    ("js-hostile", "heap_bomb", "allocates without end"),
    (
        "js-hostile",
        "read_secret",
        "reads a file outside its grant",
    ),
    (
        "js-hostile",
        "fetch_denied",
        "fetches a URL outside its grant",
    ),
    ("native-segfault", "crash", "dereferences a null pointer"),
    ("native-segfault", "abort", "calls abort()"),
    ("native-segfault", "hang", "loops forever in C"),
];

fn main() -> std::process::ExitCode {
    // This program is also the runner of isolated native plugins (native-segfault): as
    // one, it serves the plugin and exits here.
    interop_host::isolation::serve_if_runner();
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| "examples/plugins".into(), PathBuf::from);
    let mut host = Host::new();
    // The samples are this repository's own: the demo grants what their manifests
    // request. An application grants per plugin (`Host::grant`), or less.
    host.set_grants(Grants::requested());
    // JavaScript plugins' `log(message)` prints `[LOG] message` on stdout by default (as
    // the V8 plugin manager it is compatible with does); here it would cut the table, so
    // those lines go only to the host's log.
    host.register_backend(Arc::new(
        interop_js::JsBackend::new().with_log_writer(Arc::new(Mutex::new(std::io::sink()))),
    ));

    println!("loading every plugin under {}", dir.display());
    let started = Instant::now();
    let outcomes = host.load_dir(&dir);
    let greeters = greeters(&outcomes);
    println!(
        "{} plugins loaded in {} ms ({} failed)\n",
        outcomes.iter().filter(|(_, o)| o.is_ok()).count(),
        started.elapsed().as_millis(),
        outcomes.iter().filter(|(_, o)| o.is_err()).count()
    );
    for (path, outcome) in &outcomes {
        if let Err(e) = outcome {
            println!("  not loaded: {}: {e}", path.display());
        }
    }

    println!(
        "{:<24} {:<15} {:<11} {:>9}  result",
        "plugin", "language", "protocol", "1st call"
    );
    let mut failures = 0;
    for plugin in &greeters {
        let (answer, took) = greet(&host, &plugin.name);
        failures += usize::from(answer.is_err());
        println!(
            "{:<24} {:<15} {:<11} {:>9}  {}",
            plugin.name,
            plugin.language,
            plugin.protocol,
            format_duration(took),
            answer.unwrap_or_else(|e| format!("FAILED: {e}"))
        );
    }

    println!("\nhostile plugins, each stopped while the others keep answering:");
    for (plugin, action, what) in ATTACKS {
        if host.get(plugin).is_err() {
            println!("  {plugin} is not loaded: skipped");
            continue;
        }
        let started = Instant::now();
        let outcome = host.invoke(plugin, action, Value::Null);
        let took = started.elapsed();
        let verdict = match outcome {
            Ok(r) if !r.success => r.error.map_or("failed".into(), |e| e.to_string()),
            Ok(r) => format!("answered {}", r.text.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        let answering = greeters
            .iter()
            .filter(|g| greet(&host, &g.name).0.is_ok())
            .count();
        failures += greeters.len() - answering;
        println!(
            "  {plugin}.{action} ({what}): stopped after {}\n    {}\n    {answering} of {} greeters still answer",
            format_duration(took),
            first_line(&verdict),
            greeters.len()
        );
    }

    println!("\nmetrics (calls, errors, p50 latency):");
    for m in host.all_metrics() {
        let p50 = m.latency.map_or("-".into(), |l| {
            format_duration(Duration::from_micros(l.p50_us))
        });
        println!(
            "  {:<24} {:>4} calls {:>3} errors  p50 {p50}",
            m.plugin,
            m.calls,
            m.errors.values().sum::<u64>(),
        );
    }
    host.close_all();
    if failures > 0 {
        println!("\n{failures} greetings failed");
        return std::process::ExitCode::FAILURE;
    }
    println!("\nevery greeter answered, before and after every attack");
    std::process::ExitCode::SUCCESS
}

/// A loaded plugin that declares `greet`.
struct Greeter {
    name: String,
    language: String,
    protocol: String,
}

fn greeters(outcomes: &[(PathBuf, LoadOutcome)]) -> Vec<Greeter> {
    outcomes
        .iter()
        .filter_map(|(_, outcome)| outcome.as_ref().ok())
        .map(|plugin| plugin.manifest())
        .filter(|m| m.actions.iter().any(|a| a.name == "greet"))
        .map(|m| Greeter {
            name: m.name.clone(),
            language: m.language.clone().unwrap_or_default(),
            protocol: m.interop.protocol().to_string(),
        })
        .collect()
}

fn greet(host: &Host, plugin: &str) -> (Result<String, String>, Duration) {
    let started = Instant::now();
    let outcome = host.invoke(plugin, "greet", json!("World"));
    let took = started.elapsed();
    let answer = match outcome {
        Ok(r) if r.success => Ok(r
            .text
            .or_else(|| r.data.map(|d| d.to_string()))
            .unwrap_or_default()),
        Ok(r) => Err(r.error.map_or("failed".into(), |e| e.to_string())),
        Err(e) => Err(e.to_string()),
    };
    (answer, took)
}

fn format_duration(d: Duration) -> String {
    if d >= Duration::from_millis(10) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} µs", d.as_micros())
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
