//! Isolated mode's runner: the process an `isolated: true` native plugin runs in.
//!
//! A native library loaded in-process runs with the host's privileges; with `"isolated":
//! true` in its manifest it runs in a child process instead, started as `<runner>
//! ffi-serve <plugin.json>`, which loads the library there and serves it over stdio as a
//! `subprocess` plugin. Its host calls travel back to the parent host, whose policy checks
//! and audits them; a crash, exit or hang of the child is an error of the call, and the
//! child is restarted for the next one.
//!
//! Any executable can be the runner: one that calls [`serve_if_runner`] first thing in
//! `main`. The `interop` CLI does; an application that does the same needs no other
//! binary:
//!
//! ```no_run
//! fn main() {
//!     // Serves and exits when this process was started as a runner; returns otherwise.
//!     interop_host::isolation::serve_if_runner();
//!
//!     let host = interop_host::Host::new();
//!     host.load("examples/plugins/native-segfault/plugin.json").unwrap();
//!     // ...
//! }
//! ```
//!
//! The runner of the isolated plugins a host loads is this executable when the
//! application called [`serve_if_runner`], else the file named by `$INTEROP_RUNNER`
//! ([`RUNNER_ENV`]); with neither, loading an isolated plugin fails saying so.

// The example above is about what `main` does first.
#![allow(clippy::needless_doctest_main)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use interop_ffi::{NativeHost, NativePlugin, RUNNER_ARG};
use interop_ipc::methods::{HOST_CALL, INITIALIZE};
use interop_ipc::{Framing, Peer, PeerOptions};
use interop_protocol::dispatch::{HandlerCall, Handlers};
use interop_protocol::jsonrpc::RpcError;
use interop_protocol::{LoadedManifest, Manifest, PluginError, PROTOCOL_VERSION};
use interop_sandbox::{LogLevel, Policy};
use serde_json::{json, Value};

/// The environment variable naming the runner executable, for applications that do not
/// call [`serve_if_runner`] themselves (e.g. the path of the `interop` CLI).
pub const RUNNER_ENV: &str = "INTEROP_RUNNER";

/// Whether this executable is its own runner (the application called [`serve_if_runner`]).
static OWN_RUNNER: AtomicBool = AtomicBool::new(false);

/// Call first thing in `main`. When this process was started as an isolated plugin's
/// runner (`<exe> ffi-serve <plugin.json>`), serves that plugin over stdin/stdout until
/// the parent host closes it, then exits the process. Otherwise returns at once, and from
/// then on the hosts of this process use this executable as the runner of their isolated
/// plugins.
pub fn serve_if_runner() {
    OWN_RUNNER.store(true, Ordering::Release);
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(RUNNER_ARG)) {
        return;
    }
    let code = match (args.next(), args.next()) {
        (Some(manifest), None) => match serve(Path::new(&manifest)) {
            Ok(()) => 0,
            Err(error) => {
                eprintln!("interop runner: {error}");
                1
            }
        },
        _ => {
            eprintln!("interop runner: usage: {RUNNER_ARG} <plugin.json>");
            2
        }
    };
    std::process::exit(code);
}

/// The runner executable for isolated plugins: see the module docs.
pub(crate) fn runner() -> Result<PathBuf, String> {
    if OWN_RUNNER.load(Ordering::Acquire) {
        return std::env::current_exe()
            .map_err(|e| format!("cannot find this executable to run it as the runner: {e}"));
    }
    match std::env::var_os(RUNNER_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Ok(PathBuf::from(path)),
        None => Err(format!(
            "call interop_host::isolation::serve_if_runner() first thing in main to make \
             this application its own runner, or set {RUNNER_ENV} to an executable that \
             does (such as the `interop` CLI)"
        )),
    }
}

/// Serves the native plugin of `manifest` over this process's stdin/stdout (the
/// `subprocess` protocol, `docs/ipc.md`) until the host closes the connection. The
/// library is loaded when the host's `initialize` arrives, so that a library that cannot
/// load fails the handshake with the reason, and its `init` can call the host already.
pub fn serve(manifest: &Path) -> Result<(), PluginError> {
    let loaded = interop_protocol::load_manifest(manifest)
        .map_err(|e| PluginError::invalid_input(e.to_string()))?;
    let policy = Policy::from_manifest(&loaded)
        .map_err(|e| PluginError::invalid_input(e.to_string()).in_plugin(loaded.name()))?;
    let max_frame = usize::try_from(policy.max_message_bytes).unwrap_or(usize::MAX);
    let peer: Arc<OnceLock<Peer>> = Arc::default();
    let plugin = Arc::new(Deferred {
        manifest: loaded.manifest.clone(),
        native: OnceLock::new(),
    });
    let router = {
        let (peer, plugin) = (peer.clone(), plugin.clone());
        interop_ipc::methods::plugin_router(plugin.clone()).blocking(INITIALIZE, move |_| {
            if plugin.native.get().is_some() {
                return Err(PluginError::invalid_input("`initialize` was sent twice").into());
            }
            let native = load(&loaded, &policy, Parent(peer.clone()))?;
            let _ = plugin.native.set(native);
            Ok(json!({"name": plugin.manifest.name, "protocolVersion": PROTOCOL_VERSION}))
        })
    };
    let (reader, writer) = {
        let _runtime = interop_ipc::runtime::runtime()?.enter();
        interop_ipc::serve::stdio_streams()
    };
    // The protocol has its own descriptors now: what the library prints goes to stderr
    // (the host logs it) instead of corrupting the protocol on stdout.
    keep_stdio_off_the_protocol();
    let label = plugin.manifest.name.clone();
    interop_ipc::runtime::block_on(async move {
        let options = PeerOptions {
            framing: Framing::Lines,
            max_frame,
            timeout: None,
            label,
        };
        let connection = Peer::new(reader, writer, router, options);
        let _ = peer.set(connection.clone());
        connection.closed().await;
    })?;
    plugin.release()
}

/// Loads the library, with the plugin's memory limit on this process.
fn load(
    loaded: &LoadedManifest,
    policy: &Policy,
    parent: Parent,
) -> Result<NativePlugin, RpcError> {
    limit_memory(policy.memory_bytes);
    // SAFETY: this process exists to run the library: whatever it does stays in here
    // (the parent host confines and supervises it, and checks each host call).
    unsafe { NativePlugin::load_with_host(loaded, Arc::new(parent), policy.max_message_bytes) }
        .map_err(RpcError::from)
}

/// Holds this process's data segment (heap and anonymous memory) to what it uses now plus
/// `bytes`, so that the library gets the plugin's `limits.memoryMb` rather than the
/// parent's process limit (which has a floor for interpreters). Never raises the limit.
fn limit_memory(bytes: u64) {
    const HEADROOM: u64 = 16 * 1024 * 1024; // threads the runtime may still start
    let Some(used) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmData:"))?;
            let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024)
        })
    else {
        return;
    };
    let mut current = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_DATA, &mut current) } != 0 {
        return;
    }
    let wanted = used.saturating_add(bytes).saturating_add(HEADROOM) as libc::rlim_t;
    let limit = libc::rlimit {
        rlim_cur: wanted.min(current.rlim_cur),
        rlim_max: wanted.min(current.rlim_max),
    };
    // SAFETY: setrlimit reads the struct it is given; lowering a limit needs no privilege.
    if unsafe { libc::setrlimit(libc::RLIMIT_DATA, &limit) } != 0 {
        tracing::warn!("cannot limit the runner's memory to the plugin's limit");
    }
}

/// Points stdout at stderr and stdin at `/dev/null` when they are the protocol's pipes
/// (of which the protocol holds duplicates by now), so that the library cannot write
/// into the protocol or read from it by accident.
fn keep_stdio_off_the_protocol() {
    fn is_pipe(fd: libc::c_int) -> bool {
        // SAFETY: fstat writes into the zeroed struct it is given.
        let mut stat: libc::stat = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `fd` is a descriptor number, possibly closed (then -1).
        unsafe { libc::fstat(fd, &mut stat) == 0 && stat.st_mode & libc::S_IFMT == libc::S_IFIFO }
    }
    // SAFETY: dup2, open and close on descriptors this process owns; the protocol's
    // duplicates are separate descriptors, unaffected.
    unsafe {
        if is_pipe(1) {
            libc::dup2(2, 1);
        }
        if is_pipe(0) {
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC);
            if null >= 0 {
                libc::dup2(null, 0);
                libc::close(null);
            }
        }
    }
}

/// The host of a library served by the runner: the parent, over the connection.
struct Parent(Arc<OnceLock<Peer>>);

impl NativeHost for Parent {
    fn log(&self, level: LogLevel, message: &str) {
        let level = format!("{level:?}").to_ascii_lowercase();
        let _ = self.call("log", json!({ "level": level, "message": message }));
    }

    fn call(&self, function: &str, args: Value) -> Result<Value, PluginError> {
        // Set right after the connection starts, before any request is answered.
        let peer = self.0.wait().clone();
        let params = json!({"function": function, "args": args});
        interop_ipc::runtime::block_on(async move {
            peer.call_with_timeout(HOST_CALL, Some(params), None)
                .await
                .map_err(|e| match e {
                    interop_ipc::CallError::Remote(e) => e.to_plugin_error(),
                    other => PluginError::exec(format!("host.call: {other}")),
                })
        })?
    }
}

/// The served plugin: the library once `initialize` has loaded it.
struct Deferred {
    manifest: Manifest,
    native: OnceLock<NativePlugin>,
}

impl Handlers for Deferred {
    fn declared(&self) -> &Manifest {
        &self.manifest
    }

    fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError> {
        let native = self.native.get().ok_or_else(|| {
            PluginError::invalid_input(format!("{call}: the host has not sent `initialize`"))
                .in_plugin(&self.manifest.name)
        })?;
        native.call_handler(call)
    }

    fn release(&self) -> Result<(), PluginError> {
        self.native.get().map_or(Ok(()), Handlers::release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_opting_in_the_runner_is_the_environment_s_or_an_error_saying_what_to_do() {
        std::env::remove_var(RUNNER_ENV);
        let err = runner().unwrap_err();
        assert!(err.contains("serve_if_runner()"), "{err}");
        assert!(err.contains("INTEROP_RUNNER"), "{err}");
        std::env::set_var(RUNNER_ENV, "/opt/app/bin/interop");
        assert_eq!(runner(), Ok(PathBuf::from("/opt/app/bin/interop")));
        std::env::remove_var(RUNNER_ENV);
    }
}
