//! Instantiation: a store for one instance with its limits set (memory limiter, epoch
//! deadline, fuel), the instance made in it, and its `_initialize` run.

use interop_protocol::PluginError;
use interop_sandbox::HostServices;
use wasmtime::{Instance, InstancePre, Store};

use crate::engine::{deadline_ticks, Runtime};
use crate::failure::{classify, first_line, Failure};
use crate::state::State;
use crate::wasi;

/// A store for `services`' plugin with its limits set, and the instance of `pre` in it
/// (its `_initialize` run, its `memory` noted).
pub(crate) fn instantiate(
    runtime: &Runtime,
    pre: &InstancePre<State>,
    services: &HostServices,
) -> Result<(Store<State>, Instance), PluginError> {
    let (ctx, stdio) = wasi::plugin_ctx(services);
    instantiate_with(runtime, pre, State::new(ctx, services.clone(), stdio))
}

pub(crate) fn instantiate_with(
    runtime: &Runtime,
    pre: &InstancePre<State>,
    state: State,
) -> Result<(Store<State>, Instance), PluginError> {
    let policy = state.services.policy().clone();
    let mut store = Store::new(&runtime.slot.engine, state);
    store.limiter(|s| &mut s.limits);
    store.epoch_deadline_trap();
    store.set_epoch_deadline(deadline_ticks(policy.timeout));
    if runtime.metered() {
        store
            .set_fuel(policy.fuel.unwrap_or(u64::MAX))
            .map_err(|e| PluginError::internal(first_line(&e)))?;
    }
    let failure = |e: wasmtime::Error, store: &Store<State>, what: &str| {
        classify(
            &e,
            &Failure {
                plugin: &policy.plugin,
                what,
                timeout: policy.timeout,
                memory_bytes: policy.memory_bytes,
                fuel: policy.fuel,
                refused_memory: store.data().limits.refused,
            },
        )
    };
    let instance = match pre.instantiate(&mut store) {
        Ok(instance) => instance,
        Err(e) => return Err(failure(e, &store, "instantiation")),
    };
    let memory = instance.get_memory(&mut store, "memory");
    store.data_mut().memory = memory;
    if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
        let result = init.call(&mut store, ());
        store.data().stdio.flush();
        if let Err(e) = result {
            return Err(failure(e, &store, "`_initialize`"));
        }
    }
    Ok((store, instance))
}
