//! [`Router`]: the methods a peer answers, and how one request is run.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use interop_protocol::jsonrpc::{Request, Response, RpcError};
use serde_json::Value;

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

pub(super) enum Dispatch {
    /// Answered on the spot (or not at all: a notification).
    Now(Option<Response>),
    /// To be run on tokio's blocking pool, which sends its own response: one thread
    /// hand-off fewer than awaiting the blocking task from an async one.
    Blocking(Box<dyn FnOnce() -> Option<Response> + Send>),
    /// To be awaited as a task of its own.
    Later(BoxFuture<Option<Response>>),
}

pub(super) fn dispatch(router: &Router, request: Request) -> Dispatch {
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
            Dispatch::Blocking(Box::new(move || {
                // A handler that panics still gets its request answered.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(params)))
                    .unwrap_or_else(|panic| {
                        let why = panic
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| panic.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "a panic".into());
                        Err(RpcError::internal(format!(
                            "handler of `{method}` failed: {why}"
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
