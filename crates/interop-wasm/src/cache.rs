//! The two-layer module cache: compiled [`Module`]s in memory (LRU, keyed by the SHA-256
//! of the wasm bytes and the engine) and `.cwasm` files on disk that survive restarts.
//!
//! A disk entry is `<dir>/<sha256(wasm bytes + engine fingerprint + wasmtime version)>.cwasm`
//! and holds a small header (magic, payload length, SHA-256 of the payload) followed by
//! wasmtime's serialized module. Deserializing a module is `unsafe` in wasmtime because a
//! tampered file could contain arbitrary machine code, so a file is deserialized only when
//! its header, length and hash check out and wasmtime recognises it as a precompiled
//! module; anything else (truncated, corrupt, stale, foreign) is recompiled and rewritten.
//! Files are written to a temporary name and renamed, so a reader never sees half a file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::{Engine, Module, Precompiled};

use crate::engine::{hex, EngineSlot, WASMTIME_VERSION};

const MAGIC: &[u8; 16] = b"interop-cwasm-v1";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32;

/// How often each cache layer answered. Counters only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Loads answered from memory.
    pub memory_hits: u64,
    /// Loads answered from a `.cwasm` file.
    pub disk_hits: u64,
    /// Loads that compiled the module.
    pub compiles: u64,
    /// `.cwasm` files found unusable (corrupt, truncated, stale) and replaced.
    pub disk_rejects: u64,
}

/// Where a module came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSource {
    /// The in-memory LRU.
    Memory,
    /// A verified `.cwasm` file.
    Disk,
    /// Compiled now.
    Compiled,
}

type Key = ([u8; 32], String);

pub(crate) struct ModuleCache {
    dir: Option<PathBuf>,
    capacity: usize,
    memory: Mutex<Lru>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compiles: AtomicU64,
    disk_rejects: AtomicU64,
}

struct Lru {
    clock: u64,
    entries: HashMap<Key, (Module, u64)>,
}

impl ModuleCache {
    pub fn new(dir: Option<PathBuf>, capacity: usize) -> Self {
        ModuleCache {
            dir,
            capacity: capacity.max(1),
            memory: Mutex::new(Lru {
                clock: 0,
                entries: HashMap::new(),
            }),
            memory_hits: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
            disk_rejects: AtomicU64::new(0),
        }
    }

    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            compiles: self.compiles.load(Ordering::Relaxed),
            disk_rejects: self.disk_rejects.load(Ordering::Relaxed),
        }
    }

    /// Drops every module held in memory (the disk layer stays).
    pub fn clear_memory(&self) {
        self.lock().entries.clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The compiled module for `bytes` (wasm or wat), from memory, disk, or compiled.
    pub fn get(&self, slot: &EngineSlot, bytes: &[u8]) -> wasmtime::Result<(Module, CacheSource)> {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        let key = (digest, slot.fingerprint.clone());
        {
            let mut lru = self.lock();
            lru.clock += 1;
            let now = lru.clock;
            if let Some((module, used)) = lru.entries.get_mut(&key) {
                *used = now;
                self.memory_hits.fetch_add(1, Ordering::Relaxed);
                return Ok((module.clone(), CacheSource::Memory));
            }
        }
        let file = self.dir.as_ref().map(|dir| {
            let mut sha = Sha256::new();
            sha.update(digest);
            sha.update(slot.fingerprint.as_bytes());
            sha.update(WASMTIME_VERSION.as_bytes());
            dir.join(format!("{}.cwasm", hex(&sha.finalize())))
        });
        let (module, source) = match file
            .as_deref()
            .and_then(|f| self.read_disk(&slot.engine, f))
        {
            Some(module) => {
                self.disk_hits.fetch_add(1, Ordering::Relaxed);
                (module, CacheSource::Disk)
            }
            None => {
                let module = Module::new(&slot.engine, bytes)?;
                self.compiles.fetch_add(1, Ordering::Relaxed);
                if let Some(file) = &file {
                    if let Err(e) = write_disk(&module, file) {
                        tracing::warn!(target: "interop::wasm", file = %file.display(), "cannot write the module cache: {e}");
                    }
                }
                (module, CacheSource::Compiled)
            }
        };
        self.insert(key, module.clone());
        Ok((module, source))
    }

    fn insert(&self, key: Key, module: Module) {
        let mut lru = self.lock();
        lru.clock += 1;
        let now = lru.clock;
        if lru.entries.len() >= self.capacity && !lru.entries.contains_key(&key) {
            let oldest = lru
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                lru.entries.remove(&oldest);
            }
        }
        lru.entries.insert(key, (module, now));
    }

    /// A module from a verified cache file, or `None` (missing or rejected).
    fn read_disk(&self, engine: &Engine, file: &Path) -> Option<Module> {
        let bytes = std::fs::read(file).ok()?;
        match verify(&bytes) {
            Ok(payload) => {
                // SAFETY: `payload` is exactly what `write_disk` serialized with an engine
                // of the same fingerprint (the file name says so) and its SHA-256 matches
                // the one recorded when it was written, so it is wasmtime's own output;
                // wasmtime still checks its version and configuration while deserializing.
                match unsafe { Module::deserialize(engine, payload) } {
                    Ok(module) => return Some(module),
                    Err(e) => self.reject(file, &format!("{e:#}")),
                }
            }
            Err(why) => self.reject(file, why),
        }
        None
    }

    fn reject(&self, file: &Path, why: &str) {
        self.disk_rejects.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "interop::wasm", file = %file.display(), "ignoring the cached module ({why}); recompiling");
        let _ = std::fs::remove_file(file);
    }
}

/// The serialized module inside a cache file, if the file is intact.
fn verify(bytes: &[u8]) -> Result<&[u8], &'static str> {
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not an interop cache file");
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[MAGIC.len()..MAGIC.len() + 8]);
    let payload = &bytes[HEADER_LEN..];
    if u64::from_le_bytes(len) != payload.len() as u64 {
        return Err("truncated");
    }
    if Sha256::digest(payload).as_slice() != &bytes[MAGIC.len() + 8..HEADER_LEN] {
        return Err("checksum mismatch");
    }
    if Engine::detect_precompiled(payload) != Some(Precompiled::Module) {
        return Err("not a precompiled module");
    }
    Ok(payload)
}

fn write_disk(module: &Module, file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let payload = module.serialize()?;
    let dir = file.parent().ok_or("cache file has no directory")?;
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("module"),
        std::process::id()
    ));
    std::fs::write(&tmp, &out)?;
    std::fs::rename(&tmp, file).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rejects_truncated_and_tampered_files() {
        let mut file = Vec::new();
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&3u64.to_le_bytes());
        file.extend_from_slice(&Sha256::digest(b"abc"));
        file.extend_from_slice(b"abc");
        // Intact header and hash, but not wasmtime's output.
        assert_eq!(verify(&file), Err("not a precompiled module"));
        assert_eq!(verify(&file[..file.len() - 1]), Err("truncated"));
        let mut tampered = file.clone();
        *tampered.last_mut().unwrap() = b'x';
        assert_eq!(verify(&tampered), Err("checksum mismatch"));
        assert_eq!(verify(b"garbage"), Err("not an interop cache file"));
    }
}
