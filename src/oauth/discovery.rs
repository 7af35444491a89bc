//! OpenID Connect discovery: `{authority}/.well-known/openid-configuration` → the token endpoint,
//! checked against the authority and cached per authority for a day.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    error::{Error, Result, Status},
    http::Http,
    log::{LogLevel, log},
    options::require_https_policy,
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
}

type Key = (HttpUrl, Policy);

/// Discovered token endpoints, per authority and policy.
#[derive(Default)]
pub struct DiscoveryCache {
    endpoints: Mutex<HashMap<Key, (HttpUrl, Instant)>>,
}

impl DiscoveryCache {
    /// The token endpoint of `authority`, from the cache or fetched now.
    pub fn token_endpoint(
        &self,
        http: &Http,
        authority: &HttpUrl,
        policy: &Policy,
        deadline: Instant,
    ) -> Result<HttpUrl> {
        let key = (authority.clone(), policy.clone());
        if let Some((endpoint, fetched)) = lock(&self.endpoints).get(&key) {
            if fetched.elapsed() < DISCOVERY_LIFETIME {
                return Ok(endpoint.clone());
            }
        }
        let endpoint = fetch(http, authority, policy, deadline)?;
        log(LogLevel::Info, || {
            format!(
                "discovered token endpoint {} for {}",
                endpoint.as_str(),
                authority.as_str()
            )
        });
        lock(&self.endpoints).insert(key, (endpoint.clone(), Instant::now()));
        Ok(endpoint)
    }

    /// The token endpoint already discovered in this process, while fresh.
    pub fn cached(&self, authority: &HttpUrl, policy: &Policy) -> Option<HttpUrl> {
        lock(&self.endpoints)
            .get(&(authority.clone(), policy.clone()))
            .filter(|(_, fetched)| fetched.elapsed() < DISCOVERY_LIFETIME)
            .map(|(endpoint, _)| endpoint.clone())
    }

    /// Takes a token endpoint discovered by another process, after the same checks a fetched
    /// document's endpoint passes.
    pub fn adopt(&self, authority: &HttpUrl, policy: &Policy, endpoint: HttpUrl) -> Result<HttpUrl> {
        check_endpoint(&endpoint, authority, policy)?;
        lock(&self.endpoints).insert((authority.clone(), policy.clone()), (endpoint.clone(), Instant::now()));
        Ok(endpoint)
    }

    /// Drops what was discovered for `authority`, so the next request fetches the document again.
    pub fn forget(&self, authority: &HttpUrl) {
        lock(&self.endpoints).retain(|(cached, _), _| cached != authority);
    }
}

fn fetch(http: &Http, authority: &HttpUrl, policy: &Policy, deadline: Instant) -> Result<HttpUrl> {
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
            },
        );
    }
}

/// Checks the document and returns its token endpoint.
fn parse_document(body: &[u8], authority: &HttpUrl, policy: &Policy) -> Result<HttpUrl> {
    let discovery_error = |message: String| Error::new(Status::Discovery, message);
    let document =
        super::parse_object(body, "the document").map_err(|error| discovery_error(error.message().to_owned()))?;
    let field = |name: &str| match document.get(name) {
        Some(Value::String(text)) if !text.is_empty() => Ok(text.as_str()),
        Some(_) => Err(discovery_error(format!("'{name}' is not a string"))),
        None => Err(discovery_error(format!("the document has no '{name}'"))),
    };
    let issuer = HttpUrl::parse(field("issuer")?, "'issuer'").map_err(|e| discovery_error(e.message().to_owned()))?;
    if !issuer.same_issuer(authority) {
        return Err(discovery_error(format!(
            "the document's issuer {} is not the authority {}",
            issuer.as_str(),
            authority.as_str()
        )));
    }
    let endpoint = HttpUrl::parse(field("token_endpoint")?, "'token_endpoint'")
        .map_err(|e| discovery_error(e.message().to_owned()))?;
    check_endpoint(&endpoint, authority, policy)?;
    Ok(endpoint)
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
    };

    fn parse(document: &str, policy: &Policy) -> Result<HttpUrl> {
        parse_document(document.as_bytes(), &HttpUrl::parse(AUTHORITY, "a").unwrap(), policy)
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
            if let Ok(endpoint) = parse_document(&body, &authority, &STRICT) {
                assert!(endpoint.same_origin(&authority), "{}", endpoint.as_str());
            }
        }
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
