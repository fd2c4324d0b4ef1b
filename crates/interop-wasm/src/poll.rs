//! WASI `poll_oneoff` that never waits past the call's deadline.
//!
//! Guests sleep through `poll_oneoff` with clock subscriptions (Rust's
//! `std::thread::sleep`, C's `sleep` and `nanosleep`, Go's timers). wasmtime-wasi's
//! implementation blocks the thread for the whole sleep, and epoch interruption only stops
//! wasm code, so a guest asleep for 30 s would outlive a 1 s time limit by 29 s. This
//! module shadows `wasi_snapshot_preview1::poll_oneoff` in the linker:
//!
//! - when every subscription is a clock, it sleeps until the first one is due, or until
//!   the call's deadline if that comes first, and then ends the call as the `time` limit
//!   ([`LimitReached`]); otherwise it reports the due clocks as events, as WASI says;
//! - when any subscription is a file descriptor, it hands the call to wasmtime-wasi's own
//!   `poll_oneoff` (called as wasmtime-wasi's linker entry calls it). A plugin's
//!   descriptors are always ready (its stdin is empty, stdout and stderr are captured,
//!   files are regular files), so such a poll returns at once. A command run by
//!   `interop run` inherits the process's stdin, and a poll on it waits for input, like
//!   any command-line program.
//!
//! Absolute deadlines on the monotonic clock are read against [`GuestClock`], the
//! monotonic clock the guest's WASI context is given.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use wasmtime::{AsContextMut, Caller, Extern, Linker, Memory};
use wasmtime_wasi::p1::wasi_snapshot_preview1::{self as p1, WasiSnapshotPreview1};
use wasmtime_wasi::runtime;

use crate::clock::GuestClock;
use crate::failure::LimitReached;
use crate::state::State;

const MODULE: &str = "wasi_snapshot_preview1";

/// `subscription` and `event` of `wasi_snapshot_preview1`: sizes and field offsets.
const SUBSCRIPTION_BYTES: usize = 48;
const EVENT_BYTES: usize = 32;
const TAG_CLOCK: u8 = 0;
const EVENTTYPE_CLOCK: u8 = 0;
const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const SUBCLOCKFLAGS_ABSTIME: u16 = 1;
const ERRNO_SUCCESS: i32 = 0;
const ERRNO_FAULT: i32 = 21;
const ERRNO_INVAL: i32 = 28;

/// Shadows `poll_oneoff` in `linker` (which already holds wasmtime-wasi's functions).
pub(crate) fn add_to_linker(linker: &mut Linker<State>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        |mut caller: Caller<'_, State>,
         subs: i32,
         events: i32,
         count: i32,
         nevents: i32|
         -> wasmtime::Result<i32> {
            let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                return Ok(ERRNO_FAULT);
            };
            let clocks = match plan(memory.data(&caller), subs, count) {
                Ok(Some(clocks)) => clocks,
                Ok(None) => return wasi_poll(&mut caller, memory, [subs, events, count, nevents]),
                Err(errno) => return Ok(errno),
            };
            let due = clocks.iter().map(|c| c.wait).min().unwrap_or_default();
            match caller.data().services.remaining() {
                Some(left) if left <= due => {
                    std::thread::sleep(left);
                    return Err(LimitReached::deadline("WASI poll_oneoff").into());
                }
                _ => std::thread::sleep(due),
            }
            Ok(write_events(
                memory.data_mut(&mut caller),
                &clocks,
                due,
                events,
                nevents,
            ))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// wasmtime-wasi's own `poll_oneoff`, called as its linker entry calls it.
fn wasi_poll(
    caller: &mut Caller<'_, State>,
    memory: Memory,
    [subs, events, count, nevents]: [i32; 4],
) -> wasmtime::Result<i32> {
    let fuel = caller.as_context_mut().hostcall_fuel();
    let (data, state) = memory.data_and_store_mut(caller);
    let ctx = state.wasi();
    ctx.set_hostcall_fuel(fuel);
    let mut memory = wiggle::GuestMemory::Unshared(data);
    runtime::in_tokio(p1::poll_oneoff(
        ctx,
        &mut memory,
        subs,
        events,
        count,
        nevents,
    ))
}

/// One clock subscription: its userdata and how long until it is due.
struct Clock {
    userdata: u64,
    wait: Duration,
}

/// Reads `count` subscriptions at `subs`: `Some(clocks)` when all are clocks, `None` when
/// any waits on a file descriptor, or the errno to answer.
fn plan(memory: &[u8], subs: i32, count: i32) -> Result<Option<Vec<Clock>>, i32> {
    let count = count as u32 as usize;
    if count == 0 {
        // Waiting for nothing forever: WASI preview 1 has no such call.
        return Err(ERRNO_INVAL);
    }
    let start = subs as u32 as usize;
    let bytes = count
        .checked_mul(SUBSCRIPTION_BYTES)
        .and_then(|len| memory.get(start..start.checked_add(len)?))
        .ok_or(ERRNO_FAULT)?;
    let mut clocks = Vec::with_capacity(count);
    for sub in bytes.chunks_exact(SUBSCRIPTION_BYTES) {
        if sub[8] != TAG_CLOCK {
            return Ok(None);
        }
        let u32_at =
            |at: usize| u32::from_le_bytes([sub[at], sub[at + 1], sub[at + 2], sub[at + 3]]);
        let u64_at = |at: usize| u64::from(u32_at(at)) | u64::from(u32_at(at + 4)) << 32;
        let id = u32_at(16);
        let timeout = u64_at(24);
        let absolute = u16::from_le_bytes([sub[40], sub[41]]) & SUBCLOCKFLAGS_ABSTIME != 0;
        let wait = match (id, absolute) {
            (CLOCK_REALTIME | CLOCK_MONOTONIC, false) => Duration::from_nanos(timeout),
            (CLOCK_MONOTONIC, true) => GuestClock::until(timeout),
            (CLOCK_REALTIME, true) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                Duration::from_nanos(timeout).saturating_sub(now)
            }
            // CPU-time clocks, as in wasmtime-wasi, and unknown ones.
            _ => return Err(ERRNO_INVAL),
        };
        clocks.push(Clock {
            userdata: u64_at(0),
            wait,
        });
    }
    Ok(Some(clocks))
}

/// Writes an event for each clock due by `elapsed` at `events` and their number at
/// `nevents`; returns the errno.
fn write_events(
    memory: &mut [u8],
    clocks: &[Clock],
    elapsed: Duration,
    events: i32,
    nevents: i32,
) -> i32 {
    let due: Vec<&Clock> = clocks.iter().filter(|c| c.wait <= elapsed).collect();
    let start = events as u32 as usize;
    let Some(out) = start
        .checked_add(due.len() * EVENT_BYTES)
        .and_then(|end| memory.get_mut(start..end))
    else {
        return ERRNO_FAULT;
    };
    for (event, clock) in out.chunks_exact_mut(EVENT_BYTES).zip(&due) {
        event.fill(0);
        event[..8].copy_from_slice(&clock.userdata.to_le_bytes());
        // error (u16 at 8) is success, 0; type (u8 at 10) is clock.
        event[10] = EVENTTYPE_CLOCK;
    }
    let at = nevents as u32 as usize;
    let Some(count) = at.checked_add(4).and_then(|end| memory.get_mut(at..end)) else {
        return ERRNO_FAULT;
    };
    count.copy_from_slice(&(due.len() as u32).to_le_bytes());
    ERRNO_SUCCESS
}
