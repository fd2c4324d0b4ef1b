//! Python components: componentize-py from PyPI, pinned, in a virtual environment of its
//! own at `<data>/componentize-py-<version>` (shared by every project and checkout; a new
//! pin gets a new directory, so an old one never shadows it). componentize-py bundles
//! CPython with the plugin's code into a WASI 0.2 component of the interop WIT world.

use std::path::PathBuf;
use std::process::Command;

use crate::command::run;
use crate::{apt, Report, Setup, SetupError};

/// The componentize-py version the Python component sample and `interop new` are built
/// and tested with.
pub const VERSION: &str = "0.25.1";

const PYPI: &str = "PyPI (pypi.org)";

/// The virtual environment componentize-py is installed in.
pub fn venv(setup: &Setup) -> PathBuf {
    setup.dir(&format!("componentize-py-{VERSION}"))
}

/// The `componentize-py` program that `install` puts in place (an absolute path, so a
/// build does not depend on PATH).
pub fn program(setup: &Setup) -> PathBuf {
    venv(setup).join("bin/componentize-py")
}

/// Whether `program --version` answers with the pinned version.
fn installed(setup: &Setup) -> bool {
    Command::new(program(setup))
        .arg("--version")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(VERSION))
        .unwrap_or(false)
}

/// Whether `python3` can make virtual environments (Debian splits `venv` off).
fn python_has_venv() -> Result<bool, SetupError> {
    let out = Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .output()
        .map_err(|_| SetupError::MissingProgram {
            component: "python-component",
            program: "python3",
            hint: "install Python 3 (Debian: apt-get install python3)",
        })?;
    Ok(out.status.success())
}

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let dest = venv(setup);
    let what = format!("componentize-py {VERSION}");
    if installed(setup) {
        return Ok(Report::present("python-component", &what, &dest));
    }
    if !python_has_venv()? {
        setup
            .progress
            .step("installing python3-venv (Debian)", || {
                apt::install("python-component", &["python3-venv"])
            })?;
    }
    let python = dest.join("bin/python");
    if !python.is_file() {
        setup.progress.step(
            &format!("python-component: python3 -m venv {}", dest.display()),
            || {
                run(
                    "python-component",
                    None,
                    Command::new("python3").args(["-m", "venv"]).arg(&dest),
                )
            },
        )?;
    }
    setup.progress.step(
        &format!(
            "python-component: pip install componentize-py=={VERSION} into {}",
            dest.display()
        ),
        || {
            run(
                "python-component",
                Some(PYPI),
                Command::new(&python)
                    .args(["-m", "pip", "install", "--quiet"])
                    .arg(format!("componentize-py=={VERSION}")),
            )
        },
    )?;
    if !installed(setup) {
        return Err(SetupError::Incomplete {
            component: "python-component",
            dir: dest,
            missing: program(setup),
        });
    }
    Ok(Report::installed("python-component", &what, &dest))
}
