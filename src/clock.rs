//! A cheap monotonic clock for the cache hit (see `hit`), in nanoseconds.
//!
//! On Linux the hit reads `CLOCK_MONOTONIC_COARSE`: the kernel's monotonic time as of its last
//! timer tick, read from the vDSO without touching the time-stamp counter (a few ns, where a
//! precise `CLOCK_MONOTONIC` read costs ~23 ns on the reference VM). Elsewhere it reads
//! `Instant::now()`.
//!
//! ## The bound
//!
//! Both clocks count the same monotonic time (the coarse one is the precise one sampled at each
//! tick), so at any moment `coarse ≤ precise ≤ coarse + tick`, where `tick` is what
//! `clock_getres(CLOCK_MONOTONIC_COARSE)` reports (1–10 ms: HZ 1000 to 100). [`margin`] is
//! four ticks, so a tick that comes late (a busy or virtualised CPU) is covered too, and the
//! precise clock is used when the tick is over 10 ms. The hit path moves its deadlines
//! [`margin`] earlier (see `hit::Replica`): it says "usable" only when
//! `coarse + min_valid < usable_until - margin`, hence `precise + min_valid < usable_until`:
//! exactly the promise the precise clock makes. Near the edge the hit path declines and the
//! exact path (precise `Instant`) decides, so a token is never handed out later than before.
//! What the coarse clock costs is only that, in the last `margin` (≤ 40 ms) before a token
//! leaves its usable window, hits go through the exact path; the window ends at least one
//! safety buffer (10 % of the lifetime) before expiry.

use std::{sync::OnceLock, time::Instant};

/// The common origin of both readings: a precise reading taken *before* an `Instant`, so a
/// converted deadline is never later than the true one.
struct Anchor {
    nanos: u64,
    instant: Instant,
    margin: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| {
        let nanos = precise_nanos();
        Anchor {
            nanos,
            instant: Instant::now(),
            margin: coarse_margin(),
        }
    })
}

/// The time `at` on this clock, never later than it (see the module's bound).
pub fn nanos_at(at: Instant) -> u64 {
    let anchor = anchor();
    if at >= anchor.instant {
        let after: u64 = (at - anchor.instant).as_nanos().try_into().unwrap_or(u64::MAX);
        anchor.nanos.saturating_add(after)
    } else {
        let before: u64 = (anchor.instant - at).as_nanos().try_into().unwrap_or(u64::MAX);
        anchor.nanos.saturating_sub(before)
    }
}

/// How far [`now`] may lag the precise clock: what hit deadlines are moved earlier by.
pub fn margin() -> u64 {
    anchor().margin
}

#[cfg(target_os = "linux")]
mod imp {
    /// Above this tick the coarse clock is not used: the hit would decline too much of a short
    /// token's life.
    const MAX_TICK_NANOS: i64 = 10_000_000;
    /// Ticks of lag covered (see the module's bound).
    const TICKS: u64 = 4;

    static USE_COARSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    #[inline]
    fn read(clock: libc::clockid_t) -> u64 {
        let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: writes one timespec that we own; both clocks exist on every Linux since 2.6.32.
        let rc = unsafe { libc::clock_gettime(clock, &mut time) };
        if rc != 0 {
            return 0;
        }
        (time.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(time.tv_nsec as u64)
    }

    pub fn precise_nanos() -> u64 {
        read(libc::CLOCK_MONOTONIC)
    }

    /// Decides, once, whether the coarse clock is used, and the margin that covers it.
    pub fn coarse_margin() -> u64 {
        let mut tick = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: writes one timespec that we own.
        let rc = unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC_COARSE, &mut tick) };
        if rc != 0
            || tick.tv_sec != 0
            || tick.tv_nsec <= 0
            || tick.tv_nsec > MAX_TICK_NANOS
            || read(libc::CLOCK_MONOTONIC_COARSE) == 0
        {
            return 0;
        }
        USE_COARSE.store(true, std::sync::atomic::Ordering::Relaxed);
        tick.tv_nsec as u64 * TICKS
    }

    /// Now, on the coarse clock when it is in use (after the first `margin()`), else precise.
    #[inline]
    pub fn now() -> u64 {
        if USE_COARSE.load(std::sync::atomic::Ordering::Relaxed) {
            read(libc::CLOCK_MONOTONIC_COARSE)
        } else {
            precise_nanos()
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn precise_nanos() -> u64 {
        0
    }

    pub fn coarse_margin() -> u64 {
        0
    }

    pub fn now() -> u64 {
        super::nanos_at(std::time::Instant::now())
    }
}

use imp::{coarse_margin, precise_nanos};

/// Now on this clock. Lags the precise time by at most [`margin`]. Inlined: the hit path reads
/// it once per call and need not pay a call for it.
#[inline]
pub fn now() -> u64 {
    imp::now()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn now_lags_the_precise_clock_by_at_most_the_margin() {
        let margin = margin();
        for _ in 0..10_000 {
            let before = nanos_at(Instant::now());
            let coarse = now();
            // Converted instants are never late; `before` was taken first.
            assert!(
                coarse + margin >= before,
                "coarse {coarse} + margin {margin} < precise {before}"
            );
            let after = Instant::now() + Duration::from_millis(1);
            assert!(
                coarse <= nanos_at(after) + 1_000_000,
                "coarse clock ahead of the precise one"
            );
        }
    }

    #[test]
    fn conversion_keeps_order_and_distance() {
        let start = Instant::now();
        let later = start + Duration::from_secs(3600);
        assert_eq!(nanos_at(later) - nanos_at(start), 3_600_000_000_000);
        let earlier = start - Duration::from_millis(5);
        assert_eq!(nanos_at(start) - nanos_at(earlier), 5_000_000);
    }
}
