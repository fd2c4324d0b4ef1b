//! Direct use of a module's exports ([`WasmModule`]: `add` of `examples/plugins/wat-add`
//! called with 2 and 3).

use std::path::Path;
use std::sync::{Arc, Mutex};

use interop_protocol::PluginError;
use interop_sandbox::HostServices;
use wasmtime::{ExternType, Instance, Store, Val, ValType};

use crate::cache::Compiled;
use crate::engine::Runtime;
use crate::instance::{enter, instantiate, prepare};
use crate::state::State;
use crate::text::bounded_list;
use crate::wasi::WasiTemplate;

/// A number passed to or returned by an export.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WasmValue {
    /// `i32`.
    I32(i32),
    /// `i64`.
    I64(i64),
    /// `f32`.
    F32(f32),
    /// `f64`.
    F64(f64),
}

impl WasmValue {
    /// The value as an integer, if it is one.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            WasmValue::I32(v) => Some(i64::from(v)),
            WasmValue::I64(v) => Some(v),
            _ => None,
        }
    }
}

impl std::fmt::Display for WasmValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WasmValue::I32(v) => write!(f, "{v}"),
            WasmValue::I64(v) => write!(f, "{v}"),
            WasmValue::F32(v) => write!(f, "{v}"),
            WasmValue::F64(v) => write!(f, "{v}"),
        }
    }
}

/// An instantiated module whose exported functions are called with numbers.
///
/// It runs with the policy it was opened with (by default nothing granted, 64 MiB,
/// 10 s per call). A call that traps or hits a limit discards the instance and the next
/// call gets a fresh one.
pub struct WasmModule {
    runtime: Arc<Runtime>,
    pre: wasmtime::InstancePre<State>,
    services: HostServices,
    wasi: Arc<WasiTemplate>,
    live: Mutex<Option<(Store<State>, Instance)>>,
}

impl std::fmt::Debug for WasmModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmModule")
            .field("name", &self.services.plugin())
            .finish_non_exhaustive()
    }
}

impl WasmModule {
    pub(crate) fn new(
        runtime: Arc<Runtime>,
        compiled: &Compiled,
        origin: &Path,
        services: HostServices,
        env: &[(String, String)],
    ) -> Result<Self, PluginError> {
        let pre = prepare(&runtime, compiled, origin, services.policy())?;
        let wasi = Arc::new(WasiTemplate::new(services.policy()).with_env(env));
        let live = instantiate(&runtime, &pre, &services, &wasi)?;
        Ok(WasmModule {
            runtime,
            pre,
            services,
            wasi,
            live: Mutex::new(Some(live)),
        })
    }

    /// Replaces the instance by a fresh one: memory and globals back to their initial
    /// values, `_initialize` run again.
    pub fn reset(&self) -> Result<(), PluginError> {
        let fresh = instantiate(&self.runtime, &self.pre, &self.services, &self.wasi)?;
        *self.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(fresh);
        Ok(())
    }

    /// The exported functions, with their signatures (`add: (i32, i32) -> i32`).
    pub fn exports(&self) -> Vec<String> {
        self.pre
            .module()
            .exports()
            .filter_map(|e| match e.ty() {
                ExternType::Func(ty) => Some(format!("{}: {ty}", e.name())),
                _ => None,
            })
            .collect()
    }

    /// Calls the export `name` with integer arguments, converted to its parameter types
    /// (`call_export("add", &[2, 3])` returns `[I32(5)]`).
    pub fn call_export(&self, name: &str, args: &[i64]) -> Result<Vec<WasmValue>, PluginError> {
        let text: Vec<String> = args.iter().map(i64::to_string).collect();
        self.call_export_text(name, &text)
    }

    /// Calls the export `name` with arguments written as text (`"2"`, `"1.5"`), parsed
    /// according to its parameter types.
    pub fn call_export_text(
        &self,
        name: &str,
        args: &[impl AsRef<str>],
    ) -> Result<Vec<WasmValue>, PluginError> {
        let plugin = self.services.plugin();
        let err = |m: String| PluginError::invalid_input(m).in_plugin(plugin);
        let ty = match self.pre.module().get_export(name) {
            Some(ExternType::Func(ty)) => ty,
            _ => {
                return Err(PluginError::not_found(format!(
                    "the module exports no function `{name}` (it exports: {})",
                    bounded_list(self.exports().iter().map(String::as_str))
                ))
                .in_plugin(plugin))
            }
        };
        let params: Vec<ValType> = ty.params().collect();
        if params.len() != args.len() {
            return Err(err(format!(
                "`{name}` is {ty}: it takes {} arguments, {} given",
                params.len(),
                args.len()
            )));
        }
        let mut values = Vec::with_capacity(args.len());
        for (i, (param, arg)) in params.iter().zip(args).enumerate() {
            let arg = arg.as_ref().trim();
            let bad = |e: &dyn std::fmt::Display| {
                err(format!(
                    "`{name}` argument {}: `{arg}` is not an {param}: {e}",
                    i + 1
                ))
            };
            values.push(match param {
                ValType::I32 => Val::I32(parse_i32(arg).map_err(|e| bad(&e))?),
                ValType::I64 => Val::I64(arg.parse().map_err(|e| bad(&e))?),
                ValType::F32 => Val::F32(arg.parse::<f32>().map_err(|e| bad(&e))?.to_bits()),
                ValType::F64 => Val::F64(arg.parse::<f64>().map_err(|e| bad(&e))?.to_bits()),
                other => {
                    return Err(err(format!(
                        "`{name}` takes a {other}, which cannot be passed from text"
                    )))
                }
            });
        }
        let mut results = vec![Val::I32(0); ty.results().len()];
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.is_none() {
            *live = Some(instantiate(
                &self.runtime,
                &self.pre,
                &self.services,
                &self.wasi,
            )?);
        }
        let Some((store, instance)) = live.as_mut() else {
            return Err(PluginError::internal("no instance").in_plugin(plugin));
        };
        let func = instance
            .get_func(&mut *store, name)
            .ok_or_else(|| PluginError::internal(format!("export `{name}` vanished")))?;
        store.data_mut().begin_call(Vec::new());
        let called = enter(store, &|| format!("export `{name}`"), |store| {
            func.call(store, &values, &mut results)
        });
        if let Err(error) = called {
            *live = None;
            return Err(error);
        }
        results
            .into_iter()
            .map(|v| match v {
                Val::I32(v) => Ok(WasmValue::I32(v)),
                Val::I64(v) => Ok(WasmValue::I64(v)),
                Val::F32(bits) => Ok(WasmValue::F32(f32::from_bits(bits))),
                Val::F64(bits) => Ok(WasmValue::F64(f64::from_bits(bits))),
                other => Err(err(format!(
                    "`{name}` returned a {:?}, which is not a number",
                    other
                ))),
            })
            .collect()
    }
}

/// `i32` from decimal, also accepting the unsigned range (`4294967295` is `-1`).
fn parse_i32(text: &str) -> Result<i32, std::num::ParseIntError> {
    text.parse::<i32>()
        .or_else(|e| text.parse::<u32>().map(|u| u as i32).map_err(|_| e))
}
