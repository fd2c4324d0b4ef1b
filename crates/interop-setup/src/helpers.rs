//! The guest helpers, carried in the binary so that `interop new` and `interop setup c`
//! can write them anywhere: the Go package, the AssemblyScript module, the C headers and
//! the WIT world of components. Their sources live in this crate (`pdk/`, `include/`), so
//! that the published crate carries them (`examples/pdk` and `examples/include` link here
//! for the sample plugins), and in interop-wasm's `wit/`; the Rust helper is the
//! `interop-pdk` crate.

/// The Go guest helper: a module (`example.invalid/interop`) of two files, used with a
/// `replace example.invalid/interop => ./interop` directive.
pub const GO: [(&str, &str); 2] = [
    ("go.mod", include_str!("../pdk/go/interop/go.mod")),
    ("interop.go", include_str!("../pdk/go/interop/interop.go")),
];

/// The AssemblyScript guest helper, `interop.ts`.
pub const ASSEMBLYSCRIPT: &str = include_str!("../pdk/assemblyscript/interop.ts");

/// The C guest helper for wasm guests, `interop.h` (header only).
pub const C_WASM: &str = include_str!("../pdk/c/interop.h");

/// The native plugin ABI for C, `interop_plugin.h`.
pub const C_NATIVE: &str = include_str!("../include/interop_plugin.h");

/// The C headers by file name, as `interop setup c` installs them.
pub const C_HEADERS: [(&str, &str); 2] = [("interop.h", C_WASM), ("interop_plugin.h", C_NATIVE)];

/// The interop WIT world (`wit/plugin.wit`, package `interop:plugin`) that component
/// plugins are built against; `interop new` copies it into a component project. Its
/// source is interop-wasm's `wit/`, which the host is generated from; this crate's `wit`
/// links to it (as the root `wit` does), so the packaged crate carries the file.
pub const WIT_PLUGIN: &str = include_str!("../wit/plugin.wit");
