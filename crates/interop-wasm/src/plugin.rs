//! [`WasmPlugin`]: one loaded plugin, its pool of instances, and calls into it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use interop_protocol::{HandlerCall, Handlers, Manifest, PluginError};
use interop_sandbox::HostServices;
use serde_json::Value;
use wasmtime::{ExternType, InstancePre, Module, Store, TypedFunc};

use crate::cache::Compiled;
use crate::engine::Runtime;
use crate::failure::first_line;
use crate::instance::{enter, instantiate, prepare};
use crate::pool::{encode_input, Pool};
use crate::state::State;
use crate::text::{bounded, bounded_list};
use crate::wasi::WasiTemplate;

/// A `protocol: "wasm"` plugin loaded into wasmtime.
///
/// The module is compiled once (through the cache) and linked once per engine (an
/// [`InstancePre`] the cache keeps). The plugin has a pool of instances, each with its own
/// store, memory, globals and WASI context, so that calls from several threads run in
/// parallel: a call takes an idle instance, or makes a new one while fewer than the pool's
/// size exist ([`crate::WasmBackendBuilder::instances_per_plugin`]), or waits up to the
/// plugin's time limit for one to come back. The first instance is made at load (so that
/// a module failing to start fails the load); the others when calls overlap.
///
/// What a plugin keeps in its globals or memory between calls is therefore per instance:
/// two calls may run on different instances and a call does not see what another instance
/// wrote. Keep state the plugin needs across calls in the host (a provider's `state`, the
/// host API's `config`/`fs`), not in the guest. A call that traps or hits a limit discards
/// its instance; a later call gets a fresh one, so a plugin that failed once keeps working
/// and the other instances are not disturbed. The memory limit holds per instance: a
/// plugin may hold up to its limit times its pool size.
pub struct WasmPlugin {
    manifest: Manifest,
    inner: Arc<Inner>,
    pool: Pool<Live>,
}

struct Inner {
    runtime: Arc<Runtime>,
    pre: InstancePre<State>,
    services: HostServices,
    wasi: WasiTemplate,
    handlers: Vec<String>,
}

struct Live {
    store: Store<State>,
    funcs: HashMap<String, TypedFunc<(), ()>>,
}

impl std::fmt::Debug for WasmPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPlugin")
            .field("name", &self.manifest.name)
            .field("handlers", &self.inner.handlers)
            .field("instances", &self.pool.live())
            .field("pool_size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl WasmPlugin {
    pub(crate) fn new(
        manifest: Manifest,
        path: PathBuf,
        runtime: Arc<Runtime>,
        compiled: &Compiled,
        services: HostServices,
        pool_size: usize,
    ) -> Result<Self, PluginError> {
        let module = &compiled.module;
        let name = manifest.name.clone();
        let mut handlers: Vec<(String, String)> = Vec::new();
        for a in &manifest.actions {
            handlers.push((format!("action `{}`", a.name), a.handler().to_owned()));
        }
        for p in &manifest.providers {
            handlers.push((format!("provider `{}`", p.name), p.handler().to_owned()));
        }
        for h in &manifest.hooks {
            handlers.push((format!("hook `{}`", h.event), h.handler.clone()));
        }
        for (what, handler) in &handlers {
            check_handler(module, handler).map_err(|why| {
                PluginError::not_found(format!(
                    "{what}: `{}` {why} (see docs/abi.md)",
                    path.display()
                ))
                .in_plugin(&name)
            })?;
        }
        let pre = prepare(&runtime, compiled, &path, services.policy())?;
        let mut names: Vec<String> = handlers.into_iter().map(|(_, h)| h).collect();
        names.sort();
        names.dedup();
        let inner = Arc::new(Inner {
            runtime,
            pre,
            wasi: WasiTemplate::new(services.policy()),
            services,
            handlers: names,
        });
        let live = inner.instantiate()?;
        Ok(WasmPlugin {
            manifest,
            inner,
            pool: Pool::new(pool_size, live),
        })
    }

    /// Most instances this plugin runs calls on at once.
    pub fn pool_size(&self) -> usize {
        self.pool.size()
    }

    /// Instances that exist now (idle or in a call).
    pub fn instances(&self) -> usize {
        self.pool.live()
    }

    /// The host services (policy, audit trail) this plugin runs with.
    pub fn services(&self) -> &HostServices {
        &self.inner.services
    }

    /// Runs the export `handler` with `input` and returns what it output (JSON).
    fn call(
        &self,
        what: &dyn Fn() -> String,
        handler: &str,
        input: &Value,
    ) -> Result<Value, PluginError> {
        let policy = self.inner.services.policy();
        let input = encode_input(what, input, policy)?;
        let mut live = self
            .pool
            .lease(what, &self.manifest, policy, || self.inner.instantiate())?;
        let func = live.funcs.get(handler).cloned().ok_or_else(|| {
            PluginError::internal(format!("{}: handler `{handler}` was not resolved", what()))
                .in_plugin(&policy.plugin)
        })?;
        live.store.data_mut().begin_call(input);
        if let Err(err) = enter(&mut live.store, what, |store| func.call(store, ())) {
            tracing::warn!(target: "interop::wasm", plugin = %policy.plugin, "{err}; the instance is discarded");
            live.discard();
            return Err(err);
        }
        let state = live.store.data_mut();
        if let Some(message) = state.error.take() {
            return Err(PluginError::exec(message).in_plugin(&policy.plugin));
        }
        // ft_output refused anything over the message limit before copying it.
        match state.output.take() {
            None => Ok(Value::Null),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                PluginError::parse(format!(
                    "{}: ft_output was given invalid JSON ({e}): {}",
                    what(),
                    bounded(&bytes[..bytes.len().min(200)], bytes.len())
                ))
                .in_plugin(&policy.plugin)
            }),
        }
    }
}

impl Inner {
    fn instantiate(&self) -> Result<Live, PluginError> {
        let (mut store, instance) =
            instantiate(&self.runtime, &self.pre, &self.services, &self.wasi)?;
        let mut funcs = HashMap::with_capacity(self.handlers.len());
        for handler in &self.handlers {
            let func = instance
                .get_typed_func::<(), ()>(&mut store, handler)
                .map_err(|e| {
                    PluginError::internal(first_line(&e)).in_plugin(self.services.plugin())
                })?;
            funcs.insert(handler.clone(), func);
        }
        Ok(Live { store, funcs })
    }
}

/// Checks that the module exports `name` as a function with no parameters and no results.
fn check_handler(module: &Module, name: &str) -> Result<(), String> {
    match module.get_export(name) {
        Some(ExternType::Func(ty)) if ty.params().len() == 0 && ty.results().len() == 0 => Ok(()),
        Some(ExternType::Func(ty)) => Err(format!(
            "exports `{name}` as a function {ty}, but handlers take no parameters and return nothing"
        )),
        Some(_) => Err(format!("exports `{name}`, but not as a function")),
        None => {
            let funcs = module
                .exports()
                .filter(|e| matches!(e.ty(), ExternType::Func(_)))
                .map(|e| e.name())
                .filter(|n| !n.starts_with('_'));
            Err(format!(
                "exports no function `{name}` (it exports: {})",
                bounded_list(funcs)
            ))
        }
    }
}

/// The dispatch of `interop_protocol::dispatch` makes this a `Plugin`: it looks up
/// actions and providers, builds each handler's input and reads replies into results.
impl Handlers for WasmPlugin {
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
