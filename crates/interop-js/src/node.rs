//! The Node subprocess bridge: call a function exported by a Node module, and
//! run untrusted JavaScript in a separate `node` process under a wall-clock timeout and a
//! heap limit, reporting which limit was hit.
//!
//! This uses the system's `node` (not the embedded V8 of [`Runtime`](crate::Runtime)):
//! a full Node with its module system, at the price of a process per call (see
//! `docs/benchmarks.md` for what that costs).
//!
//! ```no_run
//! # fn main() -> Result<(), interop_protocol::PluginError> {
//! use serde_json::json;
//! // example.js: module.exports = { add: (a, b) => a + b }
//! let five = interop_js::node::call("example.js", "add", &[json!(2), json!(3)])?;
//! assert_eq!(five, json!(5));
//! # Ok(()) }
//! ```

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use interop_protocol::PluginError;
use serde_json::{json, Value};

/// The marker the runner prints before its result, on a line of its own, so that what
/// the module itself prints does not get in the way.
const MARKER: &str = "\u{1}interop-result\u{1}";

/// Imports the module (CommonJS or ES), calls the export and prints the result.
const RUNNER: &str = r#"
import { pathToFileURL } from 'node:url';
const [path, name, argsJson] = process.argv.slice(1);
const MARKER = '\u0001interop-result\u0001';
const out = (v) => process.stdout.write('\n' + MARKER + JSON.stringify(v) + '\n');
try {
  const m = await import(pathToFileURL(path).href);
  const f = typeof m[name] === 'function' ? m[name]
    : (m.default && typeof m.default[name] === 'function') ? m.default[name].bind(m.default)
    : null;
  if (!f) {
    out({ missing: `module ${path} exports no function \`${name}\`` });
  } else {
    const value = await f(...JSON.parse(argsJson));
    out({ ok: value === undefined ? null : value });
  }
} catch (e) {
  out({ error: { name: e?.name ?? 'Error', message: String(e?.message ?? e), stack: String(e?.stack ?? '') } });
}
"#;

/// Limits of a Node subprocess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time after which the process is killed (`time` limit).
    pub timeout: Duration,
    /// V8 old-space limit passed as `--max-old-space-size` (`memory` limit), in MiB.
    pub max_heap_mb: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            max_heap_mb: 64,
        }
    }
}

/// What an untrusted script printed, once it finished within its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// Its exit code.
    pub code: i32,
}

/// Whether a `node` program can be run.
pub fn available() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Calls `function` exported by the Node module at `module` (CommonJS or ES) with `args`,
/// in a new `node` process under the default [`Limits`], and returns its result (a
/// returned promise is awaited).
pub fn call(
    module: impl AsRef<Path>,
    function: &str,
    args: &[Value],
) -> Result<Value, PluginError> {
    call_with_limits(module, function, args, &Limits::default())
}

/// As [`call`], under `limits`.
pub fn call_with_limits(
    module: impl AsRef<Path>,
    function: &str,
    args: &[Value],
    limits: &Limits,
) -> Result<Value, PluginError> {
    let module = module.as_ref();
    let path = std::path::absolute(module)
        .map_err(|e| PluginError::not_found(format!("node module {}: {e}", module.display())))?;
    if !path.is_file() {
        return Err(PluginError::not_found(format!(
            "node module {} does not exist",
            module.display()
        )));
    }
    let mut cmd = node_command(limits);
    cmd.args(["--input-type=module", "-e", RUNNER])
        .arg(&path)
        .arg(function)
        .arg(Value::Array(args.to_vec()).to_string());
    let out = run(cmd, None, limits)?;
    let Some(at) = out.stdout.rfind(MARKER) else {
        return Err(PluginError::exec(format!(
            "node exited ({}) without a result calling `{function}` of {}: {}",
            out.code,
            module.display(),
            out.stderr.trim()
        )));
    };
    let reply: Value = serde_json::from_str(out.stdout[at + MARKER.len()..].trim())
        .map_err(|e| PluginError::parse(format!("node runner reply: {e}")))?;
    if let Some(v) = reply.get("ok") {
        return Ok(v.clone());
    }
    if let Some(m) = reply.get("missing").and_then(Value::as_str) {
        return Err(PluginError::not_found(m.to_owned()));
    }
    let e = &reply["error"];
    let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    Err(
        PluginError::exec(format!("{}: {}", text("name"), text("message")))
            .with_data(json!({ "name": text("name"), "stack": text("stack") })),
    )
}

/// Runs untrusted `script` (CommonJS, from stdin) in a new `node` process under
/// `limits`, with an empty environment and Node's permission model on when this `node`
/// has one ([`permission_flag`]: no filesystem access, child processes or workers). Past its timeout the process is killed and the
/// error is a `time` limit; out of heap, a `memory` limit. A script that fails otherwise
/// is an `exec` error carrying its stderr.
pub fn run_untrusted(script: &str, limits: &Limits) -> Result<Output, PluginError> {
    let mut cmd = node_command(limits);
    if let Some(flag) = permission_flag() {
        cmd.arg(flag);
    } else {
        tracing::warn!("this node has no permission model: the untrusted script runs without it");
    }
    cmd.args(["--no-warnings", "-"]);
    cmd.env_clear();
    let out = run(cmd, Some(script), limits)?;
    if out.code != 0 {
        return Err(PluginError::exec(format!(
            "untrusted script exited with code {}: {}",
            out.code,
            out.stderr.trim()
        ))
        .with_data(json!({ "code": out.code, "stdout": out.stdout })));
    }
    Ok(out)
}

/// The flag that turns Node's permission model on (`--permission` from Node 22,
/// `--experimental-permission` in Node 20), if this `node` has one; probed once.
pub fn permission_flag() -> Option<&'static str> {
    static FLAG: std::sync::OnceLock<Option<&'static str>> = std::sync::OnceLock::new();
    *FLAG.get_or_init(|| {
        ["--permission", "--experimental-permission"]
            .into_iter()
            .find(|flag| {
                Command::new("node")
                    .args([flag, "--no-warnings", "-e", "0"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            })
    })
}

fn node_command(limits: &Limits) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(format!(
        "--max-old-space-size={}",
        limits.max_heap_mb.max(1)
    ));
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts `cmd`, feeds it `stdin`, and waits at most `limits.timeout`.
fn run(mut cmd: Command, stdin: Option<&str>, limits: &Limits) -> Result<Output, PluginError> {
    let mut child = cmd.spawn().map_err(|e| {
        PluginError::not_found(format!("cannot start `node` (is Node.js installed?): {e}"))
    })?;
    let input = stdin.unwrap_or("").to_owned();
    let mut pipe_in = child.stdin.take();
    let writer = std::thread::spawn(move || {
        if let Some(p) = pipe_in.as_mut() {
            let _ = p.write_all(input.as_bytes());
        }
        drop(pipe_in);
    });
    // Node's output is read whole, as the bridge always has.
    let Finished {
        status,
        stdout,
        stderr,
    } = wait_with_output(&mut child, limits.timeout, u64::MAX, "node")?;
    let _ = writer.join();
    let Some(status) = status else {
        return Err(PluginError::limit(
            "time",
            format!(
                "node ran past its {:?} timeout and was killed",
                limits.timeout
            ),
        ));
    };
    if stderr.contains("heap out of memory") || stderr.contains("Reached heap limit") {
        return Err(PluginError::limit(
            "memory",
            format!(
                "node went past its {} MiB heap limit and was stopped",
                limits.max_heap_mb
            ),
        ));
    }
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    Ok(Output {
        stdout,
        stderr,
        code,
    })
}

/// How a child run by [`wait_with_output`] ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status; `None` when it was killed at the timeout.
    pub status: Option<std::process::ExitStatus>,
    /// What it wrote to stdout (lossy UTF-8).
    pub stdout: String,
    /// What it wrote to stderr (lossy UTF-8).
    pub stderr: String,
}

/// Reads `child`'s piped stdout and stderr (at most `max_output` bytes of each) while
/// waiting for it at most `timeout`; at the timeout kills it. `what` names the child in
/// errors. For any script run under a time limit: the Node bridge and sandboxed scripts.
pub fn wait_with_output(
    child: &mut Child,
    timeout: Duration,
    max_output: u64,
    what: &str,
) -> Result<Finished, PluginError> {
    let stdout = reader(child.stdout.take(), max_output);
    let stderr = reader(child.stderr.take(), max_output);
    let status = wait_until(child, timeout, what)?;
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn reader<R: Read + Send + 'static>(
    pipe: Option<R>,
    max_output: u64,
) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(max_output).read_to_end(&mut buf);
        }
        String::from_utf8_lossy(&buf).into_owned()
    })
}

/// Waits for `child`; kills it at `timeout` and returns `None`.
fn wait_until(
    child: &mut Child,
    timeout: Duration,
    what: &str,
) -> Result<Option<std::process::ExitStatus>, PluginError> {
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(Some(status)),
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Ok(None);
            }
            Ok(None) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(10));
            }
            Err(e) => return Err(PluginError::internal(format!("waiting for {what}: {e}"))),
        }
    }
}
