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
//!   to resynchronise after it, and a peer flooding garbage must not be buffered);
//! - a reply is never answered; one this side cannot use fails the call it answers at once
//!   with [`CallError::BadReply`] saying why (no `"jsonrpc": "2.0"`, an id of another type
//!   than the request's, both `result` and `error`...); an error with a null id, or a
//!   frame that is not JSON, fails every call in flight (any of them may be the one whose
//!   reply was lost); a reply to no call in flight is logged at WARN. No call waits out
//!   its time limit for a reply that came and could not be used.

mod classify;
mod errors;
mod peer;
mod router;
mod wire;

pub use errors::{remote_error, CallError, Disconnect};
pub use peer::{Peer, PeerOptions};
pub use router::{BoxFuture, Router};
