//! `interop call` answers `greet` identically for the greeter as a core module and as
//! WebAssembly components in Rust, Python and JavaScript (docs/components.md).
//!
//! The samples are built by `cargo xtask build-plugins`. The components are compiled once
//! into the wasm backend's disk cache (the default directory, shared with the
//! interop-wasm tests), so later runs load them in milliseconds.

use crate::common;

use common::{interop, text};

const COMPONENTS: &[&str] = &[
    "rust-component-greeter",
    "python-component-greeter",
    "js-component-greeter",
];

/// What `interop call <sample> greet --input '"World"'` prints, after checking it
/// succeeded.
fn greet(sample: &str) -> String {
    let dir = format!("examples/plugins/{sample}");
    let out = interop(&["call", &dir, "greet", "--input", "\"World\""]);
    assert!(
        out.status.success(),
        "{sample}: {} (the samples are built by cargo xtask build-plugins)",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn components_greet_like_the_core_module_greeter() {
    let core = greet("rust-greeter");
    assert_eq!(core.trim_end(), "Hello, World!");
    for sample in COMPONENTS {
        assert_eq!(greet(sample), core, "{sample}");
    }
}
