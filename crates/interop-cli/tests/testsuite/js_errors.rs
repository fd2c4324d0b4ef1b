//! JavaScript failures say where: `file:line:col` of the throwing frame and the stack
//! (from `PluginError.data.stack`); with `--json`, stdout is the JSON document alone, the
//! `[LOG]` lines of `log()` going to stderr.
#![cfg(feature = "js")]

use crate::common;

use common::{interop, text};

const THROWS: &str = "function inner(x) {\n  return x.missing.field;\n}\n\
                      const plugin = { boom(input) { return inner({}); } };\n";

fn throwing_plugin() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.js"), THROWS).unwrap();
    let manifest = r#"{"name": "thrower", "version": "0.1.0",
        "interop": {"protocol": "js", "scriptPath": "bad.js"}, "actions": [{"name": "boom"}]}"#;
    std::fs::write(dir.path().join("plugin.json"), manifest).unwrap();
    dir
}

#[test]
fn a_js_error_shows_file_line_col_and_the_stack() {
    let dir = throwing_plugin();
    let out = interop(&["call", dir.path().to_str().unwrap(), "boom"]);
    assert_eq!(out.status.code(), Some(11), "exec");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: plugin `thrower`: exec: TypeError"),
        "{stderr}"
    );
    let script = dir.path().join("bad.js").display().to_string();
    assert!(
        stderr.contains(&format!("  --> {script}:2:20\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("at inner ({script}:2:20)\n")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("at Object.boom ({script}:4:39)")),
        "{stderr}"
    );
}

#[test]
fn with_json_stdout_is_only_the_json_and_log_lines_go_to_stderr() {
    for sample in [
        "examples/plugins/js-greeter",
        "examples/plugins/javascript-greeter",
    ] {
        let out = interop(&["call", sample, "greet", "-i", "\"A\"", "--json"]);
        assert!(out.status.success(), "{sample}: {}", text(&out.stderr));
        let result: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{sample}: stdout is not one JSON document: {e}"));
        assert_eq!(result["success"], true, "{sample}");
    }
    let out = interop(&[
        "call",
        "examples/plugins/js-greeter",
        "greet",
        "-i",
        "\"A\"",
        "--json",
    ]);
    assert!(
        text(&out.stderr).contains("[LOG] Greeting A"),
        "{}",
        text(&out.stderr)
    );
    let dir = throwing_plugin();
    let out = interop(&["call", dir.path().to_str().unwrap(), "boom", "--json"]);
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(error["error"]["data"]["stack"]
        .as_str()
        .unwrap()
        .contains("bad.js:2:20"));
}

#[test]
fn a_syntax_error_in_a_plugin_script_says_where() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.js"),
        "const plugin = {\n  boom() { return 1 +; }\n};\n",
    )
    .unwrap();
    let manifest = r#"{"name": "typo", "version": "0.1.0",
        "interop": {"protocol": "js", "scriptPath": "bad.js"}, "actions": [{"name": "boom"}]}"#;
    std::fs::write(dir.path().join("plugin.json"), manifest).unwrap();
    let out = interop(&["call", dir.path().to_str().unwrap(), "boom"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("SyntaxError: Unexpected token"), "{stderr}");
    let script = dir.path().join("bad.js").display().to_string();
    assert!(stderr.contains(&format!("  --> {script}:2:")), "{stderr}");
}
