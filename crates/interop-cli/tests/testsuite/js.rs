//! `interop` with the js backend (`--features js`): the V8 plugin manager's greeter byte
//! for byte,
//! hostile plugins stopped with clear errors, `interop js eval` and `interop js call`.
#![cfg(feature = "js")]

use crate::common;

use common::{interop, interop_with_input, repo, text};

const GREETER: &str = "examples/plugins/js-greeter/plugin.json";
const HOSTILE: &str = "examples/plugins/js-hostile/plugin.json";

#[test]
fn interop_call_prints_the_jsrun_greeter_output_byte_for_byte() {
    let greet = interop(&["call", GREETER, "greet", "--input", "\"World\""]);
    assert!(greet.status.success(), "{}", text(&greet.stderr));
    let farewell = interop(&["call", GREETER, "farewell", "--input", "\"John Doe\""]);
    assert!(farewell.status.success(), "{}", text(&farewell.stderr));
    let both = text(&greet.stdout) + &text(&farewell.stdout);
    assert_eq!(
        both,
        "[LOG] Greeting World\nHello, World! App version: 1.0.0\nGoodbye, John Doe!\n"
    );
}

#[test]
fn interop_call_config_sets_a_plugin_config_key_over_its_manifest() {
    let out = interop(&[
        "call",
        GREETER,
        "greet",
        "--input",
        "\"World\"",
        "--config",
        "version=2.0.0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "[LOG] Greeting World\nHello, World! App version: 2.0.0\n"
    );
    let json = interop(&[
        "call",
        GREETER,
        "greet",
        "--input",
        "\"World\"",
        "--config",
        r#"version={"major": 3}"#,
    ]);
    assert!(
        text(&json.stdout).contains(r#"App version: [object Object]"#),
        "a JSON value stays JSON: {}",
        text(&json.stdout)
    );
    let bad = interop(&["call", GREETER, "greet", "--config", "version"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("expected KEY=VALUE"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn interop_call_reports_a_looping_and_a_memory_hungry_plugin() {
    let out = interop(&["call", HOSTILE, "loop"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("plugin `js-hostile`: limit_exceeded: the script ran past its 1s timeout"),
        "{err}"
    );
    let out = interop(&["call", HOSTILE, "heap_bomb"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("heap limit of 32 MiB"), "{err}");
}

#[test]
fn interop_js_eval_prints_the_value() {
    let out = interop(&["js", "eval", "[1, 2, 3].map(x => x * 2)"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "[2,4,6]\n");
    let out = interop(&["js", "eval", "console.log('hi', 1); 'done'"]);
    assert_eq!(text(&out.stdout), "hi 1\ndone\n");
    let out = interop(&["js", "eval", "null.x"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("TypeError"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn interop_js_call_runs_a_node_module_export() {
    let out = interop(&[
        "js",
        "call",
        "examples/plugins/node-bridge/example.js",
        "add",
        "2",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "5\n");
}

#[test]
fn a_copied_binary_runs_javascript_with_no_path_into_the_build_tree() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("interop");
    std::fs::copy(env!("CARGO_BIN_EXE_interop"), &copy).unwrap();
    let bytes = std::fs::read(&copy).unwrap();
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    // The V8 shim is embedded, libnode found at run time: neither is named by a path.
    assert!(
        !contains("libinterop_js_shim.so"),
        "the shim's build path is compiled in"
    );
    assert!(
        !contains(".tools/libnode"),
        "the checkout's libnode path is compiled in"
    );
    let greeter = repo().join("examples/plugins/js-greeter");
    let out = std::process::Command::new(&copy)
        .args([
            "call",
            greeter.to_str().unwrap(),
            "greet",
            "--input",
            "\"World\"",
        ])
        .current_dir(dir.path())
        .env_remove("INTEROP_JS_SHIM")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Hello, World! App version: 1.0.0"));
}

#[test]
fn js_eval_reads_its_script_from_stdin_or_a_file() {
    let script = "const xs = [1, 2, 3];\nxs.map(x => x * 2)\n";
    let out = interop_with_input(&["js", "eval", "-"], script.as_bytes());
    assert_eq!(text(&out.stdout), "[2,4,6]\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.js");
    std::fs::write(&file, "function f() {\n  return null.x;\n}\nf()\n").unwrap();
    let out = interop(&["js", "eval", &format!("@{}", file.display())]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:2:15", file.display())),
        "{stderr}"
    );
}
