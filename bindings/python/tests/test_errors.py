"""Exceptions: the table, every family the library can raise, and no secret in any text."""

from __future__ import annotations

import builtins
import json
import pickle
import traceback

import pytest

import vidiflow_auth as va
from support import POST_CLIENT, Reply, closed_port
from vidiflow_auth import Client, Status

SECRET = POST_CLIENT["client_secret"]
WRONG_SECRET = "wrong-secret-Zq7Xw9"


def all_text(error: BaseException) -> str:
    """Everything a log could show of an exception: str, repr, the formatted traceback."""
    return "\n".join([str(error), repr(error), "".join(traceback.format_exception(error))])


def assert_no_secret(error: BaseException, *secrets: str) -> None:
    text = all_text(error)
    for secret in secrets:
        assert secret not in text


# ---- the table -------------------------------------------------------------------------------


def test_one_class_per_status_family() -> None:
    families = {status: va.error_class(status) for status in Status if status != Status.OK}
    assert len(set(families.values())) == len(families)
    for status, cls in families.items():
        assert issubclass(cls, va.VidiFlowAuthError) and cls is not va.VidiFlowAuthError
        assert cls.family_status == status
        # The library agrees on the names.
        assert va.status_name(status) == "VF_STATUS_" + status.name
        assert getattr(va, cls.__name__) is cls
    assert va.error_class(999) is va.VidiFlowAuthError
    assert va.status_name(999) == "VF_STATUS_UNKNOWN"


def test_builtin_bases() -> None:
    assert issubclass(va.AuthTimeoutError, builtins.TimeoutError)
    assert issubclass(va.NetworkError, ConnectionError)
    assert issubclass(va.InvalidArgumentError, ValueError)


def test_exceptions_pickle() -> None:
    error = va.OAuthError("refused", status=7, oauth_error="invalid_client", http_status=401,
                          retry_after=1.5)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is va.OAuthError
    assert (copy.status, copy.oauth_error, copy.http_status, copy.retry_after, str(copy)) == (
        Status.OAUTH, "invalid_client", 401, 1.5, "refused")


# ---- every family the library raises ----------------------------------------------------------


def test_bad_secret_is_an_oauth_error(shared_authority) -> None:
    client = Client(**shared_authority.client_options(client_secret=WRONG_SECRET))
    with pytest.raises(va.OAuthError) as caught:
        client.token()
    error = caught.value
    assert error.status == Status.OAUTH and error.status_name == "VF_STATUS_OAUTH"
    assert error.oauth_error == "invalid_client"
    assert error.oauth_description
    assert error.http_status == 401
    assert error.retry_after is None
    assert "invalid_client" in str(error)
    assert_no_secret(error, WRONG_SECRET, SECRET)


def test_unknown_scope_is_an_oauth_error(shared_authority) -> None:
    # invalid_scope is written by tests/authority/server.mjs, as IdentityServer answers;
    # oidc-provider alone would drop the unknown scope.
    with pytest.raises(va.OAuthError) as caught:
        Client(**shared_authority.client_options(scope="nope")).token()
    assert caught.value.oauth_error == "invalid_scope"
    assert caught.value.http_status == 400
    assert_no_secret(caught.value, SECRET)


@pytest.mark.parametrize(
    "options, names",
    [
        # An unknown key is not repeated (it could be a secret given in the wrong place).
        ({"bogus_option": "1"}, "unknown option key (12 characters"),
        ({"timeout_ms": "abc"}, "timeout_ms"),
        ({"auth_method": "client_secret_jwt"}, "auth_method"),
        ({"client_secret": SECRET + "\r\nX"}, "client_secret"),
        ({"client_id": None}, "client_id"),
        ({"authority": "http://example.com/not-loopback"}, "http"),
        ({"authority": "not a url"}, "authority"),
    ],
)
def test_bad_options_are_config_errors(shared_authority, options, names) -> None:
    with pytest.raises(va.ConfigError) as caught:
        Client(**shared_authority.client_options(**options))
    assert caught.value.status == Status.CONFIG
    assert names in str(caught.value)
    assert caught.value.http_status is None and caught.value.oauth_error is None
    assert_no_secret(caught.value, SECRET)


def test_authority_down_is_a_network_error() -> None:
    port = closed_port()
    client = Client(authority=f"http://127.0.0.1:{port}/core", **POST_CLIENT, timeout_ms=5000)
    with pytest.raises(va.NetworkError) as caught:
        client.token()
    assert str(port) in str(caught.value)
    assert isinstance(caught.value, ConnectionError)
    assert_no_secret(caught.value, SECRET)


def test_silent_authority_is_a_timeout(local_server) -> None:
    server = local_server(lambda *request: Reply(hang=True))
    client = Client(token_endpoint=server.url + "/token", **POST_CLIENT, timeout_ms=300)
    with pytest.raises(va.AuthTimeoutError) as caught:
        client.token()
    assert isinstance(caught.value, builtins.TimeoutError)
    assert_no_secret(caught.value, SECRET)


def test_bad_discovery_document_is_a_discovery_error(local_server) -> None:
    server = local_server(lambda *request: Reply(404, b"not here"))
    with pytest.raises(va.DiscoveryError) as caught:
        Client(authority=server.url + "/core", **POST_CLIENT).token()
    assert caught.value.http_status == 404
    assert_no_secret(caught.value, SECRET)


def test_server_error_is_an_http_error_with_retry_after(local_server) -> None:
    server = local_server(lambda *request: Reply(503, b"busy", {"Retry-After": "7"}))
    with pytest.raises(va.HTTPError) as caught:
        Client(token_endpoint=server.url + "/token", **POST_CLIENT).token()
    assert caught.value.http_status == 503
    assert caught.value.retry_after == 7.0
    assert caught.value.oauth_error is None
    assert_no_secret(caught.value, SECRET)


def test_clear_hold_lifts_a_retry_after_at_once(local_server) -> None:
    requests = []
    server = local_server(lambda *request: requests.append(request) or Reply(503, b"busy", {"Retry-After": "60"}))
    client = Client(token_endpoint=server.url + "/token", **POST_CLIENT)
    with pytest.raises(va.HTTPError):
        client.token()
    sent = len(requests)
    with pytest.raises(va.ThrottledError):
        client.token()  # held back for the minute the authority asked for: no request
    assert len(requests) == sent
    client.clear_hold()
    with pytest.raises(va.HTTPError):
        client.token()  # asks again at once
    assert len(requests) > sent
    client.close()
    with pytest.raises(ValueError, match="closed"):
        client.clear_hold()


def test_malformed_answer_is_a_protocol_error(local_server) -> None:
    server = local_server(lambda *request: Reply(200, b"<html>login</html>", {"Content-Type": "text/html"}))
    with pytest.raises(va.ProtocolError) as caught:
        Client(token_endpoint=server.url + "/token", **POST_CLIENT).token()
    assert_no_secret(caught.value, SECRET)


def test_unreadable_ca_file_is_a_tls_error(tmp_path) -> None:
    missing = tmp_path / "no-such-ca.pem"
    with pytest.raises(va.TLSError) as caught:
        Client(authority="https://127.0.0.1:1/core", **POST_CLIENT, ca_file=missing)
    # The option is named, the path is not: a secret given to the wrong option would be printed.
    assert "ca_file" in str(caught.value)
    assert str(missing) not in str(caught.value)
    assert_no_secret(caught.value, SECRET)


def test_too_long_min_valid_is_an_invalid_argument_error(start_authority) -> None:
    authority = start_authority(ttl=60)
    with pytest.raises(va.InvalidArgumentError) as caught:
        Client(**authority.client_options()).token(min_valid=3600)
    assert caught.value.status == Status.INVALID_ARGUMENT


def test_the_secret_never_reaches_a_message_even_when_the_server_echoes_it(local_server) -> None:
    # A hostile or buggy endpoint that reflects the request body in its error description.
    def echo(method, path, headers, body):
        document = {"error": "invalid_request", "error_description": "got " + body.decode()}
        return Reply(400, json.dumps(document).encode(), {"Content-Type": "application/json"})

    server = local_server(echo)
    with pytest.raises(va.OAuthError) as caught:
        Client(token_endpoint=server.url + "/token", **POST_CLIENT).token()
    assert_no_secret(caught.value, SECRET)


def test_an_unknown_key_is_never_quoted_as_it_may_be_a_misplaced_secret(shared_authority) -> None:
    # Key and value swapped, and a value the binding itself refuses: still no quote of the key.
    for value in ("client_secret", "client_secret\0"):
        with pytest.raises(va.ConfigError) as caught:
            Client(**shared_authority.client_options(**{"hunter2-swapped-secret": value}))
        # The message and repr (the traceback would show this test's own source line).
        assert "unknown option key" in str(caught.value)
        assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)
