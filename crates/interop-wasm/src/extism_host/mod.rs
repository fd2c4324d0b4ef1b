//! The `extism:host/env` imports, with the signatures and meaning of Extism's kernel and
//! runtime: memory (`alloc`, `free`, `length`, `length_unsafe`, `load_*`, `store_*`),
//! input and output (`input_length`, `input_load_*`, `input_offset`, `output_set`,
//! `output_offset`, `output_length`, `error_set`, `error_get`, `reset`), and host
//! services (`config_get`, `var_get`, `var_set`, `log_*`, `get_log_level`, and the HTTP
//! imports of [`http`]). What they work on is the store's [`ExtismState`].
//!
//! Offsets the guest passes are checked: a load or store outside the allocated bytes
//! traps the call (the kernel would read or write whatever is there), an allocation over
//! the memory limit ends it as the `memory` limit, and a value over the message limit
//! (an output, a var) as the `message_size` limit.

use interop_sandbox::LogLevel;
use wasmtime::{Caller, Linker};

use crate::extism::{ExtismState, MemoryFault, IMPORT_MODULE, MAX_VAR_BYTES};
use crate::failure::LimitReached;
use crate::state::State;
use crate::text::{bounded, MAX_LOG_LINE_BYTES};

mod http;

type Result<T> = wasmtime::Result<T>;

/// A refused memory access as the error that ends the call.
pub(super) fn fault(err: MemoryFault) -> wasmtime::Error {
    match err {
        MemoryFault::OverLimit { .. } => LimitReached {
            limit: "memory",
            message: err.to_string(),
        }
        .into(),
        MemoryFault::OutOfBounds { .. } => wasmtime::Error::msg(err.to_string()),
    }
}

fn extism<'a>(caller: &'a mut Caller<'_, State>) -> &'a mut ExtismState {
    &mut caller.data_mut().extism
}

/// A `u64` read from `bytes` (the guest is little-endian, as wasm is).
fn le_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(word)
}

/// The bytes of the block at `offset`, refused over the message limit.
pub(super) fn block_checked(state: &State, offset: u64, import: &str) -> Result<Vec<u8>> {
    let bytes = state.extism.memory.block(offset);
    let max = state.services.policy().max_message_bytes;
    if bytes.len() as u64 > max {
        return Err(LimitReached::message_size(import, bytes.len() as u64, max).into());
    }
    Ok(bytes.to_vec())
}

/// Adds the `extism:host/env` imports to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> Result<()> {
    add_memory(linker)?;
    add_input_output(linker)?;
    add_services(linker)?;
    http::add_to_linker(linker)
}

fn add_memory(linker: &mut Linker<State>) -> Result<()> {
    let m = IMPORT_MODULE;
    linker.func_wrap(m, "alloc", |mut c: Caller<'_, State>, n: u64| {
        extism(&mut c).memory.alloc(n).map_err(fault)
    })?;
    linker.func_wrap(m, "free", |mut c: Caller<'_, State>, offset: u64| {
        extism(&mut c).memory.free(offset)
    })?;
    linker.func_wrap(m, "length", |mut c: Caller<'_, State>, offset: u64| {
        extism(&mut c).memory.length(offset)
    })?;
    linker.func_wrap(
        m,
        "length_unsafe",
        |mut c: Caller<'_, State>, offset: u64| extism(&mut c).memory.length(offset),
    )?;
    linker.func_wrap(m, "load_u8", |mut c: Caller<'_, State>, offset: u64| {
        let bytes = extism(&mut c)
            .memory
            .load(offset, 1, "load_u8")
            .map_err(fault)?;
        Ok(i32::from(bytes[0]))
    })?;
    linker.func_wrap(m, "load_u64", |mut c: Caller<'_, State>, offset: u64| {
        let bytes = extism(&mut c)
            .memory
            .load(offset, 8, "load_u64")
            .map_err(fault)?;
        Ok(le_u64(bytes))
    })?;
    linker.func_wrap(
        m,
        "store_u8",
        |mut c: Caller<'_, State>, offset: u64, byte: i32| {
            let memory = &mut extism(&mut c).memory;
            memory
                .store(offset, &[byte as u8], "store_u8")
                .map_err(fault)
        },
    )?;
    linker.func_wrap(
        m,
        "store_u64",
        |mut c: Caller<'_, State>, offset: u64, word: u64| {
            let memory = &mut extism(&mut c).memory;
            memory
                .store(offset, &word.to_le_bytes(), "store_u64")
                .map_err(fault)
        },
    )?;
    Ok(())
}

fn add_input_output(linker: &mut Linker<State>) -> Result<()> {
    let m = IMPORT_MODULE;
    linker.func_wrap(m, "input_length", |mut c: Caller<'_, State>| {
        let state = extism(&mut c);
        state.memory.length(state.input)
    })?;
    linker.func_wrap(m, "input_offset", |mut c: Caller<'_, State>| {
        extism(&mut c).input
    })?;
    linker.func_wrap(m, "input_load_u8", |mut c: Caller<'_, State>, at: u64| {
        let state = extism(&mut c);
        let bytes = load_input(state, at, 1, "input_load_u8")?;
        Ok(i32::from(bytes[0]))
    })?;
    linker.func_wrap(m, "input_load_u64", |mut c: Caller<'_, State>, at: u64| {
        let state = extism(&mut c);
        Ok(le_u64(load_input(state, at, 8, "input_load_u64")?))
    })?;
    linker.func_wrap(
        m,
        "output_set",
        |mut c: Caller<'_, State>, offset: u64, len: u64| -> Result<()> {
            let max = c.data().services.policy().max_message_bytes;
            if len > max {
                return Err(LimitReached::message_size("output_set", len, max).into());
            }
            let state = extism(&mut c);
            state
                .memory
                .load(offset, len, "output_set")
                .map_err(fault)?;
            state.output = Some((offset, len));
            Ok(())
        },
    )?;
    linker.func_wrap(m, "output_offset", |mut c: Caller<'_, State>| {
        extism(&mut c).output.map_or(0, |(offset, _)| offset)
    })?;
    linker.func_wrap(m, "output_length", |mut c: Caller<'_, State>| {
        extism(&mut c).output.map_or(0, |(_, len)| len)
    })?;
    linker.func_wrap(m, "error_set", |mut c: Caller<'_, State>, offset: u64| {
        extism(&mut c).error = offset;
    })?;
    linker.func_wrap(m, "error_get", |mut c: Caller<'_, State>| {
        extism(&mut c).error
    })?;
    linker.func_wrap(m, "reset", |mut c: Caller<'_, State>| {
        let state = extism(&mut c);
        state.memory.reset();
        state.input = 0;
        state.output = None;
        state.error = 0;
    })?;
    Ok(())
}

/// `len` bytes of the call's input from `at`.
fn load_input<'a>(
    state: &'a ExtismState,
    at: u64,
    len: u64,
    import: &'static str,
) -> Result<&'a [u8]> {
    let input_len = state.memory.length(state.input);
    if at.checked_add(len).is_none_or(|end| end > input_len) {
        return Err(wasmtime::format_err!(
            "{import}: bytes {at}..{at}+{len} are outside the input ({input_len} bytes)"
        ));
    }
    state
        .memory
        .load(state.input + at, len, import)
        .map_err(fault)
}

fn add_services(linker: &mut Linker<State>) -> Result<()> {
    let m = IMPORT_MODULE;
    for (name, level) in [
        ("log_trace", LogLevel::Trace),
        ("log_debug", LogLevel::Debug),
        ("log_info", LogLevel::Info),
        ("log_warn", LogLevel::Warn),
        ("log_error", LogLevel::Error),
    ] {
        linker.func_wrap(m, name, move |c: Caller<'_, State>, offset: u64| {
            let state = c.data();
            let bytes = state.extism.memory.block(offset);
            let kept = &bytes[..bytes.len().min(MAX_LOG_LINE_BYTES)];
            state.services.log(level, &bounded(kept, bytes.len()));
        })?;
    }
    // Every level reaches the plugin's log, whose sink filters: 0 is Extism's trace.
    linker.func_wrap(m, "get_log_level", |_: Caller<'_, State>| 0i32)?;
    linker.func_wrap(
        m,
        "config_get",
        |mut c: Caller<'_, State>, key: u64| -> Result<u64> {
            let key = String::from_utf8_lossy(c.data().extism.memory.block(key)).into_owned();
            let value = match c.data().services.config_get(&key) {
                None => return Ok(0),
                Some(serde_json::Value::String(text)) => text.into_bytes(),
                Some(other) => other.to_string().into_bytes(),
            };
            extism(&mut c).memory.alloc_bytes(&value).map_err(fault)
        },
    )?;
    linker.func_wrap(m, "var_get", |mut c: Caller<'_, State>, key: u64| {
        let state = extism(&mut c);
        let key = String::from_utf8_lossy(state.memory.block(key)).into_owned();
        let value = state.vars.lock().ok().and_then(|v| v.get(&key).cloned());
        match value {
            None => Ok(0),
            Some(value) => state.memory.alloc_bytes(&value).map_err(fault),
        }
    })?;
    linker.func_wrap(
        m,
        "var_set",
        |mut c: Caller<'_, State>, key: u64, value: u64| -> Result<()> {
            let key = String::from_utf8_lossy(c.data().extism.memory.block(key)).into_owned();
            let value = (value != 0)
                .then(|| block_checked(c.data(), value, "var_set"))
                .transpose()?;
            let state = extism(&mut c);
            let mut vars = state
                .vars
                .lock()
                .map_err(|_| wasmtime::format_err!("var_set: the vars' lock is poisoned"))?;
            let Some(value) = value else {
                vars.remove(&key);
                return Ok(());
            };
            let others: usize = vars
                .iter()
                .filter(|(k, _)| **k != key)
                .map(|(k, v)| k.len() + v.len())
                .sum();
            let total = others + key.len() + value.len();
            if total > MAX_VAR_BYTES {
                return Err(LimitReached {
                    limit: "memory",
                    message: format!(
                        "var_set `{key}`: vars would hold {total} bytes, over the {MAX_VAR_BYTES} a plugin's vars may hold"
                    ),
                }
                .into());
            }
            vars.insert(key, value);
            Ok(())
        },
    )?;
    Ok(())
}
