//! What can go wrong while installing.

use std::path::PathBuf;

/// A failed installation step: what was being done, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The user has no data directory (no `$HOME`, no `$XDG_DATA_HOME`).
    #[error("no data directory for this user: set HOME or XDG_DATA_HOME")]
    NoDataDir,
    /// A program the step needs is missing.
    #[error("{component}: `{program}` is not installed ({hint})")]
    MissingProgram {
        /// The component being installed.
        component: &'static str,
        /// The program looked for on PATH.
        program: &'static str,
        /// How to get it.
        hint: &'static str,
    },
    /// A package registry did not answer or refused the download.
    #[error(
        "{component}: cannot download from {registry} (`{command}` failed): {detail}\n\
         is {registry} reachable from this machine (network, proxy settings)?"
    )]
    Registry {
        /// The component being installed.
        component: &'static str,
        /// The registry asked, e.g. "Debian (deb.debian.org)".
        registry: &'static str,
        /// The command that failed.
        command: String,
        /// Its last lines of output.
        detail: String,
    },
    /// A command failed for another reason.
    #[error("{component}: `{command}` failed: {detail}")]
    Command {
        /// The component being installed.
        component: &'static str,
        /// The command that failed.
        command: String,
        /// Its last lines of output, or why it could not start.
        detail: String,
    },
    /// The download went through but did not hold what was expected.
    #[error("{component}: installed into {dir} but {missing} is not there")]
    Incomplete {
        /// The component being installed.
        component: &'static str,
        /// Where it was installed.
        dir: PathBuf,
        /// The file that should be there.
        missing: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{component}: {path}: {source}")]
    Io {
        /// The component being installed.
        component: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
