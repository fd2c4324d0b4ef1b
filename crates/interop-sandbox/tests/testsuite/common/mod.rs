//! A plugin directory with granted roots next to a directory outside every grant.

// Each test crate uses part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use interop_sandbox::{HostServices, Policy};

/// What the file outside the roots holds; no host call may return it.
pub const SECRET: &str = "secret-outside-the-root";

/// `plugin/data` (granted read and write), `plugin/ro` (read only) and `outside/`
/// (holding the secret) in a fresh directory.
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// The plugin directory.
    pub plugin: PathBuf,
    /// A directory outside every grant, holding `secret.txt`.
    pub outside: PathBuf,
}

impl Fixture {
    /// A fresh fixture.
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let (plugin, outside) = (base.join("plugin"), base.join("outside"));
        std::fs::create_dir_all(plugin.join("data/sub")).unwrap();
        std::fs::create_dir_all(plugin.join("ro")).unwrap();
        std::fs::create_dir_all(outside.join("sub")).unwrap();
        std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
        std::fs::write(plugin.join("data/note.txt"), "inside").unwrap();
        Fixture {
            _dir: dir,
            plugin,
            outside,
        }
    }

    /// Host services granting `data` (read and write) and `ro` (read).
    pub fn services(&self) -> HostServices {
        HostServices::new(
            Policy::new("fs-plugin", &self.plugin)
                .with_fs_root("data", true, true)
                .with_fs_root("ro", true, false),
        )
    }

    /// Makes a symlink `at` (relative to the plugin directory) to `target`.
    pub fn link(&self, target: impl AsRef<Path>, at: &str) {
        std::os::unix::fs::symlink(target, self.plugin.join(at)).unwrap();
    }

    /// Adds the symlinks an attacker would plant in `data/`: to `outside/` (absolute and
    /// relative), to the secret, inside the root, dangling out of it, and a loop.
    pub fn with_hostile_links(self) -> Self {
        self.link(&self.outside, "data/abs-dir");
        self.link("../../outside", "data/rel-dir");
        self.link(self.outside.join("secret.txt"), "data/abs-file");
        self.link("sub", "data/in-link");
        self.link(self.outside.join("created"), "data/dangling");
        self.link("loop", "data/loop");
        self
    }

    /// Every file and directory under `outside/`, with the contents of files.
    pub fn outside_snapshot(&self) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
        let mut found = BTreeMap::new();
        let mut stack = vec![self.outside.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    stack.push(path.clone());
                    found.insert(path, None);
                } else {
                    found.insert(path.clone(), Some(std::fs::read(&path).unwrap()));
                }
            }
        }
        found
    }
}
