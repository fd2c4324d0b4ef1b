//! WASI commands: a module's `_start` run with arguments and the process's stdio
//! ([`crate::WasmBackend::run_command`], behind `interop run`).

use std::path::Path;
use std::sync::Arc;

use interop_protocol::PluginError;
use interop_sandbox::HostServices;
use wasmtime::ExternType;
use wasmtime_wasi::I32Exit;

use crate::cache::Compiled;
use crate::engine::Runtime;
use crate::failure::first_line;
use crate::instance::{enter, instantiate_with, prepare};
use crate::state::State;
use crate::stdio::CapturedOutput;
use crate::wasi::{self, WasiTemplate};

/// Runs a WASI command module's `_start` (read from `origin`); see
/// [`crate::WasmBackend::run_command`].
pub(crate) fn run_command(
    runtime: &Runtime,
    compiled: &Compiled,
    origin: &Path,
    services: HostServices,
    args: &[String],
    env: &[(String, String)],
) -> Result<i32, PluginError> {
    let plugin = services.plugin().to_owned();
    if !matches!(
        compiled.module.get_export("_start"),
        Some(ExternType::Func(_))
    ) {
        return Err(PluginError::not_found(
            "the module exports no `_start`: it is not a WASI command (plugins are called with `interop call`)",
        )
        .in_plugin(plugin));
    }
    let pre = prepare(runtime, compiled, origin, services.policy())?;
    let services = services.for_instance();
    let template = Arc::new(WasiTemplate::new(services.policy()).with_env(env));
    let ctx = wasi::command_ctx(&template, &services, args);
    let stdio = CapturedOutput::new(services.clone());
    let state = State::with_wasi(ctx, template, services, stdio);
    let (mut store, instance) = instantiate_with(runtime, &pre, state)?;
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .map_err(|e| PluginError::invalid_input(first_line(&e)).in_plugin(&plugin))?;
    // An exit is the command's answer, not a failure.
    enter(&mut store, &|| "`_start`".into(), |store| {
        match start.call(store, ()) {
            Ok(()) => Ok(0),
            Err(e) => match e.downcast_ref::<I32Exit>() {
                Some(exit) => Ok(exit.0),
                None => Err(e),
            },
        }
    })
}
