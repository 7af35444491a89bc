//! A client: checked options, an HTTP agent, and the cache slot of its identity.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{
    cache::{CacheKey, Slot, slot_for},
    error::{Error, Result, Status},
    http::Http,
    oauth::{discovery, token},
    options::{EndpointSource, Options, Settings},
    token::Token,
};

/// Gets access tokens for one identity (authority, client, secret, scopes, resource).
/// Cheap to call from any number of threads; clients with the same identity share one cache
/// entry, so making a second client does not cost a second token.
pub struct Client {
    settings: Settings,
    http: Http,
    slot: Arc<Slot>,
}

impl Client {
    /// Checks `options` and builds a client. Makes no request: the first token call does.
    pub fn new(options: &Options) -> Result<Client> {
        let settings = options.resolve()?;
        let http = Http::new(&settings)?;
        let slot = slot_for(CacheKey::new(&settings));
        Ok(Client { settings, http, slot })
    }

    /// A token valid beyond the safety buffer: from the cache, or fetched now.
    pub fn token(&self) -> Result<Arc<Token>> {
        self.token_valid_for(Duration::ZERO)
    }

    /// A token that stays valid for at least `min_valid` (and beyond the safety buffer).
    /// Fails with `InvalidArgument` if the authority's tokens never live that long.
    pub fn token_valid_for(&self, min_valid: Duration) -> Result<Arc<Token>> {
        if min_valid > token::MAX_LIFETIME {
            return Err(Error::invalid_argument(format!(
                "a minimum validity of {} s is longer than any token lives (at most {} s)",
                min_valid.as_secs(),
                token::MAX_LIFETIME.as_secs()
            )));
        }
        self.slot.get(min_valid, self.settings.timeout, || self.fetch())
    }

    /// Forgets the cached token if it is `access_token` (say, the API answered 401 to it), so
    /// the next call fetches a new one. A newer cached token is kept. Returns whether the
    /// cached token was dropped.
    pub fn invalidate(&self, access_token: &str) -> bool {
        self.slot.invalidate(access_token)
    }

    fn fetch(&self) -> Result<Token> {
        #[cfg(feature = "fault-injection")]
        crate::fault::maybe_panic("fetch");
        let deadline = Instant::now() + self.settings.timeout;
        let endpoint = match &self.settings.endpoint {
            EndpointSource::TokenEndpoint(url) => url.clone(),
            EndpointSource::Authority(authority) => {
                let policy = discovery::Policy {
                    allow_http: self.settings.allow_http,
                    validate_endpoints: self.settings.validate_endpoints,
                };
                discovery::token_endpoint(&self.http, authority, &policy, deadline)?
            }
        };
        let result = token::request(&self.http, &endpoint, &self.settings, deadline);
        if let (Err(error), EndpointSource::Authority(authority)) = (&result, &self.settings.endpoint) {
            // The endpoint may have moved: look it up again next time.
            if matches!(error.status(), Status::Network | Status::Tls) || error.http_status() == 404 {
                discovery::forget(authority);
            }
        }
        result
    }
}
