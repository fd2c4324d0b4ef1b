//! Instantiation and every entry into a guest.
//!
//! [`prepare`] checks a module against the limits that do not depend on running it and
//! links it (once per module and engine: the cache keeps the [`InstancePre`]); [`instantiate`] makes a store for one instance (its own host services, so
//! that its calls have their own deadline, and its limiter), the instance, and runs its
//! `_initialize`. Every entry into the guest, those two included, goes through [`enter`],
//! which sets the call's deadline and fuel and reports a failure as the host's error.

use std::path::Path;
use std::sync::Arc;

use interop_protocol::PluginError;
use interop_sandbox::{HostServices, Policy};
use wasmtime::{Instance, InstancePre, Store};

use crate::cache::Compiled;
use crate::engine::{deadline_ticks, Runtime};
use crate::failure::{classify, first_line};
use crate::limits;
use crate::state::{Guarded, State};
use crate::wasi::WasiTemplate;

/// Checks that `module` (read from `origin`) stays within what one instance may define,
/// and links it against the host API and WASI.
pub(crate) fn prepare(
    runtime: &Runtime,
    compiled: &Compiled,
    origin: &Path,
    policy: &Policy,
) -> Result<InstancePre<State>, PluginError> {
    limits::check_counts(&compiled.module, policy.memory_bytes).map_err(|why| {
        PluginError::limit("memory", format!("`{}` {why}", origin.display()))
            .in_plugin(&policy.plugin)
    })?;
    match compiled.linked(&runtime.linker) {
        Ok(pre) => Ok(pre.clone()),
        Err(why) => Err(PluginError::invalid_input(format!(
            "`{}` cannot be linked: {why} (the imports a module may use are in docs/abi.md)",
            origin.display(),
        ))
        .in_plugin(&policy.plugin)),
    }
}

/// A store for `services`' plugin with its limits set and its WASI context to be made
/// from `wasi` (when the guest first calls WASI), and the instance of `pre` in it (its
/// `_initialize` run, its `memory` noted).
pub(crate) fn instantiate(
    runtime: &Runtime,
    pre: &InstancePre<State>,
    services: &HostServices,
    wasi: &Arc<WasiTemplate>,
) -> Result<(Store<State>, Instance), PluginError> {
    let state = State::new(wasi.clone(), services.for_instance());
    instantiate_with(runtime, pre, state)
}

/// As [`instantiate`], with the store's state given (its services made for this instance).
pub(crate) fn instantiate_with(
    runtime: &Runtime,
    pre: &InstancePre<State>,
    state: State,
) -> Result<(Store<State>, Instance), PluginError> {
    let mut store = Store::new(&runtime.slot.engine, state);
    store.limiter(|s| &mut s.limits);
    store.epoch_deadline_trap();
    // The start function, if any, runs here.
    let instance = enter(&mut store, &|| "instantiation".into(), |store| {
        pre.instantiate(store)
    })?;
    let memory = instance.get_memory(&mut store, "memory");
    store.data_mut().memory = memory;
    // `get_func` first: `get_typed_func` of a missing export formats an error, a cost
    // every instantiation of a module without `_initialize` would pay.
    let init = instance.get_func(&mut store, "_initialize");
    if let Some(Ok(init)) = init.map(|f| f.typed::<(), ()>(&store)) {
        enter(&mut store, &|| "`_initialize`".into(), |store| {
            init.call(store, ())
        })?;
    }
    Ok((store, instance))
}

/// Runs `f`, one entry into the guest named by `what`, within the policy's limits: the
/// call's deadline is set for the host services (sleeps, fetches, `poll_oneoff`) and the
/// epoch, fuel is refilled, and the limiter's record of refusals cleared. Afterwards the
/// deadline is cleared and captured output flushed; a failure comes back as the error
/// the host sees ([`classify`]).
pub(crate) fn enter<T: Guarded, R>(
    store: &mut Store<T>,
    what: &dyn Fn() -> String,
    f: impl FnOnce(&mut Store<T>) -> wasmtime::Result<R>,
) -> Result<R, PluginError> {
    let state = store.data_mut();
    state.limits().refused = None;
    let policy = state.services().policy();
    let (timeout, fuel) = (policy.timeout, policy.fuel);
    if let Some(fuel) = fuel {
        store
            .set_fuel(fuel)
            .map_err(|e| PluginError::internal(first_line(&e)))?;
    }
    store.data().services().start_call();
    store.set_epoch_deadline(deadline_ticks(timeout));
    let result = f(store);
    let state = store.data();
    state.services().set_deadline(None);
    if let Some(stdio) = state.stdio() {
        stdio.flush();
    }
    result.map_err(|e| classify(&e, &what(), state.services().policy(), state.refused()))
}
