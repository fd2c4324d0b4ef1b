//! The integration tests of `interop-cli`, one test binary: each module is one area.

mod common;

mod bindings;
mod cli;
mod components;
mod extism;
mod ffi;
mod ffi_isolated;
mod first_hour;
mod getting_started;
mod grants;
mod guest_helpers;
mod guest_path;
mod guides;
mod js;
mod js_errors;
mod new;
mod progress;
mod reference;
mod run;
mod serve;
mod session;
mod setup;
