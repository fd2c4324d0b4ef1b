//! JSON text at the boundary: action calls whose input and result data stay JSON text.
//!
//! [`Plugin::invoke`](crate::Plugin::invoke) takes and returns `serde_json::Value` trees.
//! For a structured document, building the tree and printing it again costs far more than
//! carrying the document to the plugin and back (a 1 KiB object of 36 records in and out
//! of a wasm plugin: 29 µs through `Value`, 3.7 µs as text; docs/benchmarks.md). A caller
//! that has JSON text in hand and wants JSON text back (a server forwarding a request
//! body, a binding handed a string by JavaScript) calls
//! [`Plugin::invoke_raw`](crate::Plugin::invoke_raw) instead: the input reaches the
//! plugin as the caller's text, and the result's data comes back as the plugin's text.
//!
//! A plugin's output is untrusted, so it is still checked once to be exactly one JSON
//! value (a `parse` error naming the plugin otherwise): [`RawValue`] promises valid JSON,
//! and an application may splice it into a larger document. That one scan is the whole
//! cost a raw call adds to the copy across the boundary. The reply is read by the same
//! rules as [`ActionResult::from_reply`].

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
pub use serde_json::value::RawValue;
use serde_json::Value;

use crate::{ActionResult, PluginError};

/// An action's result whose data is the JSON text the plugin wrote.
///
/// The counterpart of [`ActionResult`] for [`Plugin::invoke_raw`](crate::Plugin::invoke_raw).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RawActionResult {
    /// Whether the action succeeded.
    pub success: bool,
    /// A human-readable result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Structured result data, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Box<RawValue>>,
    /// Why the action failed, when `success` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PluginError>,
}

impl RawActionResult {
    /// Reads a plugin's reply by the rules of [`ActionResult::from_reply`]: a full result
    /// object (`{"success": ..}`), or a bare value taken as success (a string becomes
    /// `text`, `null` nothing, anything else `data`).
    pub fn from_reply(reply: Box<RawValue>) -> Self {
        let json = reply.get();
        match json.as_bytes().first() {
            Some(b'"') => match serde_json::from_str::<String>(json) {
                Ok(text) => RawActionResult {
                    success: true,
                    text: Some(text),
                    ..Default::default()
                },
                Err(_) => RawActionResult::data(reply),
            },
            Some(b'n') => RawActionResult {
                success: true,
                ..Default::default()
            },
            Some(b'{') if has_success_key(json) => {
                serde_json::from_str(json).unwrap_or_else(|_| RawActionResult::data(reply))
            }
            _ => RawActionResult::data(reply),
        }
    }

    /// A successful result carrying `data`.
    pub fn data(data: Box<RawValue>) -> Self {
        RawActionResult {
            success: true,
            data: Some(data),
            ..Default::default()
        }
    }

    /// The same result with its data parsed into a `Value`.
    pub fn into_result(self) -> Result<ActionResult, PluginError> {
        let data =
            match self.data {
                Some(raw) => Some(serde_json::from_str(raw.get()).map_err(|e| {
                    PluginError::parse(format!("the result's data is not JSON: {e}"))
                })?),
                None => None,
            };
        Ok(ActionResult {
            success: self.success,
            text: self.text,
            data,
            error: self.error,
        })
    }
}

impl TryFrom<ActionResult> for RawActionResult {
    type Error = PluginError;

    /// Prints the result's data as JSON text.
    fn try_from(result: ActionResult) -> Result<Self, PluginError> {
        let data = match &result.data {
            Some(value) => Some(to_raw(value)?),
            None => None,
        };
        Ok(RawActionResult {
            success: result.success,
            text: result.text,
            data,
            error: result.error,
        })
    }
}

/// `value` printed as JSON text.
pub fn to_raw<T: Serialize + ?Sized>(value: &T) -> Result<Box<RawValue>, PluginError> {
    serde_json::value::to_raw_value(value)
        .map_err(|e| PluginError::internal(format!("printing JSON: {e}")))
}

/// `input` read into a `Value`, for a path that needs one; an `invalid_input` error
/// prefixed with `what` (the call) otherwise (past serde_json's nesting limit, say).
pub fn to_value(input: &RawValue, what: impl std::fmt::Display) -> Result<Value, PluginError> {
    serde_json::from_str(input.get())
        .map_err(|e| PluginError::invalid_input(format!("{what}: {e}")))
}

/// Checks that a plugin's `output` is exactly one JSON value and keeps it as text; the
/// error says what is wrong and shows the start of the output.
pub fn raw_output(output: Vec<u8>) -> Result<Box<RawValue>, PluginError> {
    // The check takes the text over; its start is kept (on the stack) for the error.
    let len = output.len();
    let mut head = [0u8; 160];
    let kept = len.min(head.len());
    head[..kept].copy_from_slice(&output[..kept]);
    let shown = |why: String| {
        PluginError::parse(format!(
            "{why}: {}{}",
            String::from_utf8_lossy(&head[..kept]),
            if len > kept { "..." } else { "" }
        ))
    };
    let text = String::from_utf8(output)
        .map_err(|e| shown(format!("the output is not UTF-8 ({})", e.utf8_error())))?;
    RawValue::from_string(text)
        .map_err(|e| shown(format!("the output is not one JSON value ({e})")))
}

/// Whether the JSON object `json` (valid JSON) has a top-level key `success`.
///
/// Most replies never spell the word: a substring search rules them out at memory speed,
/// and only the others are read key by key (which also finds `"\u0073uccess"`).
fn has_success_key(json: &str) -> bool {
    let may = memchr::memmem::find(json.as_bytes(), b"success").is_some()
        || memchr::memmem::find(json.as_bytes(), b"\\u").is_some();
    may && serde_json::Deserializer::from_str(json)
        .deserialize_map(FindKey("success"))
        .unwrap_or(false)
}

/// Reads an object's keys, skipping their values: whether it has the one it names.
struct FindKey(&'static str);

impl<'de> Visitor<'de> for FindKey {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        // To the end of the object: serde_json checks that the visitor read all of it.
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            found |= key == self.0;
            map.next_value::<IgnoredAny>()?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    /// Each reply read from text gives what the same reply read as a `Value` gives.
    #[test]
    fn replies_read_from_text_as_from_values() {
        for reply in [
            json!(null),
            json!("Hello"),
            json!(42),
            json!([1, 2]),
            json!({"items": [1, 2], "note": "no key of a result"}),
            json!({"success": false, "error": {"kind": "exec", "message": "no"}}),
            json!({"success": true, "text": "t", "data": {"a": [1]}}),
            json!({"nested": {"success": true}}),
            json!({"success": "not a boolean"}),
        ] {
            let text = raw(&reply.to_string());
            let from_text = RawActionResult::from_reply(text).into_result().unwrap();
            assert_eq!(
                from_text,
                ActionResult::from_reply(reply.clone()),
                "{reply}"
            );
        }
    }

    #[test]
    fn an_escaped_success_key_is_still_the_success_key() {
        let reply = raw(r#"{"\u0073uccess": false, "text": "escaped"}"#);
        let result = RawActionResult::from_reply(reply);
        assert!(!result.success);
        assert_eq!(result.text.as_deref(), Some("escaped"));
    }

    #[test]
    fn data_keeps_the_plugins_text() {
        let result = RawActionResult::from_reply(raw(r#"{"b":1,"a":[true]}"#));
        assert_eq!(result.data.unwrap().get(), r#"{"b":1,"a":[true]}"#);
    }

    #[test]
    fn output_that_is_not_one_json_value_is_a_parse_error() {
        for bad in [&b"1, \"admin\": true"[..], b"{\"a\":", b"", b"\xff\xfe"] {
            let err = raw_output(bad.to_vec()).unwrap_err();
            assert_eq!(err.kind, crate::ErrorKind::Parse, "{err}");
        }
        assert_eq!(raw_output(b" [1] ".to_vec()).unwrap().get(), "[1]");
        let value: Value = serde_json::from_str(raw_output(b"{}".to_vec()).unwrap().get()).unwrap();
        assert_eq!(value, json!({}));
    }
}
