//! The greeter sample plugin, in Rust on the interop PDK: two actions, a provider and a
//! hook, using log, env and fs. Its twins in Go, AssemblyScript and C answer the same.

use interop_pdk::serde_json::Value;
use interop_pdk::{export, fs, get_env, log, Error};

/// The name an action was given: its input, a JSON string.
fn name_of(action: &str, input: Value) -> Result<String, String> {
    match input {
        Value::String(name) => Ok(name),
        _ => Err(format!("{action}: expected the name as a JSON string")),
    }
}

/// `greet`: "World" -> "Hello, World!", prefixed by `$GREETER_PREFIX` and a space when
/// the variable is granted and set.
fn greet(input: Value) -> Result<String, String> {
    let name = name_of("greet", input)?;
    log::info(&format!("greet {name}"));
    let greeting = format!("Hello, {name}!");
    Ok(match get_env("GREETER_PREFIX") {
        Some(prefix) if !prefix.is_empty() => format!("{prefix} {greeting}"),
        _ => greeting,
    })
}

/// `farewell`: "World" -> "Goodbye, World!".
fn farewell(input: Value) -> Result<String, String> {
    let name = name_of("farewell", input)?;
    log::info(&format!("farewell {name}"));
    Ok(format!("Goodbye, {name}!"))
}

/// Provider `greeting`: the text of data/greeting.txt, read through the host.
fn greeting(_request: Value) -> Result<String, Error> {
    Ok(fs::read_file("data/greeting.txt")?.trim_end().to_string())
}

/// Hook `config.reload`: logs a line.
fn on_reload(_payload: Value) -> Result<(), Error> {
    log::info("greeter: configuration reloaded");
    Ok(())
}

export!(
    greet => greet,
    farewell => farewell,
    greeting => greeting,
    on_reload => on_reload,
);
