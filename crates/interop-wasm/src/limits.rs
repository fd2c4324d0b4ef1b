//! The memory and table limits of one store: a [`ResourceLimiter`] refuses growth past
//! the policy's `memory_bytes` (`memory.grow` returns -1, as the spec allows); a call that
//! fails after a refusal reports the `memory` limit.

use wasmtime::ResourceLimiter;

/// Largest table a plugin may grow to, in elements.
const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// The memory and table limits of one store.
pub(crate) struct StoreLimits {
    pub memory_bytes: u64,
    /// The growth that was refused during the current call: (wanted bytes).
    pub refused: Option<usize>,
}

impl StoreLimits {
    pub fn new(memory_bytes: u64) -> Self {
        StoreLimits {
            memory_bytes,
            refused: None,
        }
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.memory_bytes {
            self.refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }
}
