//! What a shared level stores, before sealing: a token entry (the current token and the last
//! failure with its hold) or a discovery entry. Times are wall-clock milliseconds since the Unix
//! epoch, because monotonic clocks do not cross processes. The byte format is versioned by
//! [`VERSION`] (kept outside the ciphertext by `seal`), so a future format is recognised and
//! skipped, never misread.

use std::{
    fmt,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use zeroize::Zeroizing;

use crate::{
    error::{Error, OauthError, Status},
    text::CText,
    token::Token,
};

/// The entry format this build writes and reads.
pub const VERSION: u8 = 1;

/// How far an entry's times may lie in the future before the entry is distrusted: a little
/// clock disagreement between processes is normal, a clock stepped back is not.
const CLOCK_TOLERANCE_MS: i64 = 2_000;

/// What an entry holds; part of the sealed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    Token = 1,
    Discovery = 2,
}

/// Why an entry cannot be used. Never carries the entry's content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Shorter than its own format says.
    Truncated,
    /// Written by a build with another entry format.
    ForeignVersion(u8),
    /// Its seal does not open with our keys: damaged, or not ours.
    NotOurs,
    /// It opened, but its content makes no sense.
    Malformed(&'static str),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Truncated => f.write_str("the entry is truncated"),
            Unreadable::ForeignVersion(version) => {
                write!(f, "the entry has format version {version}; this build reads {VERSION}")
            }
            Unreadable::NotOurs => f.write_str("the entry does not open with this client's key (damaged)"),
            Unreadable::Malformed(what) => write!(f, "the entry is malformed: {what}"),
        }
    }
}

/// Wall-clock milliseconds since the Unix epoch (negative before it).
pub(crate) fn unix_ms(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// A token as stored.
pub(crate) struct TokenRecord {
    pub access_token: Zeroizing<String>,
    pub scope: String,
    /// When the request that got it was sent (at the latest).
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

impl TokenRecord {
    /// The record of `token`, asked for at `sent` (wall clock, no later than the request).
    pub fn of(token: &Token, sent: SystemTime) -> TokenRecord {
        // A token taken from a level below (Redis) is older than the request: count its age.
        let age = token.lifetime().saturating_sub(token.remaining(Instant::now()));
        let issued = SystemTime::now()
            .checked_sub(age)
            .map_or(sent, |issued| issued.min(sent));
        let issued_at_ms = unix_ms(issued);
        TokenRecord {
            access_token: Zeroizing::new(token.access_token().to_owned()),
            scope: token.scope().to_owned(),
            issued_at_ms,
            expires_at_ms: issued_at_ms.saturating_add(i64::try_from(token.lifetime().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    /// The token, with its remaining life computed from the wall clock at `now` — or `None`
    /// when the times cannot be trusted: issued in the future (a clock stepped back: the token
    /// may be older than it looks), or expired.
    pub fn to_token(&self, now: SystemTime) -> Option<Token> {
        let now_ms = unix_ms(now);
        let lifetime_ms = self.expires_at_ms.checked_sub(self.issued_at_ms)?;
        if lifetime_ms <= 0
            || now_ms.saturating_add(CLOCK_TOLERANCE_MS) < self.issued_at_ms
            || now_ms >= self.expires_at_ms
        {
            return None;
        }
        let age = Duration::from_millis(u64::try_from(now_ms - self.issued_at_ms).unwrap_or(0));
        let lifetime = Duration::from_millis(u64::try_from(lifetime_ms).ok()?);
        let sent_at = Instant::now().checked_sub(age)?;
        Some(Token::new(
            &self.access_token,
            &self.scope,
            lifetime,
            sent_at,
            now.checked_sub(age)?,
        ))
    }
}

/// The last failed request, and how long it holds further requests back.
pub(crate) struct FailureRecord {
    pub failed_at_ms: i64,
    pub hold_until_ms: i64,
    pub consecutive: u32,
    pub status: u32,
    pub http_status: u16,
    pub retry_after_ms: Option<u64>,
    pub message: String,
    pub oauth_error: Option<String>,
    pub oauth_description: Option<String>,
}

impl FailureRecord {
    /// The record of `error`, the `consecutive`-th failure in a row, holding requests back for
    /// `hold` from `now`.
    pub fn of(error: &Error, consecutive: u32, now: SystemTime, hold: Duration) -> FailureRecord {
        let failed_at_ms = unix_ms(now);
        FailureRecord {
            failed_at_ms,
            hold_until_ms: failed_at_ms.saturating_add(i64::try_from(hold.as_millis()).unwrap_or(i64::MAX)),
            consecutive,
            status: error.status() as u32,
            http_status: error.http_status(),
            retry_after_ms: error
                .retry_after()
                .map(|wait| u64::try_from(wait.as_millis()).unwrap_or(u64::MAX)),
            message: error.message().to_owned(),
            oauth_error: error.oauth().map(|oauth| oauth.error.as_str().to_owned()),
            oauth_description: error
                .oauth()
                .and_then(|oauth| oauth.description.as_ref())
                .map(|text| text.as_str().to_owned()),
        }
    }

    /// How much longer the hold lasts at `now`; `None` when it is over, or when its times
    /// cannot be trusted (the failure lies in the future).
    pub fn hold_left(&self, now: SystemTime) -> Option<Duration> {
        let now_ms = unix_ms(now);
        if now_ms.saturating_add(CLOCK_TOLERANCE_MS) < self.failed_at_ms || now_ms >= self.hold_until_ms {
            return None;
        }
        Some(Duration::from_millis(
            u64::try_from(self.hold_until_ms - now_ms).unwrap_or(0),
        ))
    }

    /// The error as the process that failed saw it.
    pub fn error(&self) -> Error {
        let status = Status::from_code(self.status)
            .filter(|status| *status != Status::Ok)
            .unwrap_or(Status::Internal);
        let mut error = Error::new(status, self.message.clone())
            .with_http_status(self.http_status)
            .with_retry_after(self.retry_after_ms.map(Duration::from_millis));
        if let Some(code) = &self.oauth_error {
            error = error.with_oauth(OauthError {
                error: CText::new(code.clone()),
                description: self.oauth_description.clone().map(CText::new),
                uri: None,
            });
        }
        error
    }
}

/// A token entry: the newest token (while it lasts) and the last failure (while it holds).
#[derive(Default)]
pub(crate) struct TokenEntry {
    pub token: Option<TokenRecord>,
    pub failure: Option<FailureRecord>,
}

/// What discovery found: the token endpoint, the issuer, and the mTLS alias (empty if none).
pub(crate) struct DiscoveryRecord {
    pub token_endpoint: String,
    pub issuer: String,
    pub mtls_token_endpoint: String,
    pub fetched_at_ms: i64,
    pub expires_at_ms: i64,
}

impl DiscoveryRecord {
    /// Whether it may still be used at `now`: not expired, and not fetched in the future.
    pub fn fresh(&self, now: SystemTime) -> bool {
        let now_ms = unix_ms(now);
        now_ms.saturating_add(CLOCK_TOLERANCE_MS) >= self.fetched_at_ms && now_ms < self.expires_at_ms
    }
}

/// Appends fields in a fixed order: integers big-endian, strings with a 4-byte length.
struct Writer(Zeroizing<Vec<u8>>);

impl Writer {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }
    fn u16(&mut self, value: u16) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }
    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }
    fn u64(&mut self, value: u64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }
    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }
    fn text(&mut self, value: &str) {
        self.u32(u32::try_from(value.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(value.as_bytes());
    }
    fn optional_text(&mut self, value: Option<&str>) {
        self.u8(u8::from(value.is_some()));
        if let Some(value) = value {
            self.text(value);
        }
    }
}

/// Reads what [`Writer`] wrote; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Unreadable> {
        if self.0.len() < n {
            return Err(Unreadable::Truncated);
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unreadable> {
        self.take(N)?.try_into().map_err(|_| Unreadable::Truncated)
    }
    fn u8(&mut self) -> Result<u8, Unreadable> {
        Ok(self.array::<1>()?[0])
    }
    fn flag(&mut self) -> Result<bool, Unreadable> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Unreadable::Malformed("a flag is neither 0 nor 1")),
        }
    }
    fn u16(&mut self) -> Result<u16, Unreadable> {
        self.array().map(u16::from_be_bytes)
    }
    fn u32(&mut self) -> Result<u32, Unreadable> {
        self.array().map(u32::from_be_bytes)
    }
    fn u64(&mut self) -> Result<u64, Unreadable> {
        self.array().map(u64::from_be_bytes)
    }
    fn i64(&mut self) -> Result<i64, Unreadable> {
        self.array().map(i64::from_be_bytes)
    }
    fn text(&mut self) -> Result<String, Unreadable> {
        let len = self.u32()? as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Unreadable::Malformed("a text field is not UTF-8"))
    }
    fn optional_text(&mut self) -> Result<Option<String>, Unreadable> {
        if self.flag()? { self.text().map(Some) } else { Ok(None) }
    }
    fn end(&self) -> Result<(), Unreadable> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Unreadable::Malformed("trailing bytes"))
        }
    }
}

impl TokenEntry {
    /// The entry after a flight that started at `sent`: its token, or its failure counted after
    /// `previous` failures (a still-valid token is kept for the processes and hosts that can
    /// use it). The same rule for every shared level.
    pub fn after(
        previous: Option<TokenEntry>,
        outcome: &crate::error::Result<Token>,
        sent: SystemTime,
        hold_after: impl Fn(&Error, u32) -> Duration,
    ) -> TokenEntry {
        match outcome {
            Ok(token) => TokenEntry {
                token: Some(TokenRecord::of(token, sent)),
                failure: None,
            },
            Err(error) => {
                let previous = previous.unwrap_or_default();
                let consecutive = previous
                    .failure
                    .map_or(0, |failure| failure.consecutive)
                    .saturating_add(1);
                let now = SystemTime::now();
                TokenEntry {
                    token: previous.token.filter(|record| record.to_token(now).is_some()),
                    failure: Some(FailureRecord::of(
                        error,
                        consecutive,
                        now,
                        hold_after(error, consecutive),
                    )),
                }
            }
        }
    }

    /// The plaintext bytes (wiped when dropped).
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Writer(Zeroizing::new(Vec::with_capacity(256)));
        out.u8(u8::from(self.token.is_some()));
        if let Some(token) = &self.token {
            out.text(&token.access_token);
            out.text(&token.scope);
            out.i64(token.issued_at_ms);
            out.i64(token.expires_at_ms);
        }
        out.u8(u8::from(self.failure.is_some()));
        if let Some(failure) = &self.failure {
            out.i64(failure.failed_at_ms);
            out.i64(failure.hold_until_ms);
            out.u32(failure.consecutive);
            out.u32(failure.status);
            out.u16(failure.http_status);
            out.u8(u8::from(failure.retry_after_ms.is_some()));
            out.u64(failure.retry_after_ms.unwrap_or(0));
            out.text(&failure.message);
            out.optional_text(failure.oauth_error.as_deref());
            out.optional_text(failure.oauth_description.as_deref());
        }
        out.0
    }

    pub fn decode(bytes: &[u8]) -> Result<TokenEntry, Unreadable> {
        let mut input = Reader(bytes);
        let token = if input.flag()? {
            Some(TokenRecord {
                access_token: Zeroizing::new(input.text()?),
                scope: input.text()?,
                issued_at_ms: input.i64()?,
                expires_at_ms: input.i64()?,
            })
        } else {
            None
        };
        let failure = if input.flag()? {
            Some(FailureRecord {
                failed_at_ms: input.i64()?,
                hold_until_ms: input.i64()?,
                consecutive: input.u32()?,
                status: input.u32()?,
                http_status: input.u16()?,
                retry_after_ms: {
                    let present = input.flag()?;
                    let value = input.u64()?;
                    present.then_some(value)
                },
                message: input.text()?,
                oauth_error: input.optional_text()?,
                oauth_description: input.optional_text()?,
            })
        } else {
            None
        };
        input.end()?;
        if token.as_ref().is_some_and(|token| token.access_token.is_empty()) {
            return Err(Unreadable::Malformed("an empty access token"));
        }
        Ok(TokenEntry { token, failure })
    }
}

impl DiscoveryRecord {
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Writer(Zeroizing::new(Vec::with_capacity(128)));
        out.text(&self.token_endpoint);
        out.text(&self.issuer);
        out.text(&self.mtls_token_endpoint);
        out.i64(self.fetched_at_ms);
        out.i64(self.expires_at_ms);
        out.0
    }

    pub fn decode(bytes: &[u8]) -> Result<DiscoveryRecord, Unreadable> {
        let mut input = Reader(bytes);
        let record = DiscoveryRecord {
            token_endpoint: input.text()?,
            issuer: input.text()?,
            mtls_token_endpoint: input.text()?,
            fetched_at_ms: input.i64()?,
            expires_at_ms: input.i64()?,
        };
        input.end()?;
        Ok(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(now: SystemTime) -> TokenEntry {
        let token = Token::new("tok", "api1", Duration::from_secs(3600), Instant::now(), now);
        let error = Error::new(Status::Oauth, "refused")
            .with_http_status(400)
            .with_retry_after(Some(Duration::from_secs(7)))
            .with_oauth(OauthError {
                error: CText::new("invalid_client"),
                description: Some(CText::new("bad secret")),
                uri: None,
            });
        TokenEntry {
            token: Some(TokenRecord::of(&token, now)),
            failure: Some(FailureRecord::of(&error, 2, now, Duration::from_secs(10))),
        }
    }

    #[test]
    fn a_token_entry_round_trips() {
        let now = SystemTime::now();
        let decoded = TokenEntry::decode(&entry(now).encode()).unwrap();
        let token = decoded.token.unwrap().to_token(now).unwrap();
        assert_eq!(token.access_token(), "tok");
        assert_eq!(token.scope(), "api1");
        assert_eq!(token.lifetime(), Duration::from_secs(3600));
        let failure = decoded.failure.unwrap();
        assert_eq!(failure.consecutive, 2);
        let error = failure.error();
        assert_eq!(error.status(), Status::Oauth);
        assert_eq!(error.http_status(), 400);
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(error.oauth().unwrap().error.as_str(), "invalid_client");
        assert_eq!(failure.hold_left(now), Some(Duration::from_secs(10)));
    }

    #[test]
    fn every_truncation_is_refused_without_panicking() {
        let bytes = entry(SystemTime::now()).encode();
        for cut in 0..bytes.len() {
            assert!(TokenEntry::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(
            TokenEntry::decode(&longer).err(),
            Some(Unreadable::Malformed("trailing bytes"))
        );
    }

    #[test]
    fn remaining_life_comes_from_the_wall_clock_and_a_clock_stepped_back_gives_nothing() {
        let issued = SystemTime::now();
        let record = TokenRecord::of(
            &Token::new("tok", "", Duration::from_secs(100), Instant::now(), issued),
            issued,
        );
        let later = record.to_token(issued + Duration::from_secs(40)).unwrap();
        let left = later.remaining(Instant::now()).as_secs();
        assert!((59..=60).contains(&left), "{left}");
        assert!(record.to_token(issued + Duration::from_secs(100)).is_none(), "expired");
        assert!(
            record.to_token(issued - Duration::from_secs(60)).is_none(),
            "issued in the future"
        );
    }
}
