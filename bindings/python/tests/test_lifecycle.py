"""Closing: close(), `with`, garbage collection, and interpreter exit."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref

import pytest

from support import POST_CLIENT
from vidiflow_auth import Client, ConfigError


def test_with_closes(shared_authority) -> None:
    with Client(**shared_authority.client_options()) as client:
        assert not client.closed
        token = client.token()
    assert client.closed
    assert "closed" in repr(client)
    with pytest.raises(ValueError, match="closed"):
        client.token()
    with pytest.raises(ValueError, match="closed"):
        client.invalidate(token)
    client.close()  # again: nothing happens


def test_with_closes_on_an_exception(shared_authority) -> None:
    with pytest.raises(RuntimeError):
        with Client(**shared_authority.client_options()) as client:
            raise RuntimeError("boom")
    assert client.closed


def test_garbage_collection_frees_the_client(shared_authority) -> None:
    client = Client(**shared_authority.client_options())
    client.token()
    ref = weakref.ref(client)
    del client
    gc.collect()
    assert ref() is None


def test_a_failed_constructor_leaves_nothing_to_complain_about(shared_authority, monkeypatch) -> None:
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(ConfigError):
        Client(**shared_authority.client_options(bogus="1"))
    with pytest.raises(TypeError):
        Client(**shared_authority.client_options(timeout_ms=object()))
    gc.collect()
    assert unraisable == []


def test_interpreter_exit_with_live_clients_is_clean(shared_authority) -> None:
    # Clients in globals, in a reference cycle, and in use by a daemon thread when Python exits.
    script = textwrap.dedent(
        """
        import threading
        from vidiflow_auth import Client

        client = Client.from_env()
        client.token()

        class Holder:
            pass

        holder = Holder()
        holder.client = Client.from_env()
        holder.self = holder

        def busy():
            while True:
                client.token()

        threading.Thread(target=busy, daemon=True).start()
        print("exiting")
        """
    )
    env = dict(os.environ, VF_AUTHORITY=shared_authority.url, VF_CLIENT_ID=POST_CLIENT["client_id"],
               VF_CLIENT_SECRET=POST_CLIENT["client_secret"], VF_SCOPE="api1")
    for _ in range(5):
        result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "exiting\n"
        assert result.stderr == ""
