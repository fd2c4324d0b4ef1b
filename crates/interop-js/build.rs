//! Builds the C++ shim as a shared library against the V8 headers of Debian's libnode
//! (unpacked by `cargo xtask setup` into `<workspace>/.tools/libnode`, or
//! `INTEROP_LIBNODE_DIR`), linked to `libnode.so.108` with an rpath to it.
//!
//! The crate loads the shim with `dlopen` at run time (its path is compiled in as
//! `INTEROP_JS_SHIM`), so that binaries depending on interop-js need no link arguments or
//! rpath of their own: cargo does not pass a library's link arguments on to them.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=INTEROP_LIBNODE_DIR");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = std::env::var_os("INTEROP_LIBNODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // <workspace>/crates/interop-js -> <workspace>/.tools/libnode
            let workspace = manifest_dir
                .parent()
                .and_then(Path::parent)
                .unwrap_or(&manifest_dir);
            workspace.join(".tools/libnode")
        });
    let root = root.canonicalize().unwrap_or(root);
    let include = root.join("usr/include/node");
    let Some(lib) = find_lib_dir(&root).filter(|_| include.join("v8.h").is_file()) else {
        panic!(
            "libnode not found at {} (expected usr/include/node/v8.h and \
             usr/lib/*/libnode.so.108); run `cargo xtask setup` (or set INTEROP_LIBNODE_DIR)",
            root.display()
        );
    };
    println!(
        "cargo:rerun-if-changed={}",
        lib.join("libnode.so.108").display()
    );
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let shim = out_dir.join("libinterop_js_shim.so");
    // The C++ compiler cc would use (honours CXX), driven directly for a shared library.
    let compiler = cc::Build::new()
        .cpp(true)
        .cargo_metadata(false)
        .get_compiler();
    let mut cmd = compiler.to_command();
    cmd.args(["-std=c++17", "-O2", "-fPIC", "-shared", "-fno-rtti"])
        .arg("-Wno-unused-parameter")
        .arg("-I")
        .arg(&include)
        .arg("shim/shim.cc")
        .arg("-o")
        .arg(&shim)
        .arg(format!("-L{}", lib.display()))
        .arg("-l:libnode.so.108")
        .arg(format!("-Wl,-rpath,{}", lib.display()));
    let status = run(cmd);
    if !status {
        panic!(
            "compiling shim/shim.cc against {} failed",
            include.display()
        );
    }
    println!("cargo:rustc-env=INTEROP_JS_SHIM={}", shim.display());
}

fn run(mut cmd: Command) -> bool {
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => {
            eprintln!("cannot run the C++ compiler: {e}");
            false
        }
    }
}

fn find_lib_dir(root: &Path) -> Option<PathBuf> {
    let base = root.join("usr/lib");
    let mut dirs = vec![base.clone()];
    if let Ok(entries) = std::fs::read_dir(&base) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.into_iter()
        .find(|d| d.join("libnode.so.108").is_file())
}
