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
//! The digests of files are remembered on disk too (`<dir>/files/<identity>`, a symbolic
//! link to the digest in hex): a new process loading an unchanged file finds its
//! compiled module on disk without reading or hashing the wasm, whatever its size.
//!
//! A disk entry is `<dir>/<key>.cwasm`, the key being the SHA-256 of the file format,
//! the wasm bytes, the engine fingerprint and the wasmtime version. It holds wasmtime's serialized module
//! followed by a trailer (magic, payload length, kind, the key), so that wasmtime can map
//! the file as it is, without a copy. Deserializing is `unsafe` in wasmtime because a
//! tampered file could contain arbitrary machine code, so a file is used only when it is
//! a regular file that only its owner may write, its trailer is intact (magic, the key
//! looked for, the payload as long as the trailer says) and wasmtime recognises the
//! payload as its own precompiled module for this engine (it checks its version and
//! configuration). The payload is not hashed on each hit: that is what made a disk hit
//! cost twice wasmtime's own deserialize. The cache directory is trusted like the
//! program's own files (anyone who can write it could as well replace the program).
//! Anything else (truncated, foreign, stale, another module's file) is recompiled and
//! rewritten. Files are written to a temporary name and renamed, never changed in place,
//! so a reader never sees half a file and a mapped file never changes under a module.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

pub(crate) use crate::compiled::{Artifact, Compiled, CompiledComponent};
use crate::engine::{hex, EngineSlot, WASMTIME_VERSION};

/// The trailer of a `.cwasm` file: magic, payload length, kind, key.
const MAGIC: &[u8; 16] = b"interop-cwasm-v3";
const TRAILER_LEN: usize = MAGIC.len() + 8 + 8 + 32;
const KIND_MODULE: u64 = 0;
const KIND_COMPONENT: u64 = 1;

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

    /// The name of this identity's entry in the on-disk table of digests.
    fn entry_name(&self) -> String {
        let mut sha = Sha256::new();
        sha.update(b"interop-file-id-v1");
        for n in [self.dev, self.ino, self.len] {
            sha.update(n.to_le_bytes());
        }
        for (secs, nanos) in [self.mtime, self.ctime] {
            sha.update(secs.to_le_bytes());
            sha.update(nanos.to_le_bytes());
        }
        hex(&sha.finalize()[..16])
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

    /// Drops every module held in memory, and the digests of files remembered in memory
    /// (the disk layer stays): the next load is as in a new process.
    pub fn clear_memory(&self) {
        self.lock().entries.clear();
        self.identities().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn identities(&self) -> std::sync::MutexGuard<'_, HashMap<FileId, Digest32>> {
        self.identities.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The module of the unchanged file `file`, without reading or hashing it: when its
    /// digest is known (from this process or the disk's table) and its module is in
    /// memory or on disk.
    pub fn get_known(&self, slot: &EngineSlot, file: &FileId) -> Option<(Artifact, CacheSource)> {
        let known = self.identities().get(file).copied();
        let digest = match known {
            Some(digest) => digest,
            None => {
                let digest = self.read_identity(file)?;
                self.remember(*file, digest);
                digest
            }
        };
        self.lookup(slot, digest)
    }

    /// The compiled module of `digest` for `slot`'s engine, from memory, else from disk
    /// (then kept in memory too).
    fn lookup(&self, slot: &EngineSlot, digest: Digest32) -> Option<(Artifact, CacheSource)> {
        let key = (digest, slot.fingerprint.clone());
        if let Some(compiled) = self.memory_hit(&key) {
            return Some((compiled, CacheSource::Memory));
        }
        let compiled = self.disk_hit(slot, &digest)?;
        self.insert(key, compiled.clone());
        Some((compiled, CacheSource::Disk))
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
            self.remember(file, digest);
            self.write_identity(&file, &digest);
        }
        if let Some(found) = self.lookup(slot, digest) {
            return Ok(found);
        }
        let compiled = Artifact::compile(&slot.engine, bytes)?;
        self.compiles.fetch_add(1, Ordering::Relaxed);
        if let Some((path, name)) = self.disk_entry(slot, &digest) {
            if let Err(e) = write_disk(&compiled, &path, &name) {
                tracing::warn!(target: "interop::wasm", file = %path.display(), "cannot write the module cache: {e}");
            }
        }
        self.insert((digest, slot.fingerprint.clone()), compiled.clone());
        Ok((compiled, CacheSource::Compiled))
    }

    fn remember(&self, file: FileId, digest: Digest32) {
        let mut identities = self.identities();
        if identities.len() >= MAX_IDENTITIES {
            identities.clear();
        }
        identities.insert(file, digest);
    }

    /// The digest recorded on disk for the file `file`, if any. A record is a symbolic
    /// link whose target is the digest in hex: one `readlink`, where a small file would
    /// take an open, a read and a close on every load.
    fn read_identity(&self, file: &FileId) -> Option<Digest32> {
        let path = self.dir.as_ref()?.join("files").join(file.entry_name());
        let target = std::fs::read_link(path).ok()?;
        unhex(target.to_str()?)
    }

    /// Records on disk that the file `file` has the digest `digest` (best effort: a
    /// missing record costs one hash on a later load, nothing else).
    fn write_identity(&self, file: &FileId, digest: &Digest32) {
        let Some(dir) = &self.dir else { return };
        let path = dir.join("files").join(file.entry_name());
        if std::fs::symlink_metadata(&path).is_ok() {
            return;
        }
        if let Err(e) = put_atomically(&path, |tmp| std::os::unix::fs::symlink(hex(digest), tmp)) {
            tracing::debug!(target: "interop::wasm", file = %path.display(), "cannot record a module's digest: {e}");
        }
    }

    /// The `.cwasm` file of the module with `digest` for `slot`'s engine, and its key.
    fn disk_entry(&self, slot: &EngineSlot, digest: &Digest32) -> Option<(PathBuf, Digest32)> {
        let dir = self.dir.as_ref()?;
        let mut sha = Sha256::new();
        // The file format is part of the name: a file of an older format is never opened
        // (and warned about) as a damaged one; it is simply not used.
        sha.update(MAGIC);
        sha.update(digest);
        sha.update(slot.fingerprint.as_bytes());
        sha.update(WASMTIME_VERSION.as_bytes());
        let name: Digest32 = sha.finalize().into();
        Some((dir.join(format!("{}.cwasm", hex(&name))), name))
    }

    fn disk_hit(&self, slot: &EngineSlot, digest: &Digest32) -> Option<Artifact> {
        let (path, name) = self.disk_entry(slot, digest)?;
        let compiled = self.read_disk(&slot.engine, &path, &name)?;
        self.disk_hits.fetch_add(1, Ordering::Relaxed);
        Some(compiled)
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
    fn read_disk(&self, engine: &Engine, path: &Path, key: &Digest32) -> Option<Artifact> {
        let file = File::open(path).ok()?;
        let kind = match verify(&file, key) {
            Ok(kind) => kind,
            Err(why) => {
                self.reject(path, why);
                return None;
            }
        };
        // SAFETY: the file is a regular file only its owner may write, in the cache
        // directory this backend writes (never in place: files are renamed into it), and
        // its trailer names the key looked for, with the payload length recorded when
        // `write_disk` wrote it from wasmtime's `serialize` with an engine of the same
        // fingerprint. wasmtime checks its own header, version and configuration while
        // deserializing. The same holds for a component.
        let read = match kind {
            KIND_COMPONENT => unsafe { Component::deserialize_file(engine, path) }
                .map(|component| Artifact::Component(CompiledComponent::new(component))),
            _ => unsafe { Module::deserialize_open_file(engine, file) }
                .map(|module| Artifact::Module(Compiled::new(module))),
        };
        match read {
            Ok(compiled) => Some(compiled),
            Err(e) => {
                self.reject(path, &format!("{e:#}"));
                None
            }
        }
    }

    fn reject(&self, file: &Path, why: &str) {
        self.disk_rejects.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "interop::wasm", file = %file.display(), "ignoring the cached module ({why}); recompiling");
        let _ = std::fs::remove_file(file);
    }
}

/// What the payload of the cache file `file` is (`KIND_MODULE` or `KIND_COMPONENT`), if
/// it is the intact entry of `key`, written by its owner alone.
fn verify(file: &File, key: &Digest32) -> Result<u64, &'static str> {
    let meta = file.metadata().map_err(|_| "cannot be read")?;
    if !meta.is_file() || meta.mode() & 0o022 != 0 {
        return Err("not a regular file only its owner may write");
    }
    let Some(payload_len) = meta.len().checked_sub(TRAILER_LEN as u64) else {
        return Err("not an interop cache file");
    };
    let mut trailer = [0u8; TRAILER_LEN];
    file.read_exact_at(&mut trailer, payload_len)
        .map_err(|_| "cannot be read")?;
    check_trailer(&trailer, payload_len, key)
}

fn check_trailer(
    trailer: &[u8; TRAILER_LEN],
    payload_len: u64,
    key: &Digest32,
) -> Result<u64, &'static str> {
    let (magic, rest) = trailer.split_at(MAGIC.len());
    let (len, rest) = rest.split_at(8);
    let (kind, own_key) = rest.split_at(8);
    let number = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
    if magic != MAGIC {
        return Err("not an interop cache file");
    }
    if number(len) != payload_len {
        return Err("truncated");
    }
    if own_key != key {
        return Err("the entry of another module");
    }
    match number(kind) {
        kind @ (KIND_MODULE | KIND_COMPONENT) => Ok(kind),
        _ => Err("not an interop cache file"),
    }
}

/// The 32 bytes written in hex as `text`.
fn unhex(text: &str) -> Option<Digest32> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

fn write_disk(
    compiled: &Artifact,
    file: &Path,
    key: &Digest32,
) -> Result<(), Box<dyn std::error::Error>> {
    let payload = compiled.serialize()?;
    let kind = match compiled {
        Artifact::Module(_) => KIND_MODULE,
        Artifact::Component(_) => KIND_COMPONENT,
    };
    put_atomically(file, |tmp| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(tmp)?;
        let parts = [
            &payload[..],
            MAGIC,
            &(payload.len() as u64).to_le_bytes(),
            &kind.to_le_bytes(),
            key,
        ];
        parts.iter().try_for_each(|part| out.write_all(part))
    })?;
    Ok(())
}

/// Puts an entry at `file` (a cache file, a digest record): `make` creates it under a
/// temporary name beside it, which is then renamed over `file`, so that no reader sees
/// half an entry and a file in use (mapped by wasmtime) is never changed in place.
fn put_atomically(
    file: &Path,
    make: impl FnOnce(&Path) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = file
        .parent()
        .ok_or_else(|| std::io::Error::other("a cache entry with no directory"))?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("entry"),
        std::process::id()
    ));
    make(&tmp)
        .and_then(|()| std::fs::rename(&tmp, file))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailer_binds_the_file_to_its_key_and_length() {
        let key = [7u8; 32];
        let mut trailer = [0u8; TRAILER_LEN];
        trailer[..16].copy_from_slice(MAGIC);
        trailer[16..24].copy_from_slice(&3u64.to_le_bytes());
        trailer[24..32].copy_from_slice(&KIND_COMPONENT.to_le_bytes());
        trailer[32..].copy_from_slice(&key);
        assert_eq!(check_trailer(&trailer, 3, &key), Ok(KIND_COMPONENT));
        assert_eq!(check_trailer(&trailer, 2, &key), Err("truncated"));
        assert_eq!(
            check_trailer(&trailer, 3, &[8u8; 32]),
            Err("the entry of another module")
        );
        let mut foreign = trailer;
        foreign[0] = b'x';
        assert_eq!(
            check_trailer(&foreign, 3, &key),
            Err("not an interop cache file")
        );
        let mut kind = trailer;
        kind[24] = 9;
        assert_eq!(
            check_trailer(&kind, 3, &key),
            Err("not an interop cache file")
        );
    }
}
