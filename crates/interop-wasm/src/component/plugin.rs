//! [`ComponentPlugin`]: one loaded component plugin, its pool of instances, and calls
//! into it.

use std::path::Path;
use std::sync::Arc;

use interop_protocol::{HandlerCall, Handlers, Manifest, PluginError};
use interop_sandbox::HostServices;
use serde_json::Value;
use wasmtime::Store;

use crate::cache::CompiledComponent;
use crate::component::host::{from_wit, linker, Plugin, PluginPre};
use crate::component::state::ComponentState;
use crate::engine::Runtime;
use crate::instance::enter;
use crate::pool::{encode_input, Pool};
use crate::text::bounded;
use crate::wasi::WasiTemplate;

/// A `protocol: "wasm"` plugin whose binary is a WebAssembly component of the
/// `interop:plugin` WIT world (`docs/components.md`).
///
/// It runs like a core-module [`WasmPlugin`](crate::WasmPlugin): compiled once through
/// the same cache, linked once per engine, a pool of instances each with its own store
/// under the plugin's memory limit (counted over all the core instances the component is
/// made of), each call under the plugin's time limit (and fuel, if asked for), and every
/// host call through the plugin's [`HostServices`]. The host calls the world's `handle`
/// export with the handler's name and its input as JSON, for actions, providers and hooks
/// alike (through the one dispatch path, `interop_protocol::dispatch`). A call that traps
/// or hits a limit discards its instance.
pub struct ComponentPlugin {
    manifest: Manifest,
    inner: Arc<Inner>,
    pool: Pool<Live>,
}

struct Inner {
    runtime: Arc<Runtime>,
    pre: PluginPre<ComponentState>,
    services: HostServices,
    wasi: WasiTemplate,
}

struct Live {
    store: Store<ComponentState>,
    plugin: Plugin,
}

impl std::fmt::Debug for ComponentPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentPlugin")
            .field("name", &self.manifest.name)
            .field("instances", &self.pool.live())
            .field("pool_size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl ComponentPlugin {
    pub(crate) fn new(
        manifest: Manifest,
        path: &Path,
        runtime: Arc<Runtime>,
        compiled: &CompiledComponent,
        services: HostServices,
        pool_size: usize,
    ) -> Result<Self, PluginError> {
        let name = manifest.name.clone();
        let linker = runtime
            .components
            .get_or_init(|| linker(&runtime.slot.engine).map_err(|e| format!("{e:#}")))
            .as_ref()
            .map_err(|e| {
                PluginError::internal(format!("cannot link WASI 0.2 and the interop world: {e}"))
            })?;
        let pre = compiled.linked(linker).map_err(|why| {
            PluginError::invalid_input(format!(
                "`{}` cannot be linked: {why} (a component plugin targets the \
                 `interop:plugin/plugin` world of wit/plugin.wit and WASI 0.2, see \
                 docs/components.md)",
                path.display()
            ))
            .in_plugin(&name)
        })?;
        let pre = PluginPre::new(pre.clone()).map_err(|e| {
            PluginError::invalid_input(format!(
                "`{}` is not an `interop:plugin/plugin` component: {e:#}",
                path.display()
            ))
            .in_plugin(&name)
        })?;
        let inner = Arc::new(Inner {
            runtime,
            pre,
            wasi: WasiTemplate::new(services.policy()),
            services,
        });
        let live = inner.instantiate()?;
        Ok(ComponentPlugin {
            manifest,
            inner,
            pool: Pool::new(pool_size, live),
        })
    }

    /// Most instances this plugin runs calls on at once.
    pub fn pool_size(&self) -> usize {
        self.pool.size()
    }

    /// The host services (policy, audit trail) this plugin runs with.
    pub fn services(&self) -> &HostServices {
        &self.inner.services
    }

    /// Runs the handler `handler` with `input` and returns its output (JSON).
    fn call(
        &self,
        what: &dyn Fn() -> String,
        handler: &str,
        input: &Value,
    ) -> Result<Value, PluginError> {
        let policy = self.inner.services.policy();
        let input = String::from_utf8(encode_input(what, input, policy)?)
            .map_err(|e| PluginError::internal(e.to_string()))?;
        let mut live = self
            .pool
            .lease(what, &self.manifest, policy, || self.inner.instantiate())?;
        let Live { store, plugin } = &mut *live;
        let called = enter(store, what, |store| {
            plugin.call_handle(store, handler, &input)
        });
        let output = match called {
            Ok(Ok(output)) => output,
            Ok(Err(failure)) => return Err(from_wit(failure).in_plugin(&policy.plugin)),
            Err(err) => {
                // The caller gets the error; the log says what the host did about it (info, so that
                // a one-shot caller such as the CLI does not print the cause twice).
                tracing::info!(target: "interop::wasm", plugin = %policy.plugin, "{err}; the instance is discarded");
                live.discard();
                return Err(err);
            }
        };
        if output.len() as u64 > policy.max_message_bytes {
            return Err(PluginError::limit(
                "message_size",
                format!(
                    "{}: output of {} bytes is over the {}-byte message limit",
                    what(),
                    output.len(),
                    policy.max_message_bytes
                ),
            )
            .in_plugin(&policy.plugin));
        }
        serde_json::from_str(&output).map_err(|e| {
            let shown = &output.as_bytes()[..output.len().min(200)];
            PluginError::parse(format!(
                "{}: `handle` returned invalid JSON ({e}): {}",
                what(),
                bounded(shown, output.len())
            ))
            .in_plugin(&policy.plugin)
        })
    }
}

impl Inner {
    /// A store with its limits and WASI context, and the component instantiated in it.
    fn instantiate(&self) -> Result<Live, PluginError> {
        let services = self.services.for_instance();
        let (ctx, stdio) = self.wasi.component_ctx(&services);
        let mut store = Store::new(
            &self.runtime.slot.engine,
            ComponentState::new(ctx, services, stdio),
        );
        store.limiter(|s| &mut s.limits);
        store.epoch_deadline_trap();
        let plugin = enter(&mut store, &|| "instantiation".into(), |store| {
            self.pre.instantiate(store)
        })?;
        Ok(Live { store, plugin })
    }
}

/// The dispatch of `interop_protocol::dispatch` makes this a `Plugin`, as for core
/// modules.
impl Handlers for ComponentPlugin {
    fn declared(&self) -> &Manifest {
        &self.manifest
    }

    fn call_handler(&self, call: &HandlerCall<'_>) -> Result<Value, PluginError> {
        self.call(&|| call.to_string(), call.handler, call.input)
    }

    fn release(&self) -> Result<(), PluginError> {
        self.pool.close();
        Ok(())
    }

    fn parallel_calls(&self) -> Option<usize> {
        Some(self.pool.size())
    }
}
