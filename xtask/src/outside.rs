//! The crates used from outside this repository, as an application uses them: a Cargo
//! project in a temporary directory depends on `interop-host` by path, builds, loads the
//! sample greeters and calls them. Once with the default features (wasm and JS), once
//! with only wasm, which must need no libnode at all.
//!
//! It builds with this workspace's lock file and target directory, so only the new
//! project compiles (the profile settings below match the workspace's, so the
//! dependencies' artifacts are reused).

use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::util::{root, step};

/// The application's `main`: load each plugin given on the command line and greet.
const MAIN: &str = r#"
use interop_host::serde_json::json;
use interop_host::Host;

fn main() {
    let host = Host::new();
    for manifest in std::env::args().skip(1) {
        let plugin = host.load(&manifest).expect("load");
        let name = plugin.name().to_owned();
        let result = host.invoke(&name, "greet", json!("World")).expect("invoke");
        println!("{name}: {}", result.text.unwrap_or_default());
    }
}
"#;

/// Builds and runs the outside application twice (see the module docs).
pub fn test() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let greeters = [
        ("rust-greeter", "Hello, World!"),
        ("js-greeter", "Hello, World! App version: 1.0.0"),
    ];
    step("an application outside the workspace, on interop-host with its default features");
    let app = dir.path().join("with-js");
    write_project(&app, "")?;
    check(&app, &greeters)?;
    step("the same application with only the wasm backend (no libnode needed)");
    let app = dir.path().join("wasm-only");
    write_project(&app, r#", default-features = false, features = ["wasm"]"#)?;
    check(&app, &greeters[..1])?;
    Ok(())
}

fn write_project(app: &Path, features: &str) -> Result<()> {
    let host = root().join("crates/interop-host");
    std::fs::create_dir_all(app.join("src"))?;
    std::fs::write(
        app.join("Cargo.toml"),
        format!(
            r#"[package]
name = "outside-app"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
interop-host = {{ path = {host:?}{features} }}

[profile.dev]
debug = "line-tables-only"

[profile.dev.package]
"*" = {{ debug = false }}
interop-protocol = {{ debug = "line-tables-only" }}
interop-sandbox = {{ debug = "line-tables-only" }}
interop-wasm = {{ debug = "line-tables-only" }}
interop-ffi = {{ debug = "line-tables-only" }}
interop-js = {{ debug = "line-tables-only" }}
interop-ipc = {{ debug = "line-tables-only" }}
interop-host = {{ debug = "line-tables-only" }}
cranelift-codegen = {{ opt-level = 2 }}
cranelift-frontend = {{ opt-level = 2 }}
regalloc2 = {{ opt-level = 2 }}
wasmtime-internal-cranelift = {{ opt-level = 2 }}
wasmparser = {{ opt-level = 2 }}
"#
        ),
    )?;
    std::fs::write(app.join("src/main.rs"), MAIN)?;
    std::fs::copy(root().join("Cargo.lock"), app.join("Cargo.lock"))?;
    Ok(())
}

fn check(app: &Path, greeters: &[(&str, &str)]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = root().join("target");
    let status = std::process::Command::new(&cargo)
        .args(["build", "--quiet"])
        .current_dir(app)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!(
            "the outside application at {} does not build",
            app.display()
        );
    }
    let manifests: Vec<String> = greeters
        .iter()
        .map(|(name, _)| {
            root()
                .join("examples/plugins")
                .join(name)
                .join("plugin.json")
                .display()
                .to_string()
        })
        .collect();
    let out = std::process::Command::new(target.join("debug/outside-app"))
        .args(&manifests)
        .current_dir(app)
        .output()
        .context("cannot run the outside application")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (name, greeting) in greeters {
        let line = format!("{name}: {greeting}");
        if !stdout.lines().any(|l| l == line) {
            bail!(
                "the outside application did not print `{line}`:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    println!("{}", stdout.trim_end());
    Ok(())
}
