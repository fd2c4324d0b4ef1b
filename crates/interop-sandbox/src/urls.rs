//! URL and method checks on parsed URLs.
//!
//! A string prefix test would let `https://api.example.com.evil.com/` through a grant of
//! `https://api.example.com`, and `https://api.example.com@evil.com/` through anything.
//! So both the grant and the request are parsed (WHATWG rules, by the `url` crate) and
//! compared part by part:
//! - scheme, host and port must be equal (hosts are lower-cased and IDNA-normalised by
//!   the parser; the default port is made explicit);
//! - the request's path must start with the grant's path on a segment boundary
//!   (`/v1` grants `/v1` and `/v1/x`, not `/v10`); dot segments, including the
//!   percent-encoded `%2e%2e`, are already resolved by the parser;
//! - requests with credentials (`user:pass@`) are refused, and so are encoded slashes and
//!   backslashes (`%2f`, `%5c`) in the path, which some servers decode into separators.

use url::Url;

use interop_protocol::PluginError;

use crate::policy::Policy;

/// A granted URL prefix, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPrefix {
    scheme: String,
    host: String,
    port: u16,
    path: String,
    text: String,
}

impl UrlPrefix {
    /// Parses a grant such as `https://api.example.com/v1/`.
    pub fn parse(prefix: &str) -> Result<Self, String> {
        let url = Url::parse(prefix).map_err(|e| format!("`{prefix}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "`{prefix}`: only http and https URLs can be granted"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "`{prefix}`: a granted URL may not contain credentials"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "`{prefix}`: a granted URL may not contain a query or fragment"
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| format!("`{prefix}` has no host"))?;
        Ok(UrlPrefix {
            scheme: url.scheme().to_owned(),
            host: host.to_owned(),
            port: url.port_or_known_default().unwrap_or(0),
            path: url.path().to_owned(),
            text: prefix.to_owned(),
        })
    }

    /// The prefix as written in the grant.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `url` (already parsed and screened) falls under this prefix.
    pub fn matches(&self, url: &Url) -> bool {
        if url.scheme() != self.scheme
            || url.host_str() != Some(self.host.as_str())
            || url.port_or_known_default() != Some(self.port)
        {
            return false;
        }
        self.covers_path(url.path())
    }

    /// Whether everything under `other` is also under this prefix.
    pub fn contains(&self, other: &UrlPrefix) -> bool {
        self.scheme == other.scheme
            && self.host == other.host
            && self.port == other.port
            && self.covers_path(&other.path)
    }

    /// Whether `path` lies under this prefix's path, on a segment boundary.
    fn covers_path(&self, path: &str) -> bool {
        if self.path.ends_with('/') {
            path.starts_with(&self.path)
        } else {
            path == self.path
                || path
                    .strip_prefix(&self.path)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    }
}

impl Policy {
    /// Checks that the plugin may send a `method` request to `url`; returns the parsed URL.
    pub fn check_url(&self, url: &str, method: &str) -> Result<Url, PluginError> {
        let deny = |why: String| {
            PluginError::denied(format!("{method} {url}: {why}"))
                .in_plugin(&self.plugin)
                .with_data(serde_json::json!({ "url": url, "method": method }))
        };
        let parsed = Url::parse(url).map_err(|e| {
            PluginError::invalid_input(format!("`{url}` is not a URL: {e}")).in_plugin(&self.plugin)
        })?;
        let ungranted = || self.ungranted.url_reason(&parsed);
        let Some(net) = &self.network else {
            return Err(deny(
                ungranted().unwrap_or_else(|| "the plugin has no network permission".into()),
            ));
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(deny(format!("scheme `{}` is not allowed", parsed.scheme())));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(deny("URLs with credentials are not allowed".into()));
        }
        let lower = parsed.path().to_ascii_lowercase();
        if lower.contains("%2f") || lower.contains("%5c") {
            return Err(deny(
                "encoded `/` or `\\` in the path is not allowed".into(),
            ));
        }
        if !net.prefixes.iter().any(|p| p.matches(&parsed)) {
            if let Some(why) = ungranted() {
                return Err(deny(why));
            }
            let granted: Vec<&str> = net.prefixes.iter().map(UrlPrefix::as_str).collect();
            return Err(deny(format!(
                "not under an allowed prefix ({})",
                granted.join(", ")
            )));
        }
        let upper = method.to_ascii_uppercase();
        if !net.methods.contains(&upper) {
            return Err(deny(format!(
                "method not allowed (allowed: {})",
                net.methods.join(", ")
            )));
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use interop_protocol::ErrorKind;

    fn policy() -> Policy {
        Policy::new("p", "/tmp")
            .with_network(
                &["https://api.example.com/v1", "http://127.0.0.1:8080/data/"],
                &["GET", "POST"],
            )
            .unwrap()
    }

    fn allowed(url: &str) -> bool {
        policy().check_url(url, "GET").is_ok()
    }

    #[test]
    fn urls_under_a_prefix_are_allowed() {
        assert!(allowed("https://api.example.com/v1"));
        assert!(allowed("https://api.example.com/v1/users?id=3"));
        assert!(
            allowed("https://API.EXAMPLE.com:443/v1/x"),
            "case and default port normalised"
        );
        assert!(allowed("http://127.0.0.1:8080/data/file"));
    }

    #[test]
    fn lookalike_hosts_are_denied() {
        assert!(!allowed("https://api.example.com.evil.com/v1"));
        assert!(!allowed("https://evil.com/api.example.com/v1"));
        assert!(!allowed("https://xapi.example.com/v1"));
    }

    #[test]
    fn userinfo_is_denied() {
        assert!(!allowed("https://api.example.com@evil.com/v1"));
        assert!(!allowed("https://user:pw@api.example.com/v1"));
    }

    #[test]
    fn path_tricks_are_denied() {
        assert!(!allowed("https://api.example.com/v10"), "segment boundary");
        assert!(!allowed("https://api.example.com/v1/../admin"));
        assert!(!allowed("https://api.example.com/v1/%2e%2e/admin"));
        assert!(!allowed("https://api.example.com/v1%2f..%2fadmin"));
        assert!(!allowed("https://api.example.com/v1/..%5cadmin"));
        assert!(
            !allowed("http://127.0.0.1:8080/data"),
            "prefix ends in a slash"
        );
    }

    #[test]
    fn other_schemes_ports_and_hosts_are_denied() {
        assert!(!allowed("http://api.example.com/v1"));
        assert!(!allowed("https://api.example.com:8443/v1"));
        assert!(!allowed("file:///etc/passwd"));
        assert!(!allowed("http://127.0.0.1:8081/data/file"));
        assert!(!allowed("http://localhost:8080/data/file"));
    }

    #[test]
    fn methods_outside_the_list_are_denied() {
        let p = policy();
        assert!(p.check_url("https://api.example.com/v1", "post").is_ok());
        let err = p
            .check_url("https://api.example.com/v1", "DELETE")
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied);
        assert!(err.message.contains("method"), "{err}");
    }

    #[test]
    fn no_network_permission_denies_everything() {
        let err = Policy::new("p", "/tmp")
            .check_url("https://example.com/", "GET")
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Denied);
    }

    #[test]
    fn bad_grants_are_rejected() {
        assert!(UrlPrefix::parse("ftp://x/").is_err());
        assert!(UrlPrefix::parse("https://u:p@x/").is_err());
        assert!(UrlPrefix::parse("not a url").is_err());
    }
}
