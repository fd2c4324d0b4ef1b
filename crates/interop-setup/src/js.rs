//! V8 for the js backend: Debian's `libnode108` (Node 18.20, V8 10.2) and its headers
//! (`libnode-dev`), downloaded and unpacked into `<data>/libnode` rather than installed
//! (`apt-get install libnode-dev` conflicts with a machine's Node 20); interop-js's build
//! script finds the headers there and every interop binary finds the library there at run
//! time. Only libnode's runtime dependencies are installed system-wide.

use crate::{apt, Report, Setup, SetupError};

/// The shared libraries libnode108 links against, as Debian (bookworm) packages.
const RUNTIME_DEPS: &[&str] = &[
    "libuv1",
    "libc-ares2",
    "zlib1g",
    "libbrotli1",
    "libnghttp2-14",
    "libssl3",
    "libicu72",
    "libstdc++6",
];

/// The library and the header that say libnode is unpacked, below `<data>/libnode`.
const LIBRARY: &str = "usr/lib/x86_64-linux-gnu/libnode.so.108";
const HEADER: &str = "usr/include/node/v8.h";

pub(crate) fn install(setup: &Setup) -> Result<Report, SetupError> {
    let dest = setup.dir("libnode");
    let (lib, header) = (dest.join(LIBRARY), dest.join(HEADER));
    let deps = apt::missing(RUNTIME_DEPS);
    if lib.is_file() && header.is_file() && deps.is_empty() {
        return Ok(Report::present("js", "libnode (V8 10.2)", &dest));
    }
    if !deps.is_empty() {
        setup.progress.step(
            &format!("js: installing libnode's libraries ({})", deps.join(" ")),
            || apt::install("js", &deps),
        )?;
    }
    if !lib.is_file() || !header.is_file() {
        setup.progress.step(
            &format!(
                "js: downloading libnode108 + libnode-dev (V8 10.2) from Debian into {}",
                dest.display()
            ),
            || apt::fetch_unpack("js", &["libnode108", "libnode-dev"], &dest, None),
        )?;
        for file in [lib, header] {
            if !file.is_file() {
                return Err(SetupError::Incomplete {
                    component: "js",
                    dir: dest,
                    missing: file,
                });
            }
        }
    }
    Ok(Report::installed("js", "libnode (V8 10.2)", &dest))
}
