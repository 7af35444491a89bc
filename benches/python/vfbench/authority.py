"""The dev authority (tests/authority/server.mjs) over TLS, with a CA made for the run.

msal insists on https and on an authority whose issuer matches, so every measurement, ours and
the peers', runs against an https authority at ``https://localhost:PORT/Integrations/...``
whose certificate is signed by a throw-away CA (``Pki``). Each client trusts that CA
explicitly: ``ca_file`` for ours, ``verify=`` for requests/httpx/msal/authlib, ``--cacert`` for
curl. Nothing here touches the system's trust store.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, Optional

REPO = Path(__file__).resolve().parents[3]
SERVER = REPO / "tests" / "authority" / "server.mjs"

#: The dev authority's clients (tests/authority/README.md).
CLIENTS = {
    "vf-post": "post-secret-0123456789",
    "vf-post-2": "second-secret-abcdef",
    "vf-basic": "a+b/c=d%e&f:g",
}
# How each of them must authenticate: the dev authority holds a client to its registered method.
AUTH_METHODS = {
    "vf-post": "client_secret_post",
    "vf-post-2": "client_secret_post",
    "vf-basic": "client_secret_basic",
}
SCOPE = "api1"


class Pki:
    """A CA and a certificate for ``localhost`` signed by it, made with openssl (as tests/tls.rs)."""

    def __init__(self, directory: Path) -> None:
        directory = directory.resolve()
        self.dir = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = directory / "ca.pem"
        self.cert = directory / "server.pem"
        self.key = directory / "server.key"
        if self.ca.is_file() and self.cert.is_file() and self.key.is_file() and self._fresh():
            return
        (directory / "san.ext").write_text("subjectAltName=DNS:localhost\n")
        for args in (
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
             "-days", "2", "-subj", "/CN=vidiflow-auth bench CA"],
            ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
             "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "san.ext"],
        ):
            subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    def _fresh(self) -> bool:
        # The certificates are valid for 2 days: remake them after one.
        return time.time() - self.cert.stat().st_mtime < 86400


class Authority:
    """One running dev authority; ``with Authority(pki, ttl=5) as a: ...``.

    ``tls=False`` serves plain http on 127.0.0.1 (only the valgrind run uses it: see run.py).
    """

    def __init__(self, pki: Pki, ttl: int = 3600, tls: bool = True) -> None:
        self.pki = pki
        self.ttl = ttl
        self.tls = tls
        env = {k: v for k, v in os.environ.items() if not k.startswith("VF_TEST_")}
        env.update(VF_TEST_TOKEN_TTL=str(ttl), VF_TEST_EXIT_ON_STDIN_CLOSE="1")
        if tls:
            env.update(VF_TEST_TLS_CERT=str(pki.cert), VF_TEST_TLS_KEY=str(pki.key), VF_TEST_HOST_NAME="localhost")
        self.process = subprocess.Popen(
            ["node", str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(5)
            raise RuntimeError(f"the dev authority did not start (exit status {self.process.returncode})")
        ready = json.loads(line)
        self.url: str = ready["authority"]
        self.port: int = ready["port"]
        self.stats_url: str = ready["stats"]
        self.reset_url = self.stats_url.replace("/__test/stats", "/__test/reset")
        self.token_endpoint = f"{self.url}/connect/token"
        self._ssl = ssl.create_default_context(cafile=str(pki.ca))
        # Loopback, never a proxy, whatever the environment says.
        self._opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self._ssl)
        )

    def __enter__(self) -> "Authority":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stats(self) -> Dict[str, Any]:
        with self._opener.open(self.stats_url, timeout=10) as response:
            return json.load(response)

    def token_requests(self) -> int:
        return int(self.stats()["token_requests"])

    def reset(self) -> None:
        request = urllib.request.Request(self.reset_url, data=b"", method="POST")
        with self._opener.open(request, timeout=10) as response:
            response.read()

    def env(self, client_id: str = "vf-post", scope: Optional[str] = SCOPE) -> Dict[str, str]:
        """The environment for a program of ours (the C harness, vf-token, the Python binding)."""
        env = dict(os.environ)
        for key in list(env):
            if key.startswith("VF_") and key not in ("VF_LIBRARY_PATH",):
                del env[key]
        env.update(
            VF_AUTHORITY=self.url,
            VF_CLIENT_ID=client_id,
            VF_CLIENT_SECRET=CLIENTS[client_id],
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        if self.tls:
            env["VF_CA_FILE"] = str(self.pki.ca)
        if scope:
            env["VF_SCOPE"] = scope
        return env

    def describe(self) -> Dict[str, Any]:
        """What the peers' worker processes need to reach this authority."""
        return {
            "authority": self.url,
            "token_endpoint": self.token_endpoint,
            "ca": str(self.pki.ca),
            "ttl": self.ttl,
        }
