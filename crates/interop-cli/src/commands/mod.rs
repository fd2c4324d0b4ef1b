//! The subcommands, one module each.

mod bindings;
mod call;
#[cfg(feature = "ffi")]
mod ffi;
mod grants;
mod inspect;
#[cfg(feature = "js")]
mod js;
mod list;
mod new;
#[cfg(feature = "wasm")]
mod run;
mod schema;
#[cfg(feature = "ipc")]
mod serve;
mod validate;
#[cfg(feature = "wasm")]
mod wasm_call;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Host plugins written in any language: validate, inspect and call them.
#[derive(Debug, Parser)]
#[command(name = "interop", version, about)]
pub struct Cli {
    /// Log what the host does (or set INTEROP_LOG, e.g. INTEROP_LOG=debug).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check manifests against plugin.schema.json and interop's rules, and that the files
    /// they name exist (exit 3 if any fails).
    Validate(validate::Args),
    /// Print the JSON Schema of plugin.json.
    Schema,
    /// Print guest types (Rust, TypeScript or WIT) for a plugin's input and output schemas.
    Bindings(bindings::Args),
    /// List the plugins under a directory: protocol, language, and whether each is ready.
    List(list::Args),
    /// Create a plugin (plugin.json and a source file) that runs right away.
    New(new::Args),
    /// Show what a plugin declares: actions, providers, hooks, permissions and limits.
    Inspect(inspect::Args),
    /// Run one action of a plugin and print its result.
    Call(call::CallArgs),
    /// Ask one provider of a plugin and print its answer.
    Provider(call::ProviderArgs),
    /// Deliver a hook event to a plugin and print what its handlers returned.
    Emit(call::EmitArgs),
    /// Serve a host over JSON-RPC 2.0 (Unix socket, TCP or stdio) for programs in any
    /// language: load plugins, call them, read metrics (docs/serve.md).
    #[cfg(feature = "ipc")]
    Serve(serve::Args),
    /// Run a WASI command module (`_start`) with nothing granted unless asked for.
    #[cfg(feature = "wasm")]
    Run(run::Args),
    /// Call a wasm module's export with numbers and print its results.
    #[cfg(feature = "wasm")]
    WasmCall(wasm_call::Args),
    /// Call a C function with types declared on the command line.
    #[cfg(feature = "ffi")]
    Ffi(ffi::FfiArgs),
    /// Evaluate JavaScript in V8, or call a Node module's export.
    #[cfg(feature = "js")]
    Js(js::Args),
}

impl Cli {
    /// Whether the command prints JSON (`--json`), so that its errors are JSON too.
    pub fn json_output(&self) -> bool {
        match &self.command {
            Command::Validate(args) => args.json,
            Command::List(args) => args.json,
            Command::Inspect(args) => args.json(),
            Command::Call(args) => args.json(),
            Command::Provider(args) => args.json(),
            _ => false,
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Schema => schema::run(),
        Command::Bindings(args) => bindings::run(args),
        Command::List(args) => list::run(args),
        Command::New(args) => new::run(args),
        Command::Inspect(args) => inspect::run(args),
        Command::Call(args) => call::run_call(args),
        Command::Provider(args) => call::run_provider(args),
        Command::Emit(args) => call::run_emit(args),
        #[cfg(feature = "ipc")]
        Command::Serve(args) => serve::run(args),
        #[cfg(feature = "wasm")]
        Command::Run(args) => run::run(args),
        #[cfg(feature = "wasm")]
        Command::WasmCall(args) => wasm_call::run(args),
        #[cfg(feature = "ffi")]
        Command::Ffi(args) => ffi::run(args),
        #[cfg(feature = "js")]
        Command::Js(args) => js::run(args),
    }
}
