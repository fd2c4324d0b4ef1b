//! The JSON Schema of `plugin.json`, generated from the [`Manifest`](crate::Manifest) types.
//!
//! The checked-in `plugin.schema.json` at the repository root is this function's output
//! (`cargo xtask schema` rewrites it; a test fails when it is stale), so the Rust types
//! are the single source of truth.

use serde_json::Value;

use crate::Manifest;

/// The `$id` of the manifest schema.
pub const SCHEMA_ID: &str = "https://interop.dev/plugin.schema.json";

/// The manifest schema as a JSON value.
pub fn manifest_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(Manifest))
        .unwrap_or_else(|e| unreachable!("a derived schema always serializes: {e}"));
    if let Value::Object(map) = &mut schema {
        map.insert("$id".into(), Value::String(SCHEMA_ID.into()));
    }
    schema
}

/// The manifest schema as the pretty-printed text of `plugin.schema.json`
/// (with a trailing newline).
pub fn manifest_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&manifest_schema())
        .unwrap_or_else(|e| unreachable!("a JSON value always serializes: {e}"));
    text.push('\n');
    text
}
