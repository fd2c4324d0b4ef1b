//! The host API as JavaScript sees it: a global `host` object over the sandbox's
//! [`HostServices`] (policy-checked and audited there, not here), plus the globals
//! `log(message)` and `config` (the plugin's configuration), for compatibility with the
//! jsrun plugin-manager API.
//!
//! ```js
//! host.log("info", "hello");            // or host.log("hello")
//! host.env("HOME");                       // string, or null when granted but unset
//! host.config("greeting");                // the plugin's config value, or null
//! host.fs.readFile("data/in.txt");        // text; host.fs.readFile(p, "base64")
//! host.fs.writeFile("out.txt", "text");
//! host.fs.stat(p); host.fs.readdir(p); host.fs.exists(p); host.fs.mkdir(p); host.fs.rm(p);
//! host.fetch({ url, method, headers, body });   // { status, headers, body }
//! host.now(); host.sleep(ms); host.trace({ category, name, durationMs, data });
//! host.call("app.function", { any: "json" });   // the application's own functions
//! console.log("..."); console.warn("...");      // host.log at info, warn...
//! ```
//!
//! A refused call throws an `Error` whose message starts with `denied:` and whose `kind`
//! property is `"denied"`.

use std::io::Write;
use std::sync::{Arc, Mutex};

use interop_protocol::PluginError;
use interop_sandbox::HostServices;
use serde_json::{json, Map, Value};

use crate::error::cut;
use crate::{Error, Runtime};

/// Where the `log(message)` global prints its `[LOG] message` lines.
pub type LogWriter = Arc<Mutex<dyn Write + Send>>;

fn arg_str(args: &[Value], i: usize, function: &str, name: &str) -> Result<String, PluginError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(PluginError::invalid_input(format!(
            "host.{function}: argument `{name}` must be a string, got {other}"
        ))),
        None => Err(PluginError::invalid_input(format!(
            "host.{function}: missing argument `{name}`"
        ))),
    }
}

/// The object form of a host function's arguments: the first argument when it is an
/// object, else the positional `names`.
fn named(args: &[Value], names: &[&str]) -> Value {
    if let [Value::Object(obj)] = args {
        return Value::Object(obj.clone());
    }
    let mut obj = Map::new();
    for (name, value) in names.iter().zip(args) {
        obj.insert((*name).to_owned(), value.clone());
    }
    Value::Object(obj)
}

/// Binds the global `host` object, backed by `services`, into `runtime`.
///
/// The runtime gets its own instance of the services ([`HostServices::for_instance`]),
/// whose calls follow the runtime's ([`Runtime::set_call_services`]): a sleep or fetch
/// ends at the deadline of the call that made it.
pub fn bind_host(runtime: &Runtime, services: &HostServices) -> Result<(), Error> {
    let services = &services.for_instance();
    runtime.set_call_services(services.clone());
    // host.log(level, message) or host.log(message)
    let s = services.clone();
    runtime.bind_function("host.log", move |args| {
        let call_args = match args {
            [msg] => json!({ "message": log_line(std::slice::from_ref(msg)) }),
            [level, msg, ..] => {
                json!({ "level": level, "message": log_line(std::slice::from_ref(msg)) })
            }
            [] => return Err(PluginError::invalid_input("host.log: missing message")),
        };
        s.call("log", call_args)
    })?;
    // console.log/info/warn/error/debug: the host log at that level.
    for (method, level) in [
        ("log", "info"),
        ("info", "info"),
        ("warn", "warn"),
        ("error", "error"),
        ("debug", "debug"),
    ] {
        let s = services.clone();
        runtime.bind_function(&format!("console.{method}"), move |args| {
            s.call("log", json!({ "level": level, "message": log_line(args) }))
        })?;
    }
    let s = services.clone();
    runtime.bind_function("host.env", move |args| {
        s.call(
            "env.get",
            json!({ "name": arg_str(args, 0, "env", "name")? }),
        )
    })?;
    for (js, function, names) in [
        ("readFile", "fs.readFile", &["path", "encoding"][..]),
        ("writeFile", "fs.writeFile", &["path", "content"][..]),
        ("stat", "fs.stat", &["path"][..]),
        ("readdir", "fs.readdir", &["path"][..]),
        ("exists", "fs.exists", &["path"][..]),
        ("mkdir", "fs.mkdir", &["path"][..]),
        ("rm", "fs.rm", &["path"][..]),
    ] {
        let s = services.clone();
        runtime.bind_function(&format!("host.fs.{js}"), move |args| {
            s.call(function, named(args, names))
        })?;
    }
    let s = services.clone();
    runtime.bind_function("host.fetch", move |args| {
        let request = match args {
            [Value::String(url)] => json!({ "url": url }),
            [Value::String(url), Value::Object(opts)] => {
                let mut o = opts.clone();
                o.insert("url".into(), json!(url));
                Value::Object(o)
            }
            [obj @ Value::Object(_)] => obj.clone(),
            _ => {
                return Err(PluginError::invalid_input(
                    "host.fetch: expected ({url, method, headers, body}) or (url, options)",
                ))
            }
        };
        s.call("net.fetch", request)
    })?;
    let s = services.clone();
    runtime.bind_function("host.config", move |args| {
        s.call(
            "config.get",
            json!({ "key": arg_str(args, 0, "config", "key")? }),
        )
    })?;
    let s = services.clone();
    runtime.bind_function("host.now", move |_| s.call("time.now", Value::Null))?;
    let s = services.clone();
    runtime.bind_function("host.sleep", move |args| {
        s.call("time.sleep", named(args, &["ms"]))
    })?;
    let s = services.clone();
    runtime.bind_function("host.trace", move |args| {
        let event = match args {
            [Value::String(name)] => json!({ "name": name }),
            _ => named(args, &["name"]),
        };
        s.call("trace", event)
    })?;
    let s = services.clone();
    runtime.bind_function("host.call", move |args| {
        let name = arg_str(args, 0, "call", "name")?;
        s.call(&name, args.get(1).cloned().unwrap_or(Value::Null))
    })?;
    Ok(())
}

/// Longest log line a plugin writes at once; the rest is cut, saying how much.
pub const LOG_LINE_BYTES: usize = 64 * 1024;

fn msg_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The log line of `parts`, joined by spaces and cut to [`LOG_LINE_BYTES`].
fn log_line(parts: &[Value]) -> String {
    let line = parts.iter().map(msg_text).collect::<Vec<_>>().join(" ");
    cut(&line, LOG_LINE_BYTES).into_owned()
}

/// Binds the host API of the jsrun plugin manager, for compatibility with plugins written
/// for it: `log(message)`, which prints `[LOG] message` to `out` and logs it through
/// `services` (audited), and the `config` object: the plugin's configuration (its
/// manifest's `config` with the host's overrides, [`HostServices::config`]).
pub fn bind_plugin_manager_globals(
    runtime: &Runtime,
    services: &HostServices,
    out: LogWriter,
) -> Result<(), Error> {
    let s = services.clone();
    runtime.bind_function("log", move |args| {
        let message = log_line(args);
        {
            let mut w = out.lock().unwrap_or_else(|e| e.into_inner());
            writeln!(w, "[LOG] {message}")
                .and_then(|_| w.flush())
                .map_err(|e| PluginError::internal(format!("log: {e}")))?;
        }
        s.log(interop_sandbox::LogLevel::Info, &message);
        Ok(Value::Null)
    })?;
    runtime.bind_object("config", &Value::Object(services.config().clone()))
}
