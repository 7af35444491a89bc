//! The client secret: wiped from memory on drop, never printed, and known to the cache only by a
//! keyed fingerprint.

use std::{
    fmt,
    hash::{BuildHasher, Hasher},
};

use once_cell::sync::Lazy;
use zeroize::Zeroizing;

use crate::options::BasicAuthStyle;

/// A client secret. `Debug` prints `[redacted]`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(Zeroizing::new(value))
    }

    /// The secret itself: only for building the token request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with this secret replaced by `[redacted]` wherever it appears: as is,
    /// form-urlencoded, or inside the Basic credential of `client_id` (either style). For text
    /// that came from outside (an authority's error description may echo the request).
    ///
    /// One pass over `text`, writing only what is not secret: no intermediate string holds a
    /// copy of the secret (the encoded forms are built at their final size and wiped).
    pub fn redact(&self, text: &str, client_id: &str) -> String {
        use crate::oauth::form::{basic_authorization, encoded_len, push_encoded};
        const REDACTED: &str = "[redacted]";
        let secret = self.expose();
        if secret.is_empty() {
            return text.to_owned();
        }
        let mut encoded = Zeroizing::new(String::with_capacity(encoded_len(secret)));
        push_encoded(&mut encoded, secret);
        let basic = |style| basic_authorization(client_id, secret, style);
        let (rfc6749, rfc2617) = (basic(BasicAuthStyle::Rfc6749), basic(BasicAuthStyle::Rfc2617));
        let forms = [
            rfc6749.trim_start_matches("Basic "),
            rfc2617.trim_start_matches("Basic "),
            encoded.as_str(),
            secret,
        ];
        let mut redacted = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(next) = rest.chars().next() {
            match forms.iter().find(|form| rest.starts_with(**form)) {
                Some(form) => {
                    redacted.push_str(REDACTED);
                    rest = &rest[form.len()..];
                }
                None => {
                    redacted.push(next);
                    rest = &rest[next.len_utf8()..];
                }
            }
        }
        redacted
    }

    /// See [`fingerprint`].
    pub fn fingerprint(&self) -> [u64; 2] {
        fingerprint(self.0.as_bytes())
    }
}

/// A per-process, keyed 128-bit fingerprint: equal inputs give equal fingerprints, and a
/// fingerprint cannot be checked against a guessed secret or token outside this process.
pub fn fingerprint(bytes: &[u8]) -> [u64; 2] {
    static KEYS: Lazy<[std::collections::hash_map::RandomState; 2]> =
        Lazy::new(|| [Default::default(), Default::default()]);
    KEYS.each_ref().map(|key| {
        let mut hasher = key.build_hasher();
        hasher.write(bytes);
        hasher.finish()
    })
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::new("hunter2".into());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret)), "Some([redacted])");
    }

    #[test]
    fn redact_removes_every_form_the_secret_travels_in() {
        let secret = Secret::new("a+b/c=d%e&f:g".into());
        let echoed = "got grant_type=client_credentials&client_secret=a%2Bb%2Fc%3Dd%25e%26f%3Ag, \
                      raw a+b/c=d%e&f:g, header Basic dmYtYmFzaWM6YSUyQmIlMkZjJTNEZCUyNWUlMjZmJTNBZw==";
        let redacted = secret.redact(echoed, "vf-basic");
        assert_eq!(redacted.matches("[redacted]").count(), 3, "{redacted}");
        assert!(!redacted.contains("a+b") && !redacted.contains("a%2Bb") && !redacted.contains("dmYtYmFz"));
        // The RFC 2617 credential: base64("vf-basic:a+b/c=d%e&f:g").
        let raw = secret.redact("Authorization: Basic dmYtYmFzaWM6YStiL2M9ZCVlJmY6Zw==", "vf-basic");
        assert_eq!(raw, "Authorization: Basic [redacted]");
    }

    #[test]
    fn fingerprint_tells_secrets_apart() {
        let a = Secret::new("a".into());
        assert_eq!(a.fingerprint(), Secret::new("a".into()).fingerprint());
        assert_ne!(a.fingerprint(), Secret::new("b".into()).fingerprint());
    }
}
