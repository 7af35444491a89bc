"""Exceptions: the base class, and the lookup from a status to its class.

The subclasses, one per failure family (``vf_status``), are generated into ``_exceptions.py``:
each declares its status once (``status=Status.X``) and ``VidiFlowAuthError.__init_subclass__``
files it under that status, so looking up the class for a status needs no second list.
"""

from __future__ import annotations

import ctypes
from typing import Any, ClassVar, Dict, Optional, Tuple, Type

from . import _native
from ._tables import Status

_lib = _native.lib


_FAMILIES: Dict[int, Type["VidiFlowAuthError"]] = {}


class VidiFlowAuthError(Exception):
    """A failure reported by libvidiflow_auth.

    ``str(error)`` is the library's message: what failed and why, for a log or a person. It
    never contains the client secret. The attributes let a program branch:

    * ``status``: the numeric ``vf_status`` (an ``int``; a :class:`Status` when known);
    * ``status_name``: e.g. ``"VF_STATUS_OAUTH"``;
    * ``oauth_error``, ``oauth_description``, ``oauth_uri``: what the authority said in an
      OAuth error response (``"invalid_client"``, ...), else ``None``;
    * ``http_status``: the HTTP status of the response that failed, else ``None``;
    * ``retry_after``: seconds the authority asked callers to wait (Retry-After), else ``None``.
    """

    #: The status this class stands for; the base class stands for any status.
    family_status: ClassVar[Optional[Status]] = None

    status: int
    status_name: str
    message: str
    oauth_error: Optional[str]
    oauth_description: Optional[str]
    oauth_uri: Optional[str]
    http_status: Optional[int]
    retry_after: Optional[float]

    def __init_subclass__(cls, status: Optional[Status] = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            if status in _FAMILIES:
                raise TypeError(f"two exception classes for {status!r}")
            cls.family_status = status
            _FAMILIES[status] = cls

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        oauth_error: Optional[str] = None,
        oauth_description: Optional[str] = None,
        oauth_uri: Optional[str] = None,
        http_status: Optional[int] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        code: int = status if status is not None else (type(self).family_status or Status.INTERNAL)
        self.status = _as_status(code)
        self.status_name = status_name(code)
        self.message = message
        self.oauth_error = oauth_error
        self.oauth_description = oauth_description
        self.oauth_uri = oauth_uri
        self.http_status = http_status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        details = [f"status={self.status_name}", f"message={self.message!r}"]
        for name in ("oauth_error", "http_status", "retry_after"):
            value = getattr(self, name)
            if value is not None:
                details.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(details)})"

    def __reduce__(self) -> Tuple[Any, ...]:
        # Keyword-only fields survive pickling (multiprocessing hands exceptions across).
        return (_rebuild, (type(self), self.message, self._fields()))

    def _fields(self) -> Dict[str, Any]:
        return {
            "status": int(self.status),
            "oauth_error": self.oauth_error,
            "oauth_description": self.oauth_description,
            "oauth_uri": self.oauth_uri,
            "http_status": self.http_status,
            "retry_after": self.retry_after,
        }


def _rebuild(cls: Type[VidiFlowAuthError], message: str, fields: Dict[str, Any]) -> VidiFlowAuthError:
    return cls(message, **fields)


# ---- from the C API --------------------------------------------------------------------------


def _as_status(code: int) -> int:
    try:
        return Status(code)
    except ValueError:
        return int(code)


def status_name(code: int) -> str:
    """The library's name for a status, e.g. ``"VF_STATUS_OAUTH"`` (``"VF_STATUS_UNKNOWN"`` for
    a number that is not a status)."""
    name: Optional[bytes] = _lib.vf_status_name(int(code) & 0xFFFFFFFF)
    return name.decode("utf-8", "replace") if name else "VF_STATUS_UNKNOWN"


def error_class(code: int) -> Type[VidiFlowAuthError]:
    """The exception class for a status; the base class for a status this binding does not know."""
    return _FAMILIES.get(code, VidiFlowAuthError)


def _text(value: Optional[bytes]) -> Optional[str]:
    return value.decode("utf-8", "replace") if value is not None else None


def from_native(status: int, error: ctypes.c_void_p) -> VidiFlowAuthError:
    """Builds the exception for a failed call and frees the native ``vf_error``.

    ``error`` is the out-parameter the call filled in (it may still be NULL: the C API lets a
    call fail without an error object only when ``err`` was NULL, but a binding should not
    crash if that ever changes).
    """
    pointer = error.value
    if not pointer:
        return error_class(status)(
            f"{status_name(status)} (the library gave no details)", status=status
        )
    try:
        # c_char_p results are copies (bytes), so freeing the error afterwards is safe.
        code = int(_lib.vf_error_status(pointer))
        message = _text(_lib.vf_error_message(pointer)) or status_name(code)
        http_status = int(_lib.vf_error_http_status(pointer))
        retry_after_ms = int(_lib.vf_error_retry_after_ms(pointer))
        oauth_error = _text(_lib.vf_error_oauth_error(pointer))
        oauth_description = _text(_lib.vf_error_oauth_description(pointer))
        oauth_uri = _text(_lib.vf_error_oauth_uri(pointer))
    finally:
        _lib.vf_error_free(pointer)
        error.value = None
    return error_class(code)(
        message,
        status=code,
        oauth_error=oauth_error,
        oauth_description=oauth_description,
        oauth_uri=oauth_uri,
        http_status=http_status or None,
        retry_after=retry_after_ms / 1000.0 if retry_after_ms else None,
    )
