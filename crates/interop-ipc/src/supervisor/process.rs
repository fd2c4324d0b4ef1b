//! A plugin process: started in its sandbox ([`spawn`]), its output forwarded to the log,
//! killed with its process group.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interop_protocol::{PluginError, PROTOCOL_VERSION};
use interop_sandbox::Policy;
use tokio::io::{AsyncRead, BufReader};
use tokio::process::{Child, Command};

use crate::confine::{self, SandboxConfig};
use crate::framing::{FrameError, FrameReader, Framing};

/// What to start, and how.
#[derive(Clone, Copy)]
pub(super) struct Spawn<'a> {
    /// The plugin's name (for the log and `INTEROP_PLUGIN`).
    pub(super) plugin: &'a str,
    /// The plugin directory: the working directory.
    pub(super) dir: &'a Path,
    /// The program, as the manifest names it (absolute, or looked up on `PATH`).
    pub(super) program: &'a Path,
    /// Its arguments.
    pub(super) args: &'a [String],
    /// Variables passed besides the granted ones (`INTEROP_SOCKET`...).
    pub(super) extra_env: &'a [(String, String)],
    /// Directories the process may write besides the granted ones.
    pub(super) extra_write: &'a [PathBuf],
    /// Whether the connection is the process's stdin/stdout.
    pub(super) stdio: bool,
    /// The plugin's policy.
    pub(super) policy: &'a Policy,
    /// Process limits and switches.
    pub(super) sandbox: &'a SandboxConfig,
    /// For a plugin listening on TCP, its port (when known).
    pub(super) tcp_port: Option<Option<u16>>,
}

/// Lines of a process's output kept for the error that reports its end.
const TAIL_LINES: usize = 20;
/// Longest line kept; the rest of a longer one is cut.
const TAIL_LINE_BYTES: usize = 500;

/// The last lines a plugin process wrote to stderr (and, for socket plugins, stdout),
/// bounded: what the user needs to see when it dies (a traceback), kept besides the log.
#[derive(Clone, Default)]
struct OutputTail(Arc<Mutex<VecDeque<String>>>);

impl OutputTail {
    fn push(&self, line: &[u8]) {
        let mut end = line.len().min(TAIL_LINE_BYTES);
        while end < line.len() && end > 0 && (line[end] & 0xC0) == 0x80 {
            end -= 1; // do not cut a UTF-8 sequence
        }
        let mut text = String::from_utf8_lossy(&line[..end]).into_owned();
        if end < line.len() {
            text.push_str("...");
        }
        let mut lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(text);
    }

    fn lines(&self) -> Vec<String> {
        let lines = self.0.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().cloned().collect()
    }
}

/// A plugin process, killed with its whole process group on drop.
pub(super) struct Process {
    pub(super) child: Child,
    pub(super) pid: Option<u32>,
    tail: OutputTail,
    /// The tasks forwarding its output; they end when every holder of the pipes is gone.
    forwarders: Vec<tokio::task::JoinHandle<()>>,
}

impl Process {
    pub(super) fn kill(&mut self) {
        if let Some(pid) = self.pid {
            // SAFETY: kill(2) on our child's process group (it was created with
            // process_group(0), so its pgid is its pid).
            unsafe {
                libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            }
        }
        let _ = self.child.start_kill();
    }

    /// The exit status, waiting at most `within`; `None` if still running.
    pub(super) async fn status_within(&mut self, within: Duration) -> Option<ExitStatus> {
        match tokio::time::timeout(within, self.child.wait()).await {
            Ok(Ok(status)) => Some(status),
            _ => None,
        }
    }

    /// The last lines of its output, once everything it wrote has been read (waiting at
    /// most `within` for that: a descendant may still hold the pipe).
    pub(super) async fn last_output(&mut self, within: Duration) -> Vec<String> {
        let all_read = async {
            for forwarder in self.forwarders.iter_mut() {
                let _ = forwarder.await;
            }
        };
        let _ = tokio::time::timeout(within, all_read).await;
        self.tail.lines()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns the plugin process of `spec` in its sandbox.
pub(super) fn spawn(spec: &Spawn<'_>) -> Result<Process, PluginError> {
    let Spawn {
        plugin: name,
        dir,
        program,
        args,
        extra_env,
        extra_write,
        stdio,
        policy,
        sandbox,
        tcp_port,
    } = *spec;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .kill_on_drop(true)
        .process_group(0)
        .stdin(if stdio { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for var in &policy.env {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    cmd.env("INTEROP_PLUGIN", name)
        .env("INTEROP_PROTOCOL_VERSION", PROTOCOL_VERSION);
    for (k, v) in extra_env {
        cmd.env(k, v);
    }

    let resolved = which(program);
    let needs = confine::Needs {
        program: resolved.as_deref(),
        extra_write,
        tcp_port,
    };
    let unenforced = confine::apply(cmd.as_std_mut(), policy, sandbox, &needs)
        .map_err(|e| PluginError::internal(format!("sandbox: {e}")).in_plugin(name))?;
    if !unenforced.is_empty() {
        tracing::warn!(target: "interop::ipc", plugin = %name, "the plugin process runs without: {}", unenforced.join("; "));
    }
    let mut child = cmd.spawn().map_err(|e| {
        PluginError::exec(format!(
            "cannot start `{}` (in {}): {e}",
            program.display(),
            dir.display()
        ))
        .in_plugin(name)
    })?;
    let pid = child.id();
    let tail = OutputTail::default();
    let mut forwarders = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let forward = forward_output(name.to_owned(), "stderr", stderr, tail.clone());
        forwarders.push(tokio::spawn(forward));
    }
    if !stdio {
        if let Some(stdout) = child.stdout.take() {
            let forward = forward_output(name.to_owned(), "stdout", stdout, tail.clone());
            forwarders.push(tokio::spawn(forward));
        }
    }
    tracing::debug!(target: "interop::ipc", plugin = %name, ?pid, program = %program.display(), "plugin process started");
    Ok(Process {
        child,
        pid,
        tail,
        forwarders,
    })
}

/// Finds `program` on `PATH` (for the Landlock rules; spawning resolves it itself).
fn which(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return Some(program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Forwards a plugin's stderr (or, for socket plugins, stdout) to the log, line by line,
/// keeping the last lines in `tail`.
async fn forward_output(
    plugin: String,
    stream: &'static str,
    output: impl AsyncRead + Unpin,
    tail: OutputTail,
) {
    let mut lines = FrameReader::new(BufReader::new(output), Framing::Lines, 64 * 1024);
    loop {
        match lines.next_frame().await {
            Ok(Some(line)) => {
                tracing::info!(target: "interop::plugin", %plugin, stream, "{}", String::from_utf8_lossy(&line));
                tail.push(&line);
            }
            Ok(None) | Err(FrameError::Io(_)) | Err(FrameError::BadHeader(_)) => break,
            Err(FrameError::TooLarge { limit }) => {
                tracing::warn!(target: "interop::plugin", %plugin, stream, "line longer than {limit} bytes dropped")
            }
        }
    }
}
