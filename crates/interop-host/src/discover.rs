//! Finding the plugins of a directory.

use std::path::{Path, PathBuf};

use interop_protocol::{load_manifest, LoadedManifest, ManifestError};

/// Finds the manifests of a plugins directory: `dir/*/plugin.json` (and `dir/plugin.json`
/// itself), sorted by path, each loaded and validated on its own so that one broken
/// manifest does not hide the others.
pub fn discover(dir: impl AsRef<Path>) -> Vec<(PathBuf, Result<LoadedManifest, ManifestError>)> {
    let dir = dir.as_ref();
    let mut paths = Vec::new();
    if dir.join("plugin.json").is_file() {
        paths.push(dir.join("plugin.json"));
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let candidate = entry.path().join("plugin.json");
            if candidate.is_file() {
                paths.push(candidate);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| (p.clone(), load_manifest(&p)))
        .collect()
}
