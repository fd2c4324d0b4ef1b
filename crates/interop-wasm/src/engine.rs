//! The shared wasmtime [`Engine`]s, the one epoch ticker thread each of them has, and the
//! [`Runtime`]: an engine with the linker of the guest ABI and WASI.
//!
//! Time limits use epoch interruption: a background thread bumps the engine's epoch once
//! per [`EPOCH_TICK`] of elapsed time, and each call sets its store's deadline to "now +
//! timeout" in ticks. The epoch follows the clock, not the thread's wake-ups: on a loaded
//! machine the thread wakes late and catches up, so a deadline is not stretched by it.
//! Setting a deadline is a store field write, so a call pays nothing for its time limit
//! (a timer messaged per call costs about 20 µs). Fuel metering changes the compiled code,
//! so plugins that ask for fuel get a second engine, created on first use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::{
    component, Config, Engine, InstanceAllocationStrategy, Linker, PoolingAllocationConfig,
};

use crate::component::state::ComponentState;

use crate::host_api;
use crate::limits::{MAX_MEMORIES, MAX_TABLES, MAX_TABLE_ELEMENTS};
use crate::poll;
use crate::state::State;

/// How often the epoch ticker advances the engines' epoch: the granularity of time limits.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The wasmtime version compiled modules are produced by (kept in step with the pin in
/// Cargo.toml); part of the on-disk cache key.
pub const WASMTIME_VERSION: &str = "48.0.2";

/// What an engine is configured with, beyond the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EngineOptions {
    /// Meter instructions with fuel.
    pub fuel: bool,
    /// Pooling allocator with this many instance slots; `None` allocates on demand.
    pub pooling: Option<u32>,
}

/// One configured engine and what keeps its epoch moving.
pub(crate) struct EngineSlot {
    pub engine: Engine,
    /// SHA-256 of everything that makes compiled code of this engine incompatible with
    /// another's (wasmtime version, compiler settings, target), hex.
    pub fingerprint: String,
    _ticker: Ticker,
}

impl EngineSlot {
    pub fn new(options: EngineOptions) -> wasmtime::Result<Self> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(options.fuel);
        config.parallel_compilation(true);
        if let Some(slots) = options.pooling {
            // The same bounds as the store's limiter, so that a module loads (or not) the
            // same way with either allocator: `slots` instances of the most memories and
            // tables one instance may have.
            let mut pool = PoolingAllocationConfig::new();
            pool.total_core_instances(slots)
                .total_memories(slots.saturating_mul(MAX_MEMORIES))
                .total_tables(slots.saturating_mul(MAX_TABLES))
                .max_memories_per_module(MAX_MEMORIES)
                .max_tables_per_module(MAX_TABLES)
                .table_elements(MAX_TABLE_ELEMENTS);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        let engine = Engine::new(&config)?;
        let fingerprint = fingerprint(&engine, options);
        let ticker = Ticker::start(engine.clone());
        Ok(EngineSlot {
            engine,
            fingerprint,
            _ticker: ticker,
        })
    }
}

/// An engine with the linker of the guest ABI and WASI; shared by the plugins it runs.
pub(crate) struct Runtime {
    pub slot: EngineSlot,
    pub linker: Linker<State>,
    /// The linker of component plugins (WASI 0.2 and the interop world), made when the
    /// first component is loaded (`crate::component::host::linker`), or why it cannot be.
    pub components: OnceLock<Result<component::Linker<ComponentState>, String>>,
}

impl Runtime {
    pub fn new(options: EngineOptions) -> wasmtime::Result<Self> {
        let slot = EngineSlot::new(options)?;
        let mut linker = Linker::new(&slot.engine);
        host_api::add_to_linker(&mut linker)?;
        crate::extism_host::add_to_linker(&mut linker)?;
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, State::wasi)?;
        poll::add_to_linker(&mut linker)?;
        Ok(Runtime {
            slot,
            linker,
            components: OnceLock::new(),
        })
    }
}

fn fingerprint(engine: &Engine, options: EngineOptions) -> String {
    use std::hash::Hash;
    let mut hasher = ShaHasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let mut sha = hasher.0;
    sha.update(WASMTIME_VERSION.as_bytes());
    sha.update([u8::from(options.fuel), 1 /* epochs */]);
    sha.update(std::env::consts::ARCH.as_bytes());
    sha.update(std::env::consts::OS.as_bytes());
    hex(&sha.finalize())
}

/// Feeds `Hash` output into SHA-256, so that the fingerprint is stable across processes
/// (unlike `DefaultHasher`).
struct ShaHasher(Sha256);

impl std::hash::Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The epoch ticker thread of one engine. Stops when dropped (the engine slot, which
/// every plugin of the engine holds, goes away).
struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("interop-wasm-epoch".into())
            .spawn(move || {
                let started = Instant::now();
                let mut ticks: u128 = 0;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    let due = started.elapsed().as_nanos() / EPOCH_TICK.as_nanos();
                    while ticks < due {
                        engine.increment_epoch();
                        ticks += 1;
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(target: "interop::wasm", "cannot start the epoch thread, time limits will not fire: {e}");
        }
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Epoch ticks that cover `timeout` (at least one, plus one for the tick in progress).
pub(crate) fn deadline_ticks(timeout: Duration) -> u64 {
    let tick = EPOCH_TICK.as_nanos().max(1);
    (timeout.as_nanos().div_ceil(tick) as u64).saturating_add(1)
}
