//! The HTTP client: one ureq agent per client, with TLS roots, proxy, timeouts, a size cap on
//! responses, and no redirects. Turns transport failures into [`Error`]s that name the host.

use std::{
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use ureq::{
    Agent,
    http::{Response, header},
    tls::{Certificate, PemItem, RootCerts, TlsConfig},
};
use zeroize::Zeroizing;

use crate::{
    error::{Error, Result, Status},
    options::{ProxySetting, Settings},
};

/// Responses larger than this are refused: a token response is a few kilobytes.
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Retry-After values past this are treated as this.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
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
}

impl Http {
    pub fn new(settings: &Settings) -> Result<Http> {
        let proxy = match &settings.proxy {
            ProxySetting::FromEnvironment if settings.endpoint.url().is_loopback() => None,
            ProxySetting::FromEnvironment => ureq::Proxy::try_from_env(),
            ProxySetting::Direct => None,
            ProxySetting::Url(url) => {
                Some(ureq::Proxy::new(url).map_err(|_| Error::config("option 'proxy': not a usable proxy URL"))?)
            }
        };
        let roots = match &settings.ca_file {
            None => RootCerts::PlatformVerifier,
            Some(path) => RootCerts::Specific(Arc::new(system_and_extra_roots(path)?)),
        };
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .proxy(proxy)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_global(Some(settings.timeout))
            .max_idle_age(MAX_IDLE_AGE)
            .user_agent(concat!("vidiflow-auth/", env!("CARGO_PKG_VERSION")))
            .accept("application/json")
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        Ok(Http { agent: config.into() })
    }

    /// Refuses what [`Http::new`] would refuse (a bad proxy URL, an unusable `ca_file`) without
    /// its costly part, loading the system's roots: a client is made at once, and builds its
    /// agent only when it first needs the network (a token from the host-level cache needs none).
    pub fn check(settings: &Settings) -> Result<()> {
        if let ProxySetting::Url(url) = &settings.proxy {
            ureq::Proxy::new(url).map_err(|_| Error::config("option 'proxy': not a usable proxy URL"))?;
        }
        if let Some(path) = &settings.ca_file {
            extra_roots(path)?;
        }
        Ok(())
    }

    /// GET `url`, giving up at `deadline`.
    pub fn get(&self, url: &str, deadline: Instant) -> Result<Reply> {
        let request = self
            .agent
            .get(url)
            .config()
            .timeout_global(Some(remaining(deadline, url)?))
            .build();
        read_reply(request.call(), url)
    }

    /// POST a form body to `url`, giving up at `deadline`.
    pub fn post_form(&self, url: &str, body: &[u8], credentials: Credentials, deadline: Instant) -> Result<Reply> {
        let mut request = self
            .agent
            .post(url)
            .config()
            .timeout_global(Some(remaining(deadline, url)?))
            .build()
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Credentials::Basic(value) = credentials {
            request = request.header(header::AUTHORIZATION, value);
        }
        read_reply(request.send(body), url)
    }
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

fn read_reply(result: std::result::Result<Response<ureq::Body>, ureq::Error>, url: &str) -> Result<Reply> {
    let response = result.map_err(|error| transport_error(error, url))?;
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
    let body = response
        .into_body()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
        .map_err(|error| transport_error(error, url).with_http_status(status))?;
    Ok(Reply {
        status,
        body: Zeroizing::new(body),
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
        ureq::Error::ConnectProxyFailed(why) => Error::new(
            Status::Network,
            format!("the proxy refused the connection to {host}: {why}"),
        ),
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

/// Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3), capped at an hour.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => parse_http_date(value)?.duration_since(now).unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
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
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The system's trusted roots plus every certificate in the PEM file at `path`.
fn system_and_extra_roots(path: &std::path::Path) -> Result<Vec<Certificate<'static>>> {
    let mut roots = extra_roots(path)?;
    // Unreadable system roots are not fatal: the extra CA may be all the caller needs.
    let system = rustls_native_certs::load_native_certs();
    roots.extend(
        system
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    Ok(roots)
}

/// The certificates of `ca_file`; an unreadable file, or one without a certificate, is an error.
fn extra_roots(path: &std::path::Path) -> Result<Vec<Certificate<'static>>> {
    let what = format!("option 'ca_file' ({})", path.display());
    let pem = std::fs::read(path)
        .map_err(|error| Error::new(Status::Tls, format!("{what}: cannot read the file: {error}")))?;
    let mut roots: Vec<Certificate<'static>> = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => roots.push(cert),
            Ok(_) => {}
            Err(_) => return Err(Error::new(Status::Tls, format!("{what}: not a valid PEM file"))),
        }
    }
    if roots.is_empty() {
        return Err(Error::new(
            Status::Tls,
            format!("{what}: the file holds no certificate"),
        ));
    }
    Ok(roots)
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
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
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
