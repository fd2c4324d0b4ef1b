//! [`Error`]: a failure that crossed the boundary from the host (a denied path, a
//! missing file, a refused URL), or one the guest raises itself.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A host error, with the fields of interop's `PluginError` JSON (`kind`, `message`,
/// `plugin`, `data`), or an error raised by the guest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Error {
    /// What kind of failure: `denied`, `fs`, `network`, `not_found`, `limit_exceeded`,
    /// `invalid_input`, `exec`, `internal`...
    pub kind: String,
    /// What happened, for people.
    pub message: String,
    /// The plugin concerned, when the host named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Structured details (the path refused, the limit hit...), boxed to keep
    /// `Result<_, Error>` small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<Value>>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            kind: kind.into(),
            message: message.into(),
            plugin: None,
            data: None,
        }
    }

    /// An `exec` error: the guest's own failure.
    pub fn exec(message: impl Into<String>) -> Self {
        Error::new("exec", message)
    }

    /// An `invalid_input` error: the call's input is not what the handler expects.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new("invalid_input", message)
    }

    /// Reads the error JSON the host left in the return buffer after a failed host call;
    /// text that is not such JSON becomes an `internal` error quoting it.
    pub fn from_host_json(bytes: &[u8]) -> Self {
        serde_json::from_slice(bytes).unwrap_or_else(|_| {
            Error::new(
                "internal",
                format!(
                    "the host returned an unreadable error: {}",
                    String::from_utf8_lossy(bytes)
                ),
            )
        })
    }

    /// Whether the host refused the operation under the plugin's permissions.
    pub fn is_denied(&self) -> bool {
        self.kind == "denied"
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new("parse", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_error_json_keeps_its_kind_message_and_data() {
        let e = Error::from_host_json(
            br#"{"kind":"denied","message":"path `../x`: `..` is not allowed","plugin":"p","data":{"path":"../x"}}"#,
        );
        assert!(e.is_denied());
        assert_eq!(e.plugin.as_deref(), Some("p"));
        assert_eq!(e.data, Some(Box::new(serde_json::json!({"path": "../x"}))));
        assert_eq!(e.to_string(), "denied: path `../x`: `..` is not allowed");
    }

    #[test]
    fn unreadable_host_error_text_becomes_an_internal_error_quoting_it() {
        let e = Error::from_host_json(b"boom");
        assert_eq!(e.kind, "internal");
        assert!(e.message.contains("boom"), "{}", e.message);
    }
}
