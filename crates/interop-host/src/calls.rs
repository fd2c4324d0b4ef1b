//! Calling plugins: actions, providers and events, each timed into the plugin's metrics
//! and traced in a span (`interop.call`, at debug level) whatever the backend.

use std::collections::BTreeMap;

use serde_json::Value;

use interop_protocol::{
    ActionInvoke, ActionResult, HookEvent, PluginError, ProviderGet, ProviderResult,
    RawActionResult, RawValue,
};

use crate::entry::Entry;
use crate::{Host, HostError};

impl Host {
    /// Runs `action` of `plugin` with `input`. When the action declares an
    /// `inputSchema`, the input is checked against it first (an `invalid_input` error).
    pub fn invoke(
        &self,
        plugin: &str,
        action: &str,
        input: Value,
    ) -> Result<ActionResult, HostError> {
        let mut request = ActionInvoke::new(action, input);
        request.id = self.next_id();
        self.invoke_request(plugin, &request)
    }

    /// Runs a full `action.invoke` request (with memory, state and options).
    pub fn invoke_request(
        &self,
        plugin: &str,
        request: &ActionInvoke,
    ) -> Result<ActionResult, HostError> {
        let entry = self.entry(plugin)?;
        Ok(timed(&entry, "action", &request.action, || {
            entry.inputs.check(&request.action, &request.input)?;
            entry.plugin.invoke(request)
        })?)
    }

    /// Runs `action` of `plugin` with JSON text in and out (see
    /// [`interop_protocol::raw`]): no `Value` is built on the way unless the action
    /// declares an `inputSchema`, which is checked first as in [`Host::invoke`].
    pub fn invoke_raw(
        &self,
        plugin: &str,
        action: &str,
        input: &RawValue,
    ) -> Result<RawActionResult, HostError> {
        let entry = self.entry(plugin)?;
        Ok(timed(&entry, "action", action, || {
            entry.inputs.check_raw(action, input)?;
            entry.plugin.invoke_raw(action, input)
        })?)
    }

    /// Asks `plugin` for its provider `provider`.
    pub fn get_provider(&self, plugin: &str, provider: &str) -> Result<ProviderResult, HostError> {
        let mut request = ProviderGet::new(provider);
        request.id = self.next_id();
        self.provider_request(plugin, &request)
    }

    /// Runs a full `provider.get` request (with memory and state).
    pub fn provider_request(
        &self,
        plugin: &str,
        request: &ProviderGet,
    ) -> Result<ProviderResult, HostError> {
        let entry = self.entry(plugin)?;
        Ok(timed(&entry, "provider", &request.provider, || {
            entry.plugin.get_provider(request)
        })?)
    }

    /// Delivers `event` to every loaded plugin that declares a hook for it, and returns
    /// each one's outcome by plugin name. One plugin failing does not stop the others.
    pub fn emit(
        &self,
        event: &str,
        payload: Value,
    ) -> BTreeMap<String, Result<Value, PluginError>> {
        let mut out = BTreeMap::new();
        for (name, entry) in self.hooked(event) {
            let mut e = HookEvent::new(event, payload.clone());
            e.id = self.next_id();
            let outcome = timed(&entry, "hook", event, || entry.plugin.on_event(&e));
            out.insert(name, outcome);
        }
        out
    }

    /// Delivers `event` to `plugin` alone and returns what its handlers returned (an
    /// empty array when it has no hook for the event).
    pub fn emit_to(&self, plugin: &str, event: &str, payload: Value) -> Result<Value, HostError> {
        let entry = self.entry(plugin)?;
        let mut e = HookEvent::new(event, payload);
        e.id = self.next_id();
        Ok(timed(&entry, "hook", event, || entry.plugin.on_event(&e))?)
    }

    /// The plugins with a hook for `event`, by name.
    pub(crate) fn hooked(&self, event: &str) -> Vec<(String, Entry)> {
        self.entries()
            .into_iter()
            .filter(|(_, e)| e.plugin.manifest().hooks_for(event).next().is_some())
            .collect()
    }
}

/// Runs one call of `entry`'s plugin, recording it in its metrics.
pub(crate) fn timed<T>(
    entry: &Entry,
    kind: &'static str,
    name: &str,
    call: impl FnOnce() -> Result<T, PluginError>,
) -> Result<T, PluginError> {
    let _span = tracing::debug_span!(
        target: "interop::host",
        "interop.call",
        plugin = entry.plugin.name(),
        kind,
        name
    )
    .entered();
    let timer = entry.recorder.start();
    let outcome = call();
    if let Err(e) = &outcome {
        tracing::debug!(target: "interop::host", "{e}");
    }
    timer.finish(&outcome);
    outcome
}
