//! WASI 0.2 waits bounded by the call's deadline: `wasi:io/poll`'s `poll` and
//! `pollable.block`, defined over wasmtime-wasi's own (which would block the calling
//! thread for as long as the guest asked, past any time limit: the epoch deadline stops
//! wasm code, not a host call).
//!
//! Each waits as wasmtime-wasi does (its async implementation, run to completion on its
//! runtime) but at most until the call's deadline; a wait cut short by it ends the call as
//! the `time` limit, as `poll_oneoff` does for core modules (`crate::poll`).

use std::future::Future;

use wasmtime::component::{Linker, Resource};
use wasmtime::StoreContextMut;
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi_io::bindings::wasi::io::poll::{Host as _, HostPollable as _};
use wasmtime_wasi_io::poll::DynPollable;

use crate::component::state::ComponentState;
use crate::failure::LimitReached;

/// The `wasi:io/poll` interface wasmtime-wasi 48 links (guests importing an earlier 0.2
/// version are matched to it).
const POLL: &str = "wasi:io/poll@0.2.12";

/// Replaces `poll` and `pollable.block` of `linker` (which has WASI 0.2) by the bounded
/// ones.
pub(crate) fn add_to_linker(linker: &mut Linker<ComponentState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut poll = linker.instance(POLL)?;
    poll.func_wrap(
        "poll",
        |mut store: StoreContextMut<'_, ComponentState>,
         (pollables,): (Vec<Resource<DynPollable>>,)| {
            let state = store.data_mut();
            let left = state.services.remaining();
            let table = &mut state.table;
            bounded(left, "WASI poll", table.poll(pollables)).map(|ready| (ready,))
        },
    )?;
    poll.func_wrap(
        "[method]pollable.block",
        |mut store: StoreContextMut<'_, ComponentState>, (pollable,): (Resource<DynPollable>,)| {
            let state = store.data_mut();
            let left = state.services.remaining();
            let table = &mut state.table;
            bounded(left, "WASI pollable.block", table.block(pollable))
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// Runs `wait` to completion, or until `left` has passed (then traps with the `time`
/// limit, naming `what`). Without a call in progress (`left` is `None`) it is not bounded.
fn bounded<T>(
    left: Option<std::time::Duration>,
    what: &str,
    wait: impl Future<Output = wasmtime::Result<T>>,
) -> wasmtime::Result<T> {
    let Some(left) = left else {
        return in_tokio(wait);
    };
    match in_tokio(async { tokio::time::timeout(left, wait).await }) {
        Ok(done) => done,
        Err(_) => Err(LimitReached::deadline(what.to_owned()).into()),
    }
}
