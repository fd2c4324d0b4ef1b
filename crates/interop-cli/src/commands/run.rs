//! `interop run`: runs a WASI command module (`_start`), as `wasmtime run` would, but
//! with nothing granted unless asked for and interop's limits.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use interop_sandbox::{HostServices, Policy};
use interop_wasm::{module_name, WasmBackend};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Let the module read this directory (repeatable); it sees it under the same
    /// relative path, or its absolute path if outside the current directory.
    #[arg(long = "dir", value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Let the module read and write this directory (repeatable).
    #[arg(long = "dir-rw", value_name = "DIR")]
    dirs_rw: Vec<PathBuf>,
    /// Pass this environment variable through (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    env: Vec<String>,
    /// Time limit in milliseconds (default 10000).
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Memory limit in MiB (default 64).
    #[arg(long)]
    memory_mb: Option<u64>,
    /// The module (.wasm or .wat) exporting `_start`.
    module: PathBuf,
    /// Arguments for the module.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = module_name(&args.module);
    let mut policy = Policy::new(&name, ".");
    for dir in &args.dirs {
        policy = policy.with_fs_root(dir, true, false);
    }
    for dir in &args.dirs_rw {
        policy = policy.with_fs_root(dir, true, true);
    }
    for var in args.env {
        policy = policy.with_env(var);
    }
    if let Some(ms) = args.timeout_ms {
        policy.timeout = Duration::from_millis(ms);
    }
    if let Some(mb) = args.memory_mb {
        policy.memory_bytes = mb.saturating_mul(1024 * 1024);
    }
    let mut argv = vec![args.module.display().to_string()];
    argv.extend(args.args);
    let code =
        WasmBackend::default().run_command(&args.module, &argv, HostServices::new(policy))?;
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}
