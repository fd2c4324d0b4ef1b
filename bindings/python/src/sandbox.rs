//! `interop.sandbox.run_file`: a script run in a subprocess confined as interop confines
//! plugin processes (interop-ipc: namespaces, keeper, rlimits, Landlock, an empty
//! environment), under a wall-clock timeout and a memory limit.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use interop_ipc::{confine_command, SandboxConfig};
use interop_js::node::{wait_with_output, Finished};
use interop_protocol::PluginError;
use interop_sandbox::Policy;
use pyo3::prelude::*;
use serde_json::json;

use crate::convert::seconds;
use crate::errors::IntoPy;

/// How a script that ran to its end ended.
#[pyclass(name = "Completed", module = "interop.sandbox", frozen, get_all)]
pub struct Completed {
    /// What it wrote to its standard output.
    stdout: String,
    /// What it wrote to its standard error.
    stderr: String,
    /// Its exit code (negative: the signal that ended it, as `subprocess` reports).
    returncode: i32,
    /// What this host could not enforce of the sandbox (empty where everything is).
    unenforced: Vec<String>,
}

#[pymethods]
impl Completed {
    fn __repr__(&self) -> String {
        format!(
            "Completed(returncode={}, stdout={:?}, stderr={:?})",
            self.returncode, self.stdout, self.stderr
        )
    }
}

/// The interpreter of a script, by its extension.
fn interpreter(script: &Path, heap_mb: Option<u64>) -> Result<(PathBuf, Vec<String>), PluginError> {
    let ext = script.extension().and_then(|e| e.to_str()).unwrap_or("");
    let path = script.display().to_string();
    Ok(match ext {
        "js" | "mjs" | "cjs" => {
            let mut args = Vec::new();
            if let Some(mb) = heap_mb {
                args.push(format!("--max-old-space-size={}", mb.max(1)));
            }
            args.push(path);
            ("node".into(), args)
        }
        // -I: isolated mode, no user site-packages nor PYTHON* variables.
        "py" => ("python3".into(), vec!["-I".into(), path]),
        "sh" => ("sh".into(), vec![path]),
        other => {
            return Err(PluginError::invalid_input(format!(
            "{}: cannot tell how to run a `.{other}` file (supported: .js, .mjs, .cjs, .py, .sh)",
            script.display()
        )))
        }
    })
}

fn which(program: &Path) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

fn run(
    script: &Path,
    args: &[String],
    timeout: Duration,
    memory: Option<u64>,
) -> Result<Completed, PluginError> {
    let script = std::path::absolute(script)
        .map_err(|e| PluginError::not_found(format!("{}: {e}", script.display())))?;
    if !script.is_file() {
        return Err(PluginError::not_found(format!(
            "{} is not a file",
            script.display()
        )));
    }
    let dir = script.parent().unwrap_or(Path::new("/"));
    let name = script
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (program, mut argv) = interpreter(&script, memory.map(|b| b / (1024 * 1024)))?;
    argv.extend(args.iter().cloned());
    let mut policy = Policy::new(&name, dir);
    if let Some(bytes) = memory {
        policy.memory_bytes = bytes;
    }
    policy.timeout = timeout;
    let mut cmd = Command::new(&program);
    cmd.args(&argv)
        .current_dir(dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let config = SandboxConfig {
        cpu_seconds: Some(timeout.as_secs().saturating_add(1)),
        ..SandboxConfig::default()
    };
    let unenforced = confine_command(&mut cmd, &policy, &config, which(&program).as_deref())
        .map_err(|e| PluginError::internal(format!("sandbox: {e}")))?;
    let mut child = cmd.spawn().map_err(|e| {
        PluginError::not_found(format!(
            "cannot start `{}` for {}: {e}",
            program.display(),
            script.display()
        ))
    })?;
    // At most 16 MiB of each output is kept.
    let Finished {
        status,
        stdout,
        stderr,
    } = wait_with_output(&mut child, timeout, 16 << 20, "the script")?;
    let Some(status) = status else {
        return Err(PluginError::limit(
            "time",
            format!("{name} ran past its {timeout:?} timeout and was killed"),
        )
        .with_data(json!({ "limit": "time", "stdout": stdout, "stderr": stderr })));
    };
    // How node and python report running out of memory as they die of it.
    let out_of_memory = match program.to_str() {
        Some("node") => stderr.contains("heap out of memory"),
        Some("python3") => status.code() == Some(1) && stderr.trim_end().ends_with("MemoryError"),
        _ => false,
    };
    if out_of_memory {
        return Err(PluginError::limit(
            "memory",
            format!("{name} went past its memory limit and was stopped"),
        )
        .with_data(json!({ "limit": "memory", "stdout": stdout, "stderr": stderr })));
    }
    let returncode = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        -status.signal().unwrap_or(0)
    });
    Ok(Completed {
        stdout,
        stderr,
        returncode,
        unenforced,
    })
}

/// Runs the script at `path` (`.js` with `node`, `.py` with `python3`, `.sh` with `sh`)
/// confined like a plugin process: it reads only its own directory and the system's,
/// writes nothing, has no network and an empty environment. Killed past `timeout`
/// seconds (a `TimeLimitExceeded`); `memory_limit` in bytes bounds its data (and, for
/// JavaScript, V8's heap; going past it is a `LimitExceeded`).
#[pyfunction]
#[pyo3(signature = (path, *, timeout=10.0, memory_limit=None, args=Vec::new()))]
pub fn run_file(
    py: Python<'_>,
    path: PathBuf,
    timeout: f64,
    memory_limit: Option<u64>,
    args: Vec<String>,
) -> PyResult<Completed> {
    let timeout = seconds(Some(timeout), "timeout")?.unwrap_or(Duration::from_secs(10));
    py.detach(|| run(&path, &args, timeout, memory_limit))
        .py_err()
}
