//! Shared by the integration tests: paths of the sample plugins, built if missing.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn include_dir() -> PathBuf {
    repo().join("examples/include")
}

static BUILD: Mutex<()> = Mutex::new(());

/// Compiles C `source` into the shared library `output` with `cc`.
pub fn cc_shared(source: &Path, output: &Path) {
    if let Some(parent) = output.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args([
            "-shared", "-fPIC", "-O2", "-std=c11", "-Wall", "-Werror", "-I",
        ])
        .arg(include_dir())
        .arg("-o")
        .arg(output)
        .arg(source)
        .status()
        .unwrap_or_else(|e| panic!("cannot run `{cc}` ({e}): run cargo xtask setup"));
    assert!(status.success(), "compiling {} failed", source.display());
}

/// The manifest of sample plugin `name`, building its library first if it is missing
/// (the same commands as `cargo xtask build-plugins`).
pub fn sample(name: &str) -> PathBuf {
    let dir = repo().join("examples/plugins").join(name);
    let _guard = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    match name {
        "rust-native-greeter" => {
            let lib = dir.join("target/release/librust_native_greeter.so");
            if !lib.exists() {
                let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
                let status = Command::new(cargo)
                    .args(["build", "--release", "--quiet", "--manifest-path"])
                    .arg(dir.join("Cargo.toml"))
                    .env("CARGO_TARGET_DIR", dir.join("target"))
                    .status()
                    .expect("cannot run cargo: run cargo xtask build-plugins");
                assert!(status.success(), "run cargo xtask build-plugins");
            }
        }
        "c-native-greeter" => {
            let lib = dir.join("build/libc_native_greeter.so");
            if !lib.exists() {
                cc_shared(&dir.join("greeter.c"), &lib);
            }
        }
        "native-segfault" => {
            let lib = dir.join("build/libnative_segfault.so");
            if !lib.exists() {
                cc_shared(&dir.join("segfault.c"), &lib);
            }
        }
        other => panic!("no sample plugin `{other}`"),
    }
    dir.join("plugin.json")
}
