//! Filesystem operations on paths the policy has already resolved.
//!
//! [`HostServices`](crate::HostServices) resolves and audits; this module only performs
//! the operation and turns I/O errors into `fs` / `not_found` errors that name the path
//! the plugin asked for (never the real path, which could reveal the host's layout).

use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use interop_protocol::PluginError;

/// What `stat` reports (seed 004's `FsStat`).
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

pub(crate) fn io_error(shown: &str, op: &str, e: std::io::Error) -> PluginError {
    let err = if e.kind() == std::io::ErrorKind::NotFound {
        PluginError::not_found(format!("{op} `{shown}`: no such file or directory"))
    } else {
        PluginError::fs(format!("{op} `{shown}`: {e}"))
    };
    err.with_data(serde_json::json!({ "path": shown }))
}

pub(crate) fn read(real: &Path, shown: &str, max: u64) -> Result<Vec<u8>, PluginError> {
    let file = std::fs::File::open(real).map_err(|e| io_error(shown, "read", e))?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it".
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(shown, "read", e))?;
    if bytes.len() as u64 > max {
        return Err(PluginError::limit(
            "message_size",
            format!("read `{shown}`: file is larger than the {max}-byte message limit"),
        ));
    }
    Ok(bytes)
}

pub(crate) fn write(real: &Path, shown: &str, bytes: &[u8]) -> Result<(), PluginError> {
    std::fs::write(real, bytes).map_err(|e| io_error(shown, "write", e))
}

pub(crate) fn stat(real: &Path, shown: &str) -> Result<FileStat, PluginError> {
    use std::os::unix::fs::MetadataExt;
    let link = std::fs::symlink_metadata(real).map_err(|e| io_error(shown, "stat", e))?;
    let meta = std::fs::metadata(real).unwrap_or_else(|_| link.clone());
    Ok(FileStat {
        is_file: meta.is_file(),
        is_directory: meta.is_dir(),
        is_symbolic_link: link.file_type().is_symlink(),
        size: meta.len(),
        mode: meta.mode(),
        mtime: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
    })
}

pub(crate) fn readdir(real: &Path, shown: &str) -> Result<Vec<DirEntry>, PluginError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(real).map_err(|e| io_error(shown, "readdir", e))? {
        let entry = entry.map_err(|e| io_error(shown, "readdir", e))?;
        let ty = entry
            .file_type()
            .map_err(|e| io_error(shown, "readdir", e))?;
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

pub(crate) fn mkdir(real: &Path, shown: &str) -> Result<(), PluginError> {
    std::fs::create_dir_all(real).map_err(|e| io_error(shown, "mkdir", e))
}

/// Removes a file or a directory tree; a missing path is not an error (like `rm -rf`).
pub(crate) fn rm(real: &Path, shown: &str) -> Result<(), PluginError> {
    let meta = match std::fs::symlink_metadata(real) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(shown, "rm", e)),
    };
    let result = if meta.is_dir() {
        std::fs::remove_dir_all(real)
    } else {
        std::fs::remove_file(real)
    };
    result.map_err(|e| io_error(shown, "rm", e))
}
