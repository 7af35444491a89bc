//! The few things the library needs to know about an authority or endpoint URL.

use std::net::IpAddr;

use ureq::http::Uri;

use crate::error::{Error, Result};

/// An absolute `http` or `https` URL with a host, no user info and no fragment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    text: String,
    https: bool,
    host: String,
    port: u16,
}

impl HttpUrl {
    /// Parses `text`; `what` names the URL in error messages (e.g. "option 'authority'").
    pub fn parse(text: &str, what: &str) -> Result<HttpUrl> {
        let bad = |why: &str| Error::config(format!("{what}: {why}"));
        if text.contains('#') {
            return Err(bad("a URL with a fragment ('#') is not allowed"));
        }
        let uri: Uri = text
            .parse()
            .map_err(|_| bad("not a valid absolute URL (expected https://host/path)"))?;
        let https = match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("https") => true,
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => false,
            Some(_) => return Err(bad("the URL scheme must be https (or http)")),
            None => return Err(bad("not an absolute URL (expected https://host/path)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("the URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad(
                "user info in the URL is not allowed; set client_id and client_secret instead",
            ));
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad("the URL has no host"));
        }
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(HttpUrl {
            text: text.to_owned(),
            https,
            host,
            port,
        })
    }

    /// Parses an authority URL: like [`HttpUrl::parse`], but a query string is refused
    /// (discovery appends to the path) and trailing slashes are dropped, so `…/core` and
    /// `…/core/` are one authority.
    pub fn parse_authority(text: &str, what: &str) -> Result<HttpUrl> {
        let mut url = HttpUrl::parse(text, what)?;
        if text.contains('?') {
            return Err(Error::config(
                "a query string ('?') is not allowed in an authority URL: discovery appends /.well-known/openid-configuration to its path",
            ));
        }
        let after_scheme = url.text.find("://").map_or(0, |i| i + 3);
        while url.text.len() > after_scheme && url.text.ends_with('/') {
            url.text.pop();
        }
        Ok(url)
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The host, lower case (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// True for `localhost`, 127.0.0.0/8 and `[::1]`: plain http there never leaves the machine.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// Same scheme, host and port.
    pub fn same_origin(&self, other: &HttpUrl) -> bool {
        self.https == other.https && self.host == other.host && self.port == other.port
    }

    /// Compares two URLs the way an issuer is compared: scheme and host ignoring case, a
    /// trailing slash ignored, the rest exact.
    pub fn same_issuer(&self, other: &HttpUrl) -> bool {
        self.same_origin(other) && self.issuer_path() == other.issuer_path()
    }

    /// The same issuer but for the host name or port: the same server reached another way, as
    /// IdentityServer3 behind Service Fabric's reverse proxy names itself.
    pub fn same_issuer_elsewhere(&self, other: &HttpUrl) -> bool {
        self.https == other.https && !self.same_origin(other) && self.issuer_path() == other.issuer_path()
    }

    /// The path, without trailing slashes.
    fn issuer_path(&self) -> &str {
        let after_scheme = self.text.split_once("://").map_or("", |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
        path.trim_end_matches('/')
    }

    /// `{self}/.well-known/openid-configuration`, appended after any path the URL has.
    pub fn discovery_document(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.text.trim_end_matches('/'))
    }
}

/// True for `localhost`, 127.0.0.0/8 and `::1` (in brackets or not).
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> HttpUrl {
        HttpUrl::parse(text, "test").unwrap()
    }

    #[test]
    fn discovery_document_keeps_the_path_with_or_without_trailing_slash() {
        let expected = "http://h:19081/Integrations/Authentication/core/.well-known/openid-configuration";
        assert_eq!(
            url("http://h:19081/Integrations/Authentication/core").discovery_document(),
            expected
        );
        assert_eq!(
            url("http://h:19081/Integrations/Authentication/core/").discovery_document(),
            expected
        );
        assert_eq!(
            url("https://h").discovery_document(),
            "https://h/.well-known/openid-configuration"
        );
    }

    #[test]
    fn loopback_hosts() {
        assert!(url("http://127.0.0.1:8080/x").is_loopback());
        assert!(url("http://127.9.9.9/").is_loopback());
        assert!(url("http://LOCALHOST/").is_loopback());
        assert!(url("http://[::1]:99/").is_loopback());
        assert!(!url("http://10.0.0.1/").is_loopback());
        assert!(!url("http://localhost.example.com/").is_loopback());
    }

    #[test]
    fn issuer_comparison_ignores_case_of_host_and_trailing_slash_only() {
        assert!(url("HTTPS://Auth.Example.com/core/").same_issuer(&url("https://auth.example.com/core")));
        assert!(url("https://a.example/core").same_issuer(&url("https://a.example:443/core")));
        assert!(!url("https://a.example/core").same_issuer(&url("https://a.example/Core")));
        assert!(!url("https://a.example/core").same_issuer(&url("http://a.example/core")));
        assert!(!url("https://a.example/core").same_issuer(&url("https://a.example:8443/core")));
    }

    #[test]
    fn authority_loses_trailing_slashes_and_refuses_a_query() {
        let with = HttpUrl::parse_authority("https://h/core/", "option 'authority'").unwrap();
        let without = HttpUrl::parse_authority("https://h/core", "option 'authority'").unwrap();
        assert_eq!(with, without);
        assert_eq!(with.as_str(), "https://h/core");
        assert_eq!(
            HttpUrl::parse_authority("https://h/", "a").unwrap().as_str(),
            "https://h"
        );
        let error = HttpUrl::parse_authority("https://h/core?tenant=secretish", "option 'authority'").unwrap_err();
        assert!(error.message().starts_with("a query string"), "{error}");
        assert!(!error.message().contains("secretish"), "{error}");
    }

    #[test]
    fn rejects_what_cannot_be_an_endpoint() {
        for (text, why) in [
            ("ftp://h/", "scheme"),
            ("h/path", "absolute"),
            ("https://user:pw@h/", "user info"),
            ("https://h/#frag", "fragment"),
            ("not a url", "valid"),
        ] {
            let error = HttpUrl::parse(text, "option 'authority'").unwrap_err();
            assert!(error.message().contains(why), "{text}: {}", error.message());
            assert!(error.message().starts_with("option 'authority'"));
            assert!(!error.message().contains("pw"));
        }
    }
}
