"""Client.stats() and the library's log messages in Python's logging, across threads and fork."""

from __future__ import annotations

import logging
import os
import threading
from typing import List

import pytest

import vidiflow_auth
from support import POST_CLIENT
from vidiflow_auth import Client, OAuthError, Stats

LOGGER = "vidiflow_auth"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    handler = Records()
    logger = logging.getLogger(LOGGER)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        vidiflow_auth.set_logger(logger)


def test_stats_count_hits_misses_requests_and_errors(authority) -> None:
    with Client(**authority.client_options(cache_dir="none")) as client:
        assert client.stats() == Stats(hits=0, misses=0, requests=0, failed_requests=0, errors=0)
        client.token()
        client.token()
        stats = client.stats()
        assert (stats.hits, stats.misses, stats.requests, stats.failed_requests, stats.errors) == (1, 1, 1, 0, 0)
    with Client(**authority.client_options(client_secret="wrong", cache_dir="none")) as wrong:
        with pytest.raises(OAuthError):
            wrong.token()
        stats = wrong.stats()
        assert stats.errors == 1 and stats.failed_requests >= 1 and stats.hits == 0
    with pytest.raises(ValueError):
        client.stats()  # closed


def test_library_messages_reach_python_logging_without_secrets(authority, records) -> None:
    with Client(**authority.client_options(cache_dir="none")) as client:
        client.token()
    with Client(**authority.client_options(client_secret="wrong-s3cret-value", cache_dir="none")) as wrong:
        with pytest.raises(OAuthError):
            wrong.token()
    ours = [r for r in records if r.name == LOGGER]
    assert any(r.levelno == logging.INFO for r in ours), [r.getMessage() for r in ours]
    assert any(r.levelno == logging.ERROR for r in ours), [r.getMessage() for r in ours]
    for record in ours:
        assert POST_CLIENT["client_secret"] not in record.getMessage()
        assert "wrong-s3cret-value" not in record.getMessage()


def test_set_logger_none_silences_the_library(authority, records) -> None:
    vidiflow_auth.set_logger(None)
    with Client(**authority.client_options(cache_dir="none")) as client:
        client.token()
    assert [r for r in records if r.name == LOGGER] == []


def test_threads_get_tokens_while_the_logger_changes(authority, records) -> None:
    other = logging.getLogger(LOGGER + ".other")
    with Client(**authority.client_options(cache_dir="none", scope="api2")) as client:
        stop = threading.Event()
        failures: List[BaseException] = []

        def work() -> None:
            try:
                for _ in range(50):
                    client.token()
                    client.invalidate(client.token())
            except BaseException as e:  # noqa: BLE001
                failures.append(e)

        def toggle() -> None:
            while not stop.is_set():
                for logger in (other, None, logging.getLogger(LOGGER)):
                    vidiflow_auth.set_logger(logger)

        toggler = threading.Thread(target=toggle)
        toggler.start()
        workers = [threading.Thread(target=work) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        stop.set()
        toggler.join()
        assert failures == []
        stats = client.stats()
        assert stats.errors == 0 and stats.hits + stats.misses == 4 * 50 * 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_a_fork_child_logs_and_counts_while_parent_threads_run(authority, records) -> None:
    with Client(**authority.client_options(cache_dir="none")) as client:
        client.token()
        stop = threading.Event()

        def busy() -> None:
            while not stop.is_set():
                vidiflow_auth.set_logger(logging.getLogger(LOGGER))
                client.invalidate(client.token())

        threads = [threading.Thread(target=busy) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            pid = os.fork()
            if pid == 0:  # the child: only this thread exists
                code = 1
                try:
                    records.clear()
                    vidiflow_auth.set_logger(logging.getLogger(LOGGER))
                    with Client(**authority.client_options(cache_dir="none", scope="api2")) as child:
                        child.token()
                        stats = child.stats()
                    if stats.misses == 1 and any(r.levelno == logging.INFO for r in records):
                        code = 0
                finally:
                    os._exit(code)
            _, status = os.waitpid(pid, 0)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_stats_count_a_token_another_process_left_in_the_host_level(authority, tmp_path) -> None:
    options = authority.client_options(cache_dir=str(tmp_path / "cache"))
    with Client(**options) as client:
        client.token()
        assert client.stats() == Stats(hits=0, misses=1, requests=1, failed_requests=0, errors=0)
    pid = os.fork()
    if pid == 0:  # a new process: an empty process cache, the token on the host level
        code = 1
        try:
            with Client(**options) as child:
                child.token()
                stats = child.stats()
                expected = (1, 0, 0, 0, 0)
                seen = (stats.shared_hits, stats.redis_hits, stats.redis_misses, stats.redis_errors, stats.requests)
                code = 0 if seen == expected else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child counts one shared hit and sends no request"
    assert authority.token_requests() == 1
