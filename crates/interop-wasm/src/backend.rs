//! [`WasmBackend`]: the engines, the linker, the module cache, and loading plugins.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::abi::{check_declared, core_module, mismatch};
use crate::cache::{Artifact, CacheSource, CacheStats, FileId, ModuleCache};
use crate::command;
use crate::component::plugin::ComponentPlugin;
use crate::engine::{EngineOptions, Runtime};
use crate::failure::first_line;
use crate::info::ModuleInfo;
use crate::module::WasmModule;
use crate::plugin::WasmPlugin;
use crate::pool::MAX_INSTANCES_PER_PLUGIN;
use interop_protocol::{files, Interop, LoadedManifest, Plugin, PluginError, Protocol, WasmAbi};
use interop_sandbox::{Backend, HostServices, Policy};

/// Largest module file read, in bytes (a large real guest is tens of MiB).
pub const MAX_MODULE_BYTES: u64 = 256 * 1024 * 1024;

/// Compiled modules kept in memory unless configured otherwise.
pub const DEFAULT_MEMORY_CACHE_CAPACITY: usize = 64;

/// The environment variable that overrides the `.cwasm` cache directory.
pub const CACHE_DIR_ENV: &str = "INTEROP_CACHE_DIR";

type Lazy = OnceLock<Result<Arc<Runtime>, String>>;

struct Shared {
    pooling: Option<u32>,
    instances_per_plugin: usize,
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
            .field("instances_per_plugin", &self.shared.instances_per_plugin)
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
    instances_per_plugin: usize,
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

    /// How many instances each plugin may have, so that as many calls to one plugin run
    /// in parallel (default [`default_instances_per_plugin`]: the number of cores, at most
    /// 16; bounded by 64). Instances are made only when calls overlap, and each has its own
    /// memory under the plugin's memory limit, so a plugin may hold up to this many times
    /// its limit. With the pooling allocator each instance takes one of its slots.
    pub fn instances_per_plugin(mut self, instances: usize) -> Self {
        self.instances_per_plugin = instances.clamp(1, MAX_INSTANCES_PER_PLUGIN);
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
                instances_per_plugin: self.instances_per_plugin,
                plain: OnceLock::new(),
                fuel: OnceLock::new(),
                cache: ModuleCache::new(dir, self.memory_capacity),
            }),
        }
    }
}

/// Instances per plugin unless configured otherwise: the cores this process may use, at
/// most 16 (a pool larger than the cores adds memory, not throughput).
pub fn default_instances_per_plugin() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16)
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
    /// memory, instances allocated on demand, [`default_instances_per_plugin`].
    pub fn builder() -> WasmBackendBuilder {
        WasmBackendBuilder {
            cache_dir: None,
            disk_cache: true,
            memory_capacity: DEFAULT_MEMORY_CACHE_CAPACITY,
            pooling: None,
            instances_per_plugin: default_instances_per_plugin(),
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

    /// The compiled module or component of `bytes` (binary wasm or `.wat` text, read from
    /// `file` if it was a file) for the engine `runtime`, from the cache or compiled now.
    fn compiled(
        &self,
        runtime: &Runtime,
        bytes: &[u8],
        origin: &Path,
        file: Option<FileId>,
    ) -> Result<(Artifact, CacheSource), PluginError> {
        self.shared
            .cache
            .get(&runtime.slot, bytes, file)
            .map_err(|e| {
                PluginError::parse(format!(
                    "`{}` is not a valid WebAssembly module or component: {}",
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
        Ok(self
            .compiled(&runtime, bytes, Path::new("<bytes>"), None)?
            .1)
    }

    /// As [`prepare`](Self::prepare) for the module file at `path`: a file loaded before
    /// and unchanged since is found in memory without being read.
    pub fn prepare_file(&self, path: impl AsRef<Path>) -> Result<CacheSource, PluginError> {
        let runtime = self.runtime(false)?;
        Ok(self.compiled_file(&runtime, path.as_ref())?.1)
    }

    /// Loads the core-module plugin `manifest` describes (as [`Backend::load`], with the
    /// concrete type); a component is refused (see [`load_component`](Self::load_component)).
    pub fn load_plugin(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<WasmPlugin, PluginError> {
        let (path, runtime, artifact) = self.open_plugin(manifest, &services)?;
        let Artifact::Module(compiled) = artifact else {
            return Err(mismatch(manifest, &path, WasmAbi::Interop));
        };
        WasmPlugin::new(
            manifest.manifest.clone(),
            path,
            runtime,
            &compiled,
            services,
            self.shared.instances_per_plugin,
        )
    }

    /// Loads the component plugin `manifest` describes (as [`Backend::load`], with the
    /// concrete type); a core module is refused.
    pub fn load_component(
        &self,
        manifest: &LoadedManifest,
        services: HostServices,
    ) -> Result<ComponentPlugin, PluginError> {
        let (path, runtime, artifact) = self.open_plugin(manifest, &services)?;
        let Artifact::Component(compiled) = artifact else {
            return Err(mismatch(manifest, &path, WasmAbi::Component));
        };
        ComponentPlugin::new(
            manifest.manifest.clone(),
            &path,
            runtime,
            &compiled,
            services,
            self.shared.instances_per_plugin,
        )
    }

    /// The binary of a wasm plugin's manifest, compiled (or from the cache) for the engine
    /// its policy needs, checked against the manifest's `wasmAbi` when it declares one.
    fn open_plugin(
        &self,
        manifest: &LoadedManifest,
        services: &HostServices,
    ) -> Result<(PathBuf, Arc<Runtime>, Artifact), PluginError> {
        let name = manifest.name();
        let Interop::Wasm(wasm) = &manifest.manifest.interop else {
            return Err(PluginError::invalid_input(format!(
                "plugin `{name}` is not a wasm plugin (protocol `{}`)",
                manifest.manifest.interop.protocol()
            ))
            .in_plugin(name));
        };
        let path = manifest.resolve(&wasm.wasm_path);
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let (artifact, source) = self
            .compiled_file(&runtime, &path)
            .map_err(|e| e.in_plugin(name))?;
        tracing::debug!(target: "interop::wasm", plugin = %name, ?source, "module ready");
        check_declared(manifest, &path, wasm.wasm_abi, &artifact)?;
        Ok((path, runtime, artifact))
    }

    /// The compiled module of the file at `path`: without opening it when the same
    /// unchanged file was loaded before (by this process or, with a disk cache, another)
    /// and its module is in memory or on disk.
    fn compiled_file(
        &self,
        runtime: &Runtime,
        path: &Path,
    ) -> Result<(Artifact, CacheSource), PluginError> {
        // A `stat` is enough to know the file (and never blocks, even on a FIFO); what is
        // not known is opened and checked as any module is.
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_file() {
                if let Some(found) = self
                    .shared
                    .cache
                    .get_known(&runtime.slot, &FileId::of(&meta))
                {
                    return Ok(found);
                }
            }
        }
        let (file, id) = open_module(path)?;
        let bytes = read_open_module(file, path, id)?;
        self.compiled(runtime, &bytes, path, Some(id))
    }

    /// Opens a module for calling its exports directly (`add.wat`'s `add`), with no
    /// permissions and the default limits.
    pub fn open_module(&self, path: impl AsRef<Path>) -> Result<WasmModule, PluginError> {
        let path = path.as_ref();
        let name = module_name(path);
        let dir = path.parent().unwrap_or(Path::new("."));
        let services = HostServices::new(Policy::new(&name, dir));
        self.open_module_with(path, &[], services)
    }

    /// Opens a module for calling its exports directly, under `services`' policy (its
    /// granted directories and variables, its limits), with the variables `env` set too.
    pub fn open_module_with(
        &self,
        path: impl AsRef<Path>,
        env: &[(String, String)],
        services: HostServices,
    ) -> Result<WasmModule, PluginError> {
        let path = path.as_ref();
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let compiled = core_module(self.compiled_file(&runtime, path)?.0, path)?;
        WasmModule::new(runtime, &compiled, path, services, env)
    }

    /// The imports and exports of the module file at `path` (binary or `.wat`), and what
    /// kind of module they make it, without instantiating it.
    pub fn module_info(&self, path: impl AsRef<Path>) -> Result<ModuleInfo, PluginError> {
        let path = path.as_ref();
        let runtime = self.runtime(false)?;
        let compiled = core_module(self.compiled_file(&runtime, path)?.0, path)?;
        Ok(ModuleInfo::of(&compiled.module))
    }

    /// Compiles a module from WebAssembly text and opens it for calling its exports, with
    /// no permissions and the default limits.
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
        let compiled = core_module(self.compiled(&runtime, bytes, origin, None)?.0, origin)?;
        WasmModule::new(runtime, &compiled, origin, services, &[])
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
        self.run_command_with_env(path, args, &[], services)
    }

    /// As [`run_command`](Self::run_command), with the variables `env` (names and values)
    /// set in the guest's environment too.
    pub fn run_command_with_env(
        &self,
        path: impl AsRef<Path>,
        args: &[String],
        env: &[(String, String)],
        services: HostServices,
    ) -> Result<i32, PluginError> {
        let path = path.as_ref();
        let runtime = self.runtime(services.policy().fuel.is_some())?;
        let compiled = core_module(self.compiled_file(&runtime, path)?.0, path)?;
        command::run_command(&runtime, &compiled, path, services, args, env)
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
        let (path, runtime, artifact) = self.open_plugin(manifest, &services)?;
        let pool = self.shared.instances_per_plugin;
        let plugin = manifest.manifest.clone();
        Ok(match artifact {
            Artifact::Module(compiled) => Box::new(WasmPlugin::new(
                plugin, path, runtime, &compiled, services, pool,
            )?),
            Artifact::Component(compiled) => Box::new(ComponentPlugin::new(
                plugin, &path, runtime, &compiled, services, pool,
            )?),
        })
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

/// How a missing module gets built: the samples of this repository by xtask, anyone
/// else's by their own build.
fn build_hint(path: &Path) -> &'static str {
    let parts: Vec<_> = path.components().map(|c| c.as_os_str()).collect();
    if parts
        .windows(2)
        .any(|w| w[0] == "examples" && w[1] == "plugins")
    {
        "sample plugins are built by `cargo xtask build-plugins`"
    } else {
        "build the plugin first (its build step writes the module), or fix the path"
    }
}

/// Opens a module file, refusing at once anything that is not a regular file (a FIFO or
/// device would block or never end) and anything over [`MAX_MODULE_BYTES`] (before
/// reading it). Returns it with its identity.
fn open_module(path: &Path) -> Result<(File, FileId), PluginError> {
    let shown = path.display();
    let file = files::open_regular(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => PluginError::not_found(format!(
            "cannot read wasm module `{shown}`: {e} ({})",
            build_hint(path)
        )),
        std::io::ErrorKind::InvalidInput => {
            PluginError::invalid_input(format!("wasm module `{shown}`: {e}"))
        }
        _ => PluginError::not_found(format!("cannot read wasm module `{shown}`: {e}")),
    })?;
    let meta = file.metadata().map_err(|e| read_error(path, e))?;
    if meta.len() > MAX_MODULE_BYTES {
        return Err(too_big(path, meta.len()));
    }
    Ok((file, FileId::of(&meta)))
}

/// The bytes of a module file opened by [`open_module`].
fn read_open_module(file: File, path: &Path, id: FileId) -> Result<Vec<u8>, PluginError> {
    // The file may grow while it is read: read one byte past the limit at most.
    let mut bytes = Vec::with_capacity(id.len() as usize);
    file.take(MAX_MODULE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(path, e))?;
    if bytes.len() as u64 > MAX_MODULE_BYTES {
        return Err(too_big(path, bytes.len() as u64));
    }
    Ok(bytes)
}

fn read_error(path: &Path, e: std::io::Error) -> PluginError {
    PluginError::not_found(format!("cannot read wasm module `{}`: {e}", path.display()))
}

fn too_big(path: &Path, len: u64) -> PluginError {
    PluginError::invalid_input(format!(
        "wasm module `{}` is {len} bytes, over the {MAX_MODULE_BYTES} bytes a module may have",
        path.display()
    ))
}
