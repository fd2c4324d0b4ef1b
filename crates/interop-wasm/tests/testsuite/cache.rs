//! The module cache: a second load comes from memory, a new process's load from disk, and
//! a damaged `.cwasm` file is detected and recompiled, never trusted.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::guest;
use interop_wasm::{CacheSource, CacheStats, WasmBackend};

fn cwasm_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

fn fresh(dir: &Path) -> WasmBackend {
    WasmBackend::builder().cache_dir(dir).build()
}

#[test]
fn the_second_load_is_a_memory_hit_and_a_new_backend_reads_the_disk_cache() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = guest("abi.wat");
    let backend = fresh(dir.path());
    assert_eq!(backend.prepare(&bytes).unwrap(), CacheSource::Compiled);
    assert_eq!(backend.prepare(&bytes).unwrap(), CacheSource::Memory);
    assert_eq!(
        backend.cache_stats(),
        CacheStats {
            memory_hits: 1,
            disk_hits: 0,
            compiles: 1,
            disk_rejects: 0
        }
    );
    assert_eq!(cwasm_files(dir.path()).len(), 1);

    // Another backend (as after a restart) finds the compiled module on disk.
    let restarted = fresh(dir.path());
    assert_eq!(restarted.prepare(&bytes).unwrap(), CacheSource::Disk);
    assert_eq!(restarted.cache_stats().compiles, 0);
    assert_eq!(restarted.cache_stats().disk_hits, 1);
    // And clearing memory sends the next load to disk again.
    restarted.clear_memory_cache();
    assert_eq!(restarted.prepare(&bytes).unwrap(), CacheSource::Disk);
}

#[test]
fn different_bytes_are_different_entries() {
    let dir = tempfile::tempdir().unwrap();
    let backend = fresh(dir.path());
    backend.prepare(b"(module (func (export \"a\")))").unwrap();
    backend.prepare(b"(module (func (export \"b\")))").unwrap();
    assert_eq!(backend.cache_stats().compiles, 2);
    assert_eq!(cwasm_files(dir.path()).len(), 2);
}

#[test]
fn corrupted_truncated_or_foreign_cache_files_are_recompiled_and_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = guest("abi.wat");
    fresh(dir.path()).prepare(&bytes).unwrap();
    let file = cwasm_files(dir.path()).remove(0);
    let good = std::fs::read(&file).unwrap();

    // The payload is not hashed on each hit (wasmtime checks its own header); the
    // trailer binds the file to its module and engine.
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let damaged: [(&str, Vec<u8>, u32); 5] = [
        ("a flipped byte in the trailer's key", flipped, 0o644),
        ("a truncated file", good[..good.len() - 100].to_vec(), 0o644),
        ("an empty file", Vec::new(), 0o644),
        (
            "a foreign file",
            b"\0asm not really a cwasm".to_vec(),
            0o644,
        ),
        ("an intact file others may write", good.clone(), 0o666),
    ];
    for (what, contents, mode) in damaged {
        std::fs::write(&file, contents).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let backend = fresh(dir.path());
        assert_eq!(
            backend.prepare(&bytes).unwrap(),
            CacheSource::Compiled,
            "{what}"
        );
        let stats = backend.cache_stats();
        assert_eq!((stats.compiles, stats.disk_hits), (1, 0), "{what}");
        assert_eq!(stats.disk_rejects, 1, "{what}");
        // The file was rewritten with a good copy, which the next backend uses.
        assert_eq!(std::fs::read(&file).unwrap().len(), good.len(), "{what}");
        assert_eq!(
            fresh(dir.path()).prepare(&bytes).unwrap(),
            CacheSource::Disk,
            "{what}"
        );
    }
}

#[test]
fn a_known_file_is_a_memory_hit_until_it_is_rewritten_even_to_the_same_size() {
    let dir = tempfile::tempdir().unwrap();
    let backend = fresh(dir.path());
    let module = dir.path().join("m.wat");
    std::fs::write(&module, "(module (func (export \"a\")))").unwrap();
    assert_eq!(
        backend.prepare_file(&module).unwrap(),
        CacheSource::Compiled
    );
    assert_eq!(backend.prepare_file(&module).unwrap(), CacheSource::Memory);
    // Same length, other contents: the file's identity changed, so it is read again.
    std::fs::write(&module, "(module (func (export \"b\")))").unwrap();
    assert_eq!(
        backend.prepare_file(&module).unwrap(),
        CacheSource::Compiled
    );
    let opened = backend.open_module(&module).unwrap();
    assert_eq!(opened.exports(), ["b: (type (func))"]);
}

#[test]
fn a_new_backend_finds_a_known_file_on_disk_by_its_recorded_digest_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (a, b) = (dir.path().join("a.wat"), dir.path().join("b.wat"));
    std::fs::write(&a, "(module (func (export \"a\")))").unwrap();
    std::fs::write(&b, "(module (func (export \"b\")))").unwrap();
    let first = fresh(&cache);
    first.prepare_file(&a).unwrap();
    first.prepare_file(&b).unwrap();
    assert_eq!(fresh(&cache).prepare_file(&a).unwrap(), CacheSource::Disk);

    // Each file's digest is recorded under its identity: swapping the two records makes
    // a new backend open b's module for a, which shows it neither read nor hashed a.
    let records: Vec<PathBuf> = std::fs::read_dir(cache.join("files"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(records.len(), 2);
    let (r0, r1) = (
        std::fs::read_link(&records[0]).unwrap(),
        std::fs::read_link(&records[1]).unwrap(),
    );
    for (record, target) in [(&records[0], r1), (&records[1], r0)] {
        std::fs::remove_file(record).unwrap();
        std::os::unix::fs::symlink(target, record).unwrap();
    }
    assert_eq!(
        fresh(&cache).open_module(&a).unwrap().exports(),
        ["b: (type (func))"]
    );

    // A rewritten file has another identity: read, hashed and recorded again.
    std::fs::write(&a, "(module (func (export \"c\")))").unwrap();
    let restarted = fresh(&cache);
    assert_eq!(restarted.prepare_file(&a).unwrap(), CacheSource::Compiled);
    assert_eq!(
        restarted.open_module(&a).unwrap().exports(),
        ["c: (type (func))"]
    );
    assert_eq!(fresh(&cache).prepare_file(&a).unwrap(), CacheSource::Disk);
}

#[test]
fn loading_a_plugin_goes_through_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let backend = fresh(dir.path());
    for i in 0..2 {
        let plugin_dir = common::plugin_dir(
            serde_json::json!({
                "name": format!("p{i}"), "version": "1.0.0",
                "interop": {"protocol": "wasm", "wasmPath": "abi.wat"},
                "actions": [{"name": "echo"}]
            }),
            &[("abi.wat", &guest("abi.wat"))],
        );
        common::load(&backend, plugin_dir);
    }
    let stats = backend.cache_stats();
    assert_eq!((stats.compiles, stats.memory_hits), (1, 1));
}

#[test]
fn an_invalid_module_is_a_parse_error_naming_the_file() {
    let (backend, _cache) = common::backend();
    let dir = common::plugin_dir(
        serde_json::json!({
            "name": "broken", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": "broken.wasm"},
            "actions": [{"name": "echo"}]
        }),
        &[("broken.wasm", b"\0asm\x01\0\0\0garbage")],
    );
    let services = interop_sandbox::HostServices::new(
        interop_sandbox::Policy::from_manifest(&dir.loaded).unwrap(),
    );
    let err = backend.load_plugin(&dir.loaded, services).unwrap_err();
    assert_eq!(err.kind, interop_protocol::ErrorKind::Parse, "{err}");
    assert!(err.message.contains("broken.wasm"), "{err}");
    assert_eq!(err.plugin.as_deref(), Some("broken"));
}
