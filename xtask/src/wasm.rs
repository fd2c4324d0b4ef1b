//! Steps of the wasm backend: toolchains to install, sample plugins to build, demo to run.

use anyhow::Result;

/// Installs what the wasm sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    Ok(())
}

/// Builds the wasm sample plugins.
pub fn build_plugins() -> Result<()> {
    Ok(())
}

/// Shows the wasm backend with the `interop` binary at `interop`.
pub fn demo(_interop: &str) -> Result<()> {
    Ok(())
}
