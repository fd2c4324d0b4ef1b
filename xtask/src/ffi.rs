//! Steps of the ffi backend: toolchains to install, sample plugins to build, demo to run.
//!
//! - Setup: Debian's `libffi-dev` (interop-ffi links the system libffi), `zlib1g` (the
//!   zlib round-trip test) and `gcc` (the C samples), installed if missing.
//! - Plugins: the native greeters in Rust (a cdylib, its own cargo project and target dir)
//!   and C, and `native-segfault`, built into the `libraryPath` of their manifests.
//! - Demo: the Rust and C native greeters through `interop call`, a declared-type call
//!   through `interop ffi call`, and the crashing plugin in isolated mode.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{apt_install, root, run, step};

/// The C samples: directory, source, output (the manifest's `libraryPath`).
const C_PLUGINS: &[(&str, &str, &str)] = &[
    (
        "c-native-greeter",
        "greeter.c",
        "build/libc_native_greeter.so",
    ),
    (
        "native-segfault",
        "segfault.c",
        "build/libnative_segfault.so",
    ),
];

/// The Rust sample: directory, output.
const RUST_PLUGIN: (&str, &str) = (
    "rust-native-greeter",
    "target/release/librust_native_greeter.so",
);

/// Installs what the ffi sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    apt_install(&["libffi-dev", "zlib1g", "gcc"])
}

fn plugins_dir() -> PathBuf {
    root().join("examples/plugins")
}

fn newer(output: &Path, inputs: &[PathBuf]) -> bool {
    let Ok(out) = output.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    inputs.iter().all(|i| {
        i.metadata()
            .and_then(|m| m.modified())
            .map(|t| t <= out)
            .unwrap_or(false)
    })
}

/// Builds the ffi sample plugins.
pub fn build_plugins() -> Result<()> {
    let include = root().join("examples/include");
    let header = include.join("interop_plugin.h");
    for (dir, source, output) in C_PLUGINS {
        let dir = plugins_dir().join(dir);
        let src = dir.join(source);
        let out = dir.join(output);
        if newer(&out, &[src.clone(), header.clone()]) {
            println!("{} is up to date", out.display());
            continue;
        }
        step(&format!("cc {}", src.display()));
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let (src, out, inc) = (path(&src)?, path(&out)?, path(&include)?);
        run(
            &cc,
            &[
                "-shared", "-fPIC", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", inc,
                "-o", out, src,
            ],
        )?;
    }

    let (dir, _) = RUST_PLUGIN;
    let dir = plugins_dir().join(dir);
    step(&format!("cargo build --release ({})", dir.display()));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Its own target directory, whatever the caller's CARGO_TARGET_DIR says, so that the
    // library lands where the manifest's `libraryPath` expects it.
    let status = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .current_dir(&dir)
        .status()
        .with_context(|| format!("cannot start `{cargo}`"))?;
    if !status.success() {
        bail!("building {} failed ({status})", dir.display());
    }
    Ok(())
}

fn path(p: &Path) -> Result<&str> {
    p.to_str()
        .with_context(|| format!("{} is not UTF-8", p.display()))
}

/// Shows the ffi backend with the `interop` binary at `interop`.
pub fn demo(interop: &str) -> Result<()> {
    for greeter in ["rust-native-greeter", "c-native-greeter"] {
        let manifest = format!("examples/plugins/{greeter}/plugin.json");
        step(&format!(
            "interop call {manifest} greet --input '\"World\"'"
        ));
        run(
            interop,
            &["call", &manifest, "greet", "--input", "\"World\""],
        )?;
        step(&format!("interop provider {manifest} greeting"));
        run(interop, &["provider", &manifest, "greeting"])?;
        step(&format!("interop emit {manifest} config.reload"));
        run(interop, &["emit", &manifest, "config.reload"])?;
    }
    step("interop ffi call c atoi --ret i32 --arg cstr:123");
    run(
        interop,
        &[
            "ffi", "call", "c", "atoi", "--ret", "i32", "--arg", "cstr:123",
        ],
    )?;
    step("interop ffi call m cos --ret f64 --arg f64:0");
    run(
        interop,
        &["ffi", "call", "m", "cos", "--ret", "f64", "--arg", "f64:0"],
    )?;
    let segfault = "examples/plugins/native-segfault/plugin.json";
    step(&format!(
        "interop call {segfault} crash (isolated: the crash is an error, the host lives)"
    ));
    if run(interop, &["call", segfault, "crash"]).is_ok() {
        bail!("the crashing plugin's action succeeded");
    }
    Ok(())
}
