//! One error type for the whole library. Its [`Status`] is what C sees; the optional OAuth
//! fields carry what the authority said. Messages never contain the client secret.

use std::{fmt, time::Duration};

use crate::text::CText;

/// The outcome of a library call. `VF_STATUS_OK` (0) is success; every other value names a
/// family of failure. Numbers are never reused or renumbered.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL, a string was not valid UTF-8, or the request cannot be met
    /// (for example a minimum validity longer than the authority's token lifetime).
    InvalidArgument = 1,
    /// The options are wrong or incomplete: unknown key, bad value, missing client id, unreadable
    /// secret file, an `http` URL where `https` is required.
    Config = 2,
    /// The discovery document could not be fetched or does not describe a usable token endpoint.
    Discovery = 3,
    /// The authority could not be reached: name resolution, connection refused or reset.
    Network = 4,
    /// The authority did not answer within the configured timeout.
    Timeout = 5,
    /// The TLS handshake failed: untrusted certificate, wrong host name, unreadable CA file.
    Tls = 6,
    /// The authority refused the request with an OAuth error (`invalid_client`,
    /// `invalid_scope`, ...); see vf_error_oauth_error().
    Oauth = 7,
    /// The authority answered with an unexpected HTTP status and no OAuth error body.
    Http = 8,
    /// The authority's answer is malformed: not JSON, too large, no access token, not a Bearer
    /// token, a redirect.
    Protocol = 9,
    /// Not sent: the authority asked us to wait (Retry-After) or recent failures are backing off.
    Throttled = 10,
    /// A bug inside the library (a caught panic). Please report it.
    Internal = 11,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 12] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::Config,
        Status::Discovery,
        Status::Network,
        Status::Timeout,
        Status::Tls,
        Status::Oauth,
        Status::Http,
        Status::Protocol,
        Status::Throttled,
        Status::Internal,
    ];

    /// The status with this number, if there is one.
    pub fn from_code(code: u32) -> Option<Status> {
        Status::ALL.get(code as usize).copied()
    }

    /// The C name, e.g. `VF_STATUS_OAUTH`.
    pub fn name(self) -> &'static str {
        self.name_nul().trim_end_matches('\0')
    }

    /// What the status means, in one line of at most 66 characters (`vf-token --help` shows it
    /// after the name): the README's status table and the bindings' documentation are
    /// generated from it (`make generate`).
    pub fn meaning(self) -> &'static str {
        match self {
            Status::Ok => "success",
            Status::InvalidArgument => "NULL pointer, bad UTF-8, or a minimum validity no token can meet",
            Status::Config => "unknown key, bad or missing options, unreadable secret file",
            Status::Discovery => "discovery document missing, malformed or not for the authority",
            Status::Network => "cannot resolve or connect to the authority",
            Status::Timeout => "no answer within `timeout_ms`",
            Status::Tls => "untrusted certificate, wrong host name, unreadable `ca_file`",
            Status::Oauth => "refused with an OAuth error: `invalid_client`, `invalid_scope`, …",
            Status::Http => "unexpected HTTP status without an OAuth error body",
            Status::Protocol => "malformed or oversized answer, not a Bearer token, a redirect",
            Status::Throttled => "not sent: asked to wait, or backing off after failures",
            Status::Internal => "a bug in the library (a caught panic); please report it",
        }
    }

    /// The C name with a trailing NUL, for handing to C without allocating.
    pub(crate) fn name_nul(self) -> &'static str {
        match self {
            Status::Ok => "VF_STATUS_OK\0",
            Status::InvalidArgument => "VF_STATUS_INVALID_ARGUMENT\0",
            Status::Config => "VF_STATUS_CONFIG\0",
            Status::Discovery => "VF_STATUS_DISCOVERY\0",
            Status::Network => "VF_STATUS_NETWORK\0",
            Status::Timeout => "VF_STATUS_TIMEOUT\0",
            Status::Tls => "VF_STATUS_TLS\0",
            Status::Oauth => "VF_STATUS_OAUTH\0",
            Status::Http => "VF_STATUS_HTTP\0",
            Status::Protocol => "VF_STATUS_PROTOCOL\0",
            Status::Throttled => "VF_STATUS_THROTTLED\0",
            Status::Internal => "VF_STATUS_INTERNAL\0",
        }
    }
}

/// What the authority said in an OAuth error response (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OauthError {
    /// `error`, e.g. `invalid_client`.
    pub error: CText,
    /// `error_description`, when given.
    pub description: Option<CText>,
    /// `error_uri`, when given.
    pub uri: Option<CText>,
}

/// A failure, with a message meant for a person and the details a program can branch on.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: CText,
    oauth: Option<OauthError>,
    http_status: u16,
    retry_after: Option<Duration>,
}

impl Error {
    /// An error of this status with this message. The message must not contain a secret.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: CText::new(message.into()),
            oauth: None,
            http_status: 0,
            retry_after: None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(Status::Config, message)
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Error {
        Error::new(Status::Protocol, message)
    }

    pub(crate) fn with_http_status(mut self, http_status: u16) -> Error {
        self.http_status = http_status;
        self
    }

    pub(crate) fn with_oauth(mut self, oauth: OauthError) -> Error {
        self.oauth = Some(oauth);
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Error {
        self.retry_after = wait;
        self
    }

    /// The same error with `context: ` put before its message.
    pub(crate) fn context(mut self, context: &str) -> Error {
        self.message = CText::new(format!("{context}: {}", self.message.as_str()));
        self
    }

    /// Whether trying again later may succeed: the authority was unreachable, slow, overloaded
    /// (408, 429, 5xx) or said so. Refusals (`invalid_client`, a malformed answer, TLS) are not.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.status,
            Status::Network | Status::Timeout | Status::Throttled | Status::Internal
        ) || matches!(self.http_status, 408 | 429 | 500 | 502 | 503 | 504)
            || self
                .oauth
                .as_ref()
                .is_some_and(|o| o.error.as_str() == "temporarily_unavailable")
    }

    /// The same error with `suffix` put after its message.
    pub(crate) fn context_after(mut self, suffix: &str) -> Error {
        self.message = CText::new(format!("{}{suffix}", self.message.as_str()));
        self
    }

    /// The status family.
    pub fn status(&self) -> Status {
        self.status
    }

    /// A sentence for a person: what failed and, where known, why. Never contains a secret.
    pub fn message(&self) -> &str {
        self.message.as_str()
    }

    pub(crate) fn message_text(&self) -> &CText {
        &self.message
    }

    /// The OAuth error the authority returned, if it returned one.
    pub fn oauth(&self) -> Option<&OauthError> {
        self.oauth.as_ref()
    }

    /// The HTTP status of the response that failed, or 0 when there was no response.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }

    /// How long the authority asked us to wait, or how long the backoff still runs.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("status", &self.status)
            .field("message", &self.message())
            .field("oauth", &self.oauth)
            .field("http_status", &self.http_status)
            .finish()
    }
}

impl std::error::Error for Error {}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_stable_and_names_match() {
        for (code, status) in Status::ALL.iter().enumerate() {
            assert_eq!(*status as u32, code as u32);
            assert_eq!(Status::from_code(code as u32), Some(*status));
            assert!(status.name().starts_with("VF_STATUS_"));
            assert!(!status.name().contains('\0'));
        }
        assert_eq!(Status::from_code(Status::ALL.len() as u32), None);
        assert_eq!(Status::Oauth.name(), "VF_STATUS_OAUTH");
    }

    #[test]
    fn context_prefixes_the_message() {
        let error = Error::config("bad").context("option 'scope'");
        assert_eq!(error.message(), "option 'scope': bad");
        assert_eq!(error.status(), Status::Config);
    }
}
