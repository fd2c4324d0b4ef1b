//! The [`Plugin`] trait: the one seam between the host and every backend.
//!
//! Whatever runs a plugin (wasmtime, a native library, V8, a child process), the host sees
//! the same four operations. The trait is synchronous and takes `&self` on purpose:
//!
//! - synchronous, because most engines are (a wasm call, a V8 call, an FFI call run to
//!   completion on one thread) and an async trait would force a runtime on every embedder.
//!   Backends that are asynchronous inside (IPC) block on their own runtime.
//! - `&self`, so that the host can share one plugin between threads behind an `Arc`;
//!   each backend decides how calls are serialised (a mutex around a wasm store, a
//!   channel to an isolate's thread, many in-flight requests on one socket).
//!
//! Every failure, including a plugin that crashes, loops or runs out of memory, comes back
//! as a [`PluginError`]; an implementation never panics on a plugin's behalf.

use serde_json::Value;

use crate::raw::{RawActionResult, RawValue};
use crate::{
    ActionInvoke, ActionResult, HookEvent, Manifest, PluginError, ProviderGet, ProviderResult,
};

/// A loaded plugin, whatever its backend.
pub trait Plugin: Send + Sync {
    /// The manifest the plugin was loaded from.
    fn manifest(&self) -> &Manifest;

    /// The plugin's name (from its manifest).
    fn name(&self) -> &str {
        &self.manifest().name
    }

    /// Runs an action. An action that reports failure comes back as `Ok` with
    /// `success: false`; `Err` means the call itself failed (unknown action, trap, limit).
    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError>;

    /// Runs an action with JSON text in and out: `input` goes to the plugin as it is, and
    /// the result's data is the JSON text the plugin wrote (checked to be one JSON value).
    /// The same call as [`Plugin::invoke`] without memory, state or options; see
    /// [`crate::raw`] for when it pays. Backends whose engines take JSON text (wasm, JS,
    /// native libraries) pass the text through; the others (this default) go through
    /// `invoke`.
    fn invoke_raw(&self, action: &str, input: &RawValue) -> Result<RawActionResult, PluginError> {
        let input = crate::raw::to_value(input, format_args!("action `{action}`"))?;
        let result = self.invoke(&ActionInvoke::new(action, input))?;
        RawActionResult::try_from(result).map_err(|e| e.in_plugin(self.name()))
    }

    /// Asks a provider for its value.
    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError>;

    /// Delivers a host event to the hook handlers the manifest declares for it, in order,
    /// and returns what they returned (an array, one entry per handler; empty when no hook
    /// handles the event).
    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError>;

    /// Releases the plugin's engine resources. Later calls fail with a `not_found` error.
    /// Unloading twice is not an error.
    fn unload(&self) -> Result<(), PluginError>;

    /// Memory the plugin's engine holds now (linear memories, heap), in bytes, where the
    /// engine knows it; for metrics.
    fn memory_bytes(&self) -> Option<u64> {
        None
    }

    /// How many calls the plugin runs at once at most, where its backend bounds it (a
    /// wasm plugin: the size of its instance pool; more calls wait for an instance). The
    /// host's per-plugin limiter admits no more than this many async calls at once, so
    /// that they wait in the async queue rather than on a blocking thread.
    fn parallel_calls(&self) -> Option<usize> {
        None
    }
}

/// The error every backend returns for an action the manifest does not declare.
pub fn unknown_action(manifest: &Manifest, action: &str) -> PluginError {
    let known: Vec<&str> = manifest.actions.iter().map(|a| a.name.as_str()).collect();
    PluginError::not_found(format!(
        "plugin `{}` has no action `{action}` (it declares: {})",
        manifest.name,
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    ))
    .in_plugin(&manifest.name)
}

/// The error every backend returns for a provider the manifest does not declare.
pub fn unknown_provider(manifest: &Manifest, provider: &str) -> PluginError {
    let known: Vec<&str> = manifest.providers.iter().map(|p| p.name.as_str()).collect();
    PluginError::not_found(format!(
        "plugin `{}` has no provider `{provider}` (it declares: {})",
        manifest.name,
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        }
    ))
    .in_plugin(&manifest.name)
}

/// The error every backend returns once a plugin is unloaded.
pub fn unloaded(manifest: &Manifest) -> PluginError {
    PluginError::not_found(format!("plugin `{}` is unloaded", manifest.name))
        .in_plugin(&manifest.name)
}
