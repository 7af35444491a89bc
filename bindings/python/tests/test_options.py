"""Options: by keyword, from the environment, and how values are passed."""

from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path

import pytest

from support import BASIC_CLIENT, POST_CLIENT, POST_CLIENT_2
from vidiflow_auth import Client, ConfigError, OAuthError

VF_VARIABLES = ("VF_AUTHORITY", "VF_TOKEN_ENDPOINT", "VF_CLIENT_ID", "VF_CLIENT_SECRET",
                "VF_CLIENT_SECRET_FILE", "VF_SCOPE", "VF_RESOURCE", "VF_AUTH_METHOD",
                "VF_TIMEOUT_MS")


@pytest.fixture
def clean_env(monkeypatch):
    for name in VF_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def last_request(authority) -> dict:
    return authority.stats()["requests"][-1]


def test_keyword_options_reach_the_authority(authority) -> None:
    client = Client(
        authority=authority.url,
        client_id=BASIC_CLIENT["client_id"],
        client_secret=BASIC_CLIENT["client_secret"],
        scope=["api1", "api2"],  # a list is joined with spaces
        auth_method="client_secret_basic",
        timeout_ms=5000,  # ints and bools are converted
        connect_timeout_ms=2000,
        validate_endpoints=True,
    )
    token = client.token()
    assert set(token.scope.split()) == {"api1", "api2"}
    request = last_request(authority)
    form = urllib.parse.parse_qs(request["body"])
    assert "client_secret" not in form  # Basic: the secret goes in the header only
    assert set(form["scope"][0].split()) == {"api1", "api2"}
    expected = "vf-basic:" + urllib.parse.quote_plus(BASIC_CLIENT["client_secret"])
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(expected.encode()).decode()


def test_rfc2617_basic_style_and_validate_issuer_reach_the_library(authority) -> None:
    # The dev authority URL-decodes Basic credentials: the raw '%' of this secret is refused,
    # and the message names the other style.
    client = Client(
        authority=authority.url,
        client_id=BASIC_CLIENT["client_id"],
        client_secret=BASIC_CLIENT["client_secret"],
        scope="api1",
        auth_method="client_secret_basic",
        basic_auth_style="rfc2617",
        validate_issuer=True,
    )
    with pytest.raises(OAuthError) as refused:
        client.token()
    assert "basic_auth_style=rfc6749" in str(refused.value)
    expected = "vf-basic:" + BASIC_CLIENT["client_secret"]
    assert last_request(authority)["headers"]["authorization"] == "Basic " + base64.b64encode(expected.encode()).decode()


def test_secret_file_as_a_path(authority, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(POST_CLIENT_2["client_secret"] + "\n")
    client = Client(authority=authority.url, client_id="vf-post-2", client_secret_file=secret_file)
    assert client.token().token_type == "Bearer"
    form = urllib.parse.parse_qs(last_request(authority)["body"])
    assert form["client_id"] == ["vf-post-2"]


def test_none_leaves_an_option_unset(authority) -> None:
    # scope=None: no scope is sent, and the authority grants both.
    token = Client(**authority.client_options(scope=None, resource=None)).token()
    assert set(token.scope.split()) == {"api1", "api2"}


def test_from_env(authority, clean_env) -> None:
    clean_env.setenv("VF_AUTHORITY", authority.url)
    clean_env.setenv("VF_CLIENT_ID", POST_CLIENT["client_id"])
    clean_env.setenv("VF_CLIENT_SECRET", POST_CLIENT["client_secret"])
    clean_env.setenv("VF_SCOPE", "api2")
    clean_env.setenv("VF_TIMEOUT_MS", "5000")
    with Client.from_env() as client:
        assert client.token().scope == "api2"
        assert "api2" in repr(client) and authority.url in repr(client)
    form = urllib.parse.parse_qs(last_request(authority)["body"])
    assert form["client_id"] == ["vf-post"] and form["scope"] == ["api2"]


def test_from_env_with_overrides(authority, clean_env) -> None:
    clean_env.setenv("VF_AUTHORITY", authority.url)
    clean_env.setenv("VF_CLIENT_ID", "vf-post")
    clean_env.setenv("VF_CLIENT_SECRET", "a wrong secret")
    clean_env.setenv("VF_SCOPE", "api1")
    client = Client.from_env(client_id="vf-post-2", client_secret=POST_CLIENT_2["client_secret"])
    assert client.token().scope == "api1"
    assert urllib.parse.parse_qs(last_request(authority)["body"])["client_id"] == ["vf-post-2"]


def test_key_options_reach_the_library(shared_authority, tmp_path: Path) -> None:
    not_a_key = tmp_path / "not-a-key.pem"
    not_a_key.write_text("not a key\n")
    options = shared_authority.client_options(client_secret=None)
    with pytest.raises(ConfigError) as caught:
        Client(**options, auth_method="private_key_jwt", private_key_file=not_a_key, signing_alg="RS256")
    assert "option 'private_key_file': the file holds no private key" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)


def test_from_env_bad_variable_is_named(clean_env) -> None:
    clean_env.setenv("VF_TIMEOUT_MS", "soon")
    with pytest.raises(ConfigError) as caught:
        Client.from_env()
    assert "VF_TIMEOUT_MS" in str(caught.value)


def test_from_env_with_nothing_set(clean_env) -> None:
    with pytest.raises(ConfigError) as caught:
        Client.from_env()
    assert "authority" in str(caught.value) or "client_id" in str(caught.value)


def test_unsupported_value_type_names_the_option(shared_authority) -> None:
    with pytest.raises(TypeError) as caught:
        Client(**shared_authority.client_options(timeout_ms=1.5))
    assert "timeout_ms" in str(caught.value)


def test_nul_in_a_value_is_refused(shared_authority) -> None:
    with pytest.raises(ConfigError) as caught:
        Client(**shared_authority.client_options(client_secret="abc\0def"))
    assert "client_secret" in str(caught.value)
    assert "abc" not in str(caught.value) and "def" not in str(caught.value)


def test_repr_shows_the_identity_but_never_the_secret(shared_authority) -> None:
    client = Client(**shared_authority.client_options())
    text = repr(client)
    assert shared_authority.url in text and "vf-post" in text and "api1" in text
    assert POST_CLIENT["client_secret"] not in text
    assert POST_CLIENT["client_secret"] not in str(vars(client))
