//! docs/cli-reference.md is what `interop cli-reference` writes from the command tree:
//! a flag added without regenerating the file fails here. `interop completions` writes
//! a script for each shell clap_complete knows.

use crate::common;

use common::{interop, repo, text};

#[test]
fn the_checked_in_cli_reference_is_the_generated_one() {
    let out = interop(&["cli-reference"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let generated = text(&out.stdout);
    let path = repo().join("docs/cli-reference.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        generated == on_disk,
        "{} is stale: run `cargo run -p interop-cli -- cli-reference > docs/cli-reference.md`",
        path.display()
    );
    for command in [
        "## `interop run`",
        "## `interop call`",
        "## `interop completions`",
    ] {
        assert!(generated.contains(command), "{command} missing");
    }
    assert!(generated.contains("`--dir <HOST[::GUEST]>`"));
}

#[test]
fn completions_are_written_for_each_shell_naming_the_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F _interop"),
        ("zsh", "#compdef interop"),
        ("fish", "complete -c interop"),
        ("elvish", "edit:completion:arg-completer[interop]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = interop(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: no `{marker}`");
        assert!(script.contains("wasm-call"), "{shell}: subcommands missing");
    }
    let out = interop(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("possible values"),
        "{}",
        text(&out.stderr)
    );
}
