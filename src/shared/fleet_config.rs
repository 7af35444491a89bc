//! Where the fleet level lives: the `redis_url`, `redis_password_file` and `redis_prefix`
//! options, checked when set, shown only with their credentials redacted, and turned into a
//! Redis (or Valkey) client with the same TLS trust as the authority: the system's roots plus
//! `ca_file`.

use std::{fmt, path::Path};

use redis::IntoConnectionInfo;

use crate::{
    error::{Error, Result},
    secret::Secret,
};

/// The key prefix used when `redis_prefix` is not set.
pub(crate) const DEFAULT_PREFIX: &str = "vf:";
/// Longest key prefix accepted.
const MAX_PREFIX_BYTES: usize = 128;

/// A checked `redis_url`. `Debug` and `Display` show it with the password redacted.
#[derive(Clone)]
pub(crate) struct RedisUrl {
    info: redis::ConnectionInfo,
    shown: String,
}

impl RedisUrl {
    /// Parses `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); `valkey://` and
    /// `valkeys://` too. Errors never repeat the value (it may hold a password).
    pub fn parse(value: &str) -> Result<RedisUrl> {
        let expected = "expected redis://[user:password@]host[:port][/db] or rediss://… (TLS)";
        let Some((scheme, _)) = value.split_once("://") else {
            return Err(Error::config(expected));
        };
        let scheme = scheme.to_ascii_lowercase();
        if !["redis", "rediss", "valkey", "valkeys"].contains(&scheme.as_str()) {
            return Err(Error::config(format!(
                "{expected}; other schemes (Unix sockets included) are not supported"
            )));
        }
        let info = value
            .into_connection_info()
            .map_err(|_| Error::config(format!("not a valid Redis URL: {expected}")))?;
        let settings = info.redis_settings();
        let credentials = match (settings.username(), settings.password()) {
            (Some(user), Some(_)) => format!("{user}:[redacted]@"),
            (None, Some(_)) => ":[redacted]@".to_owned(),
            (Some(user), None) => format!("{user}@"),
            (None, None) => String::new(),
        };
        let shown = format!("{scheme}://{credentials}{}/{}", info.addr(), settings.db());
        Ok(RedisUrl { info, shown })
    }

    /// Whether the connection uses TLS.
    fn tls(&self) -> bool {
        matches!(self.info.addr(), redis::ConnectionAddr::TcpTls { .. })
    }

    /// The password given in the URL, if any.
    fn password(&self) -> Option<&str> {
        self.info.redis_settings().password()
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({})", self.shown)
    }
}

/// Checks a `redis_prefix`: printable, without spaces or braces (a brace would change which
/// part of a key Redis Cluster hashes, and so which slot an identity's keys land in).
pub(crate) fn check_prefix(value: &str) -> Result<String> {
    if value.len() > MAX_PREFIX_BYTES {
        return Err(Error::config(format!(
            "the prefix is longer than {MAX_PREFIX_BYTES} bytes"
        )));
    }
    if value
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '{' || c == '}')
    {
        return Err(Error::config(
            "the prefix may not contain spaces, control characters or braces ({ })",
        ));
    }
    Ok(value.to_owned())
}

/// The fleet level's settings, after `Options::resolve`.
#[derive(Debug, Clone)]
pub(crate) struct FleetSettings {
    pub url: RedisUrl,
    /// From `redis_password_file`: replaces a password in the URL.
    pub password: Option<Secret>,
    pub prefix: String,
}

impl FleetSettings {
    /// The password in use, to scrub it from anything the server or the client library says.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(Secret::expose).or(self.url.password())
    }

    /// A Redis client for these settings, trusting the system's roots plus `ca_file` for TLS.
    /// Connects to nothing yet.
    pub fn client(&self, ca_file: Option<&Path>) -> std::result::Result<redis::Client, String> {
        let mut info = self.url.info.clone();
        if let Some(password) = &self.password {
            let settings = info.redis_settings().clone().set_password(password.expose());
            info = info.set_redis_settings(settings);
        }
        let built = match ca_file.filter(|_| self.url.tls()) {
            None => redis::Client::open(info),
            Some(path) => redis::Client::build_with_tls(
                info,
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(roots_pem(path)?),
                },
            ),
        };
        built.map_err(|error| format!("cannot set up the Redis client: {error}"))
    }
}

/// The system's roots and the certificates of `ca_file`, as one PEM text (the Redis client
/// takes its extra roots that way, and then trusts only those).
fn roots_pem(ca_file: &Path) -> std::result::Result<Vec<u8>, String> {
    let mut pem =
        std::fs::read(ca_file).map_err(|error| format!("cannot read ca_file ({}): {error}", ca_file.display()))?;
    pem.push(b'\n');
    for der in rustls_native_certs::load_native_certs().certs {
        let mut encoded = String::new();
        crate::oauth::form::push_base64(&mut encoded, der.as_ref());
        pem.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.extend_from_slice(line);
            pem.push(b'\n');
        }
        pem.extend_from_slice(b"-----END CERTIFICATE-----\n");
    }
    Ok(pem)
}

/// Reads `redis_password_file`: one line, trailing line breaks ignored.
pub(crate) fn read_password_file(path: &Path) -> Result<Secret> {
    // The path is never quoted: a value given to the wrong option (the password) would be.
    let what = "option 'redis_password_file'";
    let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(|error| {
        Error::config(format!(
            "{what}: the file it names cannot be read: {}",
            crate::wipe::io_reason(&error)
        ))
    })?);
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::config(format!("{what}: the file is not UTF-8 text")))?;
    let password = text.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Error::config(format!("{what}: the file is empty")));
    }
    if password.contains(['\r', '\n', '\0']) {
        return Err(Error::config(format!("{what}: the password spans more than one line")));
    }
    Ok(Secret::new(password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        let url = RedisUrl::parse("redis://fleet:pa55word-xyz@127.0.0.1:6380/2").unwrap();
        assert_eq!(url.to_string(), "redis://fleet:[redacted]@127.0.0.1:6380/2");
        assert!(!format!("{url:?}").contains("pa55word"));
        assert_eq!(url.password(), Some("pa55word-xyz"));
        assert!(!url.tls());
        let tls = RedisUrl::parse("rediss://:only-pass@localhost:6390").unwrap();
        assert_eq!(tls.to_string(), "rediss://:[redacted]@localhost:6390/0");
        assert!(tls.tls());
        assert_eq!(
            RedisUrl::parse("valkey://127.0.0.1").unwrap().to_string(),
            "valkey://127.0.0.1:6379/0"
        );
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_them() {
        for value in [
            "127.0.0.1:6379",
            "http://u:pa55word-xyz@127.0.0.1:6379",
            "redis+unix:///tmp/pa55word-xyz.sock",
            "redis://u:pa55word-xyz@[::1:6379",
            "redis://u:pa55word-xyz@127.0.0.1:6379/notadb",
        ] {
            let error = RedisUrl::parse(value).unwrap_err();
            assert!(error.message().contains("redis://"), "{value}: {error}");
            assert!(!error.message().contains("pa55word"), "{error}");
        }
    }

    #[test]
    fn prefixes_with_braces_or_spaces_are_refused() {
        assert_eq!(check_prefix("prod:vf:").unwrap(), "prod:vf:");
        for bad in ["a{b}", "a b", "x}", "\u{7}"] {
            assert!(check_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
