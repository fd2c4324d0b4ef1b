//! Opening the files a manifest names (the manifest itself, `wasmPath`, `scriptPath`,
//! `libraryPath`) without letting a special file hang the host.
//!
//! `open(2)` of a FIFO for reading blocks until a writer appears, and a device can block
//! or never end. A plugin directory is untrusted input, so every such file is opened
//! non-blocking and refused unless the opened file is a regular file. The check is on the
//! open descriptor (`fstat`), so swapping the path afterwards changes nothing.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Opens `path` for reading if it is a regular file (symlinks followed). Anything else
/// (a directory, FIFO, socket or device) is an `InvalidInput` error saying what it is,
/// returned at once rather than after blocking.
pub fn open_regular(path: &Path) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    ensure_regular(file)
}

/// `file` itself if it is a regular file, checked on the open descriptor (`fstat`), else
/// the `InvalidInput` error of [`open_regular`]. For callers that open files their own
/// way (non-blocking, as `open_regular` does).
pub fn ensure_regular(file: File) -> std::io::Result<File> {
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("{} is not a regular file", describe(kind)),
    ))
}

/// Reads a whole regular file (see [`open_regular`]).
pub fn read_regular(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn describe(kind: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("module.wasm");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let err = read_regular(&fifo).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert_eq!(err.to_string(), "a FIFO (named pipe) is not a regular file");
    }

    #[test]
    fn directories_and_devices_are_refused_and_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_regular(dir.path())
            .unwrap_err()
            .to_string()
            .contains("a directory"));
        assert!(read_regular(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string()
            .contains("a character device"));
        let file = dir.path().join("plugin.json");
        std::fs::write(&file, b"{}").unwrap();
        assert_eq!(read_regular(&file).unwrap(), b"{}");
    }
}
