//! Rust for wasm guests: the `wasm32-wasip1` (core modules) and `wasm32-wasip2`
//! (components) targets, from rustup.

use std::process::Command;

use crate::command::run;
use crate::{Report, Setup, SetupError};

const TARGETS: [&str; 2] = ["wasm32-wasip1", "wasm32-wasip2"];

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|_| SetupError::MissingProgram {
            component: "rust",
            program: "rustup",
            hint: "install Rust with rustup: https://rustup.rs",
        })?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    let missing: Vec<&str> = TARGETS
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    let what = format!("the {} targets", TARGETS.join(" and "));
    let here = std::path::Path::new("rustup");
    if missing.is_empty() {
        return Ok(Report::present("rust", &what, here));
    }
    setup.progress.step(
        &format!("rust: rustup target add {}", missing.join(" ")),
        || {
            run(
                "rust",
                Some("rustup's distribution server (static.rust-lang.org)"),
                Command::new("rustup")
                    .args(["target", "add"])
                    .args(&missing),
            )
        },
    )?;
    Ok(Report::installed("rust", &what, here))
}
