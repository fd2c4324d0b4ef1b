//! Builds the C++ shim (`shim/`) as a shared library against the V8 headers of Debian's
//! libnode (Node 18, V8 10.2; `libnode-dev`).
//!
//! The shim is embedded in the crate (`include_bytes!`) and loaded at run time from memory
//! (see `src/engine.rs`), after libnode itself is found by the run-time search order. So
//! nothing compiled into a binary points into `target/` or into this checkout: a binary
//! copied elsewhere, or installed, runs JavaScript wherever libnode is installed.
//!
//! Where the headers and the library are looked for, in order:
//! 1. `INTEROP_LIBNODE_DIR`: a root holding `usr/include/node/v8.h` and
//!    `usr/lib/**/libnode.so.108` (as a Debian package unpacks);
//! 2. the system: `/usr/include/node` with `libnode.so.108` in a system library directory
//!    (`apt-get install libnode-dev`);
//! 3. the user's data directory, `~/.local/share/interop/libnode` (or under
//!    `$XDG_DATA_HOME`), where `interop setup js` (and `cargo xtask setup`)
//!    unpacks them;
//! 4. `.tools/libnode` of the workspace (older setups).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The soname the shim links against (Debian's libnode108).
const LIBNODE: &str = "libnode.so.108";

fn main() {
    println!("cargo:rerun-if-changed=shim");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=INTEROP_LIBNODE_DIR");
    println!("cargo:rerun-if-env-changed=XDG_DATA_HOME");
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let candidates = candidates(&manifest_dir);
    let Some((include, lib)) = candidates.iter().find_map(|root| found(root)) else {
        let tried: Vec<String> = candidates
            .iter()
            .map(|c| format!("  {}", c.display()))
            .collect();
        panic!(
            "the V8 headers and {LIBNODE} (Debian's libnode-dev and libnode108) were not \
             found in:\n{}\nInstall them with `interop setup js` (an `interop` built without \
             this feature does it: `cargo install interop-cli --no-default-features \
             --features wasm,ffi,ipc`), or `cargo xtask setup` in the interop repository, \
             or `apt-get install libnode-dev`; or set INTEROP_LIBNODE_DIR; or build \
             without the `js` feature.",
            tried.join("\n")
        );
    };
    println!("cargo:rerun-if-changed={}", lib.join(LIBNODE).display());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let shim = out_dir.join("libinterop_js_shim.so");
    // The C++ compiler cc would use (honours CXX), driven directly for a shared library.
    let compiler = cc::Build::new()
        .cpp(true)
        .cargo_metadata(false)
        .get_compiler();
    let mut cmd = compiler.to_command();
    cmd.args(["-std=c++17", "-O2", "-fPIC", "-shared", "-fno-rtti", "-s"])
        .arg("-Wno-unused-parameter")
        .arg("-I")
        .arg(&include)
        .arg("shim/shim.cc")
        .arg("-o")
        .arg(&shim)
        // Needed by soname only: the run time loads libnode first, from wherever it is.
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-l:{LIBNODE}"));
    if !run(cmd) {
        panic!(
            "compiling shim/shim.cc against {} failed",
            include.display()
        );
    }
    println!("cargo:rustc-env=INTEROP_JS_SHIM={}", shim.display());
}

/// The roots searched, in order (see the module docs).
fn candidates(manifest_dir: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(dir) = std::env::var_os("INTEROP_LIBNODE_DIR") {
        roots.push(PathBuf::from(dir));
    }
    roots.push(PathBuf::from("/"));
    if let Some(data) = dirs::data_dir() {
        roots.push(data.join("interop/libnode"));
    }
    // <workspace>/crates/interop-js -> <workspace>/.tools/libnode
    if let Some(workspace) = manifest_dir.parent().and_then(Path::parent) {
        roots.push(workspace.join(".tools/libnode"));
    }
    roots
}

/// The include and library directories under `root`, if both are there.
fn found(root: &Path) -> Option<(PathBuf, PathBuf)> {
    let include = root.join("usr/include/node");
    if !include.join("v8.h").is_file() {
        return None;
    }
    let base = root.join("usr/lib");
    let mut dirs = vec![base.clone()];
    if let Ok(entries) = std::fs::read_dir(&base) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    let lib = dirs.into_iter().find(|d| d.join(LIBNODE).is_file())?;
    Some((include, lib))
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
