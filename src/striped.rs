//! A counter that many threads bump without sharing a cache line: one stripe per thread (round
//! robin over [`STRIPES`]), each alone on its lines, summed when read.

use std::{
    cell::Cell,
    sync::atomic::{AtomicU64, AtomicUsize, Ordering},
};

/// Stripes per counter: threads beyond this many share stripes (still correct, only slower).
const STRIPES: usize = 16;

/// One stripe, on cache lines of its own (two: some CPUs fetch lines in adjacent pairs).
#[repr(align(128))]
#[derive(Default)]
struct Stripe(AtomicU64);

/// A sum of per-thread counts.
#[derive(Default)]
pub(crate) struct StripedCounter {
    stripes: [Stripe; STRIPES],
}

/// This thread's stripe, chosen on its first use.
pub fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    STRIPE
        .try_with(|stripe| {
            if stripe.get() == usize::MAX {
                stripe.set(NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES);
            }
            stripe.get()
        })
        .unwrap_or(0)
}

impl StripedCounter {
    pub fn bump(&self) {
        self.bump_at(stripe());
    }

    /// Bumps `stripe`, this thread's (from [`stripe`]), without looking it up again.
    #[inline]
    pub fn bump_at(&self, stripe: usize) {
        self.stripes[stripe % STRIPES].0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn sum(&self) -> u64 {
        self.stripes
            .iter()
            .map(|stripe| stripe.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn bumps_from_many_threads_all_count() {
        let counter = Arc::new(StripedCounter::default());
        let threads: Vec<_> = (0..40)
            .map(|_| {
                let counter = counter.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| counter.bump()))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(counter.sum(), 40_000);
    }
}
