//! The sandbox every interop backend runs plugins in.
//!
//! This crate owns:
//! - the capability [`Policy`] of a plugin: what its manifest requests intersected with
//!   what the host [`Grants`] (by default: reads inside its own directory, nothing else;
//!   64 MiB memory and 10 s per call, which a manifest may lower, never raise);
//! - secure paths: which granted root a path lies in ([`paths`]: no `..`, nothing
//!   outside the granted roots), and filesystem access resolved beneath an open handle of
//!   that root ([`fs`]), so that no symlink, even one swapped in during a call, leads out;
//! - URL and method checks ([`urls`]) on parsed URLs, so that look-alike hosts, userinfo
//!   and percent-encoding cannot widen a grant;
//! - the [`AuditTrail`] of every host call;
//! - the host services ([`HostServices`]): log, env, filesystem, HTTP fetch, time, sleep
//!   and trace, each implemented once here, checked by the policy and audited, so that
//!   a backend only adapts them to its ABI;
//! - the [`Backend`] trait a backend implements to load plugins of its protocol.
//!
//! It runs no plugin code and knows no engine.
#![deny(missing_docs)]

pub mod audit;
pub mod backend;
pub mod builtins;
pub mod fetch;
pub mod fs;
pub mod functions;
pub mod grants;
pub mod log;
pub mod paths;
pub mod policy;
pub mod services;
pub mod urls;

pub use audit::{AuditEvent, AuditOutcome, AuditTrail};
pub use backend::Backend;
pub use fetch::{FetchRequest, FetchResponse};
pub use fs::{DirEntry, FileStat};
pub use functions::{HostFunction, HostFunctions};
pub use grants::{FsGrant, Grants, HostLimits, NetGrant, Ungranted};
pub use log::{HostSink, LogLevel, LogRecord, MemorySink, TraceEvent, TracingSink};
pub use policy::{Access, FsRoot, GuestPath, NetworkPolicy, Policy, PolicyError};
pub use services::HostServices;
pub use urls::UrlPrefix;

pub use interop_protocol::{ErrorKind, PluginError};
