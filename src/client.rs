//! A client: checked options, an HTTP agent, the cache slot of its identity, and counters.

use std::{
    ptr,
    sync::{
        Arc,
        atomic::{AtomicPtr, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use once_cell::sync::OnceCell;

use crate::{
    cache::{CacheKey, Fetch, Served, Slot, hold_after},
    error::{Error, Result},
    http::{Http, host_of},
    log::{LogLevel, log},
    oauth::{
        discovery::{self, Discovered},
        token,
    },
    options::{EndpointSource, Options, Settings},
    process,
    shared::{FleetCounters, FleetLevel, HostLevel, Need, Source},
    striped::StripedCounter,
    token::Token,
};

/// Attempts per flight for failures worth retrying at once (connection refused, 5xx, 408).
const MAX_ATTEMPTS: u32 = 3;
/// Pause before the second attempt; it doubles before each further one, with jitter.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(200);

/// What a client has done since it was made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Token calls answered from the cache.
    pub hits: u64,
    /// Token calls not answered from this process's cache: they waited for a request to the
    /// authority, or read the host-level cache.
    pub misses: u64,
    /// Token requests this client sent to the authority (retries included).
    pub requests: u64,
    /// Of those, the ones that failed.
    pub failed_requests: u64,
    /// Token calls that returned an error.
    pub errors: u64,
    /// Tokens taken from the host-level cache (fetched by another process) instead of asking
    /// the authority: on a miss, or for a refresh.
    pub shared_hits: u64,
    /// Tokens taken from the fleet-level cache (Redis: fetched by another host or process)
    /// instead of asking the authority.
    pub redis_hits: u64,
    /// Looks in Redis that found no usable token (then one host asked the authority).
    pub redis_misses: u64,
    /// Redis commands that failed; each made the client skip Redis for a while and ask the
    /// authority directly.
    pub redis_errors: u64,
}

#[derive(Default)]
struct Counters {
    /// Bumped by every hit, from any number of threads at once: striped.
    hits: StripedCounter,
    misses: AtomicU64,
    requests: AtomicU64,
    failed_requests: AtomicU64,
    errors: AtomicU64,
    shared_hits: AtomicU64,
    fleet: Arc<FleetCounters>,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Gets access tokens for one identity (authority, client, secret, scopes, resource).
/// Cheap to call from any number of threads; clients with the same identity share one cache
/// entry, so making a second client does not cost a second token.
///
/// Works in a child process after `fork()`: there it starts with an empty cache of its own.
pub struct Client {
    settings: Arc<Settings>,
    key: CacheKey,
    counters: Arc<Counters>,
    /// What this client uses in the current fork generation (see `process`).
    bound: AtomicPtr<Bound>,
}

/// A client's HTTP agent and cache slot, for one fork generation. A child process never uses
/// its parent's: a lock in them may be held by a thread that did not survive the fork.
struct Bound {
    generation: u64,
    fetcher: Arc<Fetcher>,
    slot: Arc<Slot>,
    /// The binding of an earlier generation, kept (never used) until the client is dropped.
    previous: *mut Bound,
}

impl Client {
    /// Checks `options` and builds a client. Makes no request: the first token call does.
    pub fn new(options: &Options) -> Result<Client> {
        let settings = Arc::new(options.resolve()?);
        let key = CacheKey::new(&settings);
        let counters = Arc::default();
        let client = Client {
            settings,
            key,
            counters,
            bound: AtomicPtr::new(ptr::null_mut()),
        };
        client.bound()?;
        Ok(client)
    }

    /// A token valid beyond the safety buffer: from the cache, or fetched now.
    pub fn token(&self) -> Result<Arc<Token>> {
        self.token_valid_for(Duration::ZERO)
    }

    /// A token that stays valid for at least `min_valid` (and beyond the safety buffer).
    /// Fails with `InvalidArgument` if the authority's tokens never live that long.
    pub fn token_valid_for(&self, min_valid: Duration) -> Result<Arc<Token>> {
        match self.hit(min_valid) {
            Some(token) => Ok(token),
            None => self.token_past_hit(min_valid),
        }
    }

    /// `token_valid_for` after `hit` said None: for the C entry points, which try the hit
    /// themselves first.
    pub(crate) fn token_past_hit(&self, min_valid: Duration) -> Result<Arc<Token>> {
        let result = self.get(min_valid);
        match &result {
            Ok((_, Served::Hit)) => self.counters.hits.bump(),
            Ok((_, Served::Miss)) => bump(&self.counters.misses),
            Err(_) => bump(&self.counters.errors),
        }
        result.map(|(token, _)| token)
    }

    /// The cached token if one is valid for `min_valid` (beyond the safety buffer), else None:
    /// never a request, never a wait, so an event loop can call it (a due refresh is started
    /// in the background). Counts a hit when it returns a token, nothing otherwise.
    pub fn cached_token(&self, min_valid: Duration) -> Result<Option<Arc<Token>>> {
        match self.hit(min_valid) {
            Some(token) => Ok(Some(token)),
            None => self.cached_token_past_hit(min_valid),
        }
    }

    /// `cached_token` after `hit` said None (see `token_past_hit`).
    pub(crate) fn cached_token_past_hit(&self, min_valid: Duration) -> Result<Option<Arc<Token>>> {
        check_min_valid(min_valid)?;
        let bound = self.bound()?;
        let token = bound.slot.cached(min_valid, &bound.fetcher);
        if token.is_some() {
            self.counters.hits.bump();
        }
        Ok(token)
    }

    /// The hit path, counted: this thread's replica of the cached token if it serves
    /// `min_valid` at a glance; None sends the caller to the exact path. No error to build,
    /// nothing shared written (see `hit`), so the C entry points try it before anything else.
    #[inline]
    pub(crate) fn hit(&self, min_valid: Duration) -> Option<Arc<Token>> {
        if min_valid > token::MAX_LIFETIME {
            return None;
        }
        let token = self.current_bound()?.slot.hit(min_valid)?;
        self.counters.hits.bump_at(token.stamp.stripe());
        Some(token)
    }

    /// Whether `token`, which the caller already holds, is still what a hit would give it for
    /// `min_valid`: this client's cached token, as a hit hands it out (a replica), not within a
    /// refresh of being replaced. Counted as a hit when it is. Touches no reference count, so
    /// a caller that keeps its token between uses pays only this check on a hit; false means
    /// "ask with `token_valid_for`", never that the token is unusable.
    #[inline]
    pub fn is_current(&self, token: &Token, min_valid: Duration) -> bool {
        if min_valid > token::MAX_LIFETIME {
            return false;
        }
        let Some(bound) = self.current_bound() else {
            return false;
        };
        let current = bound.slot.is_current(token, min_valid);
        if current {
            self.counters.hits.bump_at(token.stamp.stripe());
        }
        current
    }

    fn get(&self, min_valid: Duration) -> Result<(Arc<Token>, Served)> {
        check_min_valid(min_valid)?;
        let bound = self.bound()?;
        bound.slot.get(min_valid, self.settings.timeout, &bound.fetcher)
    }

    /// Forgets the cached token if it is `access_token` (say, the API answered 401 to it), so
    /// the next call fetches a new one. A newer cached token is kept. Returns whether the
    /// cached token was dropped.
    pub fn invalidate(&self, access_token: &str) -> bool {
        self.bound().is_ok_and(|bound| {
            // The lowest level first, so no level above can take the rejected token back from it.
            let fleet = bound
                .fetcher
                .fleet
                .as_ref()
                .is_some_and(|fleet| fleet.invalidate(access_token));
            let shared = bound
                .fetcher
                .host
                .as_ref()
                .is_some_and(|host| host.invalidate(access_token, Instant::now() + self.settings.timeout));
            bound.slot.invalidate(access_token) || shared || fleet
        })
    }

    /// Lifts a hold on this client's identity — a Retry-After from the authority, the backoff
    /// after failures, a remembered refusal — so the next call that needs a token asks the
    /// authority at once (say, after an operator fixed the cause). A cached token is kept.
    /// Returns whether a hold was in force.
    pub fn clear_hold(&self) -> bool {
        self.bound().is_ok_and(|bound| bound.slot.clear_hold())
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Stats {
            hits: self.counters.hits.sum(),
            misses: read(&self.counters.misses),
            requests: read(&self.counters.requests),
            failed_requests: read(&self.counters.failed_requests),
            errors: read(&self.counters.errors),
            shared_hits: read(&self.counters.shared_hits),
            redis_hits: read(&self.counters.fleet.hits),
            redis_misses: read(&self.counters.fleet.misses),
            redis_errors: read(&self.counters.fleet.errors),
        }
    }

    /// This client's agent and slot for the current fork generation, if already made.
    #[inline]
    fn current_bound(&self) -> Option<&Bound> {
        // SAFETY: bindings are freed only when the client is dropped.
        let bound = unsafe { self.bound.load(Ordering::Acquire).as_ref() }?;
        (bound.generation == process::generation()).then_some(bound)
    }

    /// This client's agent and slot for the current fork generation, made on first use in it.
    fn bound(&self) -> Result<&Bound> {
        if let Some(bound) = self.current_bound() {
            return Ok(bound);
        }
        self.bind()
    }

    #[cold]
    fn bind(&self) -> Result<&Bound> {
        let generation = process::generation();
        loop {
            let current = self.bound.load(Ordering::Acquire);
            // SAFETY: bindings are freed only when the client is dropped.
            if let Some(bound) = unsafe { current.as_ref() } {
                if bound.generation == generation {
                    return Ok(bound);
                }
            }
            let fresh = Box::into_raw(Box::new(Bound {
                generation,
                fetcher: Arc::new(Fetcher {
                    http: Http::check(&self.settings).map(|()| OnceCell::new())?,
                    settings: self.settings.clone(),
                    counters: self.counters.clone(),
                    host: HostLevel::open(&self.settings, &self.key.shared_identity()),
                    fleet: FleetLevel::open(&self.settings, &self.key.shared_identity(), self.counters.fleet.clone()),
                }),
                slot: process::registry().slot_for(self.key.clone()),
                previous: current,
            }));
            if self
                .bound
                .compare_exchange(current, fresh, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
            {
                // Another thread bound first; ours was never shared.
                // SAFETY: `fresh` came from Box::into_raw above and nobody else has it.
                let mut ours = unsafe { Box::from_raw(fresh) };
                ours.previous = ptr::null_mut();
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let generation = process::generation();
        let mut next = *self.bound.get_mut();
        while !next.is_null() {
            // SAFETY: every binding in the chain came from Box::into_raw and is owned here.
            let bound = unsafe { Box::from_raw(next) };
            next = bound.previous;
            if bound.generation != generation {
                // A parent's agent and slot: dropping them could take a lock that a thread of the
                // parent held at fork time.
                std::mem::forget(bound);
            }
        }
    }
}

fn check_min_valid(min_valid: Duration) -> Result<()> {
    if min_valid > token::MAX_LIFETIME {
        return Err(Error::invalid_argument(format!(
            "a minimum validity of {} s is longer than any token lives (at most {} s)",
            min_valid.as_secs(),
            token::MAX_LIFETIME.as_secs()
        )));
    }
    Ok(())
}

/// Asks the authority for a token: discovery if needed, then the token request, retried when a
/// failure is worth retrying at once and time is left.
struct Fetcher {
    settings: Arc<Settings>,
    /// Made on the first request (see `Http::check`).
    http: OnceCell<Http>,
    counters: Arc<Counters>,
    /// The host-level cache, when on.
    host: Option<HostLevel>,
    /// The fleet-level cache (Redis), when `redis_url` is set.
    fleet: Option<FleetLevel>,
}

impl Fetch for Fetcher {
    fn fetch(&self, min_valid: Duration, replacing: Option<&Token>) -> Result<Token> {
        #[cfg(feature = "fault-injection")]
        crate::fault::maybe_panic("fetch");
        let deadline = Instant::now() + self.settings.timeout;
        let need = Need { min_valid, replacing };
        let Some(host) = &self.host else {
            return self.below_host(need, deadline);
        };
        let (token, source) = host.token(need, deadline, hold_after, || self.below_host(need, deadline))?;
        if let Source::Shared = source {
            bump(&self.counters.shared_hits);
            log(LogLevel::Info, || {
                format!(
                    "token for client '{}' from the host-level cache: valid {} s more, fingerprint {:016x}",
                    self.settings.client_id,
                    token.remaining(Instant::now()).as_secs(),
                    token.fingerprint()
                )
            });
        }
        Ok(token)
    }
}

impl Fetcher {
    /// A token from the fleet level (Redis) when it is on, else from the authority.
    fn below_host(&self, need: Need, deadline: Instant) -> Result<Token> {
        let Some(fleet) = &self.fleet else {
            return self.ask_authority(deadline);
        };
        let (token, source) = fleet.token(need, deadline, hold_after, || self.ask_authority(deadline))?;
        if let Source::Shared = source {
            log(LogLevel::Info, || {
                format!(
                    "token for client '{}' from the fleet-level cache (Redis): valid {} s more, fingerprint {:016x}",
                    self.settings.client_id,
                    token.remaining(Instant::now()).as_secs(),
                    token.fingerprint()
                )
            });
        }
        Ok(token)
    }

    fn http(&self) -> Result<&Http> {
        self.http.get_or_try_init(|| Http::new(&self.settings))
    }

    /// Asks the authority, retrying failures worth retrying while time is left.
    fn ask_authority(&self, deadline: Instant) -> Result<Token> {
        let mut attempt = 1;
        loop {
            match self.attempt(deadline) {
                Ok(token) => {
                    log(LogLevel::Info, || {
                        format!(
                            "token for client '{}' from {}: valid {} s, fingerprint {:016x}",
                            self.settings.client_id,
                            host_of(self.settings.endpoint.url().as_str()),
                            token.lifetime().as_secs(),
                            token.fingerprint()
                        )
                    });
                    return Ok(token);
                }
                Err(error) => {
                    let delay =
                        FIRST_RETRY_DELAY.mul_f64(f64::from(1u32 << (attempt - 1)) * (1.0 + crate::random::unit()));
                    let retry = attempt < MAX_ATTEMPTS
                        && error.is_transient()
                        && error.retry_after().is_none()
                        && Instant::now() + delay < deadline;
                    if !retry {
                        log(LogLevel::Error, || format!("token request failed: {error}"));
                        return Err(error);
                    }
                    log(LogLevel::Warn, || {
                        format!(
                            "token request attempt {attempt} failed, retrying in {} ms: {error}",
                            delay.as_millis()
                        )
                    });
                    thread::sleep(delay);
                    attempt += 1;
                }
            }
        }
    }

    /// What discovery says for `key`: found in this process, by another process (host level),
    /// or now.
    fn discovered(&self, key: &discovery::Key, deadline: Instant) -> Result<Discovered> {
        let discovery = &process::registry().discovery;
        if let Some(discovered) = discovery.cached(key) {
            return Ok(discovered);
        }
        let Some(host) = &self.host else {
            return discovery.discover(self.http()?, key, deadline);
        };
        if let Some(shared) = host.discovered() {
            match discovery.adopt(key, shared) {
                Ok(discovered) => return Ok(discovered),
                Err(error) => log(LogLevel::Warn, || {
                    format!("token endpoint in the host-level cache refused, discovering again: {error}")
                }),
            }
        }
        let discovered = discovery.discover(self.http()?, key, deadline)?;
        host.store_discovery(&discovered);
        Ok(discovered)
    }

    fn attempt(&self, deadline: Instant) -> Result<Token> {
        let discovery = &process::registry().discovery;
        let discovered = match &self.settings.endpoint {
            EndpointSource::TokenEndpoint(_) => None,
            EndpointSource::Authority(authority) => {
                let key = discovery::Key::new(authority, &self.settings);
                let discovered = self.discovered(&key, deadline)?;
                Some((key, discovered))
            }
        };
        let (endpoint, issuer) = match (&discovered, &self.settings.endpoint) {
            (Some((key, discovered)), _) => {
                let endpoint = if self.settings.auth_method.is_mutual_tls() {
                    discovered.mutual_tls_endpoint(key)?
                } else {
                    discovered.token_endpoint.clone()
                };
                (endpoint, Some(&discovered.issuer))
            }
            (None, EndpointSource::TokenEndpoint(url) | EndpointSource::Authority(url)) => (url.clone(), None),
        };
        let http = self.http()?;
        bump(&self.counters.requests);
        let result = token::request(http, &endpoint, issuer, &self.settings, deadline);
        if let Err(error) = &result {
            bump(&self.counters.failed_requests);
            if let Some((key, _)) = &discovered {
                if endpoint_may_have_moved(error) {
                    discovery.forget(key);
                    if let Some(host) = &self.host {
                        host.forget_discovery();
                    }
                }
            }
        }
        result
    }
}

/// Whether a failed token request suggests that the discovered endpoint is no longer where
/// the document said: nothing listens there (or the name no longer resolves), or the server
/// says there is no such resource (404, 405, 410). A 503, a timeout or an OAuth refusal says
/// nothing about where the endpoint is, so the document is kept.
fn endpoint_may_have_moved(error: &Error) -> bool {
    error.status() == crate::error::Status::Network || matches!(error.http_status(), 404 | 405 | 410)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    #[test]
    fn only_failures_that_suggest_a_move_forget_the_discovered_endpoint() {
        let http = |status| Error::new(Status::Http, "x").with_http_status(status);
        assert!(endpoint_may_have_moved(&Error::new(Status::Network, "refused")));
        for status in [404, 405, 410] {
            assert!(endpoint_may_have_moved(&http(status)), "{status}");
        }
        for status in [500, 502, 503, 504, 429, 408] {
            assert!(!endpoint_may_have_moved(&http(status)), "{status}");
        }
        assert!(!endpoint_may_have_moved(&Error::new(Status::Timeout, "slow")));
        assert!(!endpoint_may_have_moved(
            &Error::new(Status::Oauth, "invalid_client").with_http_status(401)
        ));
    }
}
