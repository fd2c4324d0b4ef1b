//! The structured error that crosses every plugin boundary.
//!
//! A plugin, a host function or the host itself can fail; whichever it is, the failure
//! travels as one [`PluginError`]: a machine-readable [`ErrorKind`], a message for people,
//! the plugin it concerns and optional structured details. It serializes to JSON so that
//! wasm guests, JavaScript, native libraries and processes all see the same shape.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What kind of failure an error is. Serialized in `snake_case` (`limit_exceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Input could not be parsed (bad JSON, bad module, bad script).
    Parse,
    /// The plugin's code failed while running (trap, thrown exception, crash).
    Exec,
    /// A resource limit was hit (memory, time, fuel, message or response size).
    LimitExceeded,
    /// A filesystem operation failed.
    Fs,
    /// A network operation failed.
    Network,
    /// The sandbox policy refused the operation.
    Denied,
    /// The thing asked for does not exist (action, provider, file, symbol, plugin).
    NotFound,
    /// The operation did not finish in time.
    Timeout,
    /// The caller's input was well-formed but not acceptable.
    InvalidInput,
    /// A bug or an unexpected state in interop itself.
    Internal,
}

impl ErrorKind {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Exec => "exec",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::Fs => "fs",
            ErrorKind::Network => "network",
            ErrorKind::Denied => "denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure, as it crosses a plugin boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[serde(deny_unknown_fields)]
pub struct PluginError {
    /// What kind of failure this is.
    pub kind: ErrorKind,
    /// What happened, for people.
    pub message: String,
    /// The plugin concerned, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin: Option<String>,
    /// Structured details (the limit that was hit, the path that was refused...). Boxed
    /// so that `Result<_, PluginError>` stays small on every call path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<Value>>,
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.plugin {
            Some(plugin) => write!(f, "plugin `{plugin}`: {}: {}", self.kind, self.message),
            None => write!(f, "{}: {}", self.kind, self.message),
        }
    }
}

impl PluginError {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        PluginError {
            kind,
            message: message.into(),
            plugin: None,
            data: None,
        }
    }

    /// Names the plugin concerned, unless one is named already.
    pub fn in_plugin(mut self, plugin: impl Into<String>) -> Self {
        if self.plugin.is_none() {
            self.plugin = Some(plugin.into());
        }
        self
    }

    /// Attaches structured details.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(Box::new(data));
        self
    }

    /// Shorthand for [`ErrorKind::Parse`].
    pub fn parse(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Parse, message)
    }
    /// Shorthand for [`ErrorKind::Exec`].
    pub fn exec(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Exec, message)
    }
    /// A [`ErrorKind::LimitExceeded`] error naming the limit (`memory`, `time`, `fuel`,
    /// `message_size`, `response_size`...) in `data.limit`.
    pub fn limit(limit: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
            .with_data(serde_json::json!({ "limit": limit }))
    }
    /// Shorthand for [`ErrorKind::Fs`].
    pub fn fs(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Fs, message)
    }
    /// Shorthand for [`ErrorKind::Network`].
    pub fn network(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Network, message)
    }
    /// Shorthand for [`ErrorKind::Denied`].
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Denied, message)
    }
    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    /// Shorthand for [`ErrorKind::Timeout`].
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }
    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// The limit named by a [`ErrorKind::LimitExceeded`] error.
    pub fn limit_name(&self) -> Option<&str> {
        self.data.as_ref()?.get("limit")?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_round_trips_through_json_with_snake_case_kind() {
        let err = PluginError::limit("memory", "grew past 64 MiB").in_plugin("bomb");
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["kind"], "limit_exceeded");
        assert_eq!(json["data"]["limit"], "memory");
        let back: PluginError = serde_json::from_value(json).unwrap();
        assert_eq!(back, err);
        assert_eq!(back.limit_name(), Some("memory"));
        assert_eq!(
            err.to_string(),
            "plugin `bomb`: limit_exceeded: grew past 64 MiB"
        );
    }
}
