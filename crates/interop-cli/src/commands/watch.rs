//! `interop watch PLUGIN ACTION`: runs an action, then runs it again each time the
//! plugin's files change, for the edit-and-see loop of writing a plugin.
//!
//! The host's own reload does the work ([`interop_host::Host::watch`]): it watches the
//! manifest and the file it names (module, script, library), loads the new version
//! beside the old one and swaps them; a version that fails to load is reported and the
//! old one keeps serving. Building is the plugin's own step: rebuild in another
//! terminal (`cargo build`, `tinygo build`...) and the new module is picked up when it
//! is written.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use interop_host::HostEvent;
use interop_protocol::load_manifest;

use super::call::{load, parse_json, print_result};
use super::grants::GrantArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin (its directory or plugin.json).
    plugin: PathBuf,
    /// The action to run at start and after each change.
    action: String,
    /// The action's input, as JSON, or `@FILE` to read it from a file (read again on
    /// each run).
    #[arg(long, short, default_value = "null")]
    input: String,
    /// Print each whole result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    grants: GrantArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.input == "-" {
        anyhow::bail!(
            "--input -: watch runs the action many times; give the input as JSON or @FILE"
        );
    }
    let (host, name) = load(&args.grants, load_manifest(&args.plugin)?, args.json)?;
    let host = Arc::new(host);
    let events = host.subscribe();
    let watcher = host.watch()?;
    let files: Vec<String> = watcher
        .files()
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    eprintln!("watching {} (Ctrl-C to stop)", files.join(", "));
    let call = || {
        let outcome = parse_json(&args.input, "--input")
            .and_then(|input| Ok(host.invoke(&name, &args.action, input)?))
            .and_then(|result| print_result(result, args.json));
        if let Err(err) = outcome {
            crate::failure::print(&err, args.json);
        }
    };
    call();
    for event in events {
        match event {
            HostEvent::Reloaded { plugin, version } if plugin == name => {
                eprintln!("reloaded {plugin} {version}");
                call();
            }
            HostEvent::ReloadFailed { plugin, error } if plugin == name => {
                eprintln!(
                    "{}: reloading {plugin} failed, the loaded version keeps serving: {error}",
                    crate::style::error_label()
                );
            }
            _ => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}
