//! A slow load shows a spinner on stderr when stderr is a terminal (here the pseudo-
//! terminal of util-linux's `script`), and nothing in a pipe. The plugin's script keeps
//! its load busy for well over the spinner's one-second delay.
#![cfg(feature = "js")]

use crate::common;

use std::process::Command;

use common::{interop, text};

#[test]
fn a_slow_load_shows_a_spinner_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slow.js"),
        "const end = Date.now() + 2500; while (Date.now() < end) {}\n\
         const plugin = { hi() { return 'ready'; } };\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        r#"{"name": "slow", "version": "0.1.0",
            "interop": {"protocol": "js", "scriptPath": "slow.js"}, "actions": [{"name": "hi"}]}"#,
    )
    .unwrap();
    let plugin = dir.path().to_str().unwrap();
    let command = format!("'{}' call '{plugin}' hi", env!("CARGO_BIN_EXE_interop"));
    let on_terminal = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .output()
        .expect("util-linux `script` (Debian's bsdutils) runs the command on a terminal");
    let shown = text(&on_terminal.stdout);
    assert!(
        shown.contains("loading `slow` (compiling it the first time)"),
        "{shown}"
    );
    assert!(shown.contains("ready"), "{shown}");

    let piped = interop(&["call", plugin, "hi"]);
    assert_eq!(text(&piped.stdout), "ready\n");
    assert!(
        !text(&piped.stderr).contains("loading"),
        "{}",
        text(&piped.stderr)
    );
}
