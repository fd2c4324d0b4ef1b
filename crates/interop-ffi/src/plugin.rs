//! [`NativePlugin`]: a shared library speaking the native ABI ([`crate::abi`]), loaded
//! in-process and checked before any of its code but `interop_plugin_entry` runs.
//!
//! Load-time checks, each a clear [`PluginError`] rather than a crash: the library lies
//! inside the plugin directory (symlinks resolved), it is a shared object of this
//! platform's format, it exports the entry symbol, its descriptor has this host's ABI
//! version, a large enough size, the manifest's name and every entry point the manifest
//! needs. Calls are serialised per plugin (a mutex around its state), since a C plugin
//! need not be thread-safe; requests and replies are held to the policy's message size.

use std::ffi::{c_void, CStr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use interop_protocol::{
    plugin::unloaded, ActionInvoke, ActionResult, ErrorKind, HookEvent, LoadedManifest, Manifest,
    Plugin, PluginError, ProviderGet, ProviderResult,
};
use interop_sandbox::HostServices;
use serde_json::{json, Value};

use crate::abi::{
    status, EntryFn, EntrySymbolFn, FreeFn, HostApi, PluginDescriptor, ABI_VERSION, ENTRY_SYMBOL,
};
use crate::host::{HostCtx, NativeHost};

/// A native plugin loaded in this process.
pub struct NativePlugin {
    manifest: Manifest,
    desc: PluginDescriptor,
    max_message: usize,
    state: Mutex<State>,
    // Dropped in `Drop` in this order: deinit (through `state`), then the library, then
    // the host table and context the library may have kept pointers to.
    library: Option<libloading::Library>,
    // Kept alive for the plugin, which holds pointers into them.
    _host_api: Box<HostApi>,
    _host_ctx: Box<HostCtx>,
}

struct State {
    ptr: *mut c_void,
    loaded: bool,
}

// SAFETY: the plugin's state pointer is only passed to the plugin under the `state` mutex,
// so the library sees one call at a time, from whichever thread; the descriptor is plain
// data (function pointers and a static name); the host context is `Sync`
// (`HostServices` is).
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

/// The library file a manifest names, resolved inside its plugin directory.
pub fn library_path(loaded: &LoadedManifest) -> Result<PathBuf, PluginError> {
    let name = &loaded.manifest.name;
    let interop_protocol::Interop::Ffi(ffi) = &loaded.manifest.interop else {
        return Err(PluginError::internal(format!(
            "plugin `{name}` is not an ffi plugin (protocol `{}`)",
            loaded.manifest.interop.protocol()
        ))
        .in_plugin(name));
    };
    let requested = loaded.resolve(&ffi.library_path);
    let field = format!("{}: interop.libraryPath", loaded.path.display());
    let dir = loaded.dir.canonicalize().map_err(|e| {
        PluginError::not_found(format!(
            "{field}: plugin directory {}: {e}",
            loaded.dir.display()
        ))
        .in_plugin(name)
    })?;
    let real = requested.canonicalize().map_err(|e| {
        PluginError::not_found(format!(
            "{field}: library `{}` ({}): {e} (build the plugin first; for the samples: \
             cargo xtask build-plugins)",
            ffi.library_path,
            requested.display()
        ))
        .in_plugin(name)
    })?;
    if !real.starts_with(&dir) {
        return Err(PluginError::denied(format!(
            "{field}: library `{}` resolves to {}, outside the plugin directory {}",
            ffi.library_path,
            real.display(),
            dir.display()
        ))
        .in_plugin(name)
        .with_data(json!({ "path": ffi.library_path })));
    }
    Ok(real)
}

/// Checks the file's magic number against this platform's shared-object format, so that
/// a text file or an image is refused with a clear message before the loader sees it.
fn check_object_format(path: &Path, plugin: &str) -> Result<(), PluginError> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    // A FIFO or a device in the plugin directory is refused at once instead of blocking.
    let read = interop_protocol::files::open_regular(path)
        .and_then(|mut f| f.read(&mut magic))
        .map_err(|e| {
            PluginError::not_found(format!("cannot read {}: {e}", path.display())).in_plugin(plugin)
        })?;
    let (ok, format) = if cfg!(target_os = "macos") {
        let m = u32::from_le_bytes(magic);
        (
            matches!(
                m,
                0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe | 0xbebafeca
            ),
            "a Mach-O dylib",
        )
    } else if cfg!(windows) {
        (magic[..2] == *b"MZ", "a PE DLL")
    } else {
        (magic == *b"\x7fELF", "an ELF shared object")
    };
    if read < 4 || !ok {
        return Err(PluginError::parse(format!(
            "{} is not a shared library: expected {format}",
            path.display()
        ))
        .in_plugin(plugin));
    }
    Ok(())
}

impl NativePlugin {
    /// Loads the library `loaded` names and initialises it with `services` as its host API.
    pub fn load(
        loaded: &LoadedManifest,
        services: HostServices,
    ) -> Result<NativePlugin, PluginError> {
        let max_message = services.policy().max_message_bytes;
        Self::load_with_host(loaded, Arc::new(services), max_message)
    }

    /// Like [`NativePlugin::load`], with the host callbacks going to `host` (isolated
    /// mode's runner forwards them to the parent host) and messages held to `max_message`
    /// bytes.
    pub fn load_with_host(
        loaded: &LoadedManifest,
        host: Arc<dyn NativeHost>,
        max_message: u64,
    ) -> Result<NativePlugin, PluginError> {
        let manifest = loaded.manifest.clone();
        let name = manifest.name.clone();
        let path = library_path(loaded)?;
        check_object_format(&path, &name)?;

        // SAFETY: loading runs the library's initialisers; the manifest names this
        // library as the plugin's code, which is what the host was asked to run
        // (`isolated: true` runs it in a child process instead).
        let library = unsafe { libloading::Library::new(&path) }.map_err(|e| {
            use std::error::Error;
            let why = e
                .source()
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string());
            PluginError::parse(format!("cannot load {}: {why}", path.display())).in_plugin(&name)
        })?;

        // SAFETY: the symbol is declared with the ABI's signature; a library exporting
        // the name with another meaning breaks the ABI contract.
        let entry =
            unsafe { library.get::<EntrySymbolFn>(ENTRY_SYMBOL.as_bytes()) }.map_err(|_| {
                PluginError::not_found(format!(
                    "{} does not export `{ENTRY_SYMBOL}`: not an interop native plugin \
                 (see docs/abi.md, \"Native libraries\")",
                    path.display()
                ))
                .in_plugin(&name)
            })?;
        // SAFETY: the entry function takes no arguments and returns a pointer.
        let desc_ptr = unsafe { entry() };
        let desc = read_descriptor(desc_ptr, &path, &manifest)?;

        let host_ctx = Box::new(HostCtx {
            host,
            plugin: name.clone(),
        });
        let host_api = Box::new(HostCtx::api(&host_ctx));
        let mut state_ptr: *mut c_void = std::ptr::null_mut();
        if let Some(init) = desc.init {
            // SAFETY: `host_api` and `host_ctx` are boxed (stable addresses) and live
            // until after `deinit` and the library are dropped (see `Drop`).
            let code = guard(&name, "init", || unsafe {
                init(&*host_api, &mut state_ptr)
            })?;
            if code != status::OK {
                return Err(PluginError::exec(format!(
                    "{}: init failed with status {code}",
                    path.display()
                ))
                .in_plugin(&name));
            }
        }
        tracing::debug!(plugin = %name, library = %path.display(), "native plugin loaded");
        Ok(NativePlugin {
            max_message: usize::try_from(max_message).unwrap_or(usize::MAX),
            manifest,
            desc,
            state: Mutex::new(State {
                ptr: state_ptr,
                loaded: true,
            }),
            library: Some(library),
            _host_api: host_api,
            _host_ctx: host_ctx,
        })
    }

    /// Calls `entry(handler, input)` and reads the reply as JSON.
    fn call(
        &self,
        which: &str,
        entry: EntryFn,
        handler: &str,
        input: &Value,
    ) -> Result<Value, PluginError> {
        let name = &self.manifest.name;
        let input = serde_json::to_vec(input).map_err(|e| {
            PluginError::internal(format!("cannot encode input: {e}")).in_plugin(name)
        })?;
        if input.len() > self.max_message {
            return Err(PluginError::limit(
                "message_size",
                format!(
                    "{which} `{handler}`: input of {} bytes exceeds the {}-byte message limit",
                    input.len(),
                    self.max_message
                ),
            )
            .in_plugin(name));
        }
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if !state.loaded {
            return Err(unloaded(&self.manifest));
        }
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut out_len: usize = 0;
        // SAFETY: the plugin's entry point gets its own state, pointers to buffers alive
        // for the call and to the out-parameters; calls are serialised by `state`.
        let code = guard(name, which, || unsafe {
            entry(
                state.ptr,
                handler.as_ptr(),
                handler.len(),
                input.as_ptr(),
                input.len(),
                &mut out,
                &mut out_len,
            )
        })?;
        let reply = take(self.desc.free, state.ptr, out, out_len);
        drop(state);
        if reply.len() > self.max_message {
            return Err(PluginError::limit(
                "message_size",
                format!(
                    "{which} `{handler}`: reply of {} bytes exceeds the {}-byte message limit",
                    reply.len(),
                    self.max_message
                ),
            )
            .in_plugin(name));
        }
        match code {
            status::OK => {
                if reply.is_empty() {
                    return Ok(Value::Null);
                }
                serde_json::from_slice(&reply).map_err(|e| {
                    PluginError::parse(format!("{which} `{handler}` returned invalid JSON: {e}"))
                        .in_plugin(name)
                })
            }
            status::NOT_FOUND => Err(PluginError::not_found(format!(
                "the library has no handler `{handler}` for {which}"
            ))
            .in_plugin(name)),
            code => {
                let mut error =
                    serde_json::from_slice::<PluginError>(&reply).unwrap_or_else(|_| {
                        let text = String::from_utf8_lossy(&reply).trim().to_owned();
                        if text.is_empty() {
                            PluginError::exec(format!(
                                "{which} `{handler}` failed with status {code}"
                            ))
                        } else {
                            PluginError::exec(text)
                        }
                    });
                if code == status::INVALID_INPUT && error.kind == ErrorKind::Exec {
                    error.kind = ErrorKind::InvalidInput;
                }
                Err(error.in_plugin(name))
            }
        }
    }

    fn entry(&self, which: &str, entry: Option<EntryFn>) -> Result<EntryFn, PluginError> {
        entry.ok_or_else(|| {
            PluginError::not_found(format!("the library exports no `{which}` entry point"))
                .in_plugin(&self.manifest.name)
        })
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

/// Copies a plugin-allocated buffer and hands it back to the plugin's `free`.
fn take(free: Option<FreeFn>, state: *mut c_void, ptr: *mut u8, len: usize) -> Vec<u8> {
    if ptr.is_null() {
        return Vec::new();
    }
    // SAFETY: the ABI requires `ptr` to point to `len` bytes allocated by the plugin.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len) }.to_vec();
    if let Some(free) = free {
        // SAFETY: the buffer came from this plugin and is released once.
        unsafe { free(state, ptr, len) };
    }
    bytes
}

fn read_descriptor(
    ptr: *const PluginDescriptor,
    path: &Path,
    manifest: &Manifest,
) -> Result<PluginDescriptor, PluginError> {
    let name = &manifest.name;
    let bad = |kind: fn(String) -> PluginError, msg: String| {
        Err(kind(format!("{}: {msg}", path.display())).in_plugin(name))
    };
    if ptr.is_null() {
        return bad(PluginError::exec, format!("`{ENTRY_SYMBOL}` returned NULL"));
    }
    if !ptr.is_aligned() {
        return bad(
            PluginError::exec,
            format!("`{ENTRY_SYMBOL}` returned a misaligned pointer"),
        );
    }
    // SAFETY: every version of the descriptor starts with `abi_version` and `size`.
    let (version, size) = unsafe { ((*ptr).abi_version, (*ptr).size) };
    if version != ABI_VERSION {
        return Err(PluginError::invalid_input(format!(
            "{}: ABI version mismatch: the library was built for native plugin ABI {version}, \
             this host implements ABI {ABI_VERSION}",
            path.display()
        ))
        .in_plugin(name)
        .with_data(json!({ "abiVersion": version, "expected": ABI_VERSION })));
    }
    let expected = std::mem::size_of::<PluginDescriptor>();
    if (size as usize) < expected {
        return bad(
            PluginError::invalid_input,
            format!("descriptor is {size} bytes, ABI {ABI_VERSION} needs at least {expected}"),
        );
    }
    // SAFETY: the library declares (through `size`) at least a full v1 descriptor.
    let desc = unsafe { std::ptr::read(ptr) };
    if desc.name.is_null() {
        return bad(PluginError::invalid_input, "descriptor has no name".into());
    }
    // SAFETY: the ABI requires `name` to be a NUL-terminated static string.
    let declared = unsafe { CStr::from_ptr(desc.name) }.to_string_lossy();
    if declared != manifest.name {
        return bad(
            PluginError::invalid_input,
            format!(
                "the library is plugin `{declared}`, the manifest names `{}`",
                manifest.name
            ),
        );
    }
    let missing: Vec<&str> = [
        ("free", desc.free.is_none()),
        (
            "invoke",
            !manifest.actions.is_empty() && desc.invoke.is_none(),
        ),
        (
            "get_provider",
            !manifest.providers.is_empty() && desc.get_provider.is_none(),
        ),
        (
            "on_event",
            !manifest.hooks.is_empty() && desc.on_event.is_none(),
        ),
    ]
    .into_iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| n)
    .collect();
    if !missing.is_empty() {
        return bad(
            PluginError::not_found,
            format!(
                "descriptor lacks the entry point(s) the manifest needs: {}",
                missing.join(", ")
            ),
        );
    }
    Ok(desc)
}

impl Plugin for NativePlugin {
    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn invoke(&self, request: &ActionInvoke) -> Result<ActionResult, PluginError> {
        let action = self.manifest.require_action(&request.action)?;
        let entry = self.entry("invoke", self.desc.invoke)?;
        let reply = self.call("action", entry, action.handler(), &request.input)?;
        Ok(ActionResult::from_reply(reply))
    }

    fn get_provider(&self, request: &ProviderGet) -> Result<ProviderResult, PluginError> {
        let provider = self.manifest.require_provider(&request.provider)?;
        let entry = self.entry("get_provider", self.desc.get_provider)?;
        let input = json!({ "memory": request.memory, "state": request.state });
        let reply = self.call("provider", entry, provider.handler(), &input)?;
        Ok(ProviderResult::from_reply(reply))
    }

    fn on_event(&self, event: &HookEvent) -> Result<Value, PluginError> {
        let mut results = Vec::new();
        for hook in self.manifest.hooks_for(&event.event) {
            let entry = self.entry("on_event", self.desc.on_event)?;
            results.push(self.call("hook", entry, &hook.handler, &event.payload)?);
        }
        Ok(Value::Array(results))
    }

    fn unload(&self) -> Result<(), PluginError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
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
        let _ = Plugin::unload(self);
        // The library goes before the host table it may point into.
        drop(self.library.take());
    }
}
