//! Errors of the declared-type call API ([`crate::Library`], [`crate::Function`]).
//!
//! Plugin loading and calls report [`interop_protocol::PluginError`] instead, like every
//! backend; [`FfiError::into_plugin_error`] converts.

use std::path::PathBuf;

use interop_protocol::PluginError;

use crate::Type;

/// Why a library could not be opened or a declared function could not be called.
#[derive(Debug, thiserror::Error)]
pub enum FfiError {
    /// No candidate file name for a short library name could be loaded.
    #[error("cannot find library `{name}` (tried: {})", tried.join(", "))]
    LibraryNotFound {
        /// The name asked for.
        name: String,
        /// Each file name tried, with why it failed.
        tried: Vec<String>,
    },
    /// The dynamic loader refused the file.
    #[error("cannot load `{}`: {message}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// The loader's message (`dlerror`).
        message: String,
    },
    /// The library does not export the symbol.
    #[error("library `{library}` has no symbol `{symbol}`")]
    MissingSymbol {
        /// The library.
        library: String,
        /// The symbol.
        symbol: String,
    },
    /// The declared signature is not usable.
    #[error("function `{function}`: {message}")]
    Signature {
        /// The function.
        function: String,
        /// What is wrong with the declaration.
        message: String,
    },
    /// An argument does not match the declaration.
    #[error("function `{function}`: argument {index} is a {got}, declared {expected}")]
    ArgType {
        /// The function.
        function: String,
        /// Zero-based index of the argument.
        index: usize,
        /// The declared type.
        expected: Type,
        /// The type of the argument passed.
        got: Type,
    },
    /// Wrong number of arguments.
    #[error("function `{function}` takes {expected} argument(s), got {got}")]
    ArgCount {
        /// The function.
        function: String,
        /// Declared count.
        expected: usize,
        /// Passed count.
        got: usize,
    },
    /// A `buffer_out` callee reported writing more than the buffer holds.
    #[error("function `{function}`: argument {index} reports {reported} bytes written into a {capacity}-byte buffer")]
    BufferOverrun {
        /// The function.
        function: String,
        /// Zero-based index of the argument.
        index: usize,
        /// The length the callee reported.
        reported: usize,
        /// The buffer's capacity.
        capacity: usize,
    },
}

impl FfiError {
    /// The same failure as a [`PluginError`] (`not_found`, `parse`, `invalid_input`...).
    pub fn into_plugin_error(self) -> PluginError {
        let message = self.to_string();
        match self {
            FfiError::LibraryNotFound { .. } | FfiError::MissingSymbol { .. } => {
                PluginError::not_found(message)
            }
            FfiError::Load { .. } => PluginError::parse(message),
            FfiError::Signature { .. } | FfiError::ArgType { .. } | FfiError::ArgCount { .. } => {
                PluginError::invalid_input(message)
            }
            FfiError::BufferOverrun { .. } => PluginError::exec(message),
        }
    }
}
