//! [`NativePlugin`]: a shared library speaking the native ABI ([`crate::abi`]), loaded
//! in-process.
//!
//! Loading checks the file before the loader sees it ([`crate::library_file`]: inside the
//! plugin directory, a regular file, a shared object; loaded from the open descriptor),
//! then the descriptor before any plugin function but `interop_plugin_entry` runs
//! ([`crate::descriptor`]), each failure a clear [`PluginError`] rather than a crash.
//!
//! Requests reach the entry points through [`Handlers`], the one dispatch path: `invoke`
//! runs actions, `get_provider` providers, `on_event` hooks. Calls are serialised per
//! plugin (a mutex around its state), since a C plugin need not be thread-safe. Inputs are
//! held to the policy's message size, and so is every length the plugin reports: a reply
//! longer than the limit is refused before a byte of it is read. Each call (and `init`)
//! starts the host's per-call deadline, so host sleeps and fetches end with the call's
//! time limit.

use std::ffi::c_void;
use std::sync::{Arc, Mutex};

use interop_protocol::dispatch::{HandlerCall, HandlerKind, Handlers};
use interop_protocol::raw::{raw_output, to_raw, RawValue};
use interop_protocol::{plugin::unloaded, ErrorKind, LoadedManifest, Manifest, PluginError};
use interop_sandbox::HostServices;
use serde_json::Value;

use crate::abi::{status, EntryFn, EntrySymbolFn, HostApi, PluginDescriptor, ENTRY_SYMBOL};
use crate::host_api::{HostCtx, NativeHost};
use crate::library_file::{LibraryFile, LoadedLibrary};

/// A native plugin loaded in this process.
pub struct NativePlugin {
    manifest: Manifest,
    desc: PluginDescriptor,
    max_message: usize,
    state: Mutex<State>,
    // Released in this order (see `Drop`): deinit (through `state`), then the library,
    // then the host table and context the library may have kept pointers to.
    library: Option<LoadedLibrary>,
    host_api: Box<HostApi>,
    host_ctx: Box<HostCtx>,
}

struct State {
    ptr: *mut c_void,
    loaded: bool,
}

// SAFETY: the plugin's state pointer is only passed to the plugin under the `state` mutex,
// so the library sees one call at a time, from whichever thread; the descriptor is plain
// data (function pointers and a static name); the host context is `Sync`
// (`NativeHost: Sync`, and its buffer table is behind a mutex).
unsafe impl Send for NativePlugin {}
// SAFETY: see `Send`.
unsafe impl Sync for NativePlugin {}

impl std::fmt::Debug for NativePlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativePlugin")
            .field("name", &self.manifest.name)
            .finish_non_exhaustive()
    }
}

impl NativePlugin {
    /// Loads the library `loaded` names into this process and initialises it with
    /// `services` as its host API.
    ///
    /// # Safety
    /// The library's initialisers, `interop_plugin_entry` and `init` run in this process,
    /// and later its entry points, with this process's privileges: the caller must trust
    /// the library as much as its own code, and the library must keep the ABI contract
    /// (`docs/abi.md`: pointers and lengths it passes and returns are what they claim).
    /// What can be checked is (see the module docs); a library breaking the contract in
    /// other ways (a wild pointer, a reported length longer than its buffer) is
    /// undefined behaviour. To run code not trusted so far, use `isolated: true`.
    pub unsafe fn load(
        loaded: &LoadedManifest,
        services: HostServices,
    ) -> Result<NativePlugin, PluginError> {
        let max_message = services.policy().max_message_bytes;
        // Its own instance: the deadline of this plugin's calls is its own.
        let host = Arc::new(services.for_instance());
        // SAFETY: the caller's contract.
        unsafe { Self::load_with_host(loaded, host, max_message) }
    }

    /// Like [`NativePlugin::load`], with the host callbacks going to `host` (isolated
    /// mode's runner forwards them to the parent host) and messages held to `max_message`
    /// bytes.
    ///
    /// # Safety
    /// As for [`NativePlugin::load`].
    pub unsafe fn load_with_host(
        loaded: &LoadedManifest,
        host: Arc<dyn NativeHost>,
        max_message: u64,
    ) -> Result<NativePlugin, PluginError> {
        let manifest = loaded.manifest.clone();
        let name = manifest.name.clone();
        let file = LibraryFile::open(loaded)?;
        let path = file.path.clone();
        // SAFETY: the caller trusts the library (this function's contract).
        let library = unsafe { file.load() }.map_err(|why| {
            PluginError::parse(format!("cannot load {}: {why}", path.display())).in_plugin(&name)
        })?;
        // SAFETY: the symbol is declared with the ABI's signature; a library exporting
        // the name with another meaning breaks the ABI contract (the caller's).
        let entry = unsafe {
            library
                .library()
                .get::<EntrySymbolFn>(ENTRY_SYMBOL.as_bytes())
        }
        .map_err(|_| {
            PluginError::not_found(format!(
                "{} does not export `{ENTRY_SYMBOL}`: not an interop native plugin \
                     (see docs/abi.md, \"Native libraries\")",
                path.display()
            ))
            .in_plugin(&name)
        })?;
        // SAFETY: the entry function takes no arguments and returns a pointer; the
        // descriptor it points to is what the ABI says (the caller's contract).
        let desc = unsafe { crate::descriptor::read(entry(), &path, &manifest)? };

        let max_message = usize::try_from(max_message).unwrap_or(usize::MAX);
        let host_ctx = Box::new(HostCtx::new(host, name.clone(), max_message));
        let host_api = Box::new(HostCtx::api(&host_ctx));
        // Owned from here, so that a failed `init` still releases everything in order.
        let plugin = NativePlugin {
            manifest,
            desc,
            max_message,
            state: Mutex::new(State {
                ptr: std::ptr::null_mut(),
                loaded: false,
            }),
            library: Some(library),
            host_api,
            host_ctx,
        };
        let mut state = std::ptr::null_mut();
        if let Some(init) = plugin.desc.init {
            plugin.host_ctx.host.start_call();
            // SAFETY: `host_api` and `host_ctx` are boxed (stable addresses) and live
            // until after `deinit` and the library are released (see `Drop`).
            let code = guard(&name, "init", || unsafe {
                init(&*plugin.host_api, &mut state)
            });
            plugin.host_ctx.host.end_call();
            let code = code?;
            if code != status::OK {
                return Err(PluginError::exec(format!(
                    "{}: init failed with status {code}",
                    path.display()
                ))
                .in_plugin(&name));
            }
        }
        *plugin.lock() = State {
            ptr: state,
            loaded: true,
        };
        tracing::debug!(plugin = %name, library = %path.display(), "native plugin loaded");
        Ok(plugin)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The error of `call` about this plugin.
    fn error(&self, error: PluginError) -> PluginError {
        error.in_plugin(&self.manifest.name)
    }

    /// Calls `entry(handler, input)` and reads the reply as JSON.
    fn call(&self, call: &HandlerCall<'_>, entry: EntryFn) -> Result<Value, PluginError> {
        let input = serde_json::to_vec(call.input)
            .map_err(|e| self.error(PluginError::internal(format!("cannot encode input: {e}"))))?;
        let reply = self.exchange(call, entry, &input)?;
        if reply.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&reply).map_err(|e| {
            self.error(PluginError::parse(format!(
                "{call} returned invalid JSON: {e}"
            )))
        })
    }

    /// Calls `entry(handler, input)` with JSON text, and keeps the reply as text once it
    /// is checked to be one JSON value.
    fn call_raw(
        &self,
        call: &HandlerCall<'_>,
        entry: EntryFn,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        let reply = self.exchange(call, entry, input.get().as_bytes())?;
        if reply.is_empty() {
            return to_raw(&Value::Null);
        }
        raw_output(reply)
            .map_err(|e| self.error(PluginError::parse(format!("{call} returned {}", e.message))))
    }

    /// Calls `entry(handler, input)`: the reply of a call that succeeded (empty for
    /// none), or the error the plugin reported.
    fn exchange(
        &self,
        call: &HandlerCall<'_>,
        entry: EntryFn,
        input: &[u8],
    ) -> Result<Vec<u8>, PluginError> {
        let handler = call.handler;
        if input.len() > self.max_message {
            return Err(self.error(PluginError::limit(
                "message_size",
                format!(
                    "{call}: input of {} bytes exceeds the {}-byte message limit",
                    input.len(),
                    self.max_message
                ),
            )));
        }
        let state = self.lock();
        if !state.loaded {
            return Err(unloaded(&self.manifest));
        }
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len: usize = 0;
        let host = &self.host_ctx.host;
        host.start_call();
        // SAFETY: the plugin's entry point gets its own state, pointers to buffers alive
        // for the call and to the out-parameters; calls are serialised by `state`.
        let code = guard(&self.manifest.name, &call.to_string(), || unsafe {
            entry(
                state.ptr,
                handler.as_ptr(),
                handler.len(),
                input.as_ptr(),
                input.len(),
                &mut out,
                &mut out_len,
            )
        });
        host.end_call();
        let code = code?;
        let reply = self.take(call, state.ptr, out, out_len);
        drop(state);
        let reply = reply?;
        match code {
            status::OK => Ok(reply),
            status::NOT_FOUND => Err(self.error(PluginError::not_found(format!(
                "{call}: the library has no handler `{handler}`"
            )))),
            code => {
                let mut error =
                    serde_json::from_slice::<PluginError>(&reply).unwrap_or_else(|_| {
                        let text = String::from_utf8_lossy(&reply).trim().to_owned();
                        if text.is_empty() {
                            PluginError::exec(format!("{call} failed with status {code}"))
                        } else {
                            PluginError::exec(text)
                        }
                    });
                if code == status::INVALID_INPUT && error.kind == ErrorKind::Exec {
                    error.kind = ErrorKind::InvalidInput;
                }
                // The error is this plugin's, whatever plugin its JSON names.
                error.plugin = Some(self.manifest.name.clone());
                Err(error)
            }
        }
    }

    /// Takes the buffer the plugin returned: its length is checked against the message
    /// limit before a byte is read, the bytes are copied, and the buffer goes back to the
    /// plugin's `free` in every case.
    fn take(
        &self,
        call: &HandlerCall<'_>,
        state: *mut c_void,
        ptr: *mut u8,
        len: usize,
    ) -> Result<Vec<u8>, PluginError> {
        if ptr.is_null() {
            if len == 0 {
                return Ok(Vec::new());
            }
            return Err(self.error(PluginError::exec(format!(
                "{call}: the library returned a null output pointer with a length of {len} \
                 bytes"
            ))));
        }
        let bytes = if len > self.max_message || len > isize::MAX as usize {
            Err(self.error(PluginError::limit(
                "message_size",
                format!(
                    "{call}: reply of {len} bytes exceeds the {}-byte message limit",
                    self.max_message
                ),
            )))
        } else {
            // SAFETY: the ABI requires `ptr` to point to the `len` bytes the plugin
            // allocated; `len` is a sane size, within the message limit.
            Ok(unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec())
        };
        if let Some(free) = self.desc.free {
            // SAFETY: the buffer came from this plugin and is released once, with the
            // length it reported.
            unsafe { free(state, ptr, len) };
        }
        bytes
    }
}

/// Runs `f`, turning a Rust panic on this side of the boundary into an error. (A plugin
/// cannot unwind into the host: its entry points are `extern "C"`, which aborts on unwind,
/// and the C ABI has no unwinding; use `isolated: true` for plugins that may abort.)
fn guard<T>(plugin: &str, what: &str, f: impl FnOnce() -> T) -> Result<T, PluginError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| {
        PluginError::internal(format!(
            "{what}: panicked in the host's call into the plugin"
        ))
        .in_plugin(plugin)
    })
}

impl NativePlugin {
    /// The library's entry point for handlers of `kind`.
    fn entry(&self, kind: HandlerKind) -> Result<EntryFn, PluginError> {
        let (which, entry) = match kind {
            HandlerKind::Action => ("invoke", self.desc.invoke),
            HandlerKind::Provider => ("get_provider", self.desc.get_provider),
            HandlerKind::Hook => ("on_event", self.desc.on_event),
        };
        entry.ok_or_else(|| {
            self.error(PluginError::not_found(format!(
                "the library exports no `{which}` entry point"
            )))
        })
    }
}

impl Handlers for NativePlugin {
    fn declared(&self) -> &Manifest {
        &self.manifest
    }

    fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError> {
        self.call(call, self.entry(call.kind)?)
    }

    fn call_handler_raw(
        &self,
        call: &HandlerCall<'_>,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        self.call_raw(call, self.entry(call.kind)?, input)
    }

    fn release(&self) -> Result<(), PluginError> {
        let mut state = self.lock();
        if state.loaded {
            state.loaded = false;
            if let Some(deinit) = self.desc.deinit {
                // SAFETY: called once, with the plugin's own state, under the lock.
                guard(&self.manifest.name, "deinit", || unsafe {
                    deinit(state.ptr)
                })?;
            }
            state.ptr = std::ptr::null_mut();
        }
        Ok(())
    }
}

impl Drop for NativePlugin {
    fn drop(&mut self) {
        let _ = self.release();
        // The library goes before the host table it may point into (dropped after this).
        drop(self.library.take());
    }
}
