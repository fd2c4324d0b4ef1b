//! The memory and table limits of one store.
//!
//! The policy's `memory_bytes` bounds the sum of every memory and every table of the
//! instance (a table element counted as [`TABLE_ELEMENT_BYTES`]), initial sizes included:
//! wasmtime asks the [`ResourceLimiter`] before it creates a memory or table and before
//! each growth, and a refusal makes `memory.grow` / `table.grow` return -1 (as the spec
//! allows) or instantiation fail. A call that fails after a refusal reports the `memory`
//! limit. The number of instances, memories and tables per store is bounded too, and a
//! module declaring more memories or tables than that is refused before instantiation
//! ([`check_counts`]).

use wasmtime::{Module, ResourceLimiter};

/// Memories one instance may define (multi-memory).
pub const MAX_MEMORIES: u32 = 4;

/// Tables one instance may define.
pub const MAX_TABLES: u32 = 8;

/// Largest table, in elements (the pooling allocator reserves this much per table).
pub const MAX_TABLE_ELEMENTS: usize = 1 << 20;

/// What one table element is counted as: a function reference is a pointer.
pub const TABLE_ELEMENT_BYTES: u64 = 8;

/// Instances per store: a plugin's store holds its one instance.
const MAX_INSTANCES: usize = 1;

/// Core instances, memories and tables the store of one component may hold: a component
/// is made of several core modules (the guest, its language runtime, the WASI adapter),
/// each instantiated in the same store. The bytes of all their memories and tables share
/// the one memory limit.
const COMPONENT_INSTANCES: usize = 64;
const COMPONENT_MEMORIES: usize = 32;
const COMPONENT_TABLES: usize = 64;

/// Refuses a module that defines more memories or tables than one instance may have,
/// saying why (for an error of the `memory` limit).
pub(crate) fn check_counts(module: &Module, memory_bytes: u64) -> Result<(), String> {
    let needs = module.resources_required();
    let over = |count: u32, what: &str, max: u32| {
        (count > max).then(|| {
            format!(
                "defines {count} {what}; a module may have at most {max} (all of them share \
                 the memory limit of {})",
                mib(memory_bytes)
            )
        })
    };
    match over(needs.num_memories, "memories", MAX_MEMORIES)
        .or_else(|| over(needs.num_tables, "tables", MAX_TABLES))
    {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// `16777216 bytes (16 MiB)`.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{bytes} bytes ({} MiB)", bytes / (1024 * 1024))
}

/// The memory and table limits of one store.
pub(crate) struct StoreLimits {
    memory_bytes: u64,
    /// Bytes of memories and tables the instance holds (growths granted so far).
    used: u64,
    /// Why growth was refused during the current call, if it was.
    pub refused: Option<String>,
    /// Most instances, memories and tables the store may create.
    counts: (usize, usize, usize),
}

impl StoreLimits {
    pub fn new(memory_bytes: u64) -> Self {
        StoreLimits {
            memory_bytes,
            used: 0,
            refused: None,
            counts: (MAX_INSTANCES, MAX_MEMORIES as usize, MAX_TABLES as usize),
        }
    }

    /// The limits of the store of a component: the same memory limit, for all the core
    /// instances the component is made of.
    pub fn for_component(memory_bytes: u64) -> Self {
        StoreLimits {
            counts: (COMPONENT_INSTANCES, COMPONENT_MEMORIES, COMPONENT_TABLES),
            ..StoreLimits::new(memory_bytes)
        }
    }

    /// Grants growth of one memory or table from `current` to `desired` bytes if the
    /// total stays within the limit.
    fn grow(&mut self, what: &str, current: u64, desired: u64) -> bool {
        let total = self.used.saturating_add(desired.saturating_sub(current));
        if total > self.memory_bytes {
            self.refused = Some(format!(
                "growing {what} would bring its memories and tables to {total} bytes, over \
                 the limit of {}",
                mib(self.memory_bytes)
            ));
            return false;
        }
        self.used = total;
        true
    }
}

/// Growth past a memory's or table's own declared maximum fails whatever the limiter
/// says; refusing it here keeps it from being counted.
fn past_maximum(desired: usize, maximum: Option<usize>) -> bool {
    maximum.is_some_and(|max| desired > max)
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if past_maximum(desired, maximum) {
            return Ok(false);
        }
        Ok(self.grow("a memory", current as u64, desired as u64))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if past_maximum(desired, maximum) {
            return Ok(false);
        }
        if desired > MAX_TABLE_ELEMENTS {
            self.refused = Some(format!(
                "a table of {desired} elements is over the {MAX_TABLE_ELEMENTS} a table may \
                 have (the memory limit is {})",
                mib(self.memory_bytes)
            ));
            return Ok(false);
        }
        let bytes = |elements: usize| (elements as u64).saturating_mul(TABLE_ELEMENT_BYTES);
        Ok(self.grow("a table", bytes(current), bytes(desired)))
    }

    fn instances(&self) -> usize {
        self.counts.0
    }

    fn memories(&self) -> usize {
        self.counts.1
    }

    fn tables(&self) -> usize {
        self.counts.2
    }
}
