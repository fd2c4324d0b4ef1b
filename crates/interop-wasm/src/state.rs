//! [`State`]: what the store of one instance holds (its WASI context, host services,
//! limits, memory, return buffer, the current call's input, output and error, and what an
//! Extism plugin's imports work on).

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
