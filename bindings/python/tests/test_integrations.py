"""The requests and httpx auth hooks, against a local API that answers 401 to a stale token."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from typing import Dict, List, Set

import httpx
import pytest
import requests

import vidiflow_auth
from support import Reply
from vidiflow_auth import Client
from vidiflow_auth.httpx_auth import HttpxAuth
from vidiflow_auth.requests_auth import RequestsAuth


class Api:
    """A protected API: any Bearer token is accepted unless it was declared stale."""

    def __init__(self, local_server) -> None:
        self.stale: Set[str] = set()
        self.reject_all = False
        self.calls: List[Dict[str, str]] = []  # {"token": ..., "body": ...} per request
        self.lock = threading.Lock()
        self.server = local_server(self.handle)
        self.url = self.server.url + "/v1/assets"

    def handle(self, method, path, headers, body) -> Reply:
        authorization = headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
        with self.lock:
            self.calls.append({"token": token, "body": body.decode()})
        if not token or token in self.stale or self.reject_all:
            return Reply(401, b'{"error":"invalid_token"}',
                         {"WWW-Authenticate": 'Bearer error="invalid_token"',
                          "Content-Type": "application/json"})
        return Reply(200, json.dumps({"ok": True, "body": body.decode()}).encode(),
                     {"Content-Type": "application/json"})

    def tokens(self) -> List[str]:
        return [call["token"] for call in self.calls]


@pytest.fixture
def api(local_server) -> Api:
    return Api(local_server)


@pytest.fixture
def session():
    # Never the environment's proxies or CA bundle (REQUESTS_CA_BUNDLE): a loopback API.
    with requests.Session() as session:
        session.trust_env = False
        yield session


def test_lazy_exports() -> None:
    assert vidiflow_auth.RequestsAuth is RequestsAuth
    assert vidiflow_auth.HttpxAuth is HttpxAuth


# ---- requests -------------------------------------------------------------------------------


def test_requests_sets_the_header_and_uses_the_cache(authority, api, session) -> None:
    client = Client(**authority.client_options())
    session.auth = RequestsAuth(client)
    for _ in range(3):
        response = session.get(api.url)
        assert response.status_code == 200
    token = client.token()
    assert api.tokens() == [token.access_token] * 3
    assert authority.token_requests() == 1


def test_requests_retries_a_stale_token_once(authority, api, session) -> None:
    client = Client(**authority.client_options())
    stale = client.token()
    api.stale.add(stale.access_token)

    response = session.post(api.url, json={"asset": 42}, auth=RequestsAuth(client))

    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    fresh = client.token()
    assert fresh.access_token != stale.access_token
    assert api.tokens() == [stale.access_token, fresh.access_token]
    assert [call["body"] for call in api.calls] == ['{"asset": 42}'] * 2  # body replayed
    assert response.request.headers["Authorization"] == fresh.authorization
    assert authority.token_requests() == 2


def test_requests_gives_up_after_one_retry(authority, api, session) -> None:
    api.reject_all = True
    client = Client(**authority.client_options())
    response = session.get(api.url, auth=RequestsAuth(client))
    assert response.status_code == 401
    assert len(api.calls) == 2
    assert authority.token_requests() == 2


def test_requests_rewinds_a_file_body(authority, api, session) -> None:
    client = Client(**authority.client_options())
    api.stale.add(client.token().access_token)
    response = session.put(api.url, data=io.BytesIO(b"frame-data"), auth=RequestsAuth(client))
    assert response.status_code == 200
    assert [call["body"] for call in api.calls] == ["frame-data", "frame-data"]


def test_requests_does_not_replay_a_generator_body(authority, api, session) -> None:
    client = Client(**authority.client_options())
    stale = client.token()
    api.stale.add(stale.access_token)
    chunks = (part for part in [b"a", b"b"])
    response = session.put(api.url, data=chunks, auth=RequestsAuth(client))  # sent chunked
    assert response.status_code == 401  # cannot replay: the caller gets the 401 ...
    assert [call["body"] for call in api.calls] == ["ab"]
    assert client.token().access_token != stale.access_token  # ... and the next call a new token


def test_requests_many_threads_with_a_stale_token_refetch_once(authority, api, session) -> None:
    client = Client(**authority.client_options())
    api.stale.add(client.token().access_token)
    auth = RequestsAuth(client)
    barrier = threading.Barrier(16)
    statuses = []

    def call() -> None:
        with requests.Session() as own:
            own.trust_env = False
            barrier.wait(timeout=30)
            statuses.append(own.get(api.url, auth=auth).status_code)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 16
    assert authority.token_requests() == 2


# ---- httpx ----------------------------------------------------------------------------------


def test_httpx_retries_a_stale_token_once(authority, api) -> None:
    client = Client(**authority.client_options())
    stale = client.token()
    api.stale.add(stale.access_token)
    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        response = http.post(api.url, json={"asset": 7})
        again = http.get(api.url)
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    fresh = client.token()
    assert api.tokens() == [stale.access_token, fresh.access_token, fresh.access_token]
    assert api.calls[0]["body"] == api.calls[1]["body"] != ""
    assert again.status_code == 200 and again.history == []
    assert authority.token_requests() == 2


def test_httpx_gives_up_after_one_retry(authority, api) -> None:
    api.reject_all = True
    with httpx.Client(auth=HttpxAuth(Client(**authority.client_options())), trust_env=False) as http:
        response = http.get(api.url)
    assert response.status_code == 401
    assert len(api.calls) == 2


def test_httpx_does_not_replay_a_streaming_body(authority, api) -> None:
    client = Client(**authority.client_options())
    api.stale.add(client.token().access_token)

    def chunks():
        yield b"a"
        yield b"b"

    with httpx.Client(auth=HttpxAuth(client), trust_env=False) as http:
        response = http.put(api.url, content=chunks())
    assert response.status_code == 401
    assert len(api.calls) == 1


def test_httpx_async(authority, api) -> None:
    client = Client(**authority.client_options())
    stale = client.token()
    api.stale.add(stale.access_token)

    async def main():
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False) as http:
            return await asyncio.gather(*(http.get(api.url) for _ in range(8)))

    responses = asyncio.run(main())
    assert [r.status_code for r in responses] == [200] * 8
    assert authority.token_requests() == 2
