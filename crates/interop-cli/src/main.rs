//! `interop`: validate, inspect and call plugins from the command line.
//!
//! A thin layer over `interop-host`: every subcommand is a few calls into the library,
//! so whatever the CLI can do, an application can do the same way.

mod commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `interop ffi-serve <plugin.json>`: this binary is the runner of isolated native
    // plugins (it serves the plugin and exits here), for its own hosts and for any
    // application pointing INTEROP_RUNNER at it.
    #[cfg(all(feature = "ffi", feature = "ipc"))]
    interop_host::isolation::serve_if_runner();
    let cli = commands::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("INTEROP_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new(if cli.verbose { "info" } else { "warn" })
            }),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: most of the library's errors already quote
/// their cause in their own message.
fn describe(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
