"""OAuth 2.0 client-credentials access tokens for the VidiFlow Web API.

A binding to libvidiflow_auth: tokens come from a process-wide, thread-safe cache, and threads
that miss it at the same time share one request to the authority.

::

    from vidiflow_auth import Client

    with Client.from_env() as client:          # VF_AUTHORITY, VF_CLIENT_ID, VF_CLIENT_SECRET, ...
        token = client.token()
        headers = {"Authorization": token.authorization}

HTTP client hooks: :class:`vidiflow_auth.requests_auth.RequestsAuth` and
:class:`vidiflow_auth.httpx_auth.HttpxAuth` (also importable from here; they need ``requests``
or ``httpx`` installed).

Importing this package loads the library: from ``VF_LIBRARY_PATH`` when set, else from next to
this module. :class:`LibraryLoadError` (an ``ImportError``) lists the paths it tried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _native
from ._client import Client, Stats, Token
from ._errors import VidiFlowAuthError, error_class, status_name
from ._exceptions import (
    AuthTimeoutError,
    ConfigError,
    DiscoveryError,
    HTTPError,
    InternalError,
    InvalidArgumentError,
    NetworkError,
    OAuthError,
    ProtocolError,
    ThrottledError,
    TLSError,
)
from ._tables import OPTION_KEYS, OptionKey, Status
from ._log import set_logger
from ._native import ABI_VERSION, LibraryLoadError

if TYPE_CHECKING:
    from .httpx_auth import HttpxAuth  # noqa: F401 (lazy, see __getattr__)
    from .requests_auth import RequestsAuth  # noqa: F401

__version__ = "0.1.0"

#: The file the library was loaded from.
library_path: str = str(_native.library_path)


def library_version() -> str:
    """The version of the loaded libvidiflow_auth, e.g. ``"0.1.0"``."""
    version: bytes = _native.lib.vf_version()
    return version.decode("utf-8")


def __getattr__(name: str) -> Any:
    # The integrations import requests / httpx, which are optional: load them on first use.
    if name == "RequestsAuth":
        from .requests_auth import RequestsAuth

        return RequestsAuth
    if name == "HttpxAuth":
        from .httpx_auth import HttpxAuth

        return HttpxAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ABI_VERSION",
    "AuthTimeoutError",
    "Client",
    "ConfigError",
    "DiscoveryError",
    "HTTPError",
    "InternalError",
    "InvalidArgumentError",
    "LibraryLoadError",
    "NetworkError",
    "OAuthError",
    "OPTION_KEYS",
    "OptionKey",
    "ProtocolError",
    "Stats",
    "Status",
    "TLSError",
    "ThrottledError",
    "Token",
    "VidiFlowAuthError",
    "error_class",
    "library_path",
    "library_version",
    "set_logger",
    "status_name",
]
