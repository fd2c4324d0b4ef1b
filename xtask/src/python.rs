//! Steps of the Python package (`bindings/python`): a virtual environment under the
//! build tree with maturin and pytest from PyPI (pinned), the package built into it in
//! the dev profile (sharing the workspace's target directory), and its pytest suite.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::util::{self, root, step};

/// Pinned: the versions the package is tested with.
const MATURIN: &str = "maturin==1.16.0";
const PYTEST: &str = "pytest==9.2.0";

/// The build tree: `CARGO_TARGET_DIR`, else `<root>/target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// The virtual environment the package is built into and tested in.
fn venv() -> PathBuf {
    target_dir().join("python-venv")
}

fn venv_bin(program: &str) -> String {
    venv().join("bin").join(program).display().to_string()
}

/// Whether `program args` runs and prints `expected`.
fn prints(program: &str, args: &[&str], expected: &str) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(expected))
        .unwrap_or(false)
}

/// Creates the virtual environment with maturin and pytest (idempotent, quick when done).
pub fn setup() -> Result<()> {
    if !prints(
        "python3",
        &["-c", "import venv, ensurepip; print('ok')"],
        "ok",
    ) {
        util::apt_install(&["python3-venv"])?;
    }
    let python = venv_bin("python");
    if !std::path::Path::new(&python).is_file() {
        step("python: creating the virtual environment");
        let venv = venv();
        util::run("python3", &["-m", "venv", &venv.display().to_string()])?;
    }
    let maturin_version = MATURIN.trim_start_matches("maturin==");
    let pytest_version = PYTEST.trim_start_matches("pytest==");
    if prints(&venv_bin("maturin"), &["--version"], maturin_version)
        && prints(&python, &["-m", "pytest", "--version"], pytest_version)
    {
        println!("python: {MATURIN} and {PYTEST} are installed");
        return Ok(());
    }
    step("python: installing maturin and pytest");
    util::run(
        &python,
        &["-m", "pip", "install", "--quiet", MATURIN, PYTEST],
    )
}

/// Builds the package into the virtual environment and runs its tests.
pub fn test() -> Result<()> {
    setup()?;
    step("python: maturin develop (bindings/python, dev profile)");
    let dir = root().join("bindings/python");
    let status = Command::new(venv_bin("maturin"))
        .args(["develop", "--quiet"])
        .env("VIRTUAL_ENV", venv())
        .current_dir(&dir)
        .status()
        .context("cannot start maturin")?;
    anyhow::ensure!(status.success(), "maturin develop failed ({status})");
    step("python: pytest bindings/python/tests");
    util::run_in(&venv_bin("python"), &["-m", "pytest", "-q", "tests"], &dir)
}
