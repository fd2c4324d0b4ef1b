//! JSON Schemas compiled once per schema text.
//!
//! A manifest's schemas (`inputSchema`, `outputSchema`, `configSchema`) are compiled
//! when the manifest is checked, again when the host prepares input checks, and again
//! for the configuration. Compiling a schema costs tens of microseconds; a host that
//! loads many plugins from a few manifests (copies of one plugin, reloads) would spend
//! most of a load on it. [`validator`] compiles each distinct schema once per process
//! and shares the result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// Distinct schemas kept at most; past it the cache starts over (a host with that many
/// different schemas compiles some twice, nothing worse).
const KEPT: usize = 1024;

/// The compiled form of `schema`, or why it is not a valid JSON Schema.
pub fn validator(schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = schema.to_string();
    if let Some(found) = lock(cache).get(&key) {
        return Ok(found.clone());
    }
    // Compiled outside the lock: two threads may both compile a new schema, once each.
    let compiled = Arc::new(jsonschema::validator_for(schema).map_err(|e| e.to_string())?);
    let mut cache = lock(cache);
    if cache.len() >= KEPT {
        cache.clear();
    }
    cache.insert(key, compiled.clone());
    Ok(compiled)
}

/// The cache holds no invariant a panicking thread could break: a poisoned lock is
/// still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn one_schema_text_is_compiled_once_and_invalid_schemas_say_why() {
        let a = validator(&json!({"type": "string", "minLength": 2})).unwrap();
        let b = validator(&json!({"type": "string", "minLength": 2})).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(a.is_valid(&json!("ab")) && !a.is_valid(&json!("a")));
        let other = validator(&json!({"type": "number"})).unwrap();
        assert!(!Arc::ptr_eq(&a, &other));
        let err = validator(&json!({"type": "no such type"})).unwrap_err();
        assert!(err.contains("no such type"), "{err}");
    }
}
