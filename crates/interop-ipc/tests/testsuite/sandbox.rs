//! Plugin processes run in the sandbox: a cleared environment, the host API only through
//! `host.call` (policy-checked and audited), and Landlock filesystem rules.

use crate::common;

use common::{call, hostile_manifest, load, plugin_dir};
use interop_ipc::landlock_abi;
use interop_sandbox::AuditOutcome;
use serde_json::json;

#[test]
fn the_environment_is_cleared_except_granted_names_path_and_interop_variables() {
    // SAFETY (edition 2021: set_var is safe): tests in this binary only read these names.
    std::env::set_var("IPC_TEST_SECRET", "do-not-leak");
    std::env::set_var("IPC_TEST_GRANTED", "visible");
    let (_dir, loaded) = plugin_dir(hostile_manifest(
        &[],
        json!({"permissions": {"env": ["IPC_TEST_GRANTED"]}}),
    ));
    let (plugin, _) = load(&loaded).unwrap();
    let names: Vec<String> =
        serde_json::from_value(call(&plugin, "env", json!(null)).unwrap()).unwrap();
    assert!(!names.contains(&"IPC_TEST_SECRET".to_owned()), "{names:?}");
    assert!(!names.contains(&"HOME".to_owned()), "{names:?}");
    assert!(names.contains(&"IPC_TEST_GRANTED".to_owned()), "{names:?}");
    assert!(names.contains(&"INTEROP_PLUGIN".to_owned()), "{names:?}");
    for name in &names {
        assert!(
            name == "PATH"
                || name == "IPC_TEST_GRANTED"
                || name.starts_with("INTEROP_")
                // Set by the interpreter or a launcher script (pyenv's shim is a bash
                // script) at start-up, not passed by the host.
                || matches!(name.as_str(), "LC_CTYPE" | "PWD" | "SHLVL" | "_")
                || name.starts_with("PYENV")
                || name.starts_with("_PYENV"),
            "unexpected variable {name} in {names:?}"
        );
    }
}

#[test]
fn host_calls_from_the_plugin_are_policy_checked_and_audited() {
    let (dir, loaded) = plugin_dir(hostile_manifest(
        &[],
        json!({"permissions": {"fs": [{"path": "data"}], "env": ["IPC_TEST_GRANTED"]}}),
    ));
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/note.txt"), "from the host").unwrap();
    let (plugin, services) = load(&loaded).unwrap();

    let ok = call(
        &plugin,
        "host",
        json!({"function": "fs.readFile", "args": {"path": "data/note.txt"}}),
    )
    .unwrap();
    assert_eq!(ok, json!({"ok": "from the host"}));

    let denied = call(
        &plugin,
        "host",
        json!({"function": "fs.readFile", "args": {"path": "/etc/passwd"}}),
    )
    .unwrap();
    assert_eq!(denied["error"]["data"]["kind"], json!("denied"), "{denied}");
    let denied = call(
        &plugin,
        "host",
        json!({"function": "env.get", "args": {"name": "HOME"}}),
    )
    .unwrap();
    assert_eq!(denied["error"]["data"]["kind"], json!("denied"), "{denied}");
    let unknown = call(&plugin, "host", json!({"function": "no.such", "args": {}})).unwrap();
    assert_eq!(
        unknown["error"]["data"]["kind"],
        json!("not_found"),
        "{unknown}"
    );

    let events = services.audit().events();
    let functions: Vec<(&str, &AuditOutcome)> = events
        .iter()
        .map(|e| (e.function.as_str(), &e.outcome))
        .collect();
    assert!(
        matches!(functions[0], ("fs.readFile", AuditOutcome::Ok)),
        "{functions:?}"
    );
    let denied = services.audit().denied();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert!(denied.iter().any(|e| e.args.contains("/etc/passwd")));
    assert!(denied.iter().any(|e| e.function == "env.get"));
}

#[test]
fn landlock_confines_direct_file_access_to_the_plugin_dir_where_supported() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "top secret").unwrap();
    let (dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    std::fs::write(dir.path().join("own.txt"), "mine").unwrap();
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(
        call(&plugin, "read", json!("own.txt")).unwrap(),
        json!({"ok": "mine"})
    );
    let got = call(&plugin, "read", json!(secret.display().to_string())).unwrap();
    match landlock_abi() {
        Some(_) => assert!(
            got["error"]
                .as_str()
                .unwrap_or("")
                .contains("Permission denied"),
            "read outside the plugin dir under Landlock: {got}"
        ),
        None => {
            eprintln!("Landlock is not supported by this kernel: direct reads are not confined");
            assert_eq!(got, json!({"ok": "top secret"}));
        }
    }
}

#[test]
fn the_process_runs_under_rlimits_from_the_policy_with_a_memory_floor() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({"limits": {"memoryMb": 512}})));
    let (plugin, _) = load(&loaded).unwrap();
    let limits = call(&plugin, "rlimits", json!(null)).unwrap();
    assert_eq!(limits["data"], json!(512u64 << 20), "{limits}");
    assert_eq!(limits["nofile"], json!(256));
    assert_eq!(limits["cpu"], json!(3600));
    assert_eq!(limits["core"], json!(0));
    // The default 64 MiB is raised to the 256 MiB floor interpreters need.
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    assert_eq!(
        call(&plugin, "rlimits", json!(null)).unwrap()["data"],
        json!(256u64 << 20)
    );
}

#[test]
fn a_plugin_allocating_past_its_memory_limit_fails_as_the_memory_limit_and_is_restarted() {
    let (_dir, loaded) = plugin_dir(hostile_manifest(&[], json!({})));
    let (plugin, _) = load(&loaded).unwrap();
    let err = call(&plugin, "eat", json!(1u64 << 30)).unwrap_err();
    assert_eq!(
        err.kind,
        interop_protocol::ErrorKind::LimitExceeded,
        "{err}"
    );
    assert_eq!(err.limit_name(), Some("memory"), "{err}");
    assert!(
        err.message.contains("MemoryError"),
        "its traceback is shown: {err}"
    );
    assert_eq!(
        call(&plugin, "eat", json!(1u64 << 20)).unwrap(),
        json!(1u64 << 20)
    );
    assert_eq!(plugin.restarts(), 1);
}
