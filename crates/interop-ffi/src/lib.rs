//! interop backend for native code: declared-type C calls and native plugins.
//!
//! This crate owns:
//! - ad-hoc calls of C functions with types declared at run time ([`Library`],
//!   [`Function`], [`Type`], [`Arg`], [`Value`]), on libloading for symbols and libffi for
//!   the calling convention, with short library names (`c`, `m`, `z`) resolved to the
//!   platform's file names, and types and arguments read from text (`i32`, `cstr:123`:
//!   [`OwnedArg`]);
//! - the native plugin ABI ([`abi`]): the `extern "C"` descriptor a shared library exports,
//!   JSON in and out, and the host callback table (log, and every host function by name);
//! - [`NativePlugin`], a library speaking that ABI loaded in-process: its entry points are
//!   [`interop_protocol::dispatch::Handlers`] (so it is a [`interop_protocol::Plugin`]
//!   through the one dispatch path), with load-time checks that turn a wrong library into
//!   an error instead of a crash;
//! - [`FfiBackend`], the [`interop_sandbox::Backend`] for `protocol: "ffi"`.
//!
//! It does not own the policy or the host functions (`interop-sandbox` does; the callback
//! table only adapts them), and it does not run child processes: isolated mode
//! (`isolated: true`) is delegated to a subprocess backend handed to
//! [`FfiBackend::with_isolation`] by whoever composes the backends (the host, whose
//! `interop_host::isolation` is also the runner serving the library in the child).
//!
//! Calling a C function is running arbitrary native code in this process: [`Library::open`]
//! and [`Function::call`] are `unsafe`, their callers answering for the library and for
//! the declaration matching the function. An in-process [`NativePlugin`] is trusted
//! code in the same way; `isolated: true` runs a plugin's library in a child process.
//!
//! ```no_run
//! use interop_ffi::{Arg, Library, Type, Value};
//!
//! // SAFETY: libc is loaded in this process already.
//! let libc = unsafe { Library::open("c")? };
//! let atoi = libc.func("atoi", Type::I32, &[Type::CStr])?;
//! // SAFETY: `int atoi(const char *)` takes a NUL-terminated string, as declared.
//! assert_eq!(unsafe { atoi.call([Arg::from("123")])? }, Value::I32(123));
//! # Ok::<(), interop_ffi::FfiError>(())
//! ```
#![deny(missing_docs)]

pub mod abi;
mod backend;
mod descriptor;
mod error;
mod function;
mod host_api;
mod isolated;
mod library;
mod library_file;
mod parse;
mod plugin;
mod types;

pub use backend::{FfiBackend, RUNNER_ARG};
pub use error::FfiError;
pub use function::Function;
pub use host_api::NativeHost;
pub use library::Library;
pub use library_file::library_path;
pub use parse::{OwnedArg, ParseError};
pub use plugin::NativePlugin;
pub use types::{Arg, Type, Value};
