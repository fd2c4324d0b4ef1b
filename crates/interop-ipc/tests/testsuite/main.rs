//! The integration tests of `interop-ipc`, one test binary: each module is one area.

mod common;

mod confinement;
mod greeters;
mod jsonrpc_spec;
mod replies;
mod sandbox;
mod serve;
mod supervision;
mod transports;
