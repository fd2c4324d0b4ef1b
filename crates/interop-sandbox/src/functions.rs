//! The application's own host functions: registered once by name, callable from every
//! backend (wasm `ft_host_call`, JS `host.call`, the native callback table, JSON-RPC
//! `host.call`), each call checked against the plugin's grants and audited by
//! [`HostServices::call`](crate::HostServices::call).
//!
//! Functions can be registered at any time, also after plugins are loaded: every plugin's
//! services share one table.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use interop_protocol::PluginError;

/// An application-defined host function: gets the calling plugin's name and the JSON
/// arguments, returns a JSON value or an error (which the plugin sees as its own error).
pub type HostFunction = Arc<dyn Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync>;

/// The application's host functions, by name. Cloning shares the table: a function
/// registered through one clone is seen by all.
#[derive(Clone, Default)]
pub struct HostFunctions {
    table: Arc<RwLock<BTreeMap<String, HostFunction>>>,
}

impl std::fmt::Debug for HostFunctions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl HostFunctions {
    /// No functions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the function `name`, working on JSON.
    pub fn register(
        &self,
        name: impl Into<String>,
        f: impl Fn(&str, Value) -> Result<Value, PluginError> + Send + Sync + 'static,
    ) {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.into(), Arc::new(f));
    }

    /// Adds (or replaces) the function `name`, working on Rust types: its arguments are
    /// deserialized into `A` (a plugin passing the wrong shape gets an `invalid_input`
    /// error naming the function and what was expected) and its result serialized.
    ///
    /// ```
    /// # use interop_sandbox::HostFunctions;
    /// #[derive(serde::Deserialize)]
    /// struct Add { a: i64, b: i64 }
    /// let functions = HostFunctions::new();
    /// functions.register_typed("math.add", |args: Add| Ok(args.a + args.b));
    /// let add = functions.get("math.add").unwrap();
    /// assert_eq!(add("calc", serde_json::json!({"a": 2, "b": 3})).unwrap(), 5);
    /// ```
    pub fn register_typed<A, R>(
        &self,
        name: impl Into<String>,
        f: impl Fn(A) -> Result<R, PluginError> + Send + Sync + 'static,
    ) where
        A: DeserializeOwned,
        R: Serialize,
    {
        let name = name.into();
        let shown = name.clone();
        self.register(name, move |_plugin, args| {
            let args: A = serde_json::from_value(args).map_err(|e| {
                PluginError::invalid_input(format!(
                    "host function `{shown}`: arguments do not fit `{}`: {e}",
                    std::any::type_name::<A>()
                ))
            })?;
            let result = f(args)?;
            serde_json::to_value(result)
                .map_err(|e| PluginError::internal(format!("host function `{shown}`: result: {e}")))
        });
    }

    /// Removes the function `name`; whether it was there.
    pub fn unregister(&self, name: &str) -> bool {
        self.table
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
            .is_some()
    }

    /// The function `name`.
    pub fn get(&self, name: &str) -> Option<HostFunction> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The names of all functions, sorted.
    pub fn names(&self) -> Vec<String> {
        self.table
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

/// Whether the grant `pattern` covers the function `name`: `*` covers everything,
/// `prefix.*` everything under `prefix.`, anything else only itself.
pub fn pattern_covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some("") => true,
        Some(prefix) if prefix.ends_with('.') => name.starts_with(prefix),
        _ => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn functions_registered_through_a_clone_are_seen_by_every_clone() {
        let functions = HostFunctions::new();
        let shared = functions.clone();
        functions.register("app.late", |_, _| Ok(json!("here")));
        assert_eq!(shared.names(), ["app.late"]);
        assert!(shared.unregister("app.late"));
        assert!(functions.get("app.late").is_none());
    }

    #[test]
    fn typed_functions_refuse_arguments_of_the_wrong_shape() {
        #[derive(serde::Deserialize)]
        struct Greet {
            name: String,
        }
        let functions = HostFunctions::new();
        functions.register_typed("app.greet", |g: Greet| Ok(format!("Hello, {}!", g.name)));
        let greet = functions.get("app.greet").unwrap();
        assert_eq!(
            greet("p", json!({"name": "World"})).unwrap(),
            "Hello, World!"
        );
        let err = greet("p", json!({"nom": 1})).unwrap_err();
        assert_eq!(err.kind, interop_protocol::ErrorKind::InvalidInput);
        assert!(
            err.message
                .contains("host function `app.greet`: arguments do not fit"),
            "{err}"
        );
    }

    #[test]
    fn patterns_cover_names_by_prefix_or_exactly() {
        assert!(pattern_covers("*", "anything"));
        assert!(pattern_covers("app.*", "app.version"));
        assert!(!pattern_covers("app.*", "application"));
        assert!(pattern_covers("app.version", "app.version"));
        assert!(!pattern_covers("app.version", "app.versions"));
    }
}
