//! The two-layer module cache: compiled [`Module`]s and [`Component`]s in memory (LRU,
//! keyed by the SHA-256 of the wasm bytes and the engine), each with its linked
//! [`InstancePre`] once a plugin has used it, and `.cwasm` files on disk that survive
//! restarts. What is cached, and how bytes are told to be a component or a core module,
//! is `crate::compiled`'s.
//!
//! Bytes are hashed once. A module read from a file is also remembered by the file's
//! identity (device, inode, size, modification and change times, to the nanosecond):
//! loading the same unchanged file again finds its digest, and so its module, without
//! reading or hashing it. Any write to the file changes its change time, so a modified
//! file is read and hashed afresh.
//!
//! A disk entry is `<dir>/<key>.cwasm`, the key being the SHA-256 of the wasm bytes, the
//! engine fingerprint and the wasmtime version. It holds a header (magic, payload length,
//! the key, and the SHA-256 of the payload written when the file was made) followed by
//! wasmtime's serialized module. Deserializing is `unsafe` in wasmtime because a tampered
//! file could contain arbitrary machine code, so a file is used only when it is a regular
//! file that only its owner may write, its header is intact (magic, the header's own key
//! equal to the key looked for, the payload as long as the header says) and wasmtime
//! recognises the payload as its own precompiled module for this engine (it checks its
//! version and configuration). The payload is not hashed again on each hit: that is what
//! made a disk hit cost twice wasmtime's own deserialize. The cache directory is trusted
//! like the program's own files (anyone who can write it could as well replace the
//! program). Anything else (truncated, foreign, stale, another module's file) is
//! recompiled and rewritten. Files are written to a temporary name and renamed, so a
//! reader never sees half a file.

use std::collections::HashMap;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module, Precompiled};

pub(crate) use crate::compiled::{Artifact, Compiled, CompiledComponent};
use crate::engine::{hex, EngineSlot, WASMTIME_VERSION};

const MAGIC: &[u8; 16] = b"interop-cwasm-v2";
const HEADER_LEN: usize = MAGIC.len() + 8 + 32 + 32;

/// Files remembered by identity; past this many the table starts over (a host loading
/// that many distinct files pays one hash each again, nothing worse).
const MAX_IDENTITIES: usize = 4096;

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

/// What identifies a file's contents without reading them: a write changes the change
/// time (which no one can set back), a replacement the inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    /// The size the file had.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn of(meta: &Metadata) -> Self {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

type Digest32 = [u8; 32];
type Key = (Digest32, String);

pub(crate) struct ModuleCache {
    dir: Option<PathBuf>,
    capacity: usize,
    memory: Mutex<Lru>,
    identities: Mutex<HashMap<FileId, Digest32>>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compiles: AtomicU64,
    disk_rejects: AtomicU64,
}

struct Lru {
    clock: u64,
    entries: HashMap<Key, (Artifact, u64)>,
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
            identities: Mutex::new(HashMap::new()),
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

    fn identities(&self) -> std::sync::MutexGuard<'_, HashMap<FileId, Digest32>> {
        self.identities.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The module of the unchanged file `file` if it is in memory: no read, no hash.
    pub fn get_known(&self, slot: &EngineSlot, file: &FileId) -> Option<Artifact> {
        let digest = *self.identities().get(file)?;
        self.memory_hit(&(digest, slot.fingerprint.clone()))
    }

    fn memory_hit(&self, key: &Key) -> Option<Artifact> {
        let mut lru = self.lock();
        lru.clock += 1;
        let now = lru.clock;
        let (compiled, used) = lru.entries.get_mut(key)?;
        *used = now;
        self.memory_hits.fetch_add(1, Ordering::Relaxed);
        Some(compiled.clone())
    }

    /// The compiled module or component for `bytes` (wasm or wat), from memory, disk, or
    /// compiled;
    /// `file` is where the bytes were read from, remembered for [`Self::get_known`].
    pub fn get(
        &self,
        slot: &EngineSlot,
        bytes: &[u8],
        file: Option<FileId>,
    ) -> wasmtime::Result<(Artifact, CacheSource)> {
        let digest: Digest32 = Sha256::digest(bytes).into();
        if let Some(file) = file {
            let mut identities = self.identities();
            if identities.len() >= MAX_IDENTITIES {
                identities.clear();
            }
            identities.insert(file, digest);
        }
        let key = (digest, slot.fingerprint.clone());
        if let Some(compiled) = self.memory_hit(&key) {
            return Ok((compiled, CacheSource::Memory));
        }
        let disk = self.dir.as_ref().map(|dir| {
            let mut sha = Sha256::new();
            sha.update(digest);
            sha.update(slot.fingerprint.as_bytes());
            sha.update(WASMTIME_VERSION.as_bytes());
            let name: Digest32 = sha.finalize().into();
            (dir.join(format!("{}.cwasm", hex(&name))), name)
        });
        let (compiled, source) = match disk
            .as_ref()
            .and_then(|(path, name)| self.read_disk(&slot.engine, path, name))
        {
            Some(compiled) => {
                self.disk_hits.fetch_add(1, Ordering::Relaxed);
                (compiled, CacheSource::Disk)
            }
            None => {
                let compiled = Artifact::compile(&slot.engine, bytes)?;
                self.compiles.fetch_add(1, Ordering::Relaxed);
                if let Some((path, name)) = &disk {
                    if let Err(e) = write_disk(&compiled, path, name) {
                        tracing::warn!(target: "interop::wasm", file = %path.display(), "cannot write the module cache: {e}");
                    }
                }
                (compiled, CacheSource::Compiled)
            }
        };
        self.insert(key, compiled.clone());
        Ok((compiled, source))
    }

    fn insert(&self, key: Key, compiled: Artifact) {
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
        lru.entries.insert(key, (compiled, now));
    }

    /// A module or component from a verified cache file, or `None` (missing or rejected).
    fn read_disk(&self, engine: &Engine, file: &Path, key: &Digest32) -> Option<Artifact> {
        match read_owned(file)?.and_then(|bytes| verify(&bytes, key).map(|kind| (kind, bytes))) {
            Ok((kind, bytes)) => {
                let payload = &bytes[HEADER_LEN..];
                // SAFETY: the file is a regular file only its owner may write, in the
                // cache directory this backend writes; its header names the key looked
                // for and the payload has the length recorded when `write_disk` wrote
                // it from wasmtime's `serialize` with an engine of the same fingerprint.
                // wasmtime checks its own header, version and configuration while
                // deserializing. The same holds for a component.
                let read = match kind {
                    Precompiled::Component => unsafe { Component::deserialize(engine, payload) }
                        .map(|component| Artifact::Component(CompiledComponent::new(component))),
                    Precompiled::Module => unsafe { Module::deserialize(engine, payload) }
                        .map(|module| Artifact::Module(Compiled::new(module))),
                };
                match read {
                    Ok(compiled) => return Some(compiled),
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

/// The contents of `file`, or why they are not used; `None` when there is no such file
/// (or it cannot be read).
fn read_owned(file: &Path) -> Option<Result<Vec<u8>, &'static str>> {
    use std::io::Read;
    let mut f = std::fs::File::open(file).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.mode() & 0o022 != 0 {
        return Some(Err("not a regular file only its owner may write"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.read_to_end(&mut bytes).ok()?;
    Some(Ok(bytes))
}

/// What the payload of a cache file is (a module or a component), if the file is the
/// intact entry of `key`.
fn verify(bytes: &[u8], key: &Digest32) -> Result<Precompiled, &'static str> {
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Err("not an interop cache file");
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[MAGIC.len()..MAGIC.len() + 8]);
    let payload = &bytes[HEADER_LEN..];
    if u64::from_le_bytes(len) != payload.len() as u64 {
        return Err("truncated");
    }
    if &bytes[MAGIC.len() + 8..MAGIC.len() + 40] != key {
        return Err("the entry of another module");
    }
    Engine::detect_precompiled(payload).ok_or("not a precompiled module")
}

fn write_disk(
    compiled: &Artifact,
    file: &Path,
    key: &Digest32,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let payload = compiled.serialize()?;
    let dir = file.parent().ok_or("cache file has no directory")?;
    std::fs::create_dir_all(dir)?;
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(key);
    // Not checked on reads; kept so that a file can be checked by hand
    // (`tail -c +89 f.cwasm | sha256sum`).
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("module"),
        std::process::id()
    ));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(&tmp)
        .and_then(|mut f| f.write_all(&out));
    written
        .and_then(|()| std::fs::rename(&tmp, file))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_rejects_truncated_foreign_and_misplaced_files() {
        let key = [7u8; 32];
        let mut file = Vec::new();
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&3u64.to_le_bytes());
        file.extend_from_slice(&key);
        file.extend_from_slice(&Sha256::digest(b"abc"));
        file.extend_from_slice(b"abc");
        // Intact header, but not wasmtime's output.
        assert_eq!(verify(&file, &key), Err("not a precompiled module"));
        assert_eq!(verify(&file[..file.len() - 1], &key), Err("truncated"));
        assert_eq!(
            verify(&file, &[8u8; 32]),
            Err("the entry of another module")
        );
        assert_eq!(verify(b"garbage", &key), Err("not an interop cache file"));
    }
}
