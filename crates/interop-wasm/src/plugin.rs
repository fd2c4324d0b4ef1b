//! [`WasmPlugin`]: one loaded plugin, its pool of instances, and calls into it.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use interop_protocol::raw::{raw_output, to_raw, to_value, RawValue};
use interop_protocol::{HandlerCall, Handlers, Interop, Manifest, PluginError, WasmAbi};
use interop_sandbox::HostServices;
use serde_json::Value;
use wasmtime::{ExternType, InstancePre, Module, Store, TypedFunc};

use crate::abi::core_abi;
use crate::cache::Compiled;
use crate::engine::Runtime;
use crate::extism::{self, Vars};
use crate::failure::first_line;
use crate::instance::{enter, instantiate, prepare};
use crate::pool::{checked_input, encode_input, Pool};
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
    wasi: Arc<WasiTemplate>,
    handlers: Vec<String>,
    /// Extism plugins' vars, kept across calls and shared by the instances.
    extism_vars: Option<Vars>,
}

struct Live {
    store: Store<State>,
    funcs: HashMap<String, Entry>,
}

/// A handler export, typed by the plugin's ABI.
#[derive(Clone)]
enum Entry {
    /// interop's ABI: `() -> ()`, output through `ft_output`.
    Interop(TypedFunc<(), ()>),
    /// Extism's: `() -> i32`, 0 for success, output through `output_set`.
    Extism(TypedFunc<(), i32>),
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
        let declared = match &manifest.interop {
            Interop::Wasm(wasm) => wasm.wasm_abi,
            _ => None,
        };
        let abi = core_abi(declared, module);
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
        let doc = match abi {
            WasmAbi::Extism => "docs/extism.md",
            _ => "docs/abi.md",
        };
        for (what, handler) in &handlers {
            check_handler(module, handler, abi).map_err(|why| {
                PluginError::not_found(format!("{what}: `{}` {why} (see {doc})", path.display()))
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
            wasi: Arc::new(WasiTemplate::new(services.policy())),
            services,
            handlers: names,
            extism_vars: (abi == WasmAbi::Extism).then(Vars::default),
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
        // An Extism plugin reads its input as bytes: a JSON string arrives as its text.
        match self.inner.extism_vars {
            Some(_) => {
                let input = checked_input(what, extism::input_bytes(input), policy)?;
                self.run(what, handler, input, |state, status| {
                    extism_result(state, status, what)
                })
            }
            None => {
                let input = encode_input(what, input, policy)?;
                self.run(what, handler, input, |state, _| match state.output.take() {
                    None => Ok(Value::Null),
                    Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                        PluginError::parse(format!(
                            "{}: ft_output was given invalid JSON ({e}): {}",
                            what(),
                            bounded(&bytes[..bytes.len().min(200)], bytes.len())
                        ))
                    }),
                })
            }
        }
    }

    /// Runs the export `handler` with JSON text in and out: the text is copied into the
    /// guest as it is, and what the guest output is checked to be one JSON value.
    fn call_raw(
        &self,
        call: &HandlerCall<'_>,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        let what = || call.to_string();
        if self.inner.extism_vars.is_some() {
            // Extism plugins take text or bytes, not JSON: the conversions of `call`.
            let input = to_value(input, call)?;
            return to_raw(&self.call(&what, call.handler, &input)?);
        }
        let policy = self.inner.services.policy();
        let input = checked_input(&what, input.get().as_bytes().to_vec(), policy)?;
        self.run(&what, call.handler, input, |state, _| {
            match state.output.take() {
                None => to_raw(&Value::Null),
                Some(bytes) => raw_output(bytes)
                    .map_err(|e| PluginError::parse(format!("{call}: ft_output: {}", e.message))),
            }
        })
    }

    /// Runs the export `handler` on an instance of the pool with `input` (the bytes the
    /// guest reads), then `read` takes the reply out of the instance's state (given the
    /// export's status: Extism's, or 0).
    fn run<T>(
        &self,
        what: &dyn Fn() -> String,
        handler: &str,
        input: Vec<u8>,
        read: impl FnOnce(&mut State, i32) -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        let policy = self.inner.services.policy();
        let mut live = self
            .pool
            .lease(what, &self.manifest, policy, || self.inner.instantiate())?;
        let func = live.funcs.get(handler).cloned().ok_or_else(|| {
            PluginError::internal(format!("{}: handler `{handler}` was not resolved", what()))
                .in_plugin(&policy.plugin)
        })?;
        let state = live.store.data_mut();
        if let Entry::Extism(_) = func {
            if let Err(fault) = state.extism.begin_call(&input) {
                let err = PluginError::limit("memory", format!("{}: {fault}", what()));
                return Err(err.in_plugin(&policy.plugin));
            }
        }
        state.begin_call(input);
        let status = enter(&mut live.store, what, |store| match &func {
            Entry::Interop(func) => func.call(store, ()).map(|()| 0),
            Entry::Extism(func) => func.call(store, ()),
        });
        let status = match status {
            Ok(status) => status,
            Err(err) => {
                // The caller gets the error; the log says what the host did about it (info, so that
                // a one-shot caller such as the CLI does not print the cause twice).
                tracing::info!(target: "interop::wasm", plugin = %policy.plugin, "{err}; the instance is discarded");
                live.discard();
                return Err(err);
            }
        };
        let state = live.store.data_mut();
        if let (Entry::Interop(_), Some(message)) = (&func, state.error.take()) {
            return Err(PluginError::exec(message).in_plugin(&policy.plugin));
        }
        // ft_output refused anything over the message limit before copying it.
        read(state, status).map_err(|e| e.in_plugin(&policy.plugin))
    }
}

/// The result of an Extism export that returned `status`: its output, or the error it set
/// (or its status, when it set none). What the call allocated is then let go, not kept
/// while the instance waits for its next call.
fn extism_result(
    state: &mut State,
    status: i32,
    what: &dyn Fn() -> String,
) -> Result<Value, PluginError> {
    let result = if status != 0 {
        let message = state.extism.error().unwrap_or_default();
        Err(PluginError::exec(format!(
            "{} returned status {status}: {}",
            what(),
            bounded(message.as_bytes(), message.len())
        )))
    } else {
        let output = state.extism.output();
        extism::output_value(&output).ok_or_else(|| {
            PluginError::parse(format!(
                "{}: the output is neither JSON nor UTF-8 text: {}",
                what(),
                bounded(&output[..output.len().min(200)], output.len())
            ))
        })
    };
    state.extism.memory.reset();
    result
}

impl Inner {
    fn instantiate(&self) -> Result<Live, PluginError> {
        let (mut store, instance) =
            instantiate(&self.runtime, &self.pre, &self.services, &self.wasi)?;
        if let Some(vars) = &self.extism_vars {
            store.data_mut().extism.vars = vars.clone();
        }
        let mut funcs = HashMap::with_capacity(self.handlers.len());
        let failed = |e: wasmtime::Error| {
            PluginError::internal(first_line(&e)).in_plugin(self.services.plugin())
        };
        for handler in &self.handlers {
            let entry = if self.extism_vars.is_some() {
                Entry::Extism(
                    instance
                        .get_typed_func(&mut store, handler)
                        .map_err(failed)?,
                )
            } else {
                Entry::Interop(
                    instance
                        .get_typed_func(&mut store, handler)
                        .map_err(failed)?,
                )
            };
            funcs.insert(handler.clone(), entry);
        }
        Ok(Live { store, funcs })
    }
}

/// Checks that the module exports `name` as a handler of `abi`: a function with no
/// parameters that returns nothing (interop) or an `i32` status (Extism).
fn check_handler(module: &Module, name: &str, abi: WasmAbi) -> Result<(), String> {
    let extism = abi == WasmAbi::Extism;
    match module.get_export(name) {
        Some(ExternType::Func(ty))
            if ty.params().len() == 0
                && match ty.results().collect::<Vec<_>>().as_slice() {
                    [] => !extism,
                    [result] => extism && result.is_i32(),
                    _ => false,
                } =>
        {
            Ok(())
        }
        Some(ExternType::Func(ty)) if extism => Err(format!(
            "exports `{name}` as a function {ty}, but Extism functions take no parameters and return an i32 status"
        )),
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

    fn call_handler_raw(
        &self,
        call: &HandlerCall<'_>,
        input: &RawValue,
    ) -> Result<Box<RawValue>, PluginError> {
        self.call_raw(call, input)
    }

    fn release(&self) -> Result<(), PluginError> {
        self.pool.close();
        Ok(())
    }

    fn parallel_calls(&self) -> Option<usize> {
        Some(self.pool.size())
    }
}
