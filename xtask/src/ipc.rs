//! Steps of the ipc backend: toolchains to install, sample plugins to build, demo to run.
//!
//! The sample plugins are scripts run by the system's `python3` and `node`: setup installs
//! them with apt when they are missing; there is nothing to build.

use anyhow::Result;

use crate::util::{self, root};

/// Installs what the ipc sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    let mut missing = Vec::new();
    if !util::on_path("python3") {
        missing.push("python3");
    }
    if !util::on_path("node") {
        missing.push("nodejs");
    }
    if missing.is_empty() {
        println!("ipc: python3 and node are installed");
        return Ok(());
    }
    util::apt_install(&missing)
}

/// Builds the ipc sample plugins (scripts: nothing to build).
pub fn build_plugins() -> Result<()> {
    Ok(())
}

/// Shows the ipc backend with the `interop` binary at `interop`.
pub fn demo(interop: &str) -> Result<()> {
    for (greeter, action) in [
        ("python-greeter", "greet"),
        ("node-greeter", "greet"),
        ("python-socket-greeter", "farewell"),
    ] {
        let manifest = format!("examples/plugins/{greeter}/plugin.json");
        if !root().join(&manifest).is_file() {
            continue;
        }
        util::step(&format!(
            "interop call {manifest} {action} --input '\"World\"'"
        ));
        util::run(
            interop,
            &["call", &manifest, action, "--input", "\"World\""],
        )?;
    }
    util::step("interop provider examples/plugins/node-greeter/plugin.json greeting");
    util::run(
        interop,
        &[
            "provider",
            "examples/plugins/node-greeter/plugin.json",
            "greeting",
        ],
    )
}
