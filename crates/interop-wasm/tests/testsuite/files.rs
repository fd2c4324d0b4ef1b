//! The module file a manifest or a caller names is untrusted: a FIFO or a device is
//! refused at once instead of blocking the host, and a file too large to be a module is
//! refused before it is read.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use common::backend;
use interop_protocol::{ErrorKind, PluginError};
use interop_sandbox::{HostServices, Policy};
use interop_wasm::WasmBackend;
use serde_json::json;

/// Runs `f` on its own thread and fails the test if it has not answered within 10 s
/// (the thread is left behind: it is blocked, which is what the test is about).
fn answers_promptly<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the backend blocked on the file instead of refusing it")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Every way the backend opens a module file, each tried on `path`.
fn open_every_way(backend: WasmBackend, path: PathBuf) -> Vec<PluginError> {
    let dir = path.parent().unwrap().to_path_buf();
    let plugin = common::plugin_dir(
        json!({
            "name": "fifo", "version": "1.0.0",
            "interop": {"protocol": "wasm", "wasmPath": path.file_name().unwrap().to_str().unwrap()},
            "actions": [{"name": "run"}]
        }),
        &[],
    );
    // The manifest's directory is a fresh one: put the file there under the same name.
    let target = plugin.dir.path().join(path.file_name().unwrap());
    std::fs::rename(&path, &target).unwrap();
    let services = || HostServices::new(Policy::new("fifo", &dir));
    vec![
        common::try_load(&backend, &plugin).unwrap_err(),
        backend.open_module(&target).unwrap_err(),
        backend.run_command(&target, &[], services()).unwrap_err(),
    ]
}

#[test]
fn a_fifo_as_the_module_is_refused_at_once() {
    let (backend, _cache) = backend();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("module.wasm");
    mkfifo(&fifo);
    for err in answers_promptly(move || open_every_way(backend, fifo)) {
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
        assert!(
            err.message.contains("module.wasm") && err.message.contains("FIFO"),
            "{err}"
        );
    }
}

#[test]
fn a_module_file_over_the_size_limit_is_refused_before_it_is_read() {
    let (backend, _cache) = backend();
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge.wasm");
    // Sparse: 4 GiB that take no disk space, and would take 4 GiB of memory to read.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(4 << 30)
        .unwrap();
    for err in answers_promptly(move || open_every_way(backend, huge)) {
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
        assert!(
            err.message.contains("huge.wasm") && err.message.contains("4294967296 bytes"),
            "{err}"
        );
    }
}
