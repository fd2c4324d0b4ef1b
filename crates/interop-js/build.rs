//! Compiles the C++ shim against the V8 headers of Debian's libnode (unpacked by
//! `cargo xtask setup` into `<workspace>/.tools/libnode`, or `INTEROP_LIBNODE_DIR`) and
//! links `libnode.so` with an rpath to it.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=shim/shim.cc");
    println!("cargo:rerun-if-env-changed=INTEROP_LIBNODE_DIR");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = std::env::var_os("INTEROP_LIBNODE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir.join("../../.tools/libnode"));
    let include = root.join("usr/include/node");
    let lib = find_lib_dir(&root);
    let Some(lib) = lib.filter(|_| include.join("v8.h").is_file()) else {
        eprintln!(
            "error: libnode not found at {} (expected usr/include/node/v8.h and \
             usr/lib/*/libnode.so.108); run `cargo xtask setup` (or set INTEROP_LIBNODE_DIR)",
            root.display()
        );
        panic!(
            "libnode not found at {}; run `cargo xtask setup`",
            root.display()
        );
    };
    println!(
        "cargo:rerun-if-changed={}",
        lib.join("libnode.so.108").display()
    );
    cc::Build::new()
        .cpp(true)
        .std("c++17")
        .file("shim/shim.cc")
        .include(&include)
        .flag_if_supported("-Wno-unused-parameter")
        .flag_if_supported("-fno-rtti")
        .compile("interop_js_shim");
    println!("cargo:rustc-link-search=native={}", lib.display());
    // libnode.so.108 directly: the unversioned libnode.so link is only in libnode-dev.
    println!("cargo:rustc-link-arg=-l:libnode.so.108");
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    println!("cargo:rustc-link-lib=stdc++");
}

fn find_lib_dir(root: &Path) -> Option<PathBuf> {
    let base = root.join("usr/lib");
    let mut dirs = vec![base.clone()];
    if let Ok(entries) = std::fs::read_dir(&base) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.into_iter()
        .find(|d| d.join("libnode.so.108").is_file())
        .map(|d| d.canonicalize().unwrap_or(d))
}
