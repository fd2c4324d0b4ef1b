//! A host's grants written down: the JSON file `interop --grants FILE` reads, which an
//! application can load the same way ([`GrantsFile::load`], [`Host::apply_grants_file`]).
//!
//! ```json
//! {
//!   "all": { "env": ["LANG"], "limits": { "memoryMb": 128 } },
//!   "plugins": {
//!     "greeter": {
//!       "fs": [ { "path": "data", "write": true } ],
//!       "network": [ { "host": "api.example.com" },
//!                    { "url": "https://cdn.example.com/v1/", "methods": ["GET"] } ],
//!       "env": ["GREETER_PREFIX"]
//!     },
//!     "trusted": { "requested": true }
//!   }
//! }
//! ```
//!
//! `all` applies to every plugin without an entry of its own under `plugins`; an entry
//! replaces `all` for its plugin (it does not add to it). Relative `fs` paths are taken
//! from the file's directory. Each entry starts from the host's defaults (reads inside the
//! plugin's own directory; `"ownDirectory": "none" | "read" | "write"` changes that).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use interop_sandbox::{Access, Grants};

use crate::{Host, HostError};

/// The grants of a host, as read from a grants file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GrantsFile {
    /// Grants of every plugin without its own entry.
    pub all: Grants,
    /// Grants by plugin name.
    pub plugins: BTreeMap<String, Grants>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(default)]
    all: Option<Entry>,
    #[serde(default)]
    plugins: BTreeMap<String, Entry>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    #[serde(default)]
    requested: bool,
    #[serde(default)]
    own_directory: Option<OwnDirectory>,
    #[serde(default)]
    fs: Vec<FsEntry>,
    #[serde(default)]
    network: Vec<NetEntry>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    limits: LimitsEntry,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum OwnDirectory {
    None,
    Read,
    Write,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FsEntry {
    path: PathBuf,
    #[serde(default)]
    write: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetEntry {
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    methods: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LimitsEntry {
    memory_mb: Option<u64>,
    timeout_ms: Option<u64>,
    max_message_bytes: Option<u64>,
    fuel: Option<u64>,
}

/// Why a grants file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum GrantsFileError {
    /// The file could not be read.
    #[error("{}: cannot read the grants file: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a grants file.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },
}

impl GrantsFile {
    /// Reads and checks the grants file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, GrantsFileError> {
        let path = path.as_ref();
        let bytes =
            interop_protocol::files::read_regular(path).map_err(|source| GrantsFileError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let invalid = |message: String| GrantsFileError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let text: FileText = serde_json::from_slice(&bytes)
            .map_err(|e| invalid(format!("not a grants file: {e}")))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let all = match text.all {
            Some(entry) => entry
                .grants(base)
                .map_err(|e| invalid(format!("all: {e}")))?,
            None => Grants::default(),
        };
        let mut plugins = BTreeMap::new();
        for (name, entry) in text.plugins {
            let grants = entry
                .grants(base)
                .map_err(|e| invalid(format!("plugins.{name}: {e}")))?;
            plugins.insert(name, grants);
        }
        Ok(GrantsFile { all, plugins })
    }
}

impl Entry {
    fn grants(self, base: &Path) -> Result<Grants, String> {
        let mut grants = if self.requested {
            Grants::requested()
        } else {
            Grants::default()
        };
        if let Some(own) = self.own_directory {
            grants.own_directory = match own {
                OwnDirectory::None => None,
                OwnDirectory::Read => Some(Access::Read),
                OwnDirectory::Write => Some(Access::Write),
            };
        }
        for fs in self.fs {
            grants = grants.allow_path(base.join(fs.path), fs.write);
        }
        for (i, net) in self.network.into_iter().enumerate() {
            let before = grants.network.len();
            grants = match (net.host, net.url) {
                (Some(host), None) => grants.allow_host(&host),
                (None, Some(url)) => grants.allow_url(&url),
                _ => Err("give either `host` or `url`".to_owned()),
            }
            .map_err(|e| format!("network[{i}]: {e}"))?;
            if let Some(methods) = net.methods {
                let methods: Vec<String> = methods.iter().map(|m| m.to_ascii_uppercase()).collect();
                for added in &mut grants.network[before..] {
                    added.methods = Some(methods.clone());
                }
            }
        }
        for name in self.env {
            grants = grants.allow_env(name);
        }
        let limits = &mut grants.limits;
        if let Some(mb) = self.limits.memory_mb {
            limits.memory_bytes = mb.saturating_mul(1024 * 1024);
        }
        if let Some(ms) = self.limits.timeout_ms {
            limits.timeout = Duration::from_millis(ms);
        }
        if let Some(bytes) = self.limits.max_message_bytes {
            limits.max_message_bytes = bytes;
        }
        if self.limits.fuel.is_some() {
            limits.fuel = self.limits.fuel;
        }
        Ok(grants)
    }
}

impl Host {
    /// Grants what the grants file at `path` says (see [`GrantsFile`]).
    pub fn apply_grants_file(&mut self, path: impl AsRef<Path>) -> Result<(), HostError> {
        let file = GrantsFile::load(path)?;
        self.set_grants(file.all);
        for (name, grants) in file.plugins {
            self.grant(name, grants);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grants_file_sets_host_wide_and_per_plugin_grants() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let path = dir.path().join("grants.json");
        std::fs::write(
            &path,
            r#"{
              "all": {"env": ["LANG"], "limits": {"memoryMb": 128}},
              "plugins": {
                "greeter": {
                  "fs": [{"path": "data", "write": true}],
                  "network": [{"host": "api.example.com"},
                              {"url": "https://cdn.example.com/v1/", "methods": ["get"]}],
                  "ownDirectory": "none"
                },
                "trusted": {"requested": true}
              }
            }"#,
        )
        .unwrap();
        let file = GrantsFile::load(&path).unwrap();
        assert_eq!(file.all.env, ["LANG"]);
        assert_eq!(file.all.limits.memory_bytes, 128 * 1024 * 1024);
        let greeter = &file.plugins["greeter"];
        assert_eq!(greeter.own_directory, None);
        assert_eq!(
            greeter.fs[0].path,
            dir.path().join("data").canonicalize().unwrap()
        );
        assert!(greeter.fs[0].write);
        assert_eq!(greeter.network.len(), 3);
        assert_eq!(greeter.network[2].methods, Some(vec!["GET".to_owned()]));
        assert!(file.plugins["trusted"].everything_requested);
    }

    #[test]
    fn a_wrong_grants_file_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grants.json");
        std::fs::write(
            &path,
            r#"{"plugins": {"p": {"network": [{"host": "a/b"}]}}}"#,
        )
        .unwrap();
        let err = GrantsFile::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("plugins.p: network[0]: `a/b` is not a host name"),
            "{err}"
        );
        std::fs::write(&path, r#"{"all": {"envv": []}}"#).unwrap();
        let err = GrantsFile::load(&path).unwrap_err().to_string();
        assert!(err.contains("unknown field `envv`"), "{err}");
    }
}
