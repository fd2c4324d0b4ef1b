//! Running commands with visible progress.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The repository root (xtask lives one level below it).
pub fn root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// Prints a progress header.
pub fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs `program args` in the repository root; fails if it fails.
pub fn run(program: &str, args: &[&str]) -> Result<()> {
    run_in(program, args, &root())
}

/// Runs `program args` in `dir`; fails if it fails.
pub fn run_in(program: &str, args: &[&str], dir: &std::path::Path) -> Result<()> {
    let status = Command::new(program)
        .args(args)
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot start `{program}`"))?;
    if !status.success() {
        bail!("`{program} {}` failed ({status})", args.join(" "));
    }
    Ok(())
}

/// Runs cargo with `args` in the repository root.
pub fn cargo(args: &[&str]) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(&cargo, args)
}

/// Whether `program` can be found on PATH.
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs the Debian packages of `packages` that are missing (interop-setup's apt).
pub fn apt_install(packages: &[&str]) -> Result<()> {
    Ok(interop_setup::apt::install("xtask", packages)?)
}

/// Installs into the user's data directory, as `interop setup` does (libnode, the C
/// headers, AssemblyScript), with plain progress lines.
pub fn user_setup() -> Result<interop_setup::Setup> {
    Ok(interop_setup::Setup::for_user(
        interop_setup::Progress::plain(),
    )?)
}

/// Installs into this checkout's `.tools` (Go: the sample plugins build with it, and the
/// machine's other checkouts share it).
pub fn tools_setup() -> interop_setup::Setup {
    interop_setup::Setup::at(root().join(".tools"), interop_setup::Progress::plain())
}
