//! The integration tests of `interop-ffi`, one test binary: each module is one area.

mod common;

mod calls;
mod env;
mod host_api;
mod load_errors;
mod plugins;
