//! Loading manifests a hostile or careless author wrote: duplicate keys, huge files, huge
//! values, a hundred thousand actions, paths through symlinks.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use interop_protocol::validate::MAX_MANIFEST_BYTES;
use interop_protocol::{load_manifest, ManifestError, Problem};
use serde_json::{json, Value};

fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("plugin.json");
    std::fs::write(&path, text).unwrap();
    path
}

fn problems(text: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    match load_manifest(write(&dir, text)) {
        Err(ManifestError::Invalid { problems, .. }) => {
            problems.iter().map(Problem::to_string).collect()
        }
        other => panic!("expected an invalid manifest, got {other:?}"),
    }
}

fn with_actions(actions: Vec<Value>) -> String {
    json!({
        "name": "many", "version": "1.0.0",
        "interop": {"protocol": "wasm", "wasmPath": "many.wasm"},
        "actions": actions
    })
    .to_string()
}

#[test]
fn a_duplicate_key_is_an_error_naming_the_key_and_its_object() {
    let found = problems(
        r#"{"name": "a", "version": "1.0.0", "name": "b",
            "interop": {"protocol": "wasm", "wasmPath": "a.wasm", "protocol": "js"}}"#,
    );
    assert!(
        found.contains(&r#"$: duplicate key "name""#.to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&r#"$.interop: duplicate key "protocol""#.to_owned()),
        "{found:?}"
    );
}

#[test]
fn duplicate_keys_are_reported_with_the_other_problems() {
    let found = problems(
        r#"{"name": "a", "version": "one",
            "interop": {"protocol": "wasm", "wasmPath": "a.wasm"},
            "actions": [{"name": "x", "description": "d", "description": "e"}]}"#,
    );
    assert_eq!(found[0], r#"$.actions[0]: duplicate key "description""#);
    assert!(
        found.iter().any(|p| p.starts_with("$.version")),
        "{found:?}"
    );
}

#[test]
fn a_hundred_thousand_actions_validate_in_linear_time() {
    let actions = (0..100_000)
        .map(|i| json!({"name": format!("action-{i}"), "description": "does one thing"}))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, &with_actions(actions));
    let started = Instant::now();
    let loaded = load_manifest(&path).unwrap();
    // Quadratic duplicate detection took minutes here; linear takes about a second in a
    // debug build on a shared machine.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(loaded.manifest.actions.len(), 100_000);
}

#[test]
fn a_hundred_thousand_problems_are_collected_in_linear_time() {
    let same = (0..100_000).map(|_| json!({"name": "same"})).collect();
    let started = Instant::now();
    let found = problems(&with_actions(same));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(found.len(), 99_999);
    assert_eq!(
        found[99_998],
        "$.actions[99999].name: duplicate action `same` (already declared at $.actions[0])"
    );

    let wrong_types = (0..100_000)
        .map(|i| json!({"name": "a", "handler": i}))
        .collect();
    let started = Instant::now();
    let found = problems(&with_actions(wrong_types));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        found.len(),
        100_000,
        "the schema's problems, found before the rules"
    );
    assert_eq!(
        found[1],
        "$.actions[1].handler: 1 is not of types \"null\", \"string\""
    );
}

#[test]
fn a_manifest_over_the_size_limit_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let description = "x".repeat(MAX_MANIFEST_BYTES as usize);
    let path = write(
        &dir,
        &json!({"name": "big", "version": "1.0.0", "description": description,
                "interop": {"protocol": "wasm", "wasmPath": "big.wasm"}})
        .to_string(),
    );
    let err = load_manifest(&path).unwrap_err();
    assert!(matches!(err, ManifestError::TooLarge { .. }), "{err:?}");
    assert!(err
        .to_string()
        .ends_with("manifest is larger than 16777216 bytes"));
}

#[test]
fn a_huge_offending_value_is_shortened_in_its_problem() {
    let name = "!".repeat(1_000_000);
    let found = problems(
        &json!({"name": name, "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "a.wasm"}})
        .to_string(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("$.name: \"!!!!"), "{found:?}");
    assert!(
        found[0].contains("... (1000002 bytes) does not match"),
        "{found:?}"
    );
    assert!(found[0].len() < 400, "{} bytes", found[0].len());
}

#[test]
fn a_path_through_a_symlinked_directory_is_refused_even_when_the_file_is_missing() {
    let outside = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("dist")).unwrap();
    let path = write(
        &dir,
        r#"{"name": "p", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "dist/missing.wasm"}}"#,
    );
    match load_manifest(&path) {
        Err(ManifestError::Invalid { problems, .. }) => {
            assert_eq!(problems[0].path, "$.interop.wasmPath");
            assert!(
                problems[0].message.contains("through a symlink"),
                "{problems:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deeply_nested_json_is_a_json_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        &format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000)),
    );
    match load_manifest(&path) {
        Err(ManifestError::Json { message, line, .. }) => {
            assert!(message.contains("recursion limit"), "{message}");
            assert_eq!(line, 1);
        }
        other => panic!("{other:?}"),
    }
}
