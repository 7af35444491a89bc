"""Fixtures: the dev authority and small local HTTP servers (see support.py).

The token cache is process-wide and keyed by the authority's URL, so a test that counts the
requests reaching the authority takes its own instance (`authority`: a fresh process on a new
ephemeral port); other tests share one (`shared_authority`).
"""

from __future__ import annotations

import urllib.parse
from typing import Callable, Iterator, Set

import pytest

from support import Authority, Handler, LocalServer


@pytest.fixture(scope="session")
def shared_authority() -> Iterator[Authority]:
    """One authority for the tests that do not count requests (its cache stays warm)."""
    authority = Authority()
    yield authority
    authority.stop()


_USED_PORTS: Set[int] = set()


@pytest.fixture
def start_authority() -> Iterator[Callable[..., Authority]]:
    """Starts fresh authorities (so a fresh, cold cache) with a chosen token lifetime."""
    started = []

    def start(ttl: int = 3600) -> Authority:
        # An ephemeral port an earlier authority had gives the same authority URL, so the same
        # cache key: that authority's token would still be in this process's cache. Take a port
        # this session has not used.
        while True:
            authority = Authority(ttl=ttl)
            port = urllib.parse.urlsplit(authority.url).port
            if port not in _USED_PORTS:
                break
            authority.stop()
        _USED_PORTS.add(port)
        started.append(authority)
        return authority

    yield start
    for authority in started:
        authority.stop()


@pytest.fixture
def authority(start_authority: Callable[..., Authority]) -> Authority:
    """A fresh authority: nothing of it is cached yet."""
    return start_authority()


@pytest.fixture
def local_server() -> Iterator[Callable[[Handler], LocalServer]]:
    servers = []

    def start(handler: Handler) -> LocalServer:
        server = LocalServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
