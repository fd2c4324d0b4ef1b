//! [`ComponentState`]: what the store of one component instance holds (its WASI 0.2
//! context and resource table, host services, limits and captured output).

use interop_sandbox::HostServices;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::limits::StoreLimits;
use crate::state::Guarded;
use crate::stdio::CapturedOutput;

/// What a store of a component plugin instance holds.
pub(crate) struct ComponentState {
    pub wasi: WasiCtx,
    pub table: ResourceTable,
    pub services: HostServices,
    pub limits: StoreLimits,
    /// Guest stdout and stderr, forwarded to the plugin's log.
    pub stdio: CapturedOutput,
}

impl ComponentState {
    pub fn new(wasi: WasiCtx, services: HostServices, stdio: CapturedOutput) -> Self {
        let limits = StoreLimits::for_component(services.policy().memory_bytes);
        ComponentState {
            wasi,
            table: ResourceTable::new(),
            services,
            limits,
            stdio,
        }
    }
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl Guarded for ComponentState {
    fn limits(&mut self) -> &mut StoreLimits {
        &mut self.limits
    }
    fn services(&self) -> &HostServices {
        &self.services
    }
    fn refused(&self) -> Option<&str> {
        self.limits.refused.as_deref()
    }
    fn stdio(&self) -> Option<&CapturedOutput> {
        Some(&self.stdio)
    }
}
