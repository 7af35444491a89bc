//! The cache hit's fast path: per-thread replicas of the current token, checked against the
//! slot's published version with one plain load, so a hit writes nothing another thread reads.
//!
//! A slot publishes each change of its current token (a new token, an invalidation) by storing
//! a fresh number from one process-wide counter into its [`Version`], while it holds the write
//! lock on the token. Each thread keeps, per slot it used lately, a replica: its own copy of the
//! token (own allocation, own reference count), stamped with the version it copied it at and
//! its deadlines (a [`Stamp`]). A hit is:
//!
//! 1. load the slot's version (a read of a line written only when the token changes);
//! 2. find this thread's replica with that version — version numbers are never reused in a
//!    process, so an equal number means "copied from this slot's current token";
//! 3. read the coarse clock (`clock`) and compare with the replica's deadlines;
//! 4. clone the replica's `Arc`: a count on a line only this thread touches (unless the caller
//!    frees it on another thread, which is correct, only slower).
//!
//! Anything else — no replica, a stale version, a deadline within the clock's margin, a
//! refresh due and not yet running — goes to the exact path (`Slot::get`), unchanged.
//!
//! **Guarantees kept.** Tokens stay immutable and freeable on any thread (a replica is an
//! ordinary `Arc<Token>`; the thread's own reference is dropped when it is replaced or the
//! thread exits). Compare-and-invalidate publishes a new version under the write lock, so a hit
//! that loads the version after `invalidate` returned cannot see the dropped token. Refresh-ahead
//! stays with the exact path, which every hit past the refresh point takes until a refresh is
//! running. After `fork()` the child uses new slots whose versions come from the same counter,
//! continued: no replica inherited from the parent matches them.

use std::{
    cell::RefCell,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::{clock, striped, token::Token};

/// Replicas kept per thread: the slots a thread used most recently.
const REPLICAS: usize = 4;

/// The next version number, process-wide. 0 means "no token" and is never handed out.
static NEXT_VERSION: AtomicU64 = AtomicU64::new(1);

/// A slot's published version, alone on its cache lines: the hit path reads it, the writers of
/// the slot's other fields (locks, flight state) must not make those reads miss.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Version(AtomicU64);

impl Version {
    /// Marks a change of the slot's token. Call with the slot's write lock held.
    pub fn publish(&self) {
        self.0
            .store(NEXT_VERSION.fetch_add(1, Ordering::Relaxed), Ordering::Release);
    }

    /// The current version. Read under the slot's read lock, it belongs to the token read there.
    pub fn load(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// What a replica's hit checks, stamped on the replica when it is made: the slot's version it
/// was copied at, and its deadlines on the `clock`, already moved earlier by the clock's
/// margin (see `clock`). All zero, so never serving, on a token that is not a replica.
#[derive(Clone, Copy, Default)]
pub(crate) struct Stamp {
    version: u64,
    /// The token is usable for `min_valid` while `now + max(min_valid, buffer) < expires`, as
    /// `Token::usable` says (`expires` here is moved earlier by the clock's margin).
    expires: u64,
    buffer: u64,
    refresh_at: u64,
    /// The hit counter stripe of the thread that made the replica (see `striped`), so a hit
    /// reads no thread-local for it.
    stripe: usize,
}

impl Stamp {
    fn new(version: u64, token: &Token) -> Stamp {
        Stamp {
            version,
            expires: clock::nanos_at(token.expires_at()).saturating_sub(clock::margin()),
            buffer: token.safety_buffer().as_nanos().try_into().unwrap_or(u64::MAX),
            refresh_at: clock::nanos_at(token.refresh_at()),
            stripe: striped::stripe(),
        }
    }

    /// The counter stripe a hit on this replica bumps.
    pub fn stripe(&self) -> usize {
        self.stripe
    }

    /// Whether the replica is of the slot's token at `version` and serves `min_valid` at a
    /// glance: not within the clock's margin of running out, and either short of its refresh
    /// point or `refreshing` (asked only then) says a refresh runs.
    #[inline]
    pub fn serves(&self, version: u64, min_valid: Duration, refreshing: impl FnOnce() -> bool) -> bool {
        if self.version != version || version == 0 {
            return false;
        }
        let now = clock::now();
        // min_valid is at most token::MAX_LIFETIME: it fits.
        let needed = now.saturating_add((min_valid.as_nanos() as u64).max(self.buffer));
        needed < self.expires && (now < self.refresh_at || refreshing())
    }
}

struct Replicas {
    /// This thread's replicas, each an `Arc` of a token stamped with its version.
    entries: [Option<Arc<Token>>; REPLICAS],
    /// The entry the next new replica replaces, round robin.
    next: usize,
}

thread_local! {
    static LOCAL: RefCell<Replicas> = const {
        RefCell::new(Replicas {
            entries: [None, None, None, None],
            next: 0,
        })
    };
}

/// The hit, if this thread's replica of the slot's token at `version` serves it (see
/// [`Stamp::serves`]).
#[inline]
pub fn fast(version: u64, min_valid: Duration, refreshing: impl FnOnce() -> bool) -> Option<Arc<Token>> {
    LOCAL
        .try_with(|local| {
            let local = local.try_borrow().ok()?;
            let replica = local.entries.iter().flatten().find(|r| r.stamp.version == version)?;
            replica
                .stamp
                .serves(version, min_valid, refreshing)
                .then(|| replica.clone())
        })
        .ok()
        .flatten()
}

/// This thread's replica of `token`, the slot's token at `version` (read together under its
/// lock): the existing one, or a copy made now. The shared `token` itself if the thread is
/// exiting.
pub fn replica(version: u64, token: &Arc<Token>) -> Arc<Token> {
    LOCAL
        .try_with(|local| {
            let mut local = local.try_borrow_mut().ok()?;
            if let Some(existing) = local.entries.iter().flatten().find(|r| r.stamp.version == version) {
                return Some(existing.clone());
            }
            let copy = Arc::new(token.replica(Stamp::new(version, token)));
            let at = local.next;
            local.next = (at + 1) % REPLICAS;
            // The replaced replica's token is freed here, outside no lock of anyone's.
            local.entries[at] = Some(copy.clone());
            Some(copy)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| token.clone())
}

#[cfg(test)]
mod tests {
    use std::time::{Instant, SystemTime};

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn shared(value: &str, lifetime: Duration, age: Duration) -> Arc<Token> {
        Arc::new(Token::new(
            value,
            "api1",
            lifetime,
            Instant::now() - age,
            SystemTime::now() - age,
        ))
    }

    fn fresh_version() -> u64 {
        NEXT_VERSION.fetch_add(1, Ordering::Relaxed)
    }

    #[test]
    fn a_replica_is_this_threads_own_copy_and_serves_its_version_only() {
        let token = shared("a", HOUR, Duration::ZERO);
        let version = fresh_version();
        assert!(fast(version, Duration::ZERO, || false).is_none(), "no replica yet");
        let copy = replica(version, &token);
        assert!(!Arc::ptr_eq(&copy, &token));
        assert_eq!(copy.access_token(), "a");
        let hit = fast(version, Duration::ZERO, || false).expect("a hit");
        assert!(Arc::ptr_eq(&hit, &copy));
        assert_eq!(hit.stamp.stripe(), striped::stripe());
        assert!(
            !token.stamp.serves(version, Duration::ZERO, || true),
            "the original is no replica"
        );
        assert!(
            fast(fresh_version(), Duration::ZERO, || false).is_none(),
            "another version"
        );
        let other_thread = std::thread::spawn(move || fast(version, Duration::ZERO, || false).is_none());
        assert!(other_thread.join().unwrap(), "replicas are per thread");
    }

    #[test]
    fn the_fast_path_declines_near_the_edge_and_past_the_refresh_point() {
        // Usable until 3540 s (an hour less the 60 s safety buffer).
        let token = shared("b", HOUR, Duration::ZERO);
        let version = fresh_version();
        replica(version, &token);
        assert!(fast(version, Duration::from_secs(3500), || false).is_some());
        assert!(fast(version, Duration::from_secs(3600), || false).is_none());
        // Aged past its refresh point (at most 75 % of the hour): declined unless one runs.
        let aged = shared("c", HOUR, Duration::from_secs(2800));
        let version = fresh_version();
        replica(version, &aged);
        assert!(fast(version, Duration::ZERO, || false).is_none());
        assert!(fast(version, Duration::ZERO, || true).is_some());
        // At its usable window's end (9 s of 10): declined.
        let edge = shared("d", Duration::from_secs(10), Duration::from_secs(9));
        let version = fresh_version();
        replica(version, &edge);
        assert!(fast(version, Duration::ZERO, || true).is_none());
    }

    #[test]
    fn at_most_four_replicas_per_thread() {
        let versions: Vec<u64> = (0..5).map(|_| fresh_version()).collect();
        let tokens: Vec<_> = versions.iter().map(|_| shared("e", HOUR, Duration::ZERO)).collect();
        for (version, token) in versions.iter().zip(&tokens) {
            replica(*version, token);
        }
        let kept = versions
            .iter()
            .filter(|v| fast(**v, Duration::ZERO, || false).is_some())
            .count();
        assert_eq!(kept, REPLICAS);
        // The shared tokens are held only here and by no replica of the evicted one.
        assert_eq!(Arc::strong_count(&tokens[0]), 1);
    }
}
