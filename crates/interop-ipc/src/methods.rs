//! The methods of the interop plugin protocol on top of JSON-RPC 2.0 (described for
//! plugin authors in `docs/ipc.md`): their names, their params, the handshake's checks,
//! and the plugin side's router.
//!
//! Host to plugin: `initialize`, `action.invoke`, `provider.get`, `hook.event`, `shutdown`.
//! Plugin to host: `host.call` (`{"function": "fs.readFile", "args": {...}}`), answered by
//! [`crate::host_api`].

use std::sync::Arc;

use interop_protocol::jsonrpc::RpcError;
use interop_protocol::{
    ActionInvoke, HookEvent, Manifest, Plugin, PluginError, ProviderGet, PROTOCOL_VERSION,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::rpc::Router;

/// Handshake; the first request on every connection.
pub const INITIALIZE: &str = "initialize";
/// Runs an action.
pub const ACTION_INVOKE: &str = "action.invoke";
/// Asks a provider.
pub const PROVIDER_GET: &str = "provider.get";
/// Delivers a host event to its hook handlers.
pub const HOOK_EVENT: &str = "hook.event";
/// Asks the plugin to finish; it answers, then exits.
pub const SHUTDOWN: &str = "shutdown";
/// Plugin to host: calls a host function.
pub const HOST_CALL: &str = "host.call";

/// `initialize` params, sent by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeParams {
    /// The host's protocol version ([`PROTOCOL_VERSION`]).
    pub protocol_version: String,
    /// The plugin name from the manifest.
    pub plugin: String,
    /// Always `"interop"`.
    #[serde(default)]
    pub host: String,
    /// The plugin's configuration: its manifest's `config` with the host's overrides.
    #[serde(default)]
    pub config: interop_protocol::Config,
}

/// `initialize` result, sent by the plugin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitializeResult {
    /// The plugin's own name: must equal the manifest's.
    pub name: String,
    /// The protocol version the plugin speaks: its major part must equal the host's.
    pub protocol_version: String,
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

/// Checks a plugin's `initialize` answer against the manifest and [`PROTOCOL_VERSION`].
pub fn check_handshake(
    manifest: &Manifest,
    answer: Value,
) -> Result<InitializeResult, PluginError> {
    let name = &manifest.name;
    let result: InitializeResult = serde_json::from_value(answer.clone()).map_err(|e| {
        PluginError::parse(format!(
            "handshake: `initialize` must answer {{\"name\": ..., \"protocolVersion\": ...}}; got {answer}: {e}"
        ))
        .in_plugin(name)
    })?;
    if &result.name != name {
        return Err(PluginError::invalid_input(format!(
            "handshake: the process says it is plugin `{}`, but the manifest names `{name}`",
            result.name
        ))
        .in_plugin(name));
    }
    if major(&result.protocol_version) != major(PROTOCOL_VERSION) {
        return Err(PluginError::invalid_input(format!(
            "handshake: the plugin speaks protocol version {}, the host {PROTOCOL_VERSION} \
             (major versions must match)",
            result.protocol_version
        ))
        .in_plugin(name));
    }
    Ok(result)
}

/// The params of `action.invoke`: the [`ActionInvoke`] plus the manifest's `handler`.
pub fn action_params(manifest: &Manifest, request: &ActionInvoke) -> Result<Value, PluginError> {
    let action = manifest.require_action(&request.action)?;
    let mut params = to_value(request)?;
    params["handler"] = json!(action.handler());
    Ok(params)
}

/// The params of `provider.get`: the [`ProviderGet`] plus the manifest's `handler`.
pub fn provider_params(manifest: &Manifest, request: &ProviderGet) -> Result<Value, PluginError> {
    let provider = manifest.require_provider(&request.provider)?;
    let mut params = to_value(request)?;
    params["handler"] = json!(provider.handler());
    Ok(params)
}

/// The params of `hook.event`: the [`HookEvent`] plus the `handlers` the manifest
/// declares for it, in order; `None` when no hook handles the event.
pub fn hook_params(manifest: &Manifest, event: &HookEvent) -> Result<Option<Value>, PluginError> {
    let handlers: Vec<&str> = manifest
        .hooks_for(&event.event)
        .map(|h| h.handler.as_str())
        .collect();
    if handlers.is_empty() {
        return Ok(None);
    }
    let mut params = to_value(event)?;
    params["handlers"] = json!(handlers);
    Ok(Some(params))
}

fn to_value(v: &impl Serialize) -> Result<Value, PluginError> {
    serde_json::to_value(v).map_err(|e| PluginError::internal(e.to_string()))
}

fn params<T: serde::de::DeserializeOwned>(
    method: &str,
    params: Option<Value>,
) -> Result<T, RpcError> {
    serde_json::from_value(params.unwrap_or(Value::Null))
        .map_err(|e| RpcError::invalid_params(format!("`{method}`: {e}")))
}

/// The methods a plugin answers, served from any [`Plugin`]: the server side of the
/// protocol, used by [`crate::serve_stdio`].
pub fn plugin_router(plugin: Arc<dyn Plugin>) -> Router {
    let init = plugin.clone();
    let act = plugin.clone();
    let prov = plugin.clone();
    let hook = plugin.clone();
    let stop = plugin;
    Router::new()
        .inline(INITIALIZE, move |p| {
            let _: InitializeParams = params(INITIALIZE, p)?;
            Ok(json!({"name": init.name(), "protocolVersion": PROTOCOL_VERSION}))
        })
        .blocking(ACTION_INVOKE, move |p| {
            let request: ActionInvoke = params(ACTION_INVOKE, p)?;
            let result = act.invoke(&request).map_err(RpcError::from)?;
            serde_json::to_value(result).map_err(RpcError::internal)
        })
        .blocking(PROVIDER_GET, move |p| {
            let request: ProviderGet = params(PROVIDER_GET, p)?;
            let result = prov.get_provider(&request).map_err(RpcError::from)?;
            serde_json::to_value(result).map_err(RpcError::internal)
        })
        .blocking(HOOK_EVENT, move |p| {
            let event: HookEvent = params(HOOK_EVENT, p)?;
            hook.on_event(&event).map_err(RpcError::from)
        })
        .blocking(SHUTDOWN, move |_| {
            stop.unload().map_err(RpcError::from)?;
            Ok(Value::Null)
        })
}
