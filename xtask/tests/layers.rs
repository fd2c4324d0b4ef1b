//! The layering of `docs/architecture.md`, checked: no library crate (a backend, the host,
//! the sandbox, the protocol, the PDK) depends on the CLI, neither when it is built (a
//! normal or build dependency, however indirect, with every feature on) nor when it runs
//! (by starting the `interop` binary). Run with `cargo test -p xtask --test layers`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CLI: &str = "interop-cli";

/// The crates the CLI is built from, which must not lead back to it.
const LIBRARIES: &[&str] = &[
    "interop-protocol",
    "interop-sandbox",
    "interop-wasm",
    "interop-ffi",
    "interop-js",
    "interop-ipc",
    "interop-host",
    "interop-pdk",
    "interop-setup",
    "interop-bindgen",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `cargo metadata` of the workspace, every feature on.
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--all-features",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Package name by package id, and each package's build- and run-time dependencies (dev
/// dependencies left out: they serve its tests only).
fn graph(meta: &Value) -> (BTreeMap<String, String>, BTreeMap<String, Vec<String>>) {
    let names = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let deps = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let used: Vec<String> = node["deps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k["kind"].as_str() != Some("dev"))
                })
                .map(|dep| dep["pkg"].as_str().unwrap().to_owned())
                .collect();
            (node["id"].as_str().unwrap().to_owned(), used)
        })
        .collect();
    (names, deps)
}

/// The path of dependencies from `from` to a package named `to`, if there is one.
fn path_to(
    from: &str,
    to: &str,
    names: &BTreeMap<String, String>,
    deps: &BTreeMap<String, Vec<String>>,
) -> Option<Vec<String>> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![vec![from.to_owned()]];
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        if names[last] == to {
            return Some(path.iter().map(|id| names[id].clone()).collect());
        }
        for next in deps.get(last).into_iter().flatten() {
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_library_crate_depends_on_the_cli_when_built() {
    let meta = metadata();
    let (names, deps) = graph(&meta);
    let mut checked = 0;
    for (id, name) in &names {
        if !LIBRARIES.contains(&name.as_str()) {
            continue;
        }
        checked += 1;
        if let Some(path) = path_to(id, CLI, &names, &deps) {
            panic!("{name} depends on {CLI}: {}", path.join(" -> "));
        }
    }
    assert_eq!(
        checked,
        LIBRARIES.len(),
        "every library crate is in the workspace"
    );
    // The check can fail: the CLI itself does reach the libraries.
    let cli = names.iter().find(|(_, n)| *n == CLI).unwrap().0;
    assert!(path_to(cli, "interop-wasm", &names, &deps).is_some());
}

/// Ways a library could reach the CLI at run time: start its binary, or use its code.
const CLI_SIGNS: &[&str] = &[
    "CARGO_BIN_EXE_interop",
    "Command::new(\"interop\")",
    "which(\"interop\")",
    "interop_cli::",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_library_crate_starts_the_cli_when_running() {
    let mut offenders = Vec::new();
    for name in LIBRARIES {
        let mut files = Vec::new();
        rust_files(&root().join("crates").join(name).join("src"), &mut files);
        assert!(!files.is_empty(), "{name} has sources");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for sign in CLI_SIGNS {
                if text.contains(sign) {
                    offenders.push(format!("{}: {sign}", file.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
