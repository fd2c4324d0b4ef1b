//! Go for wasm guests: standard Go >= 1.24 builds reactor modules for wasip1
//! (`//go:wasmexport`). Debian's `golang-1.26-go` and `golang-1.26-src` from
//! trixie-backports are unpacked into `<data>/go` with a private apt configuration (the
//! system's sources are left alone). Not TinyGo: it is in no registry we can reach.

use std::path::PathBuf;

use crate::{apt, Report, Setup, SetupError};

/// The Debian suite Go comes from (bookworm-backports stops at Go 1.23).
const SOURCES: &str = "deb http://deb.debian.org/debian trixie-backports main";
/// The packages unpacked.
const PACKAGES: &[&str] = &["golang-1.26-go", "golang-1.26-src"];

/// The GOROOT of the Go that `setup` unpacks (`bin/go` is the compiler).
pub fn go_root(setup: &Setup) -> PathBuf {
    setup.dir("go").join("usr/lib/go-1.26")
}

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let root = go_root(setup);
    let go = root.join("bin/go");
    if go.is_file() && root.join("src/runtime").is_dir() {
        return Ok(Report::present("go", "Go 1.26", &root));
    }
    let dest = setup.dir("go");
    setup.progress.step(
        &format!(
            "go: downloading {} from Debian trixie-backports into {}",
            PACKAGES.join(" + "),
            dest.display()
        ),
        || apt::fetch_unpack("go", PACKAGES, &dest, Some(SOURCES)),
    )?;
    if !go.is_file() {
        return Err(SetupError::Incomplete {
            component: "go",
            dir: dest,
            missing: go,
        });
    }
    Ok(Report::installed("go", "Go 1.26", &root))
}
