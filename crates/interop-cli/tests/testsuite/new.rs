//! `interop new DIR --lang X`, then the build step it prints, then
//! `interop call DIR/plugin.json greet --input '"World"'`, for every guest language, with
//! the real toolchains (`cargo xtask setup` installs them: Go into `.tools/go`, clang and
//! wasi-libc, the `wasm32-wasip1` and `wasm32-wasip2` targets, componentize-py in the
//! user's data directory, and npm's cache fills with AssemblyScript and componentize-js).
//!
//! The plugins are created under the build tree (`CARGO_TARGET_TMPDIR/new-guests`), and
//! what their builds download or compile (a Rust guest's `target/`, an AssemblyScript
//! guest's `node_modules/`) is kept from one run to the next, so only the first run
//! compiles serde or installs the compiler. Rust guests depend on this checkout's
//! interop-pdk (`--pdk-path`) and build with this workspace's lock file, offline (a Rust
//! component with the Rust component sample's, which `cargo xtask build-plugins` built).
//!
//! The Python and JavaScript components are large: the host's first compile of each
//! takes half a minute or more (then it comes from interop's disk cache; componentize-py
//! writes a new binary on every build, so its test pays that compile every run).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{repo, text};

/// Where the plugins are created (kept between runs).
fn workdir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-guests");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// This checkout's interop-pdk, for Rust guests.
fn pdk() -> String {
    repo().join("crates/interop-pdk").display().to_string()
}

/// What a build leaves that the next run may reuse.
const KEPT: &[&str] = &["target", "node_modules"];

/// `interop new` for `lang` in a fresh directory, then its printed build step, then the
/// call; the greeting must come back.
fn new_build_call(lang: &str) {
    let work = workdir();
    let name = format!("greeter-{lang}");
    let dir = work.join(&name);
    let kept = work.join(format!(".kept-{lang}"));
    std::fs::create_dir_all(&kept).unwrap();
    for entry in KEPT {
        if dir.join(entry).exists() {
            let _ = std::fs::remove_dir_all(kept.join(entry));
            std::fs::rename(dir.join(entry), kept.join(entry)).unwrap();
        }
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let pdk = pdk();
    let out = interop_in(&work, &["new", &name, "--lang", lang, "--pdk-path", &pdk]);
    assert!(
        out.status.success(),
        "new --lang {lang}: {}",
        text(&out.stderr)
    );
    let printed = text(&out.stdout);
    for entry in KEPT {
        if kept.join(entry).exists() {
            std::fs::rename(kept.join(entry), dir.join(entry)).unwrap();
        }
    }

    if let Some(build) = printed.lines().find_map(|l| l.strip_prefix("build: ")) {
        if dir.join("Cargo.toml").is_file() {
            let lock = match lang {
                "rust-component" => "examples/plugins/rust-component-greeter/Cargo.lock",
                _ => "Cargo.lock",
            };
            std::fs::copy(repo().join(lock), dir.join("Cargo.lock")).unwrap();
        }
        let out = toolchains(Command::new("sh").args(["-c", build]).current_dir(&work))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{lang}: `{build}` failed:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    let call = printed
        .lines()
        .find_map(|l| l.strip_prefix("call:  interop "))
        .unwrap_or_else(|| panic!("{lang}: no call line in:\n{printed}"));
    assert_eq!(
        call,
        format!("call {name}/plugin.json greet --input '\"World\"'")
    );
    let manifest = format!("{name}/plugin.json");
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["call", &manifest, "greet", "--input", "\"World\""])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "Hello, World!\n",
        "{lang}: {}",
        text(&out.stderr)
    );
}

/// Runs `interop args` in `dir`.
fn interop_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The environment of a build step: the Go that setup unpacked first on PATH with its
/// caches, npm offline (from the cache setup filled), and no target directory of ours
/// (a Rust guest builds into its own `target/`, where its manifest points).
fn toolchains(cmd: &mut Command) -> &mut Command {
    let tools = repo().join(".tools");
    let go = tools.join("go/usr/lib/go-1.26/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![go];
    paths.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).unwrap())
        .env("GOCACHE", tools.join("gocache"))
        .env("GOPATH", tools.join("gopath"))
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "")
        .env("npm_config_offline", "true")
        .env("CARGO_NET_OFFLINE", "true")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
}

#[test]
fn new_rust_guest_builds_for_wasm32_wasip1_and_answers() {
    new_build_call("rust");
}

#[test]
fn new_go_guest_builds_with_standard_go_and_answers() {
    new_build_call("go");
}

#[test]
fn new_assemblyscript_guest_builds_with_asc_and_answers() {
    new_build_call("assemblyscript");
}

#[test]
fn new_c_guest_builds_with_clang_and_wasi_libc_and_answers() {
    new_build_call("c");
}

#[test]
fn new_javascript_plugin_answers_in_v8() {
    new_build_call("javascript");
}

#[test]
fn new_python_plugin_answers_over_stdio() {
    new_build_call("python");
}

#[test]
fn new_node_plugin_answers_over_stdio() {
    new_build_call("node");
}

#[test]
fn new_native_rust_plugin_builds_a_shared_library_and_answers() {
    new_build_call("rust-native");
}

#[test]
fn new_native_c_plugin_builds_a_shared_library_and_answers() {
    new_build_call("c-native");
}

#[test]
fn new_rust_component_builds_for_wasm32_wasip2_and_answers() {
    new_build_call("rust-component");
}

#[test]
fn new_python_component_builds_with_componentize_py_and_answers() {
    new_build_call("python-component");
}

#[test]
fn new_js_component_builds_with_componentize_js_and_answers() {
    new_build_call("js-component");
}

#[test]
fn new_wat_plugin_answers_without_a_toolchain() {
    let work = workdir();
    let dir = work.join("greeter-wat");
    let _ = std::fs::remove_dir_all(&dir);
    let out = interop_in(&work, &["new", "greeter-wat", "--lang", "wat"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args([
            "call",
            "greeter-wat/plugin.json",
            "greet",
            "--input",
            "\"World\"",
        ])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stdout),
        "Hello from greeter-wat!\n",
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn new_refuses_names_a_rust_crate_cannot_have_and_existing_directories() {
    let work = tempfile::tempdir().unwrap();
    let out = interop_in(
        work.path(),
        &["new", "my.plugin", "--lang", "rust", "--pdk-path", &pdk()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a Rust crate name"),
        "{}",
        text(&out.stderr)
    );
    let elsewhere = work.path().display().to_string();
    let out = interop_in(
        work.path(),
        &["new", "plugin", "--lang", "rust", "--pdk-path", &elsewhere],
    );
    assert!(
        text(&out.stderr).contains("no Cargo.toml there"),
        "{}",
        text(&out.stderr)
    );
    std::fs::create_dir(work.path().join("taken")).unwrap();
    let out = interop_in(work.path(), &["new", "taken", "--lang", "c"]);
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
}

/// The build step names componentize-py where `interop setup python-component` puts it
/// (and says to run that when it is not there yet); the world is interop's own.
#[test]
fn new_python_component_names_the_componentize_py_of_the_data_directory_and_its_setup() {
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["new", "greeter", "--lang", "python-component"])
        .env("XDG_DATA_HOME", work.path())
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    let program = work.path().join(format!(
        "interop/componentize-py-{}/bin/componentize-py",
        interop_setup::componentize_py::VERSION
    ));
    assert!(
        printed.contains(&format!(
            "build: cd greeter && {} -d wit",
            program.display()
        )),
        "{printed}"
    );
    assert!(
        printed.contains("setup: interop setup python-component"),
        "{printed}"
    );
    assert_eq!(
        std::fs::read_to_string(work.path().join("greeter/wit/plugin.wit")).unwrap(),
        std::fs::read_to_string(repo().join("wit/plugin.wit")).unwrap(),
        "the project's world is not interop's"
    );
}
