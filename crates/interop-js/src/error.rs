//! Errors of the JS runtime: a thrown JS exception (with its stack), a limit that stopped
//! the script, a host function's error the script did not catch, and the rest.

use std::borrow::Cow;

use interop_protocol::{ErrorKind, PluginError};
use serde_json::{json, Value};

/// Longest error message shown to people (a [`PluginError`]'s message, an [`Error`]'s
/// `Display`); the whole message, up to the runtime's largest message, stays in
/// [`JsException::message`].
pub(crate) const SHOWN_MESSAGE_BYTES: usize = 2048;

/// `text` cut to at most `max` bytes (at a character boundary), saying how much was cut.
pub(crate) fn cut(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!(
        "{}... ({} more bytes)",
        &text[..end],
        text.len() - end
    ))
}

fn for_people(text: &str) -> Cow<'_, str> {
    cut(text, SHOWN_MESSAGE_BYTES)
}

/// A JavaScript exception that escaped the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsException {
    /// The error's `name` (`TypeError`, `Error`...; `Thrown` for a non-object thrown).
    pub name: String,
    /// The error's `message` (or the thrown value as text).
    pub message: String,
    /// The JS stack trace, when V8 has one.
    pub stack: String,
}

/// What can go wrong running JavaScript.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The script threw and did not catch.
    #[error("{}: {}", .0.name, for_people(&.0.message))]
    Thrown(JsException),
    /// A host function failed and the script did not catch its exception: the host's
    /// error comes back with its kind (`denied`, `fs`...). Also any thrown `Error` whose
    /// `kind` property names an error kind, which is how a script picks its error's kind.
    #[error("{0}")]
    Host(PluginError),
    /// The script was stopped at a limit (`memory`, `time`), or its result was too large
    /// (`message_size`).
    #[error("{limit} limit exceeded: {message}")]
    Limit {
        /// `memory`, `time` or `message_size`.
        limit: &'static str,
        /// What happened.
        message: String,
    },
    /// The function asked for does not exist (or is not a function).
    #[error("{0}")]
    NotFound(String),
    /// The runtime is closed.
    #[error("the runtime is closed")]
    Closed,
    /// The engine failed otherwise (could not create an isolate, bad arguments...).
    #[error("{0}")]
    Engine(String),
}

impl Error {
    /// The host's [`PluginError`] for this error, naming `plugin`: a thrown exception is
    /// `exec` (with `name` and `stack` in `data`), limits are `limit_exceeded` with the limit
    /// named.
    pub fn into_plugin_error(self, plugin: &str) -> PluginError {
        let err = match self {
            Error::Thrown(e) => {
                PluginError::exec(format!("{}: {}", e.name, for_people(&e.message)))
                    .with_data(json!({ "name": e.name, "stack": e.stack }))
            }
            Error::Host(e) => e,
            Error::Limit { limit, message } => PluginError::limit(limit, message),
            Error::NotFound(m) => PluginError::not_found(m),
            Error::Closed => PluginError::not_found(format!("plugin `{plugin}` is unloaded")),
            Error::Engine(m) => PluginError::internal(m),
        };
        err.in_plugin(plugin)
    }

    /// Builds the error from the shim's description of an exception.
    pub(crate) fn from_thrown(json_text: &str) -> Error {
        let v: Value = serde_json::from_str(json_text).unwrap_or(Value::Null);
        let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        let (name, message, stack) = (text("name"), text("message"), text("stack"));
        if let Some(kind) = v.get("kind").and_then(Value::as_str) {
            if let Ok(kind) = serde_json::from_value::<ErrorKind>(json!(kind)) {
                // Host errors reach JS as "<kind>: <message>"; give back the message.
                let prefix = format!("{}: ", kind.as_str());
                let message = for_people(message.strip_prefix(&prefix).unwrap_or(&message));
                let mut data = json!({ "stack": stack });
                if let Some(limit) = v.get("limit").and_then(Value::as_str) {
                    data["limit"] = json!(limit);
                }
                return Error::Host(PluginError::new(kind, message).with_data(data));
            }
        }
        Error::Thrown(JsException {
            name,
            message,
            stack,
        })
    }
}

impl From<Error> for PluginError {
    fn from(e: Error) -> PluginError {
        let plugin = String::new();
        let mut err = e.into_plugin_error(&plugin);
        if err.plugin.as_deref() == Some("") {
            err.plugin = None;
        }
        err
    }
}
