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
#[allow(dead_code)]
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
