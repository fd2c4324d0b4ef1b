//! The `interop` binary, run as a user runs it.

use crate::common;

use common::{interop, interop_with_input, repo, text};

#[test]
fn validate_accepts_the_reference_manifest_and_the_examples() {
    let out = interop(&[
        "validate",
        "--manifest-only",
        "examples/manifests/reference/plugin.json",
        "examples/manifests",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout)
        .contains("ok: examples/manifests/reference/plugin.json (my-plugin 1.0.0 via wasm)"));
}

#[test]
fn validate_rejects_each_broken_manifest_naming_the_json_path() {
    let cases = [
        ("missing-version", "$.version: missing (required)"),
        (
            "wrong-type",
            "$.actions[0].name: 42 is not of type \"string\"",
        ),
        (
            "unknown-protocol",
            "$.interop.protocol: unknown protocol \"corba\"",
        ),
        (
            "bad-version",
            "$.version: \"1.0\" is not a semantic version",
        ),
        (
            "path-escape",
            "$.interop.wasmPath: `../../secret.wasm` leaves the plugin directory",
        ),
        (
            "duplicate-action",
            "$.actions[2].name: duplicate action `greet`",
        ),
        ("misspelt-field", "$.permisions: unknown field"),
        (
            "bad-limits",
            "$.limits.timeoutMs: 0 is less than the minimum of 1",
        ),
        ("not-json", "plugin.json:2:0: not valid JSON"),
        (
            "url-with-credentials",
            "$.permissions.network.allowedUrlPrefixes[0]",
        ),
        ("ipc-without-endpoint", "$.interop.socketPath: missing"),
    ];
    for (case, expected) in cases {
        let path = format!("examples/invalid/{case}/plugin.json");
        let out = interop(&["validate", &path]);
        assert_eq!(out.status.code(), Some(3), "{case} should fail");
        let err = text(&out.stderr);
        assert!(
            err.contains(expected),
            "{case}: expected `{expected}` in:\n{err}"
        );
        assert!(err.contains(&path), "{case}: the file is named");
    }
}

#[test]
fn schema_prints_the_checked_in_schema() {
    let out = interop(&["schema"]);
    assert!(out.status.success());
    let file = std::fs::read_to_string(repo().join("plugin.schema.json")).unwrap();
    assert!(
        text(&out.stdout) == file,
        "`interop schema` differs from plugin.schema.json: run `cargo xtask schema`"
    );
}

#[test]
fn inspect_shows_actions_hooks_permissions_and_limits() {
    let out = interop(&["inspect", "examples/manifests/full-wasm/plugin.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for needle in [
        "weather 0.3.1",
        "forecast         -> forecast_handler",
        "config.reload    -> on_reload",
        "network: https://api.weather.example/v2/ [GET]",
        "env:     WEATHER_API_KEY",
        "memory:  32 MiB",
        "timeout: 2000 ms per call",
        "fuel:    100000000",
    ] {
        assert!(s.contains(needle), "missing `{needle}` in:\n{s}");
    }
}

#[test]
fn inspect_of_a_missing_file_names_it() {
    let out = interop(&["inspect", "nowhere/plugin.json"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("nowhere/plugin.json: cannot read manifest"));
}

#[test]
fn call_input_must_be_json() {
    let out = interop(&[
        "call",
        "examples/manifests/reference/plugin.json",
        "MY_ACTION",
        "--input",
        "World",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--input is not JSON"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn validate_fails_a_manifest_whose_module_is_missing_unless_asked_for_the_manifest_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        r#"{"name": "later", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "dist/later.wasm"}}"#,
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let out = interop(&["validate", path]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("interop.wasmPath: `dist/later.wasm` does not exist"),
        "{}",
        text(&out.stderr)
    );
    let out = interop(&["validate", "--json", path]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["ok"], false);
    assert_eq!(report[0]["name"], "later");
    assert!(interop(&["validate", "--manifest-only", path])
        .status
        .success());
}

#[test]
fn each_kind_of_failure_has_its_exit_code_and_json_errors_go_to_stdout() {
    let greeter = "examples/plugins/js-greeter";
    let out = interop(&["call", greeter, "nope"]);
    assert_eq!(out.status.code(), Some(16), "not_found");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: plugin `js-greeter`"), "{stderr}");
    assert_eq!(
        stderr.matches("not_found").count(),
        1,
        "said once: {stderr}"
    );
    let out = interop(&["call", greeter, "nope", "--json"]);
    assert_eq!(out.status.code(), Some(16));
    let stdout = text(&out.stdout);
    let json_start = stdout.find('{').expect("a JSON error on stdout");
    let error: serde_json::Value = serde_json::from_str(&stdout[json_start..]).unwrap();
    assert_eq!(error["error"]["kind"], "not_found");
    assert_eq!(error["error"]["plugin"], "js-greeter");
    let out = interop(&["emit", greeter, "no-such-event"]);
    assert_eq!(out.status.code(), Some(16));
    assert!(
        text(&out.stderr).starts_with("error: plugin `js-greeter`: not_found: no hook for"),
        "{}",
        text(&out.stderr)
    );
    let out = interop(&["call", "examples/invalid/missing-version/plugin.json", "x"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    // A plugin directory is a plugin, as its plugin.json is.
    let out = interop(&["call", greeter, "greet", "--input", "\"Dir\""]);
    assert!(
        text(&out.stdout).contains("Hello, Dir!"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_input_is_read_from_a_file_or_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    // Larger than a command line may be (E2BIG past ~2 MiB on Linux).
    let big = "x".repeat(3 << 20);
    let file = dir.path().join("input.json");
    std::fs::write(&file, format!("\"{big}\"")).unwrap();
    let out = interop(&[
        "call",
        "examples/plugins/js-greeter",
        "greet",
        "--input",
        &format!("@{}", file.display()),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("Hello, {big}!")));
    let out = interop_with_input(
        &[
            "call",
            "examples/plugins/js-greeter",
            "greet",
            "--input",
            "-",
        ],
        b"\"from stdin\"",
    );
    assert!(text(&out.stdout).contains("Hello, from stdin!"));
    let out = interop(&[
        "call",
        "examples/plugins/js-greeter",
        "greet",
        "--input",
        "@/no/such/file",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("--input @/no/such/file: cannot read"));
}

#[test]
fn list_shows_each_plugin_of_a_directory_and_whether_it_is_ready() {
    let out = interop(&["list", "examples/manifests"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let line = |name: &str| table.lines().find(|l| l.starts_with(name)).unwrap_or("");
    assert!(line("python-tools").contains("ipc"), "{table}");
    assert!(line("python-tools").ends_with("ready"), "{table}");
    assert!(
        line("my-plugin").contains("not ready:") && line("my-plugin").contains("does not exist"),
        "{table}"
    );
    let out = interop(&["list", "--json", "examples/manifests"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "node-tools")
        .expect("node-tools listed");
    assert_eq!(tools["protocol"], "subprocess");
    assert_eq!(tools["ready"], true);
}

#[test]
fn log_level_shows_the_hosts_lines_on_any_command_and_refuses_a_bad_filter() {
    let call = [
        "call",
        "examples/plugins/javascript-greeter",
        "greet",
        "-i",
        "\"A\"",
    ];
    let quiet = interop(&call);
    assert!(quiet.status.success(), "{}", text(&quiet.stderr));
    assert!(!text(&quiet.stderr).contains("loading plugin"));
    let mut logged = call.to_vec();
    logged.extend(["--log-level", "info"]);
    let out = interop(&logged);
    assert!(
        text(&out.stderr).contains("INFO loading plugin"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(text(&out.stdout), "Hello, A!\n");
    let out = interop(&["--log-level", "x=[", "list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--log-level"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_interop"))
        .arg("shell")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before the shell is asked to print anything.
    drop(child.stdout.take());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"help\n").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(141), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
