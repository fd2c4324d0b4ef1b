//! {{name}}: an interop plugin in Rust, built as a WebAssembly component (wasm32-wasip2)
//! of the interop WIT world in wit/plugin.wit.
//!
//! The host calls `handle` with the name of the handler plugin.json declares and its
//! input as JSON text; the output goes back as JSON text, an `Err` fails the call. The
//! host API (log, env, files, fetch, ...) is in `interop::plugin::host`.

wit_bindgen::generate!({ path: "wit", world: "plugin" });

use interop::plugin::host::{self, LogLevel};
use interop::plugin::types::ErrorKind;

struct Plugin;

impl Guest for Plugin {
    fn handle(handler: String, input: String) -> Result<String, Error> {
        let input: serde_json::Value = serde_json::from_str(&input).map_err(|e| Error {
            kind: ErrorKind::Parse,
            message: format!("{handler}: input is not JSON: {e}"),
        })?;
        let output = match handler.as_str() {
            "greet" => greet(input)?,
            other => {
                return Err(Error {
                    kind: ErrorKind::NotFound,
                    message: format!("no handler `{other}`"),
                })
            }
        };
        Ok(output.to_string())
    }
}

/// "World" -> "Hello, World!".
fn greet(input: serde_json::Value) -> Result<serde_json::Value, Error> {
    let Some(name) = input.as_str() else {
        return Err(Error {
            kind: ErrorKind::InvalidInput,
            message: "greet: expected the name as a JSON string".into(),
        });
    };
    host::log(LogLevel::Info, &format!("greet {name}"));
    Ok(format!("Hello, {name}!").into())
}

export!(Plugin);
