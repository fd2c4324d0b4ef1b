//! Rust for wasm guests: the `wasm32-wasip1` target, from rustup.

use std::process::Command;

use crate::command::run;
use crate::{Report, Setup, SetupError};

const TARGET: &str = "wasm32-wasip1";

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|_| SetupError::MissingProgram {
            component: "rust",
            program: "rustup",
            hint: "install Rust with rustup: https://rustup.rs",
        })?;
    let what = format!("the {TARGET} target");
    let here = std::path::Path::new("rustup");
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(Report::present("rust", &what, here));
    }
    setup
        .progress
        .step(&format!("rust: rustup target add {TARGET}"), || {
            run(
                "rust",
                Some("rustup's distribution server (static.rust-lang.org)"),
                Command::new("rustup").args(["target", "add", TARGET]),
            )
        })?;
    Ok(Report::installed("rust", &what, here))
}
