//! The library file a manifest names (`interop.libraryPath`), found and checked before the
//! dynamic loader sees it.
//!
//! The checks, each a clear [`PluginError`]: the path resolves (symlinks followed) inside
//! the plugin directory; the file opens without blocking and is a regular file (a FIFO or
//! a device is refused at once, see [`interop_protocol::files::open_regular`]); the open
//! file still lies inside the plugin directory (so swapping a symlink after the check
//! changes nothing); its first bytes are this platform's shared-object format. The loader
//! is then given the open descriptor itself (`/proc/self/fd/N` on Linux), so that the file
//! checked is the file loaded.

use std::fs::File;
use std::io::Read;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};

use interop_protocol::{Interop, LoadedManifest, PluginError};
use serde_json::json;

/// An open, checked library file.
pub(crate) struct LibraryFile {
    file: File,
    /// The file's real path, for messages.
    pub(crate) path: PathBuf,
}

/// The library file a manifest names, resolved inside its plugin directory.
pub fn library_path(loaded: &LoadedManifest) -> Result<PathBuf, PluginError> {
    let field = Field::of(loaded)?;
    field.resolve(loaded).map(|(real, _)| real)
}

impl LibraryFile {
    /// Finds, opens and checks the library `loaded` names (see the module docs).
    pub(crate) fn open(loaded: &LoadedManifest) -> Result<LibraryFile, PluginError> {
        let field = Field::of(loaded)?;
        let (path, dir) = field.resolve(loaded)?;
        let mut file = interop_protocol::files::open_regular(&path).map_err(|e| {
            let kind = match e.kind() {
                std::io::ErrorKind::NotFound => PluginError::not_found,
                std::io::ErrorKind::InvalidInput => PluginError::invalid_input,
                _ => PluginError::fs,
            };
            field.error(
                kind,
                format!("library `{}` ({}): {e}", field.library_path, path.display()),
            )
        })?;
        // The path may have changed since it was resolved: check the file actually open.
        if let Ok(open) = std::fs::read_link(fd_path(&file)) {
            field.inside(&open, &dir)?;
        }
        check_object_format(&mut file, &path, &field.plugin)?;
        Ok(LibraryFile { file, path })
    }

    /// Loads the open file with the dynamic loader; the error is the loader's message.
    ///
    /// # Safety
    /// Loading runs the library's initialisers in this process: the caller must trust the
    /// library as much as its own code.
    pub(crate) unsafe fn load(self) -> Result<LoadedLibrary, String> {
        let name = fd_path(&self.file);
        // SAFETY: the caller trusts the library (see above).
        match unsafe { libloading::Library::new(&name) } {
            Ok(library) => Ok(LoadedLibrary {
                library: ManuallyDrop::new(library),
                file: Some(self.file),
                name,
            }),
            Err(e) => {
                use std::error::Error;
                let why = e.source().map_or_else(|| e.to_string(), |s| s.to_string());
                Err(why.replace(
                    &name.display().to_string(),
                    &self.path.display().to_string(),
                ))
            }
        }
    }
}

/// A library loaded from its open descriptor.
///
/// The loader knows a library by the name it was opened with, here `/proc/self/fd/N`, and
/// hands out the library it already has for a name it knows: were descriptor `N` closed
/// while the library is loaded, the next library opened through a descriptor numbered `N`
/// would be taken for this one. So the descriptor stays open while the library is loaded,
/// and for the life of the process if unloading leaves it loaded.
pub(crate) struct LoadedLibrary {
    library: ManuallyDrop<libloading::Library>,
    file: Option<File>,
    name: PathBuf,
}

impl LoadedLibrary {
    /// The loaded library.
    pub(crate) fn library(&self) -> &libloading::Library {
        &self.library
    }
}

impl Drop for LoadedLibrary {
    fn drop(&mut self) {
        // SAFETY: dropped once, here, and not used afterwards.
        unsafe { ManuallyDrop::drop(&mut self.library) };
        // SAFETY: with RTLD_NOLOAD the loader loads nothing: it only finds the library if
        // it is still loaded (a reference dropped at once).
        let still_loaded = unsafe {
            libloading::os::unix::Library::open(
                Some(&self.name),
                libloading::os::unix::RTLD_LAZY | libc::RTLD_NOLOAD,
            )
        }
        .is_ok();
        if still_loaded {
            if let Some(file) = self.file.take() {
                // Its number must not name another library: never closed.
                let _ = std::os::fd::IntoRawFd::into_raw_fd(file);
            }
        }
    }
}

/// A path the loader can open that names the open file itself.
fn fd_path(file: &File) -> PathBuf {
    use std::os::fd::AsRawFd;
    if cfg!(target_os = "linux") {
        PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
    } else {
        PathBuf::from(format!("/dev/fd/{}", file.as_raw_fd()))
    }
}

/// `interop.libraryPath` of one manifest, for errors that name it.
struct Field<'a> {
    plugin: String,
    manifest: &'a Path,
    library_path: &'a str,
    requested: PathBuf,
}

impl<'a> Field<'a> {
    fn of(loaded: &'a LoadedManifest) -> Result<Field<'a>, PluginError> {
        let plugin = loaded.manifest.name.clone();
        let Interop::Ffi(ffi) = &loaded.manifest.interop else {
            return Err(PluginError::internal(format!(
                "plugin `{plugin}` is not an ffi plugin (protocol `{}`)",
                loaded.manifest.interop.protocol()
            ))
            .in_plugin(plugin));
        };
        Ok(Field {
            requested: loaded.resolve(&ffi.library_path),
            library_path: &ffi.library_path,
            manifest: &loaded.path,
            plugin,
        })
    }

    /// The library's real path and the plugin directory's, the first inside the second.
    fn resolve(&self, loaded: &LoadedManifest) -> Result<(PathBuf, PathBuf), PluginError> {
        let dir = loaded.dir.canonicalize().map_err(|e| {
            self.error(
                PluginError::not_found,
                format!("plugin directory {}: {e}", loaded.dir.display()),
            )
        })?;
        let real = self.requested.canonicalize().map_err(|e| {
            self.error(
                PluginError::not_found,
                format!(
                    "library `{}` ({}): {e} (build the plugin first; for the samples: cargo \
                     xtask build-plugins)",
                    self.library_path,
                    self.requested.display()
                ),
            )
        })?;
        self.inside(&real, &dir)?;
        Ok((real, dir))
    }

    fn error(&self, kind: fn(String) -> PluginError, message: String) -> PluginError {
        kind(format!(
            "{}: interop.libraryPath: {message}",
            self.manifest.display()
        ))
        .in_plugin(&self.plugin)
    }

    /// Refuses `real` unless it lies inside the plugin directory `dir`.
    fn inside(&self, real: &Path, dir: &Path) -> Result<(), PluginError> {
        if real.starts_with(dir) {
            return Ok(());
        }
        Err(self
            .error(
                PluginError::denied,
                format!(
                    "library `{}` resolves to {}, outside the plugin directory {}",
                    self.library_path,
                    real.display(),
                    dir.display()
                ),
            )
            .with_data(json!({ "path": self.library_path })))
    }
}

/// Checks the file's magic number against this platform's shared-object format, so that
/// a text file or an image is refused with a clear message before the loader sees it.
fn check_object_format(file: &mut File, path: &Path, plugin: &str) -> Result<(), PluginError> {
    let mut magic = [0u8; 4];
    let read = file.read(&mut magic).map_err(|e| {
        PluginError::fs(format!("cannot read {}: {e}", path.display())).in_plugin(plugin)
    })?;
    let (ok, format) = if cfg!(target_os = "macos") {
        let m = u32::from_le_bytes(magic);
        (
            matches!(
                m,
                0xfeedface | 0xfeedfacf | 0xcefaedfe | 0xcffaedfe | 0xbebafeca
            ),
            "a Mach-O dylib",
        )
    } else {
        (magic == *b"\x7fELF", "an ELF shared object")
    };
    if read < 4 || !ok {
        return Err(PluginError::parse(format!(
            "{} is not a shared library: expected {format}",
            path.display()
        ))
        .in_plugin(plugin));
    }
    Ok(())
}
