//! The methods a client calls: each parses its params (named, unknown fields refused),
//! calls the [`Host`], and answers with JSON or a JSON-RPC error carrying the
//! [`PluginError`](interop_protocol::PluginError).
//!
//! Plugin calls run through the host's async facade (per-plugin slots and queue bound),
//! loading and unloading on the blocking pool: a connection's requests run concurrently
//! and a slow one holds up no other. Only quick reads run inline.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use interop_ipc::Router;
use interop_protocol::jsonrpc::RpcError;
use interop_protocol::Plugin;

use super::auth::{authenticated, AuthParams, AUTH};
use super::error::rpc_error;
use super::Shared;

/// Records `audit.tail` returns when asked for no number.
const DEFAULT_TAIL: usize = 100;

/// The params of `method`, from named params (none: an empty object).
fn params<T: DeserializeOwned>(method: &str, params: Option<Value>) -> Result<T, RpcError> {
    let params = match params {
        None => Value::Object(Map::new()),
        Some(Value::Array(_)) => {
            return Err(RpcError::invalid_params(format!(
                "`{method}` takes named params (an object), not an array"
            )))
        }
        Some(p) => p,
    };
    serde_json::from_value(params)
        .map_err(|e| RpcError::invalid_params(format!("`{method}` params: {e}")))
}

fn to_json(value: impl serde::Serialize) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(RpcError::internal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadParams {
    /// A `plugin.json`, or a plugin directory holding one.
    path: std::path::PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginParams {
    plugin: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvokeParams {
    plugin: String,
    action: String,
    #[serde(default)]
    input: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderParams {
    plugin: String,
    provider: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmitParams {
    event: String,
    #[serde(default)]
    payload: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricsParams {
    #[serde(default)]
    plugin: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TailParams {
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    plugin: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoParams {}

/// What a client is told about a loaded plugin.
fn describe(plugin: &dyn Plugin) -> Value {
    let m = plugin.manifest();
    json!({
        "name": m.name,
        "version": m.version,
        "description": m.description,
        "protocol": m.interop.protocol(),
        "actions": m.actions.iter().map(|a| json!({"name": a.name, "description": a.description})).collect::<Vec<_>>(),
        "providers": m.providers.iter().map(|p| json!({"name": p.name, "description": p.description})).collect::<Vec<_>>(),
        "hooks": m.hooks.iter().map(|h| h.event.as_str()).collect::<Vec<_>>(),
    })
}

/// The methods of one connection.
pub(super) fn router(shared: &Arc<Shared>) -> Router {
    let host = &shared.host;
    Router::new()
        .inline(AUTH, |p| {
            let _: AuthParams = params(AUTH, p)?;
            Ok(authenticated())
        })
        .blocking("plugin.load", {
            let host = host.clone();
            move |p| {
                let LoadParams { path } = params("plugin.load", p)?;
                let plugin = host.load(&path).map_err(rpc_error)?;
                Ok(describe(plugin.as_ref()))
            }
        })
        .inline("plugin.list", {
            let host = host.clone();
            move |p| {
                let NoParams {} = params("plugin.list", p)?;
                let plugins: Vec<Value> = host
                    .plugin_names()
                    .iter()
                    .filter_map(|name| host.get(name).ok())
                    .map(|plugin| describe(plugin.as_ref()))
                    .collect();
                Ok(Value::Array(plugins))
            }
        })
        .blocking("plugin.unload", {
            let host = host.clone();
            move |p| {
                let PluginParams { plugin } = params("plugin.unload", p)?;
                host.unload(&plugin).map_err(rpc_error)?;
                Ok(json!({ "unloaded": plugin }))
            }
        })
        .blocking("plugin.reload", {
            let host = host.clone();
            move |p| {
                let PluginParams { plugin } = params("plugin.reload", p)?;
                let plugin = host.reload(&plugin).map_err(rpc_error)?;
                Ok(describe(plugin.as_ref()))
            }
        })
        .async_method("action.invoke", {
            let host = host.clone();
            move |p| {
                let host = host.clone();
                async move {
                    let InvokeParams {
                        plugin,
                        action,
                        input,
                    } = params("action.invoke", p)?;
                    let result = host.invoke_async(&plugin, &action, input).await;
                    to_json(result.map_err(rpc_error)?)
                }
            }
        })
        .async_method("provider.get", {
            let host = host.clone();
            move |p| {
                let host = host.clone();
                async move {
                    let ProviderParams { plugin, provider } = params("provider.get", p)?;
                    let result = host.get_provider_async(&plugin, &provider).await;
                    to_json(result.map_err(rpc_error)?)
                }
            }
        })
        .async_method("hook.emit", {
            let host = host.clone();
            move |p| {
                let host = host.clone();
                async move {
                    let EmitParams { event, payload } = params("hook.emit", p)?;
                    let (mut results, mut errors) = (Map::new(), Map::new());
                    for (plugin, outcome) in host.emit_async(&event, payload).await {
                        match outcome {
                            Ok(value) => results.insert(plugin, value),
                            Err(e) => errors.insert(plugin, to_json(e)?),
                        };
                    }
                    Ok(json!({ "results": results, "errors": errors }))
                }
            }
        })
        .inline("host.metrics", {
            let host = host.clone();
            move |p| {
                let MetricsParams { plugin } = params("host.metrics", p)?;
                match plugin {
                    Some(name) => to_json(host.metrics(&name).map_err(rpc_error)?),
                    None => to_json(host.all_metrics()),
                }
            }
        })
        .inline("audit.tail", {
            let host = host.clone();
            move |p| {
                let TailParams { limit, plugin } = params("audit.tail", p)?;
                let limit = limit.unwrap_or(DEFAULT_TAIL);
                let mut events = host.audit().events();
                if let Some(name) = &plugin {
                    events.retain(|e| &e.plugin == name);
                }
                let start = events.len().saturating_sub(limit);
                to_json(&events[start..])
            }
        })
        .inline("host.shutdown", {
            let stop = shared.stop.clone();
            move |p| {
                let NoParams {} = params("host.shutdown", p)?;
                let stop = stop.clone();
                // Answer first: the connections close once the response is out.
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    stop.send_replace(true);
                });
                Ok(json!({ "stopping": true }))
            }
        })
}
