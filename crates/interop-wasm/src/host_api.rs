//! The host API bound for wasm guests: the `env` imports of `docs/abi.md` (`ft_log`,
//! `ft_get_env`, `ft_config_get`, the return buffer, `ft_input`/`ft_output`/`ft_error`,
//! `ft_host_call`, `ft_now_ms`, `ft_sleep_ms`), working on the instance's [`State`].
//!
//! Each import only moves bytes between guest memory and the host and hands the request to
//! [`HostServices`](interop_sandbox::HostServices), which checks the policy and writes the
//! audit trail. Lengths are checked before anything is copied: a length over the policy's
//! message limit ends the call as the `message_size` limit, and a pointer or length outside
//! the guest's memory traps the call; neither reaches host memory. Error messages and log
//! lines are cut to a bounded length ([`crate::text`]). A host call still waiting when the
//! call's deadline comes (a sleep, a fetch) ends the call as the `time` limit.

use std::time::Duration;

use interop_protocol::PluginError;
use interop_sandbox::LogLevel;
use serde_json::Value;
use wasmtime::{Caller, Linker, Memory};

use crate::failure::LimitReached;
use crate::state::State;
use crate::text::{bounded, MAX_ERROR_BYTES, MAX_LOG_LINE_BYTES};

type Result<T> = wasmtime::Result<T>;

/// Longest name a guest may pass for a host function or an environment variable.
const MAX_NAME_BYTES: usize = 4096;

fn memory(caller: &Caller<'_, State>, import: &str) -> Result<Memory> {
    caller
        .data()
        .memory
        .ok_or_else(|| wasmtime::format_err!("{import}: the module exports no `memory`"))
}

/// The length of guest bytes handed to `import`, refused when over the message limit.
fn checked_len(caller: &Caller<'_, State>, len: i32, import: &str) -> Result<usize> {
    let len = u64::from(len as u32);
    let max = caller.data().services.policy().max_message_bytes;
    if len > max {
        return Err(LimitReached::message_size(import, len, max).into());
    }
    Ok(len as usize)
}

/// Copies out at most `keep` of the guest bytes `[ptr, ptr + len)`, once `len` is within
/// the message limit and the whole range inside the guest's memory. Returns them and
/// `len`.
fn read_guest(
    caller: &mut Caller<'_, State>,
    ptr: i32,
    len: i32,
    import: &str,
    keep: usize,
) -> Result<(Vec<u8>, usize)> {
    let len = checked_len(caller, len, import)?;
    let mem = memory(caller, import)?;
    let data = mem.data(&*caller);
    let start = ptr as u32 as usize;
    let bytes = start
        .checked_add(len)
        .and_then(|end| data.get(start..end))
        .ok_or_else(|| {
            wasmtime::format_err!(
                "{import}: bytes {start}..{start}+{len} are outside the guest's memory ({} bytes)",
                data.len()
            )
        })?;
    Ok((bytes[..len.min(keep)].to_vec(), len))
}

fn read_all(caller: &mut Caller<'_, State>, ptr: i32, len: i32, import: &str) -> Result<Vec<u8>> {
    Ok(read_guest(caller, ptr, len, import, usize::MAX)?.0)
}

/// A name (of a host function or variable), or the error to answer with.
fn read_name(
    caller: &mut Caller<'_, State>,
    ptr: i32,
    len: i32,
    import: &str,
) -> Result<std::result::Result<String, PluginError>> {
    let (bytes, len) = read_guest(caller, ptr, len, import, MAX_NAME_BYTES)?;
    if len > MAX_NAME_BYTES {
        return Ok(Err(PluginError::invalid_input(format!(
            "{import}: a name of {len} bytes is longer than the {MAX_NAME_BYTES} a name may have"
        ))));
    }
    Ok(String::from_utf8(bytes)
        .map_err(|_| PluginError::invalid_input(format!("{import}: the name is not UTF-8"))))
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

/// Puts `err` (as JSON) in the return buffer and returns -1 for the guest.
fn answer_error(state: &mut State, err: PluginError) -> i32 {
    let err = err.in_plugin(state.services.plugin());
    let json = serde_json::to_vec(&err)
        .unwrap_or_else(|_| br#"{"kind":"internal","message":"?"}"#.to_vec());
    fill_return(state, json);
    -1
}

/// Adds the `env` imports to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> Result<()> {
    linker.func_wrap(
        "env",
        "ft_log",
        |mut caller: Caller<'_, State>, level: i32, ptr: i32, len: i32| -> Result<()> {
            let (kept, len) = read_guest(&mut caller, ptr, len, "ft_log", MAX_LOG_LINE_BYTES)?;
            let message = bounded(&kept, len);
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
            let Ok(name) = read_name(&mut caller, ptr, len, "ft_get_env")? else {
                return Ok(-1);
            };
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
        "ft_config_get",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<i32> {
            let Ok(key) = read_name(&mut caller, ptr, len, "ft_config_get")? else {
                return Ok(-1);
            };
            let state = caller.data_mut();
            Ok(match state.services.config_get(&key) {
                Some(value) => fill_return(state, serde_json::to_vec(&value)?),
                None => -1,
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
            let bytes = read_all(&mut caller, ptr, len, "ft_output")?;
            caller.data_mut().output = Some(bytes);
            Ok(())
        },
    )?;
    linker.func_wrap(
        "env",
        "ft_error",
        |mut caller: Caller<'_, State>, ptr: i32, len: i32| -> Result<()> {
            let (kept, len) = read_guest(&mut caller, ptr, len, "ft_error", MAX_ERROR_BYTES)?;
            caller.data_mut().error = Some(bounded(&kept, len));
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
            let name = match read_name(&mut caller, name_ptr, name_len, "ft_host_call")? {
                Ok(name) => name,
                Err(err) => return Ok(answer_error(caller.data_mut(), err)),
            };
            let args = read_all(&mut caller, args_ptr, args_len, "ft_host_call")?;
            let state = caller.data_mut();
            let args = if args.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&args) {
                    Ok(args) => args,
                    Err(e) => {
                        let err = PluginError::parse(format!(
                            "host function `{name}`: arguments are not JSON: {e}"
                        ));
                        return Ok(answer_error(state, err));
                    }
                }
            };
            match state.services.call(&name, args) {
                Ok(value) => Ok(fill_return(state, serde_json::to_vec(&value)?)),
                Err(_) if past_deadline(state) => {
                    Err(LimitReached::deadline(format!("ft_host_call `{name}`")).into())
                }
                Err(err) => Ok(answer_error(state, err)),
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
