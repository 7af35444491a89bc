//! Option keys, their parsing and validation, and the `VF_*` environment variables.
//!
//! Every option is set by key (`set("scope", "api1")`), the same keys the C API, the CLI flags
//! and the bindings use. A value is checked when it is set; how the options fit together is
//! checked when a client is built ([`Options::resolve`]).

use std::{
    env, fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use crate::{
    client_key::{ClientKey, SigningAlg},
    error::{Error, Result},
    log::{LogLevel, log},
    proxy::ProxyUrl,
    secret::Secret,
    shared::{FleetSettings, RedisUrl, check_prefix, read_password_file},
    url::HttpUrl,
};

/// How the client proves its identity at the token endpoint (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthMethod {
    /// `client_id` and `client_secret` in the form body (what the VidiFlow service documents).
    #[default]
    ClientSecretPost,
    /// HTTP Basic with the form-urlencoded id and secret.
    ClientSecretBasic,
    /// A client assertion (RFC 7523) signed with `private_key_file`.
    PrivateKeyJwt,
    /// Mutual TLS with a certificate from a CA the authority trusts (RFC 8705 §2.1).
    TlsClientAuth,
    /// Mutual TLS with a self-signed certificate registered at the authority (RFC 8705 §2.2).
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// The option value that selects this method.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
            AuthMethod::TlsClientAuth => "tls_client_auth",
            AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
        }
    }

    const ALL: [AuthMethod; 5] = [
        AuthMethod::ClientSecretPost,
        AuthMethod::ClientSecretBasic,
        AuthMethod::PrivateKeyJwt,
        AuthMethod::TlsClientAuth,
        AuthMethod::SelfSignedTlsClientAuth,
    ];

    /// Whether the client proves itself with a private key rather than a shared secret.
    pub fn uses_private_key(self) -> bool {
        !matches!(self, AuthMethod::ClientSecretPost | AuthMethod::ClientSecretBasic)
    }

    /// Whether the client proves itself in the TLS handshake (RFC 8705).
    pub fn is_mutual_tls(self) -> bool {
        matches!(self, AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth)
    }
}

/// How `client_secret_basic` encodes the id and secret before Base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BasicAuthStyle {
    /// Each form-urlencoded first (RFC 6749 §2.3.1); the authority URL-decodes them.
    #[default]
    Rfc6749,
    /// As they are (RFC 2617); for authorities that do not URL-decode, such as IdentityServer3.
    Rfc2617,
}

impl BasicAuthStyle {
    /// The option value that selects this style.
    pub fn name(self) -> &'static str {
        match self {
            BasicAuthStyle::Rfc6749 => "rfc6749",
            BasicAuthStyle::Rfc2617 => "rfc2617",
        }
    }
}

/// Where HTTP requests go through.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum ProxySetting {
    /// `http_proxy` for http URLs, `https_proxy` for https URLs, `all_proxy` otherwise, and
    /// `no_proxy` (see `proxy.rs`), except that loopback hosts are always reached directly.
    #[default]
    FromEnvironment,
    /// No proxy at all.
    Direct,
    /// This proxy, for every request; its credentials are never shown.
    Url(ProxyUrl),
}

/// A path from an option (`client_secret_file`, `ca_file`). `Debug` does not show it: a value
/// given to the wrong option — the secret, say — would be printed.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OptionPath(PathBuf);

impl OptionPath {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl fmt::Debug for OptionPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[path not shown]")
    }
}

/// Where the host-level token cache lives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum CacheDir {
    /// `$XDG_RUNTIME_DIR/vidiflow-auth` when that is private to this user; else off.
    #[default]
    Default,
    /// No host-level cache.
    Off,
    /// This directory.
    Path(PathBuf),
}

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// An `http` or `https` URL.
    Url,
    /// A file path.
    Path,
    /// `true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    Bool,
    /// A whole number of milliseconds.
    Milliseconds,
    /// A whole number of seconds.
    Seconds,
    /// Free text, or one of the values the summary lists.
    Text,
}

/// One option key: its name, what it means, and its default, for documentation and `--help`.
pub struct OptionKey {
    /// The key, e.g. `client_id`.
    pub name: &'static str,
    /// One line on what it sets.
    pub summary: &'static str,
    /// The default, in words; empty when the option has none.
    pub default: &'static str,
    /// The kind of value it takes.
    pub kind: ValueKind,
}

/// Every option key, in the order the documentation lists them.
pub const OPTION_KEYS: &[OptionKey] = &[
    OptionKey {
        name: "authority",
        summary: "Authority URL; the token endpoint is found by OpenID Connect discovery",
        default: "",
        kind: ValueKind::Url,
    },
    OptionKey {
        name: "token_endpoint",
        summary: "Token endpoint URL; when set, discovery is skipped",
        default: "",
        kind: ValueKind::Url,
    },
    OptionKey {
        name: "client_id",
        summary: "Client id (required); taken exactly as given",
        default: "",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "client_secret",
        summary: "Client secret (this or client_secret_file is required); taken as given",
        default: "",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "client_secret_file",
        summary: "File holding the client secret; only a trailing line break is dropped",
        default: "",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "scope",
        summary: "Space-separated scopes to request, e.g. api1",
        default: "none sent",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "resource",
        summary: "Resource indicator (RFC 8707) to request",
        default: "none sent",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "private_key_file",
        summary: "PEM private key (PKCS#8, PKCS#1, SEC1) for private_key_jwt and tls_client_auth",
        default: "",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "client_certificate_file",
        summary: "PEM certificate of private_key_file: for tls_client_auth, or x5t/x5c in assertions",
        default: "",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "key_id",
        summary: "'kid' in the header of private_key_jwt assertions",
        default: "none sent",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "signing_alg",
        summary: "private_key_jwt signature: RS256 or PS256 (RSA keys), ES256 or ES384 (EC keys)",
        default: "RS256, or what the EC key's curve gives",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "auth_method",
        summary: "client_secret_post, client_secret_basic, private_key_jwt or tls_client_auth",
        default: "client_secret_post",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "basic_auth_style",
        summary: "Basic encoding: rfc6749 (id, secret form-urlencoded) or rfc2617 (as is; IdentityServer3)",
        default: "rfc6749",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "timeout_ms",
        summary: "Longest a token call may take, discovery and retries included",
        default: "30000",
        kind: ValueKind::Milliseconds,
    },
    OptionKey {
        name: "connect_timeout_ms",
        summary: "Longest a TCP and TLS connect may take",
        default: "10000",
        kind: ValueKind::Milliseconds,
    },
    OptionKey {
        name: "ca_file",
        summary: "PEM file of extra CA certificates, trusted besides the system's",
        default: "",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "allow_http",
        summary: "Allow plain http to hosts other than loopback",
        default: "false",
        kind: ValueKind::Bool,
    },
    OptionKey {
        name: "validate_endpoints",
        summary: "Require the discovered token endpoint on the authority's scheme, host and port",
        default: "true",
        kind: ValueKind::Bool,
    },
    OptionKey {
        name: "validate_issuer",
        summary: "Require the discovery document's issuer to be the authority URL",
        default: "true",
        kind: ValueKind::Bool,
    },
    OptionKey {
        name: "default_expires_in",
        summary: "Lifetime in seconds assumed when the response has no expires_in",
        default: "300",
        kind: ValueKind::Seconds,
    },
    OptionKey {
        name: "proxy",
        summary: "Proxy URL (http://[user:password@]host:port) or 'none'; default: *_proxy by scheme",
        default: "environment",
        kind: ValueKind::Url,
    },
    OptionKey {
        name: "max_retry_after",
        summary: "Longest wait in seconds a Retry-After can impose",
        default: "300",
        kind: ValueKind::Seconds,
    },
    OptionKey {
        name: "cache_dir",
        summary: "Host-level token cache directory shared by this user's processes, or 'none'",
        default: "$XDG_RUNTIME_DIR/vidiflow-auth if private, else none",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "redis_url",
        summary: "Fleet-level token cache: redis://[user:password@]host:port[/db], or rediss:// for TLS",
        default: "none",
        kind: ValueKind::Text,
    },
    OptionKey {
        name: "redis_password_file",
        summary: "File holding the Redis password (replaces one in redis_url)",
        default: "",
        kind: ValueKind::Path,
    },
    OptionKey {
        name: "redis_prefix",
        summary: "Prefix of every Redis key, so environments can share a server",
        default: "vf:",
        kind: ValueKind::Text,
    },
];

/// The environment variable for an option key: `VF_` and the key upper-cased.
pub fn env_var_name(key: &str) -> String {
    format!("VF_{}", key.to_ascii_uppercase())
}

/// Longest value any option accepts; a guard against pasting a file into a variable.
const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Upper bounds that catch unit mistakes (seconds given as milliseconds and the like).
const MAX_TIMEOUT_MS: u64 = 10 * 60 * 1000;
const MAX_DEFAULT_EXPIRES_IN: u64 = 24 * 60 * 60;
/// The default cap on a Retry-After hold: five minutes. A media job that finds the authority
/// throttling waits that long at most and then tries again, well within the tens of minutes a
/// transcode or ingest runs and its scheduler waits; a load balancer's `Retry-After: 3600`
/// (MSAL's cap) would stop a facility for an hour.
pub(crate) const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
const MAX_MAX_RETRY_AFTER: u64 = 24 * 60 * 60;

/// Options as set, not yet checked against each other. Build a client from them with
/// `Client::new`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    authority: Option<HttpUrl>,
    token_endpoint: Option<HttpUrl>,
    client_id: Option<String>,
    client_secret: Option<Secret>,
    client_secret_file: Option<OptionPath>,
    private_key_file: Option<OptionPath>,
    client_certificate_file: Option<OptionPath>,
    key_id: Option<String>,
    signing_alg: Option<SigningAlg>,
    scope: Option<String>,
    resource: Option<String>,
    auth_method: AuthMethod,
    basic_auth_style: BasicAuthStyle,
    timeout_ms: Option<u64>,
    connect_timeout_ms: Option<u64>,
    ca_file: Option<OptionPath>,
    allow_http: bool,
    validate_endpoints: Option<bool>,
    validate_issuer: Option<bool>,
    default_expires_in: Option<u64>,
    proxy: ProxySetting,
    max_retry_after: Option<u64>,
    cache_dir: CacheDir,
    redis_url: Option<RedisUrl>,
    redis_password_file: Option<OptionPath>,
    redis_prefix: Option<String>,
}

impl Options {
    /// Options with nothing set.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets one option. An empty value resets the option to its default. Errors name the key,
    /// never the value (it may be the secret).
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        if !OPTION_KEYS.iter().any(|known| known.name == key) {
            return Err(unknown_key(key));
        }
        self.set_inner(key, value)
            .map_err(|error| error.context(&format!("option '{key}'")))
    }

    /// Builder-style [`Options::set`].
    pub fn with(mut self, key: &str, value: &str) -> Result<Options> {
        self.set(key, value)?;
        Ok(self)
    }

    fn set_inner(&mut self, key: &str, value: &str) -> Result<()> {
        if value.len() > MAX_VALUE_BYTES {
            return Err(Error::config(format!(
                "the value is too long ({} bytes; at most {MAX_VALUE_BYTES})",
                value.len()
            )));
        }
        if value.contains(['\r', '\n']) {
            return Err(Error::config(
                "the value contains a line break (CR or LF), which is not allowed",
            ));
        }
        if value.contains('\0') {
            return Err(Error::config(
                "the value contains a NUL character, which is not allowed",
            ));
        }
        // The credentials are taken exactly as given (a secret may begin or end with a space);
        // `Options::resolve` warns when they do. Everything else is trimmed.
        let exact = value;
        let value = value.trim();
        let unset = value.is_empty();
        match key {
            "authority" => {
                self.authority = parse_optional(value, |v| HttpUrl::parse_authority(v, "not a URL"))?;
            }
            "token_endpoint" => self.token_endpoint = parse_optional(value, |v| HttpUrl::parse(v, "not a URL"))?,
            "client_id" => self.client_id = (!exact.is_empty()).then(|| exact.to_owned()),
            "client_secret" => self.client_secret = (!exact.is_empty()).then(|| Secret::new(exact.to_owned())),
            "client_secret_file" => self.client_secret_file = (!unset).then(|| OptionPath(PathBuf::from(value))),
            "scope" => self.scope = (!unset).then(|| value.split_whitespace().collect::<Vec<_>>().join(" ")),
            "resource" => self.resource = (!unset).then(|| value.to_owned()),
            "private_key_file" => self.private_key_file = (!unset).then(|| OptionPath(PathBuf::from(value))),
            "client_certificate_file" => {
                self.client_certificate_file = (!unset).then(|| OptionPath(PathBuf::from(value)))
            }
            "key_id" => self.key_id = (!unset).then(|| value.to_owned()),
            "signing_alg" => {
                self.signing_alg = parse_optional(value, |v| {
                    SigningAlg::parse(v).ok_or_else(|| Error::config("expected RS256, PS256, ES256 or ES384"))
                })?
            }
            "auth_method" => {
                self.auth_method = match AuthMethod::ALL.into_iter().find(|method| method.name() == value) {
                    Some(method) => method,
                    None if unset => AuthMethod::ClientSecretPost,
                    None => {
                        return Err(Error::config(
                            "expected client_secret_post, client_secret_basic, private_key_jwt, tls_client_auth or self_signed_tls_client_auth",
                        ));
                    }
                }
            }
            "basic_auth_style" => {
                self.basic_auth_style = match value.to_ascii_lowercase().as_str() {
                    "" | "rfc6749" => BasicAuthStyle::Rfc6749,
                    "rfc2617" => BasicAuthStyle::Rfc2617,
                    _ => return Err(Error::config("expected rfc6749 or rfc2617")),
                }
            }
            "timeout_ms" => self.timeout_ms = parse_optional(value, |v| parse_number(v, 1, MAX_TIMEOUT_MS))?,
            "connect_timeout_ms" => {
                self.connect_timeout_ms = parse_optional(value, |v| parse_number(v, 1, MAX_TIMEOUT_MS))?
            }
            "ca_file" => self.ca_file = (!unset).then(|| OptionPath(PathBuf::from(value))),
            "allow_http" => self.allow_http = parse_optional(value, parse_bool)?.unwrap_or(false),
            "validate_endpoints" => self.validate_endpoints = parse_optional(value, parse_bool)?,
            "validate_issuer" => self.validate_issuer = parse_optional(value, parse_bool)?,
            "default_expires_in" => {
                self.default_expires_in = parse_optional(value, |v| parse_number(v, 1, MAX_DEFAULT_EXPIRES_IN))?
            }
            "proxy" => {
                self.proxy = match value {
                    "" => ProxySetting::FromEnvironment,
                    v if v.eq_ignore_ascii_case("none") => ProxySetting::Direct,
                    v => ProxySetting::Url(ProxyUrl::parse(v, "not a proxy URL")?),
                }
            }
            "max_retry_after" => {
                self.max_retry_after = parse_optional(value, |v| parse_number(v, 0, MAX_MAX_RETRY_AFTER))?;
            }
            "cache_dir" => {
                self.cache_dir = match value {
                    "" => CacheDir::Default,
                    v if v.eq_ignore_ascii_case("none") => CacheDir::Off,
                    v if PathBuf::from(v).is_absolute() => CacheDir::Path(PathBuf::from(v)),
                    _ => return Err(Error::config("expected an absolute directory path, or 'none'")),
                }
            }
            "redis_url" => self.redis_url = parse_optional(value, RedisUrl::parse)?,
            "redis_password_file" => self.redis_password_file = (!unset).then(|| OptionPath(PathBuf::from(value))),
            "redis_prefix" => self.redis_prefix = parse_optional(value, check_prefix)?,
            _ => return Err(unknown_key(key)),
        }
        Ok(())
    }

    /// Sets every option whose `VF_*` variable is present and not empty, e.g. `VF_AUTHORITY`,
    /// `VF_CLIENT_SECRET`. Values already set are replaced.
    pub fn load_env(&mut self) -> Result<()> {
        for key in OPTION_KEYS {
            let name = env_var_name(key.name);
            match env::var(&name) {
                Ok(value) if !value.trim().is_empty() => self
                    .set_inner(key.name, &value)
                    .map_err(|error| error.context(&format!("environment variable {name}")))?,
                Ok(_) | Err(env::VarError::NotPresent) => {}
                Err(env::VarError::NotUnicode(_)) => {
                    return Err(Error::config(format!(
                        "environment variable {name}: the value is not valid UTF-8"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Checks that the options fit together and reads the secret file.
    pub(crate) fn resolve(&self) -> Result<Settings> {
        let endpoint = match (&self.token_endpoint, &self.authority) {
            (Some(url), _) => EndpointSource::TokenEndpoint(url.clone()),
            (None, Some(url)) => EndpointSource::Authority(url.clone()),
            (None, None) => {
                return Err(Error::config(
                    "set 'authority' (or 'token_endpoint'): there is nowhere to ask for a token",
                ));
            }
        };
        require_https_policy(endpoint.url(), self.allow_http)?;
        let client_id = self.client_id.clone().ok_or_else(|| Error::config("set 'client_id'"))?;
        warn_if_padded("client_id", &client_id);
        let (secret, client_key) = if self.auth_method.uses_private_key() {
            let key = self.resolve_client_key()?;
            // The key stands in for the secret where the cache needs the client's credential:
            // the fingerprint in the cache key, and what shared cache levels derive from.
            (key.material(), Some(Arc::new(key)))
        } else {
            let secret = self.resolve_secret()?;
            let source = if self.client_secret.is_some() {
                "client_secret"
            } else {
                "client_secret_file"
            };
            warn_if_padded(source, secret.expose());
            (secret, None)
        };
        if self.auth_method == AuthMethod::ClientSecretBasic
            && self.basic_auth_style == BasicAuthStyle::Rfc2617
            && client_id.contains(':')
        {
            return Err(Error::config(
                "the client id contains ':', which basic_auth_style=rfc2617 cannot send (the authority splits id and secret at the first ':'); use basic_auth_style=rfc6749 or auth_method=client_secret_post",
            ));
        }
        let timeout = Duration::from_millis(self.timeout_ms.unwrap_or(30_000));
        let connect_timeout = Duration::from_millis(self.connect_timeout_ms.unwrap_or(10_000)).min(timeout);
        let fleet = match &self.redis_url {
            Some(url) => Some(FleetSettings {
                url: url.clone(),
                password: self
                    .redis_password_file
                    .as_ref()
                    .map(|path| read_password_file(path.path()))
                    .transpose()?,
                prefix: self
                    .redis_prefix
                    .clone()
                    .unwrap_or_else(|| crate::shared::DEFAULT_PREFIX.to_owned()),
            }),
            None if self.redis_password_file.is_some() || self.redis_prefix.is_some() => {
                return Err(Error::config(
                    "'redis_password_file' and 'redis_prefix' need 'redis_url': where is the Redis server?",
                ));
            }
            None => None,
        };
        Ok(Settings {
            endpoint,
            client_id,
            secret,
            auth_method: self.auth_method,
            client_key,
            basic_auth_style: self.basic_auth_style,
            scope: self.scope.clone(),
            resource: self.resource.clone(),
            timeout,
            connect_timeout,
            ca_file: self.ca_file.clone(),
            allow_http: self.allow_http,
            validate_endpoints: self.validate_endpoints.unwrap_or(true),
            validate_issuer: self.validate_issuer.unwrap_or(true),
            default_lifetime: Duration::from_secs(self.default_expires_in.unwrap_or(300)),
            proxy: self.proxy.clone(),
            max_retry_after: self
                .max_retry_after
                .map_or(DEFAULT_MAX_RETRY_AFTER, Duration::from_secs),
            cache_dir: self.cache_dir.clone(),
            fleet,
        })
    }
}

impl Options {
    fn resolve_secret(&self) -> Result<Secret> {
        if let Some(key) = ["private_key_file", "client_certificate_file", "key_id", "signing_alg"]
            .into_iter()
            .zip([
                self.private_key_file.is_some(),
                self.client_certificate_file.is_some(),
                self.key_id.is_some(),
                self.signing_alg.is_some(),
            ])
            .find_map(|(key, set)| set.then_some(key))
        {
            return Err(Error::config(format!(
                "'{key}' is set but auth_method is {}; set auth_method=private_key_jwt (or a TLS client method), or unset '{key}'",
                self.auth_method.name()
            )));
        }
        match (&self.client_secret, &self.client_secret_file) {
            (Some(_), Some(_)) => Err(Error::config(
                "set either 'client_secret' or 'client_secret_file', not both",
            )),
            (Some(secret), None) => Ok(secret.clone()),
            (None, Some(path)) => read_secret_file(path),
            (None, None) => Err(Error::config("set 'client_secret' or 'client_secret_file'")),
        }
    }

    fn endpoint_is_https(&self) -> bool {
        self.token_endpoint
            .as_ref()
            .or(self.authority.as_ref())
            .is_some_and(HttpUrl::is_https)
    }

    fn resolve_client_key(&self) -> Result<ClientKey> {
        let method = self.auth_method.name();
        if self.client_secret.is_some() || self.client_secret_file.is_some() {
            return Err(Error::config(format!(
                "auth_method={method} proves the client with a private key: unset 'client_secret' and 'client_secret_file'"
            )));
        }
        let key_file = self
            .private_key_file
            .as_ref()
            .map(OptionPath::path)
            .ok_or_else(|| Error::config(format!("auth_method={method} needs 'private_key_file'")))?;
        if self.auth_method.is_mutual_tls() && !self.endpoint_is_https() {
            return Err(Error::config(format!(
                "auth_method={method} presents the certificate in the TLS handshake, so the authority (or token_endpoint) must be https"
            )));
        }
        if self.auth_method.is_mutual_tls() && (self.key_id.is_some() || self.signing_alg.is_some()) {
            return Err(Error::config(format!(
                "'key_id' and 'signing_alg' are for private_key_jwt assertions; auth_method={method} sends none: unset them"
            )));
        }
        if self.auth_method.is_mutual_tls() && self.client_certificate_file.is_none() {
            return Err(Error::config(format!(
                "auth_method={method} needs 'client_certificate_file' (the certificate presented in the TLS handshake)"
            )));
        }
        ClientKey::load(
            key_file,
            self.client_certificate_file.as_ref().map(OptionPath::path),
            self.key_id.as_deref(),
            self.signing_alg,
        )
    }
}

/// Logs a warning when a credential begins or ends with whitespace: it is sent as it is, and
/// an authority that does not expect the spaces answers `invalid_client`. Names the option,
/// never the value.
fn warn_if_padded(option: &str, value: &str) {
    if value.trim() != value {
        log(LogLevel::Warn, || {
            format!(
                "the value of {option} begins or ends with whitespace; it is sent exactly as given (remove the whitespace if it is not part of the credential)"
            )
        });
    }
}

/// Where the token endpoint comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum EndpointSource {
    /// Discovered from this authority's OpenID Connect configuration.
    Authority(HttpUrl),
    /// Given directly.
    TokenEndpoint(HttpUrl),
}

impl EndpointSource {
    pub fn url(&self) -> &HttpUrl {
        match self {
            EndpointSource::Authority(url) | EndpointSource::TokenEndpoint(url) => url,
        }
    }
}

/// Options after [`Options::resolve`]: complete and consistent.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub endpoint: EndpointSource,
    pub client_id: String,
    pub secret: Secret,
    pub auth_method: AuthMethod,
    /// The private key, for the key-based methods.
    pub client_key: Option<Arc<ClientKey>>,
    pub basic_auth_style: BasicAuthStyle,
    pub scope: Option<String>,
    pub resource: Option<String>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub ca_file: Option<OptionPath>,
    pub allow_http: bool,
    pub validate_endpoints: bool,
    pub validate_issuer: bool,
    pub default_lifetime: Duration,
    pub proxy: ProxySetting,
    /// The longest hold a Retry-After can impose.
    pub max_retry_after: Duration,
    pub cache_dir: CacheDir,
    /// The fleet level (Redis), when `redis_url` is set.
    pub fleet: Option<FleetSettings>,
}

/// `https` is required, except on loopback or when `allow_http` is set.
pub(crate) fn require_https_policy(url: &HttpUrl, allow_http: bool) -> Result<()> {
    if url.is_https() || url.is_loopback() || allow_http {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{} uses plain http to a host that is not loopback; use https, or set allow_http=true if this network is trusted",
            url.as_str()
        )))
    }
}

/// Reads the secret file. Messages never name the path: a secret given where the path belongs
/// (swapped arguments) would be printed.
fn read_secret_file(path: &OptionPath) -> Result<Secret> {
    const WHAT: &str = "the file named by client_secret_file";
    let bytes = std::fs::File::open(path.path())
        .and_then(|file| crate::wipe::read_to_end(file, MAX_VALUE_BYTES as u64 + 1))
        .map_err(|error| Error::config(format!("{WHAT} cannot be read: {}", crate::wipe::io_reason(&error))))?;
    if bytes.len() > MAX_VALUE_BYTES {
        return Err(Error::config(format!(
            "{WHAT} is too large for a secret (more than {MAX_VALUE_BYTES} bytes)"
        )));
    }
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::config(format!("{WHAT} is not UTF-8 text")))?;
    let secret = text.trim_end_matches(['\r', '\n']);
    if secret.is_empty() {
        return Err(Error::config(format!("{WHAT} is empty")));
    }
    if secret.contains(['\r', '\n', '\0']) {
        return Err(Error::config(format!("{WHAT} holds more than one line")));
    }
    Ok(Secret::new(secret.to_owned()))
}

/// The error for a key that is not an option. The key is not repeated: arguments given in the
/// wrong order would put the secret there. A known key close to it is suggested.
fn unknown_key(key: &str) -> Error {
    let nearest = OPTION_KEYS
        .iter()
        .map(|known| (edit_distance(key, known.name), known.name))
        .min();
    let suggestion = match nearest {
        Some((distance, name)) if distance <= 2 => format!("; did you mean '{name}'?"),
        _ => String::new(),
    };
    let known: Vec<&str> = OPTION_KEYS.iter().map(|k| k.name).collect();
    Error::config(format!(
        "unknown option key ({} characters, not repeated here){suggestion} Known keys: {}",
        key.chars().count(),
        known.join(", ")
    ))
}

/// Levenshtein distance, for suggesting the key the caller meant.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn parse_optional<T>(value: &str, parse: impl FnOnce(&str) -> Result<T>) -> Result<Option<T>> {
    if value.is_empty() {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

fn parse_number(value: &str, min: u64, max: u64) -> Result<u64> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(Error::config(format!("expected a whole number from {min} to {max}"))),
    }
}

fn parse_bool(value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(Error::config("expected true or false")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Status;

    const SECRET: &str = "s3cr3t-value";

    fn complete() -> Options {
        Options::new()
            .with("authority", "http://127.0.0.1:1/core")
            .and_then(|o| o.with("client_id", "vf-post"))
            .and_then(|o| o.with("client_secret", SECRET))
            .unwrap()
    }

    #[test]
    fn every_documented_key_is_accepted() {
        for key in OPTION_KEYS {
            Options::new()
                .set(key.name, "")
                .unwrap_or_else(|e| panic!("{}: {e}", key.name));
        }
    }

    #[test]
    fn unknown_key_is_not_repeated_but_a_near_one_is_suggested() {
        let error = Options::new().set("scopes", "api1").unwrap_err();
        assert_eq!(error.status(), Status::Config);
        assert!(
            error.message().starts_with("unknown option key (6 characters"),
            "{error}"
        );
        assert!(error.message().contains("did you mean 'scope'?"), "{error}");
        assert!(error.message().contains("scope,"));
        // Arguments swapped: the "key" is the secret, and must not be repeated.
        let swapped = Options::new().set(SECRET, "client_secret").unwrap_err();
        assert!(!swapped.message().contains(SECRET), "{swapped}");
        assert!(!swapped.message().contains("did you mean"), "{swapped}");
    }

    #[test]
    fn line_breaks_and_nul_are_rejected_without_echoing_the_value() {
        for value in [
            format!("{SECRET}\r\nX-Injected: 1"),
            format!("{SECRET}\n"),
            format!("{SECRET}\0"),
        ] {
            let error = Options::new().set("client_secret", &value).unwrap_err();
            assert!(error.message().starts_with("option 'client_secret'"), "{error}");
            assert!(!error.message().contains(SECRET));
        }
    }

    #[test]
    fn huge_value_is_rejected() {
        let error = Options::new().set("scope", &"a".repeat(1 << 20)).unwrap_err();
        assert!(error.message().contains("too long"), "{error}");
    }

    #[test]
    fn malformed_values_name_the_key() {
        for (key, value, expect) in [
            ("timeout_ms", "ten", "whole number"),
            ("timeout_ms", "0", "whole number"),
            ("connect_timeout_ms", "-5", "whole number"),
            ("allow_http", "maybe", "true or false"),
            ("auth_method", "client_secret_jwt", "private_key_jwt"),
            ("authority", "ftp://x", "scheme"),
            ("default_expires_in", "999999999", "whole number"),
            ("cache_dir", "relative/dir", "absolute directory path"),
            ("redis_url", "http://127.0.0.1:6379", "redis://"),
            ("redis_prefix", "vf:{x}", "braces"),
        ] {
            let error = Options::new().set(key, value).unwrap_err();
            assert!(error.message().starts_with(&format!("option '{key}'")), "{error}");
            assert!(error.message().contains(expect), "{error}");
        }
    }

    #[test]
    fn missing_required_options_are_named() {
        let cases = [
            (Options::new(), "'authority'"),
            (
                Options::new().with("authority", "https://a.example").unwrap(),
                "'client_id'",
            ),
            (
                Options::new()
                    .with("authority", "https://a.example")
                    .unwrap()
                    .with("client_id", "x")
                    .unwrap(),
                "'client_secret'",
            ),
        ];
        for (options, expect) in cases {
            let error = options.resolve().unwrap_err();
            assert_eq!(error.status(), Status::Config);
            assert!(error.message().contains(expect), "{error}");
        }
    }

    #[test]
    fn http_is_refused_off_loopback_unless_allowed() {
        let remote = complete().with("authority", "http://auth.example.com/core").unwrap();
        let error = remote.resolve().unwrap_err();
        assert!(error.message().contains("allow_http"), "{error}");
        remote.with("allow_http", "true").unwrap().resolve().unwrap();
        complete().resolve().unwrap();
    }

    #[test]
    fn token_endpoint_wins_over_authority() {
        let settings = complete()
            .with("token_endpoint", "http://127.0.0.1:2/t")
            .unwrap()
            .resolve()
            .unwrap();
        assert!(matches!(settings.endpoint, EndpointSource::TokenEndpoint(_)));
    }

    #[test]
    fn scope_whitespace_is_normalised() {
        let settings = complete().with("scope", "  api1\t api2 ").unwrap().resolve().unwrap();
        assert_eq!(settings.scope.as_deref(), Some("api1 api2"));
    }

    #[test]
    fn secret_file_is_read_and_trailing_newline_dropped() {
        let dir = std::env::temp_dir().join(format!("vf-secret-{}", std::process::id()));
        std::fs::write(&dir, format!("{SECRET}\n")).unwrap();
        let mut options = complete();
        options.set("client_secret", "").unwrap();
        options.set("client_secret_file", dir.to_str().unwrap()).unwrap();
        assert_eq!(options.resolve().unwrap().secret.expose(), SECRET);
        options.set("client_secret", "other").unwrap();
        assert!(options.resolve().unwrap_err().message().contains("not both"));
        std::fs::remove_file(&dir).unwrap();
        options.set("client_secret", "").unwrap();
        let error = options.resolve().unwrap_err();
        assert!(error.message().contains("cannot be read"), "{error}");
    }

    #[test]
    fn a_path_option_never_repeats_its_value() {
        // Swapped arguments put the secret where a path belongs.
        const SWAPPED: &str = "Sup3rS3cret!";
        let mut options = complete();
        options.set("client_secret", "").unwrap();
        options.set("client_secret_file", SWAPPED).unwrap();
        let error = options.resolve().unwrap_err();
        assert_eq!(error.status(), Status::Config);
        assert_eq!(
            error.message(),
            "the file named by client_secret_file cannot be read: no such file"
        );
        let dir = std::env::temp_dir();
        options.set("client_secret_file", dir.to_str().unwrap()).unwrap();
        let error = options.resolve().unwrap_err();
        assert!(!error.message().contains(dir.to_str().unwrap()), "{error}");
        assert!(
            error.message().starts_with("the file named by client_secret_file"),
            "{error}"
        );
    }

    #[test]
    fn credentials_are_taken_exactly_as_given_from_a_value_and_from_a_file() {
        let padded = format!(" {SECRET} ");
        let by_value = complete().with("client_secret", &padded).unwrap().resolve().unwrap();
        assert_eq!(by_value.secret.expose(), padded);
        let file = std::env::temp_dir().join(format!("vf-padded-{}", std::process::id()));
        std::fs::write(&file, format!("{padded}\r\n")).unwrap();
        let mut from_file = complete();
        from_file.set("client_secret", "").unwrap();
        from_file.set("client_secret_file", file.to_str().unwrap()).unwrap();
        let from_file = from_file.resolve().unwrap();
        std::fs::remove_file(&file).unwrap();
        assert_eq!(from_file.secret.expose(), padded, "a file keeps its spaces too");
        assert_eq!(by_value.secret.fingerprint(), from_file.secret.fingerprint());
        let id = complete().with("client_id", " vf-post").unwrap().resolve().unwrap();
        assert_eq!(id.client_id, " vf-post");
    }

    #[test]
    fn an_authority_with_a_query_is_refused_and_a_trailing_slash_is_dropped() {
        let error = Options::new()
            .set("authority", "https://auth.example/core?tenant=a")
            .unwrap_err();
        assert_eq!(error.status(), Status::Config);
        assert!(error.message().starts_with("option 'authority'"), "{error}");
        assert!(error.message().contains("query string"), "{error}");
        let with = complete().with("authority", "http://127.0.0.1:1/core/").unwrap();
        let without = complete().with("authority", "http://127.0.0.1:1/core").unwrap();
        assert_eq!(with.resolve().unwrap().endpoint, without.resolve().unwrap().endpoint);
    }

    #[test]
    fn max_retry_after_defaults_to_five_minutes() {
        assert_eq!(complete().resolve().unwrap().max_retry_after, Duration::from_secs(300));
        let set = complete().with("max_retry_after", "20").unwrap().resolve().unwrap();
        assert_eq!(set.max_retry_after, Duration::from_secs(20));
        let error = complete().with("max_retry_after", "86401").unwrap_err();
        assert!(error.message().contains("whole number from 0 to 86400"), "{error}");
    }

    #[test]
    fn property_any_key_and_value_gives_ok_or_an_error_that_never_echoes_the_value() {
        let mut generate = crate::testing::Gen::new(0x0971);
        for _ in 0..5_000 {
            let key = if generate.below(4) == 0 {
                generate.text(12)
            } else {
                OPTION_KEYS[generate.below(OPTION_KEYS.len())].name.to_owned()
            };
            let value = format!("zq{}", generate.text(30));
            if let Err(error) = Options::new().set(&key, &value) {
                assert_eq!(error.status(), Status::Config);
                assert!(
                    error.message().starts_with("option '") || error.message().starts_with("unknown option key"),
                    "{error}"
                );
                if value.trim().len() > 6 {
                    assert!(!error.message().contains(value.trim()), "{key:?}: {error}");
                }
            }
        }
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let text = format!("{:?} {:?}", complete(), complete().resolve().unwrap());
        assert!(!text.contains(SECRET), "{text}");
        // Nor a path, which may be the secret given to the wrong option.
        let swapped = complete()
            .with("client_secret_file", SECRET)
            .and_then(|o| o.with("ca_file", SECRET))
            .unwrap();
        assert!(!format!("{swapped:?}").contains(SECRET), "{swapped:?}");
    }

    #[test]
    fn redis_options_need_a_url_and_never_show_its_password() {
        let error = complete()
            .with("redis_prefix", "stage:")
            .unwrap()
            .resolve()
            .unwrap_err();
        assert!(error.message().contains("need 'redis_url'"), "{error}");
        let options = complete()
            .with("redis_url", "rediss://fleet:r3dis-pa55@cache.example:6380/1")
            .unwrap();
        let text = format!("{options:?} {:?}", options.resolve().unwrap());
        assert!(!text.contains("r3dis-pa55"), "{text}");
        assert!(
            text.contains("rediss://fleet:[redacted]@cache.example:6380/1"),
            "{text}"
        );
        let fleet = options.resolve().unwrap().fleet.unwrap();
        assert_eq!(fleet.prefix, "vf:");
    }
}
