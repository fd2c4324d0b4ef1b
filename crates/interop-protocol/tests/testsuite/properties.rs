//! Property tests of the manifest loader: whatever bytes or JSON it is given, it answers
//! with a manifest or an error and never panics; valid manifests survive a round trip;
//! a duplicated key is always reported.
//!
//! Each property runs `PROPTEST_CASES` cases (256 unless set), a few seconds in all.

use std::path::PathBuf;

use interop_protocol::{load_manifest, validate_value, Manifest, ManifestError};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Words a manifest uses, so that generated objects often reach the deeper checks.
const KEYS: &[&str] = &[
    "name",
    "version",
    "interop",
    "protocol",
    "wasmPath",
    "libraryPath",
    "scriptPath",
    "transport",
    "socketPath",
    "address",
    "command",
    "args",
    "actions",
    "providers",
    "hooks",
    "event",
    "handler",
    "description",
    "inputSchema",
    "outputSchema",
    "permissions",
    "fs",
    "path",
    "read",
    "write",
    "network",
    "allowedUrlPrefixes",
    "allowedMethods",
    "env",
    "limits",
    "memoryMb",
    "timeoutMs",
    "maxMessageBytes",
    "fuel",
    "$schema",
    "$ref",
    "type",
    "pattern",
    "isolated",
];

const WORDS: &[&str] = &[
    "wasm",
    "ffi",
    "js",
    "ipc",
    "subprocess",
    "unix",
    "tcp",
    "1.0.0",
    "p",
    "a.wasm",
    "../x",
    "/etc/passwd",
    "https://api.example.com/v1/",
    "GET",
    "string",
    "#",
    "^(a+)+$",
    "",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

/// Any JSON value, with object keys mostly from the manifest's vocabulary.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 8, |inner| {
        let key = prop_oneof![
            4 => prop::sample::select(KEYS).prop_map(str::to_owned),
            1 => ".{0,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A manifest-shaped object: the required fields present, anything in them.
fn manifest_like() -> impl Strategy<Value = Value> {
    (json_value(), json_value(), json_value(), json_value()).prop_map(
        |(name, interop, actions, rest)| {
            let mut m =
                json!({"name": name, "version": "1.0.0", "interop": interop, "actions": actions});
            if let (Value::Object(m), Value::Object(rest)) = (&mut m, rest) {
                m.extend(rest);
            }
            m
        },
    )
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._-]{0,20}"
}

/// A valid manifest: every field within what the schema and the rules accept.
fn valid_manifest() -> impl Strategy<Value = Value> {
    let interop = prop_oneof![
        "[a-z]{1,8}\\.wasm".prop_map(|p| json!({"protocol": "wasm", "wasmPath": p})),
        ("[a-z]{1,8}\\.so", any::<bool>())
            .prop_map(|(p, isolated)| json!({"protocol": "ffi", "libraryPath": p, "isolated": isolated})),
        "[a-z]{1,4}(/[a-z]{1,4}){0,2}\\.js".prop_map(|p| json!({"protocol": "js", "scriptPath": p})),
        "[a-z]{1,8}".prop_map(|c| json!({"protocol": "subprocess", "command": c, "args": ["-v"]})),
        "[0-9]{1,5}".prop_map(|port| json!({"protocol": "ipc", "transport": "tcp", "address": format!("127.0.0.1:{port}")})),
    ];
    let actions = prop::collection::btree_set(name(), 0..6).prop_map(|names| {
        names
            .into_iter()
            .map(|n| json!({"name": n, "description": "d", "inputSchema": {"type": "string"}}))
            .collect::<Vec<_>>()
    });
    let limits = (1..4096u64, 1..60_000u64)
        .prop_map(|(memory, timeout)| json!({"memoryMb": memory, "timeoutMs": timeout}));
    (
        name(),
        (0..20u32, 0..20u32, 0..20u32),
        interop,
        actions,
        limits,
    )
        .prop_map(|(name, (major, minor, patch), interop, actions, limits)| {
            json!({
                "name": name,
                "version": format!("{major}.{minor}.{patch}"),
                "interop": interop,
                "actions": actions,
                "hooks": [{"event": "config.reload", "handler": "on_reload"}],
                "permissions": {"fs": [{"path": "data", "write": true}], "env": ["HOME"]},
                "limits": limits
            })
        })
}

/// Writes `bytes` as the `plugin.json` of a fresh directory.
fn manifest_file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("plugin.json");
    std::fs::write(&path, bytes).expect("manifest");
    (dir, path)
}

/// `PROPTEST_CASES` cases (256 unless set); failures are kept as named tests, not files.
fn config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_the_loader(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let (_dir, path) = manifest_file(&bytes);
        let _ = load_manifest(&path);
    }

    #[test]
    fn arbitrary_json_is_a_manifest_or_problems_with_json_paths(value in json_value()) {
        if let Err(problems) = validate_value(&value, None) {
            prop_assert!(!problems.is_empty());
            for p in problems {
                prop_assert!(p.path.starts_with('$'), "{p}");
            }
        }
    }

    #[test]
    fn manifest_shaped_json_is_loaded_or_refused_with_problems(value in manifest_like()) {
        let (_dir, path) = manifest_file(value.to_string().as_bytes());
        match load_manifest(&path) {
            Ok(_) | Err(ManifestError::Invalid { .. }) => {}
            Err(other) => prop_assert!(false, "valid JSON refused as {other}"),
        }
    }

    #[test]
    fn valid_manifests_round_trip(value in valid_manifest()) {
        let (_dir, path) = manifest_file(serde_json::to_string_pretty(&value).unwrap().as_bytes());
        let loaded = load_manifest(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let again: Manifest = validate_value(&serde_json::to_value(&loaded.manifest).unwrap(), None)
            .map_err(|p| TestCaseError::fail(format!("{p:?}")))?;
        prop_assert_eq!(&again, &loaded.manifest);
        prop_assert_eq!(&loaded.manifest, &serde_json::from_value::<Manifest>(value).unwrap());
    }

    #[test]
    fn a_duplicated_key_is_always_reported(value in valid_manifest(), pick in any::<prop::sample::Index>()) {
        // Repeat one top-level key at the end of the object.
        let object = value.as_object().unwrap();
        let keys: Vec<&String> = object.keys().collect();
        let key = keys[pick.index(keys.len())];
        let text = value.to_string();
        let repeated = format!("{},{}:{}}}", &text[..text.len() - 1], Value::from(key.as_str()), object[key]);
        let (_dir, path) = manifest_file(repeated.as_bytes());
        match load_manifest(&path) {
            Err(ManifestError::Invalid { problems, .. }) => {
                let expected = format!("duplicate key {}", Value::from(key.as_str()));
                prop_assert!(problems.iter().any(|p| p.path == "$" && p.message == expected), "{problems:?}");
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }
}
