//! [`State`]: what the store of one instance holds (its WASI context, host services,
//! limits, memory, return buffer, the current call's input, output and error, and what an
//! Extism plugin's imports work on), and [`Guarded`]: what every store's state (a
//! module's or a component's) gives the code that enters the guest.

use std::sync::Arc;

use interop_sandbox::HostServices;
use wasmtime::Memory;
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::extism::ExtismState;
use crate::limits::StoreLimits;
use crate::stdio::CapturedOutput;
use crate::wasi::WasiTemplate;

/// What a store of a plugin instance holds.
pub(crate) struct State {
    /// The instance's WASI context, made from `wasi_template` when the guest first needs
    /// it. Most plugins make no WASI call at all, or not in every instance: building the
    /// context (random generators seeded, preopened directories opened, capture streams
    /// set up) was a tenth of a pooled instantiation, and its memory stayed with every
    /// idle instance.
    wasi: Option<WasiP1Ctx>,
    wasi_template: Arc<WasiTemplate>,
    pub services: HostServices,
    pub limits: StoreLimits,
    /// The instance's exported `memory`, once instantiated.
    pub memory: Option<Memory>,
    /// The return buffer the guest copies host data from.
    pub ret: Vec<u8>,
    /// The current call's input (JSON).
    pub input: Vec<u8>,
    /// The current call's result, as set by `ft_output`.
    pub output: Option<Vec<u8>>,
    /// The current call's failure, as set by `ft_error`.
    pub error: Option<String>,
    /// Guest stdout and stderr, forwarded to the plugin's log (made with the WASI context:
    /// nothing is written before).
    stdio: Option<CapturedOutput>,
    /// What the `extism:host/env` imports work on (unused by other plugins).
    pub extism: ExtismState,
}

impl State {
    /// The state of a plugin instance for `services`, whose WASI context is made from
    /// `wasi` when the guest first calls WASI.
    pub fn new(wasi: Arc<WasiTemplate>, services: HostServices) -> Self {
        Self::with(None, wasi, services, None)
    }

    /// The state of an instance whose WASI context is `ctx`, made by the caller from
    /// `wasi` (a command's, with its arguments and the process's own stdio).
    pub fn with_wasi(
        ctx: WasiP1Ctx,
        wasi: Arc<WasiTemplate>,
        services: HostServices,
        stdio: CapturedOutput,
    ) -> Self {
        Self::with(Some(ctx), wasi, services, Some(stdio))
    }

    fn with(
        wasi: Option<WasiP1Ctx>,
        wasi_template: Arc<WasiTemplate>,
        services: HostServices,
        stdio: Option<CapturedOutput>,
    ) -> Self {
        let limits = StoreLimits::new(services.policy().memory_bytes);
        let extism = ExtismState::new(services.policy().memory_bytes);
        State {
            wasi,
            wasi_template,
            services,
            limits,
            memory: None,
            ret: Vec::new(),
            input: Vec::new(),
            output: None,
            error: None,
            stdio,
            extism,
        }
    }

    /// The instance's WASI context, made now if it was not yet (and the guest's captured
    /// stdout and stderr with it).
    pub fn wasi(&mut self) -> &mut WasiP1Ctx {
        let State {
            wasi,
            wasi_template,
            services,
            stdio,
            ..
        } = self;
        wasi.get_or_insert_with(|| {
            let (ctx, captured) = wasi_template.plugin_ctx(services);
            *stdio = Some(captured);
            ctx
        })
    }

    /// Readies the state for a call with `input`.
    pub fn begin_call(&mut self, input: Vec<u8>) {
        self.input = input;
        self.output = None;
        self.error = None;
    }
}

/// What the code entering a guest ([`crate::instance::enter`]) needs of a store's state,
/// whatever runs in it (a core module or a component).
pub(crate) trait Guarded {
    /// The store's memory and table limits.
    fn limits(&mut self) -> &mut StoreLimits;
    /// The instance's host services.
    fn services(&self) -> &HostServices;
    /// Why the limiter refused growth during the current call, if it did.
    fn refused(&self) -> Option<&str>;
    /// The guest's captured stdout and stderr, once there are any.
    fn stdio(&self) -> Option<&CapturedOutput>;
}

impl Guarded for State {
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
        self.stdio.as_ref()
    }
}
