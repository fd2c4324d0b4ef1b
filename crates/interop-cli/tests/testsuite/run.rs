//! `interop run` as `wasmtime run`: a WASI command built from source here
//! (tests/guests/wasi_files.rs, for wasm32-wasip1) sees host directories under the guest
//! names `--dir HOST::GUEST` gives, the variables of `--env`, its arguments, and exits
//! with its own code; a trap exits with 134 as wasmtime's CLI does; `--invoke` calls a
//! numeric export; `inspect` says what a bare module is.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::{interop, repo, text};

/// The command module, compiled once per test run.
fn command_module() -> &'static Path {
    static MODULE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = MODULE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("wasi_files.wasm");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guests/wasi_files.rs");
        let status = Command::new("rustc")
            .args(["--target", "wasm32-wasip1", "--edition", "2021", "-O", "-o"])
            .arg(&out)
            .arg(&src)
            .status()
            .expect("run rustc (cargo xtask setup adds the wasm32-wasip1 target)");
        assert!(status.success(), "rustc failed on {}", src.display());
        (dir, out)
    });
    path
}

/// A scratch directory with `cwd/file` and `data/x`.
fn files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("cwd")).unwrap();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("cwd/file"), "cwd file\n").unwrap();
    std::fs::write(dir.path().join("data/x"), "data x\n").unwrap();
    dir
}

/// Runs `interop run ARGS` with its working directory in `dir`.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_interop"))
        .arg("run")
        .args(args)
        .current_dir(dir)
        .env("PASSED", "through")
        .output()
        .expect("run interop")
}

#[test]
fn directories_are_seen_under_their_guest_names_with_env_args_and_exit_code() {
    let dir = files();
    let module = command_module().to_str().unwrap();
    let out = run_in(
        dir.path(),
        &[
            "--dir",
            "cwd::.",
            "--dir",
            "data::/data",
            "--env",
            "GREETING=hi",
            module,
            "7",
            "b",
        ],
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("args: 7 b\n"), "{stdout}");
    assert!(stdout.contains("GREETING=hi\n"), "{stdout}");
    assert!(stdout.contains("./file: cwd file\n"), "{stdout}");
    assert!(stdout.contains("/data/x: data x\n"), "{stdout}");
}

#[test]
fn nothing_is_seen_unless_granted_and_env_name_alone_passes_a_variable_through() {
    let dir = files();
    let module = command_module().to_str().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["run", "--env", "GREETING", module])
        .current_dir(dir.path())
        .env("GREETING", "from the host")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("GREETING=from the host\n"), "{stdout}");
    assert!(stdout.contains("./file: error"), "{stdout}");
    assert!(stdout.contains("/data/x: error"), "{stdout}");
}

#[test]
fn dir_is_read_only_and_dir_rw_lets_the_module_write() {
    let dir = files();
    let module = command_module().to_str().unwrap();
    let out = run_in(
        dir.path(),
        &["--dir", "data::/data", module, "0", "write=/data/new"],
    );
    assert!(
        text(&out.stdout).contains("/data/new: write error"),
        "{}",
        text(&out.stdout)
    );
    assert!(!dir.path().join("data/new").exists());
    let out = run_in(
        dir.path(),
        &["--dir-rw", "data::/data", module, "0", "write=/data/new"],
    );
    assert!(
        text(&out.stdout).contains("/data/new: written"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("data/new")).unwrap(),
        "written"
    );
}

#[test]
fn a_trap_is_printed_and_exits_134_as_wasmtime_run_does() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trap.wat"),
        r#"(module (func (export "_start") unreachable))"#,
    )
    .unwrap();
    let out = run_in(dir.path(), &["trap.wat"]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error:") && stderr.contains("unreachable"),
        "{stderr}"
    );
}

#[test]
fn a_missing_dir_and_a_bad_env_are_refused_by_name() {
    let module = command_module().to_str().unwrap();
    let out = interop(&["run", "--dir", "no-such-dir::/data", module]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`no-such-dir` is not a directory"),
        "{}",
        text(&out.stderr)
    );
    let out = interop(&["run", "--env", "=x", module]);
    assert!(
        text(&out.stderr).contains("--env =x"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn invoke_calls_a_numeric_export_with_typed_arguments() {
    let out = interop(&[
        "run",
        "examples/plugins/wat-add/add.wat",
        "--invoke",
        "add",
        "2",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "5\n");
    let dir = tempfile::tempdir().unwrap();
    let wat = r#"(module
      (func (export "mix") (param i64 f32 f64) (result f64 i64)
        (f64.add (f64.promote_f32 (local.get 1)) (local.get 2))
        (i64.mul (local.get 0) (i64.const 2))))"#;
    std::fs::write(dir.path().join("mix.wat"), wat).unwrap();
    let out = run_in(
        dir.path(),
        &["--invoke", "mix", "mix.wat", "-4", "1.5", "0.25"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "1.75 -8\n");
    let out = run_in(dir.path(), &["mix.wat", "--invoke", "mix", "x", "1", "1"]);
    assert_eq!(out.status.code(), Some(18), "invalid_input");
    assert!(
        text(&out.stderr).contains("`x` is not an i64"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn call_on_a_numeric_export_points_at_run_invoke() {
    let out = interop(&["call", "examples/plugins/wat-add/add.wat", "add"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("interop run examples/plugins/wat-add/add.wat --invoke add ARGS..."),
        "{stderr}"
    );
}

#[test]
fn inspect_tells_what_a_bare_module_is() {
    let module = command_module().to_str().unwrap();
    let out = interop(&["inspect", module]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("a WASI command"), "{stdout}");
    assert!(
        stdout.contains("wasi_snapshot_preview1.fd_write"),
        "{stdout}"
    );
    let out = interop(&["inspect", "--json", "examples/plugins/wat-add/add.wat"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["kind"], "library");
    assert_eq!(report["exports"][0]["name"], "add");
    let greeter = repo().join("examples/plugins/rust-raw-imports");
    let wasm = std::fs::read_dir(greeter.join("dist"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        .expect("a built rust-raw-imports (cargo xtask build-plugins)");
    let out = interop(&["inspect", wasm.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains("an interop plugin module"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("env.ft_log"),
        "{}",
        text(&out.stdout)
    );
}
