//! Hostile manifests and inputs: what a plugin directory can hold to hang, crash or
//! confuse the host before any plugin code runs. Each is refused with an error that says
//! what is wrong, quickly.
//!
//! A manifest error is turned into the plugin error a caller would act on: `parse` (not
//! JSON), `limit_exceeded` (too large), `invalid_input` (problems with JSON paths), `fs`
//! (not a readable regular UTF-8 file), with the host's message.

use std::time::Duration;

use interop_hostile::{
    invoke, Arena, Case, ErrorKind, Expect, Host, Outcome, PluginError, ECHO_WAT,
};
use interop_protocol::ManifestError;
use serde_json::{json, Value};

/// The manifest of the echo plugin, with `actions`.
fn echo_manifest(actions: Value) -> Value {
    json!({
        "name": "echo", "version": "1.0.0",
        "interop": {"protocol": "wasm", "wasmPath": "echo.wat"},
        "actions": actions
    })
}

/// Loads the plugin directory's `plugin.json` into the host.
fn load(arena: &Arena, host: &Host) -> Result<String, PluginError> {
    match host.load(arena.plugin_dir.join("plugin.json")) {
        Ok(plugin) => Ok(plugin.name().to_owned()),
        Err(interop_host::HostError::Manifest(e)) => Err(manifest_error(e)),
        Err(other) => Err(interop_hostile::host_error(other)),
    }
}

fn manifest_error(e: ManifestError) -> PluginError {
    let message = e.to_string();
    match e {
        ManifestError::Io { .. } => PluginError::new(ErrorKind::Fs, message),
        ManifestError::TooLarge { .. } => PluginError::limit("manifest_size", message),
        ManifestError::Json { .. } => PluginError::parse(message),
        ManifestError::Invalid { .. } => PluginError::invalid_input(message),
    }
}

/// A case that writes the plugin directory with `setup`, then loads it.
fn loading(name: &str, expect: Expect, setup: fn(&Arena)) -> Case {
    Case::new("manifest", name, expect, move |arena, host| {
        setup(arena);
        load(arena, host).map(|name| json!({"loaded": name}))
    })
}

/// A case that writes `plugin.json` as `text` (substituted) and loads it.
fn text(name: &str, expect: Expect, text: &'static str) -> Case {
    Case::new("manifest", name, expect, move |arena, host| {
        arena.write("echo.wat", ECHO_WAT);
        arena.write("plugin.json", text);
        load(arena, host).map(|name| json!({"loaded": name}))
    })
}

/// A case that loads the echo plugin with an action `echo` of `input_schema`, then
/// invokes it with `input`.
fn input(name: &str, expect: Expect, input_schema: Value, input: fn() -> Value) -> Case {
    Case::new("manifest", name, expect, move |arena, host| {
        arena.write("echo.wat", ECHO_WAT);
        arena.manifest(echo_manifest(
            json!([{"name": "echo", "inputSchema": input_schema}]),
        ));
        let plugin = load(arena, host)?;
        invoke(host, &plugin, "echo", input())
    })
}

/// A manifest whose module is a FIFO named `file`, for `interop`.
fn fifo_module(arena: &Arena, file: &str, interop: Value) {
    arena.fifo(file);
    arena.manifest(json!({
        "name": "fifo", "version": "1.0.0", "interop": interop, "actions": [{"name": "run"}]
    }));
}

/// Fails a case whose error message is longer than `max` bytes.
fn at_most(max: usize, outcome: Outcome) -> Outcome {
    match outcome {
        Err(e) if e.message.len() > max => Err(PluginError::internal(format!(
            "a {}-byte error message",
            e.message.len()
        ))),
        other => other,
    }
}

const QUICKLY: Duration = Duration::from_secs(3);

pub fn cases() -> Vec<Case> {
    vec![
        text(
            "a manifest that is not JSON is a parse error",
            Expect::error(ErrorKind::Parse).containing("not valid JSON"),
            "name = \"echo\"\n",
        ),
        loading(
            "JSON nested a million deep is a parse error, not a stack overflow",
            Expect::error(ErrorKind::Parse)
                .containing("recursion limit exceeded")
                .within(QUICKLY),
            |arena| {
                arena.write("plugin.json", "[".repeat(1_000_000));
            },
        ),
        loading(
            "a 50 MB manifest is refused before it is parsed",
            Expect::limit("manifest_size")
                .containing("manifest is larger than 16777216 bytes")
                .within(QUICKLY),
            |arena| {
                let padding = "x".repeat(50 * 1024 * 1024);
                arena.write(
                    "plugin.json",
                    format!(r#"{{"name": "big", "description": "{padding}"}}"#),
                );
            },
        ),
        loading(
            "a hundred thousand actions load in linear time",
            Expect::harmless().within(Duration::from_secs(30)),
            |arena| {
                arena.write("echo.wat", ECHO_WAT);
                let actions: Vec<Value> = (0..100_000)
                    .map(|i| json!({"name": format!("action-{i}"), "handler": "echo"}))
                    .collect();
                arena.manifest(echo_manifest(json!(actions)));
            },
        ),
        text(
            "a duplicate `name` key is an error naming it",
            Expect::error(ErrorKind::InvalidInput).containing(r#"$: duplicate key "name""#),
            r#"{"name": "echo", "version": "1.0.0", "name": "neighbour",
                "interop": {"protocol": "wasm", "wasmPath": "echo.wat"}}"#,
        ),
        text(
            "a duplicate key in `interop` is an error naming it",
            Expect::error(ErrorKind::InvalidInput)
                .containing(r#"$.interop: duplicate key "protocol""#),
            r#"{"name": "echo", "version": "1.0.0",
                "interop": {"protocol": "js", "wasmPath": "echo.wat", "protocol": "wasm"}}"#,
        ),
        text(
            "a duplicate key inside an action is an error naming its path",
            Expect::error(ErrorKind::InvalidInput)
                .containing(r#"$.actions[1]: duplicate key "handler""#),
            r#"{"name": "echo", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "echo.wat"},
                "actions": [{"name": "a", "handler": "echo"},
                            {"name": "b", "handler": "echo", "handler": "_start"}]}"#,
        ),
        text(
            "a module path that climbs out with `..` is refused",
            Expect::error(ErrorKind::InvalidInput).containing("leaves the plugin directory"),
            r#"{"name": "echo", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "../outside/secret.txt"}}"#,
        ),
        text(
            "an absolute module path is refused",
            Expect::error(ErrorKind::InvalidInput).containing("is absolute"),
            r#"{"name": "echo", "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "{SECRET}"}}"#,
        ),
        loading(
            "a module path through a symlinked directory is refused",
            Expect::error(ErrorKind::InvalidInput).containing("through a symlink"),
            |arena| {
                std::os::unix::fs::symlink(&arena.outside, arena.plugin_dir.join("lib"))
                    .expect("symlink");
                arena.manifest(json!({
                    "name": "echo", "version": "1.0.0",
                    "interop": {"protocol": "wasm", "wasmPath": "lib/secret.txt"}
                }));
            },
        ),
        loading(
            "a FIFO as plugin.json fails at once instead of blocking",
            Expect::error(ErrorKind::Fs)
                .containing("a FIFO (named pipe) is not a regular file")
                .within(QUICKLY),
            |arena| {
                arena.fifo("plugin.json");
            },
        ),
        loading(
            "a FIFO as wasmPath fails at once instead of blocking",
            Expect::any_error(&[ErrorKind::InvalidInput, ErrorKind::NotFound, ErrorKind::Fs])
                .containing("a FIFO (named pipe) is not a regular file")
                .within(QUICKLY),
            |arena| {
                fifo_module(
                    arena,
                    "m.wasm",
                    json!({"protocol": "wasm", "wasmPath": "m.wasm"}),
                )
            },
        ),
        loading(
            "a FIFO as scriptPath fails at once instead of blocking",
            Expect::any_error(&[ErrorKind::InvalidInput, ErrorKind::NotFound, ErrorKind::Fs])
                .containing("a FIFO (named pipe) is not a regular file")
                .within(QUICKLY),
            |arena| {
                fifo_module(
                    arena,
                    "p.js",
                    json!({"protocol": "js", "scriptPath": "p.js"}),
                )
            },
        ),
        loading(
            "a FIFO as libraryPath fails at once instead of blocking",
            Expect::any_error(&[ErrorKind::InvalidInput, ErrorKind::NotFound, ErrorKind::Fs])
                .containing("a FIFO (named pipe) is not a regular file")
                .within(QUICKLY),
            |arena| {
                fifo_module(
                    arena,
                    "p.so",
                    json!({"protocol": "ffi", "libraryPath": "p.so"}),
                )
            },
        ),
        loading(
            "a manifest that is a directory is refused",
            Expect::error(ErrorKind::Fs).containing("a directory is not a regular file"),
            |arena| {
                std::fs::create_dir(arena.plugin_dir.join("plugin.json")).expect("directory");
            },
        ),
        loading(
            "a manifest in invalid UTF-8 is refused",
            Expect::error(ErrorKind::Fs).containing("not UTF-8 text (byte 10)"),
            |arena| {
                arena.write("plugin.json", b"{\"name\": \"\xff\xfe\"}");
            },
        ),
        Case::new(
            "manifest",
            "a megabyte-long name is refused with a message of a few hundred bytes",
            Expect::error(ErrorKind::InvalidInput).containing("... (1000002 bytes) does not match"),
            |arena, host| {
                arena.write("echo.wat", ECHO_WAT);
                let mut manifest = echo_manifest(json!([]));
                manifest["name"] = json!("!".repeat(1_000_000));
                arena.manifest(manifest);
                at_most(1000, load(arena, host).map(|name| json!(name)))
            },
        ),
        input(
            "a regex bomb in an inputSchema is cut off by the backtracking limit",
            Expect::error(ErrorKind::InvalidInput)
                .containing("does not match its inputSchema")
                .within(Duration::from_secs(10)),
            json!({"type": "string", "pattern": "^(a|a)*\\1$"}),
            || json!(format!("{}!", "a".repeat(40))),
        ),
        input(
            "a deeply recursive `$ref` in an inputSchema neither loops nor overflows",
            Expect::error(ErrorKind::InvalidInput)
                .containing("does not match its inputSchema")
                .within(QUICKLY),
            json!({
                "$defs": {"node": {
                    "type": "object",
                    "properties": {"next": {"$ref": "#/$defs/node"}},
                    "additionalProperties": false
                }},
                "$ref": "#/$defs/node"
            }),
            || {
                (0..100).fold(
                    json!({"next": {}, "extra": 1}),
                    |inner, _| json!({"next": inner}),
                )
            },
        ),
        input(
            "an action input that does not match its schema is refused before the plugin runs",
            Expect::error(ErrorKind::InvalidInput)
                .containing("action `echo`: input does not match its inputSchema"),
            json!({"type": "string", "maxLength": 5}),
            || json!(42),
        ),
    ]
}
