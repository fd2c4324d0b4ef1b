//! The subcommands, one module each.

mod audit;
mod bindings;
mod call;
mod completions;
#[cfg(feature = "ffi")]
mod ffi;
mod grants;
mod inspect;
#[cfg(feature = "wasm")]
mod inspect_module;
#[cfg(feature = "js")]
mod js;
mod list;
mod new;
mod reference;
#[cfg(feature = "wasm")]
mod run;
mod schema;
#[cfg(feature = "ipc")]
mod serve;
mod setup;
mod shell;
mod validate;
#[cfg(feature = "wasm")]
mod wasm_call;
mod watch;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Host plugins written in any language: validate, inspect and call them.
#[derive(Debug, Parser)]
#[command(name = "interop", version, about)]
pub struct Cli {
    /// Log what the host does (or set INTEROP_LOG, e.g. INTEROP_LOG=debug).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Log at this level (error, warn, info, debug, trace) or by a `tracing` filter
    /// (`interop_wasm=debug`); over INTEROP_LOG and -v.
    #[arg(long, global = true, value_name = "LEVEL", value_parser = log_filter)]
    pub log_level: Option<String>,
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
    /// Install guest toolchains and engines (libnode, Go, clang, AssemblyScript, Rust
    /// targets, componentize-py) into the user's data directory; a second run does nothing.
    Setup(setup::Args),
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
    /// Load several plugins in one host and call them, a command per line of stdin
    /// (load, call, provider, emit, list, metrics).
    Shell(shell::Args),
    /// Run an action, and again each time the plugin's files change (hot reload).
    Watch(watch::Args),
    /// Print or filter an audit log written with --audit FILE.
    Audit(audit::Args),
    /// Print shell completions (bash, zsh, fish, elvish, powershell).
    Completions(completions::Args),
    /// Print docs/cli-reference.md, generated from the command tree.
    #[command(hide = true)]
    CliReference,
}

/// A `--log-level` that `tracing` understands.
fn log_filter(text: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("not a level or `tracing` filter: {e}"))
}

impl Cli {
    /// The log filter of `--log-level`, and whether `-v` was given.
    pub fn log_filter(&self) -> (Option<String>, bool) {
        (self.log_level.clone(), self.verbose)
    }

    /// Whether the command prints JSON (`--json`), so that its errors are JSON too.
    pub fn json_output(&self) -> bool {
        match &self.command {
            Command::Validate(args) => args.json,
            Command::List(args) => args.json,
            Command::Inspect(args) => args.json(),
            Command::Call(args) => args.json(),
            Command::Provider(args) => args.json(),
            Command::Audit(args) => args.json(),
            Command::Shell(args) => args.json,
            Command::Watch(args) => args.json,
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
        Command::Setup(args) => setup::run(args),
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
        Command::Shell(args) => shell::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Completions(args) => completions::run(args),
        Command::CliReference => reference::run(),
    }
}
