//! The client secret: wiped from memory on drop, never printed, and known to the cache only by a
//! keyed fingerprint.

use std::{
    fmt,
    hash::{BuildHasher, Hasher},
};

use once_cell::sync::Lazy;
use zeroize::Zeroizing;

/// A client secret. `Debug` and `Display` print `[redacted]`.
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
    fn fingerprint_tells_secrets_apart() {
        let a = Secret::new("a".into());
        assert_eq!(a.fingerprint(), Secret::new("a".into()).fingerprint());
        assert_ne!(a.fingerprint(), Secret::new("b".into()).fingerprint());
    }
}
