//! [`KernelMemory`]: the memory Extism plugins address by offset (`alloc`, `load_u64`,
//! `output_set`...), kept in the host.
//!
//! Extism's own runtime keeps this memory in a second wasm module (its "kernel") linked
//! beside the plugin. Here it is a byte arena of the instance's store: an allocation is a
//! block at the end of the arena, named by its offset; offset 0 is never a block (it is
//! Extism's null). Like the kernel, the arena is emptied before every call, so what a
//! call allocates lives until the next one starts; freeing the newest block gives its
//! bytes back at once (the pattern of the PDKs' temporary strings), other frees only end
//! the block. The arena counts against the plugin's memory limit: an allocation that
//! would take it over the limit is refused, and the call ends as the `memory` limit.

use std::collections::BTreeMap;

/// Offset of the arena's first byte: 0 stays Extism's null.
const BASE: u64 = 1;

/// Capacity kept across calls; a call that allocated more gives the rest back after it.
const KEPT_CAPACITY: usize = 1 << 20;

/// Why an access to kernel memory was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MemoryFault {
    /// An allocation would take the arena over its limit.
    #[error("allocating {wanted} bytes would take Extism memory over {limit} bytes")]
    OverLimit {
        /// Bytes asked for.
        wanted: u64,
        /// The limit.
        limit: u64,
    },
    /// A load or store outside every allocated byte.
    #[error(
        "{what}: bytes {offset}..{offset}+{len} are outside Extism memory ({size} bytes allocated)"
    )]
    OutOfBounds {
        /// The import that was refused.
        what: &'static str,
        /// Offset asked for.
        offset: u64,
        /// Bytes asked for.
        len: u64,
        /// Bytes allocated now.
        size: u64,
    },
}

/// The arena of one instance.
#[derive(Debug)]
pub(crate) struct KernelMemory {
    bytes: Vec<u8>,
    /// Live blocks: offset -> length.
    blocks: BTreeMap<u64, u64>,
    limit: u64,
}

impl KernelMemory {
    /// An empty arena that may grow to `limit` bytes.
    pub fn new(limit: u64) -> Self {
        KernelMemory {
            bytes: Vec::new(),
            blocks: BTreeMap::new(),
            limit,
        }
    }

    /// Empties the arena (before a call), keeping a bounded capacity.
    pub fn reset(&mut self) {
        self.bytes.clear();
        self.bytes.shrink_to(KEPT_CAPACITY);
        self.blocks.clear();
    }

    /// A new zeroed block of `len` bytes; 0 for an empty one (as the kernel does).
    pub fn alloc(&mut self, len: u64) -> Result<u64, MemoryFault> {
        if len == 0 {
            return Ok(0);
        }
        let used = self.bytes.len() as u64;
        let end = used.checked_add(len).filter(|end| *end <= self.limit);
        let Some(end) = end else {
            return Err(MemoryFault::OverLimit {
                wanted: len,
                limit: self.limit,
            });
        };
        self.bytes.resize(end as usize, 0);
        let offset = used + BASE;
        self.blocks.insert(offset, len);
        Ok(offset)
    }

    /// A block holding `data`.
    pub fn alloc_bytes(&mut self, data: &[u8]) -> Result<u64, MemoryFault> {
        let offset = self.alloc(data.len() as u64)?;
        if offset != 0 {
            self.store(offset, data, "alloc")?;
        }
        Ok(offset)
    }

    /// Ends the block at `offset` (nothing when there is none); the newest block's bytes
    /// are given back.
    pub fn free(&mut self, offset: u64) {
        let Some(len) = self.blocks.remove(&offset) else {
            return;
        };
        if offset - BASE + len == self.bytes.len() as u64 {
            self.bytes.truncate((offset - BASE) as usize);
        }
    }

    /// The length of the block at `offset`, 0 when no block starts there.
    pub fn length(&self, offset: u64) -> u64 {
        self.blocks.get(&offset).copied().unwrap_or(0)
    }

    /// The bytes of the block at `offset` (empty when there is none).
    pub fn block(&self, offset: u64) -> &[u8] {
        let len = self.length(offset);
        self.range(offset, len).unwrap_or_default()
    }

    /// `len` bytes at `offset`.
    pub fn load(&self, offset: u64, len: u64, what: &'static str) -> Result<&[u8], MemoryFault> {
        self.range(offset, len)
            .ok_or_else(|| self.out_of_bounds(what, offset, len))
    }

    /// Writes `data` at `offset`.
    pub fn store(
        &mut self,
        offset: u64,
        data: &[u8],
        what: &'static str,
    ) -> Result<(), MemoryFault> {
        let len = data.len() as u64;
        let start = self
            .index(offset, len)
            .ok_or_else(|| self.out_of_bounds(what, offset, len))?;
        self.bytes[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn range(&self, offset: u64, len: u64) -> Option<&[u8]> {
        let start = self.index(offset, len)?;
        Some(&self.bytes[start..start + len as usize])
    }

    /// Where `[offset, offset + len)` starts in `bytes`, if all of it is allocated.
    fn index(&self, offset: u64, len: u64) -> Option<usize> {
        let start = offset.checked_sub(BASE)?;
        let end = start.checked_add(len)?;
        (end <= self.bytes.len() as u64).then_some(start as usize)
    }

    fn out_of_bounds(&self, what: &'static str, offset: u64, len: u64) -> MemoryFault {
        MemoryFault::OutOfBounds {
            what,
            offset,
            len,
            size: self.bytes.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_addressed_by_offset_and_zero_is_null() {
        let mut mem = KernelMemory::new(1024);
        assert_eq!(mem.alloc(0), Ok(0));
        let a = mem.alloc_bytes(b"hello").unwrap();
        let b = mem.alloc_bytes(b"world!").unwrap();
        assert_ne!(a, 0);
        assert_eq!(mem.block(a), b"hello");
        assert_eq!(mem.length(b), 6);
        assert_eq!(mem.length(b + 1), 0, "only a block's start is a handle");
        assert_eq!(mem.load(a + 1, 3, "load").unwrap(), b"ell");
    }

    #[test]
    fn freeing_the_newest_block_gives_its_bytes_back() {
        let mut mem = KernelMemory::new(16);
        let a = mem.alloc(10).unwrap();
        mem.free(a);
        assert_eq!(mem.length(a), 0);
        assert!(mem.alloc(16).is_ok(), "the freed 10 bytes are reused");
    }

    #[test]
    fn the_limit_and_the_bounds_hold() {
        let mut mem = KernelMemory::new(8);
        assert!(matches!(
            mem.alloc(9),
            Err(MemoryFault::OverLimit { wanted: 9, .. })
        ));
        let a = mem.alloc(4).unwrap();
        assert!(mem.load(a, 5, "load_u64").is_err());
        assert!(mem.store(a + 2, &[0; 4], "store_u64").is_err());
        assert!(mem.load(0, 1, "load_u8").is_err());
        assert!(mem.alloc(u64::MAX).is_err());
        mem.reset();
        assert_eq!(mem.length(a), 0);
    }
}
