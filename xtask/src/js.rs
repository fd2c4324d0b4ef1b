//! Steps of the js backend: toolchains to install, sample plugins to build, demo to run.
//!
//! V8 comes from Debian's `libnode108` (Node 18.20, V8 10.2) and its headers from
//! `libnode-dev`. `apt-get install libnode-dev` conflicts with a machine's Node 20, so both
//! are downloaded and unpacked into the user's data directory,
//! `~/.local/share/interop/libnode` (where `crates/interop-js/build.rs` finds the headers
//! and every interop binary finds the library at run time, wherever the binary is), and
//! only libnode's runtime dependencies are installed normally.

use anyhow::{bail, Result};

use crate::util::{self, root};

/// The shared libraries libnode108 links against, as Debian (bookworm) packages.
const RUNTIME_DEPS: &[&str] = &[
    "libuv1",
    "libc-ares2",
    "zlib1g",
    "libbrotli1",
    "libnghttp2-14",
    "libssl3",
    "libicu72",
    "libstdc++6",
];

/// Installs what the js sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    let dest = libnode_dir()?;
    let lib = dest.join("usr/lib/x86_64-linux-gnu/libnode.so.108");
    let headers = dest.join("usr/include/node/v8.h");
    util::apt_install(RUNTIME_DEPS)?;
    // build.rs compiles the C++ shim.
    util::apt_install(&["g++"])?;
    if lib.is_file() && headers.is_file() {
        println!("js: libnode already unpacked in {}", dest.display());
    } else {
        util::step(&format!(
            "js: download and unpack libnode108 + libnode-dev (V8 10.2) into {}",
            dest.display()
        ));
        util::apt_fetch_unpack(&["libnode108", "libnode-dev"], &dest, None)?;
        if !lib.is_file() || !headers.is_file() {
            bail!(
                "js: libnode108/libnode-dev unpacked into {} but {} or {} is missing",
                dest.display(),
                lib.display(),
                headers.display()
            );
        }
    }
    if !util::on_path("node") {
        // The Node subprocess bridge (interop_js::node) runs the system `node`.
        util::apt_install(&["nodejs"])?;
    }
    Ok(())
}

/// Where libnode is unpacked: the user's data directory, shared by every checkout and
/// every installed `interop`.
pub fn libnode_dir() -> Result<std::path::PathBuf> {
    match dirs::data_dir() {
        Some(data) => Ok(data.join("interop/libnode")),
        None => bail!("js: no data directory for this user (is HOME set?)"),
    }
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
