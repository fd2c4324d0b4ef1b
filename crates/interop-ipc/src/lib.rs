//! interop backend: plugins as processes: JSON-RPC 2.0 over Unix sockets and TCP, and JSON lines over stdio.
//!
//! This crate will implement [`interop_protocol::Plugin`] for its protocol and adapt the
//! host services of `interop-sandbox` to its ABI. It is a placeholder until its backend
//! issue lands.
#![deny(missing_docs)]
