//! The `interop` binary, run as a user runs it.

mod common;

use common::{interop, repo, text};

#[test]
fn validate_accepts_the_reference_manifest_and_the_examples() {
    let out = interop(&[
        "validate",
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
        assert_eq!(out.status.code(), Some(1), "{case} should fail");
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
    assert_eq!(out.status.code(), Some(1));
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
fn new_scaffolds_plugins_that_run_right_away() {
    let dir = tempfile::tempdir().unwrap();
    for (lang, expected) in [
        ("python", "Hello, World!\n"),
        ("javascript", "Hello, World!\n"),
        ("wat", "Hello from hello-wat!\n"),
    ] {
        let plugin = dir.path().join(format!("hello-{lang}"));
        let plugin = plugin.to_str().unwrap();
        let out = interop(&["new", plugin, "--lang", lang]);
        assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
        let manifest = format!("{plugin}/plugin.json");
        assert!(interop(&["validate", &manifest]).status.success(), "{lang}");
        let out = interop(&["call", &manifest, "hello", "--input", "\"World\""]);
        assert_eq!(text(&out.stdout), expected, "{lang}: {}", text(&out.stderr));
    }
    let again = interop(&[
        "new",
        dir.path().join("hello-wat").to_str().unwrap(),
        "--lang",
        "wat",
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already exists"));
}
