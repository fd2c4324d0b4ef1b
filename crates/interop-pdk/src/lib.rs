//! Plugin development kit for interop WebAssembly guests written in Rust.
//!
//! Owns: safe wrappers over the host imports of the wasm ABI (`docs/abi.md`): logging,
//! granted environment variables, the plugin's config ([`config`]), the call's input and output, host calls by name
//! (filesystem, HTTP fetch, time, trace, the application's functions), and [`export!`]
//! to turn ordinary functions into handler exports. Does not own: the host side (the
//! `interop-wasm` crate), policy (the host checks every call), or the manifest.
//!
//! A guest is a `cdylib` built with `cargo build --target wasm32-wasip1 --release`:
//!
//! ```no_run
//! use interop_pdk::{export, log, Error};
//!
//! fn greet(name: String) -> Result<String, Error> {
//!     log::info(&format!("greeting {name}"));
//!     Ok(format!("Hello, {name}!"))
//! }
//!
//! export!(greet => greet);
//! ```
//!
//! Compiled for anything but wasm32 (unit tests, `cargo check` on the host), the crate
//! still builds, but there is no host: see [below](#outside-a-wasm-host).
//!
//! # Outside a wasm host
//! Log lines go to stderr, no environment variable is granted, the config is empty, the input is `null`,
//! outputs are dropped and every host call fails with an `internal` error.
#![deny(missing_docs)]

mod base64;
mod error;
pub mod fs;
pub mod log;
pub mod net;
mod sys;
pub mod time;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub use error::Error;
pub use serde_json;

/// Copies `len` bytes of the host's return buffer into a new vector.
fn take_return_buffer(len: i32) -> Vec<u8> {
    if len <= 0 {
        return Vec::new();
    }
    let mut buf = vec![0u8; len as usize];
    // SAFETY: `buf` is a writable buffer of `len` bytes.
    let copied = unsafe { sys::ft_return_buffer_read(buf.as_mut_ptr(), len as u32) };
    buf.truncate(copied.max(0) as usize);
    buf
}

/// The value of the environment variable `name`, if the plugin's `permissions.env`
/// grants it and it is set (a refused name is audited by the host).
pub fn get_env(name: &str) -> Option<String> {
    // SAFETY: pointer and length of a live `&str`.
    let len = unsafe { sys::ft_get_env(name.as_ptr(), name.len() as u32) };
    if len < 0 {
        return None;
    }
    String::from_utf8(take_return_buffer(len)).ok()
}

/// The JSON text of the plugin's config value `key` (the manifest's `config` with the
/// host's overrides), if it has one.
pub fn config_json(key: &str) -> Option<String> {
    // SAFETY: pointer and length of a live `&str`.
    let len = unsafe { sys::ft_config_get(key.as_ptr(), key.len() as u32) };
    if len < 0 {
        return None;
    }
    String::from_utf8(take_return_buffer(len)).ok()
}

/// The plugin's config value `key`, deserialized: `Ok(None)` when the config has no such
/// key, an `invalid_input` error when the value does not have the expected shape.
pub fn config<T: DeserializeOwned>(key: &str) -> Result<Option<T>, Error> {
    let Some(json) = config_json(key) else {
        return Ok(None);
    };
    serde_json::from_str(&json).map(Some).map_err(|e| {
        Error::invalid_input(format!(
            "config `{key}` {}: {}",
            shorten(&json),
            shorten(&e.to_string())
        ))
    })
}

/// The current call's input, as JSON text: the action's `input`, `{"memory", "state"}`
/// for a provider, the event's payload for a hook.
pub fn input_json() -> String {
    // SAFETY: no arguments.
    let len = unsafe { sys::ft_input() };
    String::from_utf8_lossy(&take_return_buffer(len)).into_owned()
}

/// The current call's input, deserialized; an `invalid_input` error quoting the input
/// if it does not have the expected shape.
pub fn input<T: DeserializeOwned>() -> Result<T, Error> {
    parse_input(&input_json())
}

/// The current call's input when it is a JSON string (such as `"World"`).
pub fn input_string() -> Result<String, Error> {
    input::<String>()
}

fn parse_input<T: DeserializeOwned>(json: &str) -> Result<T, Error> {
    let text = if json.trim().is_empty() { "null" } else { json };
    serde_json::from_str(text).map_err(|e| {
        Error::invalid_input(format!(
            "input {}: {}",
            shorten(text),
            shorten(&e.to_string())
        ))
    })
}

fn shorten(text: &str) -> String {
    const MAX: usize = 120;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// Sets the current call's result from raw JSON text: a string becomes the result's
/// `text`, an object with `success` a full result, anything else its `data`.
pub fn output_json(json: &str) {
    // SAFETY: pointer and length of a live `&str`.
    unsafe { sys::ft_output(json.as_ptr(), json.len() as u32) }
}

/// Sets the current call's result to `value`, serialized to JSON (see [`output_json`]).
pub fn output<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string(value) {
        Ok(json) => output_json(&json),
        Err(e) => error(&format!("cannot serialize the result: {e}")),
    }
}

/// Sets the current call's result to the text `text`.
pub fn output_text(text: &str) {
    output(text)
}

/// Fails the current call with `message` (the caller gets an `exec` error).
pub fn error(message: &str) {
    // SAFETY: pointer and length of a live `&str`.
    unsafe { sys::ft_error(message.as_ptr(), message.len() as u32) }
}

/// Calls the host function `name` with JSON `args` (`fs.readFile`, `net.fetch`,
/// `time.now`, `trace`, or one the application registered; see `docs/host-api.md`).
pub fn host_call(name: &str, args: &Value) -> Result<Value, Error> {
    let args = args.to_string();
    // SAFETY: pointers and lengths of live strings.
    let code = unsafe {
        sys::ft_host_call(
            name.as_ptr(),
            name.len() as u32,
            args.as_ptr(),
            args.len() as u32,
        )
    };
    let len = if code < 0 {
        // SAFETY: no arguments.
        unsafe { sys::ft_return_buffer_len() }
    } else {
        code
    };
    decode_host_reply(code, &take_return_buffer(len))
}

/// The result of a host call: `code` is what `ft_host_call` returned, `bytes` the
/// return buffer (the result's JSON, or the error's when `code` is negative).
fn decode_host_reply(code: i32, bytes: &[u8]) -> Result<Value, Error> {
    if code < 0 {
        return Err(Error::from_host_json(bytes));
    }
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            "internal",
            format!("the host returned a result that is not JSON: {e}"),
        )
    })
}

/// Runs one handler call: reads and deserializes the input, calls `handler`, and sets
/// its value as the call's output, or its error as the call's error. [`export!`] wraps
/// functions in it.
pub fn run<I, O, E, F>(handler: F)
where
    I: DeserializeOwned,
    O: Serialize,
    E: std::fmt::Display,
    F: FnOnce(I) -> Result<O, E>,
{
    let input = match input::<I>() {
        Ok(input) => input,
        Err(e) => return error(&e.to_string()),
    };
    match handler(input) {
        Ok(value) => output(&value),
        Err(e) => error(&e.to_string()),
    }
}

/// Exports functions as handlers: `export!(greet => say_hello, on_reload => reload)`
/// defines the wasm export `greet` (the name in the manifest; no parameters, no
/// results) that [`run`]s `say_hello`. The export and the function may share a name.
///
/// A handler is any `fn(I) -> Result<O, E>` with `I: Deserialize` (its input: use
/// `serde_json::Value` to take anything), `O: Serialize` (a `String` becomes the
/// result's text) and `E: Display` (the call's error).
#[macro_export]
macro_rules! export {
    ($($export:ident => $handler:expr),+ $(,)?) => {
        $(
            const _: () = {
                #[export_name = stringify!($export)]
                extern "C" fn __interop_pdk_export() {
                    $crate::run($handler)
                }
            };
        )+
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_json_string_input_parses_to_its_text() {
        assert_eq!(parse_input::<String>(r#""Wor\"ld""#).unwrap(), "Wor\"ld");
    }

    #[test]
    fn an_empty_input_reads_as_null() {
        assert_eq!(parse_input::<Option<String>>("").unwrap(), None);
        assert_eq!(parse_input::<Value>("  ").unwrap(), Value::Null);
    }

    #[test]
    fn a_mistyped_input_is_an_invalid_input_error_quoting_it() {
        let e = parse_input::<String>(r#"{"name": 1}"#).unwrap_err();
        assert_eq!(e.kind, "invalid_input");
        assert!(e.message.contains(r#"{"name": 1}"#), "{}", e.message);
        assert!(e.message.contains("expected a string"), "{}", e.message);
    }

    #[test]
    fn a_long_input_is_shortened_in_errors_on_a_char_boundary() {
        let long = format!("\"{}\"", "é".repeat(200));
        let e = parse_input::<u32>(&long).unwrap_err();
        assert!(e.message.contains("..."), "{}", e.message);
        assert!(e.message.len() < 300, "{}", e.message);
    }

    #[test]
    fn a_host_reply_is_json_or_null_when_empty() {
        assert_eq!(
            decode_host_reply(7, br#"{"a":1}"#).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(decode_host_reply(0, b"").unwrap(), Value::Null);
        assert_eq!(decode_host_reply(3, b"{no").unwrap_err().kind, "internal");
    }

    #[test]
    fn a_negative_host_reply_is_the_error_in_the_buffer() {
        let e = decode_host_reply(
            -1,
            br#"{"kind":"not_found","message":"no host function `x`"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind, "not_found");
    }

    #[test]
    fn outside_a_wasm_host_calls_fail_with_an_internal_error_naming_the_function() {
        let e = host_call("fs.readFile", &json!({"path": "data/x"})).unwrap_err();
        assert_eq!(e.kind, "internal");
        assert!(e.message.contains("fs.readFile"), "{}", e.message);
        assert_eq!(get_env("HOME"), None);
        assert_eq!(config::<String>("greeting").unwrap(), None);
        assert_eq!(input_json(), "null");
    }
}
