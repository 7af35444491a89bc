//! Process-wide state, made safe across `fork()`.
//!
//! A lock held by another thread when the process forks stays held forever in the child, so the
//! child must never touch the parent's locks. An `atfork` handler only bumps a counter (an
//! atomic: safe there) and closes the child's copies of host-level lock files (`close` is safe
//! there too); anything built for an older generation is then left alone — never locked, never
//! dropped — and the child builds its own, with an empty cache.

use std::{
    collections::HashMap,
    ptr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicPtr, AtomicU64, Ordering},
    },
    time::Instant,
};

use crate::{
    cache::{CacheKey, Slot},
    oauth::discovery::DiscoveryCache,
};

static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(ptr::null_mut());

/// How many times this process's line of ancestors has forked since the library loaded.
#[inline]
pub fn generation() -> u64 {
    FORK_GENERATION.load(Ordering::Acquire)
}

#[cfg(unix)]
extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::AcqRel);
    crate::log::after_fork_in_child();
    crate::shared::close_inherited_locks();
}

/// Registers the atfork handler once. On Linux it runs when the library is loaded (below), so
/// a fork that races the first use of the library is seen too; elsewhere, on first use.
#[cfg(unix)]
fn watch_forks() {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registers a handler that only stores to atomics.
        unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
    });
}

/// Runs `watch_forks` when the library is loaded (a constructor in `.init_array`, as a C
/// library's `__attribute__((constructor))`): before any thread of the program can call into
/// it, and before it can fork while the library is in use.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static WATCH_FORKS_AT_LOAD: extern "C" fn() = {
    extern "C" fn at_load() {
        watch_forks();
    }
    at_load
};

/// Windows has no fork (a new process starts from scratch, never with a copy of this one's
/// memory), so the generation stays 0 for the life of the process.
#[cfg(not(unix))]
fn watch_forks() {}

/// The caches shared by every client of this process (of this fork generation).
pub struct Registry {
    generation: u64,
    /// The registry it replaced (the parent process's, in a forked child): leaked on purpose
    /// (see `registry`), and linked here so that a leak checker in the child sees it reachable
    /// instead of lost.
    _replaced: Option<&'static Registry>,
    slots: Mutex<HashMap<CacheKey, Arc<Slot>>>,
    pub discovery: DiscoveryCache,
}

impl Registry {
    /// The cache slot for `key`, shared with every other client of the same identity.
    pub fn slot_for(&self, key: CacheKey) -> Arc<Slot> {
        let mut slots = crate::sync::lock(&self.slots);
        // Forget identities nobody uses any more once their token is gone (rotated secrets, say).
        let now = Instant::now();
        slots.retain(|_, slot| Arc::strong_count(slot) > 1 || slot.holds_usable_token(now));
        slots.entry(key).or_default().clone()
    }
}

/// The registry of the current fork generation, created on first use in each process.
pub fn registry() -> &'static Registry {
    watch_forks();
    let generation = generation();
    let current = REGISTRY.load(Ordering::Acquire);
    // SAFETY: registries are leaked, never freed, so any pointer ever stored stays valid.
    if let Some(registry) = unsafe { current.as_ref() } {
        if registry.generation == generation {
            return registry;
        }
    }
    let fresh = Box::into_raw(Box::new(Registry {
        generation,
        // SAFETY: registries are never freed.
        _replaced: unsafe { current.as_ref() },
        slots: Mutex::default(),
        discovery: DiscoveryCache::default(),
    }));
    match REGISTRY.compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire) {
        // The parent's registry (if any) is leaked on purpose: its locks may be held by threads
        // that do not exist in this process.
        // SAFETY: just stored; never freed.
        Ok(_) => unsafe { &*fresh },
        Err(winner) => {
            // Another thread installed one first; ours was never shared.
            // SAFETY: `fresh` came from Box::into_raw above and nobody else has it.
            drop(unsafe { Box::from_raw(fresh) });
            // SAFETY: registries are never freed.
            unsafe { &*winner }
        }
    }
}
