//! Notifications to clients: plugins' log lines (`plugin.log`) and host events such as
//! reloads (`host.event`), broadcast to every connection.
//!
//! The channel is bounded: a client that does not read its notifications misses the
//! oldest ones (the server logs how many) instead of making the server buffer without
//! end or slowing plugins down.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use interop_ipc::Peer;
use interop_sandbox::{HostSink, LogRecord, TraceEvent, TracingSink};

use crate::{Host, HostEvent};

/// Notification of a plugin's log line; params: `{plugin, level, message}`.
pub const PLUGIN_LOG: &str = "plugin.log";
/// Notification of a host event; params: a [`HostEvent`] (`{event: "reloaded", ...}`).
pub const HOST_EVENT: &str = "host.event";

/// Notifications waiting for the slowest connection before the oldest are dropped.
const CAPACITY: usize = 1024;

/// One notification, ready to send.
#[derive(Debug, Clone)]
pub(super) struct Notice {
    method: &'static str,
    params: Value,
}

/// Where notifications are published.
pub(super) type Notices = broadcast::Sender<Notice>;

/// Publishes `host`'s plugin log lines (which also still go to `tracing`) and events.
/// Must be called before the host is shared: it replaces the host's sink.
pub(super) fn publish_from(host: &mut Host) -> Notices {
    let (tx, _) = broadcast::channel(CAPACITY);
    host.set_sink(Arc::new(Broadcast { tx: tx.clone() }));
    let events = host.subscribe();
    let forward = tx.clone();
    // The receiver ends when the host is dropped, and this thread with it.
    let started = std::thread::Builder::new()
        .name("interop-serve-events".into())
        .spawn(move || {
            for event in events {
                let _ = forward.send(Notice::event(&event));
            }
        });
    if let Err(e) = started {
        tracing::warn!(target: "interop::serve", "host events will not be notified: cannot start a thread: {e}");
    }
    tx
}

impl Notice {
    fn event(event: &HostEvent) -> Notice {
        Notice {
            method: HOST_EVENT,
            params: serde_json::to_value(event).unwrap_or(Value::Null),
        }
    }
}

/// The host's sink while serving: `tracing`, and every connection.
struct Broadcast {
    tx: Notices,
}

impl HostSink for Broadcast {
    fn log(&self, record: &LogRecord) {
        TracingSink.log(record);
        if self.tx.receiver_count() > 0 {
            let params = serde_json::to_value(record).unwrap_or(Value::Null);
            let _ = self.tx.send(Notice {
                method: PLUGIN_LOG,
                params,
            });
        }
    }

    fn trace(&self, event: &TraceEvent) {
        TracingSink.trace(event);
    }
}

/// Sends every notice published from now on to `peer`, until its connection ends.
pub(super) fn forward_to(peer: Peer, notices: &Notices) {
    let mut rx = notices.subscribe();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = peer.closed() => return,
                notice = rx.recv() => match notice {
                    Ok(n) => {
                        if peer.notify(n.method, Some(n.params)).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(target: "interop::serve", label = %peer.options().label, missed, "a client reads its notifications too slowly; the oldest were dropped");
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
        }
    });
}
