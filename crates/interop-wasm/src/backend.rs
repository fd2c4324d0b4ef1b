//! [`WasmBackend`]: the engines, the linker, the module cache, and loading plugins.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use interop_protocol::{Interop, LoadedManifest, Plugin, PluginError, Protocol};
use interop_sandbox::{Backend, HostServices, Policy};
use wasmtime::{Linker, Module};

use crate::abi::{self, State};
use crate::cache::{CacheSource, CacheStats, ModuleCache};
use crate::engine::{EngineOptions, EngineSlot};
use crate::module::WasmModule;
use crate::plugin::WasmPlugin;

/// Compiled modules kept in memory unless configured otherwise.
pub const DEFAULT_MEMORY_CACHE_CAPACITY: usize = 64;

/// The environment variable that overrides the `.cwasm` cache directory.
pub const CACHE_DIR_ENV: &str = "INTEROP_CACHE_DIR";

/// An engine with the linker of the guest ABI and WASI; shared by the plugins it runs.
pub(crate) struct Runtime {
    pub slot: EngineSlot,
    pub linker: Linker<State>,
}

impl Runtime {
    fn new(options: EngineOptions) -> wasmtime::Result<Self> {
        let slot = EngineSlot::new(options)?;
        let mut linker = Linker::new(&slot.engine);
        abi::add_to_linker(&mut linker)?;
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)?;
        Ok(Runtime { slot, linker })
    }

    pub fn metered(&self) -> bool {
        self.slot.options.fuel
    }
}

type Lazy = OnceLock<Result<Arc<Runtime>, String>>;

struct Shared {
    pooling: Option<u32>,
    plain: Lazy,
    fuel: Lazy,
    cache: ModuleCache,
}

/// Loads `protocol: "wasm"` plugins into wasmtime.
///
/// One backend holds one engine (two once a plugin asks for fuel metering, which needs
/// differently compiled code), one epoch ticker thread per engine, and the module cache;
/// every plugin it loads shares them. Engines are created on first use, so constructing a
/// backend cannot fail. Cloning shares everything.
#[derive(Clone)]
pub struct WasmBackend {
    shared: Arc<Shared>,
}

impl Default for WasmBackend {
    fn default() -> Self {
        WasmBackend::builder().build()
    }
}

impl std::fmt::Debug for WasmBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmBackend")
            .field("cache_dir", &self.shared.cache.dir())
            .field("pooling", &self.shared.pooling)
            .field("cache", &self.cache_stats())
            .finish()
    }
}

/// Configures a [`WasmBackend`].
#[derive(Debug, Clone)]
pub struct WasmBackendBuilder {
    cache_dir: Option<PathBuf>,
    disk_cache: bool,
    memory_capacity: usize,
    pooling: Option<u32>,
}

impl WasmBackendBuilder {
    /// Keeps `.cwasm` files in `dir` instead of the default
    /// (`$INTEROP_CACHE_DIR`, else `$XDG_CACHE_HOME/interop/wasm`, else `~/.cache/interop/wasm`).
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self.disk_cache = true;
        self
    }

    /// Keeps compiled modules in memory only.
    pub fn without_disk_cache(mut self) -> Self {
        self.disk_cache = false;
        self
    }

    /// How many compiled modules the in-memory LRU keeps (default 64).
    pub fn memory_cache_capacity(mut self, modules: usize) -> Self {
        self.memory_capacity = modules;
        self
    }

    /// Allocates instances from a pool of `slots` pre-reserved instance slots instead of
    /// on demand. Instantiation gets cheaper (measured in `docs/benchmarks.md`), which pays
    /// off when instances are made often (many plugins, or plugins re-instantiated after
    /// faults), at the price of reserved address space and at most `slots` live plugins.
    pub fn pooling(mut self, slots: u32) -> Self {
        self.pooling = Some(slots.max(1));
        self
    }

    /// The backend.
    pub fn build(self) -> WasmBackend {
        let dir = if self.disk_cache {
            self.cache_dir.or_else(default_cache_dir)
        } else {
            None
        };
        WasmBackend {
            shared: Arc::new(Shared {
                pooling: self.pooling,
                plain: OnceLock::new(),
                fuel: OnceLock::new(),
                cache: ModuleCache::new(dir, self.memory_capacity),
            }),
        }
    }
}

/// `$INTEROP_CACHE_DIR`, else `$XDG_CACHE_HOME/interop/wasm`, else `~/.cache/interop/wasm`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = non_empty(CACHE_DIR_ENV) {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = non_empty("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("interop").join("wasm"));
    }
    non_empty("HOME").map(|home| {
        PathBuf::from(home)
            .join(".cache")
            .join("interop")
            .join("wasm")
    })
}

impl WasmBackend {
    /// A builder with the defaults: disk cache in [`default_cache_dir`], 64 modules in
    /// memory, instances allocated on demand.
    pub fn builder() -> WasmBackendBuilder {
        WasmBackendBuilder {
            cache_dir: None,
            disk_cache: true,
            memory_capacity: DEFAULT_MEMORY_CACHE_CAPACITY,
            pooling: None,
        }
    }

    /// How often each cache layer answered so far.
    pub fn cache_stats(&self) -> CacheStats {
        self.shared.cache.stats()
    }

    /// Where `.cwasm` files are kept, if anywhere.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.shared.cache.dir()
    }

    /// Forgets the compiled modules held in memory (the disk cache stays); the next load
    /// of each comes from disk.
    pub fn clear_memory_cache(&self) {
        self.shared.cache.clear_memory();
    }

    pub(crate) fn runtime(&self, fuel: bool) -> Result<Arc<Runtime>, PluginError> {
        let lazy = if fuel {
            &self.shared.fuel
        } else {
            &self.shared.plain
        };
        let options = EngineOptions {
            fuel,
            pooling: self.shared.pooling,
        };
        lazy.get_or_init(|| {
            Runtime::new(options)
                .map(Arc::new)
                .map_err(|e| format!("cannot create the wasmtime engine: {e:#}"))
        })
        .clone()
        .map_err(PluginError::internal)
    }

    /// The compiled module of `bytes` (binary wasm or `.wat` text) for the engine
    /// `runtime`, from the cache or compiled now.
    pub(crate) fn compiled(
        &self,
        runtime: &Runtime,
        bytes: &[u8],
        origin: &Path,
    ) -> Result<(Module, CacheSource), PluginError> {
        self.shared.cache.get(&runtime.slot, bytes).map_err(|e| {
            PluginError::parse(format!(
                "`{}` is not a valid WebAssembly module: {}",
                origin.display(),
                first_line(&e)
            ))
        })
    }

    /// Compiles `bytes` (binary wasm or `.wat` text), or finds them in the cache, and says
    /// which layer answered. Loading a plugin does the same; this is for warming the cache
    /// and measuring it.
    pub fn prepare(&self, bytes: &[u8]) -> Result<CacheSource, PluginError> {
        let runtime = self.runtime(false)?;
        Ok(self.compiled(&runtime, bytes, Path::new("<bytes>"))?.1)
    }

    /// Loads the plugin `manifest` describes (as [`Backend::load`], with the concrete type).
    pub fn load_plugin(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<WasmPlugin, PluginError> {
        let name = manifest.name().to_owned();
        let Interop::Wasm(wasm) = &manifest.manifest.interop else {
            return Err(PluginError::invalid_input(format!(
                "plugin `{name}` is not a wasm plugin (protocol `{}`)",
                manifest.manifest.interop.protocol()
            ))
            .in_plugin(name));
        };
        let path = manifest.resolve(&wasm.wasm_path);
        let bytes = read_module(&path).map_err(|e| e.in_plugin(&name))?;
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let (module, source) = self
            .compiled(&runtime, &bytes, &path)
            .map_err(|e| e.in_plugin(&name))?;
        tracing::debug!(target: "interop::wasm", plugin = %name, ?source, "module ready");
        WasmPlugin::new(manifest.manifest.clone(), path, runtime, &module, services)
    }

    /// Opens a module for calling its exports directly (seed 000's `add`), with no
    /// permissions and the default limits.
    pub fn open_module(&self, path: impl AsRef<Path>) -> Result<WasmModule, PluginError> {
        let path = path.as_ref();
        let bytes = read_module(path)?;
        let name = module_name(path);
        let dir = path.parent().unwrap_or(Path::new("."));
        let services = HostServices::new(Policy::new(&name, dir));
        self.open_module_bytes(&bytes, path, services)
    }

    /// Compiles a module from WebAssembly text and opens it for calling its exports, with
    /// no permissions and the default limits (seed 000's `wasm.instantiate_wat`).
    ///
    /// ```
    /// let backend = interop_wasm::WasmBackend::builder().without_disk_cache().build();
    /// let wat = r#"(module
    ///     (func $add (param $a i32) (param $b i32) (result i32)
    ///       local.get $a
    ///       local.get $b
    ///       i32.add)
    ///     (export "add" (func $add)))"#;
    /// let module = backend.instantiate_wat(wat)?;
    /// assert_eq!(module.call_export("add", &[2, 3])?[0].as_i64(), Some(5));
    /// # Ok::<(), interop_protocol::PluginError>(())
    /// ```
    pub fn instantiate_wat(&self, text: &str) -> Result<WasmModule, PluginError> {
        let services = HostServices::new(Policy::new("wat-module", "."));
        self.open_module_bytes(text.as_bytes(), Path::new("<wat text>"), services)
    }

    /// Opens module `bytes` (named `origin` in errors) under `services`' policy.
    pub fn open_module_bytes(
        &self,
        bytes: &[u8],
        origin: &Path,
        services: HostServices,
    ) -> Result<WasmModule, PluginError> {
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let (module, _) = self.compiled(&runtime, bytes, origin)?;
        WasmModule::new(runtime, &module, services)
    }

    /// Runs a WASI command module (`_start`) with `args` (the first is the program name
    /// the guest sees) and the process's stdio, under `services`' policy (its granted
    /// directories and variables, memory and time limits). Returns the exit code.
    pub fn run_command(
        &self,
        path: impl AsRef<Path>,
        args: &[String],
        services: HostServices,
    ) -> Result<i32, PluginError> {
        let path = path.as_ref();
        let bytes = read_module(path)?;
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let (module, _) = self.compiled(&runtime, &bytes, path)?;
        crate::module::run_command(runtime, &module, services, args)
    }
}

impl Backend for WasmBackend {
    fn protocol(&self) -> Protocol {
        Protocol::Wasm
    }

    fn load(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<Box<dyn Plugin>, PluginError> {
        Ok(Box::new(self.load_plugin(manifest, services)?))
    }
}

/// A plugin name derived from a module's file name (`add.wat` -> `add`).
pub fn module_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() => name,
        _ => format!("module{name}"),
    }
}

fn read_module(path: &Path) -> Result<Vec<u8>, PluginError> {
    // A FIFO or a device in the plugin directory is refused at once instead of blocking.
    interop_protocol::files::read_regular(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            " (sample plugins are built by `cargo xtask build-plugins`)"
        } else {
            ""
        };
        PluginError::not_found(format!(
            "cannot read wasm module `{}`: {e}{hint}",
            path.display()
        ))
    })
}

pub(crate) fn first_line(e: &wasmtime::Error) -> String {
    format!("{e:#}")
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}
