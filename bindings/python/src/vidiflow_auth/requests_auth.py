"""``requests`` integration: an ``AuthBase`` that sets ``Authorization: Bearer …``.

::

    import requests
    from vidiflow_auth import Client
    from vidiflow_auth.requests_auth import RequestsAuth

    session = requests.Session()
    session.auth = RequestsAuth(Client.from_env())
    session.get("https://api.example.com/v1/assets")

On a 401 answer, the token that was sent is reported to the cache (``Client.invalidate``) and
the request is sent once more with a fresh token. A request whose body cannot be replayed
(a generator, or a file that cannot seek) is not retried: its 401 response is returned.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Optional, Union

import requests
from requests.auth import AuthBase
from requests.cookies import extract_cookies_to_jar

from ._client import Client, Token

__all__ = ["RequestsAuth"]


class RequestsAuth(AuthBase):
    """Authenticates ``requests`` calls with tokens from a :class:`~vidiflow_auth.Client`.

    ``min_valid`` (seconds or a ``timedelta``) is passed to :meth:`Client.token`: a token that
    will be checked late in a long upload can be asked to last that long.
    """

    def __init__(self, client: Client, min_valid: Union[int, float, timedelta] = 0) -> None:
        self.client = client
        self.min_valid = min_valid

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.client.token(self.min_valid)
        request.headers["Authorization"] = token.authorization
        position = _body_position(request.body)

        def retry_on_401(response: requests.Response, **kwargs: Any) -> requests.Response:
            return self._retry_on_401(response, token, position, kwargs)

        request.register_hook("response", retry_on_401)  # type: ignore[no-untyped-call]
        return request

    def _retry_on_401(
        self,
        response: requests.Response,
        sent: Token,
        position: Optional[int],
        send_kwargs: Any,
    ) -> requests.Response:
        if response.status_code != 401:
            return response
        self.client.invalidate(sent)
        request = response.request
        body = request.body
        if body is not None and not isinstance(body, (bytes, str)):
            if position is None:
                return response  # a stream that cannot be rewound: give the caller the 401
            body.seek(position)
        fresh = self.client.token(self.min_valid)
        if fresh.access_token == sent.access_token:
            return response  # nothing new to try
        # Release the connection so the retry can reuse it.
        response.content  # noqa: B018 (reads the body)
        response.close()
        retry = request.copy()
        # The cookie jar requests' own auth handlers (Digest) update before a resend.
        jar = getattr(retry, "_cookies")  # noqa: B009 (private; not in the type stubs)
        extract_cookies_to_jar(jar, request, response.raw)  # type: ignore[no-untyped-call]
        retry.prepare_cookies(jar)
        retry.headers["Authorization"] = fresh.authorization
        # The adapter sends without running hooks again, so this retries exactly once.
        answer: requests.Response = response.connection.send(retry, **send_kwargs)
        answer.history.append(response)
        answer.request = retry
        return answer

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RequestsAuth)
            and other.client is self.client
            and other.min_valid == self.min_valid
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"RequestsAuth({self.client!r}, min_valid={self.min_valid!r})"


def _body_position(body: Any) -> Optional[int]:
    """Where a file-like body starts, so a retry can rewind it; None if it has no position."""
    if body is None or isinstance(body, (bytes, str)):
        return None
    try:
        position = body.tell()
    except (AttributeError, OSError):
        return None
    return position if isinstance(position, int) else None
