//! The raw host imports of `docs/abi.md` (wasm module `env`), and their stand-ins when
//! compiled for anything but wasm32.
//!
//! Outside a wasm host (unit tests, `cargo check` on the host) there is no one to call:
//! log lines go to stderr, no variable is granted, the config is empty, the input is `null`, outputs are
//! dropped, and every host call fails with an `internal` error saying so.

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
extern "C" {
    pub fn ft_log(level: i32, ptr: *const u8, len: u32);
    pub fn ft_get_env(key_ptr: *const u8, key_len: u32) -> i32;
    pub fn ft_config_get(key_ptr: *const u8, key_len: u32) -> i32;
    pub fn ft_return_buffer_read(out_ptr: *mut u8, out_len: u32) -> i32;
    pub fn ft_return_buffer_len() -> i32;
    pub fn ft_input() -> i32;
    pub fn ft_output(ptr: *const u8, len: u32);
    pub fn ft_error(ptr: *const u8, len: u32);
    pub fn ft_host_call(
        name_ptr: *const u8,
        name_len: u32,
        args_ptr: *const u8,
        args_len: u32,
    ) -> i32;
    pub fn ft_now_ms() -> i64;
    pub fn ft_sleep_ms(ms: i64) -> i32;
}

#[cfg(not(target_arch = "wasm32"))]
pub use native::*;

#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc)]
mod native {
    use std::cell::RefCell;

    thread_local! {
        static RETURN_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }

    fn fill(bytes: &[u8]) -> i32 {
        RETURN_BUFFER.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            b.extend_from_slice(bytes);
            b.len() as i32
        })
    }

    unsafe fn slice<'a>(ptr: *const u8, len: u32) -> &'a [u8] {
        if len == 0 {
            &[]
        } else {
            // SAFETY: callers pass a pointer/length of one live slice.
            unsafe { std::slice::from_raw_parts(ptr, len as usize) }
        }
    }

    pub unsafe fn ft_log(level: i32, ptr: *const u8, len: u32) {
        let msg = String::from_utf8_lossy(unsafe { slice(ptr, len) });
        eprintln!("[interop-pdk level {level}] {msg}");
    }

    pub unsafe fn ft_get_env(_key_ptr: *const u8, _key_len: u32) -> i32 {
        -1
    }

    pub unsafe fn ft_config_get(_key_ptr: *const u8, _key_len: u32) -> i32 {
        -1
    }

    pub unsafe fn ft_return_buffer_read(out_ptr: *mut u8, out_len: u32) -> i32 {
        RETURN_BUFFER.with(|b| {
            let b = b.borrow();
            let n = b.len().min(out_len as usize);
            if n > 0 {
                // SAFETY: callers pass a writable buffer of `out_len` bytes.
                unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), out_ptr, n) };
            }
            n as i32
        })
    }

    pub unsafe fn ft_return_buffer_len() -> i32 {
        RETURN_BUFFER.with(|b| b.borrow().len() as i32)
    }

    pub unsafe fn ft_input() -> i32 {
        fill(b"null")
    }

    pub unsafe fn ft_output(_ptr: *const u8, _len: u32) {}

    pub unsafe fn ft_error(_ptr: *const u8, _len: u32) {}

    pub unsafe fn ft_host_call(
        name_ptr: *const u8,
        name_len: u32,
        _args_ptr: *const u8,
        _args_len: u32,
    ) -> i32 {
        let name = String::from_utf8_lossy(unsafe { slice(name_ptr, name_len) }).into_owned();
        let error = serde_json::json!({
            "kind": "internal",
            "message": format!("host function `{name}`: not running inside an interop wasm host"),
        });
        fill(error.to_string().as_bytes());
        -1
    }

    pub unsafe fn ft_now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    pub unsafe fn ft_sleep_ms(ms: i64) -> i32 {
        std::thread::sleep(std::time::Duration::from_millis(ms.max(0) as u64));
        0
    }
}
