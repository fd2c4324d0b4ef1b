//! Secure path resolution: turning a path a plugin asked for into a real path inside a
//! granted root, or a `denied` error.
//!
//! The rules, in order:
//! 1. the path must be valid UTF-8 without NUL bytes and must not contain a `..`
//!    component (rejected outright rather than normalised, so that `a/../../b` cannot
//!    be smuggled past a lexical check);
//! 2. relative paths are taken from the plugin directory; the result, lexically, must lie
//!    under a root that grants the access asked for;
//! 3. symlinks are resolved: the deepest existing ancestor is canonicalised and the
//!    result must still lie under such a root, so a link inside a root that points
//!    outside it is refused.
//!
//! What this does not stop: a path swapped for a symlink between the check and the use
//! (a TOCTOU race) by a second process that can write inside the root. Backends that need
//! that guarantee use the OS (WASI preopens, Landlock) on top of this check.

use std::path::{Component, Path, PathBuf};

use interop_protocol::PluginError;

use crate::policy::{Access, Policy};

/// Removes `.` components and resolves `..` lexically (never above the root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

impl Policy {
    /// Resolves `requested` for `access`, or explains why it is denied.
    pub fn resolve_path(&self, requested: &str, access: Access) -> Result<PathBuf, PluginError> {
        let deny = |why: String| {
            PluginError::denied(format!("path `{requested}`: {why}"))
                .in_plugin(&self.plugin)
                .with_data(serde_json::json!({ "path": requested }))
        };
        if requested.is_empty() {
            return Err(deny("empty path".into()));
        }
        if requested.contains('\0') {
            return Err(deny("contains a NUL byte".into()));
        }
        let path = Path::new(requested);
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(deny("`..` is not allowed".into()));
        }
        let joined = normalize(&self.base_dir.join(path));
        let verb = match access {
            Access::Read => "read",
            Access::Write => "write",
        };
        let lexical_ok = self
            .fs
            .iter()
            .any(|r| r.grants(access) && joined.starts_with(&r.path));
        if !lexical_ok {
            return Err(deny(
                self.ungranted
                    .fs_reason(&joined, access)
                    .unwrap_or_else(|| format!("outside the directories granted for {verb}")),
            ));
        }
        let Some(real) = real_path(&joined) else {
            return Err(deny("is a dangling symlink".into()));
        };
        if !self
            .fs
            .iter()
            .any(|r| r.grants(access) && real.starts_with(&r.path))
        {
            return Err(deny(format!(
                "resolves through a symlink to {}, outside the directories granted for {verb}",
                real.display()
            )));
        }
        Ok(real)
    }
}

/// Canonicalises the deepest existing ancestor of `path` and appends the rest; `None`
/// for a dangling symlink, whose target cannot be checked.
fn real_path(path: &Path) -> Option<PathBuf> {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        // `symlink_metadata` sees a dangling symlink too; canonicalize would not.
        if existing.symlink_metadata().is_ok() {
            match existing.canonicalize() {
                Ok(real) => {
                    let mut out = real;
                    for part in rest.iter().rev() {
                        out.push(part);
                    }
                    return Some(out);
                }
                Err(_) => return None,
            }
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return Some(path.to_path_buf()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interop_protocol::ErrorKind;

    fn setup() -> (tempfile::TempDir, Policy) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("plugin/data/sub")).unwrap();
        std::fs::create_dir_all(root.join("plugin/ro")).unwrap();
        std::fs::create_dir_all(root.join("secret")).unwrap();
        std::fs::write(root.join("secret/key"), "k").unwrap();
        std::fs::write(root.join("plugin/data/a.txt"), "a").unwrap();
        let policy = Policy::new("p", root.join("plugin"))
            .with_fs_root("data", true, true)
            .with_fs_root("ro", true, false);
        (dir, policy)
    }

    fn denied(r: Result<PathBuf, PluginError>) -> bool {
        matches!(r, Err(e) if e.kind == ErrorKind::Denied)
    }

    #[test]
    fn paths_inside_a_root_resolve() {
        let (_d, p) = setup();
        assert!(p
            .resolve_path("data/a.txt", Access::Read)
            .unwrap()
            .ends_with("data/a.txt"));
        assert!(p.resolve_path("./data/new.txt", Access::Write).is_ok());
        assert!(p.resolve_path("data/sub/deeper/x", Access::Write).is_ok());
    }

    #[test]
    fn dot_dot_traversal_is_denied() {
        let (_d, p) = setup();
        assert!(denied(
            p.resolve_path("data/../../secret/key", Access::Read)
        ));
        assert!(denied(p.resolve_path("../secret/key", Access::Read)));
        assert!(
            denied(p.resolve_path("data/sub/../a.txt", Access::Read)),
            "even when it would stay inside"
        );
    }

    #[test]
    fn absolute_paths_outside_the_roots_are_denied() {
        let (d, p) = setup();
        assert!(denied(p.resolve_path("/etc/passwd", Access::Read)));
        let secret = d.path().join("secret/key");
        assert!(denied(
            p.resolve_path(secret.to_str().unwrap(), Access::Read)
        ));
        let inside = d.path().canonicalize().unwrap().join("plugin/data/a.txt");
        assert!(p
            .resolve_path(inside.to_str().unwrap(), Access::Read)
            .is_ok());
    }

    #[test]
    fn prefix_lookalike_directories_are_denied() {
        let (d, p) = setup();
        std::fs::create_dir_all(d.path().join("plugin/data2")).unwrap();
        assert!(
            denied(p.resolve_path("data2/x", Access::Read)),
            "data2 is not under data"
        );
    }

    #[test]
    fn symlink_escape_is_denied() {
        let (d, p) = setup();
        std::os::unix::fs::symlink(d.path().join("secret"), d.path().join("plugin/data/link"))
            .unwrap();
        assert!(denied(p.resolve_path("data/link/key", Access::Read)));
        std::os::unix::fs::symlink(
            d.path().join("secret/key"),
            d.path().join("plugin/data/keylink"),
        )
        .unwrap();
        assert!(denied(p.resolve_path("data/keylink", Access::Read)));
        // Writing a new file through a linked directory is refused too.
        assert!(denied(p.resolve_path("data/link/new", Access::Write)));
    }

    #[test]
    fn dangling_symlinks_are_denied() {
        let (d, p) = setup();
        std::os::unix::fs::symlink(
            d.path().join("nowhere"),
            d.path().join("plugin/data/dangle"),
        )
        .unwrap();
        assert!(denied(p.resolve_path("data/dangle", Access::Write)));
    }

    #[test]
    fn symlink_inside_the_root_is_allowed() {
        let (d, p) = setup();
        std::os::unix::fs::symlink(
            d.path().join("plugin/data/a.txt"),
            d.path().join("plugin/data/alias"),
        )
        .unwrap();
        assert!(p.resolve_path("data/alias", Access::Read).is_ok());
    }

    #[test]
    fn write_to_a_read_only_root_is_denied() {
        let (_d, p) = setup();
        assert!(p.resolve_path("ro/x", Access::Read).is_ok());
        assert!(denied(p.resolve_path("ro/x", Access::Write)));
    }

    #[test]
    fn no_grant_means_no_access() {
        let p = Policy::new("p", "/tmp");
        assert!(denied(p.resolve_path("x", Access::Read)));
        assert!(denied(p.resolve_path("", Access::Read)));
        assert!(denied(p.resolve_path("a\0b", Access::Read)));
    }
}
