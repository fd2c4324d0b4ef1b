//! A guest written exactly as the "Writing WASM Extensions" guide writes one: the raw
//! `ft_log`, `ft_get_env` and `ft_return_buffer_read` imports, its logging and env
//! helpers, and an `on_reload` export for the `config.reload` hook. No PDK: it proves
//! such guests load and run unchanged.

extern "C" {
    /// Emit a log message.
    /// level: 0=Trace, 1=Debug, 2=Info, 3=Warn, 4=Error
    fn ft_log(level: i32, msg_ptr: *const u8, msg_len: u32);

    /// Read an environment variable.
    /// Returns value length, or -1 if not set / denied.
    /// Value is written to the return buffer.
    fn ft_get_env(key_ptr: *const u8, key_len: u32) -> i32;

    /// Copy from host return buffer into WASM memory.
    /// Returns bytes actually copied.
    fn ft_return_buffer_read(out_ptr: *mut u8, out_len: u32) -> i32;
}

fn log(level: i32, msg: &str) {
    unsafe { ft_log(level, msg.as_ptr(), msg.len() as u32) }
}

fn log_info(msg: &str) {
    log(2, msg)
}
fn log_warn(msg: &str) {
    log(3, msg)
}

fn get_env(key: &str) -> Option<String> {
    let len = unsafe { ft_get_env(key.as_ptr(), key.len() as u32) };
    if len < 0 {
        return None;
    }
    let mut buf = vec![0u8; len as usize];
    let read = unsafe { ft_return_buffer_read(buf.as_mut_ptr(), buf.len() as u32) };
    buf.truncate(read as usize);
    String::from_utf8(buf).ok()
}

#[no_mangle]
pub extern "C" fn on_reload() {
    // Handle config reload
    match get_env("GREETER_PREFIX") {
        Some(prefix) => log_info(&format!("raw-imports: reloaded (GREETER_PREFIX={prefix})")),
        None => log_warn("raw-imports: reloaded (GREETER_PREFIX not granted or unset)"),
    }
}
