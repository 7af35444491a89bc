"""Helpers for the tests: the dev authority (tests/authority/server.mjs), small local HTTP
servers, and the test clients' credentials."""


from __future__ import annotations

import json
import os
import select
import socket
import shutil
import subprocess
import threading
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVER = REPO_ROOT / "tests" / "authority" / "server.mjs"

# Loopback never goes through a proxy, whatever this machine's environment says.
for _name in ("NO_PROXY", "no_proxy"):
    _current = os.environ.get(_name, "")
    os.environ[_name] = "127.0.0.1,localhost" + ("," + _current if _current else "")

POST_CLIENT = {"client_id": "vf-post", "client_secret": "post-secret-0123456789"}
BASIC_CLIENT = {"client_id": "vf-basic", "client_secret": "a+b/c=d%e&f:g"}
POST_CLIENT_2 = {"client_id": "vf-post-2", "client_secret": "second-secret-abcdef"}

# Talks to local test servers only: never through a proxy, never with the environment's CA.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with _direct.open(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


class Authority:
    """One dev authority process."""

    def __init__(self, ttl: int = 3600) -> None:
        if shutil.which("node") is None:
            pytest.fail("node is not installed: the dev authority needs it")
        if not (SERVER.parent / "node_modules" / "oidc-provider").is_dir():
            pytest.fail("the dev authority is not installed: run `make deps-node`")
        env = dict(os.environ, VF_TEST_EXIT_ON_STDIN_CLOSE="1", VF_TEST_TOKEN_TTL=str(ttl))
        self.process = subprocess.Popen(
            ["node", str(SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 20)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            pytest.fail("the dev authority did not start (no ready line within 20 s)")
        info = json.loads(line)
        self.url: str = info["authority"]
        self.port: int = info["port"]
        self.stats_url: str = info["stats"]
        self.ttl = ttl

    def stats(self) -> Dict[str, Any]:
        result: Dict[str, Any] = http_json(self.stats_url)
        return result

    def token_requests(self) -> int:
        return int(self.stats()["token_requests"])

    def reset(self) -> None:
        http_json(self.stats_url.replace("/stats", "/reset"), method="POST")

    def client_options(self, **overrides: Any) -> Dict[str, Any]:
        """Keyword arguments for vidiflow_auth.Client: the vf-post client, scope api1."""
        return {"authority": self.url, **POST_CLIENT, "scope": "api1", **overrides}

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin:
                self.process.stdin.close()  # it exits when stdin closes
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()


# ---- small local HTTP servers ---------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: Optional[Dict[str, str]] = None
    delay: float = 0.0
    # Accept the connection but never answer (for timeouts).
    hang: bool = False


Handler = Callable[[str, str, Dict[str, str], bytes], Reply]


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 that answers with `handler(method, path, headers, body)`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.release = threading.Event()  # lets hanging handlers go at shutdown
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self._read_body()
                reply = outer.handler(self.command, self.path, dict(self.headers.items()), body)
                if reply.hang:
                    outer.release.wait(30)
                    self.close_connection = True
                    return
                if reply.delay:
                    outer.release.wait(reply.delay)
                self.send_response(reply.status)
                for name, value in (reply.headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass  # trailers
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()  # CRLF after the chunk
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound once by us, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
