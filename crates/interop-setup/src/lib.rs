//! Installs what interop plugins need to build and run, for `interop setup` and
//! `cargo xtask setup` alike: libnode (V8) for the js backend, Go, clang + wasi-libc,
//! the AssemblyScript compiler, the `wasm32-wasip1` and `wasm32-wasip2` Rust targets and
//! componentize-py (Python components); and carries the guest helpers ([`helpers`]) and
//! the interop WIT world that `interop new` and `interop setup c` write out.
//!
//! Owns: where things go (the user's data directory, `$XDG_DATA_HOME/interop` or
//! `~/.local/share/interop`, unless a caller picks another root), what counts as
//! installed (a second run is a no-op that says so), progress while it works, and errors
//! that name the registry that did not answer. Does not own: running plugins, or
//! building the sample plugins (xtask).
//!
//! Everything comes from registries a machine can reach: Debian's archive (apt), npm,
//! PyPI and rustup.
//!
//! ```no_run
//! use interop_setup::{Component, Progress, Setup};
//!
//! let setup = Setup::for_user(Progress::auto())?;
//! println!("{}", setup.install(Component::Js)?); // js: libnode ... installed in ...
//! # Ok::<(), interop_setup::SetupError>(())
//! ```
#![deny(missing_docs)]

pub mod apt;
pub mod assemblyscript;
mod c;
mod command;
pub mod componentize_py;
mod error;
pub mod go;
pub mod helpers;
mod js;
mod progress;
mod rust;

use std::fmt;
use std::path::{Path, PathBuf};

pub use error::SetupError;
pub use progress::Progress;

/// What can be installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// libnode (V8) for the js backend.
    Js,
    /// Go for wasm guests.
    Go,
    /// clang + wasi-libc for C guests, and the C headers.
    C,
    /// The AssemblyScript compiler.
    AssemblyScript,
    /// The `wasm32-wasip1` and `wasm32-wasip2` Rust targets (core modules, components).
    Rust,
    /// componentize-py, which builds Python plugins into WebAssembly components.
    PythonComponent,
}

impl Component {
    /// Every component, in the order `all` installs them.
    pub const ALL: [Component; 6] = [
        Component::Rust,
        Component::PythonComponent,
        Component::Go,
        Component::C,
        Component::AssemblyScript,
        Component::Js,
    ];
}

/// Installs components under one root directory, reporting progress.
pub struct Setup {
    root: PathBuf,
    progress: Progress,
}

impl Setup {
    /// Installs into the user's data directory: `$XDG_DATA_HOME/interop`, else
    /// `~/.local/share/interop` (where interop binaries look for libnode at run time).
    pub fn for_user(progress: Progress) -> Result<Self, SetupError> {
        Ok(Self::at(data_dir()?, progress))
    }

    /// Installs into `root` (e.g. a checkout's `.tools`).
    pub fn at(root: impl Into<PathBuf>, progress: Progress) -> Self {
        Self {
            root: root.into(),
            progress,
        }
    }

    /// The root directory components go under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `component`'s files go, below the root.
    pub(crate) fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The progress reporter.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// Installs `component` unless it is already there.
    pub fn install(&self, component: Component) -> Result<Report, SetupError> {
        match component {
            Component::Js => js::install(self),
            Component::Go => go::install(self),
            Component::C => c::install(self),
            Component::AssemblyScript => assemblyscript::install(self),
            Component::Rust => rust::install(self),
            Component::PythonComponent => componentize_py::install(self),
        }
    }
}

/// `$XDG_DATA_HOME/interop`, else `~/.local/share/interop`.
pub fn data_dir() -> Result<PathBuf, SetupError> {
    dirs::data_dir()
        .map(|d| d.join("interop"))
        .ok_or(SetupError::NoDataDir)
}

/// What an installation did.
#[derive(Debug, Clone)]
pub struct Report {
    /// The component (`js`, `go`...).
    pub component: &'static str,
    /// What it is (e.g. "Go 1.26").
    pub what: String,
    /// Where it is.
    pub location: PathBuf,
    /// Whether anything was installed (false: it was all there already).
    pub changed: bool,
}

impl Report {
    fn present(component: &'static str, what: &str, location: &Path) -> Self {
        Self {
            component,
            what: what.to_owned(),
            location: location.to_path_buf(),
            changed: false,
        }
    }

    fn installed(component: &'static str, what: &str, location: &Path) -> Self {
        Self {
            changed: true,
            ..Self::present(component, what, location)
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (component, what, location) = (self.component, &self.what, self.location.display());
        if self.changed {
            write!(f, "{component}: {what} installed in {location}")
        } else {
            write!(
                f,
                "{component}: {what} already installed in {location} (nothing to do)"
            )
        }
    }
}
