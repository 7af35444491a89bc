# Generated from src/error.rs and src/options.rs by `make generate`: do not edit.
"""The library's tables: its status codes and its option keys."""

from __future__ import annotations

import enum
from typing import Dict, NamedTuple


class Status(enum.IntEnum):
    """The library's status codes (``vf_status``). Numbers are never reused or renumbered."""

    #: Success.
    OK = 0

    #: NULL pointer, bad UTF-8, or a minimum validity no token can meet.
    INVALID_ARGUMENT = 1

    #: Unknown key, bad or missing options, unreadable secret file.
    CONFIG = 2

    #: Discovery document missing, malformed or not for the authority.
    DISCOVERY = 3

    #: Cannot resolve or connect to the authority.
    NETWORK = 4

    #: No answer within ``timeout_ms``.
    TIMEOUT = 5

    #: Untrusted certificate, wrong host name, unreadable ``ca_file``.
    TLS = 6

    #: Refused with an OAuth error: ``invalid_client``, ``invalid_scope``, …
    OAUTH = 7

    #: Unexpected HTTP status without an OAuth error body.
    HTTP = 8

    #: Malformed or oversized answer, not a Bearer token, a redirect.
    PROTOCOL = 9

    #: Not sent: asked to wait, or backing off after failures.
    THROTTLED = 10

    #: A bug in the library (a caught panic); please report it.
    INTERNAL = 11


class OptionKey(NamedTuple):
    """One option key of the library, as ``vf_options_set`` takes it."""

    #: The key, e.g. ``"client_id"``.
    name: str
    #: What it takes: ``url``, ``path``, ``bool``, ``milliseconds``, ``seconds`` or ``text``.
    kind: str
    #: The default, in words; empty when the option has none.
    default: str
    #: One line on what it sets.
    summary: str


#: Every option key, in the order the documentation lists them.
OPTION_KEYS: Dict[str, OptionKey] = {
    "authority": OptionKey("authority", "url", "", "Authority URL; the token endpoint is found by OpenID Connect discovery"),
    "token_endpoint": OptionKey("token_endpoint", "url", "", "Token endpoint URL; when set, discovery is skipped"),
    "client_id": OptionKey("client_id", "text", "", "Client id (required); taken exactly as given"),
    "client_secret": OptionKey("client_secret", "text", "", "Client secret (this or client_secret_file is required); taken as given"),
    "client_secret_file": OptionKey("client_secret_file", "path", "", "File holding the client secret; only a trailing line break is dropped"),
    "scope": OptionKey("scope", "text", "none sent", "Space-separated scopes to request, e.g. api1"),
    "resource": OptionKey("resource", "text", "none sent", "Resource indicator (RFC 8707) to request"),
    "private_key_file": OptionKey("private_key_file", "path", "", "PEM private key (PKCS#8, PKCS#1, SEC1) for private_key_jwt and tls_client_auth"),
    "client_certificate_file": OptionKey("client_certificate_file", "path", "", "PEM certificate of private_key_file: for tls_client_auth, or x5t/x5c in assertions"),
    "key_id": OptionKey("key_id", "text", "none sent", "'kid' in the header of private_key_jwt assertions"),
    "signing_alg": OptionKey("signing_alg", "text", "RS256, or what the EC key's curve gives", "private_key_jwt signature: RS256 or PS256 (RSA keys), ES256 or ES384 (EC keys)"),
    "auth_method": OptionKey("auth_method", "text", "client_secret_post", "client_secret_post, client_secret_basic, private_key_jwt or tls_client_auth"),
    "basic_auth_style": OptionKey("basic_auth_style", "text", "rfc6749", "Basic encoding: rfc6749 (id, secret form-urlencoded) or rfc2617 (as is; IdentityServer3)"),
    "timeout_ms": OptionKey("timeout_ms", "milliseconds", "30000", "Longest a token call may take, discovery and retries included"),
    "connect_timeout_ms": OptionKey("connect_timeout_ms", "milliseconds", "10000", "Longest a TCP and TLS connect may take"),
    "ca_file": OptionKey("ca_file", "path", "", "PEM file of extra CA certificates, trusted besides the system's"),
    "allow_http": OptionKey("allow_http", "bool", "false", "Allow plain http to hosts other than loopback"),
    "validate_endpoints": OptionKey("validate_endpoints", "bool", "true", "Require the discovered token endpoint on the authority's scheme, host and port"),
    "validate_issuer": OptionKey("validate_issuer", "bool", "true", "Require the discovery document's issuer to be the authority URL"),
    "default_expires_in": OptionKey("default_expires_in", "seconds", "300", "Lifetime in seconds assumed when the response has no expires_in"),
    "proxy": OptionKey("proxy", "url", "environment", "Proxy URL (http://[user:password@]host:port) or 'none'; default: *_proxy by scheme"),
    "max_retry_after": OptionKey("max_retry_after", "seconds", "300", "Longest wait in seconds a Retry-After can impose"),
    "cache_dir": OptionKey("cache_dir", "path", "$XDG_RUNTIME_DIR/vidiflow-auth if private, else none", "Host-level token cache directory shared by this user's processes, or 'none'"),
    "redis_url": OptionKey("redis_url", "text", "none", "Fleet-level token cache: redis://[user:password@]host:port[/db], or rediss:// for TLS"),
    "redis_password_file": OptionKey("redis_password_file", "path", "", "File holding the Redis password (replaces one in redis_url)"),
    "redis_prefix": OptionKey("redis_prefix", "text", "vf:", "Prefix of every Redis key, so environments can share a server"),
}

#: The option keys for ``Client``'s docstring: one line each.
OPTIONS_DOC = (
    "    * ``authority`` (url): Authority URL; the token endpoint is found by OpenID Connect discovery\n"
    "    * ``token_endpoint`` (url): Token endpoint URL; when set, discovery is skipped\n"
    "    * ``client_id`` (text): Client id (required); taken exactly as given\n"
    "    * ``client_secret`` (text): Client secret (this or client_secret_file is required); taken as given\n"
    "    * ``client_secret_file`` (path): File holding the client secret; only a trailing line break is dropped\n"
    "    * ``scope`` (text) (default: none sent): Space-separated scopes to request, e.g. api1\n"
    "    * ``resource`` (text) (default: none sent): Resource indicator (RFC 8707) to request\n"
    "    * ``private_key_file`` (path): PEM private key (PKCS#8, PKCS#1, SEC1) for private_key_jwt and tls_client_auth\n"
    "    * ``client_certificate_file`` (path): PEM certificate of private_key_file: for tls_client_auth, or x5t/x5c in assertions\n"
    "    * ``key_id`` (text) (default: none sent): 'kid' in the header of private_key_jwt assertions\n"
    "    * ``signing_alg`` (text) (default: RS256, or what the EC key's curve gives): private_key_jwt signature: RS256 or PS256 (RSA keys), ES256 or ES384 (EC keys)\n"
    "    * ``auth_method`` (text) (default: client_secret_post): client_secret_post, client_secret_basic, private_key_jwt or tls_client_auth\n"
    "    * ``basic_auth_style`` (text) (default: rfc6749): Basic encoding: rfc6749 (id, secret form-urlencoded) or rfc2617 (as is; IdentityServer3)\n"
    "    * ``timeout_ms`` (milliseconds) (default: 30000): Longest a token call may take, discovery and retries included\n"
    "    * ``connect_timeout_ms`` (milliseconds) (default: 10000): Longest a TCP and TLS connect may take\n"
    "    * ``ca_file`` (path): PEM file of extra CA certificates, trusted besides the system's\n"
    "    * ``allow_http`` (bool) (default: false): Allow plain http to hosts other than loopback\n"
    "    * ``validate_endpoints`` (bool) (default: true): Require the discovered token endpoint on the authority's scheme, host and port\n"
    "    * ``validate_issuer`` (bool) (default: true): Require the discovery document's issuer to be the authority URL\n"
    "    * ``default_expires_in`` (seconds) (default: 300): Lifetime in seconds assumed when the response has no expires_in\n"
    "    * ``proxy`` (url) (default: environment): Proxy URL (http://[user:password@]host:port) or 'none'; default: *_proxy by scheme\n"
    "    * ``max_retry_after`` (seconds) (default: 300): Longest wait in seconds a Retry-After can impose\n"
    "    * ``cache_dir`` (path) (default: $XDG_RUNTIME_DIR/vidiflow-auth if private, else none): Host-level token cache directory shared by this user's processes, or 'none'\n"
    "    * ``redis_url`` (text) (default: none): Fleet-level token cache: redis://[user:password@]host:port[/db], or rediss:// for TLS\n"
    "    * ``redis_password_file`` (path): File holding the Redis password (replaces one in redis_url)\n"
    "    * ``redis_prefix`` (text) (default: vf:): Prefix of every Redis key, so environments can share a server\n"
)
