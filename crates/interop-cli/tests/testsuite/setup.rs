//! `interop setup`: installs into the user's data directory (`XDG_DATA_HOME` honoured),
//! says so when there is nothing to do, and names the registry that does not answer.

use crate::common;

use std::process::Command;

use common::text;

fn setup(data: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_interop"));
    cmd.arg("setup").args(args).env("XDG_DATA_HOME", data);
    cmd
}

#[test]
fn setup_c_installs_the_headers_into_the_data_directory_then_has_nothing_to_do() {
    let data = tempfile::tempdir().unwrap();
    let out = setup(data.path(), &["c"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let include = data.path().join("interop/include");
    assert!(text(&out.stdout).contains(&format!("installed in {}", include.display())));
    for (name, header) in interop_setup::helpers::C_HEADERS {
        assert_eq!(std::fs::read_to_string(include.join(name)).unwrap(), header);
    }
    let again = setup(data.path(), &["c"]).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    let again = text(&again.stdout);
    assert!(again.contains("already installed"), "{again}");
    assert!(again.contains("nothing to do"), "{again}");
}

#[test]
fn setup_names_the_registry_it_cannot_reach() {
    let data = tempfile::tempdir().unwrap();
    let out = setup(data.path(), &["assemblyscript"])
        .env("npm_config_registry", "http://127.0.0.1:9/")
        .env("npm_config_fetch_retries", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot download from the npm registry"),
        "{stderr}"
    );
    assert!(stderr.contains("reachable from this machine"), "{stderr}");
}

/// componentize-py is in the user's data directory once `cargo xtask setup` ran (which
/// asks interop-setup for it, as `interop setup python-component` does): a second run
/// finds it and downloads nothing.
#[test]
fn setup_python_component_finds_componentize_py_installed_and_has_nothing_to_do() {
    let venv = interop_setup::data_dir().unwrap().join(format!(
        "componentize-py-{}",
        interop_setup::componentize_py::VERSION
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["setup", "python-component"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "python-component: componentize-py {} already installed in {} (nothing to do)",
            interop_setup::componentize_py::VERSION,
            venv.display()
        )),
        "{stdout}"
    );
}

/// Into an empty data directory, setup makes the virtual environment (offline) and then
/// asks PyPI for componentize-py: an unreachable index is named as such.
#[test]
fn setup_python_component_names_pypi_when_it_cannot_reach_it() {
    let data = tempfile::tempdir().unwrap();
    let out = setup(data.path(), &["python-component"])
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_RETRIES", "0")
        .env("PIP_TIMEOUT", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot download from PyPI"), "{stderr}");
    let venv = data.path().join(format!(
        "interop/componentize-py-{}/bin/python",
        interop_setup::componentize_py::VERSION
    ));
    assert!(
        venv.exists(),
        "no virtual environment at {}",
        venv.display()
    );
}
