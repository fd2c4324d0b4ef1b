//! The checked-in `plugin.schema.json` is the generated one, and the example manifests
//! agree with it.

use std::path::{Path, PathBuf};

use interop_protocol::{load_manifest, schema::manifest_schema_text, ManifestError};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn checked_in_schema_is_not_stale() {
    let on_disk = std::fs::read_to_string(repo().join("plugin.schema.json"))
        .expect("plugin.schema.json at the repo root");
    assert!(
        on_disk == manifest_schema_text(),
        "plugin.schema.json is stale: run `cargo xtask schema`"
    );
}

fn manifests_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let candidate = entry.path().join("plugin.json");
        if candidate.is_file() {
            out.push(candidate);
        }
    }
    out.sort();
    out
}

#[test]
fn example_manifests_are_valid() {
    let found = manifests_under(&repo().join("examples/manifests"));
    assert!(found.len() >= 4, "{found:?}");
    for path in found {
        if let Err(e) = load_manifest(&path) {
            panic!("{e}");
        }
    }
}

#[test]
fn sample_plugin_manifests_are_valid() {
    for path in manifests_under(&repo().join("examples/plugins")) {
        if let Err(e) = load_manifest(&path) {
            panic!("{e}");
        }
    }
}

#[test]
fn invalid_examples_are_rejected_with_a_json_path() {
    let found = manifests_under(&repo().join("examples/invalid"));
    assert!(found.len() >= 10, "{found:?}");
    for path in found {
        match load_manifest(&path) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(ManifestError::Invalid { problems, .. }) => {
                assert!(!problems.is_empty());
                for p in problems {
                    assert!(
                        p.path.starts_with("$."),
                        "{}: problem without a precise path: {p}",
                        path.display()
                    );
                }
            }
            Err(ManifestError::Json { line, .. }) => assert!(line > 0),
            Err(other) => panic!("{}: unexpected error {other}", path.display()),
        }
    }
}
