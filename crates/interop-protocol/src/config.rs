//! A plugin's configuration: the manifest's `config` object, overridden key by key by the
//! host, and checked against the manifest's `configSchema` before the plugin is loaded.
//!
//! Every backend reads the result the same way (the `config.get` host function); this
//! module only decides what it is.

use serde_json::{Map, Value};

use crate::{Manifest, PluginError};

/// A plugin's configuration: keys and their JSON values.
pub type Config = Map<String, Value>;

/// The configuration a plugin loaded from `manifest` runs with: its `config`, with each key
/// of `overrides` replacing (or adding) the key of that name. Fails with an
/// `invalid_input` error naming the plugin and each offending key when the result does not
/// satisfy the manifest's `configSchema`.
pub fn effective_config(manifest: &Manifest, overrides: &Config) -> Result<Config, PluginError> {
    let mut config = manifest.config.clone();
    for (key, value) in overrides {
        config.insert(key.clone(), value.clone());
    }
    let Some(schema) = &manifest.config_schema else {
        return Ok(config);
    };
    let validator = crate::compiled::validator(schema).map_err(|e| {
        PluginError::invalid_input(format!("`configSchema` is not a valid JSON Schema: {e}"))
            .in_plugin(&manifest.name)
    })?;
    let instance = Value::Object(config);
    let problems: Vec<String> = validator
        .iter_errors(&instance)
        .map(|e| describe(&e))
        .collect();
    if !problems.is_empty() {
        return Err(PluginError::invalid_input(format!(
            "config does not match its configSchema: {}",
            problems.join("; ")
        ))
        .in_plugin(&manifest.name));
    }
    match instance {
        Value::Object(config) => Ok(config),
        _ => unreachable!("built as an object above"),
    }
}

/// One schema error, worded with the configuration key it concerns.
fn describe(err: &jsonschema::ValidationError<'_>) -> String {
    use jsonschema::error::ValidationErrorKind;
    let pointer = err.instance_path().to_string();
    let mut tokens = pointer.split('/').skip(1).map(unescape);
    match (tokens.next(), err.kind()) {
        (None, ValidationErrorKind::Required { property }) => format!(
            "key `{}` is missing (required)",
            property.as_str().unwrap_or_default()
        ),
        (None, _) => err.to_string(),
        (Some(key), _) => {
            let rest: Vec<String> = tokens.collect();
            let inner = if rest.is_empty() {
                String::new()
            } else {
                format!(" (at /{})", rest.join("/"))
            };
            format!("key `{key}`{inner}: {err}")
        }
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(config: Value, schema: Option<Value>) -> Manifest {
        let mut m = json!({
            "name": "configured", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "p.wasm"},
            "config": config,
        });
        if let Some(schema) = schema {
            m["configSchema"] = schema;
        }
        serde_json::from_value(m).unwrap()
    }

    fn overrides(value: Value) -> Config {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn host_overrides_replace_and_add_keys_of_the_manifest_config() {
        let m = manifest(json!({"greeting": "Hello", "times": 1}), None);
        let config =
            effective_config(&m, &overrides(json!({"greeting": "Hi", "extra": [1]}))).unwrap();
        assert_eq!(
            Value::Object(config),
            json!({"greeting": "Hi", "times": 1, "extra": [1]})
        );
    }

    #[test]
    fn a_config_breaking_the_schema_is_refused_naming_the_plugin_and_the_key() {
        let schema = json!({
            "type": "object",
            "properties": {"times": {"type": "integer"}},
            "required": ["endpoint"],
        });
        let m = manifest(json!({"times": 1}), Some(schema));
        let err = effective_config(&m, &overrides(json!({"times": "many"}))).unwrap_err();
        assert_eq!(err.kind, crate::ErrorKind::InvalidInput);
        assert_eq!(err.plugin.as_deref(), Some("configured"));
        assert!(err.message.contains("key `times`"), "{}", err.message);
        assert!(
            err.message.contains("key `endpoint` is missing"),
            "{}",
            err.message
        );
    }

    #[test]
    fn an_override_can_satisfy_the_schema_the_manifest_alone_does_not() {
        let schema = json!({"required": ["endpoint"]});
        let m = manifest(json!({}), Some(schema));
        assert!(effective_config(&m, &Config::new()).is_err());
        let config = effective_config(&m, &overrides(json!({"endpoint": "x"}))).unwrap();
        assert_eq!(config["endpoint"], "x");
    }
}
