//! [`State`]: what the store of one instance holds (its WASI context, host services,
//! limits, memory, return buffer, the current call's input, output and error, and what an
//! Extism plugin's imports work on), and [`Guarded`]: what every store's state (a
//! module's or a component's) gives the code that enters the guest.

use interop_sandbox::HostServices;
use wasmtime::Memory;
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::extism::ExtismState;
use crate::limits::StoreLimits;
use crate::stdio::CapturedOutput;

/// What a store of a plugin instance holds.
pub(crate) struct State {
    pub wasi: WasiP1Ctx,
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
    /// Guest stdout and stderr, forwarded to the plugin's log.
    pub stdio: CapturedOutput,
    /// What the `extism:host/env` imports work on (unused by other plugins).
    pub extism: ExtismState,
}

impl State {
    pub fn new(wasi: WasiP1Ctx, services: HostServices, stdio: CapturedOutput) -> Self {
        let limits = StoreLimits::new(services.policy().memory_bytes);
        let extism = ExtismState::new(services.policy().memory_bytes);
        State {
            wasi,
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
    /// The guest's captured stdout and stderr.
    fn stdio(&self) -> &CapturedOutput;
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
    fn stdio(&self) -> &CapturedOutput {
        &self.stdio
    }
}
