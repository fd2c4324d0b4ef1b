//! [`Pool`]: the instances of one plugin, so that calls to it run in parallel.
//!
//! A call takes an idle instance, or makes one when fewer than the pool's size exist, or
//! waits for one to come back. After the call the instance goes back to the pool, unless
//! the call failed in a way that leaves it unusable (a trap, a limit), in which case it is
//! dropped and a later call makes a fresh one. Instances are made on demand: a plugin
//! called from one thread at a time keeps one instance, however large its pool may grow.
//! The most recently returned instance is taken first, so that its memory is warm.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use interop_protocol::plugin::unloaded;
use interop_protocol::{Manifest, PluginError};
use interop_sandbox::Policy;
use serde_json::Value;

/// Most instances one plugin may have, whatever the host asks for.
pub const MAX_INSTANCES_PER_PLUGIN: usize = 64;

/// The instances of a plugin (`T`: a store and what was looked up in it).
pub(crate) struct Pool<T> {
    size: usize,
    slots: Mutex<Slots<T>>,
    returned: Condvar,
}

struct Slots<T> {
    idle: Vec<T>,
    /// Instances that exist, idle or in a call.
    live: usize,
    /// Calls waiting for an instance. Waking a condition variable is a system call even
    /// when no one waits (std's futex), which would be most of a short call's cost.
    waiting: usize,
    closed: bool,
}

/// Why [`Pool::take`] gave no instance.
pub(crate) enum Refused {
    /// The plugin was unloaded.
    Closed,
    /// Every instance stayed busy for the whole wait.
    Busy,
    /// Making a new instance failed.
    Failed(PluginError),
}

impl<T> Pool<T> {
    /// A pool of at most `size` instances (bounded by [`MAX_INSTANCES_PER_PLUGIN`]),
    /// holding `first`.
    pub fn new(size: usize, first: T) -> Self {
        Pool {
            size: size.clamp(1, MAX_INSTANCES_PER_PLUGIN),
            slots: Mutex::new(Slots {
                idle: vec![first],
                live: 1,
                waiting: 0,
                closed: false,
            }),
            returned: Condvar::new(),
        }
    }

    /// Most instances this pool makes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Instances that exist now, idle or in a call.
    pub fn live(&self) -> usize {
        self.lock().live
    }

    /// An instance for the call `what` of the plugin `manifest` declares, waiting up to
    /// its time limit; a refusal as the error the caller sees.
    pub fn lease(
        &self,
        what: &dyn Fn() -> String,
        manifest: &Manifest,
        policy: &Policy,
        make: impl FnOnce() -> Result<T, PluginError>,
    ) -> Result<Lease<'_, T>, PluginError> {
        match self.take(policy.timeout, make) {
            Ok(lease) => Ok(lease),
            Err(Refused::Closed) => Err(unloaded(manifest)),
            Err(Refused::Failed(e)) => Err(e),
            Err(Refused::Busy) => Err(PluginError::limit(
                "queue",
                format!(
                    "{}: all {} instances of the plugin stayed busy for its time limit of {} ms",
                    what(),
                    self.size,
                    policy.timeout.as_millis()
                ),
            )
            .in_plugin(&policy.plugin)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slots<T>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An instance for one call: an idle one, a new one from `make` (outside the pool's
    /// lock, so that other calls go on meanwhile), or the first one returned within
    /// `wait`.
    pub fn take(
        &self,
        wait: Duration,
        make: impl FnOnce() -> Result<T, PluginError>,
    ) -> Result<Lease<'_, T>, Refused> {
        let mut deadline = None;
        let mut slots = self.lock();
        loop {
            if slots.closed {
                return Err(Refused::Closed);
            }
            if let Some(instance) = slots.idle.pop() {
                return Ok(Lease {
                    pool: self,
                    instance: Some(instance),
                });
            }
            if slots.live < self.size {
                slots.live += 1;
                drop(slots);
                return match make() {
                    Ok(instance) => Ok(Lease {
                        pool: self,
                        instance: Some(instance),
                    }),
                    Err(e) => {
                        self.forget_one();
                        Err(Refused::Failed(e))
                    }
                };
            }
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + wait);
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Refused::Busy);
            }
            slots.waiting += 1;
            slots = self
                .returned
                .wait_timeout(slots, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
            slots.waiting -= 1;
        }
    }

    /// One instance fewer exists (it was dropped, or never made): a waiting call may
    /// make one.
    fn forget_one(&self) {
        let mut slots = self.lock();
        slots.live -= 1;
        self.wake_one(slots);
    }

    /// Wakes one waiting call, if any.
    fn wake_one(&self, slots: MutexGuard<'_, Slots<T>>) {
        let waiting = slots.waiting > 0;
        drop(slots);
        if waiting {
            self.returned.notify_one();
        }
    }

    fn give_back(&self, instance: T) {
        let mut slots = self.lock();
        if slots.closed {
            slots.live -= 1;
            drop(slots);
            drop(instance);
            return;
        }
        slots.idle.push(instance);
        self.wake_one(slots);
    }

    /// Drops the idle instances and refuses calls from now on; instances in a call are
    /// dropped when their call ends.
    pub fn close(&self) {
        let idle = {
            let mut slots = self.lock();
            slots.closed = true;
            slots.live -= slots.idle.len();
            std::mem::take(&mut slots.idle)
        };
        drop(idle);
        self.returned.notify_all();
    }
}

/// An instance taken from a [`Pool`] for one call; it goes back when dropped.
pub(crate) struct Lease<'a, T> {
    pool: &'a Pool<T>,
    instance: Option<T>,
}

impl<T> Lease<'_, T> {
    /// Drops the instance instead of returning it (it failed and may be unusable).
    pub fn discard(mut self) {
        self.instance = None;
        self.pool.forget_one();
    }
}

impl<T> std::ops::Deref for Lease<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.instance
            .as_ref()
            .expect("a lease holds its instance until dropped")
    }
}

impl<T> std::ops::DerefMut for Lease<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.instance
            .as_mut()
            .expect("a lease holds its instance until dropped")
    }
}

impl<T> Drop for Lease<'_, T> {
    fn drop(&mut self) {
        let Some(instance) = self.instance.take() else {
            return;
        };
        if std::thread::panicking() {
            // A host function panicked during the call: the instance may be half-way
            // through anything.
            drop(instance);
            self.pool.forget_one();
        } else {
            self.pool.give_back(instance);
        }
    }
}

/// The JSON of a call's `input`, refused when over the policy's message limit.
pub(crate) fn encode_input(
    what: &dyn Fn() -> String,
    input: &Value,
    policy: &Policy,
) -> Result<Vec<u8>, PluginError> {
    let input = serde_json::to_vec(input).map_err(|e| PluginError::internal(e.to_string()))?;
    checked_input(what, input, policy)
}

/// `input` (a call's encoded input) when it fits the plugin's message limit.
pub(crate) fn checked_input(
    what: &dyn Fn() -> String,
    input: Vec<u8>,
    policy: &Policy,
) -> Result<Vec<u8>, PluginError> {
    if input.len() as u64 > policy.max_message_bytes {
        return Err(PluginError::limit(
            "message_size",
            format!(
                "{}: input of {} bytes is over the {}-byte message limit",
                what(),
                input.len(),
                policy.max_message_bytes
            ),
        )
        .in_plugin(&policy.plugin));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(pool: &Pool<u32>, next: u32) -> Result<Lease<'_, u32>, Refused> {
        pool.take(Duration::from_millis(20), || Ok(next))
    }

    #[test]
    fn instances_are_made_up_to_the_size_then_calls_wait_and_give_up() {
        let pool = Pool::new(2, 1);
        let a = take(&pool, 9).ok().unwrap();
        let b = take(&pool, 2).ok().unwrap();
        assert_eq!((*a, *b, pool.live()), (1, 2, 2));
        assert!(matches!(take(&pool, 3), Err(Refused::Busy)));
        b.discard();
        assert_eq!(pool.live(), 1);
        assert_eq!(*take(&pool, 4).ok().unwrap(), 4);
        drop(a);
        assert_eq!(
            *take(&pool, 5).ok().unwrap(),
            1,
            "the returned instance is reused"
        );
    }

    #[test]
    fn a_failed_instance_frees_its_place_and_a_closed_pool_refuses() {
        let pool = Pool::new(1, 1);
        let a = take(&pool, 0).ok().unwrap();
        a.discard();
        let failed = pool.take(Duration::ZERO, || Err(PluginError::internal("no")));
        assert!(matches!(failed, Err(Refused::Failed(_))));
        assert_eq!(pool.live(), 0);
        let b = take(&pool, 7).ok().unwrap();
        pool.close();
        assert!(matches!(take(&pool, 8), Err(Refused::Closed)));
        drop(b);
        assert_eq!(pool.live(), 0);
    }
}
