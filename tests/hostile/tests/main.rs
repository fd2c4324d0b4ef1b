//! The hostile suite: `cargo test -p interop-hostile` (or the whole workspace's tests)
//! runs every case and prints the counts per backend. `cargo test -p interop-hostile --
//! <text>` runs the cases whose name or backend contains `<text>`.
//!
//! Each backend's cases live in their own module; see the harness (`src/lib.rs`) for the
//! checks every case gets.

mod extism;
mod ffi;
mod fs;
mod js;
mod manifest;
mod process;
mod wasm;

fn main() -> std::process::ExitCode {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let mut cases = Vec::new();
    cases.extend(wasm::cases());
    cases.extend(extism::cases());
    cases.extend(ffi::cases());
    cases.extend(manifest::cases());
    cases.extend(fs::cases());
    cases.extend(process::cases());
    cases.extend(js::cases());
    if interop_hostile::run_all(cases, filter.as_deref()) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}
