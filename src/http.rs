//! The HTTP client: one ureq agent per client, with TLS roots, proxy, timeouts, a size cap on
//! responses, and no redirects. Turns transport failures into [`Error`]s that name the host
//! (and the proxy, its credentials redacted).

use std::time::{Duration, Instant, SystemTime};

use rustls::pki_types::CertificateDer;
use ureq::{
    Agent,
    http::{HeaderValue, Response, header},
    tls::{PemItem, RootCerts, TlsConfig},
    unversioned::transport::{ConnectProxyConnector, Connector, DefaultConnector, TcpConnector},
};
use zeroize::Zeroizing;

use crate::{
    error::{Error, Result, Status},
    options::{ProxySetting, Settings},
    proxy::{EnvironmentProxies, ProxyUrl},
    resolver::RememberingResolver,
    tls::PinningTlsConnector,
    url::HttpUrl,
};

/// Responses larger than this are refused: a token response is a few kilobytes.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Retry-After values past this are read as this (a bound for the arithmetic; the hold itself
/// is capped by the `max_retry_after` option).
const MAX_RETRY_AFTER_READ: Duration = Duration::from_secs(24 * 60 * 60);
/// Pooled connections older than this are not reused.
const MAX_IDLE_AGE: Duration = Duration::from_secs(60);

/// What came back from the authority.
pub struct Reply {
    pub status: u16,
    /// Wiped on drop: a token response body holds the access token.
    pub body: Zeroizing<Vec<u8>>,
    pub retry_after: Option<Duration>,
    pub location: Option<String>,
}

/// How a token request authenticates, besides what is in the body.
pub enum Credentials<'a> {
    /// Nothing beyond the body (`client_secret_post`).
    InBody,
    /// `Authorization: Basic …` with this already-encoded value.
    Basic(&'a str),
}

pub struct Http {
    agent: Agent,
    proxies: Proxies,
}

/// Where requests go through, decided per request URL.
enum Proxies {
    Direct,
    /// The `proxy` option: every request.
    Fixed(ProxyUrl),
    /// The environment, read when the client was made.
    Environment(EnvironmentProxies),
}

impl Http {
    pub fn new(settings: &Settings) -> Result<Http> {
        let proxies = match &settings.proxy {
            ProxySetting::FromEnvironment => {
                Proxies::Environment(EnvironmentProxies::read(|name| std::env::var(name).ok())?)
            }
            ProxySetting::Direct => Proxies::Direct,
            ProxySetting::Url(url) => Proxies::Fixed(url.clone()),
        };
        // The certificate and key a TLS client method presents in every handshake.
        let identity = settings
            .client_key
            .as_ref()
            .filter(|_| settings.auth_method.is_mutual_tls())
            .and_then(|key| key.tls_identity());
        // With a ca_file or a client certificate, our own TLS connector does the handshake (see
        // `tls`), trusting the system's roots (and the file's); otherwise ureq's, with the
        // platform verifier.
        let own_tls = match (&settings.ca_file, identity) {
            (None, None) => None,
            (Some(path), identity) => {
                let (roots, pinned) = system_and_extra_roots(path.path())?;
                Some(PinningTlsConnector::new(roots, pinned, identity)?)
            }
            (None, identity @ Some(_)) => {
                let roots = rustls_native_certs::load_native_certs().certs;
                Some(PinningTlsConnector::new(roots, Vec::new(), identity)?)
            }
        };
        let tls = TlsConfig::builder().root_certs(RootCerts::PlatformVerifier);
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(None)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.timeout))
            .max_idle_age(MAX_IDLE_AGE)
            .user_agent(concat!("vidiflow-auth/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .tls_config(tls.build())
            .build();
        let agent = match own_tls {
            None => Agent::with_parts(config, DefaultConnector::default(), RememberingResolver::default()),
            Some(tls) => {
                let connector = ().chain(ConnectProxyConnector::default()).chain(TcpConnector::default()).chain(tls);
                Agent::with_parts(config, connector, RememberingResolver::default())
            }
        };
        Ok(Http { agent, proxies })
    }

    /// The proxy for a request to `url`, if any.
    fn proxy_for(&self, url: &str) -> Option<&ProxyUrl> {
        match &self.proxies {
            Proxies::Direct => None,
            Proxies::Fixed(proxy) => Some(proxy),
            Proxies::Environment(environment) => HttpUrl::parse(url, "the request URL")
                .ok()
                .and_then(|url| environment.for_url(&url)),
        }
    }

    /// Refuses what [`Http::new`] would refuse (a bad proxy URL, an unusable `ca_file`) without
    /// its costly part, loading the system's roots: a client is made at once, and builds its
    /// agent only when it first needs the network (a token from the host-level cache needs none).
    pub fn check(settings: &Settings) -> Result<()> {
        if settings.proxy == ProxySetting::FromEnvironment {
            EnvironmentProxies::read(|name| std::env::var(name).ok())?;
        }
        if let Some(path) = &settings.ca_file {
            extra_roots(path.path())?;
        }
        Ok(())
    }

    /// GET `url`, giving up at `deadline`.
    pub fn get(&self, url: &str, deadline: Instant) -> Result<Reply> {
        let proxy = self.proxy_for(url);
        let request = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(remaining(deadline, url)?))
            .proxy(proxy.map(ProxyUrl::to_ureq))
            .build();
        read_reply(request.call(), url, proxy)
    }

    /// POST a form body to `url`, giving up at `deadline`.
    pub fn post_form(&self, url: &str, body: &[u8], credentials: Credentials, deadline: Instant) -> Result<Reply> {
        let proxy = self.proxy_for(url);
        let mut request = self
            .agent
            .post(url)
            .config()
            .timeout_global(Some(remaining(deadline, url)?))
            .proxy(proxy.map(ProxyUrl::to_ureq))
            .build()
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Credentials::Basic(value) = credentials {
            request = request.header(header::AUTHORIZATION, wiped_header_value(value)?);
        }
        read_reply(request.send(body), url, proxy)
    }
}

/// A header value whose bytes are wiped when the request drops it (http's own would copy the
/// credential into a buffer that is freed as it is).
fn wiped_header_value(value: &str) -> Result<HeaderValue> {
    struct WipedBytes(Zeroizing<Vec<u8>>);
    impl AsRef<[u8]> for WipedBytes {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    let owned = WipedBytes(Zeroizing::new(value.as_bytes().to_vec()));
    HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(owned))
        .map_err(|_| Error::new(Status::Internal, "the Authorization header value is not valid"))
}

fn remaining(deadline: Instant, url: &str) -> Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(Error::new(
            Status::Timeout,
            format!("no time left for a request to {}", host_of(url)),
        ))
    } else {
        Ok(left)
    }
}

fn read_reply(
    result: std::result::Result<Response<ureq::Body>, ureq::Error>,
    url: &str,
    proxy: Option<&ProxyUrl>,
) -> Result<Reply> {
    // Which proxy the request went through, in any failure (its credentials redacted).
    let failed = |error: Error| match proxy {
        Some(proxy) => error.context_after(&format!(" (through the proxy {})", proxy.shown())),
        None => error,
    };
    let response = result.map_err(|error| failed(transport_error(error, url)))?;
    let status = response.status().as_u16();
    let header_text = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header_text(header::RETRY_AFTER).and_then(|v| parse_retry_after(&v, SystemTime::now()));
    let location = header_text(header::LOCATION);
    // Read into a buffer that is wiped whenever it grows: the body holds the access token.
    let reader = response.into_body().into_with_config().limit(MAX_BODY_BYTES).reader();
    let body = crate::wipe::read_to_end(reader, MAX_BODY_BYTES + 1).map_err(|error| {
        let kept_kind = std::io::Error::new(error.kind(), error.to_string());
        // ureq's own errors come wrapped; an I/O error (a peer that hung up mid-body, say)
        // keeps its kind, which decides between PROTOCOL and NETWORK.
        let wraps_ureq_error = error.get_ref().is_some_and(|inner| inner.is::<ureq::Error>());
        let error = match error.into_inner().map(|inner| inner.downcast::<ureq::Error>()) {
            Some(Ok(ureq_error)) if wraps_ureq_error => transport_error(*ureq_error, url),
            _ => io_error(&kept_kind, host_of(url)),
        };
        failed(error).with_http_status(status)
    })?;
    Ok(Reply {
        status,
        body,
        retry_after,
        location,
    })
}

/// The host and port of `url`, for messages (never the query, which is ours anyway).
pub fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?']).next().unwrap_or(rest)
}

fn transport_error(error: ureq::Error, url: &str) -> Error {
    let host = host_of(url);
    match error {
        ureq::Error::Timeout(which) => Error::new(
            Status::Timeout,
            format!("{host} did not answer in time ({which} timed out)"),
        ),
        ureq::Error::HostNotFound => Error::new(Status::Network, format!("cannot resolve the host name {host}")),
        ureq::Error::ConnectionFailed => Error::new(Status::Network, format!("cannot connect to {host}")),
        ureq::Error::BodyExceedsLimit(_) => Error::protocol(format!(
            "the response from {host} is larger than {} KiB; refused",
            MAX_BODY_BYTES / 1024
        )),
        ureq::Error::Rustls(error) => Error::new(Status::Tls, format!("TLS with {host} failed: {error}")),
        ureq::Error::Tls(why) => Error::new(Status::Tls, format!("TLS with {host} failed: {why}")),
        ureq::Error::Io(error) => io_error(&error, host),
        ureq::Error::ConnectProxyFailed(why) => {
            let hint = if why.contains("407") {
                "; it wants credentials, or refused the ones given (http://user:password@host:port in 'proxy' or the *_proxy variable)"
            } else {
                ""
            };
            Error::new(
                Status::Network,
                format!("the proxy refused the connection to {host}: {why}{hint}"),
            )
        }
        ureq::Error::Protocol(error) => Error::protocol(format!("{host} sent a malformed HTTP response: {error}")),
        other => Error::new(Status::Network, format!("request to {host} failed: {other}")),
    }
}

fn io_error(error: &std::io::Error, host: &str) -> Error {
    use std::io::ErrorKind;
    // rustls reports handshake and certificate failures as I/O errors wrapping its own error.
    if let Some(tls) = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
        return Error::new(Status::Tls, format!("TLS with {host} failed: {tls}"));
    }
    match error.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => Error::new(
            Status::Timeout,
            format!("{host} did not answer within the timeout (timeout_ms)"),
        ),
        ErrorKind::UnexpectedEof => {
            Error::protocol(format!("{host} closed the connection before the response was complete"))
        }
        _ => Error::new(Status::Network, format!("connection to {host} failed: {error}")),
    }
}

/// Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), read up to a day.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => parse_http_date(value)?.duration_since(now).unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER_READ))
}

/// IMF-fixdate only (`Sun, 06 Nov 1994 08:49:37 GMT`), the form servers must send.
fn parse_http_date(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else { return None };
    // Out-of-range fields are not a date (and would overflow the arithmetic below).
    let in_range = (1970..=9999).contains(&year)
        && (1..=31).contains(&day)
        && (0..24).contains(h)
        && (0..60).contains(m)
        && (0..=60).contains(s);
    if !in_range {
        return None;
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The system's trusted roots plus every certificate in the PEM file at `path`, and the file's
/// certificates alone (trusted as themselves when a server presents one).
fn system_and_extra_roots(
    path: &std::path::Path,
) -> Result<(Vec<CertificateDer<'static>>, Vec<CertificateDer<'static>>)> {
    let pinned = extra_roots(path)?;
    // Unreadable system roots are not fatal: the extra CA may be all the caller needs.
    let mut roots = rustls_native_certs::load_native_certs().certs;
    roots.extend(pinned.iter().cloned());
    Ok((roots, pinned))
}

/// The certificates of `ca_file`; an unreadable file, or one without a certificate, is an error.
/// Messages never name the path (a value given to the wrong option would be printed).
fn extra_roots(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let what = "option 'ca_file'";
    let pem = std::fs::read(path).map_err(|error| {
        Error::new(
            Status::Tls,
            format!(
                "{what}: the file it names cannot be read: {}",
                crate::wipe::io_reason(&error)
            ),
        )
    })?;
    let mut pinned: Vec<CertificateDer<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => pinned.push(CertificateDer::from(cert.der().to_vec())),
            Ok(_) => {}
            Err(_) => return Err(Error::new(Status::Tls, format!("{what}: not a valid PEM file"))),
        }
    }
    if pinned.is_empty() {
        return Err(Error::new(
            Status::Tls,
            format!("{what}: the file holds no certificate"),
        ));
    }
    Ok(pinned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("3600", now), Some(Duration::from_secs(3600)));
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER_READ));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 99999999999999999 08:50:37 GMT", now),
            None
        );
        assert_eq!(parse_retry_after("Sun, 99 Nov 1994 08:50:37 GMT", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 11, 28), 20_785);
    }

    #[test]
    fn host_of_strips_scheme_and_path() {
        assert_eq!(host_of("http://127.0.0.1:5/a/b?c"), "127.0.0.1:5");
        assert_eq!(host_of("https://auth.example"), "auth.example");
    }
}
