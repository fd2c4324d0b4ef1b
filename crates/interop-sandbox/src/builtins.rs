//! The built-in host functions in their JSON form, as one table: name -> adapter.
//!
//! Each adapter reads its arguments from JSON, calls the typed [`HostServices`] method
//! (which checks the policy and writes the audit trail) and turns the answer into JSON.
//! This table is the only list of built-in names: [`names`] and `docs/host-api.md` follow
//! it, and [`HostServices::call`] looks functions up in it.

use std::time::Duration;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use interop_protocol::PluginError;

use crate::fetch::FetchRequest;
use crate::log::{LogLevel, TraceEvent};
use crate::HostServices;

/// A built-in host function's JSON adapter.
type Builtin = fn(&HostServices, Value) -> Result<Value, PluginError>;

/// Every built-in host function, by the name plugins call it by.
const BUILTINS: &[(&str, Builtin)] = &[
    ("log", log),
    ("env.get", env_get),
    ("config.get", config_get),
    ("fs.readFile", fs_read_file),
    ("fs.writeFile", fs_write_file),
    ("fs.stat", fs_stat),
    ("fs.readdir", fs_readdir),
    ("fs.exists", fs_exists),
    ("fs.mkdir", fs_mkdir),
    ("fs.rm", fs_rm),
    ("net.fetch", net_fetch),
    ("time.now", time_now),
    ("time.sleep", time_sleep),
    ("trace", trace),
];

/// The adapter of the built-in `name`.
pub(crate) fn find(name: &str) -> Option<Builtin> {
    BUILTINS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// The names of the built-in host functions, in the order `docs/host-api.md` lists them.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(name, _)| *name)
}

fn log(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let level = match args.get("level") {
        Some(Value::Number(n)) => LogLevel::from_number(n.as_i64().unwrap_or(2)),
        Some(Value::String(name)) => LogLevel::parse(name).unwrap_or(LogLevel::Info),
        _ => LogLevel::Info,
    };
    let message: String = field(s, &args, "log", "message")?;
    s.log(level, &message);
    Ok(Value::Null)
}

fn env_get(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    Ok(json!(
        s.env_get(&field::<String>(s, &args, "env.get", "name")?)?
    ))
}

fn config_get(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let key: String = field(s, &args, "config.get", "key")?;
    Ok(s.config_get(&key).unwrap_or(Value::Null))
}

fn fs_read_file(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let path: String = field(s, &args, "fs.readFile", "path")?;
    let bytes = s.read_file(&path)?;
    match args.get("encoding").and_then(Value::as_str) {
        Some("base64") => Ok(json!(
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )),
        _ => String::from_utf8(bytes).map(Value::String).map_err(|_| {
            PluginError::fs(format!(
                "read `{path}`: not UTF-8 text; pass \"encoding\": \"base64\""
            ))
            .in_plugin(s.plugin())
        }),
    }
}

fn fs_write_file(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    const NAME: &str = "fs.writeFile";
    let path: String = field(s, &args, NAME, "path")?;
    let bytes =
        match (args.get("content"), args.get("contentBase64")) {
            (Some(Value::String(text)), None) => text.clone().into_bytes(),
            (None, Some(Value::String(b64))) => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| bad_args(s, NAME, &format!("`contentBase64` is not base64: {e}")))?,
            _ => {
                return Err(bad_args(
                    s,
                    NAME,
                    "expected a string `content` or `contentBase64`",
                ))
            }
        };
    s.write_file(&path, &bytes).map(|()| Value::Null)
}

fn fs_stat(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    to_json(s.stat(&field::<String>(s, &args, "fs.stat", "path")?)?)
}

fn fs_readdir(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    to_json(s.readdir(&field::<String>(s, &args, "fs.readdir", "path")?)?)
}

fn fs_exists(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    Ok(json!(s.exists(&field::<String>(
        s,
        &args,
        "fs.exists",
        "path"
    )?)?))
}

fn fs_mkdir(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    s.mkdir(&field::<String>(s, &args, "fs.mkdir", "path")?)
        .map(|()| Value::Null)
}

fn fs_rm(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    s.rm(&field::<String>(s, &args, "fs.rm", "path")?)
        .map(|()| Value::Null)
}

fn net_fetch(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let request: FetchRequest =
        serde_json::from_value(args).map_err(|e| bad_args(s, "net.fetch", &e.to_string()))?;
    to_json(s.fetch(&request)?)
}

fn time_now(s: &HostServices, _args: Value) -> Result<Value, PluginError> {
    Ok(json!(s.now_ms()))
}

fn time_sleep(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let ms: u64 = field(s, &args, "time.sleep", "ms")?;
    s.sleep(Duration::from_millis(ms)).map(|()| Value::Null)
}

fn trace(s: &HostServices, args: Value) -> Result<Value, PluginError> {
    let event: TraceEvent =
        serde_json::from_value(args).map_err(|e| bad_args(s, "trace", &e.to_string()))?;
    s.trace(event);
    Ok(Value::Null)
}

fn bad_args(s: &HostServices, function: &str, why: &str) -> PluginError {
    PluginError::invalid_input(format!("host function `{function}`: {why}")).in_plugin(s.plugin())
}

/// The argument `name` of `function`, of type `T`.
fn field<T: DeserializeOwned>(
    s: &HostServices,
    args: &Value,
    function: &str,
    name: &str,
) -> Result<T, PluginError> {
    let value = args
        .get(name)
        .ok_or_else(|| bad_args(s, function, &format!("missing argument `{name}`")))?;
    T::deserialize(value).map_err(|e| bad_args(s, function, &format!("argument `{name}`: {e}")))
}

fn to_json(value: impl serde::Serialize) -> Result<Value, PluginError> {
    serde_json::to_value(value).map_err(|e| PluginError::internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_has_each_name_once_and_the_docs_list_them_all() {
        let names: Vec<&str> = super::names().collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        let docs = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/host-api.md"
        ))
        .unwrap();
        for name in names {
            assert!(
                docs.contains(&format!("| `{name}` |")),
                "docs/host-api.md misses `{name}`"
            );
        }
    }
}
