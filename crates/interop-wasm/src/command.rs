//! WASI commands: a module's `_start` run with arguments and the process's stdio
//! ([`crate::WasmBackend::run_command`], behind `interop run`).

use std::sync::Arc;

use interop_protocol::PluginError;
use interop_sandbox::HostServices;
use wasmtime::{ExternType, Module};
use wasmtime_wasi::I32Exit;

use crate::engine::Runtime;
use crate::failure::{classify, first_line, Failure};
use crate::instance::instantiate_with;
use crate::state::State;
use crate::wasi::{self, CapturedOutput};

/// Runs a WASI command module's `_start`; see [`crate::WasmBackend::run_command`].
pub(crate) fn run_command(
    runtime: Arc<Runtime>,
    module: &Module,
    services: HostServices,
    args: &[String],
) -> Result<i32, PluginError> {
    let plugin = services.plugin().to_owned();
    if !matches!(module.get_export("_start"), Some(ExternType::Func(_))) {
        return Err(PluginError::not_found(
            "the module exports no `_start`: it is not a WASI command (plugins are called with `interop call`)",
        )
        .in_plugin(plugin));
    }
    let pre = runtime.linker.instantiate_pre(module).map_err(|e| {
        PluginError::invalid_input(format!("module cannot be linked: {}", first_line(&e)))
            .in_plugin(&plugin)
    })?;
    let ctx = wasi::command_ctx(&services, args);
    let state = State::new(ctx, services.clone(), CapturedOutput::new(services.clone()));
    let (mut store, instance) = instantiate_with(&runtime, &pre, state)?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|e| PluginError::invalid_input(first_line(&e)).in_plugin(&plugin))?;
    let policy = services.policy();
    match start.call(&mut store, ()) {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(classify(
                &e,
                &Failure {
                    plugin: &plugin,
                    what: "`_start`",
                    timeout: policy.timeout,
                    memory_bytes: policy.memory_bytes,
                    fuel: policy.fuel,
                    refused_memory: store.data().limits.refused,
                },
            )),
        },
    }
}
