//! The integration tests of `interop-host`, one test binary: each module is one area.

mod common;

mod async_calls;
mod config;
mod host;
mod host_function;
mod metrics;
mod reload;
