"""asyncio: `Client.token_async()` and the httpx.AsyncClient flow answer a hit on the event
loop's thread, and send one request for many concurrent tasks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

import vidiflow_auth.httpx_auth as httpx_auth
from test_integrations import Api
from vidiflow_auth import Client
from vidiflow_auth.httpx_auth import HttpxAuth

TASKS = 200


class CountingExecutor(ThreadPoolExecutor):
    """The loop's default executor, counting what is handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self.submitted = 0

    def submit(self, *args, **kwargs):  # type: ignore[override]
        self.submitted += 1
        return super().submit(*args, **kwargs)


def run(main, executor: CountingExecutor):
    async def with_executor():
        asyncio.get_running_loop().set_default_executor(executor)
        return await main()

    return asyncio.run(with_executor())


def test_many_tasks_on_a_cold_cache_make_one_request(authority) -> None:
    client = Client(**authority.client_options())
    executor = CountingExecutor()

    async def main():
        return await asyncio.gather(*(client.token_async() for _ in range(TASKS)))

    tokens = run(main, executor)
    assert len({token.access_token for token in tokens}) == 1
    assert authority.token_requests() == 1
    assert executor.submitted >= 1, "the miss ran in a worker thread"


def test_a_hit_is_answered_on_the_loop_thread(authority) -> None:
    client = Client(**authority.client_options())
    warm = client.token()
    executor = CountingExecutor()

    async def main():
        loop_thread = threading.get_ident()
        tokens = await asyncio.gather(*(client.token_async() for _ in range(TASKS)))
        longer = await client.token_async(min_valid=600)
        return loop_thread, tokens, longer

    loop_thread, tokens, longer = run(main, executor)
    assert executor.submitted == 0, "a hit hopped to a thread"
    assert {token.access_token for token in tokens} == {warm.access_token}
    assert longer.access_token == warm.access_token
    assert loop_thread != 0
    assert authority.token_requests() == 1


def test_httpx_async_flow_one_request_and_no_thread_hop_on_a_hit(authority, local_server, monkeypatch) -> None:
    api = Api(local_server)
    client = Client(**authority.client_options())
    hops = []
    in_thread = httpx_auth._in_thread

    async def counting(function, *args):
        hops.append(function)
        return await in_thread(function, *args)

    monkeypatch.setattr(httpx_auth, "_in_thread", counting)

    async def main(count: int):
        # 64 tasks run the auth flow at once; 8 connections spare the small local server's backlog.
        limits = httpx.Limits(max_connections=8)
        async with httpx.AsyncClient(auth=HttpxAuth(client), trust_env=False, limits=limits) as http:
            return await asyncio.gather(*(http.get(api.url) for _ in range(count)))

    responses = asyncio.run(main(64))
    assert [r.status_code for r in responses] == [200] * 64
    assert authority.token_requests() == 1
    assert len(set(api.tokens())) == 1
    cold_hops = len(hops)
    assert cold_hops >= 1

    responses = asyncio.run(main(64))
    assert [r.status_code for r in responses] == [200] * 64
    assert len(hops) == cold_hops, "a cached token hopped to a thread"
    assert authority.token_requests() == 1
