//! Running host work off Node's thread and settling a promise with its outcome: the one
//! way every asynchronous method of this package reaches the Rust host.

use std::future::Future;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsError};
use napi_derive::napi;
use serde_json::Value;

use interop_host::{ActionResult, HostError, ProviderResult, RawActionResult};
use interop_protocol::PluginError;

use crate::error::{from_host, to_js};

/// A promise settled by `work` (run on the addon's tokio runtime, whose blocking pool runs
/// the plugin calls): `done` turns its value into JavaScript; an error rejects the promise
/// with an `InteropError`.
pub(crate) fn promise<'env, T, V, F>(
    env: &'env Env,
    work: F,
    done: impl FnOnce(&'env Env, T) -> napi::Result<V> + 'static,
) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, PluginError>> + Send + 'static,
{
    env.spawn_future_with_callback(
        async move { Ok(work.await) },
        move |env, outcome| match outcome {
            Ok(value) => done(env, value),
            Err(error) => Err(to_js(env, &error)),
        },
    )
}

/// Runs blocking host work (loading, unloading) on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HostError> + Send + 'static,
) -> Result<T, PluginError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| PluginError::internal(format!("the host's worker thread failed: {e}")))?
        .map_err(from_host)
}

/// What an action returned.
#[napi(object)]
pub struct ActionOutcome {
    /// Always `true`: a failed action rejects with an `InteropError`, except when the
    /// plugin reports a failure without an error (then `false`, with its `text`).
    pub success: bool,
    /// A human-readable result.
    pub text: Option<String>,
    /// Structured result data (bytes as `"base64:..."` strings: see `decodeBytes`).
    pub data: Option<Value>,
}

/// An action's result as JavaScript gets it: a failure carrying an error is that error.
pub(crate) fn action_outcome(
    result: ActionResult,
    plugin: &str,
) -> Result<ActionOutcome, PluginError> {
    failed(result.success, result.error, plugin)?;
    Ok(ActionOutcome {
        success: result.success,
        text: result.text,
        data: result.data,
    })
}

/// The error of an action result that reports failure with an error (one without an
/// error stays a result, `success: false`).
fn failed(success: bool, error: Option<PluginError>, plugin: &str) -> Result<(), PluginError> {
    match (success, error) {
        (false, Some(error)) => Err(error.in_plugin(plugin)),
        _ => Ok(()),
    }
}

/// What an action called with JSON text returned: its data stays JSON text.
#[napi(object)]
pub struct JsonOutcome {
    /// As `ActionOutcome.success`.
    pub success: bool,
    /// A human-readable result.
    pub text: Option<String>,
    /// Structured result data, as the JSON text the plugin wrote (`JSON.parse` it, or
    /// pass it on as it is).
    pub data_json: Option<String>,
}

/// [`action_outcome`] for a result whose data is JSON text.
pub(crate) fn json_outcome(
    result: RawActionResult,
    plugin: &str,
) -> Result<JsonOutcome, PluginError> {
    failed(result.success, result.error, plugin)?;
    Ok(JsonOutcome {
        success: result.success,
        text: result.text,
        data_json: result.data.map(|raw| String::from(Box::<str>::from(raw))),
    })
}

/// What a provider returned.
#[napi(object)]
pub struct ProviderOutcome {
    /// A human-readable answer.
    pub text: Option<String>,
    /// Named values.
    pub values: Option<Value>,
    /// Structured data.
    pub data: Option<Value>,
}

impl From<ProviderResult> for ProviderOutcome {
    fn from(r: ProviderResult) -> Self {
        ProviderOutcome {
            text: r.text,
            values: r.values,
            data: r.data,
        }
    }
}

/// An `InteropError` as a value (to be placed in an object, not thrown).
pub(crate) fn error_value<'env>(
    env: &'env Env,
    error: &PluginError,
) -> napi::Result<Unknown<'env>> {
    Ok(JsError::from(to_js(env, error)).into_unknown(*env))
}
