//! [`Peer`]: one JSON-RPC connection, client and server at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interop_protocol::jsonrpc::{Id, Response, RpcError, VERSION};
use interop_protocol::PluginError;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{oneshot, watch};

use super::classify::{parse_frame, Frame, Reply};
use super::errors::{describe_remote, CallError, Disconnect};
use super::router::{dispatch, Dispatch, Router};
use super::wire::{encode_response, framed, OutRequest, Outgoing};
use crate::framing::{FrameError, FrameReader, Framing};

/// Settings of one connection.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// How frames are delimited.
    pub framing: Framing,
    /// Largest frame sent or accepted, in bytes.
    pub max_frame: usize,
    /// Time limit of [`Peer::call`] (`None`: wait for ever).
    pub timeout: Option<Duration>,
    /// Names the connection in logs.
    pub label: String,
}

impl Default for PeerOptions {
    fn default() -> Self {
        PeerOptions {
            framing: Framing::Lines,
            max_frame: interop_protocol::manifest::DEFAULT_MAX_MESSAGE_BYTES as usize,
            timeout: Some(Duration::from_secs(30)),
            label: "jsonrpc".into(),
        }
    }
}

/// Where the outcome of a call in flight goes.
type Waiter = oneshot::Sender<Result<Value, CallError>>;

struct State {
    calls: HashMap<i64, Waiter>,
    closed: Option<Disconnect>,
}

type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

struct Inner {
    options: PeerOptions,
    writer: tokio::sync::Mutex<Option<BoxWrite>>,
    /// Frames waiting for the writer (see [`write_frames`]).
    outbox: Mutex<Vec<u8>>,
    state: Mutex<State>,
    next_id: AtomicI64,
    closed_tx: watch::Sender<bool>,
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One JSON-RPC connection. Cloning shares it; when the last clone is dropped the
/// connection is closed.
#[derive(Clone)]
pub struct Peer {
    inner: Arc<Inner>,
    _reader: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("label", &self.inner.options.label)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Removes a pending call when its caller gives up (timeout, dropped future).
struct PendingGuard<'a> {
    inner: &'a Inner,
    id: i64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut st) = self.inner.state.lock() {
            st.calls.remove(&self.id);
        }
    }
}

impl Peer {
    /// Starts a peer over `reader`/`writer`, answering requests from `router`. Must be
    /// called inside a tokio runtime (the reader runs as a task on it).
    pub fn new<R, W>(reader: R, writer: W, router: Router, options: PeerOptions) -> Peer
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let (closed_tx, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            writer: tokio::sync::Mutex::new(Some(Box::new(writer))),
            outbox: Mutex::new(Vec::new()),
            state: Mutex::new(State {
                calls: HashMap::new(),
                closed: None,
            }),
            next_id: AtomicI64::new(1),
            closed_tx,
            options,
        });
        let frames = FrameReader::new(
            BufReader::with_capacity(64 * 1024, reader),
            inner.options.framing,
            inner.options.max_frame,
        );
        let task = tokio::spawn(read_loop(inner.clone(), frames, Arc::new(router)));
        Peer {
            inner,
            _reader: Arc::new(AbortOnDrop(task.abort_handle())),
        }
    }

    /// The connection's options.
    pub fn options(&self) -> &PeerOptions {
        &self.inner.options
    }

    /// Calls `method` and waits for its result, within the default time limit.
    pub async fn call(&self, method: &str, params: Option<Value>) -> Result<Value, CallError> {
        self.call_with_timeout(method, params, self.inner.options.timeout)
            .await
    }

    /// Calls `method` and waits at most `timeout` (`None`: for ever) for its result.
    pub async fn call_with_timeout(
        &self,
        method: &str,
        params: Option<Value>,
        timeout: Option<Duration>,
    ) -> Result<Value, CallError> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let json = serde_json::to_vec(&OutRequest {
            jsonrpc: VERSION,
            method,
            params: params.as_ref(),
            id: Some(id),
        })
        .map_err(|e| CallError::Remote(RpcError::internal(e)))?;
        self.check_size(json.len())?;
        let (tx, rx) = oneshot::channel();
        {
            let mut st = lock(&self.inner.state);
            if let Some(reason) = &st.closed {
                return Err(CallError::Disconnected(reason.clone()));
            }
            st.calls.insert(id, tx);
        }
        let _guard = PendingGuard {
            inner: &self.inner,
            id,
        };
        // The time limit covers sending too: a peer that stops reading blocks the write.
        let exchange = async {
            send(&self.inner, json)
                .await
                .map_err(CallError::Disconnected)?;
            match rx.await {
                Ok(result) => result,
                Err(_) => Err(CallError::Disconnected(
                    lock(&self.inner.state)
                        .closed
                        .clone()
                        .unwrap_or(Disconnect::Closed),
                )),
            }
        };
        match timeout {
            Some(t) => tokio::time::timeout(t, exchange)
                .await
                .unwrap_or(Err(CallError::Timeout(t))),
            None => exchange.await,
        }
    }

    /// Sends a notification (no response comes back).
    pub async fn notify(&self, method: &str, params: Option<Value>) -> Result<(), CallError> {
        let json = serde_json::to_vec(&OutRequest {
            jsonrpc: VERSION,
            method,
            params: params.as_ref(),
            id: None,
        })
        .map_err(|e| CallError::Remote(RpcError::internal(e)))?;
        self.check_size(json.len())?;
        send(&self.inner, json)
            .await
            .map_err(CallError::Disconnected)
    }

    /// Sends one raw frame (already serialized JSON, or anything else), as is. For tests
    /// and tools that speak the protocol by hand.
    pub async fn send_raw(&self, json: Vec<u8>) -> Result<(), CallError> {
        send(&self.inner, json)
            .await
            .map_err(CallError::Disconnected)
    }

    fn check_size(&self, size: usize) -> Result<(), CallError> {
        let limit = self.inner.options.max_frame;
        if size > limit {
            return Err(CallError::TooLarge { size, limit });
        }
        Ok(())
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        lock(&self.inner.state).closed.is_some()
    }

    /// Why the connection ended, once it has.
    pub fn close_reason(&self) -> Option<Disconnect> {
        lock(&self.inner.state).closed.clone()
    }

    /// Number of calls waiting for a reply.
    pub fn in_flight(&self) -> usize {
        lock(&self.inner.state).calls.len()
    }

    /// Waits until the connection has ended.
    pub async fn closed(&self) {
        let mut rx = self.inner.closed_tx.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Closes the connection: calls in flight fail with [`Disconnect::Closed`].
    pub async fn close(&self) {
        self._reader.0.abort();
        close(&self.inner, Disconnect::Closed).await;
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn send(inner: &Inner, json: Vec<u8>) -> Result<(), Disconnect> {
    write_frames(inner, &framed(inner.options.framing, json)).await
}

/// Writes already framed bytes (one frame or several).
/// Holds the writer during a write; if the write is abandoned half-way (its future
/// dropped, e.g. by a time limit), the stream may end inside a frame, so the connection
/// is closed rather than left to send garbage.
struct WriteGuard<'a> {
    inner: &'a Inner,
    writer: tokio::sync::MutexGuard<'a, Option<BoxWrite>>,
    done: bool,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if !self.done {
            *self.writer = None;
            fail_pending(
                self.inner,
                Disconnect::Io("a write was abandoned half-way".into()),
            );
        }
    }
}

/// Writes frames. Concurrent writers coalesce: each appends its frames to the outbox and
/// whoever gets the writer next writes everything queued in one go (a caller whose frames
/// went out with someone else's write returns at once).
async fn write_frames(inner: &Inner, frames: &[u8]) -> Result<(), Disconnect> {
    lock(&inner.outbox).extend_from_slice(frames);
    let mut guard = WriteGuard {
        inner,
        writer: inner.writer.lock().await,
        done: false,
    };
    let batch = std::mem::take(&mut *lock(&inner.outbox));
    let Some(w) = guard.writer.as_mut() else {
        guard.done = true;
        return Err(lock(&inner.state)
            .closed
            .clone()
            .unwrap_or(Disconnect::Closed));
    };
    if batch.is_empty() {
        guard.done = true;
        return Ok(());
    }
    let result = match w.write_all(&batch).await {
        Ok(()) => w.flush().await,
        Err(e) => Err(e),
    };
    guard.done = true;
    if let Err(e) = result {
        *guard.writer = None;
        drop(guard);
        let reason = Disconnect::Io(format!("write failed: {e}"));
        fail_pending(inner, reason.clone());
        return Err(reason);
    }
    Ok(())
}

async fn send_response<T: Outgoing>(inner: &Inner, response: &T) {
    if let Some(json) = encode_response(&inner.options, response) {
        let _ = send(inner, json).await;
    }
}

/// Marks the connection closed and fails every call in flight with `reason`.
fn fail_pending(inner: &Inner, reason: Disconnect) {
    let calls = {
        let mut st = lock(&inner.state);
        if st.closed.is_none() {
            st.closed = Some(reason.clone());
        }
        std::mem::take(&mut st.calls)
    };
    let reason = lock(&inner.state).closed.clone().unwrap_or(reason);
    for (_, reply) in calls {
        let _ = reply.send(Err(CallError::Disconnected(reason.clone())));
    }
    inner.closed_tx.send_replace(true);
}

async fn close(inner: &Inner, reason: Disconnect) {
    fail_pending(inner, reason);
    if let Some(mut w) = inner.writer.lock().await.take() {
        let _ = w.shutdown().await;
    }
}

async fn read_loop<R: AsyncRead + Unpin>(
    inner: Arc<Inner>,
    mut frames: FrameReader<BufReader<R>>,
    router: Arc<Router>,
) {
    // Answers of inline handlers, written once no more input is buffered: pipelined
    // requests get their responses in one write instead of one write each.
    let mut out = Vec::new();
    let reason = loop {
        if !out.is_empty() && !frames.has_buffered() {
            let _ = write_frames(&inner, &std::mem::take(&mut out)).await;
        }
        match frames.next_frame().await {
            Ok(Some(frame)) => handle_frame(&inner, &router, &frame, &mut out).await,
            Ok(None) => break Disconnect::Eof,
            Err(FrameError::TooLarge { limit }) => {
                let err = PluginError::limit(
                    "message_size",
                    format!("frame of more than {limit} bytes; closing the connection"),
                );
                let mut rpc = RpcError::invalid_request(&err.message);
                rpc.data = serde_json::to_value(&err).ok();
                send_response(&inner, &Response::err(Id::Null, rpc)).await;
                break Disconnect::TooLarge { limit };
            }
            Err(FrameError::BadHeader(why)) => {
                send_response(
                    &inner,
                    &Response::err(Id::Null, RpcError::parse_error(&why)),
                )
                .await;
                break Disconnect::BadFrame(why);
            }
            Err(FrameError::Io(e)) => break Disconnect::Io(e.to_string()),
        }
    };
    if !out.is_empty() {
        let _ = write_frames(&inner, &out).await;
    }
    tracing::debug!(label = %inner.options.label, %reason, "connection ended");
    close(&inner, reason).await;
}

/// Hands a reply to the call it answers. A reply that cannot be used fails that call at
/// once, saying why; an error with a null id (the other side could not read one of our
/// requests, and cannot say which) fails every call in flight, since any of them may be
/// the one that will never be answered. A reply to no call in flight is logged.
fn route_reply(inner: &Inner, reply: Reply) {
    let label = &inner.options.label;
    if let Some((n, id_problem)) = reply.target() {
        let call = lock(&inner.state).calls.remove(&n);
        if let Some(call) = call {
            let result = match (id_problem, reply.outcome) {
                (Some(why), _) | (None, Err(why)) => {
                    tracing::warn!(%label, id = n, "unusable reply: {why}");
                    Err(CallError::BadReply(why))
                }
                (None, Ok(Ok(value))) => Ok(value),
                (None, Ok(Err(error))) => Err(CallError::Remote(error)),
            };
            let _ = call.send(result);
            return;
        }
    }
    match reply.outcome {
        Ok(Err(error)) if reply.id.is_null() => {
            let why = format!(
                "the other side answered with an error for no id (it could not read a \
                 request): {}",
                describe_remote(&error)
            );
            if fail_calls(inner, &why) == 0 {
                tracing::warn!(%label, "{why}");
            }
        }
        _ => {
            tracing::warn!(%label, id = %reply.id, "a reply to no call in flight (late, or an id this side never sent): dropped")
        }
    }
}

/// Fails every call in flight with [`CallError::BadReply`] (the connection stays up);
/// returns how many there were.
fn fail_calls(inner: &Inner, why: &str) -> usize {
    let calls = std::mem::take(&mut lock(&inner.state).calls);
    if !calls.is_empty() {
        tracing::warn!(label = %inner.options.label, calls = calls.len(), "calls failed: {why}");
    }
    let n = calls.len();
    for (_, call) in calls {
        let _ = call.send(Err(CallError::BadReply(why.to_owned())));
    }
    n
}

/// Queues a response to be written with the next batch of inline answers.
fn queue(inner: &Inner, out: &mut Vec<u8>, response: &Response) {
    if let Some(json) = encode_response(&inner.options, response) {
        out.extend_from_slice(&framed(inner.options.framing, json));
    }
}

async fn handle_frame(inner: &Arc<Inner>, router: &Arc<Router>, frame: &[u8], out: &mut Vec<u8>) {
    match parse_frame(frame) {
        Frame::Reply(reply) => route_reply(inner, reply),
        Frame::Request(request) => match dispatch(router, request) {
            Dispatch::Now(Some(response)) => queue(inner, out, &response),
            Dispatch::Now(None) => {}
            Dispatch::Blocking(job) => {
                let inner = inner.clone();
                let runtime = tokio::runtime::Handle::current();
                // The blocking thread writes the response itself (a write to a socket or
                // pipe needs no task of the runtime unless the other side stops reading).
                tokio::task::spawn_blocking(move || {
                    if let Some(response) = job() {
                        runtime.block_on(send_response(&inner, &response));
                    }
                });
            }
            Dispatch::Later(fut) => {
                let inner = inner.clone();
                tokio::spawn(async move {
                    if let Some(response) = fut.await {
                        send_response(&inner, &response).await;
                    }
                });
            }
        },
        Frame::Invalid(response) => queue(inner, out, &response),
        Frame::Unreadable { why, answer } => {
            // Whatever it was, a reply among it is lost: the calls waiting for one would
            // otherwise wait out their time limit.
            fail_calls(
                inner,
                &format!("a frame could not be parsed as JSON ({why})"),
            );
            queue(inner, out, &answer);
        }
        Frame::Batch(items) => {
            let mut now = Vec::new();
            let mut later = Vec::new();
            for item in items {
                match item {
                    Frame::Request(request) => match dispatch(router, request) {
                        Dispatch::Now(r) => now.extend(r),
                        Dispatch::Blocking(job) => later.push(tokio::task::spawn_blocking(job)),
                        Dispatch::Later(fut) => later.push(tokio::spawn(fut)),
                    },
                    Frame::Reply(reply) => route_reply(inner, reply),
                    Frame::Invalid(response) => now.push(response),
                    // Batch entries are parsed values, never batches or unreadable.
                    Frame::Batch(_) | Frame::Unreadable { .. } => now.push(Response::err(
                        Id::Null,
                        RpcError::invalid_request("a batch entry must be an object"),
                    )),
                }
            }
            let inner = inner.clone();
            let finish = async move {
                for handle in later {
                    match handle.await {
                        Ok(r) => now.extend(r),
                        Err(e) => now.push(Response::err(Id::Null, RpcError::internal(e))),
                    }
                }
                // A batch of notifications only gets no response at all.
                if !now.is_empty() {
                    send_response(&inner, &now).await;
                }
            };
            tokio::spawn(finish);
        }
    }
}
