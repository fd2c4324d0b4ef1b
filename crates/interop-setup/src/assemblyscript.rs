//! AssemblyScript: npm's `assemblyscript` compiler, pinned, installed into
//! `<data>/assemblyscript` (a plugin of one's own pins it in its `package.json` and gets
//! it with `npm install`; this one serves to check the toolchain and to compile without a
//! project), and `npm ci` for a project with a lock file.

use std::path::Path;
use std::process::Command;

use crate::command::{run, runs};
use crate::{apt, Report, Setup, SetupError};

/// The compiler's version, as the sample plugins and `interop new` pin it.
pub const VERSION: &str = "0.28.20";

const NPM: &str = "the npm registry (registry.npmjs.org)";

/// npm itself, from Debian when missing.
fn ensure_npm(setup: &Setup, component: &'static str) -> Result<(), SetupError> {
    if !runs("npm") {
        setup.progress.step("installing npm (Debian)", || {
            apt::install(component, &["npm"])
        })?;
    }
    Ok(())
}

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let dest = setup.dir("assemblyscript");
    let what = format!("AssemblyScript {VERSION}");
    if dest.join("node_modules/.bin/asc").is_file() {
        return Ok(Report::present("assemblyscript", &what, &dest));
    }
    ensure_npm(setup, "assemblyscript")?;
    std::fs::create_dir_all(&dest).map_err(|source| SetupError::Io {
        component: "assemblyscript",
        path: dest.clone(),
        source,
    })?;
    setup.progress.step(
        &format!(
            "assemblyscript: npm install assemblyscript@{VERSION} into {}",
            dest.display()
        ),
        || {
            run(
                "assemblyscript",
                Some(NPM),
                Command::new("npm")
                    .args(["install", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&dest)
                    .arg(format!("assemblyscript@{VERSION}")),
            )
        },
    )?;
    Ok(Report::installed("assemblyscript", &what, &dest))
}

/// `npm ci` in `project` (its versions pinned by its package-lock.json), unless the
/// program `bin` (e.g. `asc`) is already installed there.
pub fn npm_ci(setup: &Setup, project: &Path, bin: &str) -> Result<(), SetupError> {
    if project.join("node_modules/.bin").join(bin).is_file() {
        return Ok(());
    }
    ensure_npm(setup, "npm")?;
    setup
        .progress
        .step(&format!("npm ci in {}", project.display()), || {
            run(
                "npm",
                Some(NPM),
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund"])
                    .current_dir(project),
            )
        })
}
