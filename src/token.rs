//! An access token as handed to callers: immutable, shared by reference, wiped on drop.

use std::{
    fmt,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::{random, text::CText};

/// How much of a token's life is held back so a token is never used at the very edge of its
/// expiry: 10 % of the lifetime, at most a minute. A 5-second token stays usable for 4.5 s.
fn safety_buffer(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(60))
}

/// When a background refresh starts: at 75 % of the lifetime, less a random part of the
/// safety buffer, so that processes started together do not refresh together.
fn refresh_point(lifetime: Duration) -> Duration {
    lifetime
        .mul_f64(0.75)
        .saturating_sub(safety_buffer(lifetime).mul_f64(random::unit()))
}

/// An OAuth 2.0 Bearer access token and when it expires. `Debug` shows a fingerprint of the
/// token, never the token.
pub struct Token {
    pub(crate) access_token: CText,
    pub(crate) authorization: CText,
    pub(crate) token_type: CText,
    pub(crate) scope: CText,
    lifetime: Duration,
    expires_at: Instant,
    expires_at_unix: i64,
    safety_buffer: Duration,
    refresh_at: Instant,
    /// Set on a thread's replica of the cached token (see `hit`), zero on any other token.
    pub(crate) stamp: crate::hit::Stamp,
}

impl Token {
    /// A token granted for `lifetime` by a request sent at `sent_at` (monotonic) / `sent_at_wall`.
    pub(crate) fn new(
        access_token: &str,
        scope: &str,
        lifetime: Duration,
        sent_at: Instant,
        sent_at_wall: SystemTime,
    ) -> Token {
        let expires_wall = sent_at_wall + lifetime;
        let expires_at_unix = expires_wall
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Token {
            access_token: CText::new(access_token),
            authorization: CText::concat(&["Bearer ", access_token]),
            token_type: CText::new("Bearer"),
            scope: CText::new(scope),
            lifetime,
            expires_at: sent_at + lifetime,
            expires_at_unix,
            safety_buffer: safety_buffer(lifetime),
            refresh_at: sent_at + refresh_point(lifetime),
            stamp: crate::hit::Stamp::default(),
        }
    }

    /// The access token itself.
    pub fn access_token(&self) -> &str {
        self.access_token.as_str()
    }

    /// `Bearer <access token>`: the value of an `Authorization` header.
    pub fn authorization(&self) -> &str {
        self.authorization.as_str()
    }

    /// Always `Bearer`: other token types are refused.
    pub fn token_type(&self) -> &str {
        self.token_type.as_str()
    }

    /// The scopes granted (as the authority said, or as requested when it did not say); may be
    /// empty.
    pub fn scope(&self) -> &str {
        self.scope.as_str()
    }

    /// When the token expires, in seconds since the Unix epoch.
    pub fn expires_at_unix(&self) -> i64 {
        self.expires_at_unix
    }

    /// The lifetime the authority granted.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// How long the token stays valid from `now`, zero once expired.
    pub fn remaining(&self, now: Instant) -> Duration {
        self.expires_at.saturating_duration_since(now)
    }

    /// The most validity a caller can be promised from a token of this lifetime: all of it but
    /// the safety buffer.
    pub fn longest_promise(&self) -> Duration {
        self.lifetime - self.safety_buffer
    }

    /// A per-process fingerprint of the access token, to tell tokens apart in logs without
    /// showing them.
    pub fn fingerprint(&self) -> u64 {
        crate::secret::fingerprint(self.access_token().as_bytes())[0]
    }

    /// An equal token in an allocation of its own (see `hit`: one per thread, so handing it
    /// out counts references on a line no other thread writes). Wiped on drop like the original.
    pub(crate) fn replica(&self, stamp: crate::hit::Stamp) -> Token {
        Token {
            access_token: self.access_token.clone(),
            authorization: self.authorization.clone(),
            token_type: self.token_type.clone(),
            scope: self.scope.clone(),
            lifetime: self.lifetime,
            expires_at: self.expires_at,
            expires_at_unix: self.expires_at_unix,
            safety_buffer: self.safety_buffer,
            refresh_at: self.refresh_at,
            stamp,
        }
    }

    /// When the token expires (monotonic): `usable(now, min_valid)` is
    /// `now + max(min_valid, safety_buffer()) < expires_at()`.
    pub(crate) fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// The part of the lifetime never promised to a caller.
    pub(crate) fn safety_buffer(&self) -> Duration {
        self.safety_buffer
    }

    /// When a background refresh becomes due.
    pub(crate) fn refresh_at(&self) -> Instant {
        self.refresh_at
    }

    /// Whether a background refresh is due at `now`.
    pub(crate) fn refresh_due(&self, now: Instant) -> bool {
        now >= self.refresh_at
    }

    /// Whether the token may be handed out at `now` to a caller who needs it valid for
    /// `min_valid`: its remaining life must exceed both `min_valid` and the safety buffer.
    pub fn usable(&self, now: Instant, min_valid: Duration) -> bool {
        self.remaining(now) > min_valid.max(self.safety_buffer)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint()))
            .field("scope", &self.scope.as_str())
            .field("lifetime", &self.lifetime)
            .field("expires_at_unix", &self.expires_at_unix)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_second_token_is_usable_for_four_and_a_half_seconds() {
        let start = Instant::now();
        let token = Token::new("t", "api1", Duration::from_secs(5), start, SystemTime::now());
        assert!(token.usable(start + Duration::from_millis(4_400), Duration::ZERO));
        assert!(!token.usable(start + Duration::from_millis(4_600), Duration::ZERO));
    }

    #[test]
    fn hour_token_keeps_a_minute_back_and_honours_min_valid() {
        let start = Instant::now();
        let token = Token::new("t", "", Duration::from_secs(3600), start, SystemTime::now());
        assert!(token.usable(start + Duration::from_secs(3500), Duration::ZERO));
        assert!(!token.usable(start + Duration::from_secs(3541), Duration::ZERO));
        assert!(!token.usable(start, Duration::from_secs(3600)));
        assert!(token.usable(start + Duration::from_secs(2399), Duration::from_secs(1200)));
        assert!(!token.usable(start + Duration::from_secs(2401), Duration::from_secs(1200)));
    }

    #[test]
    fn refresh_is_due_between_65_and_75_percent_of_the_lifetime() {
        for _ in 0..50 {
            let point = refresh_point(Duration::from_secs(100));
            assert!(
                point >= Duration::from_secs(65) && point <= Duration::from_secs(75),
                "{point:?}"
            );
        }
        let hour = refresh_point(Duration::from_secs(3600));
        assert!(
            hour >= Duration::from_secs(2640) && hour <= Duration::from_secs(2700),
            "{hour:?}"
        );
    }

    #[test]
    fn debug_shows_a_fingerprint_never_the_token() {
        let token = Token::new(
            "SECRET_ACCESS_TOKEN",
            "api1",
            Duration::from_secs(60),
            Instant::now(),
            SystemTime::now(),
        );
        let shown = format!("{token:?}");
        assert!(!shown.contains("SECRET_ACCESS_TOKEN"), "{shown}");
        assert!(shown.contains(&format!("{:016x}", token.fingerprint())), "{shown}");
    }

    #[test]
    fn authorization_header_and_unix_expiry() {
        let wall = UNIX_EPOCH + Duration::from_secs(1_000);
        let token = Token::new("abc", "api1", Duration::from_secs(60), Instant::now(), wall);
        assert_eq!(token.authorization(), "Bearer abc");
        assert_eq!(token.expires_at_unix(), 1_060);
        assert_eq!(token.token_type(), "Bearer");
    }
}
