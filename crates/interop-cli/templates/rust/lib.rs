//! {{name}}: an interop plugin in Rust, compiled to wasm32-wasip1.
//!
//! Each handler named in plugin.json is a function turned into a wasm export by
//! `export!`: its input is deserialized into the parameter, its `Ok` is the result and
//! its `Err` fails the call. The host API (log, env, fs, net, time) is in `interop_pdk`.

use interop_pdk::{export, log, Error};

fn greet(name: String) -> Result<String, Error> {
    log::info(&format!("greet {name}"));
    Ok(format!("Hello, {name}!"))
}

export!(greet => greet);
