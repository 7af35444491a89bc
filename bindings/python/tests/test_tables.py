"""The generated tables (``_tables.py``, ``_exceptions.py``) against the loaded library."""

from __future__ import annotations

from typing import Any, List

import pytest

import vidiflow_auth
from vidiflow_auth import OPTION_KEYS, Client, ConfigError, Status, error_class, status_name
from vidiflow_auth import _client


def library_known_keys() -> List[str]:
    # The library's refusal of an unknown key lists every key it knows.
    with pytest.raises(ConfigError) as refused:
        Client(authority="https://id.example.com", no_such_option="x")
    message = str(refused.value)
    assert "no_such_option" not in message
    return message.split("Known keys: ", 1)[1].rstrip(".").split(", ")


def test_option_table_lists_exactly_the_keys_the_library_knows() -> None:
    assert list(OPTION_KEYS) == library_known_keys()
    for name, key in OPTION_KEYS.items():
        assert key.name == name and key.summary
        assert key.kind in ("url", "path", "bool", "milliseconds", "seconds", "text")


def test_option_keys_are_listed_in_client_docstring() -> None:
    doc = Client.__doc__ or ""
    for name in OPTION_KEYS:
        assert f"``{name}``" in doc


def test_status_enum_and_exception_classes_match_the_library() -> None:
    for status in Status:
        assert status_name(status) == "VF_STATUS_" + status.name
        if status != Status.OK:
            cls = error_class(status)
            assert cls is not vidiflow_auth.VidiFlowAuthError
            assert cls.family_status == status
            assert getattr(vidiflow_auth, cls.__name__) is cls
    # One past the table is no status: the library knows no more statuses than the enum.
    assert status_name(len(Status)) == "VF_STATUS_UNKNOWN"
    assert error_class(len(Status)) is vidiflow_auth.VidiFlowAuthError


class CountingLibrary:
    """The loaded library, counting calls to ``vf_options_set``."""

    def __init__(self, lib: Any) -> None:
        self._lib = lib
        self.options_set_keys: List[bytes] = []

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._lib, name)
        if name != "vf_options_set":
            return function

        def counted(handle: Any, key: bytes, value: bytes, err: Any) -> Any:
            self.options_set_keys.append(key)
            return function(handle, key, value, err)

        return counted


def test_each_known_option_is_set_with_one_library_call(shared_authority, monkeypatch) -> None:
    counting = CountingLibrary(_client._lib)
    monkeypatch.setattr(_client, "_lib", counting)
    with Client(**shared_authority.client_options(timeout_ms=5000)):
        pass
    keys = sorted(counting.options_set_keys)
    assert keys == sorted(set(keys)), "a key was set more than once"
    assert b"timeout_ms" in keys and b"client_secret" in keys


def test_an_unknown_key_is_refused_by_the_library_without_being_quoted(monkeypatch) -> None:
    counting = CountingLibrary(_client._lib)
    monkeypatch.setattr(_client, "_lib", counting)
    with pytest.raises(ConfigError) as refused:
        Client(authority="https://id.example.com", client_id="svc", **{"s3cret-value": "client_secret"})
    assert "s3cret" not in str(refused.value)
    assert "unknown option key" in str(refused.value)
    assert counting.options_set_keys[-1] == b"s3cret-value"
