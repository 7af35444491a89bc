"""Getting tokens: fields, the cache, min_valid, invalidate."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from datetime import datetime, timedelta, timezone

import pytest

import vidiflow_auth
from vidiflow_auth import Client, InvalidArgumentError, Token


def jwt_claims(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_installed_package_is_tested() -> None:
    # Not ./src: the installed wheel, with the library next to the module.
    assert "site-packages" in vidiflow_auth.__file__
    assert vidiflow_auth.library_path.endswith("libvidiflow_auth.so")
    assert vidiflow_auth.library_version() == vidiflow_auth.__version__


def test_token_fields(authority) -> None:
    before = datetime.now(timezone.utc)
    with Client(**authority.client_options()) as client:
        token = client.token()

    assert isinstance(token, Token)
    assert token.token_type == "Bearer"
    assert token.scope == "api1"
    assert token.authorization == "Bearer " + token.access_token
    claims = jwt_claims(token.access_token)
    assert claims["sub"] == "vf-post"
    assert claims["scope"] == "api1"
    assert token.expires_at.tzinfo is not None
    assert token.expires_at.utcoffset() == timedelta(0)
    assert before + timedelta(seconds=3590) <= token.expires_at <= before + timedelta(seconds=3610)
    assert token.expires_at.timestamp() == pytest.approx(claims["exp"], abs=2)
    assert 3590 <= token.expires_in <= 3600
    assert authority.token_requests() == 1


def test_token_is_immutable_and_its_repr_hides_the_token(shared_authority) -> None:
    token = Client(**shared_authority.client_options()).token()
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.access_token = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        token.expires_at = datetime.now(timezone.utc)  # type: ignore[misc]
    assert token.access_token not in repr(token)
    assert "Bearer" in repr(token) and "api1" in repr(token)


def test_the_second_call_is_a_cache_hit(authority) -> None:
    client = Client(**authority.client_options())
    first = client.token()
    second = client.token()
    # A second client of the same identity shares the process-wide cache.
    third = Client(**authority.client_options()).token()
    assert first.access_token == second.access_token == third.access_token
    assert authority.token_requests() == 1
    assert authority.stats()["discovery_requests"] == 1


def test_a_hit_asks_only_whether_the_token_handed_out_last_is_current(authority, monkeypatch) -> None:
    from vidiflow_auth import _client

    asked = []

    class CountingHot:
        """The PyDLL the hits go through, counting the calls that hand out a reference."""

        def __getattr__(self, name):
            function = getattr(_client._native.hot, name)
            if name != "vf_token_get_cached":
                return function
            return lambda *args: asked.append(name) or function(*args)

    monkeypatch.setattr(_client, "_hot", CountingHot())
    client = Client(**authority.client_options())
    first, second = client.token(), client.token()  # a miss, then a hit that is kept
    hits = client.stats().hits
    asked.clear()
    tokens = [client.token(), client.token(min_valid=1200), client.token()]
    assert all(token is second for token in tokens), "the kept Token itself, nothing copied"
    assert asked == [], "no reference taken or released: one vf_token_is_current each"
    assert client.stats().hits == hits + 3
    assert first.access_token == second.access_token

    client.invalidate(second)
    fresh = client.token()
    assert fresh.access_token != second.access_token
    assert asked == ["vf_token_get_cached"], "not current any more: the library is asked"
    client.close()
    assert client._held is None and client._native is None, "close lets go of both"
    with pytest.raises(ValueError, match="closed"):
        client.token()


def test_the_token_outlives_the_client(shared_authority) -> None:
    client = Client(**shared_authority.client_options())
    token = client.token()
    client.close()
    del client
    assert token.authorization.startswith("Bearer ey")


def test_min_valid(start_authority) -> None:
    authority = start_authority(ttl=300)
    client = Client(**authority.client_options())
    token = client.token(min_valid=200)
    assert token.expires_in >= 200
    assert client.token(min_valid=timedelta(seconds=100)).access_token == token.access_token
    assert authority.token_requests() == 1
    with pytest.raises(InvalidArgumentError) as caught:
        client.token(min_valid=400)
    assert "400" in str(caught.value) and "300" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("bad", [-1, 2**32, float("nan")])
def test_min_valid_out_of_range(shared_authority, bad) -> None:
    with pytest.raises(ValueError):
        Client(**shared_authority.client_options()).token(min_valid=bad)


def test_invalidate_fetches_a_new_token_once(authority) -> None:
    client = Client(**authority.client_options())
    stale = client.token()
    client.invalidate(stale)
    fresh = client.token()
    assert fresh.access_token != stale.access_token
    assert jwt_claims(fresh.access_token)["jti"] != jwt_claims(stale.access_token)["jti"]
    # Reporting the old token again (another thread, late) keeps the newer one.
    client.invalidate(stale.access_token)
    assert client.token().access_token == fresh.access_token
    assert authority.token_requests() == 2


def test_expiry_near_the_safety_buffer_fetches_again(start_authority) -> None:
    # Lifetime 3 s: the 10 % safety buffer is 0.3 s, so after ~2.8 s the cached token is stale.
    authority = start_authority(ttl=3)
    client = Client(**authority.client_options())
    first = client.token()
    assert first.expires_in <= 3
    time.sleep(2.9)
    second = client.token()
    assert second.access_token != first.access_token
    assert authority.token_requests() == 2
