//! `interop bindings`: guest types from a plugin's schemas, on stdout or into a file.

use crate::common;

use common::{interop, text};

#[test]
fn bindings_prints_each_languages_types_and_refuses_an_unknown_language() {
    let manifest = "examples/plugins/extism-rust-greeter/plugin.json";
    for (lang, expected) in [
        ("rust", "pub type GreetInput = String;"),
        (
            "typescript",
            "export interface HttpGetInput {\n  url: string;",
        ),
        ("wit", "  record http-get-input {\n    url: string,"),
    ] {
        let out = interop(&["bindings", manifest, "--lang", lang]);
        assert!(out.status.success(), "{lang}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(expected),
            "{lang}: {}",
            text(&out.stdout)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("types.rs");
    let out = interop(&[
        "bindings",
        manifest,
        "--lang",
        "rust",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("pub type CountOutput = i64;"));

    let out = interop(&["bindings", manifest, "--lang", "python"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("expected rust, typescript or wit"),
        "{}",
        text(&out.stderr)
    );
}
