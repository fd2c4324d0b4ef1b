//! `interop`: validate, inspect and call plugins from the command line.
//!
//! A thin layer over `interop-host`: every subcommand is a few calls into the library,
//! so whatever the CLI can do, an application can do the same way.

mod commands;
mod failure;
mod progress;
mod style;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `interop ffi-serve <plugin.json>`: this binary is the runner of isolated native
    // plugins (it serves the plugin and exits here), for its own hosts and for any
    // application pointing INTEROP_RUNNER at it.
    #[cfg(all(feature = "ffi", feature = "ipc"))]
    interop_host::isolation::serve_if_runner();
    quiet_on_closed_stdout();
    let cli = commands::Cli::parse();
    init_logging(cli.log_filter());
    let json = cli.json_output();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => failure::report(&err, json),
    }
}

/// `interop list | head`: a reader that stops early ends the command quietly, with the
/// status a shell gives a process killed by SIGPIPE (141). The host keeps SIGPIPE ignored,
/// as Rust sets it, because it writes to plugins' pipes and sockets: a plugin that exits
/// early must give an error, not kill the host. So a write to a closed stdout fails, and
/// `println!` panics on it; this hook turns that one panic into the exit.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Logs go to stderr, filtered by `filter` (`--log-level`), else `INTEROP_LOG` (or
/// `RUST_LOG`), else `warn` (`info` with `-v`). The engines' own chatter (Cranelift,
/// wasmtime's internals) stays at `info` and above even under `debug`, where it would
/// drown interop's lines.
fn init_logging((flag, verbose): (Option<String>, bool)) {
    use tracing_subscriber::EnvFilter;
    let quiet_engines = ",cranelift_codegen=info,cranelift_frontend=info,wasmtime_cranelift=info,\
                         wasmtime_internal_cranelift=info,regalloc2=info,wasmtime::runtime=info";
    let filter = ["INTEROP_LOG", "RUST_LOG"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()));
    let filter = flag
        .or(filter)
        .unwrap_or_else(|| (if verbose { "info" } else { "warn" }).to_owned());
    // A filter that names the engines itself is taken as it is.
    let quiet_engines = if filter.contains("cranelift") || filter.contains("wasmtime") {
        ""
    } else {
        quiet_engines
    };
    let filter = EnvFilter::try_new(format!("{filter}{quiet_engines}"))
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(style::stderr_colours())
        .with_target(false)
        .init();
}
