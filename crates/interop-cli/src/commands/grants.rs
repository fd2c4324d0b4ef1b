//! The grant flags shared by every command that runs plugins: what the host grants, on
//! top of the defaults (reads inside a plugin's own directory, 64 MiB, 10 s per call).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use interop_host::Host;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct GrantArgs {
    /// Grant reading under PATH, where the manifest asks for it (repeatable).
    #[arg(long = "allow-path", value_name = "PATH")]
    allow_path: Vec<PathBuf>,
    /// Grant reading and writing under PATH, where the manifest asks for it (repeatable).
    #[arg(long = "allow-write", value_name = "PATH")]
    allow_write: Vec<PathBuf>,
    /// Grant HTTP(S) requests to HOST (`api.example.com`, `127.0.0.1:8080`), where the
    /// manifest asks for them (repeatable).
    #[arg(long = "allow-host", value_name = "HOST")]
    allow_host: Vec<String>,
    /// Grant HTTP(S) requests under a URL prefix, where the manifest asks for them
    /// (repeatable).
    #[arg(long = "allow-url", value_name = "PREFIX")]
    allow_url: Vec<String>,
    /// Grant reading the environment variable NAME, where the manifest asks for it
    /// (repeatable).
    #[arg(long = "allow-env", value_name = "NAME")]
    allow_env: Vec<String>,
    /// Grant whatever the manifest requests (its limits stay the host's).
    #[arg(long)]
    grant_requested: bool,
    /// Read grants from a JSON grants file (see docs/security.md); flags add to its
    /// host-wide grants.
    #[arg(long = "grants", value_name = "FILE")]
    grants_file: Option<PathBuf>,
    /// Memory limit in MiB (default 64); a manifest may ask for less, never more.
    #[arg(long, value_name = "MIB")]
    memory: Option<u64>,
    /// Time limit of one call in milliseconds (default 10000); a manifest may ask for
    /// less, never more.
    #[arg(long, value_name = "MS")]
    timeout: Option<u64>,
}

impl GrantArgs {
    /// Grants what the flags say to every plugin `host` loads.
    pub fn apply(&self, host: &mut Host) -> anyhow::Result<()> {
        if let Some(file) = &self.grants_file {
            host.apply_grants_file(file)?;
        }
        let mut grants = host.grants().clone();
        if self.grant_requested {
            grants.everything_requested = true;
        }
        for path in &self.allow_path {
            grants = grants.allow_path(path, false);
        }
        for path in &self.allow_write {
            grants = grants.allow_path(path, true);
        }
        for h in &self.allow_host {
            grants = grants
                .allow_host(h)
                .map_err(anyhow::Error::msg)
                .context("--allow-host")?;
        }
        for prefix in &self.allow_url {
            grants = grants
                .allow_url(prefix)
                .map_err(anyhow::Error::msg)
                .context("--allow-url")?;
        }
        for name in &self.allow_env {
            grants = grants.allow_env(name);
        }
        if let Some(mb) = self.memory {
            grants = grants.memory_mb(mb);
        }
        if let Some(ms) = self.timeout {
            grants = grants.timeout(Duration::from_millis(ms));
        }
        host.set_grants(grants);
        Ok(())
    }

    /// A host with every backend and these grants.
    pub fn host(&self) -> anyhow::Result<Host> {
        let mut host = Host::new();
        self.apply(&mut host)?;
        Ok(host)
    }
}
