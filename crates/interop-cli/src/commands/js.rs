//! `interop js`: try JavaScript in interop's V8 (`interop js eval '[1, 2].map(x => x * 2)'`)
//! or call a Node module's export in a `node` subprocess
//! `interop js call examples/plugins/node-bridge/example.js add 2 3` prints 5).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use interop_js::{node, Runtime, RuntimeConfig};
use serde_json::Value;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: JsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum JsCommand {
    /// Evaluate a script in a fresh V8 isolate and print its value (strings as text,
    /// anything else as JSON). `console.log` prints to stdout.
    Eval {
        /// The script, `-` to read it from stdin, or `@FILE` to read it from a file (named
        /// in its errors' stacks).
        script: String,
        /// Time limit, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
        /// Heap limit, in MiB.
        #[arg(long, default_value_t = 64)]
        max_heap_mb: usize,
    },
    /// Call a function exported by a Node module (CommonJS or ES) with the system `node`.
    Call {
        /// The module file.
        module: PathBuf,
        /// The exported function.
        function: String,
        /// Its arguments, each a JSON value (`2`, '"text"', '{"a": 1}').
        #[arg(allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn print(value: &Value) {
    match value {
        Value::String(s) => println!("{s}"),
        other => println!("{other}"),
    }
}

/// The name (for stack traces) and text of `eval`'s script argument.
fn script_source(arg: &str) -> anyhow::Result<(String, String)> {
    if arg == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .context("js eval -: cannot read stdin")?;
        return Ok(("<stdin>".to_owned(), text));
    }
    match arg.strip_prefix('@') {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("js eval @{file}: cannot read `{file}`"))?;
            Ok((file.to_owned(), text))
        }
        None => Ok(("<command line>".to_owned(), arg.to_owned())),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        JsCommand::Eval {
            script,
            timeout_ms,
            max_heap_mb,
        } => {
            let config = RuntimeConfig::default()
                .with_timeout(Duration::from_millis(timeout_ms))
                .with_max_heap_size(max_heap_mb.saturating_mul(1024 * 1024));
            let runtime = Runtime::new(config)?;
            runtime.bind_function("console.log", |args| {
                let line: Vec<String> = args
                    .iter()
                    .map(|a| match a {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                println!("{}", line.join(" "));
                Ok(Value::Null)
            })?;
            let (name, source) = script_source(&script)?;
            // As a PluginError (no plugin), so that a thrown error's stack is printed.
            let value = runtime.eval_named(&name, &source).map_err(|e| {
                let mut err = e.into_plugin_error("");
                err.plugin = None;
                err
            })?;
            print(&value);
        }
        JsCommand::Call {
            module,
            function,
            args,
        } => {
            let args = args
                .iter()
                .map(|a| {
                    serde_json::from_str(a).with_context(|| {
                        format!("argument `{a}` is not JSON (strings need quotes)")
                    })
                })
                .collect::<anyhow::Result<Vec<Value>>>()?;
            print(&node::call(&module, &function, &args)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
