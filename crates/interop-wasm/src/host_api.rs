//! The host API bound for wasm guests: the `env` imports of `docs/abi.md` (`ft_log`,
//! `ft_get_env`, the return buffer, `ft_input`/`ft_output`/`ft_error`, `ft_host_call`,
//! `ft_now_ms`, `ft_sleep_ms`), working on the instance's [`State`].
//!
//! Each import only moves bytes between guest memory and the host and hands the request to
//! [`HostServices`], which checks the policy and writes the audit trail. A pointer or length
//! outside the guest's memory traps the call; it never reaches host memory. A host call
//! still waiting when the call's deadline comes (a sleep, a fetch) ends the call as the
//! `time` limit.

use std::time::Duration;

use interop_sandbox::LogLevel;
use serde_json::Value;
use wasmtime::{Caller, Linker, Memory};

use crate::failure::LimitReached;
use crate::state::State;

type Result<T> = wasmtime::Result<T>;

/// The guest bytes `[ptr, ptr + len)`, or a trap naming the import.
fn guest_slice<'a>(memory: &'a [u8], ptr: i32, len: i32, import: &str) -> Result<&'a [u8]> {
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    start
        .checked_add(len)
        .and_then(|end| memory.get(start..end))
        .ok_or_else(|| {
            wasmtime::format_err!(
                "{import}: bytes {start}..{start}+{len} are outside the guest's memory ({} bytes)",
                memory.len()
            )
        })
}

fn memory(caller: &Caller<'_, State>, import: &str) -> Result<Memory> {
    caller
        .data()
        .memory
        .ok_or_else(|| wasmtime::format_err!("{import}: the module exports no `memory`"))
}

/// Copies guest bytes out (so that the store can be borrowed again).
fn read_guest(caller: &mut Caller<'_, State>, ptr: i32, len: i32, import: &str) -> Result<Vec<u8>> {
    let mem = memory(caller, import)?;
    Ok(guest_slice(mem.data(&*caller), ptr, len, import)?.to_vec())
}

fn read_str(caller: &mut Caller<'_, State>, ptr: i32, len: i32, import: &str) -> Result<String> {
    let bytes = read_guest(caller, ptr, len, import)?;
    String::from_utf8(bytes).map_err(|_| wasmtime::format_err!("{import}: string is not UTF-8"))
}

/// Whether the call's deadline has come: a host call that failed then ends the call.
fn past_deadline(state: &State) -> bool {
    state
        .services
        .remaining()
        .is_some_and(|left| left.is_zero())
}

/// Puts `bytes` in the return buffer and returns their length for the guest.
fn fill_return(state: &mut State, bytes: Vec<u8>) -> i32 {
    let len = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
    state.ret = bytes;
    len
}

fn error_json(err: &interop_protocol::PluginError) -> Vec<u8> {
    serde_json::to_vec(err).unwrap_or_else(|_| br#"{"kind":"internal","message":"?"}"#.to_vec())
}

/// Adds the `env` imports to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "ft_log",
        |mut caller: Caller<'_, State>, level: i32, ptr: i32, len: i32| -> Result<()> {
            let bytes = read_guest(&mut caller, ptr, len, "ft_log")?;
            let message = String::from_utf8_lossy(&bytes);
            caller
                .data()
                .services
                .log(LogLevel::from_number(i64::from(level)), &message);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_get_env",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<i32> {
            let name = read_str(&mut caller, ptr, len, "ft_get_env")?;
            let state = caller.data_mut();
            Ok(match state.services.env_get(&name) {
                Ok(Some(value)) => fill_return(state, value.into_bytes()),
                // Unset, or not granted (the denial is in the audit trail).
                Ok(None) | Err(_) => -1,
            })
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_return_buffer_read",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<i32> {
            let mem = memory(&caller, "ft_return_buffer_read")?;
            let (data, state) = mem.data_and_store_mut(&mut caller);
            let n = state.ret.len().min(len as u32 as usize);
            let start = ptr as u32 as usize;
            let dest = start
                .checked_add(n)
                .and_then(|end| data.get_mut(start..end))
                .ok_or_else(|| {
                    wasmtime::format_err!(
                        "ft_return_buffer_read: bytes {start}..{start}+{n} are outside the guest's memory"
                    )
                })?;
            dest.copy_from_slice(&state.ret[..n]);
            Ok(n as i32)
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_return_buffer_len",
        |caller: Caller<'_, State>| -> i32 {
            i32::try_from(caller.data().ret.len()).unwrap_or(i32::MAX)
        },
    )?;
    linker.func_wrap("env", "ft_input", |mut caller: Caller<'_, State>| -> i32 {
        let state = caller.data_mut();
        let input = state.input.clone();
        fill_return(state, input)
    })?;
    linker.func_wrap(
        "env",
        "ft_output",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<()> {
            let bytes = read_guest(&mut caller, ptr, len, "ft_output")?;
            caller.data_mut().output = Some(bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_error",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<()> {
            let bytes = read_guest(&mut caller, ptr, len, "ft_error")?;
            caller.data_mut().error = Some(String::from_utf8_lossy(&bytes).into_owned());
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_host_call",
        |mut caller: Caller<'_, State>,
         name_ptr: i32,
         name_len: i32,
         args_ptr: i32,
         args_len: i32|
         -> Result<i32> {
            let name = read_str(&mut caller, name_ptr, name_len, "ft_host_call")?;
            let args = read_guest(&mut caller, args_ptr, args_len, "ft_host_call")?;
            let state = caller.data_mut();
            let args: Value = if args.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&args) {
                    Ok(v) => v,
                    Err(e) => {
                        let err = interop_protocol::PluginError::parse(format!(
                            "host function `{name}`: arguments are not JSON: {e}"
                        ))
                        .in_plugin(state.services.plugin());
                        fill_return(state, error_json(&err));
                        return Ok(-1);
                    }
                }
            };
            match state.services.call(&name, args) {
                Ok(value) => Ok(fill_return(state, serde_json::to_vec(&value)?)),
                Err(_) if past_deadline(state) => {
                    Err(LimitReached::deadline(format!("ft_host_call `{name}`")).into())
                }
                Err(err) => {
                    fill_return(state, error_json(&err));
                    Ok(-1)
                }
            }
        },
    )?;
    linker.func_wrap("env", "ft_now_ms", |caller: Caller<'_, State>| -> i64 {
        caller.data().services.now_ms() as i64
    })?;
    linker.func_wrap(
        "env",
        "ft_sleep_ms",
        |caller: Caller<'_, State>, ms: i64| -> Result<i32> {
            let ms = u64::try_from(ms).unwrap_or(0);
            let state = caller.data();
            match state.services.sleep(Duration::from_millis(ms)) {
                Ok(()) => Ok(0),
                Err(_) if past_deadline(state) => Err(LimitReached::deadline("ft_sleep_ms").into()),
                Err(_) => Ok(-1),
            }
        },
    )?;
    Ok(())
}
