//! [`GuestClock`]: the monotonic clock guests see through WASI.
//!
//! It counts nanoseconds from a base shared by the whole process, so that an absolute
//! deadline a guest computes from it can be turned back into an [`Instant`] (which is
//! what `poll_oneoff` needs to cut a sleep at the call's deadline).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wasmtime_wasi::HostMonotonicClock;

/// The monotonic clock given to every guest's WASI context.
pub(crate) struct GuestClock;

fn base() -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

impl GuestClock {
    /// How long until the guest clock reads `nanos` (zero once it has).
    pub fn until(nanos: u64) -> Duration {
        (base() + Duration::from_nanos(nanos)).saturating_duration_since(Instant::now())
    }
}

impl HostMonotonicClock for GuestClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(base().elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}
