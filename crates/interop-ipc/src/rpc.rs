//! A JSON-RPC 2.0 peer: one connection, requests in both directions.
//!
//! The same [`Peer`] is the client and the server of a connection: it sends requests and
//! matches replies by id (many calls in flight at once), and it answers the other side's
//! requests from a [`Router`] (a dispatch table of handlers). The host uses this to call a
//! plugin while the plugin calls the host back (`host.call`) on the same connection.
//!
//! What the spec requires, and what a peer does about it:
//! - a request gets exactly one response with its id; a notification (no `id`) none, even
//!   when it fails;
//! - a batch gets an array with the responses of its requests (any order), and nothing at
//!   all when it holds only notifications; an empty batch is one `-32600` response;
//! - a frame that is not JSON gets `-32700` with id `null`, an invalid request `-32600`;
//!   the connection stays up;
//! - a frame over the maximum size gets a `-32600` response whose `data` names the
//!   `message_size` limit, and then the connection is closed (a stream cannot be trusted
//!   to resynchronise after it, and a peer flooding garbage must not be buffered).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use interop_protocol::jsonrpc::{Id, Incoming, Outcome, Request, Response, RpcError, VERSION};
use interop_protocol::PluginError;
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{oneshot, watch};

use crate::framing::{FrameError, FrameReader, Framing};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

type SyncFn = Arc<dyn Fn(Option<Value>) -> Result<Value, RpcError> + Send + Sync>;
type AsyncFn = Arc<dyn Fn(Option<Value>) -> BoxFuture<Result<Value, RpcError>> + Send + Sync>;

/// How a method's handler runs.
#[derive(Clone)]
enum Handler {
    /// On the connection's reader task: for quick, non-blocking work.
    Inline(SyncFn),
    /// On the blocking thread pool: for work that may block (file IO, a plugin call).
    Blocking(SyncFn),
    /// As its own task.
    Async(AsyncFn),
}

/// The methods a peer answers. Unknown methods get `-32601 Method not found`.
#[derive(Clone, Default)]
pub struct Router {
    methods: HashMap<String, Handler>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.methods.keys()).finish()
    }
}

impl Router {
    /// A router that answers nothing (every request gets `Method not found`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a synchronous handler run directly on the connection's reader: it must not
    /// block (it holds up every later frame of the connection while it runs).
    pub fn inline(
        mut self,
        method: impl Into<String>,
        f: impl Fn(Option<Value>) -> Result<Value, RpcError> + Send + Sync + 'static,
    ) -> Self {
        self.methods
            .insert(method.into(), Handler::Inline(Arc::new(f)));
        self
    }

    /// Adds a synchronous handler that may block; it runs on tokio's blocking pool.
    pub fn blocking(
        mut self,
        method: impl Into<String>,
        f: impl Fn(Option<Value>) -> Result<Value, RpcError> + Send + Sync + 'static,
    ) -> Self {
        self.methods
            .insert(method.into(), Handler::Blocking(Arc::new(f)));
        self
    }

    /// Adds an asynchronous handler, run as its own task.
    pub fn async_method<F, Fut>(mut self, method: impl Into<String>, f: F) -> Self
    where
        F: Fn(Option<Value>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, RpcError>> + Send + 'static,
    {
        let f: AsyncFn = Arc::new(move |params| Box::pin(f(params)));
        self.methods.insert(method.into(), Handler::Async(f));
        self
    }

    /// Whether `method` has a handler.
    pub fn handles(&self, method: &str) -> bool {
        self.methods.contains_key(method)
    }
}

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Disconnect {
    /// The other side closed the stream.
    #[error("the connection was closed by the other side")]
    Eof,
    /// The other side sent a frame over the maximum size.
    #[error("received a frame of more than {limit} bytes (the maximum frame size)")]
    TooLarge {
        /// The maximum frame size, in bytes.
        limit: usize,
    },
    /// The other side sent a frame header that could not be read.
    #[error("received an unreadable frame: {0}")]
    BadFrame(String),
    /// Reading or writing failed.
    #[error("connection error: {0}")]
    Io(String),
    /// This side closed the connection.
    #[error("the connection was closed")]
    Closed,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The other side answered with an error.
    #[error("error response {}: {}", .0.code, .0.message)]
    Remote(RpcError),
    /// The connection ended before the answer came.
    #[error("{0}")]
    Disconnected(Disconnect),
    /// No answer within the time limit.
    #[error("no response within {0:?}")]
    Timeout(Duration),
    /// The request is larger than the maximum frame size; it was not sent.
    #[error("request of {size} bytes is over the {limit}-byte maximum frame size")]
    TooLarge {
        /// Size of the request.
        size: usize,
        /// The maximum frame size.
        limit: usize,
    },
}

impl CallError {
    /// The error as a [`PluginError`] about `plugin`, for the call `method`.
    pub fn to_plugin_error(&self, plugin: &str, method: &str) -> PluginError {
        let err = match self {
            CallError::Remote(e) => e.to_plugin_error(),
            CallError::Disconnected(Disconnect::TooLarge { limit }) => PluginError::limit(
                "message_size",
                format!(
                    "`{method}` failed: the plugin sent a frame of more than {limit} bytes; \
                     the connection was reset"
                ),
            ),
            CallError::Disconnected(d) => PluginError::exec(format!("`{method}` failed: {d}")),
            CallError::Timeout(t) => PluginError::timeout(format!(
                "`{method}` did not answer within {} ms",
                t.as_millis()
            ))
            .with_data(serde_json::json!({"limit": "time"})),
            CallError::TooLarge { size, limit } => PluginError::limit(
                "message_size",
                format!("`{method}` request of {size} bytes is over the {limit}-byte limit"),
            ),
        };
        err.in_plugin(plugin)
    }
}

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

type Reply = oneshot::Sender<Result<Value, CallError>>;

struct State {
    calls: HashMap<i64, Reply>,
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

#[derive(Serialize)]
struct OutRequest<'a> {
    jsonrpc: &'static str,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<i64>,
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

/// `json` with its framing (a newline, or a `Content-Length` header).
fn framed(inner: &Inner, mut json: Vec<u8>) -> Vec<u8> {
    match inner.options.framing {
        Framing::Lines => {
            json.push(b'\n');
            json
        }
        Framing::ContentLength => crate::framing::encode(Framing::ContentLength, &json),
    }
}

async fn send(inner: &Inner, json: Vec<u8>) -> Result<(), Disconnect> {
    write_frames(inner, &framed(inner, json)).await
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

/// A response as written: `Response` flattens its outcome, which serde serializes
/// through a slower map path; this is the same JSON, directly.
#[derive(Serialize)]
struct Wire<'a> {
    jsonrpc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a RpcError>,
    id: &'a Id,
}

impl<'a> From<&'a Response> for Wire<'a> {
    fn from(r: &'a Response) -> Self {
        let (result, error) = match &r.outcome {
            Outcome::Result(v) => (Some(v), None),
            Outcome::Error(e) => (None, Some(e)),
        };
        Wire {
            jsonrpc: VERSION,
            result,
            error,
            id: &r.id,
        }
    }
}

/// A response (or batch of responses) to send back.
trait Outgoing {
    /// The JSON text.
    fn encode(&self) -> serde_json::Result<Vec<u8>>;
    /// The same answer with every result replaced by a `message_size` error.
    fn too_large(&self, size: usize, limit: usize) -> Self;
}

fn too_large_error(id: Id, size: usize, limit: usize) -> Response {
    let err = PluginError::limit(
        "message_size",
        format!("the response of {size} bytes is over the {limit}-byte maximum frame size"),
    );
    Response::err(id, RpcError::from(err))
}

impl Outgoing for Response {
    fn encode(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&Wire::from(self))
    }
    fn too_large(&self, size: usize, limit: usize) -> Self {
        too_large_error(self.id.clone(), size, limit)
    }
}

impl Outgoing for Vec<Response> {
    fn encode(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&self.iter().map(Wire::from).collect::<Vec<_>>())
    }
    fn too_large(&self, size: usize, limit: usize) -> Self {
        self.iter()
            .map(|r| too_large_error(r.id.clone(), size, limit))
            .collect()
    }
}

/// The JSON of a response; one over the frame limit is replaced by a `message_size`
/// error with the same id, so that the caller is not left waiting.
fn encode_response<T: Outgoing>(inner: &Inner, response: &T) -> Option<Vec<u8>> {
    let limit = inner.options.max_frame;
    let json = match response.encode() {
        Ok(json) if json.len() > limit => {
            tracing::warn!(label = %inner.options.label, size = json.len(), "response over the frame limit replaced by an error");
            response.too_large(json.len(), limit).encode()
        }
        other => other,
    };
    json.map_err(
        |e| tracing::error!(label = %inner.options.label, "cannot serialize a response: {e}"),
    )
    .ok()
}

async fn send_response<T: Outgoing>(inner: &Inner, response: &T) {
    if let Some(json) = encode_response(inner, response) {
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

/// What running one request gives.
enum Dispatch {
    Now(Option<Response>),
    Later(BoxFuture<Option<Response>>),
}

fn dispatch(router: &Router, request: Request) -> Dispatch {
    let Request {
        method, params, id, ..
    } = request;
    let respond = move |result: Result<Value, RpcError>| {
        id.map(|id| match result {
            Ok(v) => Response::ok(id, v),
            Err(e) => Response::err(id, e),
        })
    };
    match router.methods.get(&method) {
        None => Dispatch::Now(respond(Err(RpcError::method_not_found(&method)))),
        Some(Handler::Inline(f)) => Dispatch::Now(respond(f(params))),
        Some(Handler::Blocking(f)) => {
            let f = f.clone();
            Dispatch::Later(Box::pin(async move {
                let result = tokio::task::spawn_blocking(move || f(params))
                    .await
                    .unwrap_or_else(|e| {
                        Err(RpcError::internal(format!(
                            "handler of `{method}` failed: {e}"
                        )))
                    });
                respond(result)
            }))
        }
        Some(Handler::Async(f)) => {
            let fut = f(params);
            Dispatch::Later(Box::pin(async move { respond(fut.await) }))
        }
    }
}

fn route_response(inner: &Inner, response: Response) {
    match response.id {
        Id::Number(n) => {
            let reply = lock(&inner.state).calls.remove(&n);
            match reply {
                Some(reply) => {
                    let _ = reply.send(match response.outcome {
                        Outcome::Result(v) => Ok(v),
                        Outcome::Error(e) => Err(CallError::Remote(e)),
                    });
                }
                None => {
                    tracing::debug!(label = %inner.options.label, id = n, "response to no pending call (late or unknown id)")
                }
            }
        }
        Id::Null => {
            if let Outcome::Error(e) = response.outcome {
                tracing::warn!(label = %inner.options.label, code = e.code, "the other side rejected a frame: {}", e.message);
            }
        }
        Id::String(s) => {
            tracing::debug!(label = %inner.options.label, id = %s, "response with an id this side never sends")
        }
    }
}

/// Classifies a frame like [`Incoming::parse`], without its copies for the common
/// shapes (a plain request, a successful response).
fn parse_frame(frame: &[u8]) -> Incoming {
    match serde_json::from_slice::<Value>(frame) {
        Ok(Value::Object(map)) => classify_object(map),
        Ok(Value::Array(items)) if !items.is_empty() => Incoming::Batch(
            items
                .into_iter()
                .map(|item| match item {
                    Value::Object(map) => classify_object(map),
                    other => Incoming::classify(other),
                })
                .collect(),
        ),
        _ => Incoming::parse(frame),
    }
}

fn classify_object(mut map: serde_json::Map<String, Value>) -> Incoming {
    let id = match map.get("id") {
        None => Some(None),
        Some(Value::Number(n)) => n.as_i64().map(|n| Some(Id::Number(n))),
        Some(Value::String(s)) => Some(Some(Id::String(s.clone()))),
        Some(Value::Null) => Some(Some(Id::Null)),
        Some(_) => None,
    };
    let version = map.get("jsonrpc").and_then(Value::as_str) == Some(VERSION);
    if let (true, Some(id)) = (version, id) {
        let plain_request = matches!(map.get("method"), Some(Value::String(_)))
            && matches!(
                map.get("params"),
                None | Some(Value::Array(_)) | Some(Value::Object(_))
            );
        if plain_request {
            if let Some(Value::String(method)) = map.remove("method") {
                return Incoming::Request(Request {
                    jsonrpc: VERSION.into(),
                    method,
                    params: map.remove("params"),
                    id,
                });
            }
        }
        if let Some(id) = id {
            if map.len() == 3 && !map.contains_key("method") && map.contains_key("result") {
                if let Some(result) = map.remove("result") {
                    return Incoming::Response(Response::ok(id, result));
                }
            }
        }
    }
    Incoming::classify(Value::Object(map))
}

async fn handle_frame(inner: &Arc<Inner>, router: &Arc<Router>, frame: &[u8], out: &mut Vec<u8>) {
    match parse_frame(frame) {
        Incoming::Response(response) => route_response(inner, response),
        Incoming::Request(request) => match dispatch(router, request) {
            Dispatch::Now(Some(response)) => {
                if let Some(json) = encode_response(inner, &response) {
                    out.extend_from_slice(&framed(inner, json));
                }
            }
            Dispatch::Now(None) => {}
            Dispatch::Later(fut) => {
                let inner = inner.clone();
                tokio::spawn(async move {
                    if let Some(response) = fut.await {
                        send_response(&inner, &response).await;
                    }
                });
            }
        },
        Incoming::Invalid(response) => {
            if let Some(json) = encode_response(inner, &response) {
                out.extend_from_slice(&framed(inner, json));
            }
        }
        Incoming::Batch(items) => {
            let mut now = Vec::new();
            let mut later = Vec::new();
            for item in items {
                match item {
                    Incoming::Request(request) => match dispatch(router, request) {
                        Dispatch::Now(r) => now.extend(r),
                        Dispatch::Later(fut) => later.push(tokio::spawn(fut)),
                    },
                    Incoming::Response(response) => route_response(inner, response),
                    Incoming::Invalid(response) => now.push(response),
                    // Parsing never nests batches: an array inside a batch is an invalid entry.
                    Incoming::Batch(_) => now.push(Response::err(
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
