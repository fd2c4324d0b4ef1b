//! The flags shared by every command that runs plugins: what the host grants, on top of
//! the defaults (reads inside a plugin's own directory, 64 MiB, 10 s per call), and the
//! plugin's configuration keys the host sets (`--config K=V`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use interop_host::Host;
use serde_json::Value;

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
    /// Set the plugin's config key K to V, over its manifest's `config` (repeatable). V is
    /// parsed as JSON (`3`, `true`, '{"a": 1}'), else taken as a string.
    #[arg(long = "config", value_name = "K=V", value_parser = parse_config)]
    config: Vec<(String, Value)>,
    /// Append the audit trail (one JSON line per host call, allowed or denied) to FILE;
    /// `interop audit FILE` reads it.
    #[arg(long = "audit", value_name = "FILE")]
    audit: Option<PathBuf>,
}

/// `K=V` of `--config`: the key, and V as JSON or else as a string.
fn parse_config(text: &str) -> Result<(String, Value), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: expected KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("`{text}`: the key before `=` is empty"));
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

impl GrantArgs {
    /// Grants what the flags say to every plugin `host` loads.
    pub fn apply(&self, host: &mut Host) -> anyhow::Result<()> {
        if let Some(file) = &self.audit {
            let out = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(file)
                .with_context(|| format!("--audit: cannot open `{}`", file.display()))?;
            host.audit().stream_to(out);
        }
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

    /// A host with every backend and these grants, which sets the `--config` keys of
    /// the plugin named `plugin`.
    pub fn host_for(&self, plugin: &str) -> anyhow::Result<Host> {
        self.host_for_each(&[plugin])
    }

    /// A host with every backend and these grants, which sets the `--config` keys of
    /// each plugin of `plugins`.
    pub fn host_for_each(&self, plugins: &[&str]) -> anyhow::Result<Host> {
        let mut host = Host::new();
        self.apply(&mut host)?;
        for plugin in plugins {
            self.configure(&mut host, plugin);
        }
        Ok(host)
    }

    /// Sets the `--config` keys of the plugin named `plugin` in `host`.
    pub fn configure(&self, host: &mut Host, plugin: &str) {
        for (key, value) in &self.config {
            host.set_config(plugin, key, value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse_config;

    #[test]
    fn a_config_value_is_json_when_it_parses_and_a_string_otherwise() {
        assert_eq!(parse_config("times=3").unwrap(), ("times".into(), json!(3)));
        assert_eq!(
            parse_config("greeting=Hi there").unwrap(),
            ("greeting".into(), json!("Hi there"))
        );
        assert_eq!(
            parse_config("opts={\"a\": [1]}").unwrap(),
            ("opts".into(), json!({"a": [1]}))
        );
        assert_eq!(
            parse_config("url=a=b").unwrap(),
            ("url".into(), json!("a=b"))
        );
    }

    #[test]
    fn a_config_flag_without_a_key_is_refused() {
        assert!(parse_config("novalue").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_config("=3").unwrap_err().contains("empty"));
    }
}
