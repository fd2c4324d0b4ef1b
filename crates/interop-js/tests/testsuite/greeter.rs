//! Compatibility with the jsrun plugin manager: its example, reproduced byte for byte with
//! the `js` backend.

use crate::common;

use std::io::Write;

use interop_protocol::{ActionInvoke, Plugin};
use serde_json::json;

/// What the jsrun plugin manager's example prints (`python plugin_manager.py`).
const PLUGIN_MANAGER_OUTPUT: &str = "Loaded plugin: greeter
[LOG] Greeting World
Result: Hello, World! App version: 1.0.0
Result: Goodbye, John Doe!
";

#[test]
fn the_jsrun_greeter_prints_the_plugin_managers_output_byte_for_byte() {
    let (plugin, services, mut out) = common::load("js-greeter");
    // What the PluginManager prints around the plugin's own `log` line.
    writeln!(out, "Loaded plugin: greeter").unwrap();
    let greet = plugin
        .invoke(&ActionInvoke::new("greet", json!("World")))
        .unwrap();
    writeln!(out, "Result: {}", greet.text.as_deref().unwrap()).unwrap();
    let farewell = plugin
        .invoke(&ActionInvoke::new("farewell", json!("John Doe")))
        .unwrap();
    writeln!(out, "Result: {}", farewell.text.as_deref().unwrap()).unwrap();
    plugin.unload().unwrap();

    assert_eq!(out.text(), PLUGIN_MANAGER_OUTPUT);
    // The plugin's log line also went through the host, audited.
    assert!(services
        .audit()
        .events()
        .iter()
        .any(|e| e.function == "log" && e.plugin == "js-greeter"));
}

#[test]
fn an_unloaded_plugin_refuses_calls() {
    let (plugin, _, _) = common::load("js-greeter");
    plugin.unload().unwrap();
    plugin.unload().unwrap();
    let err = plugin
        .invoke(&ActionInvoke::new("farewell", json!("x")))
        .unwrap_err();
    assert_eq!(err.kind, interop_protocol::ErrorKind::NotFound);
    assert!(err.message.contains("unloaded"), "{err}");
}

#[test]
fn an_undeclared_action_is_refused_naming_the_declared_ones() {
    let (plugin, _, _) = common::load("js-greeter");
    let err = plugin
        .invoke(&ActionInvoke::new("dance", json!(null)))
        .unwrap_err();
    assert!(err.message.contains("greet, farewell"), "{err}");
}
