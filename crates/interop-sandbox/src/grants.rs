//! What the host grants: the other half of every permission.
//!
//! A manifest's `permissions` and `limits` are requests. The application (in code, or
//! through the CLI's flags or a host config file) decides what it [`Grants`], and a
//! plugin's [`Policy`] is the intersection, capability by capability:
//!
//! - **filesystem**: a requested root is reachable where it lies inside a granted
//!   directory (or the granted directory, where that lies inside the request), with read
//!   and write each allowed only when both sides allow it;
//! - **network**: a requested URL prefix where it lies under a granted prefix (or the
//!   granted prefix, where that lies under the request); methods both sides allow;
//! - **environment**: the variable names both sides list;
//! - **application functions**: those the host grants (the application defines them, so
//!   a manifest does not list them);
//! - **limits**: the host sets each limit; a manifest may ask for less (its value is then
//!   used), never for more (the host's value is used and a warning logged).
//!
//! What is requested but not granted is kept in the policy ([`Ungranted`]), so that a
//! refused host call can say which grant is missing.
//!
//! The default ([`Grants::default`]) is deliberately narrow: a plugin may read what it
//! requests inside its own directory (the files it ships with), and nothing else: no
//! writes, no other directory, no network, no environment variable, no application
//! function. Its limits are the
//! sandbox defaults (64 MiB, 10 s per call, 16 MiB messages; fetches 30 s and 10 MiB).
//! [`Grants::requested`] grants whatever a manifest asks for, within the same limits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use interop_protocol::manifest::{
    DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS,
};
use interop_protocol::LoadedManifest;

use crate::paths::normalize;
use crate::policy::{Access, FsRoot, NetworkPolicy, Policy, PolicyError};
use crate::urls::UrlPrefix;

/// A directory the host lets plugins reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsGrant {
    /// The directory (or file), absolute; symlinks in it are resolved when it exists.
    pub path: PathBuf,
    /// Reads under it are granted.
    pub read: bool,
    /// Writes, creation and removal under it are granted.
    pub write: bool,
}

/// URLs the host lets plugins fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetGrant {
    /// The granted prefix.
    pub prefix: UrlPrefix,
    /// Methods granted under it (upper case); `None`: whatever the manifest asks for.
    pub methods: Option<Vec<String>>,
}

/// The limits the host sets. A manifest may lower each of them, never raise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLimits {
    /// Memory, in bytes (default 64 MiB).
    pub memory_bytes: u64,
    /// Time of one call (default 10 s).
    pub timeout: Duration,
    /// Largest message exchanged with a plugin, in bytes (default 16 MiB).
    pub max_message_bytes: u64,
    /// Instruction budget per call for engines that meter (default: unmetered unless the
    /// manifest asks for a budget).
    pub fuel: Option<u64>,
    /// Time of one fetch (default 30 s).
    pub fetch_timeout: Duration,
    /// Largest response body of a fetch, in bytes (default 10 MiB).
    pub max_response_bytes: u64,
}

impl Default for HostLimits {
    fn default() -> Self {
        HostLimits {
            memory_bytes: DEFAULT_MEMORY_MB * 1024 * 1024,
            timeout: Duration::from_millis(DEFAULT_TIMEOUT_MS),
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            fuel: None,
            fetch_timeout: Duration::from_millis(DEFAULT_FETCH_TIMEOUT_MS),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// What the host grants a plugin (or every plugin): see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    /// Grant whatever the manifest requests (the limits stay the host's).
    pub everything_requested: bool,
    /// Access granted inside the plugin's own directory (default: read).
    pub own_directory: Option<Access>,
    /// Directories granted.
    pub fs: Vec<FsGrant>,
    /// URL prefixes granted.
    pub network: Vec<NetGrant>,
    /// Environment variable names granted.
    pub env: Vec<String>,
    /// The application's host functions granted: names, `prefix.*` or `*`. Application
    /// functions are the host's alone to grant (a manifest does not request them).
    pub functions: Vec<String>,
    /// The limits.
    pub limits: HostLimits,
}

impl Default for Grants {
    fn default() -> Self {
        Grants {
            everything_requested: false,
            own_directory: Some(Access::Read),
            fs: Vec::new(),
            network: Vec::new(),
            env: Vec::new(),
            functions: Vec::new(),
            limits: HostLimits::default(),
        }
    }
}

impl Grants {
    /// Nothing at all, not even reads in the plugin's own directory.
    pub fn none() -> Self {
        Grants {
            own_directory: None,
            ..Grants::default()
        }
    }

    /// Whatever each manifest requests, and every application function, within the
    /// default limits.
    pub fn requested() -> Self {
        Grants {
            everything_requested: true,
            functions: vec!["*".to_owned()],
            ..Grants::default()
        }
    }

    /// Grants reading (and, with `write`, writing) under `path` (absolute, or relative to
    /// the current directory).
    pub fn allow_path(mut self, path: impl AsRef<Path>, write: bool) -> Self {
        self.fs.push(FsGrant {
            path: real(path.as_ref()),
            read: true,
            write,
        });
        self
    }

    /// Grants fetches under a URL prefix such as `https://api.example.com/v1/`, with
    /// whatever methods the manifest asks for.
    pub fn allow_url(mut self, prefix: &str) -> Result<Self, String> {
        self.network.push(NetGrant {
            prefix: UrlPrefix::parse(prefix)?,
            methods: None,
        });
        Ok(self)
    }

    /// Grants fetches of any path on `host` (`api.example.com`, or `127.0.0.1:8080` for
    /// one port), over https and http.
    pub fn allow_host(mut self, host: &str) -> Result<Self, String> {
        if host.is_empty() || host.contains(['/', '@', '?', '#']) {
            return Err(format!(
                "`{host}` is not a host name (expected e.g. `api.example.com` or `127.0.0.1:8080`)"
            ));
        }
        for scheme in ["https", "http"] {
            self.network.push(NetGrant {
                prefix: UrlPrefix::parse(&format!("{scheme}://{host}/"))?,
                methods: None,
            });
        }
        Ok(self)
    }

    /// Grants reading the environment variable `name`.
    pub fn allow_env(mut self, name: impl Into<String>) -> Self {
        self.env.push(name.into());
        self
    }

    /// Grants calling the application's functions matching `pattern` (`app.version`,
    /// `app.*`, or `*` for all).
    pub fn allow_function(mut self, pattern: impl Into<String>) -> Self {
        self.functions.push(pattern.into());
        self
    }

    /// Sets the memory limit, in MiB.
    pub fn memory_mb(mut self, mb: u64) -> Self {
        self.limits.memory_bytes = mb.saturating_mul(1024 * 1024);
        self
    }

    /// Sets the time limit of one call.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.limits.timeout = timeout;
        self
    }

    /// The policy of the plugin `loaded` describes: its requests intersected with these
    /// grants.
    pub fn policy_for(&self, loaded: &LoadedManifest) -> Result<Policy, PolicyError> {
        let requested = Policy::from_manifest(loaded)?;
        let m = &loaded.manifest;
        let mut policy = Policy::new(&m.name, &loaded.dir);
        let limits = &self.limits;
        let name = m.name.as_str();
        let asked_memory = m.limits.memory_mb.map(|mb| mb.saturating_mul(1024 * 1024));
        policy.memory_bytes = lowered(name, "memoryMb", asked_memory, limits.memory_bytes);
        let asked_timeout = m.limits.timeout_ms.map(Duration::from_millis);
        policy.timeout = lowered(name, "timeoutMs", asked_timeout, limits.timeout);
        policy.max_message_bytes = lowered(
            name,
            "maxMessageBytes",
            m.limits.max_message_bytes,
            limits.max_message_bytes,
        );
        policy.fuel = match (m.limits.fuel, limits.fuel) {
            (Some(asked), Some(host)) => Some(asked.min(host)),
            (asked, host) => asked.or(host),
        };
        policy.functions = self.functions.clone();
        // Names only: what they name is granted (or not) below.
        policy.guest_paths = requested.guest_paths.clone();
        if self.everything_requested {
            policy.fs = requested.fs.clone();
            policy.env = requested.env.clone();
            policy.network = requested.network.clone().map(|net| self.net_limits(net));
            return Ok(policy);
        }
        self.intersect_fs(&requested, &mut policy);
        self.intersect_env(&requested, &mut policy);
        self.intersect_network(&requested, &mut policy);
        Ok(policy)
    }

    fn net_limits(&self, mut net: NetworkPolicy) -> NetworkPolicy {
        net.timeout = net.timeout.min(self.limits.fetch_timeout);
        net.max_response_bytes = net.max_response_bytes.min(self.limits.max_response_bytes);
        net
    }

    fn intersect_fs(&self, requested: &Policy, policy: &mut Policy) {
        let own = self.own_directory.map(|access| FsGrant {
            path: requested.base_dir.clone(),
            read: true,
            write: access == Access::Write,
        });
        let grants: Vec<&FsGrant> = self.fs.iter().chain(own.as_ref()).collect();
        for want in &requested.fs {
            let mut covered = (false, false);
            for grant in &grants {
                let path = if want.path.starts_with(&grant.path) {
                    want.path.clone()
                } else if grant.path.starts_with(&want.path) {
                    grant.path.clone()
                } else {
                    continue;
                };
                let root = FsRoot {
                    path,
                    read: want.read && grant.read,
                    write: want.write && grant.write,
                };
                if root.path == want.path {
                    covered.0 |= root.read;
                    covered.1 |= root.write;
                }
                if (root.read || root.write) && !policy.fs.contains(&root) {
                    policy.fs.push(root);
                }
            }
            let missing = FsRoot {
                path: want.path.clone(),
                read: want.read && !covered.0,
                write: want.write && !covered.1,
            };
            if missing.read || missing.write {
                policy.ungranted.fs.push(missing);
            }
        }
    }

    fn intersect_env(&self, requested: &Policy, policy: &mut Policy) {
        for name in &requested.env {
            if self.env.contains(name) {
                policy.env.push(name.clone());
            } else {
                policy.ungranted.env.push(name.clone());
            }
        }
    }

    fn intersect_network(&self, requested: &Policy, policy: &mut Policy) {
        let Some(want) = &requested.network else {
            return;
        };
        let mut prefixes = Vec::new();
        let mut methods: Vec<String> = Vec::new();
        for prefix in &want.prefixes {
            let mut covered = false;
            for grant in &self.network {
                let granted = if grant.prefix.contains(prefix) {
                    prefix.clone()
                } else if prefix.contains(&grant.prefix) {
                    grant.prefix.clone()
                } else {
                    continue;
                };
                covered |= granted == *prefix;
                if !prefixes.contains(&granted) {
                    prefixes.push(granted);
                }
                for method in &want.methods {
                    let allowed = grant.methods.as_ref().is_none_or(|m| m.contains(method));
                    if allowed && !methods.contains(method) {
                        methods.push(method.clone());
                    }
                }
            }
            if !covered {
                policy
                    .ungranted
                    .url_prefixes
                    .push(prefix.as_str().to_owned());
            }
        }
        if !prefixes.is_empty() && !methods.is_empty() {
            policy.network = Some(self.net_limits(NetworkPolicy {
                prefixes,
                methods,
                timeout: want.timeout,
                max_response_bytes: want.max_response_bytes,
            }));
        }
    }
}

/// The manifest's value when it asks for no more than the host's, else the host's (with a
/// warning: the plugin asked to be raised past what the host allows).
fn lowered<T: Ord + Copy>(plugin: &str, field: &str, asked: Option<T>, host: T) -> T {
    match asked {
        Some(asked) if asked > host => {
            tracing::warn!(target: "interop::grants", plugin, "limits.{field} asks for more than the host allows; the host's limit applies");
            host
        }
        Some(asked) => asked,
        None => host,
    }
}

fn real(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    abs.canonicalize().unwrap_or_else(|_| normalize(&abs))
}

/// What a manifest requests that the host did not grant, kept so that a refusal can name
/// the missing grant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ungranted {
    /// Requested roots with the access that was not granted.
    pub fs: Vec<FsRoot>,
    /// Requested URL prefixes not (wholly) granted.
    pub url_prefixes: Vec<String>,
    /// Requested environment variables not granted.
    pub env: Vec<String>,
}

impl Ungranted {
    /// Why `path` (absolute, normalised) is refused for `access`, when the reason is a
    /// requested root the host did not grant.
    pub fn fs_reason(&self, path: &Path, access: Access) -> Option<String> {
        let root = self
            .fs
            .iter()
            .find(|r| r.grants(access) && path.starts_with(&r.path))?;
        let (verb, flag) = match access {
            Access::Read => ("read", "--allow-path"),
            Access::Write => ("write", "--allow-write"),
        };
        Some(format!(
            "the manifest requests {verb} access to {}, but the host has not granted it \
             (grant it with `{flag} {}`, or `Grants::allow_path` in an application)",
            root.path.display(),
            root.path.display()
        ))
    }

    /// Why the environment variable `name` is refused, when the manifest requests it.
    pub fn env_reason(&self, name: &str) -> Option<String> {
        self.env.iter().any(|n| n == name).then(|| {
            format!(
                "the manifest requests environment variable `{name}`, but the host has not \
                 granted it (grant it with `--allow-env {name}`, or `Grants::allow_env` in an \
                 application)"
            )
        })
    }

    /// Why fetching `url` is refused, when the manifest requests a prefix the host did
    /// not grant.
    pub fn url_reason(&self, url: &url::Url) -> Option<String> {
        let prefix = self
            .url_prefixes
            .iter()
            .find(|p| UrlPrefix::parse(p).is_ok_and(|prefix| prefix.matches(url)))?;
        let host = url.host_str().unwrap_or_default();
        Some(format!(
            "the manifest requests {prefix}, but the host has not granted it (grant it with \
             `--allow-host {host}` or `--allow-url {prefix}`, or `Grants::allow_url` in an \
             application)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interop_protocol::validate_value;
    use serde_json::json;

    /// A plugin directory with `data/` and `cache/`, whose manifest requests `permissions`
    /// and `limits`.
    fn plugin(
        permissions: serde_json::Value,
        limits: serde_json::Value,
    ) -> (tempfile::TempDir, LoadedManifest) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::create_dir_all(dir.path().join("cache")).unwrap();
        let manifest = validate_value(
            &json!({
                "name": "p", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "p.wasm"},
                "permissions": permissions,
                "limits": limits
            }),
            None,
        )
        .unwrap();
        let loaded = LoadedManifest {
            manifest,
            path: dir.path().join("plugin.json"),
            dir: dir.path().canonicalize().unwrap(),
        };
        (dir, loaded)
    }

    #[test]
    fn guest_paths_of_the_manifest_name_the_granted_roots_and_those_below_them() {
        let (dir, loaded) = plugin(
            json!({"fs": [{"path": "data", "guestPath": "/data"}]}),
            json!({}),
        );
        let policy = Grants::default().policy_for(&loaded).unwrap();
        let data = dir.path().canonicalize().unwrap().join("data");
        assert_eq!(policy.guest_name(&data).as_deref(), Some("/data"));
        assert_eq!(
            policy.guest_name(&data.join("sub")).as_deref(),
            Some("/data/sub")
        );
        assert_eq!(policy.guest_name(&dir.path().join("cache")), None);
    }

    #[test]
    fn by_default_a_plugin_reads_what_it_asks_for_in_its_own_directory_and_nothing_else() {
        let (dir, loaded) = plugin(
            json!({
                "fs": [{"path": "data", "write": true}, {"path": "/etc"}],
                "network": {"allowedUrlPrefixes": ["https://api.example.com/"]},
                "env": ["HOME"]
            }),
            json!({}),
        );
        let policy = Grants::default().policy_for(&loaded).unwrap();
        let data = dir.path().canonicalize().unwrap().join("data");
        assert_eq!(
            policy.fs,
            [FsRoot {
                path: data.clone(),
                read: true,
                write: false
            }]
        );
        assert!(policy.network.is_none() && policy.env.is_empty());
        // What was asked for and not granted is remembered, to name the missing grant.
        assert!(policy
            .ungranted
            .fs
            .iter()
            .any(|r| r.path == data && r.write && !r.read));
        assert!(policy
            .ungranted
            .fs
            .iter()
            .any(|r| r.path == Path::new("/etc") && r.read));
        assert_eq!(policy.ungranted.env, ["HOME"]);
        assert_eq!(policy.ungranted.url_prefixes, ["https://api.example.com/"]);
    }

    #[test]
    fn a_refused_call_names_the_missing_grant() {
        let (_dir, loaded) = plugin(
            json!({"fs": [{"path": "/etc"}], "env": ["HOME"]}),
            json!({}),
        );
        let policy = Grants::default().policy_for(&loaded).unwrap();
        let err = policy
            .resolve_path("/etc/hostname", Access::Read)
            .unwrap_err();
        assert!(
            err.message.contains(
                "the manifest requests read access to /etc, but the host has not granted it"
            ),
            "{err}"
        );
        assert!(err.message.contains("--allow-path /etc"), "{err}");
        let reason = policy.ungranted.env_reason("HOME").unwrap();
        assert!(reason.contains("--allow-env HOME"), "{reason}");
    }

    #[test]
    fn fs_grants_intersect_with_requests_both_ways() {
        let (dir, loaded) = plugin(
            json!({"fs": [{"path": "/usr", "write": true}, {"path": "data"}]}),
            json!({}),
        );
        let grants = Grants::none()
            .allow_path("/usr/share", false)
            .allow_path(dir.path().join("data/sub"), true);
        let policy = grants.policy_for(&loaded).unwrap();
        // The request /usr narrowed to the granted /usr/share, read-only;
        // the request data (read) narrowed to the granted data/sub, still read-only.
        let sub = dir.path().canonicalize().unwrap().join("data/sub");
        assert_eq!(
            policy.fs,
            [
                FsRoot {
                    path: PathBuf::from("/usr/share"),
                    read: true,
                    write: false
                },
                FsRoot {
                    path: sub,
                    read: true,
                    write: false
                },
            ]
        );
    }

    #[test]
    fn network_grants_intersect_prefixes_and_methods() {
        let (_dir, loaded) = plugin(
            json!({"network": {
                "allowedUrlPrefixes": ["https://api.example.com/v1/", "https://other.example.com/"],
                "allowedMethods": ["GET", "POST"]
            }}),
            json!({}),
        );
        let mut grants = Grants::none().allow_host("api.example.com").unwrap();
        grants.network[0].methods = Some(vec!["GET".into()]);
        let policy = grants.policy_for(&loaded).unwrap();
        let net = policy.network.clone().unwrap();
        let prefixes: Vec<&str> = net.prefixes.iter().map(UrlPrefix::as_str).collect();
        assert_eq!(prefixes, ["https://api.example.com/v1/"]);
        assert_eq!(net.methods, ["GET"]);
        assert!(policy
            .check_url("https://api.example.com/v1/x", "GET")
            .is_ok());
        let other = policy
            .check_url("https://other.example.com/x", "GET")
            .unwrap_err();
        assert!(
            other.message.contains("--allow-host other.example.com"),
            "{other}"
        );
        assert!(policy
            .check_url("https://api.example.com/v1/x", "POST")
            .is_err());
    }

    #[test]
    fn a_manifest_lowers_limits_but_never_raises_them() {
        let (_dir, loaded) = plugin(json!({}), json!({"memoryMb": 8, "timeoutMs": 60000}));
        let policy = Grants::default().policy_for(&loaded).unwrap();
        assert_eq!(policy.memory_bytes, 8 * 1024 * 1024);
        assert_eq!(policy.timeout, Duration::from_secs(10));
        let raised = Grants::default()
            .timeout(Duration::from_secs(120))
            .policy_for(&loaded)
            .unwrap();
        assert_eq!(raised.timeout, Duration::from_secs(60));
        let (_dir, silent) = plugin(json!({}), json!({}));
        let host = Grants::default()
            .memory_mb(512)
            .policy_for(&silent)
            .unwrap();
        assert_eq!(host.memory_bytes, 512 * 1024 * 1024);
    }

    #[test]
    fn everything_requested_grants_the_request_within_the_hosts_limits() {
        let (_dir, loaded) = plugin(
            json!({"fs": [{"path": "/tmp", "write": true}], "env": ["HOME"],
                   "network": {"allowedUrlPrefixes": ["https://x.example/"], "maxResponseSize": 999999999}}),
            json!({"memoryMb": 4096}),
        );
        let policy = Grants::requested().policy_for(&loaded).unwrap();
        assert!(policy.fs[0].write && policy.env == ["HOME"]);
        assert_eq!(
            policy.network.unwrap().max_response_bytes,
            DEFAULT_MAX_RESPONSE_BYTES
        );
        assert_eq!(policy.memory_bytes, DEFAULT_MEMORY_MB * 1024 * 1024);
        assert_eq!(policy.ungranted, Ungranted::default());
    }
}
