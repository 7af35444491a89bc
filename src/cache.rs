//! The process-wide token cache.
//!
//! One [`Slot`] per identity ([`CacheKey`]), shared by every client with that identity. A slot
//! holds the current token behind a read lock (the hit path takes no write lock and does no
//! I/O) and runs at most one request to the authority at a time: callers who miss while a
//! request is in flight wait for it and share its result, success or error.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use once_cell::sync::Lazy;
use parking_lot::{Condvar, Mutex, RwLock};

use crate::{
    error::{Error, Result, Status},
    options::{AuthMethod, EndpointSource, Settings},
    token::Token,
};

/// Everything that decides which token a request gets. Two requests share a token only when
/// all of it is equal. The secret enters only as a keyed fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    endpoint: EndpointSource,
    client_id: String,
    auth_method: AuthMethod,
    secret_fingerprint: [u64; 2],
    scopes: Vec<String>,
    resource: Option<String>,
}

impl CacheKey {
    pub fn new(settings: &Settings) -> CacheKey {
        let mut scopes: Vec<String> = settings
            .scope
            .iter()
            .flat_map(|s| s.split_whitespace())
            .map(str::to_owned)
            .collect();
        scopes.sort();
        scopes.dedup();
        CacheKey {
            endpoint: settings.endpoint.clone(),
            client_id: settings.client_id.clone(),
            auth_method: settings.auth_method,
            secret_fingerprint: settings.secret.fingerprint(),
            scopes,
            resource: settings.resource.clone(),
        }
    }
}

static SLOTS: Lazy<Mutex<HashMap<CacheKey, Arc<Slot>>>> = Lazy::new(Default::default);

/// The slot for `key`, shared with every other client of the same identity.
pub(crate) fn slot_for(key: CacheKey) -> Arc<Slot> {
    let mut slots = SLOTS.lock();
    // Forget identities nobody uses any more once their token is gone (rotated secrets, say).
    let now = Instant::now();
    slots.retain(|_, slot| Arc::strong_count(slot) > 1 || slot.holds_usable_token(now));
    slots.entry(key).or_default().clone()
}

/// The state of the request to the authority, if one is running or has run.
#[derive(Default)]
struct Flight {
    running: bool,
    /// Counts finished requests, so a waiter knows the one it waited for has landed.
    landed: u64,
    outcome: Option<Result<Arc<Token>>>,
}

/// The cache entry of one identity.
#[derive(Default)]
pub(crate) struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    flight: Mutex<Flight>,
    flight_landed: Condvar,
}

impl Slot {
    /// A token valid for at least `min_valid` (beyond the safety buffer): the cached one, or one
    /// fetched with `fetch` — by this caller, or by the caller already fetching, whose result
    /// is shared. Waiting for another caller's fetch gives up after `wait_limit`.
    pub fn get(
        &self,
        min_valid: Duration,
        wait_limit: Duration,
        fetch: impl FnOnce() -> Result<Token>,
    ) -> Result<Arc<Token>> {
        if let Some(token) = self.usable(Instant::now(), min_valid) {
            return Ok(token);
        }
        let mut flight = self.flight.lock();
        if flight.running {
            let waiting_for = flight.landed;
            let give_up = Instant::now() + wait_limit;
            while flight.landed == waiting_for {
                if self.flight_landed.wait_until(&mut flight, give_up).timed_out() {
                    return Err(Error::new(
                        Status::Timeout,
                        format!(
                            "waited {} ms for the token request already in flight",
                            wait_limit.as_millis()
                        ),
                    ));
                }
            }
            return match &flight.outcome {
                Some(outcome) => accept_fresh(outcome.clone(), min_valid),
                None => Err(Error::new(
                    Status::Internal,
                    "a token request landed without an outcome",
                )),
            };
        }
        // A request may have landed between the check above and taking the lock.
        if let Some(token) = self.usable(Instant::now(), min_valid) {
            return Ok(token);
        }
        flight.running = true;
        drop(flight);

        let mut pilot = Pilot {
            slot: self,
            landed: false,
        };
        let outcome = fetch().map(Arc::new);
        pilot.land(outcome.clone());
        accept_fresh(outcome, min_valid)
    }

    /// Drops the cached token if it is `access_token`; a newer token is kept. Returns whether
    /// it dropped one.
    pub fn invalidate(&self, access_token: &str) -> bool {
        let mut current = self.current.write();
        if current
            .as_ref()
            .is_some_and(|token| token.access_token() == access_token)
        {
            *current = None;
            true
        } else {
            false
        }
    }

    fn usable(&self, now: Instant, min_valid: Duration) -> Option<Arc<Token>> {
        self.current
            .read()
            .as_ref()
            .filter(|token| token.usable(now, min_valid))
            .cloned()
    }

    fn holds_usable_token(&self, now: Instant) -> bool {
        self.usable(now, Duration::ZERO).is_some()
    }
}

/// A fresh token is the best there is: hand it out unless it can never last `min_valid`.
fn accept_fresh(outcome: Result<Arc<Token>>, min_valid: Duration) -> Result<Arc<Token>> {
    let token = outcome?;
    if token.lifetime() < min_valid {
        return Err(Error::invalid_argument(format!(
            "a token valid for {} s was asked for, but the authority grants tokens for {} s",
            min_valid.as_secs(),
            token.lifetime().as_secs()
        )));
    }
    Ok(token)
}

/// The caller that runs the request. Landing publishes the outcome and wakes the waiters; if
/// the request panics, the drop lands an error instead, so no waiter is left hanging.
struct Pilot<'a> {
    slot: &'a Slot,
    landed: bool,
}

impl Pilot<'_> {
    fn land(&mut self, outcome: Result<Arc<Token>>) {
        if let Ok(token) = &outcome {
            *self.slot.current.write() = Some(token.clone());
        }
        let mut flight = self.slot.flight.lock();
        flight.running = false;
        flight.landed = flight.landed.wrapping_add(1);
        flight.outcome = Some(outcome);
        self.slot.flight_landed.notify_all();
        self.landed = true;
    }
}

impl Drop for Pilot<'_> {
    fn drop(&mut self) {
        if !self.landed {
            self.land(Err(Error::new(
                Status::Internal,
                "the token request failed with an internal error (a panic)",
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        thread,
        time::SystemTime,
    };

    use super::*;

    fn token(value: &str, lifetime: Duration) -> Token {
        Token::new(value, "api1", lifetime, Instant::now(), SystemTime::now())
    }

    const HOUR: Duration = Duration::from_secs(3600);
    const LIMIT: Duration = Duration::from_secs(5);

    #[test]
    fn second_get_is_a_hit() {
        let slot = Slot::default();
        let first = slot.get(Duration::ZERO, LIMIT, || Ok(token("a", HOUR))).unwrap();
        let second = slot.get(Duration::ZERO, LIMIT, || panic!("must not fetch")).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
    }

    #[test]
    fn concurrent_misses_share_one_fetch() {
        let slot = Slot::default();
        let fetches = AtomicUsize::new(0);
        thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| {
                    slot.get(Duration::ZERO, LIMIT, || {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        thread::sleep(Duration::from_millis(200));
                        Ok(token("a", HOUR))
                    })
                    .unwrap()
                });
            }
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn waiters_share_the_error_too() {
        let slot = Slot::default();
        let fetches = AtomicUsize::new(0);
        let errors: Vec<Error> = thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    scope.spawn(|| {
                        slot.get(Duration::ZERO, LIMIT, || {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            thread::sleep(Duration::from_millis(200));
                            Err(Error::new(Status::Network, "down"))
                        })
                        .unwrap_err()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(errors.iter().all(|e| e.status() == Status::Network));
    }

    #[test]
    fn panicking_fetch_releases_waiters_and_the_slot_recovers() {
        let slot = Arc::new(Slot::default());
        let waiter = {
            let slot = slot.clone();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                slot.get(Duration::ZERO, LIMIT, || Ok(token("late", HOUR)))
            })
        };
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.get(Duration::ZERO, LIMIT, || {
                thread::sleep(Duration::from_millis(200));
                panic!("injected")
            })
        }));
        assert!(panicked.is_err());
        assert_eq!(waiter.join().unwrap().unwrap_err().status(), Status::Internal);
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, || Ok(token("b", HOUR)))
                .unwrap()
                .access_token(),
            "b"
        );
    }

    #[test]
    fn min_valid_longer_than_the_cached_token_fetches_and_longer_than_any_token_fails() {
        let slot = Slot::default();
        slot.get(Duration::ZERO, LIMIT, || Ok(token("short", Duration::from_secs(100))))
            .unwrap();
        let long = slot
            .get(Duration::from_secs(1200), LIMIT, || Ok(token("long", HOUR)))
            .unwrap();
        assert_eq!(long.access_token(), "long");
        let error = slot
            .get(Duration::from_secs(7200), LIMIT, || Ok(token("again", HOUR)))
            .unwrap_err();
        assert_eq!(error.status(), Status::InvalidArgument);
        assert!(error.message().contains("7200"), "{error}");
    }

    #[test]
    fn invalidate_drops_only_the_named_token() {
        let slot = Slot::default();
        slot.get(Duration::ZERO, LIMIT, || Ok(token("current", HOUR))).unwrap();
        assert!(!slot.invalidate("older"));
        assert!(slot.holds_usable_token(Instant::now()));
        assert!(slot.invalidate("current"));
        assert!(!slot.holds_usable_token(Instant::now()));
    }

    #[test]
    fn a_stuck_flight_times_out_its_waiters() {
        let slot = Arc::new(Slot::default());
        let pilot = {
            let slot = slot.clone();
            thread::spawn(move || {
                slot.get(Duration::ZERO, LIMIT, || {
                    thread::sleep(Duration::from_millis(600));
                    Ok(token("slow", HOUR))
                })
            })
        };
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        let error = slot
            .get(Duration::ZERO, Duration::from_millis(100), || unreachable!())
            .unwrap_err();
        assert_eq!(error.status(), Status::Timeout);
        assert!(started.elapsed() < Duration::from_millis(450));
        pilot.join().unwrap().unwrap();
    }
}
