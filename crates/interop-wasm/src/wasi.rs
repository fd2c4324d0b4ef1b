//! WASI preview 1 for plugins, limited to what the policy grants.
//!
//! - preopens: only the policy's filesystem roots that are directories, read-only unless
//!   the grant allows writing; a root inside the plugin directory appears to the guest
//!   under its relative name (`data`), any other under its absolute path;
//! - environment: only the granted variable names that are set;
//! - arguments: none for plugins (`interop run` passes its own);
//! - stdout and stderr: captured line by line into the plugin's log (info and warn);
//! - the monotonic clock: [`GuestClock`], which `poll_oneoff` reads deadlines against.
//!
//! Path checks of preopens are wasmtime-wasi's (capability-based, no `..` above a
//! preopen); the same roots are enforced for `ft_host_call` by the sandbox.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use interop_sandbox::{HostServices, LogLevel};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use crate::clock::GuestClock;

/// Largest line kept from a guest's stdout/stderr; longer lines are split.
const MAX_LINE: usize = 64 * 1024;

/// The WASI context of a plugin under its policy, and its captured output.
pub(crate) fn plugin_ctx(services: &HostServices) -> (WasiP1Ctx, CapturedOutput) {
    let mut builder = granted(services);
    let stdio = CapturedOutput::new(services.clone());
    builder.stdout(stdio.stream(LogLevel::Info));
    builder.stderr(stdio.stream(LogLevel::Warn));
    (builder.build_p1(), stdio)
}

/// The WASI context of a command module run by `interop run`: the policy's grants, the
/// given arguments, and the process's own stdin/stdout/stderr.
pub(crate) fn command_ctx(services: &HostServices, args: &[String]) -> WasiP1Ctx {
    let mut builder = granted(services);
    builder.args(args).inherit_stdio();
    builder.build_p1()
}

/// A builder with the preopens and environment variables the policy grants.
fn granted(services: &HostServices) -> WasiCtxBuilder {
    let policy = services.policy();
    let mut builder = WasiCtxBuilder::new();
    builder.allow_blocking_current_thread(true);
    // The clock `poll_oneoff` reads absolute deadlines against (see `poll`).
    builder.monotonic_clock(GuestClock);
    for root in &policy.fs {
        if !root.read || !root.path.is_dir() {
            // WASI cannot preopen a single file or a write-only directory; the host API
            // (`ft_host_call`) still serves such grants.
            continue;
        }
        let guest = match root.path.strip_prefix(&policy.base_dir) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
            Ok(_) => ".".to_owned(),
            Err(_) => root.path.to_string_lossy().into_owned(),
        };
        let perms = if root.write {
            FsPerms::ReadWrite
        } else {
            FsPerms::ReadOnly
        };
        if let Err(e) = builder.preopened_dir(&root.path, &guest, perms) {
            tracing::warn!(target: "interop::wasm", plugin = %policy.plugin, root = %root.path.display(), "cannot preopen a granted directory: {e:#}");
        }
    }
    for name in &policy.env {
        if let Ok(value) = std::env::var(name) {
            builder.env(name, value);
        }
    }
    builder
}

/// A guest's stdout and stderr, turned into log lines of its plugin.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    services: HostServices,
    pending: Arc<Mutex<Pending>>,
}

#[derive(Default)]
struct Pending {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Whether anything is buffered (checked after every call without parsing).
    any: bool,
}

impl CapturedOutput {
    pub(crate) fn new(services: HostServices) -> Self {
        CapturedOutput {
            services,
            pending: Arc::default(),
        }
    }

    fn stream(&self, level: LogLevel) -> LogStream {
        LogStream {
            out: self.clone(),
            level,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, level: LogLevel, bytes: &[u8]) {
        let mut lines = Vec::new();
        {
            let mut pending = self.lock();
            let buf = if level == LogLevel::Info {
                &mut pending.stdout
            } else {
                &mut pending.stderr
            };
            buf.extend_from_slice(bytes);
            while let Some(end) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=end).collect();
                lines.push(line);
            }
            if buf.len() > MAX_LINE {
                lines.push(std::mem::take(buf));
            }
            pending.any = !pending.stdout.is_empty() || !pending.stderr.is_empty();
        }
        for line in lines {
            self.emit(level, &line);
        }
    }

    fn emit(&self, level: LogLevel, line: &[u8]) {
        let text = String::from_utf8_lossy(line);
        self.services
            .log(level, text.trim_end_matches(['\n', '\r']));
    }

    /// Logs what is left of unfinished lines (at the end of a call).
    pub fn flush(&self) {
        let (out, err) = {
            let mut pending = self.lock();
            if !pending.any {
                return;
            }
            pending.any = false;
            (
                std::mem::take(&mut pending.stdout),
                std::mem::take(&mut pending.stderr),
            )
        };
        if !out.is_empty() {
            self.emit(LogLevel::Info, &out);
        }
        if !err.is_empty() {
            self.emit(LogLevel::Warn, &err);
        }
    }
}

/// One of the two streams of a [`CapturedOutput`].
#[derive(Clone)]
struct LogStream {
    out: CapturedOutput,
    level: LogLevel,
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.out.write(self.level, &bytes);
        Ok(())
    }
    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(MAX_LINE)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.out.write(self.level, buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
