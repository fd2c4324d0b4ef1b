//! The integration tests of `interop-sandbox`, one test binary: each module is one area.

mod common;

mod filesystem;
mod properties;
mod services;
