//! The capability policy of one plugin: what it may read, write, fetch and see, and how
//! much memory and time it gets.
//!
//! A policy grants nothing by default. It is built from the manifest's `permissions` and
//! `limits` ([`Policy::from_manifest`]) or in code ([`Policy::new`] and the `with_*`
//! methods), and it is immutable once built: backends share it behind an `Arc`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use interop_protocol::manifest::{
    DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS,
};
use interop_protocol::LoadedManifest;

use crate::grants::Ungranted;
use crate::paths::normalize;
use crate::urls::UrlPrefix;

/// Why a policy could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A URL prefix in the manifest is not usable.
    #[error("plugin `{plugin}`: permissions.network.allowedUrlPrefixes[{index}]: {message}")]
    UrlPrefix {
        /// The plugin.
        plugin: String,
        /// Index in `allowedUrlPrefixes`.
        index: usize,
        /// What is wrong.
        message: String,
    },
}

/// Read or write access to the filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read files, list directories, stat.
    Read,
    /// Create, write and remove.
    Write,
}

/// A granted filesystem root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsRoot {
    /// The root, absolute, with symlinks resolved when it exists.
    pub path: PathBuf,
    /// May read under it.
    pub read: bool,
    /// May write under it.
    pub write: bool,
}

impl FsRoot {
    /// Whether this root grants `access`.
    pub fn grants(&self, access: Access) -> bool {
        match access {
            Access::Read => self.read,
            Access::Write => self.write,
        }
    }
}

/// The name under which a wasm guest sees a granted directory (its WASI preopen), set by
/// a manifest's `guestPath` or `interop run --dir HOST::GUEST`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestPath {
    /// The host directory, absolute, with symlinks resolved when it exists.
    pub host: PathBuf,
    /// The name the guest sees (`/data`, `.`).
    pub guest: String,
}

/// Network access: which URLs and methods, how long and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// URL prefixes that may be fetched.
    pub prefixes: Vec<UrlPrefix>,
    /// Allowed methods, upper case.
    pub methods: Vec<String>,
    /// Time limit of one fetch.
    pub timeout: Duration,
    /// Largest response body in bytes.
    pub max_response_bytes: u64,
}

/// What one plugin may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The plugin this policy is for (named in errors and the audit trail).
    pub plugin: String,
    /// The plugin directory; relative paths the plugin passes are resolved against it.
    pub base_dir: PathBuf,
    /// Granted filesystem roots.
    pub fs: Vec<FsRoot>,
    /// Names wasm guests see directories under, where not their own paths (a root under
    /// `host` appears under `guest` joined with the rest of its path).
    pub guest_paths: Vec<GuestPath>,
    /// Network access, if any.
    pub network: Option<NetworkPolicy>,
    /// Environment variables the plugin may read.
    pub env: Vec<String>,
    /// Memory limit in bytes.
    pub memory_bytes: u64,
    /// Time limit of one call.
    pub timeout: Duration,
    /// Largest message exchanged with the plugin, in bytes.
    pub max_message_bytes: u64,
    /// Instruction budget per call, for engines that meter.
    pub fuel: Option<u64>,
    /// The application's host functions the plugin may call: names, `prefix.*` or `*`.
    pub functions: Vec<String>,
    /// What the manifest requested that the host did not grant (to name the missing grant
    /// when a host call is refused).
    pub ungranted: Ungranted,
}

impl Policy {
    /// A policy for `plugin` that grants nothing, with the default limits
    /// (64 MiB, 10 s, 16 MiB messages). Relative paths resolve against `base_dir`.
    pub fn new(plugin: impl Into<String>, base_dir: impl AsRef<Path>) -> Self {
        Policy {
            plugin: plugin.into(),
            base_dir: absolute(base_dir.as_ref()),
            fs: Vec::new(),
            guest_paths: Vec::new(),
            network: None,
            env: Vec::new(),
            memory_bytes: DEFAULT_MEMORY_MB * 1024 * 1024,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            fuel: None,
            functions: Vec::new(),
            ungranted: Ungranted::default(),
        }
    }

    /// The policy a manifest asks for, all of it granted. A host grants less:
    /// [`Grants::policy_for`](crate::Grants::policy_for) intersects this request with
    /// what the host grants.
    pub fn from_manifest(loaded: &LoadedManifest) -> Result<Self, PolicyError> {
        let m = &loaded.manifest;
        let mut policy = Policy::new(&m.name, &loaded.dir);
        for grant in &m.permissions.fs {
            let root = policy.base_dir.join(&grant.path);
            policy = policy.with_fs_root(&root, grant.read, grant.write);
            if let Some(guest) = &grant.guest_path {
                policy = policy.with_guest_path(&root, guest);
            }
        }
        if let Some(net) = &m.permissions.network {
            let mut prefixes = Vec::new();
            for (index, p) in net.allowed_url_prefixes.iter().enumerate() {
                prefixes.push(
                    UrlPrefix::parse(p).map_err(|message| PolicyError::UrlPrefix {
                        plugin: m.name.clone(),
                        index,
                        message,
                    })?,
                );
            }
            policy.network = Some(NetworkPolicy {
                prefixes,
                methods: net
                    .allowed_methods
                    .clone()
                    .unwrap_or_else(|| vec!["GET".into(), "HEAD".into()])
                    .into_iter()
                    .map(|m| m.to_ascii_uppercase())
                    .collect(),
                timeout: Duration::from_millis(net.timeout_ms.unwrap_or(DEFAULT_FETCH_TIMEOUT_MS)),
                max_response_bytes: net.max_response_size.unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            });
        }
        policy.env = m.permissions.env.clone();
        policy.memory_bytes = m.limits.memory_bytes();
        policy.timeout = m.limits.timeout();
        policy.max_message_bytes = m.limits.max_message_bytes();
        policy.fuel = m.limits.fuel;
        // Application functions are the host's to grant; a manifest does not list them,
        // so the whole request is all of them.
        policy.functions = vec!["*".to_owned()];
        Ok(policy)
    }

    /// Grants `root` (absolute, or relative to the base directory).
    pub fn with_fs_root(mut self, root: impl AsRef<Path>, read: bool, write: bool) -> Self {
        let path = resolve(&self.base_dir.join(root.as_ref()));
        self.fs.push(FsRoot { path, read, write });
        self
    }

    /// Shows the directory `host` (absolute, or relative to the base directory) to wasm
    /// guests under the name `guest` (a WASI preopen name such as `/data`). It grants
    /// nothing by itself: [`with_fs_root`](Self::with_fs_root) does.
    pub fn with_guest_path(mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> Self {
        let host = resolve(&self.base_dir.join(host.as_ref()));
        self.guest_paths.push(GuestPath {
            host,
            guest: guest.into(),
        });
        self
    }

    /// The name a wasm guest sees the granted root `root` under, if a guest path covers
    /// it: the guest path joined with the rest of `root` below its host directory.
    pub fn guest_name(&self, root: &Path) -> Option<String> {
        self.guest_paths.iter().rev().find_map(|g| {
            let rest = root.strip_prefix(&g.host).ok()?;
            if rest.as_os_str().is_empty() {
                Some(g.guest.clone())
            } else {
                Some(
                    Path::new(&g.guest)
                        .join(rest)
                        .to_string_lossy()
                        .into_owned(),
                )
            }
        })
    }

    /// Grants fetches of URLs under `prefixes` with `methods`, with the default timeout
    /// (30 s) and response limit (10 MiB).
    pub fn with_network(mut self, prefixes: &[&str], methods: &[&str]) -> Result<Self, String> {
        self.network = Some(NetworkPolicy {
            prefixes: prefixes
                .iter()
                .map(|p| UrlPrefix::parse(p))
                .collect::<Result<_, _>>()?,
            methods: methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
            timeout: Duration::from_millis(DEFAULT_FETCH_TIMEOUT_MS),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        });
        Ok(self)
    }

    /// Lets the plugin read the environment variable `name`.
    pub fn with_env(mut self, name: impl Into<String>) -> Self {
        self.env.push(name.into());
        self
    }

    /// Lets the plugin call the application's functions matching `pattern` (a name,
    /// `prefix.*` or `*`).
    pub fn with_function(mut self, pattern: impl Into<String>) -> Self {
        self.functions.push(pattern.into());
        self
    }

    /// Whether the plugin may call the application's function `name`.
    pub fn function_allowed(&self, name: &str) -> bool {
        self.functions
            .iter()
            .any(|p| crate::functions::pattern_covers(p, name))
    }

    /// Whether the plugin may read the environment variable `name`.
    pub fn env_allowed(&self, name: &str) -> bool {
        self.env.iter().any(|n| n == name)
    }
}

/// `root` with symlinks resolved now when it exists, so that later checks compare real
/// paths.
fn resolve(root: &Path) -> PathBuf {
    root.canonicalize().unwrap_or_else(|_| normalize(root))
}

fn absolute(p: &Path) -> PathBuf {
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    abs.canonicalize().unwrap_or_else(|_| normalize(&abs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use interop_protocol::validate_value;
    use serde_json::json;

    #[test]
    fn defaults_are_64_mib_and_10_s_and_nothing_granted() {
        let p = Policy::new("p", ".");
        assert_eq!(p.memory_bytes, 64 * 1024 * 1024);
        assert_eq!(p.timeout, Duration::from_secs(10));
        assert!(p.fs.is_empty() && p.network.is_none() && p.env.is_empty());
    }

    #[test]
    fn manifest_permissions_and_limits_become_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        let manifest = validate_value(
            &json!({
                "name": "p", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "p.wasm"},
                "permissions": {
                    "fs": [{"path": "data", "write": true}],
                    "network": {"allowedUrlPrefixes": ["https://api.example.com/v1/"]},
                    "env": ["HOME"]
                },
                "limits": {"memoryMb": 8, "timeoutMs": 500}
            }),
            None,
        )
        .unwrap();
        let loaded = LoadedManifest {
            manifest,
            path: dir.path().join("plugin.json"),
            dir: dir.path().to_path_buf(),
        };
        let p = Policy::from_manifest(&loaded).unwrap();
        assert_eq!(p.fs.len(), 1);
        assert!(p.fs[0].read && p.fs[0].write);
        assert_eq!(
            p.fs[0].path,
            dir.path().join("data").canonicalize().unwrap()
        );
        let net = p.network.clone().unwrap();
        assert_eq!(net.methods, ["GET", "HEAD"]);
        assert!(p.env_allowed("HOME") && !p.env_allowed("PATH"));
        assert_eq!(p.memory_bytes, 8 * 1024 * 1024);
        assert_eq!(p.timeout, Duration::from_millis(500));
    }
}
