"""The NGINX rules shared by the container and `make dev`, checked on the running stack."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import psutil
import pytest
from chat_backend.protocol import Ping, Pong
from chatkit import ChatClient
from devstack.nginx_server import MAX_BODY_BYTES
from devstack.stack import DevStack


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (our own http URL)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own http URL)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def test_security_headers_on_every_kind_of_response(stack: DevStack) -> None:
    for path in ["/", "/login", "/assets/missing.js", "/healthz", "/api/healthz"]:
        _, headers, _ = fetch(stack.url + path)
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert f"connect-src 'self' ws://127.0.0.1:{stack.port} wss://127.0.0.1:{stack.port};" in csp, path
        assert "'unsafe-inline'" not in csp
        assert "'unsafe-eval'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path


def test_a_malformed_host_is_not_echoed_into_the_policy(stack: DevStack) -> None:
    _, headers, _ = fetch(stack.url + "/", {"Host": "evil;script-src*"})
    assert "evil" not in headers["Content-Security-Policy"]


def test_spa_fallback_and_caching(stack: DevStack) -> None:
    status, headers, index = fetch(stack.url + "/")
    assert status == 200
    assert headers["Cache-Control"] == "no-cache"
    # Client-side routes: the login page and every room's and DM's address.
    for route in ["/login", "/r/general", "/r/release.v2", "/dm/ann_1", "/r/no-such-room"]:
        status, headers, body = fetch(stack.url + route)
        assert status == 200, route
        assert body == index, route
        assert headers["Cache-Control"] == "no-cache", route
    asset = index.decode().split('src="', 1)[1].split('"', 1)[0]
    assert asset.startswith("/assets/index-")
    status, headers, _ = fetch(stack.url + asset)
    assert status == 200
    assert headers["Cache-Control"] == "max-age=31536000"
    status, _, _ = fetch(stack.url + "/assets/missing.js")
    assert status == 404


def test_assets_are_gzipped(stack: DevStack) -> None:
    _, _, index = fetch(stack.url + "/")
    asset = index.decode().split('src="', 1)[1].split('"', 1)[0]
    status, headers, body = fetch(stack.url + asset, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < len(gzip.decompress(body)) / 2


@pytest.mark.parametrize(("path", "expected"), [("/healthz", b"ok\n"), ("/api/healthz", b'{"status":"ok"}')])
def test_health_endpoints(stack: DevStack, path: str, expected: bytes) -> None:
    status, _, body = fetch(stack.url + path)
    assert status == 200
    assert body == expected


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(  # noqa: S310 (our own http URL)
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own http URL)
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 1, 100 * 1024, 2 * 1024 * 1024])
def test_an_oversize_body_is_answered_413_never_502(stack: DevStack, size: int) -> None:
    body = b'{"username": "' + b"x" * size + b'", "password": "correct-horse-1"}'
    for _ in range(10):  # the 502 came from a race: try it more than once
        status, headers, answer = post(stack.url + "/api/register", body)
        assert status == 413, answer[:200]
        assert json.loads(answer)["error"] == "body_too_large"
        assert headers["Content-Type"].startswith("application/json")


def test_a_client_written_forwarded_for_does_not_dodge_the_address_ceiling(tmp_path: Path) -> None:
    # A stack of its own: the attempts use up 127.0.0.1's login budget for minutes.
    with DevStack(tmp_path / "stack", backend_env={"LOGIN_MAX_FAILURES_PER_IP": "4"}) as stack:
        statuses = []
        for n in range(6):
            body = json.dumps({"username": f"nobody{n}", "password": "not-the-password"}).encode()
            forged = {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"203.0.113.{n}"}
            statuses.append(post(stack.url + "/api/login", body, forged)[0])
        assert statuses == [401] * 4 + [429] * 2


# worker_connections 1024 let about 500 proxied WebSockets through (each holds two connections).
SOCKETS_PAST_THE_OLD_LIMIT = 1500


def test_thousands_of_websockets_pass_through(tmp_path: Path) -> None:
    """The shared limits (chat-limits.conf) hold: every socket opens and stays usable, and the
    worker may hold the descriptors 10,000 sockets need. (A stack of its own: one user opens
    them all, past the backend's per-user socket ceiling, which is not what is tried here.)"""
    env = {"MAX_SOCKETS_PER_USER": str(SOCKETS_PAST_THE_OLD_LIMIT)}
    with DevStack(tmp_path / "stack", backend_env=env) as stack:
        asyncio.run(_open_many(stack))
        assert stack.nginx.proc is not None
        for worker in psutil.Process(stack.nginx.proc.pid).children():
            limits = Path(f"/proc/{worker.pid}/limits").read_text()
            (line,) = [line for line in limits.splitlines() if line.startswith("Max open files")]
            assert int(line.split()[3]) >= 2 * 10_000, line


async def _open_many(stack: DevStack) -> None:
    async with contextlib.aclosing(ChatClient(stack.url, stack.url)) as client:
        await client.register()
        sockets = [await client.ws() for _ in range(SOCKETS_PAST_THE_OLD_LIMIT)]
        try:
            for sock in (sockets[0], sockets[-1]):
                await sock.send(Ping())
                await sock.expect(Pong)
        finally:
            await asyncio.gather(*(sock.close() for sock in sockets))
