//! OpenID Connect discovery: `{authority}/.well-known/openid-configuration` → the token endpoint,
//! checked against the authority and cached for a day per authority, policy and transport (the
//! proxy and CA file it was fetched with). One fetch at a time per key: identities on one
//! authority that start together share it.

use std::{
    collections::HashMap,
    sync::{Arc, Condvar, Mutex, PoisonError},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    error::{Error, Result, Status},
    http::Http,
    log::{LogLevel, log},
    options::{OptionPath, ProxySetting, Settings, require_https_policy},
    sync::lock,
    url::HttpUrl,
};

/// How long a discovered token endpoint is trusted before the document is fetched again.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What must hold for a discovered endpoint to be used; part of the cache key, so a lax
/// client's result is never handed to a strict one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Policy {
    pub allow_http: bool,
    pub validate_endpoints: bool,
    pub validate_issuer: bool,
}

/// What a discovered endpoint is cached under: the authority, the policy it was checked
/// against, and how it was reached. A document fetched through one client's proxy (or trusted
/// through its CA file) never serves a client that reaches the authority another way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    authority: HttpUrl,
    policy: Policy,
    ca_file: Option<OptionPath>,
    proxy: ProxySetting,
}

impl Key {
    pub fn new(authority: &HttpUrl, settings: &Settings) -> Key {
        Key {
            authority: authority.clone(),
            policy: Policy {
                allow_http: settings.allow_http,
                validate_endpoints: settings.validate_endpoints,
                validate_issuer: settings.validate_issuer,
            },
            ca_file: settings.ca_file.clone(),
            proxy: settings.proxy.clone(),
        }
    }
}

/// What the token request needs from a discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub token_endpoint: HttpUrl,
    /// The document's issuer (which may name another host than the authority; see
    /// `validate_issuer`): private_key_jwt assertions name it in their audience.
    pub issuer: HttpUrl,
    /// `mtls_endpoint_aliases.token_endpoint` (RFC 8705 §5) as the document gave it, unchecked
    /// until a TLS client method uses it.
    pub mtls_token_endpoint: Option<String>,
}

impl Discovered {
    /// The token endpoint for the TLS client methods: the mTLS alias if the document has one
    /// (held to the same policy as the token endpoint), else the token endpoint.
    pub fn mutual_tls_endpoint(&self, key: &Key) -> Result<HttpUrl> {
        let endpoint = match &self.mtls_token_endpoint {
            None => self.token_endpoint.clone(),
            Some(alias) => {
                let alias = HttpUrl::parse(alias, "'mtls_endpoint_aliases.token_endpoint'")
                    .map_err(|e| Error::new(Status::Discovery, e.message().to_owned()))?;
                check_endpoint(&alias, &key.authority, &key.policy)?;
                alias
            }
        };
        // The certificate goes in the TLS handshake: over plain http there is none.
        if !endpoint.is_https() {
            return Err(Error::new(
                Status::Discovery,
                format!(
                    "the token endpoint {} for a TLS client method is not https",
                    endpoint.as_str()
                ),
            ));
        }
        Ok(endpoint)
    }
}

/// What discovery found, per [`Key`].
#[derive(Default)]
pub struct DiscoveryCache {
    entries: Mutex<HashMap<Key, Arc<Entry>>>,
}

/// One key's endpoint, and the fetch in flight for it, if any.
#[derive(Default)]
struct Entry {
    state: Mutex<EntryState>,
    landed: Condvar,
}

#[derive(Default)]
struct EntryState {
    discovered: Option<(Discovered, Instant)>,
    fetching: bool,
    /// Counts finished fetches, so a waiter knows the one it waited for has landed.
    fetches: u64,
    outcome: Option<Result<Discovered>>,
}

impl DiscoveryCache {
    /// What discovery says for `key`, from the cache or fetched now — by this caller, or by the
    /// fetch already in flight for the key, whose result (document or error) is shared.
    pub fn discover(&self, http: &Http, key: &Key, deadline: Instant) -> Result<Discovered> {
        let entry = lock(&self.entries).entry(key.clone()).or_default().clone();
        let mut state = lock(&entry.state);
        if let Some((discovered, fetched)) = &state.discovered {
            if fetched.elapsed() < DISCOVERY_LIFETIME {
                return Ok(discovered.clone());
            }
        }
        if state.fetching {
            let waiting_for = state.fetches;
            let wait = deadline.saturating_duration_since(Instant::now());
            let (landed, timeout) = entry
                .landed
                .wait_timeout_while(state, wait, |state| state.fetches == waiting_for)
                .unwrap_or_else(PoisonError::into_inner);
            if timeout.timed_out() {
                return Err(Error::new(
                    Status::Timeout,
                    format!(
                        "waited for the discovery of {} already in flight; no time left (timeout_ms)",
                        key.authority.as_str()
                    ),
                ));
            }
            return landed
                .outcome
                .clone()
                .unwrap_or_else(|| Err(Error::new(Status::Internal, "a discovery landed without an outcome")));
        }
        state.fetching = true;
        drop(state);
        let mut landing = Landing {
            entry: &entry,
            landed: false,
        };
        let outcome = fetch(http, &key.authority, &key.policy, deadline);
        if let Ok(discovered) = &outcome {
            log(LogLevel::Info, || {
                format!(
                    "discovered token endpoint {} for {}",
                    discovered.token_endpoint.as_str(),
                    key.authority.as_str()
                )
            });
        }
        landing.land(outcome.clone());
        outcome
    }

    /// What was already discovered for `key` in this process, while fresh.
    pub fn cached(&self, key: &Key) -> Option<Discovered> {
        let entry = lock(&self.entries).get(key)?.clone();
        let state = lock(&entry.state);
        state
            .discovered
            .as_ref()
            .filter(|(_, fetched)| fetched.elapsed() < DISCOVERY_LIFETIME)
            .map(|(discovered, _)| discovered.clone())
    }

    /// Takes what another process discovered (the host-level cache), after the same checks a
    /// fetched document passes.
    pub fn adopt(&self, key: &Key, discovered: Discovered) -> Result<Discovered> {
        check_issuer(&discovered.issuer, &key.authority, &key.policy)?;
        check_endpoint(&discovered.token_endpoint, &key.authority, &key.policy)?;
        let entry = lock(&self.entries).entry(key.clone()).or_default().clone();
        lock(&entry.state).discovered = Some((discovered.clone(), Instant::now()));
        Ok(discovered)
    }

    /// Drops what was discovered for `key`, so the next request fetches the document again.
    pub fn forget(&self, key: &Key) {
        if let Some(entry) = lock(&self.entries).get(key) {
            lock(&entry.state).discovered = None;
        }
    }
}

/// The caller that runs a fetch. Landing publishes the outcome and wakes the waiters; if the
/// fetch panics, the drop lands an error instead, so no waiter is left hanging.
struct Landing<'a> {
    entry: &'a Entry,
    landed: bool,
}

impl Landing<'_> {
    fn land(&mut self, outcome: Result<Discovered>) {
        let mut state = lock(&self.entry.state);
        if let Ok(discovered) = &outcome {
            state.discovered = Some((discovered.clone(), Instant::now()));
        }
        state.fetching = false;
        state.fetches = state.fetches.wrapping_add(1);
        state.outcome = Some(outcome);
        self.entry.landed.notify_all();
        self.landed = true;
    }
}

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        if !self.landed {
            self.land(Err(Error::new(
                Status::Internal,
                "the discovery failed with an internal error (a panic)",
            )));
        }
    }
}

fn fetch(http: &Http, authority: &HttpUrl, policy: &Policy, deadline: Instant) -> Result<Discovered> {
    let url = authority.discovery_document();
    let context = format!("discovery at {url}");
    let reply = http.get(&url, deadline).map_err(|error| error.context(&context))?;
    if reply.status != 200 {
        return Err(Error::new(
            Status::Discovery,
            format!("{context}: the authority answered HTTP {}", reply.status),
        )
        .with_http_status(reply.status));
    }
    parse_document(&reply.body, authority, policy).map_err(|error| error.context(&context))
}

/// Parses a discovery document, for the fuzzer: must never panic, whatever the bytes.
#[cfg(fuzzing)]
pub fn fuzz_document(body: &[u8]) {
    let authority = HttpUrl::parse("https://auth.example.com/core", "authority").expect("a valid URL");
    for validate_endpoints in [true, false] {
        let _ = parse_document(
            body,
            &authority,
            &Policy {
                allow_http: false,
                validate_endpoints,
                validate_issuer: validate_endpoints,
            },
        );
    }
}

/// Checks the document and returns what the token request needs.
fn parse_document(body: &[u8], authority: &HttpUrl, policy: &Policy) -> Result<Discovered> {
    let discovery_error = |message: String| Error::new(Status::Discovery, message);
    let document =
        super::parse_object(body, "the document").map_err(|error| discovery_error(error.message().to_owned()))?;
    let field = |name: &str| match document.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.as_str()),
        Some(_) => Err(discovery_error(format!("'{name}' is not a string"))),
        None => Err(discovery_error(format!("the document has no '{name}'"))),
    };
    let issuer = HttpUrl::parse(field("issuer")?, "'issuer'").map_err(|e| discovery_error(e.message().to_owned()))?;
    check_issuer(&issuer, authority, policy)?;
    let endpoint = HttpUrl::parse(field("token_endpoint")?, "'token_endpoint'")
        .map_err(|e| discovery_error(e.message().to_owned()))?;
    check_endpoint(&endpoint, authority, policy)?;
    // Kept as found: only the TLS client methods use it, and they check it then (an alias on
    // another host must not break discovery for everyone else).
    let mtls_token_endpoint = document
        .get("mtls_endpoint_aliases")
        .and_then(|aliases| aliases.get("token_endpoint"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Discovered {
        token_endpoint: endpoint,
        issuer,
        mtls_token_endpoint,
    })
}

/// The issuer must be the authority, unless `validate_issuer` is off.
fn check_issuer(issuer: &HttpUrl, authority: &HttpUrl, policy: &Policy) -> Result<()> {
    if policy.validate_issuer && !issuer.same_issuer(authority) {
        // IdentityServer3 behind a reverse proxy names its configured IssuerUri (often a machine
        // name) while the client reaches it by another name: say both ways out.
        return Err(Error::new(
            Status::Discovery,
            format!(
                "the document's issuer {} is not the authority {}; if this is the same server reached by another name (IdentityServer3 behind Service Fabric's reverse proxy, a load balancer), set validate_issuer=false, or use the issuer's own URL as the authority",
                issuer.as_str(),
                authority.as_str()
            ),
        ));
    }
    Ok(())
}

/// The policy checks on a token endpoint, wherever it was found.
fn check_endpoint(endpoint: &HttpUrl, authority: &HttpUrl, policy: &Policy) -> Result<()> {
    let discovery_error = |message: String| Error::new(Status::Discovery, message);
    if policy.validate_endpoints && !endpoint.same_origin(authority) {
        return Err(discovery_error(format!(
            "the token endpoint {} is not on the authority's scheme, host and port; set validate_endpoints=false if a proxy rewrites host names",
            endpoint.as_str()
        )));
    }
    require_https_policy(endpoint, policy.allow_http).map_err(|e| discovery_error(e.message().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHORITY: &str = "https://auth.example.com/Integrations/Authentication/core";
    const STRICT: Policy = Policy {
        allow_http: false,
        validate_endpoints: true,
        validate_issuer: true,
    };

    fn parse(document: &str, policy: &Policy) -> Result<HttpUrl> {
        parse_document(document.as_bytes(), &HttpUrl::parse(AUTHORITY, "a").unwrap(), policy)
            .map(|discovered| discovered.token_endpoint)
    }

    #[test]
    fn path_issuer_and_token_endpoint() {
        let doc = format!(r#"{{"issuer":"{AUTHORITY}/","token_endpoint":"{AUTHORITY}/connect/token"}}"#);
        assert_eq!(
            parse(&doc, &STRICT).unwrap().as_str(),
            format!("{AUTHORITY}/connect/token")
        );
    }

    #[test]
    fn issuer_mismatch_is_refused() {
        let doc = r#"{"issuer":"https://auth.example.com/other","token_endpoint":"https://auth.example.com/t"}"#;
        let error = parse(doc, &STRICT).unwrap_err();
        assert_eq!(error.status(), Status::Discovery);
        assert!(error.message().contains("is not the authority"), "{error}");
        assert!(error.message().contains("validate_issuer=false"), "{error}");
        assert!(error.message().contains("https://auth.example.com/other"), "{error}");
    }

    #[test]
    fn issuer_on_another_host_is_accepted_with_validate_issuer_off_and_the_endpoint_still_checked() {
        // IdentityServer3 behind Service Fabric: the issuer names the machine, the endpoints
        // the host the request used.
        let doc = format!(
            r#"{{"issuer":"http://VIDIFLOWHOST:19081/Integrations/Authentication/core","token_endpoint":"{AUTHORITY}/connect/token"}}"#
        );
        let lax_issuer = Policy {
            validate_issuer: false,
            ..STRICT
        };
        assert_eq!(
            parse(&doc, &lax_issuer).unwrap().as_str(),
            format!("{AUTHORITY}/connect/token")
        );
        let elsewhere =
            r#"{"issuer":"http://VIDIFLOWHOST:19081/core","token_endpoint":"https://evil.example.com/connect/token"}"#;
        let error = parse(elsewhere, &lax_issuer).unwrap_err();
        assert!(error.message().contains("validate_endpoints=false"), "{error}");
    }

    #[test]
    fn endpoint_on_another_host_needs_validate_endpoints_off() {
        let doc = format!(r#"{{"issuer":"{AUTHORITY}","token_endpoint":"https://internal:8443/connect/token"}}"#);
        assert!(
            parse(&doc, &STRICT)
                .unwrap_err()
                .message()
                .contains("validate_endpoints=false")
        );
        let lax = Policy {
            validate_endpoints: false,
            ..STRICT
        };
        assert_eq!(
            parse(&doc, &lax).unwrap().as_str(),
            "https://internal:8443/connect/token"
        );
    }

    #[test]
    fn http_endpoint_is_refused_without_allow_http() {
        let doc = format!(r#"{{"issuer":"{AUTHORITY}","token_endpoint":"http://auth.example.com/t"}}"#);
        let lax = Policy {
            validate_endpoints: false,
            ..STRICT
        };
        assert!(parse(&doc, &lax).unwrap_err().message().contains("allow_http"));
    }

    #[test]
    fn property_mangled_documents_never_panic_and_accepted_endpoints_obey_the_policy() {
        let mut generate = crate::testing::Gen::new(0xd15c);
        let seed = format!(r#"{{"issuer":"{AUTHORITY}","token_endpoint":"{AUTHORITY}/connect/token"}}"#);
        let authority = HttpUrl::parse(AUTHORITY, "a").unwrap();
        for _ in 0..5_000 {
            let body = generate.mutate(seed.as_bytes());
            if let Ok(discovered) = parse_document(&body, &authority, &STRICT) {
                let endpoint = discovered.token_endpoint;
                assert!(endpoint.same_origin(&authority), "{}", endpoint.as_str());
            }
        }
    }

    #[test]
    fn mtls_alias_and_issuer_are_read_and_the_alias_is_held_to_the_policy() {
        let doc = format!(
            r#"{{"issuer":"{AUTHORITY}","token_endpoint":"{AUTHORITY}/connect/token","mtls_endpoint_aliases":{{"token_endpoint":"{AUTHORITY}/mtls/token"}}}}"#
        );
        let authority = HttpUrl::parse(AUTHORITY, "a").unwrap();
        let discovered = parse_document(doc.as_bytes(), &authority, &STRICT).unwrap();
        assert_eq!(discovered.issuer.as_str(), AUTHORITY);
        assert_eq!(
            discovered.mtls_token_endpoint.as_deref(),
            Some(format!("{AUTHORITY}/mtls/token").as_str())
        );
        let elsewhere = format!(
            r#"{{"issuer":"{AUTHORITY}","token_endpoint":"{AUTHORITY}/t","mtls_endpoint_aliases":{{"token_endpoint":"https://mtls.evil.example/t"}}}}"#
        );
        // Another host's alias breaks nothing for the secret methods, which never use it...
        let discovered = parse_document(elsewhere.as_bytes(), &authority, &STRICT).unwrap();
        assert_eq!(discovered.token_endpoint.as_str(), format!("{AUTHORITY}/t"));
        // ...and is refused when a TLS client method would use it.
        let key = Key {
            authority: authority.clone(),
            policy: STRICT,
            ca_file: None,
            proxy: crate::options::ProxySetting::FromEnvironment,
        };
        let error = discovered.mutual_tls_endpoint(&key).unwrap_err();
        assert!(error.message().contains("validate_endpoints=false"), "{error}");
    }

    #[test]
    fn malformed_documents() {
        for (doc, expect) in [
            ("[]", "not an object"),
            ("{", "not valid JSON"),
            (r#"{"token_endpoint":"https://auth.example.com/t"}"#, "no 'issuer'"),
            (&format!(r#"{{"issuer":"{AUTHORITY}"}}"#), "no 'token_endpoint'"),
            (
                &format!(r#"{{"issuer":"{AUTHORITY}","token_endpoint":7}}"#),
                "not a string",
            ),
        ] {
            let error = parse(doc, &STRICT).unwrap_err();
            assert_eq!(error.status(), Status::Discovery, "{doc}");
            assert!(error.message().contains(expect), "{doc}: {error}");
        }
    }
}
