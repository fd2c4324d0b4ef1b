//! Logging through the host (`ft_log`): lines land in the host's log with the plugin's
//! name, at the level given.

use crate::sys;

/// A log level, numbered as the ABI numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// 0
    Trace = 0,
    /// 1
    Debug = 1,
    /// 2
    Info = 2,
    /// 3
    Warn = 3,
    /// 4
    Error = 4,
}

/// Logs `message` at `level`.
pub fn write(level: Level, message: &str) {
    // SAFETY: pointer and length of a live `&str`.
    unsafe { sys::ft_log(level as i32, message.as_ptr(), message.len() as u32) }
}

/// Logs at trace level.
pub fn trace(message: &str) {
    write(Level::Trace, message)
}

/// Logs at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message)
}

/// Logs at info level.
pub fn info(message: &str) {
    write(Level::Info, message)
}

/// Logs at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message)
}

/// Logs at error level (the call goes on: to fail it, use [`crate::error`]).
pub fn error(message: &str) {
    write(Level::Error, message)
}
