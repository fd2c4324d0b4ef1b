//! Finding libnode and loading the V8 shim at run time.
//!
//! The shim is compiled by `build.rs` and embedded in this crate, so a binary depends on
//! no file of the build tree: at first use, libnode is loaded (globally, so that the
//! shim's V8 symbols resolve against it) from the first of
//!
//! 1. `INTEROP_LIBNODE`: the path of the library itself;
//! 2. `INTEROP_LIBNODE_DIR`: a root as Debian unpacks it (`usr/lib/**/libnode.so.108`);
//! 3. the system's library path (`libnode.so.108` by soname: `apt-get install
//!    libnode108`, `LD_LIBRARY_PATH`);
//! 4. the user's data directory, `~/.local/share/interop/libnode` (where `cargo xtask
//!    setup` unpacks it);
//!
//! and then the shim is loaded from memory (a sealed `memfd`), or from a file in the
//! user's cache directory, named by its content, where `memfd_create` is unavailable.
//! `INTEROP_JS_SHIM` names another shim file to load instead (for shim development).

use std::ffi::{c_void, CString};
use std::path::{Path, PathBuf};

/// The shim as built for this crate.
static SHIM: &[u8] = include_bytes!(env!("INTEROP_JS_SHIM"));

/// The soname of the libnode the shim was built against.
const LIBNODE: &str = "libnode.so.108";

/// A loaded library (never unloaded: V8 lives until the process ends).
pub(crate) struct Library(*mut c_void);

// SAFETY: a dlopen handle may be used from any thread; dlsym is thread-safe.
unsafe impl Send for Library {}
// SAFETY: as above.
unsafe impl Sync for Library {}

impl Library {
    /// The address of `name` in the library.
    pub(crate) fn symbol(&self, name: &str) -> Option<*mut c_void> {
        let c = CString::new(name).ok()?;
        // SAFETY: a valid handle and C string.
        let p = unsafe { libc::dlsym(self.0, c.as_ptr()) };
        (!p.is_null()).then_some(p)
    }
}

/// Loads libnode, then the shim; the error says everywhere libnode was looked for.
pub(crate) fn load() -> Result<Library, String> {
    load_libnode()?;
    match std::env::var_os("INTEROP_JS_SHIM") {
        Some(path) => open(Path::new(&path), libc::RTLD_LOCAL),
        None => load_embedded_shim(),
    }
}

fn load_libnode() -> Result<Library, String> {
    let mut tried = Vec::new();
    for candidate in libnode_candidates() {
        match open(&candidate, libc::RTLD_GLOBAL) {
            Ok(lib) => {
                tracing::debug!(libnode = %candidate.display(), "V8 loaded");
                return Ok(lib);
            }
            Err(e) => tried.push(format!("  {}: {e}", candidate.display())),
        }
    }
    Err(format!(
        "V8 is not available: {LIBNODE} (Debian's libnode108) was not found:\n{}\n\
         install it with `interop setup js` (into \
         ~/.local/share/interop/libnode) or `apt-get install libnode108`, or point \
         INTEROP_LIBNODE at the library",
        tried.join("\n")
    ))
}

fn libnode_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("INTEROP_LIBNODE") {
        candidates.push(PathBuf::from(path));
    }
    if let Some(root) = std::env::var_os("INTEROP_LIBNODE_DIR") {
        candidates.extend(find_under(&PathBuf::from(root)));
    }
    // By soname: the system's search path.
    candidates.push(PathBuf::from(LIBNODE));
    if let Some(data) = dirs::data_dir() {
        candidates.extend(find_under(&data.join("interop/libnode")));
    }
    candidates
}

/// `root/usr/lib/libnode.so.108` or `root/usr/lib/<arch>/libnode.so.108`, if there.
fn find_under(root: &Path) -> Option<PathBuf> {
    let base = root.join("usr/lib");
    let mut dirs = vec![base.clone()];
    if let Ok(entries) = std::fs::read_dir(&base) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.into_iter()
        .map(|d| d.join(LIBNODE))
        .find(|p| p.is_file())
}

fn load_embedded_shim() -> Result<Library, String> {
    match memfd_with(SHIM) {
        Ok(fd) => {
            // The loader knows a library by the name it was opened with and hands out the
            // one it has for a name it knows: were this descriptor closed, the next library
            // opened as `/proc/self/fd/<same number>` (interop-ffi loads native plugins so)
            // would be taken for the shim. So it stays open, as the shim stays loaded,
            // for the life of the process.
            open(
                &PathBuf::from(format!("/proc/self/fd/{fd}")),
                libc::RTLD_LOCAL,
            )
        }
        Err(e) => {
            tracing::debug!("memfd_create failed ({e}): loading the V8 shim from a file");
            open(&cached_file()?, libc::RTLD_LOCAL)
        }
    }
}

/// A sealed in-memory file holding `bytes`.
fn memfd_with(bytes: &[u8]) -> std::io::Result<libc::c_int> {
    use std::io::Write;
    use std::os::fd::{FromRawFd, IntoRawFd};
    // SAFETY: a static C string and flags.
    let fd = unsafe {
        libc::memfd_create(
            c"interop-js-shim".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is ours, just created.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(bytes)?;
    let fd = file.into_raw_fd();
    // SAFETY: fcntl on our own descriptor; sealing is best effort.
    unsafe {
        libc::fcntl(
            fd,
            libc::F_ADD_SEALS,
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
        )
    };
    Ok(fd)
}

/// The shim written once to the user's cache directory, named by a digest of its bytes
/// (so that two versions never share a file), replaced atomically.
fn cached_file() -> Result<PathBuf, String> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    SHIM.hash(&mut hasher);
    let dir = dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("interop");
    let path = dir.join(format!("v8-shim-{:016x}.so", hasher.finish()));
    if std::fs::read(&path).is_ok_and(|bytes| bytes == SHIM) {
        return Ok(path);
    }
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!("v8-shim-{}.tmp", std::process::id()));
        std::fs::write(&tmp, SHIM)?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("cannot write the V8 shim to {}: {e}", path.display()))?;
    Ok(path)
}

fn open(path: &Path, scope: libc::c_int) -> Result<Library, String> {
    let c_path = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| format!("{} contains a NUL byte", path.display()))?;
    // SAFETY: loading libnode or the shim built for it; RTLD_NOW surfaces missing symbols
    // here rather than at a later call.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | scope) };
    if handle.is_null() {
        return Err(dlerror());
    }
    Ok(Library(handle))
}

fn dlerror() -> String {
    // SAFETY: dlerror returns a thread-local C string or null.
    let e = unsafe { libc::dlerror() };
    if e.is_null() {
        "unknown error".into()
    } else {
        // SAFETY: non-null C string from dlerror.
        unsafe { std::ffi::CStr::from_ptr(e) }
            .to_string_lossy()
            .into_owned()
    }
}
