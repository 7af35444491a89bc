# Generated from src/error.rs and src/options.rs by `make generate`: do not edit.
"""One exception class per failure status. ``VidiFlowAuthError.__init_subclass__`` files each
class under its status, so ``error_class(status)`` needs no second list."""

from __future__ import annotations

import builtins

from ._errors import VidiFlowAuthError
from ._tables import Status

__all__ = [
    "InvalidArgumentError",
    "ConfigError",
    "DiscoveryError",
    "NetworkError",
    "AuthTimeoutError",
    "TLSError",
    "OAuthError",
    "HTTPError",
    "ProtocolError",
    "ThrottledError",
    "InternalError",
]


class InvalidArgumentError(VidiFlowAuthError, ValueError, status=Status.INVALID_ARGUMENT):
    """NULL pointer, bad UTF-8, or a minimum validity no token can meet. (``VF_STATUS_INVALID_ARGUMENT``)"""


class ConfigError(VidiFlowAuthError, status=Status.CONFIG):
    """Unknown key, bad or missing options, unreadable secret file. (``VF_STATUS_CONFIG``)"""


class DiscoveryError(VidiFlowAuthError, status=Status.DISCOVERY):
    """Discovery document missing, malformed or not for the authority. (``VF_STATUS_DISCOVERY``)"""


class NetworkError(VidiFlowAuthError, ConnectionError, status=Status.NETWORK):
    """Cannot resolve or connect to the authority. (``VF_STATUS_NETWORK``)"""


class AuthTimeoutError(VidiFlowAuthError, builtins.TimeoutError, status=Status.TIMEOUT):
    """No answer within ``timeout_ms``. (``VF_STATUS_TIMEOUT``)"""


class TLSError(VidiFlowAuthError, status=Status.TLS):
    """Untrusted certificate, wrong host name, unreadable ``ca_file``. (``VF_STATUS_TLS``)"""


class OAuthError(VidiFlowAuthError, status=Status.OAUTH):
    """Refused with an OAuth error: ``invalid_client``, ``invalid_scope``, … (``VF_STATUS_OAUTH``)"""


class HTTPError(VidiFlowAuthError, status=Status.HTTP):
    """Unexpected HTTP status without an OAuth error body. (``VF_STATUS_HTTP``)"""


class ProtocolError(VidiFlowAuthError, status=Status.PROTOCOL):
    """Malformed or oversized answer, not a Bearer token, a redirect. (``VF_STATUS_PROTOCOL``)"""


class ThrottledError(VidiFlowAuthError, status=Status.THROTTLED):
    """Not sent: asked to wait, or backing off after failures. (``VF_STATUS_THROTTLED``)"""


class InternalError(VidiFlowAuthError, status=Status.INTERNAL):
    """A bug in the library (a caught panic); please report it. (``VF_STATUS_INTERNAL``)"""
