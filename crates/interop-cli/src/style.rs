//! Colour on terminals only: never in pipes or files, never with `NO_COLOR` set.

use std::io::IsTerminal;

/// Whether stderr may carry ANSI colours.
pub fn stderr_colours() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// `error`, in bold red where colours are on.
pub fn error_label() -> &'static str {
    if stderr_colours() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}
