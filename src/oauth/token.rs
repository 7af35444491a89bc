//! The token request (RFC 6749 §4.4) and its response (§5.1) or error (§5.2).

use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;
use zeroize::Zeroizing;

use super::form::{FormBody, basic_authorization, encoding_changes};
use crate::{
    error::{Error, Result, Status},
    http::{Credentials, Http, host_of},
    options::{AuthMethod, BasicAuthStyle, Settings},
    token::Token,
    url::HttpUrl,
};

/// Lifetimes past a day are treated as a day: the token is then fetched again daily rather than
/// trusted for years on the authority's word.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// `client_assertion_type` for a JWT client assertion (RFC 7523 §2.2).
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Asks `endpoint` for a token, exactly as the VidiFlow service documents it. `issuer` is the
/// discovered issuer, if discovery was used.
pub fn request(
    http: &Http,
    endpoint: &HttpUrl,
    issuer: Option<&HttpUrl>,
    settings: &Settings,
    deadline: Instant,
) -> Result<Token> {
    let mut body = FormBody::default().field("grant_type", "client_credentials");
    if let Some(scope) = &settings.scope {
        body = body.field("scope", scope);
    }
    if let Some(resource) = &settings.resource {
        body = body.field("resource", resource);
    }
    let basic: Zeroizing<String>;
    // A client assertion is a credential for its minute of life: kept to redact it from errors.
    let mut assertion: Option<Zeroizing<String>> = None;
    let credentials = match settings.auth_method {
        AuthMethod::ClientSecretPost => {
            body = body
                .field("client_id", &settings.client_id)
                .field("client_secret", settings.secret.expose());
            Credentials::InBody
        }
        AuthMethod::ClientSecretBasic => {
            basic = basic_authorization(&settings.client_id, settings.secret.expose(), settings.basic_auth_style);
            Credentials::Basic(&basic)
        }
        AuthMethod::PrivateKeyJwt => {
            let key = settings
                .client_key
                .as_ref()
                .ok_or_else(|| Error::new(Status::Internal, "private_key_jwt without a key"))?;
            let signed = assertion.insert(key.assertion(
                &settings.client_id,
                &assertion_audiences(endpoint, issuer, settings),
                SystemTime::now(),
            )?);
            body = body
                .field("client_id", &settings.client_id)
                .field("client_assertion_type", JWT_BEARER_ASSERTION)
                .field("client_assertion", signed);
            Credentials::InBody
        }
        // The certificate went in the TLS handshake (see `http`).
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            body = body.field("client_id", &settings.client_id);
            Credentials::InBody
        }
    };
    let sent_at = Instant::now();
    let sent_at_wall = SystemTime::now();
    let reply = http.post_form(endpoint.as_str(), body.as_bytes(), credentials, deadline)?;
    let host = host_of(endpoint.as_str());
    match reply.status {
        200..=299 => {
            let granted = parse_response(&reply.body, settings.default_lifetime).map_err(|error| {
                error
                    .context(&format!("token response from {host}"))
                    .with_http_status(reply.status)
            })?;
            let scope = granted.scope.as_deref().or(settings.scope.as_deref()).unwrap_or("");
            Ok(Token::new(
                &granted.access_token,
                scope,
                granted.lifetime,
                sent_at,
                sent_at_wall,
            ))
        }
        300..=399 => {
            let target = reply.location.as_deref().map_or("an unnamed location", host_of);
            Err(Error::protocol(format!(
                "the token endpoint {} answered with a redirect (HTTP {}) to {target}; redirects are not followed for token requests, so configure the final URL",
                endpoint.as_str(),
                reply.status
            ))
            .with_http_status(reply.status))
        }
        status => {
            let clean = |text: &str| {
                let redacted = settings.secret.redact(text, &settings.client_id);
                match &assertion {
                    Some(assertion) => redacted.replace(assertion.as_str(), "[redacted]"),
                    None => redacted,
                }
            };
            let wait = reply.retry_after.map(|asked| RetryAfter {
                asked,
                cap: settings.max_retry_after,
            });
            let error = refusal(status, &reply.body, host, wait, clean);
            Err(match basic_style_hint(&error, settings) {
                Some(hint) => error.context_after(&hint),
                None => error,
            })
        }
    }
}

/// The `aud` of a client assertion: the token endpoint as called — one string, which
/// oidc-provider, Keycloak, Okta, Entra ID and Duende IdentityServer accept. Only for
/// IdentityServer3 reached another way than its issuer names (`validate_issuer=false`, the issuer
/// the authority but for the host or port) is `{issuer}/connect/token` added, which
/// IdentityServer3 requires. Never for an issuer that is not the authority's own server: an
/// unchecked document must not make us sign an assertion for another authority.
fn assertion_audiences(endpoint: &HttpUrl, issuer: Option<&HttpUrl>, settings: &Settings) -> Vec<String> {
    let mut audiences = vec![endpoint.as_str().to_owned()];
    let authority = settings.endpoint.url();
    if let Some(issuer) = issuer.filter(|issuer| !settings.validate_issuer && issuer.same_issuer_elsewhere(authority)) {
        let issuer_endpoint = format!("{}/connect/token", issuer.as_str().trim_end_matches('/'));
        if issuer_endpoint != audiences[0] {
            audiences.push(issuer_endpoint);
        }
    }
    audiences
}

/// For `invalid_client` (or `invalid_request`: "not properly encoded") after Basic
/// authentication with an id or secret that the two Basic styles send differently: the likeliest
/// cause is the other style, so name the option.
fn basic_style_hint(error: &Error, settings: &Settings) -> Option<String> {
    let refused_client = error
        .oauth()
        .is_some_and(|oauth| matches!(oauth.error.as_str(), "invalid_client" | "invalid_request"));
    let styles_differ = encoding_changes(&settings.client_id) || encoding_changes(settings.secret.expose());
    if settings.auth_method != AuthMethod::ClientSecretBasic || !refused_client || !styles_differ {
        return None;
    }
    let (sent, other, why) = match settings.basic_auth_style {
        BasicAuthStyle::Rfc6749 => (
            "form-urlencoded (RFC 6749)",
            BasicAuthStyle::Rfc2617,
            "IdentityServer3 and other authorities that do not URL-decode Basic credentials need it",
        ),
        BasicAuthStyle::Rfc2617 => (
            "as they are (RFC 2617)",
            BasicAuthStyle::Rfc6749,
            "authorities that URL-decode Basic credentials need it",
        ),
    };
    Some(format!(
        ". The client id or secret has characters that the two Basic styles send differently, and they were sent {sent}: try basic_auth_style={} ({why}), or auth_method=client_secret_post",
        other.name()
    ))
}

/// A Retry-After the authority sent, and the longest hold the client allows.
struct RetryAfter {
    asked: Duration,
    cap: Duration,
}

/// The error for a non-2xx answer: the OAuth error if the body has one, else the bare status.
/// A Retry-After is kept in it, capped by `max_retry_after`: the cache holds requests back that
/// long.
fn refusal(
    status: u16,
    body: &[u8],
    host: &str,
    retry_after: Option<RetryAfter>,
    clean: impl Fn(&str) -> String,
) -> Error {
    let error = match super::oauth_error(body, clean) {
        Some(oauth) => {
            let mut message = format!("the authority at {host} refused the token request: {}", oauth.error);
            if let Some(description) = &oauth.description {
                message.push_str(&format!(" ({description})"));
            }
            message.push_str(&format!(" [HTTP {status}]"));
            Error::new(Status::Oauth, message)
                .with_oauth(oauth)
                .with_http_status(status)
        }
        None => Error::new(
            Status::Http,
            format!("the token endpoint at {host} answered HTTP {status} without an OAuth error"),
        )
        .with_http_status(status),
    };
    match retry_after {
        Some(RetryAfter { asked, cap }) if asked > cap => error
            .context_after(&format!(
                "; it asked to wait {} s (Retry-After), held to {} s (max_retry_after)",
                asked.as_secs(),
                cap.as_secs()
            ))
            .with_retry_after(Some(cap)),
        Some(RetryAfter { asked, .. }) => error
            .context_after(&format!("; it asked to wait {} s (Retry-After)", asked.as_secs()))
            .with_retry_after(Some(asked)),
        None => error,
    }
}

/// What a successful response grants.
#[derive(Debug)]
struct Granted {
    access_token: Zeroizing<String>,
    lifetime: Duration,
    scope: Option<String>,
}

fn parse_response(body: &[u8], default_lifetime: Duration) -> Result<Granted> {
    let mut map = super::parse_object(body, "the body")?;
    let access_token = match map.remove("access_token") {
        Some(Value::String(token)) => Zeroizing::new(token),
        Some(_) => return Err(Error::protocol("'access_token' is not a string")),
        None => return Err(Error::protocol("the response has no 'access_token'")),
    };
    // It becomes part of an HTTP header: RFC 6750's b64token characters only.
    let header_safe = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if access_token.is_empty() || !access_token.chars().all(header_safe) {
        return Err(Error::protocol(
            "'access_token' is empty or holds characters not allowed in a Bearer token",
        ));
    }
    match map.get("token_type") {
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(kind)) => {
            return Err(Error::protocol(format!(
                "'token_type' is '{}', but only Bearer tokens are supported",
                super::limit(kind)
            )));
        }
        Some(_) => return Err(Error::protocol("'token_type' is not a string")),
        None => return Err(Error::protocol("the response has no 'token_type'")),
    }
    let lifetime = match map.get("expires_in") {
        None | Some(Value::Null) => default_lifetime,
        Some(value) => parse_expires_in(value)?,
    };
    let scope = match map.get("scope") {
        Some(Value::String(scope)) => Some(scope.split_whitespace().collect::<Vec<_>>().join(" ")),
        _ => None,
    };
    Ok(Granted {
        access_token,
        lifetime: lifetime.min(MAX_LIFETIME),
        scope,
    })
}

/// Parses a token response body, for the fuzzer: must never panic, whatever the bytes.
#[cfg(fuzzing)]
pub fn fuzz_response(body: &[u8]) {
    if let Ok(granted) = parse_response(body, Duration::from_secs(300)) {
        assert!(!granted.access_token.is_empty() && granted.lifetime <= MAX_LIFETIME);
    }
}

/// `expires_in` as a JSON number or a numeric string; it must be positive.
fn parse_expires_in(value: &Value) -> Result<Duration> {
    let seconds = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(text) => text.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() && s >= 1.0 => Ok(Duration::from_secs(s.min(MAX_LIFETIME.as_secs_f64()) as u64)),
        Some(_) => Err(Error::protocol("'expires_in' must be a positive number of seconds")),
        None => Err(Error::protocol("'expires_in' is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Duration = Duration::from_secs(300);

    fn parse(body: &str) -> Result<Granted> {
        parse_response(body.as_bytes(), DEFAULT)
    }

    #[test]
    fn seed_response() {
        let granted = parse(r#"{"access_token":"eyJ0.eyJp.AHDk-_","expires_in":3600,"token_type":"Bearer"}"#).unwrap();
        assert_eq!(granted.access_token.as_str(), "eyJ0.eyJp.AHDk-_");
        assert_eq!(granted.lifetime, Duration::from_secs(3600));
        assert_eq!(granted.scope, None);
    }

    #[test]
    fn token_type_any_case_and_expires_in_as_string() {
        let granted =
            parse(r#"{"access_token":"a","expires_in":" 60 ","token_type":"bEaReR","scope":"api1  api2"}"#).unwrap();
        assert_eq!(granted.lifetime, Duration::from_secs(60));
        assert_eq!(granted.scope.as_deref(), Some("api1 api2"));
    }

    #[test]
    fn missing_expires_in_uses_the_default_and_huge_ones_are_capped() {
        assert_eq!(
            parse(r#"{"access_token":"a","token_type":"Bearer"}"#).unwrap().lifetime,
            DEFAULT
        );
        let huge = parse(r#"{"access_token":"a","token_type":"Bearer","expires_in":1000000000000}"#).unwrap();
        assert_eq!(huge.lifetime, MAX_LIFETIME);
    }

    #[test]
    fn malformed_responses_say_what_is_wrong() {
        for (body, expect) in [
            ("", "not valid JSON"),
            ("<html>", "not valid JSON"),
            ("[1]", "not an object"),
            (r#"{"token_type":"Bearer"}"#, "no 'access_token'"),
            (r#"{"access_token":5,"token_type":"Bearer"}"#, "not a string"),
            (r#"{"access_token":"","token_type":"Bearer"}"#, "empty"),
            (r#"{"access_token":"a\r\nX: y","token_type":"Bearer"}"#, "not allowed"),
            (r#"{"access_token":"a"}"#, "no 'token_type'"),
            (r#"{"access_token":"a","token_type":"mac"}"#, "only Bearer"),
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":0}"#,
                "positive",
            ),
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":-5}"#,
                "positive",
            ),
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":"soon"}"#,
                "not a number",
            ),
            (
                r#"{"access_token":"a","token_type":"Bearer","expires_in":true}"#,
                "not a number",
            ),
        ] {
            let error = parse(body).unwrap_err();
            assert_eq!(error.status(), Status::Protocol, "{body}");
            assert!(error.message().contains(expect), "{body}: {error}");
        }
    }

    #[test]
    fn property_mangled_responses_never_panic_and_tokens_stay_header_safe() {
        let mut generate = crate::testing::Gen::new(0x70c3);
        let seed = br#"{"access_token":"eyJ0.eyJp.AHDk","expires_in":3600,"token_type":"Bearer","scope":"api1"}"#;
        for _ in 0..5_000 {
            let body = generate.mutate(seed);
            if let Ok(granted) = parse_response(&body, DEFAULT) {
                assert!(granted.access_token.bytes().all(|b| b.is_ascii_graphic()));
                assert!(granted.lifetime >= Duration::from_secs(1) && granted.lifetime <= MAX_LIFETIME);
            }
        }
    }

    #[test]
    fn assertion_audience_adds_the_issuers_token_endpoint_only_for_the_same_server_by_another_name() {
        let url = |text| HttpUrl::parse(text, "test").unwrap();
        let settings = |validate_issuer: &str| {
            crate::options::Options::new()
                .with("authority", "http://localhost:19081/core")
                .and_then(|o| o.with("client_id", "c"))
                .and_then(|o| o.with("client_secret", "s"))
                .and_then(|o| o.with("validate_issuer", validate_issuer))
                .unwrap()
                .resolve()
                .unwrap()
        };
        let (strict, lax) = (settings("true"), settings("false"));
        let called = url("http://localhost:19081/core/connect/token");
        let endpoint = ["http://localhost:19081/core/connect/token"];
        assert_eq!(assertion_audiences(&called, None, &lax), endpoint);
        assert_eq!(
            assertion_audiences(&called, Some(&url("http://localhost:19081/core/")), &lax),
            endpoint
        );
        let machine = url("http://VIDIFLOWHOST:19081/core");
        assert_eq!(
            assertion_audiences(&called, Some(&machine), &lax),
            [endpoint[0], "http://VIDIFLOWHOST:19081/core/connect/token"]
        );
        // A port the proxy maps is the same server too.
        assert_eq!(
            assertion_audiences(&called, Some(&url("http://VIDIFLOWHOST:443/core")), &lax)[1],
            "http://VIDIFLOWHOST:443/core/connect/token"
        );
        // With the issuer checked, or an issuer with another path or scheme: one string.
        assert_eq!(assertion_audiences(&called, Some(&machine), &strict), endpoint);
        for elsewhere in ["http://VIDIFLOWHOST:19081/other", "https://VIDIFLOWHOST:19081/core"] {
            assert_eq!(
                assertion_audiences(&called, Some(&url(elsewhere)), &lax),
                endpoint,
                "{elsewhere}"
            );
        }
    }

    #[test]
    fn oauth_error_body_becomes_an_oauth_error() {
        let error = refusal(
            401,
            br#"{"error":"invalid_client","error_description":"client authentication failed"}"#,
            "h:1",
            None,
            str::to_owned,
        );
        assert_eq!(error.status(), Status::Oauth);
        assert_eq!(error.http_status(), 401);
        let oauth = error.oauth().unwrap();
        assert_eq!(oauth.error.as_str(), "invalid_client");
        assert_eq!(
            oauth.description.as_ref().unwrap().as_str(),
            "client authentication failed"
        );
        assert!(
            error
                .message()
                .contains("invalid_client (client authentication failed) [HTTP 401]"),
            "{error}"
        );
    }

    #[test]
    fn retry_after_is_kept_and_said() {
        let wait = RetryAfter {
            asked: Duration::from_secs(30),
            cap: Duration::from_secs(300),
        };
        let error = refusal(429, b"{}", "h:1", Some(wait), str::to_owned);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(30)));
        assert!(
            error
                .message()
                .ends_with("HTTP 429 without an OAuth error; it asked to wait 30 s (Retry-After)"),
            "{error}"
        );
        let long = RetryAfter {
            asked: Duration::from_secs(3600),
            cap: Duration::from_secs(300),
        };
        let error = refusal(503, b"{}", "h:1", Some(long), str::to_owned);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(300)));
        assert!(
            error
                .message()
                .ends_with("it asked to wait 3600 s (Retry-After), held to 300 s (max_retry_after)"),
            "{error}"
        );
    }

    #[test]
    fn bare_status_becomes_an_http_error_without_the_body() {
        let error = refusal(
            500,
            b"stack trace with client_secret=hunter2",
            "h:1",
            None,
            str::to_owned,
        );
        assert_eq!(error.status(), Status::Http);
        assert_eq!(error.http_status(), 500);
        assert!(!error.message().contains("hunter2"));
    }
}
