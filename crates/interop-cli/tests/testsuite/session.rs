//! Several plugins in one process (`interop shell`, commands piped on stdin), the audit
//! log (`--audit FILE`, read back by `interop audit`), and `interop watch` re-running an
//! action when the plugin's script changes.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{interop, interop_with_input, text};

/// Runs `interop shell ARGS` with `input` on stdin.
fn shell(args: &[&str], input: &str) -> std::process::Output {
    let args: Vec<&str> = std::iter::once("shell")
        .chain(args.iter().copied())
        .collect();
    interop_with_input(&args, input.as_bytes())
}

#[test]
fn a_shell_loads_plugins_of_two_backends_and_calls_each_in_one_host() {
    let input = "load examples/plugins/js-greeter\n\
                 call js-greeter greet \"A\"\n\
                 call rust-greeter greet \"B\"\n\
                 provider rust-greeter greeting\n\
                 list\n\
                 metrics rust-greeter\n\
                 call nope x\n\
                 frobnicate\n\
                 quit\n\
                 call rust-greeter greet \"never\"\n";
    let out = shell(&["examples/plugins/rust-greeter"], input);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(
        stdout.starts_with(
            "[LOG] Greeting A\nHello, A! App version: 1.0.0\nHello, B!\n\
             Greetings from the greeter plugin.\n"
        ),
        "{stdout}{stderr}"
    );
    assert!(
        stdout.contains("js-greeter") && stdout.contains("rust-greeter"),
        "{stdout}"
    );
    assert!(stdout.contains("\"calls\": 2"), "{stdout}");
    assert!(!stdout.contains("never"), "quit ends the session: {stdout}");
    assert!(
        stderr.contains("error: no plugin named `nope` is loaded"),
        "{stderr}"
    );
    assert!(stderr.contains("unknown command `frobnicate`"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "the last failure's code");
}

#[test]
fn the_audit_log_records_each_host_call_and_audit_filters_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let log = log.to_str().unwrap();
    let out = interop(&[
        "call",
        "examples/plugins/wasm-hostile/path-escape",
        "parent",
        "--audit",
        log,
    ]);
    assert_eq!(out.status.code(), Some(15), "denied");
    let out = interop(&[
        "provider",
        "examples/plugins/rust-greeter",
        "greeting",
        "--audit",
        log,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let all = text(&interop(&["audit", log]).stdout);
    assert!(
        all.contains("hostile-escape") && all.contains("rust-greeter"),
        "{all}"
    );
    assert!(
        all.contains("denied") && all.contains("../../etc/passwd"),
        "{all}"
    );
    assert!(all.ends_with("2 record(s)\n"), "{all}");

    let denied = interop(&["audit", log, "--denied", "--json"]);
    let lines: Vec<serde_json::Value> = text(&denied.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["plugin"], "hostile-escape");
    assert_eq!(lines[0]["outcome"]["status"], "denied");

    let mine = text(&interop(&["audit", log, "--plugin", "rust-greeter"]).stdout);
    assert!(
        mine.contains("data/greeting.txt") && mine.ends_with("1 record(s)\n"),
        "{mine}"
    );

    std::fs::write(dir.path().join("bad.jsonl"), "{\"not\": \"a record\"}\n").unwrap();
    let out = interop(&["audit", dir.path().join("bad.jsonl").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("bad.jsonl:1: not an audit record"),
        "{}",
        text(&out.stderr)
    );
}

/// `interop watch DIR ACTION`, and a way to read its next line of stdout.
fn watching(
    dir: &std::path::Path,
    action: &str,
) -> (
    std::process::Child,
    impl Fn() -> Result<String, mpsc::RecvTimeoutError>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_interop"))
        .args(["watch", dir.to_str().unwrap(), action])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // A generous bound: it only keeps a broken watch from hanging the suite.
    (child, move || lines.recv_timeout(Duration::from_secs(60)))
}

#[test]
#[cfg(feature = "js")]
fn watch_runs_the_action_again_with_the_new_script_after_a_change() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("plugin.js");
    std::fs::write(&script, "const plugin = { hi() { return 'first'; } };\n").unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        r#"{"name": "watched", "version": "0.1.0",
            "interop": {"protocol": "js", "scriptPath": "plugin.js"}, "actions": [{"name": "hi"}]}"#,
    )
    .unwrap();
    let (mut child, next) = watching(dir.path(), "hi");
    assert_eq!(next().as_deref(), Ok("first"));
    std::fs::write(&script, "const plugin = { hi() { return 'second'; } };\n").unwrap();
    let answer = next();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.as_deref(), Ok("second"));
}

#[test]
fn watch_reloads_a_python_plugin_when_its_script_changes() {
    let dir = tempfile::tempdir().unwrap();
    let script = |answer: &str| {
        format!(
            "import json, sys\n\
             for line in sys.stdin:\n\
             \x20   msg = json.loads(line)\n\
             \x20   if msg.get('method') == 'initialize':\n\
             \x20       result = {{'name': 'pywatched', 'protocolVersion': '1.0'}}\n\
             \x20   elif msg.get('method') == 'action.invoke':\n\
             \x20       result = {{'success': True, 'text': '{answer}'}}\n\
             \x20   else:\n\
             \x20       result = None\n\
             \x20   if 'id' in msg:\n\
             \x20       print(json.dumps({{'jsonrpc': '2.0', 'id': msg['id'], 'result': result}}), flush=True)\n"
        )
    };
    let path = dir.path().join("plugin.py");
    std::fs::write(&path, script("first")).unwrap();
    std::fs::write(
        dir.path().join("plugin.json"),
        r#"{"name": "pywatched", "version": "0.1.0",
            "interop": {"protocol": "subprocess", "command": "python3", "args": ["plugin.py"]},
            "actions": [{"name": "hi"}]}"#,
    )
    .unwrap();
    let (mut child, next) = watching(dir.path(), "hi");
    assert_eq!(next().as_deref(), Ok("first"));
    std::fs::write(&path, script("second")).unwrap();
    let answer = next();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(answer.as_deref(), Ok("second"));
}
