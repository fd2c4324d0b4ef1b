//! C for wasm guests and native plugins: Debian's clang, lld, llvm, wasi-libc and the
//! wasm32 compiler-rt builtins (`clang --target=wasm32-wasi --sysroot=/usr`), and the
//! guest headers (`interop.h`, `interop_plugin.h`) written into `<data>/include`.

use crate::{apt, helpers, Report, Setup, SetupError};

/// The Debian packages of C guests.
const PACKAGES: &[&str] = &[
    "clang",
    "lld",
    "llvm",
    "wasi-libc",
    "libclang-rt-dev-wasm32",
];

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let include = setup.dir("include");
    let stale: Vec<_> = helpers::C_HEADERS
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(include.join(name)).ok().as_deref() != Some(*text)
        })
        .collect();
    let missing = apt::missing(PACKAGES);
    if stale.is_empty() && missing.is_empty() {
        return Ok(Report::present("c", "clang + wasi-libc, headers", &include));
    }
    if !missing.is_empty() {
        setup
            .progress
            .step(&format!("c: installing {}", missing.join(" ")), || {
                apt::install("c", &missing)
            })?;
    }
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| SetupError::Io {
            component: "c",
            path,
            source,
        }
    };
    std::fs::create_dir_all(&include).map_err(io(&include))?;
    for (name, text) in stale {
        let path = include.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    Ok(Report::installed(
        "c",
        "clang + wasi-libc, headers",
        &include,
    ))
}
