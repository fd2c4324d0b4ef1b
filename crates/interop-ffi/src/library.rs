//! Opening shared libraries, by path or by short name (`c`, `m`, `z`).
//!
//! A short name is resolved as the platform's linker would name it: on Linux
//! `lib<name>.so` first (present when the `-dev` package is installed; for libc it is a
//! linker script, which the loader refuses, so the search goes on), then the versioned
//! files `lib<name>.so.<N>` found in the standard library directories and
//! `LD_LIBRARY_PATH`, shortest (the soname) first. On macOS `lib<name>.dylib`, on Windows
//! `<name>.dll`.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{FfiError, Function, Type};

/// An open shared library. Cheap to clone; the library stays loaded while any clone or any
/// [`Function`] taken from it is alive.
#[derive(Clone)]
pub struct Library {
    inner: Arc<libloading::Library>,
    name: String,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("name", &self.name).finish()
    }
}

impl Library {
    /// Opens a library by path (anything with a `/` or a `.so`/`.dylib`/`.dll` name) or by
    /// short name (`c`, `m`, `z`).
    ///
    /// # Safety
    /// Opening a library runs its initialisers, and those of the libraries it needs, in
    /// this process: the caller must trust the library (the file a short name resolves to
    /// depends on the loader's search path, e.g. `LD_LIBRARY_PATH`) as much as its own
    /// code. Libraries this process has loaded already (`c`, `m`) run nothing new.
    pub unsafe fn open(name: &str) -> Result<Library, FfiError> {
        if looks_like_file(name) {
            // SAFETY: the caller's contract.
            return unsafe { Self::open_path(Path::new(name)) };
        }
        let mut tried = Vec::new();
        for candidate in candidates(name) {
            // SAFETY: loading runs the library's initialisers, which the caller trusts.
            match unsafe { libloading::Library::new(&candidate) } {
                Ok(lib) => {
                    tracing::debug!(library = name, file = %candidate.display(), "opened");
                    return Ok(Library {
                        inner: Arc::new(lib),
                        name: candidate.display().to_string(),
                    });
                }
                Err(e) => tried.push(format!("{} ({})", candidate.display(), source_text(&e))),
            }
        }
        Err(FfiError::LibraryNotFound {
            name: name.to_owned(),
            tried,
        })
    }

    /// Opens the library file at `path` (a bare file name is searched by the loader).
    ///
    /// # Safety
    /// As for [`Library::open`].
    pub unsafe fn open_path(path: &Path) -> Result<Library, FfiError> {
        // SAFETY: loading runs the library's initialisers, which the caller trusts.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| FfiError::Load {
            path: path.to_owned(),
            message: source_text(&e),
        })?;
        Ok(Library {
            inner: Arc::new(lib),
            name: path.display().to_string(),
        })
    }

    /// The file the library was loaded from.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The address of `symbol`.
    pub fn symbol(&self, symbol: &str) -> Result<*const c_void, FfiError> {
        let missing = || FfiError::MissingSymbol {
            library: self.name.clone(),
            symbol: symbol.to_owned(),
        };
        if symbol.contains('\0') {
            return Err(missing());
        }
        // SAFETY: the symbol is read as an opaque address, never called through this type.
        let sym =
            unsafe { self.inner.get::<*const c_void>(symbol.as_bytes()) }.map_err(|_| missing())?;
        let addr = *sym;
        if addr.is_null() {
            return Err(missing());
        }
        Ok(addr)
    }

    /// Declares the C function `name` as `ret name(args...)`; see [`Type`] for how each
    /// declared type maps to C parameters.
    ///
    /// Declaring is safe; calling is not ([`Function::call`] is `unsafe`): interop cannot
    /// check the declaration against the library (C symbols carry no types), so a wrong
    /// declaration is undefined behaviour, exactly as in C.
    pub fn func(&self, name: &str, ret: Type, args: &[Type]) -> Result<Function, FfiError> {
        let code = self.symbol(name)?;
        Function::new(self.clone(), name, code, ret, args)
    }

    pub(crate) fn raw(&self) -> &libloading::Library {
        &self.inner
    }
}

fn looks_like_file(name: &str) -> bool {
    name.contains('/')
        || name.contains('\\')
        || name.ends_with(".so")
        || name.contains(".so.")
        || name.ends_with(".dylib")
        || name.ends_with(".dll")
}

fn source_text(e: &libloading::Error) -> String {
    use std::error::Error;
    match e.source() {
        Some(source) => source.to_string(),
        None => e.to_string(),
    }
}

/// File names to try for a short library name, best first.
pub(crate) fn candidates(name: &str) -> Vec<PathBuf> {
    if cfg!(target_os = "windows") {
        return vec![PathBuf::from(format!("{name}.dll"))];
    }
    if cfg!(target_os = "macos") {
        return vec![
            PathBuf::from(format!("lib{name}.dylib")),
            PathBuf::from(format!("/usr/lib/lib{name}.dylib")),
        ];
    }
    let unversioned = format!("lib{name}.so");
    let prefix = format!("{unversioned}.");
    let mut out = vec![PathBuf::from(&unversioned)];
    let mut versioned: Vec<String> = Vec::new();
    for dir in search_dirs() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = file.strip_prefix(&prefix) else {
                continue;
            };
            if !version.is_empty()
                && version
                    .split('.')
                    .all(|p| p.chars().all(|c| c.is_ascii_digit()))
                && !versioned.contains(&file)
            {
                versioned.push(file);
            }
        }
    }
    // The soname (`libz.so.1`) before the full version (`libz.so.1.2.13`); by bare file
    // name, so that the loader's own search order (and cache) decides the directory.
    versioned.sort_by_key(|f| (f.matches('.').count(), f.clone()));
    out.extend(versioned.into_iter().map(PathBuf::from));
    out
}

fn search_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let multiarch = format!("{}-linux-gnu", std::env::consts::ARCH);
    for base in ["/lib", "/usr/lib", "/usr/local/lib"] {
        dirs.push(Path::new(base).join(&multiarch));
        dirs.push(PathBuf::from(base));
    }
    dirs.push(PathBuf::from("/lib64"));
    dirs.push(PathBuf::from("/usr/lib64"));
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn short_names_try_the_unversioned_name_then_the_soname() {
        let c = candidates("z");
        assert_eq!(c[0], PathBuf::from("libz.so"));
        assert!(
            c.contains(&PathBuf::from("libz.so.1")),
            "libz.so.1 not among {c:?}"
        );
        let soname = c.iter().position(|p| p == Path::new("libz.so.1"));
        let full = c
            .iter()
            .position(|p| p.to_string_lossy().starts_with("libz.so.1."));
        if let (Some(s), Some(f)) = (soname, full) {
            assert!(s < f, "soname should come first in {c:?}");
        }
    }

    #[test]
    fn paths_are_not_resolved_as_short_names() {
        assert!(looks_like_file("./libfoo.so"));
        assert!(looks_like_file("libz.so.1"));
        assert!(!looks_like_file("z"));
    }
}
