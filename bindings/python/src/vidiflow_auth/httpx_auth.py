"""``httpx`` integration: an ``httpx.Auth`` that sets ``Authorization: Bearer …``.

::

    import httpx
    from vidiflow_auth import Client
    from vidiflow_auth.httpx_auth import HttpxAuth

    with httpx.Client(auth=HttpxAuth(Client.from_env())) as http:
        http.get("https://api.example.com/v1/assets")

On a 401 answer, the token that was sent is reported to the cache (``Client.invalidate``) and
the request is sent once more with a fresh token. A streaming request body cannot be replayed,
so such a request is not retried: its 401 response is returned.

With ``httpx.AsyncClient`` a cached token is taken on the event loop's thread at once (no
thread hop: the library answers from its cache without blocking); only when a token must be
fetched does the call run in a worker thread, so the event loop is never blocked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, AsyncGenerator, Callable, Generator, TypeVar, Union

import httpx

from ._client import Client, Token

__all__ = ["HttpxAuth"]

_T = TypeVar("_T")


class HttpxAuth(httpx.Auth):
    """Authenticates ``httpx`` calls (sync and async) with tokens from a
    :class:`~vidiflow_auth.Client`. ``min_valid`` is passed to :meth:`Client.token`."""

    def __init__(self, client: Client, min_valid: Union[int, float, timedelta] = 0) -> None:
        self.client = client
        self.min_valid = min_valid

    def _retry_token(self, request: httpx.Request, sent: Token) -> Union[Token, None]:
        """After a 401: drops the sent token from the cache; the token to retry with, or None."""
        self.client.invalidate(sent)
        if not _replayable(request):
            return None
        fresh = self.client.token(self.min_valid)
        return None if fresh.access_token == sent.access_token else fresh

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.client.token(self.min_valid)
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            fresh = self._retry_token(request, token)
            if fresh is not None:
                request.headers["Authorization"] = fresh.authorization
                yield request

    # The generic flow is the sync one (httpx calls auth_flow from its default implementations).
    auth_flow = sync_auth_flow

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self.client._cached(self.min_valid)
        if token is None:
            token = await _in_thread(self.client.token, self.min_valid)
        request.headers["Authorization"] = token.authorization
        response = yield request
        if response.status_code == 401:
            fresh = await _in_thread(self._retry_token, request, token)
            if fresh is not None:
                request.headers["Authorization"] = fresh.authorization
                yield request

    def __repr__(self) -> str:
        return f"HttpxAuth({self.client!r}, min_valid={self.min_valid!r})"


def _replayable(request: httpx.Request) -> bool:
    try:
        _ = request.content  # raises if the body is a stream that was not read
    except httpx.RequestNotRead:
        return False
    return True


async def _in_thread(function: Callable[..., _T], *args: Any) -> _T:
    try:
        import anyio.to_thread
    except ImportError:  # httpx without anyio: asyncio only
        import asyncio

        return await asyncio.to_thread(function, *args)
    return await anyio.to_thread.run_sync(function, *args)
