//! The one dispatch path of the in-process backends.
//!
//! The host speaks in requests (`action.invoke`, `provider.get`, `hook.event`); an engine
//! speaks in entry points (a wasm export, a native symbol, a method of a script's `plugin`
//! object). A backend whose plugins are entry points implements [`Handlers`]: run one
//! handler with one JSON input. Everything between the two happens here, once, for every
//! such backend, through the blanket `impl<H: Handlers> Plugin for H`:
//!
//! - the action or provider is looked up in the manifest (`not_found` when undeclared);
//! - the handler gets the input documented in `docs/abi.md`, the same on every backend:
//!   - an action: the request's `input`;
//!   - a provider: `{"memory": ..., "state": ...}` (each `null` when the request has none);
//!   - a hook: the event's `payload`, once per handler the manifest declares for the
//!     event, in manifest order;
//! - an action's `memory`, `state` and `options` travel beside its input as
//!   [`HandlerCall::context`], for engines that can pass a second argument (JavaScript);
//! - replies become results ([`ActionResult::from_reply`], [`ProviderResult::from_reply`]);
//!   an event's result is the array of its handlers' replies.
//!
//! Backends whose plugins receive whole messages (processes speaking JSON-RPC) implement
//! [`Plugin`] themselves instead.

use serde_json::{json, Value};

use crate::raw::{to_raw, to_value, RawActionResult, RawValue};
use crate::{
    ActionInvoke, ActionResult, HookEvent, Manifest, Plugin, PluginError, ProviderGet,
    ProviderResult,
};

/// Which kind of entry point a [`HandlerCall`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandlerKind {
    /// An action's handler.
    Action,
    /// A provider's handler.
    Provider,
    /// A hook's handler.
    Hook,
}

/// One call of one handler: what a [`Handlers`] backend runs.
#[derive(Debug, Clone, Copy)]
pub struct HandlerCall<'a> {
    /// The kind of entry point.
    pub kind: HandlerKind,
    /// The action's or provider's name, or the event's.
    pub name: &'a str,
    /// The entry point to run (export, symbol or method name).
    pub handler: &'a str,
    /// The handler's input (see the module docs for its shape per kind).
    pub input: &'a Value,
    /// An action's `{"memory", "state", "options"}`, when the request carries any of them.
    pub context: Option<&'a Value>,
}

impl std::fmt::Display for HandlerCall<'_> {
    /// How errors name the call: ``action `greet` ``, ``hook `config.reload` (handler
    /// `on_reload`)``.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            HandlerKind::Action => write!(f, "action `{}`", self.name),
            HandlerKind::Provider => write!(f, "provider `{}`", self.name),
            HandlerKind::Hook => write!(f, "hook `{}` (handler `{}`)", self.name, self.handler),
        }
    }
}

/// A plugin whose entry points are handlers called with one JSON input; every such type
/// is a [`Plugin`] through this module's dispatch.
///
/// The method names differ from [`Plugin`]'s on purpose, so that a concrete backend type
/// never has two methods of the same name in scope.
pub trait Handlers: Send + Sync {
    /// The manifest the plugin was loaded from.
    fn declared(&self) -> &Manifest;

    /// Runs `call.handler` with `call.input` and returns what it replied (`null` for
    /// nothing). Failures of the call itself (trap, exception, limit) are `Err`.
    fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError>;

    /// Runs an action's handler with JSON text in and out, for
    /// [`Plugin::invoke_raw`]; `call.input` is `null` and the input is `input`. The
    /// default goes through [`Handlers::call_handler`]; a backend whose engine takes JSON
    /// text overrides it, so that no `Value` is built.
    fn call_handler_raw(
        &self,
        call: &HandlerCall<'_>,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        let value = to_value(input, call)?;
        let reply = self.call_handler(&HandlerCall {
            input: &value,
            ..*call
        })?;
        to_raw(&reply)
    }

    /// Releases the engine resources; later calls fail with the
    /// [`unloaded`](crate::plugin::unloaded) error. Releasing twice is not an error.
    fn release(&self) -> Result<(), PluginError>;

    /// Memory the engine holds for the plugin, in bytes, where it knows it.
    fn engine_memory(&self) -> Option<u64> {
        None
    }

    /// How many calls the plugin runs at once at most, where the backend bounds it (the
    /// size of a wasm plugin's instance pool); see [`Plugin::parallel_calls`].
    fn parallel_calls(&self) -> Option<usize> {
        None
    }
}

/// `{"memory", "state", "options"}` of an action, when it carries any of them.
fn action_context(request: &ActionInvoke) -> Option<Value> {
    let any = !(request.memory.is_null() && request.state.is_null() && request.options.is_null());
    any.then(|| {
        json!({
            "memory": request.memory,
            "state": request.state,
            "options": request.options,
        })
    })
}

/// The input a provider's handler gets.
pub fn provider_input(request: &ProviderGet) -> Value {
    json!({ "memory": request.memory, "state": request.state })
}

impl<H: Handlers> Plugin for H {
    fn manifest(&self) -> &Manifest {
        self.declared()
    }

    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        let action = self.declared().require_action(&request.action)?;
        let context = action_context(request);
        let reply = self.call_handler(&HandlerCall {
            kind: HandlerKind::Action,
            name: &request.action,
            handler: action.handler(),
            input: &request.input,
            context: context.as_ref(),
        })?;
        Ok(ActionResult::from_reply(reply))
    }

    fn invoke_raw(&self, action: &str, input: &RawValue) -> Result<RawActionResult, PluginError> {
        let declared = self.declared().require_action(action)?;
        let call = HandlerCall {
            kind: HandlerKind::Action,
            name: action,
            handler: declared.handler(),
            input: &Value::Null,
            context: None,
        };
        let reply = self.call_handler_raw(&call, input)?;
        Ok(RawActionResult::from_reply(reply))
    }

    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError> {
        let provider = self.declared().require_provider(&request.provider)?;
        let input = provider_input(request);
        let reply = self.call_handler(&HandlerCall {
            kind: HandlerKind::Provider,
            name: &request.provider,
            handler: provider.handler(),
            input: &input,
            context: None,
        })?;
        Ok(ProviderResult::from_reply(reply))
    }

    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        let mut replies = Vec::new();
        for hook in self.declared().hooks_for(&event.event) {
            replies.push(self.call_handler(&HandlerCall {
                kind: HandlerKind::Hook,
                name: &event.event,
                handler: &hook.handler,
                input: &event.payload,
                context: None,
            })?);
        }
        Ok(Value::Array(replies))
    }

    fn unload(&self) -> Result<(), PluginError> {
        self.release()
    }

    fn memory_bytes(&self) -> Option<u64> {
        self.engine_memory()
    }

    fn parallel_calls(&self) -> Option<usize> {
        Handlers::parallel_calls(self)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::validate_value;

    /// Records every call and replies with its input, so the tests see what a backend sees.
    struct Echo {
        manifest: Manifest,
        calls: Mutex<Vec<String>>,
    }

    impl Handlers for Echo {
        fn declared(&self) -> &Manifest {
            &self.manifest
        }
        fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError> {
            self.calls.lock().unwrap().push(call.to_string());
            Ok(json!({"input": call.input, "context": call.context}))
        }
        fn release(&self) -> Result<(), PluginError> {
            Ok(())
        }
    }

    fn echo() -> Echo {
        let manifest = validate_value(
            &json!({
                "name": "echo", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "e.wasm"},
                "actions": [{"name": "greet", "handler": "greet_impl"}],
                "providers": [{"name": "time"}],
                "hooks": [
                    {"event": "config.reload", "handler": "first"},
                    {"event": "other", "handler": "never"},
                    {"event": "config.reload", "handler": "second"}
                ]
            }),
            None,
        )
        .unwrap();
        Echo {
            manifest,
            calls: Mutex::new(Vec::new()),
        }
    }

    #[test]
    fn an_action_gets_its_input_and_its_context_beside_it() {
        let plugin = echo();
        let mut request = ActionInvoke::new("greet", json!("World"));
        let plain = plugin.invoke(&request).unwrap();
        assert_eq!(plain.data, Some(json!({"input": "World", "context": null})));
        request.memory = json!({"m": 1});
        let with_memory = plugin.invoke(&request).unwrap();
        assert_eq!(
            with_memory.data.unwrap()["context"],
            json!({"memory": {"m": 1}, "state": null, "options": null})
        );
    }

    #[test]
    fn a_provider_gets_memory_and_state_even_when_both_are_null() {
        let plugin = echo();
        let result = plugin.get_provider(&ProviderGet::new("time")).unwrap();
        assert_eq!(
            result.data.unwrap()["input"],
            json!({"memory": null, "state": null})
        );
    }

    #[test]
    fn an_event_runs_each_of_its_handlers_in_manifest_order() {
        let plugin = echo();
        let replies = plugin
            .on_event(&HookEvent::new("config.reload", json!({"k": 1})))
            .unwrap();
        assert_eq!(replies.as_array().unwrap().len(), 2);
        assert_eq!(
            *plugin.calls.lock().unwrap(),
            [
                "hook `config.reload` (handler `first`)",
                "hook `config.reload` (handler `second`)"
            ]
        );
        assert_eq!(
            plugin
                .on_event(&HookEvent::new("nobody", Value::Null))
                .unwrap(),
            json!([])
        );
    }

    #[test]
    fn undeclared_actions_and_providers_are_not_found_before_any_call() {
        let plugin = echo();
        let err = plugin
            .invoke(&ActionInvoke::new("missing", Value::Null))
            .unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::NotFound);
        assert!(err.message.contains("declares: greet"), "{err}");
        let err = plugin.get_provider(&ProviderGet::new("nope")).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::NotFound);
        assert!(plugin.calls.lock().unwrap().is_empty());
    }
}
