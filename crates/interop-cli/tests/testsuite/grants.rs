//! What the host grants, from the command line: the manifest only requests.

use crate::common;

use common::{interop, text};

const GREETER: &str = "examples/plugins/rust-greeter/plugin.json";

fn greet(extra: &[&str]) -> String {
    let mut args = vec!["call", GREETER, "greet", "--input", "\"World\""];
    args.extend_from_slice(extra);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(&args)
        .current_dir(common::repo())
        .env("GREETER_PREFIX", "[granted]")
        .output()
        .expect("run interop");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

#[test]
fn an_environment_variable_reaches_a_plugin_only_when_the_host_grants_it() {
    // The greeter's manifest requests GREETER_PREFIX; without the grant it greets plainly.
    assert_eq!(greet(&[]), "Hello, World!");
    assert_eq!(
        greet(&["--allow-env", "GREETER_PREFIX"]),
        "[granted] Hello, World!"
    );
    assert_eq!(greet(&["--grant-requested"]), "[granted] Hello, World!");
}

#[test]
fn inspect_shows_what_is_requested_granted_and_missing() {
    let out = interop(&["inspect", GREETER]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("requested but not granted:")
            && shown.contains("env:     GREETER_PREFIX  [--allow-env GREETER_PREFIX]"),
        "{shown}"
    );
    let out = interop(&["inspect", GREETER, "--allow-env", "GREETER_PREFIX"]);
    assert!(!text(&out.stdout).contains("requested but not granted"));
}

#[test]
fn a_host_limit_cannot_be_raised_by_the_manifest_and_is_set_by_flags() {
    let out = interop(&["inspect", GREETER, "--memory", "16", "--timeout", "750"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("memory:  16 MiB"), "{shown}");
    assert!(shown.contains("timeout: 750 ms per call"), "{shown}");
}

#[test]
fn a_grants_file_grants_per_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grants.json");
    std::fs::write(
        &file,
        r#"{"plugins": {"rust-greeter": {"env": ["GREETER_PREFIX"]}}}"#,
    )
    .unwrap();
    assert_eq!(
        greet(&["--grants", file.to_str().unwrap()]),
        "[granted] Hello, World!"
    );
    std::fs::write(&file, r#"{"plugins": {"rust-greeter": {"env": 3}}}"#).unwrap();
    let out = interop(&["call", GREETER, "greet", "--grants", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("grants.json: not a grants file"),
        "{}",
        text(&out.stderr)
    );
}
