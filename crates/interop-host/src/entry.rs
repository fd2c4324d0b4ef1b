//! A plugin as the host holds it: the plugin, its compiled input schemas, its metrics,
//! the limiter of its async calls, and the manifest it came from (to reload it).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use interop_protocol::{LoadedManifest, Plugin, PluginError, RawValue};

use crate::async_calls::Limiter;
use crate::metrics::Recorder;

/// One entry of the host's plugin table. Cloning shares everything: a call clones the
/// entry and runs on it, so a reload or unload meanwhile never disturbs the call.
#[derive(Clone)]
pub(crate) struct Entry {
    pub plugin: Arc<dyn Plugin>,
    pub inputs: Arc<InputSchemas>,
    pub recorder: Arc<Recorder>,
    pub limiter: Arc<Limiter>,
    /// The manifest the plugin was loaded from; `None` for plugins the application built.
    pub source: Option<LoadedManifest>,
}

impl Entry {
    /// An entry for `plugin`, with fresh metrics and limiter.
    pub fn new(
        plugin: Arc<dyn Plugin>,
        source: Option<LoadedManifest>,
        limiter: Arc<Limiter>,
    ) -> Result<Self, PluginError> {
        let inputs = InputSchemas::compile(plugin.as_ref())?;
        Ok(Entry {
            plugin,
            inputs: Arc::new(inputs),
            recorder: Arc::new(Recorder::new()),
            limiter,
            source,
        })
    }

    /// The entry of a new version of the same plugin: the same metrics and limiter.
    pub fn succeed(
        &self,
        plugin: Arc<dyn Plugin>,
        source: LoadedManifest,
    ) -> Result<Self, PluginError> {
        Ok(Entry {
            inputs: Arc::new(InputSchemas::compile(plugin.as_ref())?),
            plugin,
            recorder: self.recorder.clone(),
            limiter: self.limiter.clone(),
            source: Some(source),
        })
    }
}

/// The compiled `inputSchema` of each action that declares one.
pub(crate) struct InputSchemas {
    plugin: String,
    by_action: BTreeMap<String, Arc<jsonschema::Validator>>,
}

impl InputSchemas {
    fn compile(plugin: &dyn Plugin) -> Result<Self, PluginError> {
        let mut by_action = BTreeMap::new();
        for action in &plugin.manifest().actions {
            if let Some(schema) = &action.input_schema {
                let validator = interop_protocol::compiled::validator(schema).map_err(|e| {
                    PluginError::invalid_input(format!(
                        "action `{}`: inputSchema is not a valid JSON Schema: {e}",
                        action.name
                    ))
                    .in_plugin(plugin.name())
                })?;
                by_action.insert(action.name.clone(), validator);
            }
        }
        Ok(InputSchemas {
            plugin: plugin.name().to_owned(),
            by_action,
        })
    }

    /// [`InputSchemas::check`] for JSON text: read into a `Value` only when the action
    /// has a schema.
    pub fn check_raw(&self, action: &str, input: &RawValue) -> Result<(), PluginError> {
        if !self.by_action.contains_key(action) {
            return Ok(());
        }
        let value =
            interop_protocol::raw::to_value(input, format_args!("action `{action}`: input"))
                .map_err(|e| e.in_plugin(&self.plugin))?;
        self.check(action, &value)
    }

    /// Checks `input` against the action's `inputSchema`, reporting every problem with
    /// its JSON pointer, before the plugin sees it.
    pub fn check(&self, action: &str, input: &Value) -> Result<(), PluginError> {
        let Some(validator) = self.by_action.get(action) else {
            return Ok(());
        };
        let problems: Vec<String> = validator
            .iter_errors(input)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!(
                    "{}: {e}",
                    if at.is_empty() {
                        "input".to_owned()
                    } else {
                        format!("input{at}")
                    }
                )
            })
            .collect();
        if problems.is_empty() {
            return Ok(());
        }
        Err(PluginError::invalid_input(format!(
            "action `{action}`: input does not match its inputSchema: {}",
            problems.join("; ")
        ))
        .in_plugin(&self.plugin))
    }
}
