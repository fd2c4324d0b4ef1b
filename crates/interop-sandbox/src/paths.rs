//! Which granted root a path a plugin asked for lies in, or a `denied` error.
//!
//! [`Policy::locate`] applies the policy's rules, in order, without touching the disk:
//! 1. the path must be valid UTF-8 without NUL bytes and must not contain a `..`
//!    component (rejected outright rather than normalised, so that `a/../../b` cannot
//!    be smuggled past a lexical check);
//! 2. relative paths are taken from the plugin directory; the result, lexically, must lie
//!    under a root that grants the access asked for (the deepest such root is chosen).
//!
//! The host services then resolve the rest of the path beneath an open handle of that
//! root ([`crate::fs`]), so that symlinks, also ones swapped in while calls run, cannot
//! lead out of it. [`Policy::resolve_path`] is the check alone, for callers that need a
//! real path to hand to something else: it follows symlinks once, at the time of the
//! check, so a path swapped for a symlink afterwards escapes it.

use std::path::{Component, Path, PathBuf};

use interop_protocol::PluginError;

use crate::policy::{Access, FsRoot, Policy};

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

/// A path inside a granted root, as [`Policy::locate`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<'a> {
    /// The root it lies in.
    pub root: &'a FsRoot,
    /// The rest of the path below the root: only normal components, empty for the root
    /// itself.
    pub relative: PathBuf,
}

impl Policy {
    /// Finds the granted root `requested` lies in for `access`, lexically, or explains why
    /// it is denied. Nothing on disk is looked at.
    pub fn locate(&self, requested: &str, access: Access) -> Result<Located<'_>, PluginError> {
        let deny = |why: String| self.deny_path(requested, why);
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
        let root = self
            .fs
            .iter()
            .filter(|r| r.grants(access) && joined.starts_with(&r.path))
            .max_by_key(|r| r.path.components().count())
            .ok_or_else(|| {
                deny(
                    self.ungranted
                        .fs_reason(&joined, access)
                        .unwrap_or_else(|| {
                            format!("outside the directories granted for {}", verb(access))
                        }),
                )
            })?;
        let relative = joined
            .strip_prefix(&root.path)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Located { root, relative })
    }

    /// Resolves `requested` for `access` to a real path, or explains why it is denied:
    /// [`locate`](Self::locate), then symlinks resolved (the deepest existing ancestor
    /// canonicalised) and the result checked against the roots again.
    pub fn resolve_path(&self, requested: &str, access: Access) -> Result<PathBuf, PluginError> {
        let deny = |why: String| self.deny_path(requested, why);
        let located = self.locate(requested, access)?;
        let joined = located.root.path.join(&located.relative);
        let Some(real) = real_path(&joined) else {
            return Err(deny("is a dangling symlink".into()));
        };
        if !self
            .fs
            .iter()
            .any(|r| r.grants(access) && real.starts_with(&r.path))
        {
            return Err(deny(format!(
                "resolves through a symlink to {}, outside the directories granted for {}",
                real.display(),
                verb(access)
            )));
        }
        Ok(real)
    }

    /// The `denied` error of a path, naming the path as the plugin wrote it.
    pub(crate) fn deny_path(&self, requested: &str, why: String) -> PluginError {
        PluginError::denied(format!("path `{requested}`: {why}"))
            .in_plugin(&self.plugin)
            .with_data(serde_json::json!({ "path": requested }))
    }
}

fn verb(access: Access) -> &'static str {
    match access {
        Access::Read => "read",
        Access::Write => "write",
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
    fn locate_picks_the_deepest_granting_root_without_touching_the_disk() {
        let p = Policy::new("p", "/nonexistent/plugin")
            .with_fs_root("data", true, true)
            .with_fs_root("data/in", true, false);
        let at = p.locate("data/in/./x//y", Access::Read).unwrap();
        assert_eq!(at.root.path, Path::new("/nonexistent/plugin/data/in"));
        assert_eq!(at.relative, Path::new("x/y"));
        let at = p.locate("data/in/x", Access::Write).unwrap();
        assert_eq!(at.root.path, Path::new("/nonexistent/plugin/data"));
        assert_eq!(at.relative, Path::new("in/x"));
        let at = p.locate("/nonexistent/plugin/data", Access::Read).unwrap();
        assert_eq!(at.relative, Path::new(""));
        let err = p.locate("other/x", Access::Read).unwrap_err();
        assert_eq!(
            err.message,
            "path `other/x`: outside the directories granted for read"
        );
    }

    #[test]
    fn no_grant_means_no_access() {
        let p = Policy::new("p", "/tmp");
        assert!(denied(p.resolve_path("x", Access::Read)));
        assert!(denied(p.resolve_path("", Access::Read)));
        assert!(denied(p.resolve_path("a\0b", Access::Read)));
    }
}
