"""Threads: one request for many callers, and calls that release the GIL."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support import POST_CLIENT, Reply
from vidiflow_auth import Client

THREADS = 32


def run_together(count: int, work):
    """Runs `work(i)` in `count` threads released at the same instant; returns the results."""
    barrier = threading.Barrier(count)

    def start(i: int):
        barrier.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(start, range(count)))


def test_32_threads_on_a_cold_cache_make_one_request(authority) -> None:
    client = Client(**authority.client_options())
    tokens = run_together(THREADS, lambda i: client.token())
    assert len({token.access_token for token in tokens}) == 1
    assert authority.token_requests() == 1


def test_32_threads_with_their_own_clients_make_one_request(authority) -> None:
    # Same identity, separate Client objects: the cache is process-wide.
    tokens = run_together(THREADS, lambda i: Client(**authority.client_options()).token())
    assert len({token.access_token for token in tokens}) == 1
    assert authority.token_requests() == 1


def test_32_threads_reporting_the_same_stale_token_cause_one_refetch(authority) -> None:
    client = Client(**authority.client_options())
    stale = client.token()

    def report_and_get(i: int):
        client.invalidate(stale)
        return client.token()

    tokens = run_together(THREADS, report_and_get)
    assert len({token.access_token for token in tokens}) == 1
    assert tokens[0].access_token != stale.access_token
    assert authority.token_requests() == 2


def test_a_waiting_call_releases_the_gil(local_server) -> None:
    # The token endpoint is served by a thread of this very process and answers after 0.5 s.
    # If token() held the GIL while waiting, that thread could not answer (the call would time
    # out) and the counting thread below would not move.
    body = json.dumps({"access_token": "gil-test-token", "token_type": "Bearer", "expires_in": 3600}).encode()
    server = local_server(lambda *request: Reply(200, body, {"Content-Type": "application/json"}, delay=0.5))
    client = Client(token_endpoint=server.url + "/token", **POST_CLIENT, timeout_ms=5000)

    ticks = 0
    stop = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    counter = threading.Thread(target=count)
    counter.start()
    started = time.monotonic()
    try:
        token = client.token()
    finally:
        stop.set()
        counter.join()
    elapsed = time.monotonic() - started
    assert token.access_token == "gil-test-token"
    assert elapsed >= 0.45
    assert ticks >= 50  # ~ one per millisecond while token() waited, allowing a slow machine


def test_close_while_other_threads_call(shared_authority) -> None:
    client = Client(**shared_authority.client_options())
    client.token()
    errors = []
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                client.token()
            except ValueError:
                return  # closed: expected once close() has run
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
                return

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    client.close()
    time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert client.closed
    assert client._handle is None  # freed once the last call left
