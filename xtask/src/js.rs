//! Steps of the js backend: toolchains to install, sample plugins to build, demo to run.

use anyhow::Result;

/// Installs what the js sample plugins and tests need (idempotent).
pub fn setup() -> Result<()> {
    Ok(())
}

/// Builds the js sample plugins.
pub fn build_plugins() -> Result<()> {
    Ok(())
}

/// Shows the js backend with the `interop` binary at `interop`.
pub fn demo(_interop: &str) -> Result<()> {
    Ok(())
}
