//! What a new user ran into, each checked against the binary: a crashing process
//! plugin's traceback shown without `-v`, each cause said once, `error:` on every
//! failure, and a missing module of one's own plugin not blamed on the samples' build.

use crate::common;

use common::{interop, repo, text};

#[test]
fn a_crashing_python_plugin_shows_its_traceback_without_verbose() {
    let dir = tempfile::tempdir().unwrap();
    let script = "import json, sys\n\
                  def boom():\n    raise RuntimeError('the plugin broke on purpose')\n\
                  for line in sys.stdin:\n\
                  \x20   msg = json.loads(line)\n\
                  \x20   if msg.get('method') == 'initialize':\n\
                  \x20       print(json.dumps({'jsonrpc': '2.0', 'id': msg['id'], \
                  'result': {'name': 'crasher', 'protocolVersion': '1.0'}}), flush=True)\n\
                  \x20   elif msg.get('method') == 'action.invoke':\n\
                  \x20       boom()\n";
    std::fs::write(dir.path().join("crasher.py"), script).unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        r#"{"name": "crasher", "version": "0.1.0",
            "interop": {"protocol": "subprocess", "command": "python3", "args": ["crasher.py"]},
            "actions": [{"name": "go"}]}"#,
    )
    .unwrap();
    let out = interop(&["call", dir.path().to_str().unwrap(), "go"]);
    assert_eq!(out.status.code(), Some(11), "exec");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("error: plugin `crasher`: exec:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Traceback (most recent call last):"),
        "{stderr}"
    );
    assert!(
        stderr.contains("RuntimeError: the plugin broke on purpose"),
        "{stderr}"
    );
    assert!(stderr.contains("in boom"), "{stderr}");
}

#[test]
fn each_cause_is_said_once_and_every_failure_starts_with_error() {
    let out = interop(&["call", "/nonexistent", "greet"]);
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
    let out = interop(&["emit", "examples/plugins/rust-greeter", "no.such.event"]);
    assert_eq!(out.status.code(), Some(16), "not_found");
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: plugin `rust-greeter`: not_found: no hook for `no.such.event`"),
        "{stderr}"
    );
    let out = interop(&[
        "wasm-call",
        "examples/plugins/wat-add/add.wat",
        "add",
        "99999999999",
        "1",
    ]);
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert_eq!(stderr.matches("invalid_input").count(), 1, "{stderr}");
}

#[test]
fn a_missing_module_of_ones_own_plugin_is_not_blamed_on_the_samples_build() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("mine.wasm");
    let out = interop(&["run", module.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("build the plugin first"), "{stderr}");
    assert!(!stderr.contains("xtask"), "{stderr}");
    let sample = repo().join("examples/plugins/wat-add/missing.wasm");
    let out = interop(&["run", sample.to_str().unwrap()]);
    assert!(
        text(&out.stderr).contains("cargo xtask build-plugins"),
        "{}",
        text(&out.stderr)
    );
}
