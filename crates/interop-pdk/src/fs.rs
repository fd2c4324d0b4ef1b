//! The filesystem, through the host (`fs.*` host calls). Paths are relative to the
//! plugin directory (or absolute) and must lie under a root the plugin's
//! `permissions.fs` grants; anything else is a `denied` [`Error`].

use serde_json::{json, Value};

use crate::{base64, host_call, Error};

/// Reads the UTF-8 text file at `path`.
pub fn read_file(path: &str) -> Result<String, Error> {
    match host_call("fs.readFile", &json!({ "path": path }))? {
        Value::String(text) => Ok(text),
        other => Err(unexpected("fs.readFile", &other)),
    }
}

/// Reads the file at `path` as bytes.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, Error> {
    match host_call(
        "fs.readFile",
        &json!({ "path": path, "encoding": "base64" }),
    )? {
        Value::String(b64) => base64::decode(&b64)
            .ok_or_else(|| Error::new("internal", "fs.readFile: the host's base64 is invalid")),
        other => Err(unexpected("fs.readFile", &other)),
    }
}

/// Writes `content` to the file at `path` (replacing it).
pub fn write_file(path: &str, content: &str) -> Result<(), Error> {
    host_call("fs.writeFile", &json!({ "path": path, "content": content })).map(drop)
}

/// Whether `path` exists.
pub fn exists(path: &str) -> Result<bool, Error> {
    match host_call("fs.exists", &json!({ "path": path }))? {
        Value::Bool(b) => Ok(b),
        other => Err(unexpected("fs.exists", &other)),
    }
}

/// The entries of the directory `path` (objects with `name`, `isFile`, `isDirectory`...).
pub fn readdir(path: &str) -> Result<Value, Error> {
    host_call("fs.readdir", &json!({ "path": path }))
}

/// Creates the directory `path` and its parents.
pub fn mkdir(path: &str) -> Result<(), Error> {
    host_call("fs.mkdir", &json!({ "path": path })).map(drop)
}

/// Removes the file or directory tree `path`.
pub fn rm(path: &str) -> Result<(), Error> {
    host_call("fs.rm", &json!({ "path": path })).map(drop)
}

pub(crate) fn unexpected(function: &str, value: &Value) -> Error {
    Error::new(
        "internal",
        format!("{function}: unexpected result from the host: {value}"),
    )
}
