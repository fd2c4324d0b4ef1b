//! The host API's filesystem operations, performed beneath an open handle of the granted
//! root so that no symlink, not even one swapped in while calls run, leads out of it.
//!
//! [`Policy::locate`](crate::Policy::locate) has already said, without touching the disk,
//! which root a path lies in and what is left of it below the root. Here:
//! - the root is opened from `/` one component at a time with `O_NOFOLLOW`, so a root, or
//!   a directory above it, that was swapped for a symlink is not entered;
//! - the rest of the path is resolved beneath that handle by cap-std (`openat2` with
//!   `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` on Linux 5.6 and later, a checked walk
//!   elsewhere): a symlink is followed only while it stays beneath the root, so an
//!   absolute symlink, or one that climbs out with `..`, is `denied` whenever it appears;
//! - files are opened `O_NONBLOCK` and checked on the open descriptor: only a regular file
//!   with a single link is read or written, so a FIFO or a device cannot block the host,
//!   and a hard link to a file outside the root (which no path check can see) is refused;
//! - `rm` removes a tree without following symlinks (cap-std walks it by handles) and
//!   never removes a granted root or a directory holding one.
//!
//! I/O errors become `fs` / `not_found` errors that name the path the plugin asked for,
//! never the real path, which could reveal the host's layout.

use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::UNIX_EPOCH;

use cap_std::fs::{Dir, MetadataExt, OpenOptions, OpenOptionsExt};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};

use interop_protocol::PluginError;

use crate::paths::Located;
use crate::policy::FsRoot;

/// What `stat` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileStat {
    /// A regular file.
    pub is_file: bool,
    /// A directory.
    pub is_directory: bool,
    /// A symbolic link (the path itself, not its target).
    pub is_symbolic_link: bool,
    /// Size in bytes.
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
    /// Last modification, in milliseconds since the Unix epoch.
    pub mtime: u64,
}

/// One entry of `readdir`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirEntry {
    /// File name.
    pub name: String,
    /// A regular file.
    pub is_file: bool,
    /// A directory.
    pub is_directory: bool,
    /// A symbolic link.
    pub is_symbolic_link: bool,
}

/// Reads a regular file, at most `max` bytes.
pub(crate) fn read(at: &Located<'_>, shown: &str, max: u64) -> Result<Vec<u8>, PluginError> {
    let file = open_file(at, shown, "read", OpenOptions::new().read(true))?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it".
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| error(shown, "read", e))?;
    if bytes.len() as u64 > max {
        return Err(PluginError::limit(
            "message_size",
            format!("read `{shown}`: file is larger than the {max}-byte message limit"),
        ));
    }
    Ok(bytes)
}

/// Creates or replaces a regular file.
pub(crate) fn write(at: &Located<'_>, shown: &str, bytes: &[u8]) -> Result<(), PluginError> {
    // Not `truncate`: what is opened is checked before anything in it changes.
    let mut file = open_file(
        at,
        shown,
        "write",
        OpenOptions::new().write(true).create(true),
    )?;
    file.set_len(0)
        .and_then(|()| file.write_all(bytes))
        .map_err(|e| error(shown, "write", e))
}

/// Describes a file or directory; a symlink inside the root is followed (and said to be
/// one), a dangling one is described itself.
pub(crate) fn stat(at: &Located<'_>, shown: &str) -> Result<FileStat, PluginError> {
    let fail = |e| error(shown, "stat", e);
    let place = Beneath::open(at).map_err(fail)?;
    let link = place.dir.symlink_metadata(&place.path).map_err(fail)?;
    let target = if link.is_symlink() && !place.is_root_file {
        match place.dir.metadata(&place.path) {
            Ok(target) => Some(target),
            Err(e) if is_escape(&e) => return Err(fail(e)),
            Err(_) => None,
        }
    } else {
        None
    };
    let meta = target.as_ref().unwrap_or(&link);
    Ok(FileStat {
        is_file: meta.is_file(),
        is_directory: meta.is_dir(),
        is_symbolic_link: link.is_symlink(),
        size: meta.len(),
        mode: meta.mode(),
        mtime: meta
            .modified()
            .ok()
            .and_then(|t| t.into_std().duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64),
    })
}

/// Lists a directory, sorted by name.
pub(crate) fn readdir(at: &Located<'_>, shown: &str) -> Result<Vec<DirEntry>, PluginError> {
    let fail = |e| error(shown, "readdir", e);
    let place = Beneath::open(at).map_err(fail)?;
    if place.is_root_file {
        return Err(fail(Errno::NOTDIR.into()));
    }
    let mut out = Vec::new();
    for entry in place.dir.read_dir(&place.path).map_err(fail)? {
        let entry = entry.map_err(fail)?;
        let ty = entry.file_type().map_err(fail)?;
        out.push(DirEntry {
            name: entry.file_name().to_string_lossy().into_owned(),
            is_file: ty.is_file(),
            is_directory: ty.is_dir(),
            is_symbolic_link: ty.is_symlink(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Whether the path exists (a dangling symlink does); leading out of the root is `denied`.
pub(crate) fn exists(at: &Located<'_>, shown: &str) -> Result<bool, PluginError> {
    match Beneath::open(at).and_then(|place| place.dir.symlink_metadata(&place.path)) {
        Ok(_) => Ok(true),
        Err(e) if is_escape(&e) => Err(error(shown, "exists", e)),
        Err(_) => Ok(false),
    }
}

/// Creates a directory and its missing parents (below the root).
pub(crate) fn mkdir(at: &Located<'_>, shown: &str) -> Result<(), PluginError> {
    let fail = |e| error(shown, "mkdir", e);
    let place = Beneath::open(at).map_err(fail)?;
    place.dir.create_dir_all(&place.path).map_err(fail)
}

/// Removes a file, a symlink (not its target) or a directory tree; a missing path is not
/// an error (like `rm -rf`). A granted root, or a directory holding one, is not removed.
pub(crate) fn rm(at: &Located<'_>, shown: &str, roots: &[FsRoot]) -> Result<(), PluginError> {
    let fail = |e| error(shown, "rm", e);
    let holds_a_root = || {
        PluginError::denied(format!("rm `{shown}`: a granted root cannot be removed"))
            .with_data(serde_json::json!({ "path": shown }))
    };
    if at.relative.as_os_str().is_empty() {
        return Err(holds_a_root());
    }
    let place = Beneath::open(at).map_err(fail)?;
    let meta = match place.dir.symlink_metadata(&place.path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(fail(e)),
    };
    if !meta.is_dir() {
        return place.dir.remove_file(&place.path).map_err(fail);
    }
    // Where the tree really is: the directories above it may be symlinks inside the root.
    let parent = at.relative.parent().filter(|p| !p.as_os_str().is_empty());
    let real_parent = match parent {
        Some(p) => place.dir.canonicalize(p).map_err(fail)?,
        None => PathBuf::new(),
    };
    let tree = at
        .root
        .path
        .join(real_parent)
        .join(at.relative.file_name().unwrap_or_default());
    if roots.iter().any(|r| r.path.starts_with(&tree)) {
        return Err(holds_a_root());
    }
    place.dir.remove_dir_all(&place.path).map_err(fail)
}

/// Where an operation happens: an open directory and a path beneath it.
struct Beneath {
    dir: Dir,
    path: PathBuf,
    /// The path is a file granted by itself, opened through its parent: its last
    /// component must not be followed.
    is_root_file: bool,
}

impl Beneath {
    fn open(at: &Located<'_>) -> io::Result<Beneath> {
        let root = &at.root.path;
        let is_root = at.relative.as_os_str().is_empty();
        match open_dir_nofollow(root) {
            Ok(dir) => Ok(Beneath {
                dir,
                path: if is_root {
                    PathBuf::from(".")
                } else {
                    at.relative.clone()
                },
                is_root_file: false,
            }),
            Err(e) if is_root && Errno::from_io_error(&e) == Some(Errno::NOTDIR) => {
                let (Some(parent), Some(name)) = (root.parent(), root.file_name()) else {
                    return Err(e);
                };
                Ok(Beneath {
                    dir: open_dir_nofollow(parent)?,
                    path: PathBuf::from(name),
                    is_root_file: true,
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// Opens the directory at the absolute, normalised `path` without following a symlink
/// anywhere on the way: a symlink there is an escape, anything else that is not a
/// directory `ENOTDIR`. The directories above it are only looked up (`O_PATH` on Linux),
/// so that search permission is enough, as for any path.
fn open_dir_nofollow(path: &Path) -> io::Result<Dir> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const LOOKUP: OFlags = OFlags::PATH;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const LOOKUP: OFlags = OFlags::RDONLY;
    let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut names = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(name) => names.push(name),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a granted root must be an absolute, normalised path",
                ))
            }
        }
    }
    let access = |last: bool| if last { OFlags::RDONLY } else { LOOKUP };
    let mut dir = rustix::fs::open("/", flags | access(names.is_empty()), Mode::empty())?;
    for (i, name) in names.iter().enumerate() {
        let last = i + 1 == names.len();
        dir = match rustix::fs::openat(&dir, *name, flags | access(last), Mode::empty()) {
            Ok(next) => next,
            Err(Errno::NOTDIR) => {
                let kind = rustix::fs::statat(&dir, *name, AtFlags::SYMLINK_NOFOLLOW)
                    .map(|st| FileType::from_raw_mode(st.st_mode));
                return Err(match kind {
                    // A symlink where a directory of the root's path was.
                    Ok(FileType::Symlink) => escape(),
                    _ => Errno::NOTDIR.into(),
                });
            }
            Err(e) => return Err(e.into()),
        };
    }
    Ok(Dir::from_std_file(std::fs::File::from(dir)))
}

/// Opens a file beneath its root without blocking, keeping it only if it is a regular
/// file with a single link.
fn open_file(
    at: &Located<'_>,
    shown: &str,
    op: &str,
    options: &mut OpenOptions,
) -> Result<std::fs::File, PluginError> {
    let fail = |e| error(shown, op, e);
    let place = Beneath::open(at).map_err(fail)?;
    let mut flags = OFlags::NONBLOCK;
    if place.is_root_file {
        flags |= OFlags::NOFOLLOW;
    }
    options.custom_flags(flags.bits() as i32);
    let file = place
        .dir
        .open_with(&place.path, options)
        .map_err(fail)?
        .into_std();
    let file = interop_protocol::files::ensure_regular(file).map_err(fail)?;
    let links = std::os::unix::fs::MetadataExt::nlink(&file.metadata().map_err(fail)?);
    if links > 1 {
        return Err(PluginError::denied(format!(
            "{op} `{shown}`: the file has {links} hard links, and another may be outside the granted directories"
        ))
        .with_data(serde_json::json!({ "path": shown })));
    }
    Ok(file)
}

/// cap-std's error for a path that leads out of the directory it is resolved in.
fn escape() -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        "leads out of its granted root",
    )
}

/// Whether `e` says the path led out of its root: cap-std's escape errors are
/// `PermissionDenied` without an OS error code, unlike a real `EACCES`.
fn is_escape(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::PermissionDenied && e.raw_os_error().is_none()
}

/// An I/O error as the plugin sees it: `denied` for a path leading out of its root,
/// `not_found`, or `fs`; naming the path as the plugin wrote it.
fn error(shown: &str, op: &str, e: io::Error) -> PluginError {
    let err = if is_escape(&e) {
        PluginError::denied(format!(
            "path `{shown}`: resolves through a symlink outside its granted root"
        ))
    } else if e.kind() == io::ErrorKind::NotFound {
        PluginError::not_found(format!("{op} `{shown}`: no such file or directory"))
    } else {
        PluginError::fs(format!("{op} `{shown}`: {e}"))
    };
    err.with_data(serde_json::json!({ "path": shown }))
}
