//! The integration tests of `interop-wasm`, one test binary: each module is one area.

mod common;

mod abi;
mod cache;
mod components;
mod deadlines;
mod files;
mod greeters;
mod limits;
mod pool;
mod raw;
mod run;
mod sizes;
mod structure;
mod wasi;
