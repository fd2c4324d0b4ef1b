//! `interop run`: runs a WASI command module (`_start`), or calls one numeric export
//! (`--invoke`), as `wasmtime run` would, but with nothing granted unless asked for and
//! interop's limits.
//!
//! Exit codes follow `wasmtime run`: the module's own (`proc_exit`, 0 when `_start`
//! returns), and [`TRAPPED`] when it traps or is stopped at a limit, after the error is
//! printed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use interop_host::{ErrorKind, PluginError};
use interop_sandbox::{HostServices, Policy};
use interop_wasm::{module_name, WasmBackend};

/// The exit code of a module that trapped: `wasmtime run` exits with 128 + SIGABRT on
/// Unix, and so does `interop run`.
pub const TRAPPED: u8 = 134;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Let the module read the host directory HOST, which it sees as GUEST (`--dir
    /// data::/data`, `--dir .::.`), or under the name HOST as written (`--dir data`).
    /// Read-only; see --dir-rw. Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = DirMap::parse)]
    dirs: Vec<DirMap>,
    /// As --dir, read and write.
    #[arg(long = "dir-rw", value_name = "HOST[::GUEST]", value_parser = DirMap::parse)]
    dirs_rw: Vec<DirMap>,
    /// Set NAME to VALUE in the module's environment, or pass interop's own NAME
    /// through (`--env HOME`). Repeatable.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Call the export FUNC with ARGS (numbers, read by its parameter types: i32, i64,
    /// f32, f64) and print its results, instead of running `_start`.
    #[arg(long, value_name = "FUNC")]
    invoke: Option<String>,
    /// Time limit in milliseconds (default 10000).
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Memory limit in MiB (default 64).
    #[arg(long, value_name = "MIB")]
    memory_mb: Option<u64>,
    /// The module (.wasm or .wat).
    module: PathBuf,
    /// Arguments for the module (or for FUNC with --invoke).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

/// A host directory and the name the guest sees it under.
#[derive(Debug, Clone)]
struct DirMap {
    host: PathBuf,
    guest: String,
}

impl DirMap {
    /// `HOST::GUEST`, or `HOST` seen under its own name.
    fn parse(text: &str) -> Result<DirMap, String> {
        let (host, guest) = text.split_once("::").unwrap_or((text, text));
        if host.is_empty() || guest.is_empty() {
            return Err(format!(
                "`{text}`: expected HOST or HOST::GUEST, such as `data::/data`"
            ));
        }
        Ok(DirMap {
            host: PathBuf::from(host),
            guest: guest.to_owned(),
        })
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let name = module_name(&args.module);
    let mut policy = Policy::new(&name, ".");
    let dirs = args.dirs.iter().map(|d| (d, false));
    for (dir, write) in dirs.chain(args.dirs_rw.iter().map(|d| (d, true))) {
        if !dir.host.is_dir() {
            anyhow::bail!(
                "--dir {}::{}: `{}` is not a directory",
                dir.host.display(),
                dir.guest,
                dir.host.display()
            );
        }
        policy = policy
            .with_fs_root(&dir.host, true, write)
            .with_guest_path(&dir.host, &dir.guest);
    }
    let mut env = Vec::new();
    for var in args.env {
        match var.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                env.push((name.to_owned(), value.to_owned()))
            }
            Some(_) => anyhow::bail!("--env {var}: the name before `=` is empty"),
            None => policy = policy.with_env(var),
        }
    }
    if let Some(ms) = args.timeout_ms {
        policy.timeout = Duration::from_millis(ms);
    }
    if let Some(mb) = args.memory_mb {
        policy.memory_bytes = mb.saturating_mul(1024 * 1024);
    }
    let backend = WasmBackend::default();
    // Compiled here (or found in the cache) under a spinner, before the module's own
    // output starts.
    let message = format!("compiling `{}`", args.module.display());
    crate::progress::spin(&message, || backend.prepare_file(&args.module))?;
    let services = HostServices::new(policy);
    if let Some(func) = &args.invoke {
        let module = backend
            .open_module_with(&args.module, &env, services)
            .with_context(|| format!("cannot open `{}`", args.module.display()))?;
        return match module.call_export_text(func, &args.args) {
            Ok(results) => {
                let text: Vec<String> = results.iter().map(ToString::to_string).collect();
                println!("{}", text.join(" "));
                Ok(ExitCode::SUCCESS)
            }
            Err(err) => exit_like_wasmtime(err),
        };
    }
    let mut argv = vec![args.module.display().to_string()];
    argv.extend(args.args);
    match backend.run_command_with_env(&args.module, &argv, &env, services) {
        // WASI exit codes are below 126; any other the OS would cut to 8 bits as well.
        Ok(code) => Ok(ExitCode::from(code.rem_euclid(256) as u8)),
        Err(err) => exit_like_wasmtime(err),
    }
}

/// A trap (or a limit, which stops the module with a trap) is printed and ends the
/// process with [`TRAPPED`], as `wasmtime run` does; any other failure (no `_start`, an
/// invalid module, a bad argument) is reported as usual.
fn exit_like_wasmtime(err: PluginError) -> anyhow::Result<ExitCode> {
    match err.kind {
        ErrorKind::Exec | ErrorKind::LimitExceeded => {
            crate::failure::print(&err.into(), false);
            Ok(ExitCode::from(TRAPPED))
        }
        _ => Err(err.into()),
    }
}
