"""Ours and the peers, behind one small interface.

Each peer is a class made from an authority description (``Authority.describe()``) and a client
id, with two methods:

- ``get()``: what an application calls each time it needs a token (the access token string);
  for a library with a cache this is where a cache hit happens;
- ``refresh()``: one token request to the authority on the peer's kept-alive connection, for
  the refresh-cost measurement (ours: invalidate the cached token, then get).

The peers, all pinned in benches/requirements.txt:

- ``ours``: the Python binding (bindings/python, ctypes over libvidiflow_auth.so);
- ``msal``: ``ConfidentialClientApplication(..., oidc_authority=...).acquire_token_for_client``
  with its in-memory token cache, over a ``requests.Session`` that trusts the run's CA;
- ``authlib``: ``OAuth2Session.fetch_token(grant_type="client_credentials")``; it has no token
  cache, so every ``get()`` is a request;
- ``requests`` / ``httpx``: a hand-written client-credentials POST on a reused Session / Client,
  no cache: the "just write the POST yourself" baseline.

Every HTTP client here ignores proxy variables (``trust_env=False``): the authority is loopback.
Every request uses ``client_secret_post``, as ours does by default, so the bytes on the wire
are alike.
"""

from __future__ import annotations

import ssl
from typing import Any, Callable, Dict

from .authority import AUTH_METHODS, CLIENTS, SCOPE

Description = Dict[str, Any]


class Ours:
    name = "ours"

    def __init__(self, auth: Description, client_id: str = "vf-post", scope: str = SCOPE) -> None:
        from vidiflow_auth import Client

        self.client = Client(
            authority=auth["authority"], client_id=client_id, client_secret=CLIENTS[client_id],
            scope=scope, ca_file=auth["ca"],
        )

    def get(self) -> str:
        return self.client.token().access_token

    def refresh(self) -> str:
        self.client.invalidate(self.client.token())
        return self.client.token().access_token


def _requests_session(auth: Description) -> Any:
    import requests

    session = requests.Session()
    session.verify = auth["ca"]
    session.trust_env = False  # no proxies, no REQUESTS_CA_BUNDLE override
    return session


class Msal:
    name = "msal"

    def __init__(self, auth: Description, client_id: str = "vf-post", scope: str = SCOPE) -> None:
        import msal

        self.session = _requests_session(auth)
        # oidc_authority: a generic OpenID Connect authority (discovery at {authority}/.well-known/...).
        # Constructing the app fetches the discovery document.
        self.app = msal.ConfidentialClientApplication(
            client_id, client_credential=CLIENTS[client_id], oidc_authority=auth["authority"],
            http_client=self.session,
        )
        self.scopes = [scope]

    def get(self) -> str:
        result = self.app.acquire_token_for_client(scopes=self.scopes)
        if "access_token" not in result:
            raise RuntimeError(f"msal: {result.get('error')}: {result.get('error_description')}")
        return result["access_token"]

    def refresh(self) -> str:
        # acquire_token_for_client refuses force_refresh: empty msal's cache instead.
        self.app.remove_tokens_for_client()
        return self.get()


class Authlib:
    name = "authlib"

    def __init__(self, auth: Description, client_id: str = "vf-post", scope: str = SCOPE) -> None:
        from urllib.parse import quote_plus

        from authlib.integrations.requests_client import OAuth2Session

        method = AUTH_METHODS[client_id]
        name, secret = client_id, CLIENTS[client_id]
        if method == "client_secret_basic":
            # RFC 6749 §2.3.1 form-encodes both before Basic; authlib sends them as they are,
            # which the dev authority refuses for a secret like vf-basic's ("a+b/c=d%e&f:g").
            name, secret = quote_plus(name), quote_plus(secret)
        self.session = OAuth2Session(name, secret, scope=scope, token_endpoint_auth_method=method)
        self.session.verify = auth["ca"]
        self.session.trust_env = False
        self.token_endpoint = auth["token_endpoint"]

    def get(self) -> str:
        token = self.session.fetch_token(self.token_endpoint, grant_type="client_credentials")
        return token["access_token"]

    refresh = get  # no cache: every get() is a request


class Requests:
    name = "requests"

    def __init__(self, auth: Description, client_id: str = "vf-post", scope: str = SCOPE) -> None:
        self.session = _requests_session(auth)
        self.token_endpoint = auth["token_endpoint"]
        self.form = {"grant_type": "client_credentials", "scope": scope, "client_id": client_id,
                     "client_secret": CLIENTS[client_id]}

    def get(self) -> str:
        response = self.session.post(self.token_endpoint, data=self.form, headers={"Accept": "application/json"},
                                     timeout=30)
        response.raise_for_status()
        return response.json()["access_token"]

    refresh = get


class Httpx:
    name = "httpx"

    def __init__(self, auth: Description, client_id: str = "vf-post", scope: str = SCOPE) -> None:
        import httpx

        self.client = httpx.Client(verify=ssl.create_default_context(cafile=auth["ca"]), trust_env=False,
                                   timeout=30)
        self.token_endpoint = auth["token_endpoint"]
        self.form = {"grant_type": "client_credentials", "scope": scope, "client_id": client_id,
                     "client_secret": CLIENTS[client_id]}

    def get(self) -> str:
        response = self.client.post(self.token_endpoint, data=self.form, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()["access_token"]

    refresh = get


PEERS: Dict[str, Callable[..., Any]] = {
    "ours": Ours,
    "msal": Msal,
    "authlib": Authlib,
    "requests": Requests,
    "httpx": Httpx,
}

#: Which peers keep a token cache (the others request on every call).
CACHING = {"ours", "msal"}


def make(peer: str, auth: Description, **kwargs: Any) -> Any:
    return PEERS[peer](auth, **kwargs)
