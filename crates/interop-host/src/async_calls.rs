//! The async facade: calls from async code (tokio or any other executor) that never block
//! the caller's threads.
//!
//! A call waits for a slot of its plugin (at most [`Concurrency::max_in_flight`] calls of
//! one plugin run at once, at most [`Concurrency::max_queued`] wait), then runs on a
//! blocking thread: tokio's blocking pool when the caller is inside a tokio runtime, else
//! a thread of its own. A call that finds the queue full fails at once with
//! `limit_exceeded` (`queue`): overload is an error, not a hang. Dropping the future does
//! not stop a call that has started; the plugin's own time limit does.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use interop_protocol::{
    ActionResult, Plugin, PluginError, ProviderResult, RawActionResult, RawValue,
};

use crate::{Host, HostError};

/// How many calls of one plugin the async facade runs at once, and how many may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency {
    /// Calls of one plugin running at once (default 16).
    pub max_in_flight: usize,
    /// Calls of one plugin waiting for a slot (default 1024); one more is refused.
    pub max_queued: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            max_in_flight: 16,
            max_queued: 1024,
        }
    }
}

impl Concurrency {
    /// These limits for `plugin`: no more calls in flight than it runs at once (a wasm
    /// plugin's instance pool, [`Plugin::parallel_calls`]), so that a call the pool could
    /// not serve waits here, without holding a blocking thread.
    pub fn for_plugin(self, plugin: &dyn Plugin) -> Concurrency {
        let max_in_flight = match plugin.parallel_calls() {
            Some(parallel) => self.max_in_flight.min(parallel.max(1)),
            None => self.max_in_flight,
        };
        Concurrency {
            max_in_flight,
            ..self
        }
    }
}

/// The slots of one plugin.
pub(crate) struct Limiter {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    limits: Concurrency,
}

impl Limiter {
    pub(crate) fn new(limits: Concurrency) -> Arc<Limiter> {
        Arc::new(Limiter {
            slots: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            limits,
        })
    }

    /// Waits for a slot, or refuses at once when too many calls wait already.
    async fn slot(&self, plugin: &str) -> Result<OwnedSemaphorePermit, PluginError> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::AcqRel);
        // Counted back when this future finishes or is dropped while waiting.
        let _waiting = Waiting(&self.waiting);
        if waiting >= self.limits.max_queued {
            return Err(PluginError::limit(
                "queue",
                format!(
                    "plugin `{plugin}` is overloaded: {} calls are running and {waiting} waiting \
                     (max_in_flight {}, max_queued {})",
                    self.limits.max_in_flight, self.limits.max_in_flight, self.limits.max_queued
                ),
            )
            .in_plugin(plugin));
        }
        self.slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PluginError::internal("the plugin's limiter is closed").in_plugin(plugin))
    }
}

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs `f` on a blocking thread and waits for it without blocking the caller.
async fn off_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HostError> {
    let lost = || {
        HostError::Plugin(PluginError::internal(
            "the call's thread ended without an answer",
        ))
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(f).await.map_err(|_| lost()),
        Err(_) => {
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::Builder::new()
                .name("interop-call".into())
                .spawn(move || {
                    let _ = tx.send(f());
                })
                .map_err(|e| {
                    HostError::Plugin(PluginError::internal(format!("cannot start a thread: {e}")))
                })?;
            rx.await.map_err(|_| lost())
        }
    }
}

impl Host {
    /// [`invoke`](Host::invoke) for async code: see the module docs.
    pub async fn invoke_async(
        self: &Arc<Self>,
        plugin: &str,
        action: &str,
        input: Value,
    ) -> Result<ActionResult, HostError> {
        let (name, action) = (plugin.to_owned(), action.to_owned());
        self.in_slot(plugin, move |host| host.invoke(&name, &action, input))
            .await
    }

    /// [`invoke_raw`](Host::invoke_raw) for async code: see the module docs.
    pub async fn invoke_raw_async(
        self: &Arc<Self>,
        plugin: &str,
        action: &str,
        input: Box<RawValue>,
    ) -> Result<RawActionResult, HostError> {
        let (name, action) = (plugin.to_owned(), action.to_owned());
        self.in_slot(plugin, move |host| host.invoke_raw(&name, &action, &input))
            .await
    }

    /// [`get_provider`](Host::get_provider) for async code: see the module docs.
    pub async fn get_provider_async(
        self: &Arc<Self>,
        plugin: &str,
        provider: &str,
    ) -> Result<ProviderResult, HostError> {
        let (name, provider) = (plugin.to_owned(), provider.to_owned());
        self.in_slot(plugin, move |host| host.get_provider(&name, &provider))
            .await
    }

    /// Runs `call` off the caller's thread once `plugin` has a free slot (waiting in its
    /// async queue, refused past the queue's bound); the slot is held until `call` ends.
    async fn in_slot<T: Send + 'static>(
        self: &Arc<Self>,
        plugin: &str,
        call: impl FnOnce(&Host) -> Result<T, HostError> + Send + 'static,
    ) -> Result<T, HostError> {
        let limiter = self.entry(plugin)?.limiter;
        let permit = limiter.slot(plugin).await?;
        let host = self.clone();
        off_thread(move || {
            let _permit = permit;
            call(&host)
        })
        .await?
    }

    /// [`emit`](Host::emit) for async code: the plugins with a hook for `event` are called
    /// concurrently, each within its own slots.
    pub async fn emit_async(
        self: &Arc<Self>,
        event: &str,
        payload: Value,
    ) -> BTreeMap<String, Result<Value, PluginError>> {
        let mut calls = Vec::new();
        for (name, entry) in self.hooked(event) {
            let host = self.clone();
            let (event, payload) = (event.to_owned(), payload.clone());
            calls.push(async move {
                let outcome = async {
                    let permit = entry.limiter.slot(&name).await?;
                    let plugin = name.clone();
                    off_thread(move || {
                        let _permit = permit;
                        host.emit_to(&plugin, &event, payload)
                    })
                    .await
                    .and_then(|r| r)
                    .map_err(|e| match e {
                        HostError::Plugin(p) => p,
                        other => PluginError::internal(other.to_string()),
                    })
                }
                .await;
                (name, outcome)
            });
        }
        futures_util::future::join_all(calls)
            .await
            .into_iter()
            .collect()
    }

    /// Sets the concurrency limits of plugins loaded from now on.
    pub fn set_concurrency(&mut self, limits: Concurrency) {
        self.concurrency = limits;
    }
}
