//! Steps of the js backend: toolchains to install, sample plugins to build, demo to run.
//!
//! V8 comes from Debian's libnode, unpacked into the user's data directory by
//! `interop-setup` (what `interop setup js` runs), where interop-js's build script finds
//! the headers and every interop binary the library.

use anyhow::Result;

use crate::util::{self, root};

/// Installs what the js sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    println!(
        "{}",
        util::user_setup()?.install(interop_setup::Component::Js)?
    );
    // build.rs compiles the C++ shim.
    util::apt_install(&["g++"])?;
    if !util::on_path("node") {
        // The Node subprocess bridge (interop_js::node) runs the system `node`.
        util::apt_install(&["nodejs"])?;
    }
    Ok(())
}

/// Builds the js sample plugins (plain scripts: nothing to build).
pub fn build_plugins() -> Result<()> {
    Ok(())
}

/// Shows the js backend with the `interop` binary at `interop`.
pub fn demo(interop: &str) -> Result<()> {
    let greeter = root().join("examples/plugins/js-greeter/plugin.json");
    if !greeter.is_file() {
        return Ok(());
    }
    let has_js = std::process::Command::new(interop)
        .args(["js", "--help"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !has_js {
        println!(
            "js: skipped (this interop binary has no js backend: build it with --features js)"
        );
        return Ok(());
    }
    let greeter = greeter.display().to_string();
    util::step("js: the jsrun plugin manager's greeter in V8");
    util::run(
        interop,
        &["call", &greeter, "greet", "--input", "\"World\""],
    )?;
    util::run(
        interop,
        &["call", &greeter, "farewell", "--input", "\"John Doe\""],
    )?;
    util::step("js: interop js eval");
    util::run(interop, &["js", "eval", "[1, 2, 3].map(x => x * 2)"])?;
    Ok(())
}
