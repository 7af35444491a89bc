"""``Client`` and ``Token``: the Python face of ``vf_client`` and ``vf_token``."""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._errors import error_class, from_native, status_name
from ._exceptions import ConfigError, InternalError
from ._tables import OPTION_KEYS, OPTIONS_DOC

_lib = _native.lib
_hot = _native.hot
_is_current = _native.is_current

#: ``vf_token_get_valid_for`` takes a ``uint32_t`` number of seconds.
_MAX_MIN_VALID = 0xFFFFFFFF

#: The options whose values may appear in ``repr(Client)``. Never the secret.
_SHOWN_OPTIONS = ("authority", "token_endpoint", "client_id", "scope", "resource")

OptionValue = Union[str, int, bool, "os.PathLike[str]", Iterable[str], None]


@dataclass(frozen=True)
class Token:
    """An OAuth 2.0 Bearer access token and when it expires. Immutable.

    The strings are Python copies: a ``Token`` stays usable after the library replaces or
    frees its cached token. ``repr()`` leaves out the token itself, so logging a ``Token`` does
    not leak it.
    """

    #: The access token (a JWT from the VidiFlow authority). A credential: do not log it.
    access_token: str = field(repr=False)
    #: Always ``"Bearer"``.
    token_type: str
    #: The granted scopes, space-separated (as requested if the authority did not say).
    scope: str
    #: When the token expires: an aware ``datetime`` in UTC.
    expires_at: datetime
    #: ``"Bearer <access token>"``: the value of an HTTP ``Authorization`` header.
    authorization: str = field(repr=False)
    # time.monotonic() at expiry, so expires_in ignores wall-clock changes (as the library does).
    _monotonic_expiry: float = field(repr=False, compare=False, default=0.0)

    @property
    def expires_in(self) -> float:
        """Seconds the token stays valid from now (monotonic clock); 0.0 once expired."""
        return max(0.0, self._monotonic_expiry - time.monotonic())


#: Tokens remembered per client (see ``Client._memo``): one per thread that asks often.
_MEMO_SIZE = 16

# vf_token_is_current is called without argtypes, so ``seconds`` goes as a C int: from this
# on, the call is left to the library, whose longest promise is far shorter anyway.
_UNCHECKED_SECONDS_LIMIT = 2**31


class _NativeClient:
    """Owns a native client: vf_client_free() runs when the last reference goes (the Client's
    own, dropped by its release, or a hit's, held for its one call)."""

    __slots__ = ("arg", "_lib")

    def __init__(self, handle: int, lib: Any) -> None:
        self.arg = c_void_p(handle)  # as vf_token_is_current takes it
        self._lib = lib  # kept for interpreter exit, when module globals may be gone

    def __del__(self) -> None:
        self._lib.vf_client_free(self.arg)


class _Held:
    """One native reference to a token a client handed out, with its Token; released when the
    last user lets go (a client drops a _Held from its memo while another thread may still be
    checking it)."""

    __slots__ = ("pointer", "token", "_lib")

    def __init__(self, pointer: c_void_p, token: Token, lib: Any) -> None:
        self.pointer = pointer
        self.token = token
        self._lib = lib  # kept for interpreter exit, when module globals may be gone

    def __del__(self) -> None:
        self._lib.vf_token_free(self.pointer)


@dataclass(frozen=True)
class Stats:
    """A client's counters since it was made (``vf_client_stats``)."""

    #: Token calls answered from the cache.
    hits: int
    #: Token calls not answered from this process's cache: they waited for a request to the
    #: authority, or read the host-level cache.
    misses: int
    #: Token requests this client sent to the authority, retries included.
    requests: int
    #: Of those, the ones that failed.
    failed_requests: int
    #: Token calls that raised.
    errors: int
    #: Tokens taken from the host-level cache (fetched by another process) instead of asking
    #: the authority: on a miss, or for a refresh (``vf_client_shared_stats``, as the three
    #: below).
    shared_hits: int = 0
    #: Tokens taken from the fleet-level cache (Redis: fetched by another host or process)
    #: instead of asking the authority.
    redis_hits: int = 0
    #: Looks in Redis that found no usable token (then one host asked the authority).
    redis_misses: int = 0
    #: Redis commands that failed; each made the client skip Redis for a while.
    redis_errors: int = 0


def _read_token(pointer: int) -> Token:
    """Copies a native token's fields into a ``Token``; the caller still owns ``pointer``."""
    lib = _lib
    expires_in = int(lib.vf_token_expires_in(pointer))
    return Token(
        access_token=lib.vf_token_access_token(pointer).decode("ascii"),
        token_type=lib.vf_token_type(pointer).decode("utf-8"),
        scope=lib.vf_token_scope(pointer).decode("utf-8"),
        expires_at=datetime.fromtimestamp(int(lib.vf_token_expires_at(pointer)), tz=timezone.utc),
        authorization=lib.vf_token_authorization(pointer).decode("ascii"),
        _monotonic_expiry=time.monotonic() + expires_in,
    )


def _option_text(key: str, value: OptionValue) -> str:
    """An option value as the text vf_options_set() takes. Errors name the key, never the value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        items = list(value)
        if all(isinstance(item, str) for item in items):
            return " ".join(items)  # e.g. scope=["api1", "api2"]
    raise TypeError(
        f"option '{key}': expected a str, int, bool, path or list of str, not {type(value).__name__}"
    )


def _encode(key: str, text: str) -> bytes:
    if "\0" in text:
        raise ConfigError(f"option '{key}': the value contains a NUL character")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # The original exception would carry the value (maybe the secret): drop it.
        raise ConfigError(f"option '{key}': the value is not valid Unicode text") from None


def _seconds(min_valid: Union[int, float, timedelta]) -> int:
    if isinstance(min_valid, timedelta):
        seconds = min_valid.total_seconds()
    elif isinstance(min_valid, (int, float)):
        seconds = float(min_valid)
    else:
        raise TypeError(f"min_valid: expected seconds or a timedelta, not {type(min_valid).__name__}")
    if not 0 <= seconds <= _MAX_MIN_VALID or math.isnan(seconds):
        raise ValueError(f"min_valid must be between 0 and {_MAX_MIN_VALID} seconds")
    return math.ceil(seconds)


def _new_client(options: Mapping[str, OptionValue], from_env: bool) -> int:
    """Makes a ``vf_client`` from options (after the VF_* environment, if asked)."""
    lib = _lib
    handle = lib.vf_options_new()
    if not handle:
        raise InternalError("vf_options_new failed (an internal error in the library)")
    err = c_void_p()
    try:
        if from_env:
            status = lib.vf_options_from_env(handle, byref(err))
            if status:
                raise from_native(status, err)
        for key, value in options.items():
            if value is None:
                continue
            key_bytes = _encode("<key>", key)
            if key not in OPTION_KEYS:
                # Not in the generated table: let the library refuse the key (its message names
                # no key, which given in the wrong place may be the secret) before any message
                # here quotes it. A library newer than this binding may still know it.
                status = lib.vf_options_set(handle, key_bytes, b"", byref(err))
                if status:
                    raise from_native(status, err)
            value_bytes = _encode(key, _option_text(key, value))
            status = lib.vf_options_set(handle, key_bytes, value_bytes, byref(err))
            if status:
                raise from_native(status, err)
        client = c_void_p()
        status = lib.vf_client_new(handle, byref(client), byref(err))
        if status:
            raise from_native(status, err)
        if not client.value:
            raise InternalError("vf_client_new succeeded but returned no client")
        return client.value
    finally:
        lib.vf_options_free(handle)


class Client:
    """A client for one identity at an OAuth 2.0 authority, with a process-wide token cache.

    ::

        client = Client(authority="https://id.example.com/core", client_id="svc",
                        client_secret=secret, scope="api1")
        headers = {"Authorization": client.token().authorization}

    Keyword options are the library's option keys, listed below and in
    :data:`vidiflow_auth.OPTION_KEYS`; values may be ``str``, ``int``, ``bool`` or a path, and
    ``scope`` may be a list.
    ``None`` leaves an option unset. Bad options raise :class:`ConfigError` naming the option.

    One client is meant to be shared by all threads. Clients with the same authority, client id,
    secret, scopes and resource share one cached token (within the whole process), and threads
    that miss the cache at the same time share one request. Calls release the GIL.

    Close the client with :meth:`close` or a ``with`` block; otherwise it is freed when it is
    garbage-collected.
    """

    def __init__(
        self,
        authority: Optional[str] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        scope: Union[str, Iterable[str], None] = None,
        **options: OptionValue,
    ) -> None:
        self._init(
            {"authority": authority, "client_id": client_id, "client_secret": client_secret,
             "scope": scope, **options},
            from_env=False,
        )

    @classmethod
    def from_env(cls, **overrides: OptionValue) -> "Client":
        """A client configured from the environment: every option whose variable ``VF_<KEY>``
        is set and not empty (``VF_AUTHORITY``, ``VF_CLIENT_ID``, ``VF_CLIENT_SECRET`` or
        ``VF_CLIENT_SECRET_FILE``, ``VF_SCOPE``, ``VF_TIMEOUT_MS``, ...), then ``overrides``."""
        client = cls.__new__(cls)
        client._init(dict(overrides), from_env=True)
        return client

    def _init(self, options: Dict[str, OptionValue], from_env: bool) -> None:
        # Set before anything can fail, so __del__ and close() always find them.
        self._handle: Optional[int] = None
        self._native: Optional[_NativeClient] = None  # owns the handle: see _release
        self._handles: List[int] = []  # [handle] while the client is alive; popped to free it
        self._calls: List[None] = []  # one entry per call in progress
        self._closed = False
        self._lock = threading.Lock()  # guards changes to self._memo
        # native token pointer -> _Held: the tokens handed out lately, each with one native
        # reference. A token the library hands out again is recognised by pointer and gives
        # the same Token without copying anything: the reference keeps the address from being
        # reused by another token. Several, because the library hands each thread its own copy
        # of the current token.
        self._memo: Dict[int, _Held] = {}
        # The token handed out last (one of the memo's): the next call asks the library only
        # whether it is still current (see _current).
        self._held: Optional[_Held] = None
        self._lib = _lib  # kept for close() at interpreter exit, when module globals may be gone

        shown = {key: options.get(key) for key in _SHOWN_OPTIONS}
        if from_env:
            for key in _SHOWN_OPTIONS:
                if shown[key] is None:
                    shown[key] = os.environ.get("VF_" + key.upper()) or None
        self._shown = {
            key: _option_text(key, value) for key, value in shown.items() if value is not None
        }
        self._handle = _new_client(options, from_env)
        self._native = _NativeClient(self._handle, _lib)
        self._handles.append(self._handle)

    # ---- tokens ------------------------------------------------------------------------------

    def token(self, min_valid: Union[int, float, timedelta] = 0) -> Token:
        """A token valid for at least ``min_valid`` more seconds (beyond the library's safety
        buffer): the cached one when there is one, else one fetched now. A 20-minute job asks
        for ``min_valid=1200``.

        Blocks at most the client's ``timeout_ms``. Raises :class:`OAuthError` when the
        authority refuses, :class:`NetworkError` / :class:`AuthTimeoutError` /
        :class:`TLSError` when it cannot be reached, :class:`DiscoveryError`,
        :class:`HTTPError` or :class:`ProtocolError` when its answer is unusable, and
        :class:`InvalidArgumentError` when its tokens never live ``min_valid`` seconds.
        """
        seconds = _seconds(min_valid) if min_valid else 0
        # A hit first, keeping the GIL (it never blocks); else the blocking call, without it.
        cached = self._current(seconds) or self._from_cache(seconds)
        if cached is not None:
            return cached
        handle = self._enter()
        try:
            out = c_void_p()
            err = c_void_p()
            if seconds:
                status = _lib.vf_token_get_valid_for(handle, seconds, byref(out), byref(err))
            else:
                status = _lib.vf_token_get(handle, byref(out), byref(err))
            if status:
                raise from_native(status, err)
            if not out.value:
                raise InternalError("the library reported success but returned no token")
            return self._adopt(out)
        finally:
            self._leave()

    async def token_async(self, min_valid: Union[int, float, timedelta] = 0) -> Token:
        """:meth:`token` for asyncio: a cached token is returned at once, on the event loop's
        thread (no thread hop); otherwise :meth:`token` runs in the loop's default executor, so
        the loop is never blocked while the authority is asked. Concurrent tasks that miss share
        one request, as threads do."""
        token = self._cached(min_valid)
        if token is not None:
            return token
        return await asyncio.get_running_loop().run_in_executor(None, self.token, min_valid)

    def _cached(self, min_valid: Union[int, float, timedelta] = 0) -> Optional[Token]:
        """The cached token if one is valid for ``min_valid`` more, else None: never sends a
        request, never waits for one (``vf_token_get_cached``)."""
        seconds = _seconds(min_valid) if min_valid else 0
        return self._current(seconds) or self._from_cache(seconds)

    def _from_cache(self, seconds: int) -> Optional[Token]:
        """``vf_token_get_cached``: the cached token if one is valid for ``seconds`` more (the
        library's own hit, when the token handed out last is not current), else None."""
        handle = self._enter()
        try:
            out = c_void_p()
            err = c_void_p()
            status = _hot.vf_token_get_cached(handle, seconds, byref(out), byref(err))
            if status:
                raise from_native(status, err)
            return self._adopt(out) if out.value else None
        finally:
            self._leave()

    def _current(self, seconds: int) -> Optional[Token]:
        """The token handed out last if it is still the cached one, valid for ``seconds`` more:
        the whole of a hit, one C call that takes no reference (``vf_token_is_current``).
        None sends the caller to the library for a token. Instead of registering as a call
        (_enter), it holds a reference to the _NativeClient, which keeps the native client
        alive for the one call even if close() runs meanwhile."""
        held, native = self._held, self._native
        if held is None or native is None or self._closed or seconds >= _UNCHECKED_SECONDS_LIMIT:
            return None
        return held.token if _is_current(native.arg, held.pointer, seconds) else None

    def _adopt(self, out: c_void_p) -> Token:
        """The Token for the native token in ``out``, which this call owns; consumes the native
        reference, and keeps the token for the next call's check (see _current). ``out`` is
        passed back to C as it is: no conversion."""
        pointer = out.value
        known = self._memo.get(pointer)  # type: ignore[arg-type]
        if known is not None:
            # A token handed out before: the memo's _Held has its own reference, so this
            # pointer cannot be a new token at a reused address.
            _hot.vf_token_free(out)
            self._held = known
            return known.token
        try:
            token = _read_token(pointer)  # type: ignore[arg-type]
        except BaseException:
            _lib.vf_token_free(out)
            raise
        held = _Held(out, token, self._lib)
        evicted: List[_Held] = []  # released when this list goes, outside the lock
        with self._lock:
            if self._handle is not None and pointer not in self._memo:
                self._memo[pointer] = held  # type: ignore[index]
                while len(self._memo) > _MEMO_SIZE:
                    evicted.append(self._memo.pop(next(iter(self._memo))))
                self._held = held
        return token

    def invalidate(self, token: Union[Token, str]) -> None:
        """Tells the cache that an API rejected ``token`` (say, with HTTP 401).

        If it is still the cached token, it is dropped and the next :meth:`token` fetches a new
        one; a newer cached token is kept, so many threads reporting the same stale token cause
        one request. Takes a :class:`Token` or its ``access_token``.
        """
        access_token = token.access_token if isinstance(token, Token) else token
        if not isinstance(access_token, str):
            raise TypeError(f"token: expected a Token or str, not {type(token).__name__}")
        encoded = access_token.encode("utf-8", "replace")
        handle = self._enter()
        try:
            status = _lib.vf_token_invalidate(handle, encoded)
        finally:
            self._leave()
        if status:
            raise error_class(status)(f"vf_token_invalidate failed: {status_name(status)}", status=status)

    def stats(self) -> Stats:
        """The client's counters. Safe while other threads use the client."""
        out = _native.VfStats()
        shared = _native.VfSharedStats()
        handle = self._enter()
        try:
            function, status = "vf_client_stats", _lib.vf_client_stats(handle, byref(out))
            if not status:
                function, status = "vf_client_shared_stats", _lib.vf_client_shared_stats(handle, byref(shared))
        finally:
            self._leave()
        if status:
            raise error_class(status)(f"{function} failed: {status_name(status)}", status=status)
        return Stats(
            hits=out.hits,
            misses=out.misses,
            requests=out.requests,
            failed_requests=out.failed_requests,
            errors=out.errors,
            shared_hits=shared.shared_hits,
            redis_hits=shared.redis_hits,
            redis_misses=shared.redis_misses,
            redis_errors=shared.redis_errors,
        )

    def clear_hold(self) -> None:
        """Lifts a hold on the client's identity, so the next :meth:`token` that needs a token
        asks the authority at once: the wait a Retry-After imposed, the backoff after
        failures, or a remembered refusal such as ``invalid_client``. For an operator who
        fixed the cause. The cached token is kept; every client of the same identity is
        affected (``vf_client_clear_hold``)."""
        handle = self._enter()
        try:
            status = _lib.vf_client_clear_hold(handle)
        finally:
            self._leave()
        if status:
            raise error_class(status)(f"vf_client_clear_hold failed: {status_name(status)}", status=status)

    # ---- lifetime ----------------------------------------------------------------------------
    #
    # vf_client_free() must not run while another thread is inside a call on the client. Each
    # call is registered in self._calls (list.append / list.pop are atomic), and close() frees
    # the client only when no call is registered; otherwise the last call to leave frees it.
    # After registering, a call checks `_closed` again: if close() came first, it backs out
    # without touching the handle. No lock on the hot path.

    def _enter(self) -> int:
        if self._closed:
            raise ValueError("this vidiflow_auth.Client is closed")
        self._calls.append(None)
        handle = self._handle
        if self._closed or handle is None:
            self._leave()
            raise ValueError("this vidiflow_auth.Client is closed")
        return handle

    def _leave(self) -> None:
        self._calls.pop()
        if self._closed and not self._calls:
            self._release()

    def _release(self) -> None:
        """Lets go of the native client and the memo's tokens, once (whoever pops the handle)."""
        try:
            self._handles.pop()
        except IndexError:
            return  # released already
        self._handle = None
        with self._lock:
            self._memo, self._held = {}, None  # their references go with the last user of each
        # vf_client_free(handle) runs when the last reference goes: now, unless a hit holds one.
        self._native = None

    def close(self) -> None:
        """Frees the native client. Later calls raise ``ValueError``; calling it again does
        nothing. If other threads are inside a call, the client is freed when the last returns.
        The process-wide cached token stays available to other clients."""
        if not hasattr(self, "_calls"):  # __init__ failed before anything was allocated
            return
        self._closed = True
        if not self._calls:
            self._release()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return getattr(self, "_closed", True)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        # May run at interpreter exit, or after a failed __init__: never raise from here.
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        shown = " ".join(f"{key}={value!r}" for key, value in getattr(self, "_shown", {}).items())
        state = " closed" if self.closed else ""
        return f"<vidiflow_auth.Client {shown}{state}>"


Client.__doc__ = (Client.__doc__ or "") + "\n    Option keys:\n\n" + OPTIONS_DOC
