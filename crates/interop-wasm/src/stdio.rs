//! A guest's stdout and stderr, turned into log lines of its plugin (info and warn), so
//! that `println!`, `fmt.Println` and `printf` debugging works. A line longer than
//! [`MAX_LOG_LINE_BYTES`] is cut (saying so) and the rest of it dropped, so a guest
//! writing without newlines cannot flood the log with one enormous line.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use interop_sandbox::{HostServices, LogLevel};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::text::{bounded, MAX_LOG_LINE_BYTES};

/// A guest's stdout and stderr, turned into log lines of its plugin.
#[derive(Clone)]
pub(crate) struct CapturedOutput {
    services: HostServices,
    pending: Arc<Mutex<Pending>>,
}

#[derive(Default)]
struct Pending {
    stdout: Line,
    stderr: Line,
    /// Whether an unfinished line is held (checked after every call without parsing).
    any: bool,
}

/// The unfinished line of one stream: its first bytes, and how long it is so far.
#[derive(Default)]
struct Line {
    kept: Vec<u8>,
    total: usize,
}

impl Line {
    fn push(&mut self, bytes: &[u8]) {
        let room = MAX_LOG_LINE_BYTES.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.total = self.total.saturating_add(bytes.len());
    }

    fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The line as text (cut if it was too long), and a fresh line after it.
    fn take(&mut self) -> String {
        if self.total == self.kept.len() && self.kept.last() == Some(&b'\r') {
            self.kept.pop();
            self.total -= 1;
        }
        let text = bounded(&self.kept, self.total);
        self.kept.clear();
        self.total = 0;
        text
    }
}

impl CapturedOutput {
    pub(crate) fn new(services: HostServices) -> Self {
        CapturedOutput {
            services,
            pending: Arc::default(),
        }
    }

    /// The stream whose lines are logged at `level`.
    pub(crate) fn stream(&self, level: LogLevel) -> LogStream {
        LogStream {
            out: self.clone(),
            level,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, level: LogLevel, bytes: &[u8]) {
        let mut finished = Vec::new();
        {
            let mut pending = self.lock();
            let line = if level == LogLevel::Info {
                &mut pending.stdout
            } else {
                &mut pending.stderr
            };
            for piece in bytes.split_inclusive(|b| *b == b'\n') {
                match piece.strip_suffix(b"\n") {
                    Some(end) => {
                        line.push(end);
                        finished.push(line.take());
                    }
                    None => line.push(piece),
                }
            }
            pending.any = !pending.stdout.is_empty() || !pending.stderr.is_empty();
        }
        for text in finished {
            self.services.log(level, &text);
        }
    }

    /// Logs what is left of unfinished lines (at the end of a call).
    pub fn flush(&self) {
        let (out, err) = {
            let mut pending = self.lock();
            if !pending.any {
                return;
            }
            pending.any = false;
            let take = |line: &mut Line| (!line.is_empty()).then(|| line.take());
            (take(&mut pending.stdout), take(&mut pending.stderr))
        };
        if let Some(text) = out {
            self.services.log(LogLevel::Info, &text);
        }
        if let Some(text) = err {
            self.services.log(LogLevel::Warn, &text);
        }
    }
}

/// One of the two streams of a [`CapturedOutput`].
#[derive(Clone)]
pub(crate) struct LogStream {
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
        Ok(MAX_LOG_LINE_BYTES)
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
