//! `Plugin`: one loaded plugin, whatever its language.

use std::sync::Arc;

use interop_host::{PluginError, RawValue};
use napi::bindgen_prelude::{PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;
use serde_json::Value;

use crate::calls::{
    action_outcome, blocking, json_outcome, promise, ActionOutcome, JsonOutcome, ProviderOutcome,
};
use crate::convert::to_json;
use crate::error::{from_host, to_js};

/// A loaded plugin. Its calls run on the host's thread pool and return promises; a
/// failure rejects with an `InteropError`.
#[napi]
pub struct Plugin {
    pub(crate) host: Arc<interop_host::Host>,
    pub(crate) name: String,
    pub(crate) manifest: Value,
}

#[napi]
impl Plugin {
    /// The plugin's name (from its manifest).
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// Its manifest, as JSON (`actions`, `providers`, `hooks`, `permissions`...).
    #[napi(getter)]
    pub fn manifest(&self) -> Value {
        self.manifest.clone()
    }

    /// Runs `action` with `input` (any JSON value; `Buffer`/`Uint8Array` anywhere in it
    /// cross as `"base64:..."` strings).
    #[napi(ts_args_type = "action: string, input?: unknown")]
    pub fn invoke<'env>(
        &self,
        env: &'env Env,
        action: String,
        input: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, ActionOutcome>> {
        let input = match input.map(to_json).transpose() {
            Ok(input) => input.unwrap_or(Value::Null),
            Err(e) => return Err(to_js(env, &e.in_plugin(&self.name))),
        };
        let (host, name) = (self.host.clone(), self.name.clone());
        promise(
            env,
            async move {
                let result = host
                    .invoke_async(&name, &action, input)
                    .await
                    .map_err(from_host)?;
                action_outcome(result, &name)
            },
            |_, outcome| Ok(outcome),
        )
    }

    /// Runs `action` with `json`, its input as JSON text, and resolves with the result's
    /// data as JSON text (`dataJson`): for a host that holds JSON text already (a request
    /// body), no JavaScript value is converted on the way in or out.
    #[napi(ts_args_type = "action: string, json: string")]
    pub fn invoke_json<'env>(
        &self,
        env: &'env Env,
        action: String,
        json: String,
    ) -> napi::Result<PromiseRaw<'env, JsonOutcome>> {
        let input = match RawValue::from_string(json) {
            Ok(input) => input,
            Err(e) => {
                let error = PluginError::invalid_input(format!(
                    "action `{action}`: the input is not JSON text: {e}"
                ));
                return Err(to_js(env, &error.in_plugin(&self.name)));
            }
        };
        let (host, name) = (self.host.clone(), self.name.clone());
        promise(
            env,
            async move {
                let result = host
                    .invoke_raw_async(&name, &action, input)
                    .await
                    .map_err(from_host)?;
                json_outcome(result, &name)
            },
            |_, outcome| Ok(outcome),
        )
    }

    /// Asks the plugin's provider `provider`.
    #[napi]
    pub fn provider<'env>(
        &self,
        env: &'env Env,
        provider: String,
    ) -> napi::Result<PromiseRaw<'env, ProviderOutcome>> {
        let (host, name) = (self.host.clone(), self.name.clone());
        promise(
            env,
            async move {
                host.get_provider_async(&name, &provider)
                    .await
                    .map_err(from_host)
            },
            |_, result| Ok(ProviderOutcome::from(result)),
        )
    }

    /// Delivers `event` to this plugin alone; resolves to what its handlers returned.
    #[napi(
        ts_args_type = "event: string, payload?: unknown",
        ts_return_type = "Promise<unknown>"
    )]
    pub fn emit<'env>(
        &self,
        env: &'env Env,
        event: String,
        payload: Option<Unknown>,
    ) -> napi::Result<PromiseRaw<'env, Value>> {
        let payload = match payload.map(to_json).transpose() {
            Ok(payload) => payload.unwrap_or(Value::Null),
            Err(e) => return Err(to_js(env, &e.in_plugin(&self.name))),
        };
        let (host, name) = (self.host.clone(), self.name.clone());
        promise(
            env,
            blocking(move || host.emit_to(&name, &event, payload)),
            |_, value| Ok(value),
        )
    }

    /// Unloads the plugin (its process ends, its instance is dropped).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn unload<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let (host, name) = (self.host.clone(), self.name.clone());
        promise(env, blocking(move || host.unload(&name)), |_, ()| Ok(()))
    }
}
