//! Which proxy a request goes through.
//!
//! The `proxy` option names one for every request (credentials allowed, never shown). Without
//! it, the environment is read as curl reads it: `http_proxy` for `http` URLs (`HTTP_PROXY`
//! too, except in a CGI program, where a client can set that variable with a `Proxy:` header),
//! `https_proxy` / `HTTPS_PROXY` for `https` URLs, `all_proxy` / `ALL_PROXY` when the scheme's
//! own variable is unset, and `no_proxy` / `NO_PROXY` for hosts reached directly. Lower case
//! wins over upper case. Loopback hosts are always reached directly.

use std::{
    fmt,
    hash::{Hash, Hasher},
    net::IpAddr,
};

use zeroize::Zeroizing;

use crate::{
    error::{Error, Result},
    url::HttpUrl,
};

/// A proxy URL (`http://[user:password@]host[:port]`). Its credentials are never shown:
/// `Debug` and [`ProxyUrl::shown`] print `[redacted]` in their place.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// As given, credentials included; wiped on drop.
    full: Zeroizing<String>,
    /// For messages: the credentials replaced by `[redacted]`.
    shown: String,
}

impl ProxyUrl {
    /// Checks a proxy URL; `what` names where it came from in errors (the option or the
    /// variable). Errors never quote the URL: it may hold a password.
    pub fn parse(text: &str, what: &str) -> Result<ProxyUrl> {
        let bad = |why: &str| Error::config(format!("{what}: {why}"));
        // curl takes a bare host:port as an http proxy.
        let (scheme, rest) = text.split_once("://").unwrap_or(("http", text));
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return Err(bad(
                "the proxy must be an http:// or https:// URL (SOCKS is not supported)",
            ));
        }
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(end);
        if !(tail.is_empty() || tail == "/") {
            return Err(bad("a proxy URL is scheme, host and port only (no path or query)"));
        }
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        HttpUrl::parse(&format!("{scheme}://{host_port}"), what)?;
        let full = Zeroizing::new(format!("{scheme}://{authority}"));
        ureq::Proxy::new(&full).map_err(|_| {
            bad("not a usable proxy URL (percent-encode special characters in the user name and password)")
        })?;
        let shown = match credentials {
            Some(_) => format!("{scheme}://[redacted]@{host_port}"),
            None => format!("{scheme}://{host_port}"),
        };
        Ok(ProxyUrl { full, shown })
    }

    /// The URL with any credentials replaced by `[redacted]`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The proxy as ureq takes it.
    pub fn to_ureq(&self) -> ureq::Proxy {
        ureq::Proxy::new(&self.full).expect("checked when parsed")
    }
}

impl Hash for ProxyUrl {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.full.as_str().hash(state);
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// The proxies the environment names, by scheme, and the hosts reached directly.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentProxies {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    no_proxy: NoProxy,
}

impl EnvironmentProxies {
    /// Reads the variables through `var` (the process environment, or a test's map).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Result<EnvironmentProxies> {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|name| var(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
        };
        let parse = |found: Option<(&str, String)>| {
            found
                .map(|(name, value)| ProxyUrl::parse(value.trim(), &format!("environment variable {name}")))
                .transpose()
        };
        let cgi = var("REQUEST_METHOD").is_some();
        let http_names: &[&'static str] = if cgi {
            &["http_proxy"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        let all = first(&["all_proxy", "ALL_PROXY"]);
        Ok(EnvironmentProxies {
            http: parse(first(http_names).or_else(|| all.clone()))?,
            https: parse(first(&["https_proxy", "HTTPS_PROXY"]).or(all))?,
            no_proxy: NoProxy::parse(&first(&["no_proxy", "NO_PROXY"]).map_or(String::new(), |(_, v)| v)),
        })
    }

    /// The proxy for a request to `url`, or None to go direct.
    pub fn for_url(&self, url: &HttpUrl) -> Option<&ProxyUrl> {
        if url.is_loopback() || self.no_proxy.matches(url.host()) {
            return None;
        }
        if url.is_https() {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        }
    }
}

/// `NO_PROXY`: comma- or space-separated host names (each also covering its subdomains, with or
/// without a leading dot), IP addresses, CIDR blocks (`10.0.0.0/8`), or `*` for every host.
/// A `:port` after an entry is ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    all: bool,
    domains: Vec<String>,
    networks: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    pub fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy::default();
        for entry in list.split([',', ' ', '\t']).map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                no_proxy.all = true;
                continue;
            }
            if let Some(network) = parse_network(entry) {
                no_proxy.networks.push(network);
                continue;
            }
            // A trailing :port (never in an IPv6 address, handled above).
            let host = match entry.rsplit_once(':') {
                Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
                _ => entry,
            };
            if let Some(network) = parse_network(host) {
                no_proxy.networks.push(network);
                continue;
            }
            let domain = host
                .trim_start_matches("*.")
                .trim_start_matches('.')
                .to_ascii_lowercase();
            if !domain.is_empty() {
                no_proxy.domains.push(domain);
            }
        }
        no_proxy
    }

    /// Whether `host` (lower case, IPv6 in brackets or not) is to be reached directly.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self
                .networks
                .iter()
                .any(|&(network, bits)| in_network(ip, network, bits));
        }
        let host = bare.trim_end_matches('.');
        self.domains.iter().any(|domain| {
            host == domain
                || (host.len() > domain.len() && host.ends_with(domain.as_str()) && {
                    host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                })
        })
    }
}

/// `10.0.0.0/8`, `::1`, `[fd00::]/8`, `192.168.1.7`: an address and its prefix length.
fn parse_network(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => (address, Some(bits.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let ip: IpAddr = address.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(max);
    (bits <= max).then_some((ip, bits))
}

fn in_network(ip: IpAddr, network: IpAddr, bits: u8) -> bool {
    match (ip, network) {
        (IpAddr::V4(ip), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(network) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn url(text: &str) -> HttpUrl {
        HttpUrl::parse(text, "test").unwrap()
    }

    fn environment(vars: &[(&str, &str)]) -> EnvironmentProxies {
        let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EnvironmentProxies::read(|name| vars.get(name).cloned()).unwrap()
    }

    fn chosen(env: &EnvironmentProxies, target: &str) -> Option<String> {
        env.for_url(&url(target)).map(|p| p.shown().to_owned())
    }

    #[test]
    fn the_proxy_is_chosen_by_the_request_scheme() {
        let env = environment(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("HTTP_PROXY", "http://plain:2"),
            ("ALL_PROXY", "http://all:3"),
        ]);
        assert_eq!(
            chosen(&env, "http://onprem:19081/core").as_deref(),
            Some("http://plain:2")
        );
        assert_eq!(
            chosen(&env, "https://auth.example/core").as_deref(),
            Some("http://secure:1")
        );
        let only_all = environment(&[("all_proxy", "all:3")]);
        assert_eq!(chosen(&only_all, "http://a/").as_deref(), Some("http://all:3"));
        assert_eq!(chosen(&only_all, "https://a/").as_deref(), Some("http://all:3"));
        let only_https = environment(&[("HTTPS_PROXY", "http://secure:1")]);
        assert_eq!(
            chosen(&only_https, "http://onprem/"),
            None,
            "an http URL never takes HTTPS_PROXY"
        );
    }

    #[test]
    fn lower_case_wins_and_cgi_ignores_upper_case_http_proxy() {
        let env = environment(&[("http_proxy", "http://lower:1"), ("HTTP_PROXY", "http://upper:2")]);
        assert_eq!(chosen(&env, "http://a/").as_deref(), Some("http://lower:1"));
        let cgi = environment(&[("HTTP_PROXY", "http://injected:2"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(chosen(&cgi, "http://a/"), None);
    }

    #[test]
    fn loopback_is_always_direct() {
        let env = environment(&[("all_proxy", "http://all:3")]);
        for target in ["http://127.0.0.1:9/", "http://localhost/", "https://[::1]:8443/"] {
            assert_eq!(chosen(&env, target), None, "{target}");
        }
    }

    #[test]
    fn no_proxy_hosts_suffixes_cidr_and_star() {
        let list = NoProxy::parse("exact.example, .corp.example,internal:8080 10.0.0.0/8 [fd00::]/8 192.168.1.7");
        for host in [
            "exact.example",
            "sub.exact.example",
            "corp.example",
            "a.b.corp.example",
            "internal",
            "10.1.2.3",
            "[fd00::1]",
            "192.168.1.7",
        ] {
            assert!(list.matches(host), "{host} goes direct");
        }
        for host in [
            "notexact.example",
            "example",
            "11.0.0.1",
            "192.168.1.8",
            "[fe80::1]",
            "internal.other",
        ] {
            assert!(!list.matches(host), "{host} goes through the proxy");
        }
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("").matches("anything.example"));
        let env = environment(&[("HTTPS_PROXY", "http://p:1"), ("no_proxy", ".example")]);
        assert_eq!(chosen(&env, "https://auth.example/"), None);
        assert_eq!(chosen(&env, "https://auth.other/").as_deref(), Some("http://p:1"));
    }

    #[test]
    fn credentials_are_accepted_and_never_shown() {
        let proxy = ProxyUrl::parse("http://user:pa55word@proxy.corp:3128", "option 'proxy'").unwrap();
        assert_eq!(proxy.shown(), "http://[redacted]@proxy.corp:3128");
        assert_eq!(format!("{proxy:?}"), "http://[redacted]@proxy.corp:3128");
        assert_eq!(proxy.to_ureq().password(), Some("pa55word"));
        let env = environment(&[("https_proxy", "http://user:pa55word@proxy.corp:3128")]);
        assert!(!format!("{env:?}").contains("pa55word"));
    }

    #[test]
    fn bad_proxy_urls_are_refused_without_quoting_them() {
        for (text, why) in [
            ("socks5://user:pa55word@h:1", "SOCKS"),
            ("http://user:pa55word@h:1/path", "no path"),
            ("http://user:pa55word@", "host"),
            ("ftp://pa55word", "http"),
        ] {
            let error = ProxyUrl::parse(text, "option 'proxy'").unwrap_err();
            assert!(error.message().starts_with("option 'proxy'"), "{error}");
            assert!(error.message().contains(why), "{text}: {error}");
            assert!(!error.message().contains("pa55word"), "{error}");
        }
        let vars = [("HTTPS_PROXY", "socks5://pa55word@h")];
        let error = EnvironmentProxies::read(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
            .unwrap_err();
        assert!(
            error.message().starts_with("environment variable HTTPS_PROXY"),
            "{error}"
        );
        assert!(!error.message().contains("pa55word"));
    }
}
