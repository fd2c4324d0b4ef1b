//! One shared watchdog thread that stops scripts past their deadline.
//!
//! A call only stores its deadline in an atomic before running and clears it after (under
//! a small per-runtime lock): no message to a timer thread per call (measured elsewhere at
//! ~20 µs a call). While some call is armed, the watchdog wakes every [`TICK`] and
//! terminates the calls whose deadline has passed, so a timeout is honoured within one
//! tick. When no call is armed it parks, and the next `arm` wakes it: a call pays one
//! atomic load for that, plus a wake-up only after the watchdog went idle.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::engine;

/// How often the watchdog looks at deadlines.
pub(crate) const TICK: Duration = Duration::from_millis(5);

/// The part of a runtime the watchdog sees.
#[derive(Default)]
pub(crate) struct Watched {
    /// Microseconds since [`epoch`] after which the running call is stopped; 0: none.
    deadline: AtomicU64,
    guard: Mutex<GuardState>,
}

#[derive(Default)]
struct GuardState {
    /// The engine to terminate (0 once freed).
    handle: usize,
    /// The watchdog terminated the current call.
    fired: bool,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_us() -> u64 {
    epoch().elapsed().as_micros() as u64
}

impl Watched {
    /// Watches the engine at `handle` (from `Engine::raw_handle`).
    pub(crate) fn register(handle: usize) -> Arc<Watched> {
        let w = Arc::new(Watched {
            deadline: AtomicU64::new(0),
            guard: Mutex::new(GuardState {
                handle,
                fired: false,
            }),
        });
        watchdog().add(Arc::downgrade(&w));
        w
    }

    /// Starts a call that must finish within `timeout`.
    pub(crate) fn arm(&self, timeout: Duration) {
        let at = now_us().saturating_add(timeout.as_micros() as u64).max(1);
        self.deadline.store(at, Ordering::SeqCst);
        watchdog().wake_if_idle();
    }

    /// Ends the call; whether the watchdog terminated it. After this returns the
    /// watchdog cannot terminate the engine until the next [`arm`](Self::arm).
    pub(crate) fn disarm(&self) -> bool {
        let mut g = self.guard.lock().unwrap_or_else(|e| e.into_inner());
        self.deadline.store(0, Ordering::Release);
        std::mem::take(&mut g.fired)
    }

    /// Stops watching: the engine is about to be freed.
    pub(crate) fn release(&self) {
        let mut g = self.guard.lock().unwrap_or_else(|e| e.into_inner());
        self.deadline.store(0, Ordering::Release);
        g.handle = 0;
    }

    /// Terminates the running call now (from any thread), as if its deadline had passed.
    pub(crate) fn terminate_now(&self) {
        let mut g = self.guard.lock().unwrap_or_else(|e| e.into_inner());
        if g.handle != 0 {
            // SAFETY: the handle is cleared (under this lock) before the engine is freed.
            unsafe { engine::terminate(g.handle) };
            g.fired = true;
        }
    }

    fn is_armed(&self) -> bool {
        self.deadline.load(Ordering::SeqCst) != 0
    }

    fn check(&self, now: u64) {
        let d = self.deadline.load(Ordering::Acquire);
        if d == 0 || now < d {
            return;
        }
        let mut g = self.guard.lock().unwrap_or_else(|e| e.into_inner());
        // Re-check under the lock: the call may have finished meanwhile.
        let d = self.deadline.load(Ordering::Acquire);
        if d != 0 && now >= d && g.handle != 0 {
            // SAFETY: as in terminate_now.
            unsafe { engine::terminate(g.handle) };
            g.fired = true;
            self.deadline.store(0, Ordering::Release);
        }
    }
}

struct Watchdog {
    runtimes: Mutex<Vec<Weak<Watched>>>,
    thread: OnceLock<std::thread::Thread>,
    /// The watchdog is parked (or about to park) until a call is armed.
    idle: AtomicBool,
}

fn watchdog() -> &'static Watchdog {
    static W: OnceLock<Watchdog> = OnceLock::new();
    W.get_or_init(|| Watchdog {
        runtimes: Mutex::new(Vec::new()),
        thread: OnceLock::new(),
        idle: AtomicBool::new(false),
    })
}

impl Watchdog {
    fn add(&'static self, w: Weak<Watched>) {
        self.runtimes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(w);
        let thread = self.thread.get_or_init(|| {
            std::thread::Builder::new()
                .name("interop-js-watchdog".into())
                .spawn(move || self.run())
                .map(|h| h.thread().clone())
                .unwrap_or_else(|_| std::thread::current())
        });
        thread.unpark();
    }

    fn wake_if_idle(&self) {
        if self.idle.load(Ordering::SeqCst) && self.idle.swap(false, Ordering::SeqCst) {
            if let Some(t) = self.thread.get() {
                t.unpark();
            }
        }
    }

    fn live(&self) -> Vec<Arc<Watched>> {
        let mut list = self.runtimes.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|w| w.strong_count() > 0);
        list.iter().filter_map(Weak::upgrade).collect()
    }

    fn run(&self) {
        loop {
            let live = self.live();
            let now = now_us();
            for w in &live {
                w.check(now);
            }
            if !live.iter().any(|w| w.is_armed()) {
                // Go idle first, then look again: a call armed after this look sees
                // `idle` and wakes us; one armed before it is seen here.
                self.idle.store(true, Ordering::SeqCst);
                if !self.live().iter().any(|w| w.is_armed()) {
                    drop(live);
                    std::thread::park();
                    // Whoever woke us cleared `idle`; a spurious wake-up clears it here.
                    self.idle.store(false, Ordering::SeqCst);
                    continue;
                }
                self.idle.store(false, Ordering::SeqCst);
            }
            drop(live);
            std::thread::sleep(TICK);
        }
    }
}
