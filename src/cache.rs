//! The process-wide token cache.
//!
//! One [`Slot`] per identity ([`CacheKey`]), shared by every client with that identity. A slot
//! holds the current token behind a read lock (the hit path takes no write lock and does no
//! I/O) — and, in front of that, per-thread replicas checked against a published version (see
//! `hit`), so a hit writes nothing another thread reads — and runs at most one request to the authority at a time ("a flight"): callers who miss
//! while a flight is running wait for it and share its result, success or error.
//!
//! Past ~75 % of a token's lifetime the first caller starts a flight on a short-lived thread and
//! everyone keeps getting the still-valid token. After a failure the slot holds further flights
//! back — Retry-After when the authority gave one, else 1 s doubling to 30 s, and 10 s after a
//! refusal — so a storm of callers cannot hammer a failing authority.

use std::{
    sync::{
        Arc, Condvar, Mutex, PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use crate::{
    error::{Error, Result, Status},
    hit::{self, Version},
    log::{LogLevel, log},
    options::{AuthMethod, BasicAuthStyle, EndpointSource, OptionPath, ProxySetting, Settings},
    sync::{lock, read, try_lock, write},
    token::Token,
};

/// Everything that decides which token a request gets. Two requests share a token only when
/// all of it is equal. The secret enters only as a keyed fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    endpoint: EndpointSource,
    client_id: String,
    auth_method: AuthMethod,
    basic_auth_style: BasicAuthStyle,
    secret_fingerprint: [u64; 2],
    scopes: Vec<String>,
    resource: Option<String>,
    /// Settings that decide which tokens are accepted, or how the authority is reached: two
    /// clients differing here must not share a token, nor one's failures and backoff.
    allow_http: bool,
    validate_endpoints: bool,
    validate_issuer: bool,
    default_lifetime: Duration,
    ca_file: Option<OptionPath>,
    proxy: ProxySetting,
    max_retry_after: Duration,
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
            basic_auth_style: settings.basic_auth_style,
            secret_fingerprint: settings.secret.fingerprint(),
            scopes,
            resource: settings.resource.clone(),
            allow_http: settings.allow_http,
            validate_endpoints: settings.validate_endpoints,
            validate_issuer: settings.validate_issuer,
            default_lifetime: settings.default_lifetime,
            ca_file: settings.ca_file.clone(),
            proxy: settings.proxy.clone(),
            max_retry_after: settings.max_retry_after,
        }
    }

    /// The key without the per-process secret fingerprint, as bytes that are the same in every
    /// process of this build: what shared levels bind their keys to (with the secret itself).
    pub fn shared_identity(&self) -> Vec<u8> {
        // Every field by name: a new field does not compile until it is decided here.
        let CacheKey {
            endpoint,
            client_id,
            auth_method,
            basic_auth_style,
            secret_fingerprint: _,
            scopes,
            resource,
            allow_http,
            validate_endpoints,
            validate_issuer,
            default_lifetime,
            ca_file,
            proxy,
            max_retry_after,
        } = self;
        // Paths and proxies by value: their Debug hides them, which would make two differing
        // keys look alike here.
        let ca_file = ca_file.as_ref().map(|path| path.path().to_string_lossy().into_owned());
        let proxy = match proxy {
            ProxySetting::FromEnvironment => "environment".to_owned(),
            ProxySetting::Direct => "direct".to_owned(),
            ProxySetting::Url(url) => url.shown().to_owned(),
        };
        format!(
            "{:?}",
            (
                endpoint,
                client_id,
                auth_method,
                basic_auth_style,
                scopes,
                resource,
                (allow_http, validate_endpoints, validate_issuer),
                default_lifetime,
                ca_file,
                proxy,
                max_retry_after,
            )
        )
        .into_bytes()
    }
}

/// What fetches a token for a slot: the client's HTTP agent and settings. `min_valid` is what
/// the caller needs; `replacing` is the token a refresh replaces (a shared level then looks for
/// a newer one).
pub(crate) trait Fetch: Send + Sync + 'static {
    fn fetch(&self, min_valid: Duration, replacing: Option<&Token>) -> Result<Token>;
}

/// First backoff after a transient failure; it doubles with each further one.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long a refusal (`invalid_client`, a malformed answer, ...) is remembered. Short, so a
/// rotated secret is picked up quickly.
const REMEMBER_REFUSAL: Duration = Duration::from_secs(10);

/// The state of the flight, if one is running or has run.
#[derive(Default)]
struct Flight {
    running: bool,
    /// Counts finished flights, so a waiter knows the one it waited for has landed.
    landed: u64,
    outcome: Option<Result<Arc<Token>>>,
    consecutive_failures: u32,
    hold_until: Option<Instant>,
}

/// Whether a token came from the cache or needed a flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Served {
    Hit,
    Miss,
}

/// The cache entry of one identity.
pub(crate) struct Slot {
    current: RwLock<Option<Arc<Token>>>,
    /// Changes whenever `current` does, under its write lock (see `hit`).
    version: Version,
    flight: Mutex<Flight>,
    flight_landed: Condvar,
    /// Lock-free copies of `flight.running` and `flight.hold_until`, so the hit path can skip
    /// a refresh without touching the flight's lock. The hold is in nanoseconds since `created`.
    refreshing: AtomicBool,
    held_until_nanos: AtomicU64,
    created: Instant,
}

impl Default for Slot {
    fn default() -> Slot {
        Slot {
            current: RwLock::default(),
            version: Version::default(),
            flight: Mutex::default(),
            flight_landed: Condvar::new(),
            refreshing: AtomicBool::new(false),
            held_until_nanos: AtomicU64::new(0),
            created: Instant::now(),
        }
    }
}

impl Slot {
    fn nanos_since_created(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.created)
            .as_nanos()
            .try_into()
            .unwrap_or(u64::MAX)
    }

    /// The hit path (see `hit`): this thread's replica of the current token if it serves
    /// `min_valid` without a closer look; else None, and [`Slot::get`] decides.
    #[inline]
    pub fn hit(&self, min_valid: Duration) -> Option<Arc<Token>> {
        hit::fast(self.version.load(), min_valid, || {
            self.refreshing.load(Ordering::Relaxed)
        })
    }

    /// Whether `token`, which the caller holds, is a replica of the current token that serves
    /// `min_valid` without a closer look (see [`hit::Stamp::serves`]).
    #[inline]
    pub fn is_current(&self, token: &Token, min_valid: Duration) -> bool {
        token.stamp.serves(self.version.load(), min_valid, || {
            self.refreshing.load(Ordering::Relaxed)
        })
    }

    /// A token valid for at least `min_valid` (beyond the safety buffer): the cached one, or one
    /// fetched with `fetcher` — by this caller, or by the flight already running, whose result
    /// is shared. Waiting for another caller's flight gives up after `wait_limit`.
    pub fn get<F: Fetch>(
        self: &Arc<Self>,
        min_valid: Duration,
        wait_limit: Duration,
        fetcher: &Arc<F>,
    ) -> Result<(Arc<Token>, Served)> {
        if let Some(token) = self.cached(min_valid, fetcher) {
            return Ok((token, Served::Hit));
        }
        let mut flight = lock(&self.flight);
        if flight.running {
            let waiting_for = flight.landed;
            let (landed, wait) = self
                .flight_landed
                .wait_timeout_while(flight, wait_limit, |flight| flight.landed == waiting_for)
                .unwrap_or_else(PoisonError::into_inner);
            flight = landed;
            if wait.timed_out() {
                return Err(Error::new(
                    Status::Timeout,
                    format!(
                        "waited {} ms for the token request already in flight",
                        wait_limit.as_millis()
                    ),
                ));
            }
            return match &flight.outcome {
                Some(outcome) => accept_fresh(outcome.clone(), min_valid).map(|t| (t, Served::Miss)),
                None => Err(Error::new(
                    Status::Internal,
                    "a token request landed without an outcome",
                )),
            };
        }
        // A flight may have landed between the check above and taking the lock.
        let now = Instant::now();
        if let Some((token, version)) = self.usable(now, min_valid) {
            return Ok((hit::replica(version, &token), Served::Hit));
        }
        // Tokens of this identity never last that long: say so without asking again (while the
        // current one is unexpired; the next may be granted a longer life).
        let known_lifetime_too_short = read(&self.current)
            .as_ref()
            .filter(|token| token.remaining(now) > Duration::ZERO)
            .and_then(|token| lifetime_too_short(token, min_valid));
        if let Some(error) = known_lifetime_too_short {
            return Err(error);
        }
        if let Some(until) = flight.hold_until.filter(|until| *until > now) {
            return Err(held_back(&flight, until - now));
        }
        self.take_off(&mut flight);
        drop(flight);

        let mut pilot = Pilot {
            slot: self,
            landed: false,
        };
        let outcome = fetcher.fetch(min_valid, None).map(Arc::new);
        pilot.land(outcome.clone());
        accept_fresh(outcome, min_valid).map(|t| (t, Served::Miss))
    }

    /// The cached token if it is usable for `min_valid` now (this thread's replica of it), with
    /// no request and no wait; a due refresh is started in the background.
    pub fn cached<F: Fetch>(self: &Arc<Self>, min_valid: Duration, fetcher: &Arc<F>) -> Option<Arc<Token>> {
        let now = Instant::now();
        let (token, version) = self.usable(now, min_valid)?;
        if token.refresh_due(now) {
            self.refresh_in_background(now, fetcher, &token);
        }
        Some(hit::replica(version, &token))
    }

    /// Starts a refresh on a short-lived thread, unless one is running or failures hold it back.
    fn refresh_in_background<F: Fetch>(self: &Arc<Self>, now: Instant, fetcher: &Arc<F>, current: &Arc<Token>) {
        if self.refreshing.load(Ordering::Relaxed)
            || self.nanos_since_created(now) < self.held_until_nanos.load(Ordering::Relaxed)
        {
            return;
        }
        // Never block a cache hit: if the lock is busy, someone else is on it.
        let Some(mut flight) = try_lock(&self.flight) else {
            return;
        };
        if flight.running || flight.hold_until.is_some_and(|until| until > now) {
            return;
        }
        self.take_off(&mut flight);
        drop(flight);
        let (slot, fetcher, current) = (self.clone(), fetcher.clone(), current.clone());
        let spawned = thread::Builder::new()
            .name("vidiflow-auth-refresh".into())
            .spawn(move || {
                let mut pilot = Pilot {
                    slot: &slot,
                    landed: false,
                };
                let outcome = fetcher.fetch(Duration::ZERO, Some(&current)).map(Arc::new);
                if let Err(error) = &outcome {
                    log(LogLevel::Warn, || {
                        format!("background token refresh failed, the cached token is still served: {error}")
                    });
                }
                pilot.land(outcome);
            });
        if let Err(error) = spawned {
            let mut pilot = Pilot {
                slot: self,
                landed: false,
            };
            pilot.land(Err(Error::new(
                Status::Internal,
                format!("cannot start a refresh thread: {error}"),
            )));
        }
    }

    fn take_off(&self, flight: &mut Flight) {
        flight.running = true;
        self.refreshing.store(true, Ordering::Relaxed);
    }

    /// Drops the cached token if it is `access_token`; a newer token is kept. Returns whether
    /// it dropped one.
    pub fn invalidate(&self, access_token: &str) -> bool {
        let mut current = write(&self.current);
        if current
            .as_ref()
            .is_some_and(|token| token.access_token() == access_token)
        {
            *current = None;
            self.version.publish();
            true
        } else {
            false
        }
    }

    /// Lifts a hold (Retry-After, backoff, a remembered refusal), so the next call that needs a
    /// token asks the authority at once. Returns whether there was one.
    pub fn clear_hold(&self) -> bool {
        let mut flight = lock(&self.flight);
        let held = flight.hold_until.is_some_and(|until| until > Instant::now());
        flight.hold_until = None;
        flight.consecutive_failures = 0;
        self.held_until_nanos.store(0, Ordering::Relaxed);
        held
    }

    /// The current token if usable, and its version.
    fn usable(&self, now: Instant, min_valid: Duration) -> Option<(Arc<Token>, u64)> {
        let current = read(&self.current);
        let token = current.as_ref().filter(|token| token.usable(now, min_valid))?;
        Some((token.clone(), self.version.load()))
    }

    pub fn holds_usable_token(&self, now: Instant) -> bool {
        self.usable(now, Duration::ZERO).is_some()
    }
}

/// The error for a caller who arrives while failures hold flights back: a refusal is repeated
/// as it was (so `invalid_client` stays `invalid_client`); anything else is THROTTLED.
fn held_back(flight: &Flight, wait: Duration) -> Error {
    let seconds = wait.as_secs_f64();
    match &flight.outcome {
        Some(Err(error)) if !error.is_transient() => error.clone().context_after(&format!(
            " (remembered; the authority is asked again in {seconds:.1} s)"
        )),
        Some(Err(error)) => {
            let reason = if error.retry_after().is_some() {
                "the authority asked to wait (Retry-After)".to_owned()
            } else {
                format!("backing off after {} failed attempt(s)", flight.consecutive_failures)
            };
            Error::new(
                Status::Throttled,
                format!(
                    "not sent: {reason}; next attempt in {seconds:.1} s. Last failure: {}",
                    error.message()
                ),
            )
            .with_retry_after(Some(wait))
        }
        _ => Error::new(Status::Throttled, format!("not sent: next attempt in {seconds:.1} s"))
            .with_retry_after(Some(wait)),
    }
}

/// A fresh token is the best there is: hand it out unless it can never last `min_valid`.
fn accept_fresh(outcome: Result<Arc<Token>>, min_valid: Duration) -> Result<Arc<Token>> {
    let token = outcome?;
    if token.usable(Instant::now(), min_valid) {
        Ok(token)
    } else {
        Err(cannot_last(&token, min_valid))
    }
}

/// The error for asking more validity than tokens like this one can promise, if that is so.
fn lifetime_too_short(token: &Token, min_valid: Duration) -> Option<Error> {
    (min_valid >= token.longest_promise()).then(|| cannot_last(token, min_valid))
}

fn cannot_last(token: &Token, min_valid: Duration) -> Error {
    Error::invalid_argument(format!(
        "a token valid for {} s more was asked for, but the authority grants tokens for {} s, of which less than {} s can be promised (the rest is the safety buffer)",
        min_valid.as_secs(),
        token.lifetime().as_secs(),
        token.longest_promise().as_secs()
    ))
}

/// How long a failure holds further flights back: the backoff (or, after a refusal, a short
/// memory of it), or longer if the authority asked for longer.
pub(crate) fn hold_after(error: &Error, consecutive_failures: u32) -> Duration {
    let own = if error.is_transient() {
        let doublings = consecutive_failures.saturating_sub(1).min(16);
        (FIRST_BACKOFF * (1 << doublings)).min(MAX_BACKOFF)
    } else {
        REMEMBER_REFUSAL
    };
    error.retry_after().map_or(own, |asked| asked.max(own))
}

/// The caller that runs a flight. Landing publishes the outcome and wakes the waiters; if the
/// flight panics, the drop lands an error instead, so no waiter is left hanging.
struct Pilot<'a> {
    slot: &'a Slot,
    landed: bool,
}

impl Pilot<'_> {
    fn land(&mut self, outcome: Result<Arc<Token>>) {
        if let Ok(token) = &outcome {
            let mut current = write(&self.slot.current);
            *current = Some(token.clone());
            self.slot.version.publish();
        }
        let mut flight = lock(&self.slot.flight);
        match &outcome {
            Ok(_) => {
                flight.consecutive_failures = 0;
                flight.hold_until = None;
            }
            Err(error) => {
                flight.consecutive_failures = flight.consecutive_failures.saturating_add(1);
                let until = Instant::now() + hold_after(error, flight.consecutive_failures);
                flight.hold_until = Some(until);
            }
        }
        let held_until = flight
            .hold_until
            .map_or(0, |until| self.slot.nanos_since_created(until));
        self.slot.held_until_nanos.store(held_until, Ordering::Relaxed);
        flight.running = false;
        self.slot.refreshing.store(false, Ordering::Relaxed);
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
        sync::atomic::{AtomicBool, AtomicUsize, Ordering},
        time::SystemTime,
    };

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const LIMIT: Duration = Duration::from_secs(5);

    /// A fetcher that counts calls and answers with what `answer` says.
    struct Scripted<A> {
        calls: AtomicUsize,
        answer: A,
    }

    impl<A: Fn(usize) -> Result<Token> + Send + Sync + 'static> Fetch for Scripted<A> {
        fn fetch(&self, _: Duration, _: Option<&Token>) -> Result<Token> {
            let call = self.calls.fetch_add(1, Ordering::SeqCst);
            (self.answer)(call)
        }
    }

    fn scripted<A: Fn(usize) -> Result<Token> + Send + Sync + 'static>(answer: A) -> Arc<Scripted<A>> {
        Arc::new(Scripted {
            calls: AtomicUsize::new(0),
            answer,
        })
    }

    fn token(value: &str, lifetime: Duration) -> Token {
        Token::new(value, "api1", lifetime, Instant::now(), SystemTime::now())
    }

    /// A token granted `age` ago: tests reach its refresh point without sleeping.
    fn aged_token(value: &str, lifetime: Duration, age: Duration) -> Token {
        Token::new(value, "api1", lifetime, Instant::now() - age, SystemTime::now() - age)
    }

    fn calls<A>(fetcher: &Scripted<A>) -> usize {
        fetcher.calls.load(Ordering::SeqCst)
    }

    #[test]
    fn second_get_is_a_hit() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|_| Ok(token("a", HOUR)));
        let (first, served) = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        assert_eq!(served, Served::Miss);
        let (second, served) = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        assert_eq!(served, Served::Hit);
        // The hit is this thread's replica of the token (see `hit`).
        assert_eq!(first.access_token(), second.access_token());
        assert_eq!(first.fingerprint(), second.fingerprint());
        let (third, served) = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        assert_eq!(served, Served::Hit);
        assert!(Arc::ptr_eq(&second, &third), "one replica per thread");
        assert_eq!(calls(&fetcher), 1);
    }

    #[test]
    fn concurrent_misses_share_one_fetch() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|_| {
            thread::sleep(Duration::from_millis(200));
            Ok(token("a", HOUR))
        });
        thread::scope(|scope| {
            for _ in 0..32 {
                scope.spawn(|| slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap());
            }
        });
        assert_eq!(calls(&fetcher), 1);
    }

    #[test]
    fn waiters_share_the_error_and_later_callers_are_held_back() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|_| {
            thread::sleep(Duration::from_millis(200));
            Err(Error::new(Status::Network, "down"))
        });
        let errors: Vec<Error> = thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(calls(&fetcher), 1);
        assert!(errors.iter().all(|e| e.status() == Status::Network));

        let held = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err();
        assert_eq!(held.status(), Status::Throttled);
        assert!(held.retry_after().unwrap() <= FIRST_BACKOFF);
        assert!(held.message().contains("Last failure: down"), "{held}");
        assert_eq!(calls(&fetcher), 1);
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_refusals_are_remembered_briefly() {
        let network = Error::new(Status::Network, "down");
        let backoffs: Vec<u64> = (1..=7).map(|n| hold_after(&network, n).as_secs()).collect();
        assert_eq!(backoffs, [1, 2, 4, 8, 16, 30, 30]);
        let refused = Error::new(Status::Oauth, "invalid_client");
        assert_eq!(hold_after(&refused, 1), REMEMBER_REFUSAL);
        let asked = Error::new(Status::Http, "busy")
            .with_http_status(429)
            .with_retry_after(Some(Duration::from_secs(7)));
        assert_eq!(hold_after(&asked, 3), Duration::from_secs(7));
    }

    #[test]
    fn clear_hold_lets_the_next_call_ask_at_once() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|call| match call {
            0 => Err(Error::new(Status::Http, "busy")
                .with_http_status(503)
                .with_retry_after(Some(HOUR))),
            _ => Ok(token("after", HOUR)),
        });
        slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err();
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err().status(),
            Status::Throttled
        );
        assert!(slot.clear_hold());
        assert!(!slot.clear_hold(), "nothing left to clear");
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap().0.access_token(),
            "after"
        );
        assert_eq!(calls(&fetcher), 2);
    }

    #[test]
    fn a_remembered_refusal_keeps_its_status() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|_| Err(Error::new(Status::Oauth, "invalid_client")));
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err().status(),
            Status::Oauth
        );
        let again = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap_err();
        assert_eq!(again.status(), Status::Oauth);
        assert!(again.message().contains("remembered"), "{again}");
        assert_eq!(calls(&fetcher), 1);
    }

    #[test]
    fn refresh_ahead_serves_the_old_token_while_a_new_one_is_fetched() {
        let slot = Arc::new(Slot::default());
        // The first token was granted 15.5 s ago for 20 s: past its refresh point (at most 75 %),
        // 2.5 s before its safety buffer.
        let fetcher = scripted(|call| {
            if call == 0 {
                return Ok(aged_token("t0", Duration::from_secs(20), Duration::from_millis(15_500)));
            }
            thread::sleep(Duration::from_millis(300));
            Ok(token(&format!("t{call}"), HOUR))
        });
        slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        let started = Instant::now();
        let (served, how) = slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "a hit does not wait for the refresh"
        );
        assert_eq!((served.access_token(), how), ("t0", Served::Hit));
        thread::sleep(Duration::from_millis(600));
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap().0.access_token(),
            "t1"
        );
        assert_eq!(calls(&fetcher), 2);
    }

    #[test]
    fn failed_refresh_keeps_serving_the_valid_token() {
        let slot = Arc::new(Slot::default());
        let fetcher = scripted(|call| match call {
            0 => Ok(aged_token("t0", Duration::from_secs(20), Duration::from_millis(15_500))),
            _ => Err(Error::new(Status::Http, "boom").with_http_status(500)),
        });
        slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        for _ in 0..20 {
            assert_eq!(
                slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap().0.access_token(),
                "t0"
            );
            thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(calls(&fetcher), 2, "one failed refresh, then backoff");
    }

    #[test]
    fn panicking_fetch_releases_waiters_and_the_slot_recovers() {
        let slot = Arc::new(Slot::default());
        let panicking = scripted(|_| {
            thread::sleep(Duration::from_millis(200));
            panic!("injected")
        });
        let waiter = {
            let (slot, panicking) = (slot.clone(), panicking.clone());
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                slot.get(Duration::ZERO, LIMIT, &panicking).map(|_| ())
            })
        };
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.get(Duration::ZERO, LIMIT, &panicking)
        }));
        assert!(panicked.is_err());
        assert_eq!(waiter.join().unwrap().unwrap_err().status(), Status::Internal);
        thread::sleep(FIRST_BACKOFF);
        let healthy = scripted(|_| Ok(token("b", HOUR)));
        assert_eq!(slot.get(Duration::ZERO, LIMIT, &healthy).unwrap().0.access_token(), "b");
    }

    #[test]
    fn min_valid_beyond_the_cached_token_fetches_and_beyond_any_token_fails_at_once() {
        let slot = Arc::new(Slot::default());
        let lifetime = |call| if call == 0 { Duration::from_secs(3) } else { HOUR };
        let fetcher = scripted(move |call| Ok(token(&format!("t{call}"), lifetime(call))));
        slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap();
        assert_eq!(
            slot.get(Duration::from_secs(2), LIMIT, &fetcher)
                .unwrap()
                .0
                .access_token(),
            "t0"
        );
        thread::sleep(Duration::from_millis(1_200)); // t0 now has less than 2 s left
        assert_eq!(
            slot.get(Duration::from_secs(2), LIMIT, &fetcher)
                .unwrap()
                .0
                .access_token(),
            "t1"
        );
        let error = slot.get(Duration::from_secs(7200), LIMIT, &fetcher).unwrap_err();
        assert_eq!(error.status(), Status::InvalidArgument);
        assert!(error.message().contains("7200"), "{error}");
        assert_eq!(calls(&fetcher), 2, "known to be too long: refused without a request");
        assert_eq!(
            slot.get(Duration::ZERO, LIMIT, &fetcher).unwrap().0.access_token(),
            "t1"
        );
    }

    #[test]
    fn invalidate_drops_only_the_named_token() {
        let slot = Arc::new(Slot::default());
        slot.get(Duration::ZERO, LIMIT, &scripted(|_| Ok(token("current", HOUR))))
            .unwrap();
        assert!(!slot.invalidate("older"));
        assert!(slot.holds_usable_token(Instant::now()));
        assert!(slot.invalidate("current"));
        assert!(!slot.holds_usable_token(Instant::now()));
    }

    #[test]
    fn a_stuck_flight_times_out_its_waiters() {
        let slot = Arc::new(Slot::default());
        let flying = Arc::new(AtomicBool::new(false));
        let slow = {
            let flying = flying.clone();
            scripted(move |_| {
                flying.store(true, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(600));
                Ok(token("slow", HOUR))
            })
        };
        let pilot = {
            let (slot, slow) = (slot.clone(), slow.clone());
            thread::spawn(move || slot.get(Duration::ZERO, LIMIT, &slow).map(|_| ()))
        };
        while !flying.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        let started = Instant::now();
        let error = slot.get(Duration::ZERO, Duration::from_millis(100), &slow).unwrap_err();
        assert_eq!(error.status(), Status::Timeout);
        assert!(started.elapsed() < Duration::from_millis(450));
        pilot.join().unwrap().unwrap();
    }
}
