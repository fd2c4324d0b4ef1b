//! JavaScript values to the JSON plugins speak, and back.
//!
//! Plugins exchange JSON; bytes cross it as a string `"base64:<base64>"` (the convention of
//! the host API's fetch bodies). So a `Buffer` or `Uint8Array` anywhere in a value becomes
//! such a string, and [`decode_bytes`] turns one back into a `Buffer`.

use base64::Engine;
use napi::bindgen_prelude::{
    Array, Buffer, FromNapiValue, JsObjectValue, Object, Uint8Array, Unknown,
};
use napi::{JsValue, ValueType};
use serde_json::{Map, Value};

use interop_protocol::PluginError;

/// The prefix of a string that carries bytes.
pub(crate) const BYTES_PREFIX: &str = "base64:";

/// How deeply a value may nest (deeper is refused, never a stack overflow).
const MAX_DEPTH: usize = 128;

/// `value` as JSON: bytes as `"base64:..."` strings; `undefined` and functions as `null`
/// (in an object, such keys are left out, as `JSON.stringify` does).
pub(crate) fn to_json(value: Unknown) -> Result<Value, PluginError> {
    convert(value, MAX_DEPTH).map_err(|e| PluginError::invalid_input(e.reason.clone()))
}

fn convert(value: Unknown, depth: usize) -> napi::Result<Value> {
    match value.get_type()? {
        ValueType::Undefined | ValueType::Null | ValueType::Function | ValueType::Symbol => {
            Ok(Value::Null)
        }
        ValueType::Object => {
            if depth == 0 {
                return Err(napi::Error::from_reason(format!(
                    "a value nested more than {MAX_DEPTH} levels deep"
                )));
            }
            if value.is_buffer()? {
                return Ok(bytes(&Buffer::from_unknown(value)?));
            }
            if value.is_typedarray()? {
                let array = Uint8Array::from_unknown(value).map_err(|_| {
                    napi::Error::from_reason(
                        "a typed array other than Uint8Array (bytes cross as Uint8Array or Buffer)",
                    )
                })?;
                return Ok(bytes(&array));
            }
            if value.is_array()? {
                let array = Array::from_unknown(value)?;
                let mut out = Vec::with_capacity(array.len() as usize);
                for i in 0..array.len() {
                    let item: Option<Unknown> = array.get(i)?;
                    out.push(match item {
                        Some(item) => convert(item, depth - 1)?,
                        None => Value::Null,
                    });
                }
                return Ok(Value::Array(out));
            }
            if value.is_date()? {
                return Value::from_unknown(value);
            }
            let object = Object::from_unknown(value)?;
            let mut out = Map::new();
            for key in Object::keys(&object)? {
                let item: Unknown = object.get_named_property(&key)?;
                if matches!(item.get_type()?, ValueType::Undefined | ValueType::Function) {
                    continue;
                }
                out.insert(key, convert(item, depth - 1)?);
            }
            Ok(Value::Object(out))
        }
        _ => Value::from_unknown(value),
    }
}

fn bytes(data: &[u8]) -> Value {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    Value::String(format!("{BYTES_PREFIX}{encoded}"))
}

/// The bytes a `"base64:..."` string carries.
pub(crate) fn decode_bytes(text: &str) -> Result<Vec<u8>, String> {
    let encoded = text
        .strip_prefix(BYTES_PREFIX)
        .ok_or_else(|| format!("expected a string starting with `{BYTES_PREFIX}`"))?;
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("not valid base64 after `{BYTES_PREFIX}`: {e}"))
}
