//! `cargo xtask install-check`: the `interop` a user installs works away from this
//! checkout. `cargo install --path crates/interop-cli --root <tmp>`, then, with the
//! environment cleared (a temporary HOME and XDG_DATA_HOME, no INTEROP_* variables) and
//! the working directory outside the checkout, `interop setup js` installs libnode into
//! the temporary data directory (a second run has nothing to do), and
//! `interop call js-greeter/plugin.json greet` (a copy of the sample) prints the greeting.
//! Under strace, the call must open nothing in this checkout, its `.tools`, its target
//! directory or the user's real data directory.
//!
//! The quick tier (run by `cargo xtask test`) installs a debug build from the shared target
//! directory, offline: seconds. The long tier (`--fresh`) builds a release binary in a
//! target directory of its own, as a user's `cargo install` does: many minutes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, ensure, Context, Result};

use crate::util::{root, step};

/// What the copied js greeter answers.
const GREETING: &str = "Hello, World! App version: 1.0.0";

/// Runs the check; `fresh` builds as a user would (release, its own target directory).
pub fn check(fresh: bool) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let tmp = tmp.path();
    let install = tmp.join("install");
    step(&format!(
        "cargo install --path crates/interop-cli --root {}{}",
        install.display(),
        if fresh {
            " (release, own target directory)"
        } else {
            " --debug (shared target directory)"
        }
    ));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args([
        "install",
        "--locked",
        "--path",
        "crates/interop-cli",
        "--root",
    ])
    .arg(&install)
    .current_dir(root());
    if fresh {
        cmd.arg("--target-dir").arg(tmp.join("target"));
    } else {
        cmd.args(["--debug", "--offline"]);
    }
    ensure!(cmd.status()?.success(), "cargo install failed");
    let interop = install.join("bin/interop");

    let (home, data, work) = (tmp.join("home"), tmp.join("data"), tmp.join("work"));
    for dir in [&home, &data, &work] {
        std::fs::create_dir_all(dir)?;
    }
    copy_dir(
        &root().join("examples/plugins/js-greeter"),
        &work.join("js-greeter"),
    )?;
    let isolated = |program: &Path| {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", &home)
            .env("XDG_DATA_HOME", &data)
            .current_dir(&work);
        cmd
    };

    step("interop setup js (into a temporary data directory), twice");
    let first = output(isolated(&interop).args(["setup", "js"]))?;
    ensure!(first.contains("installed in"), "setup js said:\n{first}");
    let second = output(isolated(&interop).args(["setup", "js"]))?;
    ensure!(
        second.contains("nothing to do"),
        "a second setup js said:\n{second}"
    );

    step("interop call js-greeter/plugin.json greet --input '\"World\"' (outside the checkout)");
    let trace = tmp.join("trace");
    let call = [
        "call",
        "js-greeter/plugin.json",
        "greet",
        "--input",
        "\"World\"",
    ];
    let strace = Path::new("/usr/bin/strace");
    let stdout = if strace.is_file() {
        let mut cmd = isolated(strace);
        cmd.args(["-f", "-e", "trace=%file", "-o"])
            .arg(&trace)
            .arg(&interop)
            .args(call);
        output(&mut cmd)?
    } else {
        println!("(strace is not installed: the files the call opens are not checked)");
        output(isolated(&interop).args(call))?
    };
    ensure!(
        stdout.lines().any(|l| l == GREETING),
        "the installed interop did not print `{GREETING}`:\n{stdout}"
    );
    if trace.is_file() {
        check_trace(&std::fs::read_to_string(&trace)?)?;
    }
    println!("{GREETING}");
    Ok(())
}

/// Fails when the traced call touched this checkout, its tools, its build tree or the
/// user's real data directory.
fn check_trace(trace: &str) -> Result<()> {
    let mut forbidden: Vec<PathBuf> = vec![root(), crate::node::target_dir()];
    forbidden.extend(root().join(".tools").canonicalize().ok());
    forbidden.extend(interop_setup::data_dir().ok());
    let forbidden: Vec<String> = forbidden
        .iter()
        .map(|p| format!("\"{}", p.canonicalize().unwrap_or(p.clone()).display()))
        .collect();
    for line in trace.lines() {
        if let Some(path) = forbidden.iter().find(|p| line.contains(p.as_str())) {
            bail!("the installed interop reached into {}:\n{line}", &path[1..]);
        }
    }
    Ok(())
}

/// Runs `cmd`; its stdout, or an error with both streams.
fn output(cmd: &mut Command) -> Result<String> {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().context("cannot start the installed interop")?;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr),
    );
    ensure!(
        status.success(),
        "{cmd:?} failed ({status}):\n{stdout}{stderr}"
    );
    Ok(stdout.into_owned())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
