//! Steps of the ipc backend: toolchains to install, sample plugins to build, demo to run.

use anyhow::Result;

/// Installs what the ipc sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    Ok(())
}

/// Builds the ipc sample plugins.
pub fn build_plugins() -> Result<()> {
    Ok(())
}

/// Shows the ipc backend with the `interop` binary at `interop`.
pub fn demo(_interop: &str) -> Result<()> {
    Ok(())
}
