//! `interop serve`: a host as a JSON-RPC 2.0 server (docs/serve.md).

use std::path::PathBuf;
use std::process::ExitCode;

use interop_host::serve::{serve, Listen, ServeOptions};

use super::grants::GrantArgs;

/// Where the token is read from when `--token` is not given.
const TOKEN_VARIABLE: &str = "INTEROP_SERVE_TOKEN";

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("listen").required(true))]
pub struct Args {
    /// Listen on a Unix socket at PATH (mode 0600; the directory must be yours).
    #[arg(long, value_name = "PATH", group = "listen")]
    unix: Option<PathBuf>,
    /// Listen on TCP HOST:PORT (port 0: any free port). Addresses other than loopback
    /// need a token.
    #[arg(long, value_name = "HOST:PORT", group = "listen")]
    tcp: Option<String>,
    /// Serve one client on stdin/stdout.
    #[arg(long, group = "listen")]
    stdio: bool,
    /// Every connection must first send `auth` with this token. Prefer the environment
    /// variable INTEROP_SERVE_TOKEN: a command line is visible to other users.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Largest frame accepted or sent, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_frame: Option<usize>,
    /// Plugins to load before serving (plugin.json or a plugin directory; repeatable).
    #[arg(long = "load", value_name = "PATH")]
    load: Vec<PathBuf>,
    #[command(flatten)]
    grants: GrantArgs,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let listen = match (args.unix, args.tcp) {
        (Some(path), _) => Listen::Unix(path),
        (None, Some(address)) => Listen::Tcp(address),
        (None, None) => Listen::Stdio,
    };
    // `--config` keys go to the plugins loaded at start-up (those loaded later by a client
    // get their manifest's config).
    let manifests = args
        .load
        .iter()
        .map(interop_protocol::load_manifest)
        .collect::<Result<Vec<_>, _>>()?;
    let names: Vec<&str> = manifests.iter().map(|m| m.name()).collect();
    let host = args.grants.host_for_each(&names)?;
    for manifest in manifests {
        host.load_manifest(manifest)?;
    }
    let mut options = ServeOptions::new(listen);
    options.token = args.token.or_else(|| std::env::var(TOKEN_VARIABLE).ok());
    if let Some(max) = args.max_frame {
        options.max_frame = max;
    }
    // On stderr: with --stdio, stdout is the protocol.
    serve(host, options, |address| {
        eprintln!("interop serve: listening on {address}")
    })?;
    Ok(ExitCode::SUCCESS)
}
