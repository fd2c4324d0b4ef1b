//! interop backend: JavaScript plugins in V8 isolates, one per plugin on its own thread.
//!
//! This crate will implement [`interop_protocol::Plugin`] for its protocol and adapt the
//! host services of `interop-sandbox` to its ABI. It is a placeholder until its backend
//! issue lands.
#![deny(missing_docs)]
