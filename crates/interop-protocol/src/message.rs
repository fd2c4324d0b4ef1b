//! The messages that cross every plugin boundary: `action.invoke` -> `action.result`,
//! `provider.get` -> `provider.result`, and `hook.event` -> `hook.result`.
//!
//! In-process backends pass these structs directly; out-of-process ones send them as JSON,
//! tagged by `type` ([`Message`]). The shapes follow the plugin manifest protocol
//! (`examples/manifests/reference`):
//!
//! ```json
//! {"type": "action.invoke", "id": "1", "action": "greet", "input": "World",
//!  "memory": {}, "state": {}, "options": {}}
//! {"type": "action.result", "id": "1",
//!  "result": {"success": true, "text": "Hello, World!", "data": null}}
//! ```

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::PluginError;

fn is_null(v: &Value) -> bool {
    v.is_null()
}

/// Asks a plugin to run one of its actions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionInvoke {
    /// Correlates the result with this request.
    #[serde(default)]
    pub id: String,
    /// The action's name, as declared in the manifest.
    pub action: String,
    /// The action's input (any JSON value).
    #[serde(default, skip_serializing_if = "is_null")]
    pub input: Value,
    /// Conversation or session memory the action may use.
    #[serde(default, skip_serializing_if = "is_null")]
    pub memory: Value,
    /// Application state the action may use.
    #[serde(default, skip_serializing_if = "is_null")]
    pub state: Value,
    /// Per-call options.
    #[serde(default, skip_serializing_if = "is_null")]
    pub options: Value,
}

impl ActionInvoke {
    /// A request for `action` with `input`, and no memory, state or options.
    pub fn new(action: impl Into<String>, input: Value) -> Self {
        ActionInvoke {
            action: action.into(),
            input,
            ..Default::default()
        }
    }
}

/// What an action produced.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionResult {
    /// Whether the action succeeded.
    pub success: bool,
    /// A human-readable result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Structured result data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// Why the action failed, when `success` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<PluginError>,
}

impl ActionResult {
    /// A successful result with `text`.
    pub fn text(text: impl Into<String>) -> Self {
        ActionResult {
            success: true,
            text: Some(text.into()),
            ..Default::default()
        }
    }

    /// A successful result with structured `data`.
    pub fn data(data: Value) -> Self {
        ActionResult {
            success: true,
            data: Some(data),
            ..Default::default()
        }
    }

    /// A failed result carrying `error`.
    pub fn failure(error: PluginError) -> Self {
        ActionResult {
            success: false,
            text: Some(error.message.clone()),
            error: Some(error),
            ..Default::default()
        }
    }

    /// Reads a plugin's reply: a full result object (`{"success": ..}`), or a bare value
    /// taken as success (a string becomes `text`, anything else `data`).
    pub fn from_reply(value: Value) -> Self {
        match value {
            Value::Object(ref map) if map.contains_key("success") => {
                serde_json::from_value(value.clone()).unwrap_or_else(|_| ActionResult::data(value))
            }
            Value::String(s) => ActionResult::text(s),
            Value::Null => ActionResult {
                success: true,
                ..Default::default()
            },
            other => ActionResult::data(other),
        }
    }
}

/// Asks a plugin for one of its providers' values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderGet {
    /// Correlates the result with this request.
    #[serde(default)]
    pub id: String,
    /// The provider's name, as declared in the manifest.
    pub provider: String,
    /// Conversation or session memory.
    #[serde(default, skip_serializing_if = "is_null")]
    pub memory: Value,
    /// Application state.
    #[serde(default, skip_serializing_if = "is_null")]
    pub state: Value,
}

impl ProviderGet {
    /// A request for `provider` with no memory or state.
    pub fn new(provider: impl Into<String>) -> Self {
        ProviderGet {
            provider: provider.into(),
            ..Default::default()
        }
    }
}

/// What a provider answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderResult {
    /// A human-readable answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Named values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Value>,
    /// Structured data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ProviderResult {
    /// Reads a plugin's reply: a result object (`text`/`values`/`data`), or a bare value
    /// (a string becomes `text`, anything else `data`).
    pub fn from_reply(value: Value) -> Self {
        match value {
            Value::Object(ref map)
                if !map.is_empty()
                    && map
                        .keys()
                        .all(|k| matches!(k.as_str(), "text" | "values" | "data")) =>
            {
                serde_json::from_value(value.clone()).unwrap_or_else(|_| ProviderResult {
                    data: Some(value),
                    ..Default::default()
                })
            }
            Value::String(s) => ProviderResult {
                text: Some(s),
                ..Default::default()
            },
            Value::Null => ProviderResult::default(),
            other => ProviderResult {
                data: Some(other),
                ..Default::default()
            },
        }
    }
}

/// A host event delivered to the plugin's hook handlers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HookEvent {
    /// Correlates the result with this event.
    #[serde(default)]
    pub id: String,
    /// Event name, such as `config.reload`.
    pub event: String,
    /// Event details.
    #[serde(default, skip_serializing_if = "is_null")]
    pub payload: Value,
}

impl HookEvent {
    /// An event named `event` with `payload`.
    pub fn new(event: impl Into<String>, payload: Value) -> Self {
        HookEvent {
            event: event.into(),
            payload,
            ..Default::default()
        }
    }
}

/// Every message of the plugin protocol, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum Message {
    /// Run an action.
    #[serde(rename = "action.invoke")]
    ActionInvoke(ActionInvoke),
    /// An action's outcome.
    #[serde(rename = "action.result")]
    ActionResult {
        /// The `id` of the `action.invoke`.
        id: String,
        /// The outcome.
        result: ActionResult,
    },
    /// Ask a provider.
    #[serde(rename = "provider.get")]
    ProviderGet(ProviderGet),
    /// A provider's answer.
    #[serde(rename = "provider.result")]
    ProviderResult {
        /// The `id` of the `provider.get`.
        id: String,
        /// The answer.
        result: ProviderResult,
    },
    /// Deliver a host event.
    #[serde(rename = "hook.event")]
    HookEvent(HookEvent),
    /// What the hook handlers returned.
    #[serde(rename = "hook.result")]
    HookResult {
        /// The `id` of the `hook.event`.
        id: String,
        /// The handlers' return value.
        #[serde(default)]
        result: Value,
    },
    /// A request failed as a whole.
    #[serde(rename = "error")]
    Error {
        /// The `id` of the failed request.
        id: String,
        /// Why it failed.
        error: PluginError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_manifest_protocol_action_messages_parse() {
        let invoke: Message = serde_json::from_value(json!({
            "type": "action.invoke", "id": "uuid", "action": "MY_ACTION",
            "memory": {"a": 1}, "state": {}, "options": {}
        }))
        .unwrap();
        let Message::ActionInvoke(invoke) = invoke else {
            panic!("wrong variant")
        };
        assert_eq!(invoke.action, "MY_ACTION");
        assert_eq!(invoke.memory, json!({"a": 1}));

        let result: Message = serde_json::from_value(json!({
            "type": "action.result", "id": "uuid",
            "result": {"success": true, "text": "Action completed", "data": {"k": 2}}
        }))
        .unwrap();
        assert_eq!(
            result,
            Message::ActionResult {
                id: "uuid".into(),
                result: ActionResult {
                    success: true,
                    text: Some("Action completed".into()),
                    data: Some(json!({"k": 2})),
                    error: None
                }
            }
        );
    }

    #[test]
    fn the_manifest_protocol_provider_messages_round_trip() {
        let msg = Message::ProviderResult {
            id: "7".into(),
            result: ProviderResult {
                text: Some("Provider data".into()),
                values: Some(json!({"v": 1})),
                data: None,
            },
        };
        let json = serde_json::to_value(&msg).unwrap();
        assert_eq!(json["type"], "provider.result");
        assert_eq!(serde_json::from_value::<Message>(json).unwrap(), msg);
    }

    #[test]
    fn bare_replies_become_results() {
        assert_eq!(
            ActionResult::from_reply(json!("hi")).text.as_deref(),
            Some("hi")
        );
        assert_eq!(ActionResult::from_reply(json!(5)).data, Some(json!(5)));
        let full = ActionResult::from_reply(json!({"success": false, "text": "no"}));
        assert!(!full.success);
        assert_eq!(
            ProviderResult::from_reply(json!({"text": "t"}))
                .text
                .as_deref(),
            Some("t")
        );
        assert_eq!(
            ProviderResult::from_reply(json!({"x": 1})).data,
            Some(json!({"x": 1}))
        );
    }
}
