//! The integration tests of `interop-js`, one test binary: each module is one area.

mod common;

mod boundaries;
mod deadlines;
mod greeter;
mod handlers;
mod host_api;
mod hostile;
mod javascript_greeter;
mod memory;
mod node;
mod runtime;
mod unload;
