"""Security drills against real backend processes (2 workers)."""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import time
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import orjson
import pytest
from chat_backend.protocol import Ack, ErrorFrame, MessageFrame, Send, Subscribe
from chatkit import PASSWORD, Account, connect, register, unique, ws_url
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer
from itsdangerous import URLSafeSerializer
from websockets.exceptions import InvalidStatus

from tests.drills import figures
from tests.drills.conftest import StartBackend
from tests.drills.drill_env import ORIGIN, ROOM
from tests.drills.http_probe import connections_on_every_worker

REPO = Path(__file__).resolve().parents[2]
PUBLIC = {
    ("POST", "/api/register"),
    ("POST", "/api/login"),
    ("POST", "/api/logout"),  # ends the caller's own session, if any
    ("GET", "/api/healthz"),
    ("GET", "/api/readyz"),
}
# Documentation and metrics: checked on their own (see the last access test).
INTROSPECTION = [("GET", "/api/openapi.json"), ("GET", "/api/docs"), ("GET", "/api/metrics")]
HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">&amp;'


@pytest.fixture
def account(shared_backend: BackendServer) -> Account:
    return asyncio.run(register(shared_backend.url))


async def upgrade_status(base_url: str, origin: str, cookie: str | None) -> int:
    """101 when the WebSocket opens, else the HTTP status the upgrade was refused with."""
    try:
        ws = await connect(ws_url(base_url), origin, cookie)
    except InvalidStatus as refused:
        return refused.response.status_code
    await ws.close()
    return 101


async def test_cross_origin_websocket_upgrade_is_refused(
    shared_backend: BackendServer, account: Account
) -> None:
    url = shared_backend.url
    assert await upgrade_status(url, ORIGIN, account.cookie) == 101
    for origin in ("http://evil.example", "null", ORIGIN + ".evil.example", ORIGIN.replace("http", "https")):
        assert await upgrade_status(url, origin, account.cookie) == 403, origin


def valid_body(method: str, path: str) -> dict[str, str] | None:
    """A well-formed body, so what is tested is the session check, not input validation."""
    if method != "POST":
        return None
    if path == "/api/rooms":
        return {"name": unique("r")}
    return {"username": unique("x"), "password": PASSWORD}


async def answers_without_session(base_url: str, operations: list[tuple[str, str]]) -> list[str]:
    """Operations outside PUBLIC that answer anything but 401 when no cookie is sent."""
    reachable = []
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        for method, path in operations:
            response = await http.request(method, path, json=valid_body(method, path))
            if (method, path) not in PUBLIC and response.status_code != 401:
                reachable.append(f"{method} {path} -> {response.status_code}")
    return reachable


async def test_every_api_operation_but_register_login_and_health_needs_a_session(
    shared_backend: BackendServer, account: Account
) -> None:
    # The schema lists every operation; reading it takes a session too.
    async with httpx.AsyncClient(base_url=shared_backend.url, timeout=10) as http:
        schema = (await http.get("/api/openapi.json", headers={"Cookie": account.cookie})).json()
    operations = [
        (method.upper(), path.replace("{room}", ROOM))
        for path, item in schema["paths"].items()
        for method in item
    ]
    operations = [op for op in operations if op not in INTROSPECTION]
    assert len(operations) >= 9
    assert await answers_without_session(shared_backend.url, operations) == []
    assert await upgrade_status(shared_backend.url, ORIGIN, None) == 403


async def test_docs_schema_and_metrics_are_not_public(shared_backend: BackendServer) -> None:
    """Through the ingress's /api route anyone could read them (see drills-findings F5)."""
    assert await answers_without_session(shared_backend.url, INTROSPECTION) == []


def cookie_attributes(set_cookie: str) -> dict[str, str | bool]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(set_cookie)
    morsel = jar["chat_session"]
    return {key: morsel[key] for key in ("httponly", "samesite", "secure", "path")}


@pytest.mark.parametrize("secure", [False, True], ids=["COOKIE_SECURE=false", "COOKIE_SECURE=true"])
async def test_session_cookie_flags(
    redis_server: RedisServer, start_backend: StartBackend, secure: bool
) -> None:
    backend = start_backend(redis_server, workers=1, COOKIE_SECURE=str(secure).lower())
    async with httpx.AsyncClient(base_url=backend.url, timeout=20) as http:
        credentials = {"username": unique("c"), "password": PASSWORD}
        registered = await http.post("/api/register", json=credentials)
        logged_in = await http.post("/api/login", json=credentials)
    for response in (registered, logged_in):
        attributes = cookie_attributes(response.headers["set-cookie"])
        assert attributes["httponly"] is True
        assert str(attributes["samesite"]).lower() == "lax"
        assert attributes["path"] == "/"
        assert bool(attributes["secure"]) is secure


async def test_login_brute_force_is_throttled_across_workers(
    redis_server: RedisServer, start_backend: StartBackend
) -> None:
    """Failed logins counted in Redis: the 6th wrong password is refused whichever worker
    gets it, although the attempts alternate between both workers."""
    backend = start_backend(redis_server, workers=2, LOGIN_MAX_FAILURES_PER_USER="5",
                            LOGIN_MAX_FAILURES_PER_IP="20")  # fmt: skip
    victim = await register(backend.url)
    connections = await asyncio.to_thread(connections_on_every_worker, backend)
    statuses = []
    try:
        for attempt in range(12):
            connection = connections[attempt % len(connections)]
            reply = await asyncio.to_thread(
                connection.request,
                "POST",
                "/api/login",
                {"username": victim.username, "password": "wrong-pass-1"},
            )
            statuses.append(reply.status)
            if reply.status == 429:
                assert reply.json()["error"] == "too_many_attempts"
                assert int(reply.headers["Retry-After"]) > 0
        right = await asyncio.to_thread(
            connections[0].request, "POST", "/api/login", {"username": victim.username, "password": PASSWORD}
        )
    finally:
        for connection in connections:
            connection.close()
    figures.record(
        "login brute force, the attempts alternating between both workers",
        "`401` five times, then `429` with `Retry-After` (x below), even for the right password",
        statuses="".join("x" if s == 429 else "." for s in statuses),
    )
    assert statuses == [401] * 5 + [429] * 7, statuses
    assert right.status == 429, "even the right password waits out the throttle"


def signed_elsewhere(token: str) -> str:
    return str(URLSafeSerializer("another-secret-that-is-long-enough-0000", salt="chat-session").dumps(token))


def flip_first(b64: str) -> str:
    """Another first character: it carries six bits of the first byte, whereas the last one
    may carry only padding bits, so changing it can decode to the very same bytes."""
    return ("A" if b64[0] != "A" else "B") + b64[1:]


async def test_forged_and_tampered_cookies_are_rejected(
    shared_backend: BackendServer, account: Account
) -> None:
    value = account.cookie.split("=", 1)[1]
    payload, _, signature = value.rpartition(".")
    forged = {
        "garbage": "not-a-cookie",
        "tampered signature": f"{payload}.{flip_first(signature)}",
        "tampered payload": f"{flip_first(payload)}.{signature}",
        "signed with another key": signed_elsewhere("any-token"),
        "empty": "",
    }
    async with httpx.AsyncClient(base_url=shared_backend.url, timeout=10) as http:
        assert (await http.get("/api/me", headers={"Cookie": account.cookie})).status_code == 200
        for name, cookie in forged.items():
            response = await http.get("/api/me", headers={"Cookie": f"chat_session={cookie}"})
            assert response.status_code == 401, name
            assert await upgrade_status(shared_backend.url, ORIGIN, f"chat_session={cookie}") == 403, name
        # A logged-out session is dead even though its signature is valid.
        assert (await http.post("/api/logout", headers={"Cookie": account.cookie})).status_code == 204
        assert (await http.get("/api/me", headers={"Cookie": account.cookie})).status_code == 401
    assert await upgrade_status(shared_backend.url, ORIGIN, account.cookie) == 403


async def test_a_user_cannot_post_as_someone_else(shared_backend: BackendServer) -> None:
    mallory, alice = await register(shared_backend.url), await register(shared_backend.url)
    ws = await connect(ws_url(shared_backend.url), ORIGIN, mallory.cookie)
    client_id = unique("spoof")
    frame = {"type": "message", "room": ROOM, "text": "I am alice", "client_id": client_id,
             "user": alice.username, "id": "1-1", "ts": 0}  # fmt: skip
    await ws.send(orjson.dumps(frame).decode())  # verbatim: a Send model would drop the spoofed fields
    async with asyncio.timeout(10):
        while not isinstance(answer := await ws.recv(None), Ack):
            assert not isinstance(answer, ErrorFrame), answer
    await ws.close()
    async with httpx.AsyncClient(base_url=shared_backend.url, timeout=10) as http:
        history = await http.get(f"/api/rooms/{ROOM}/messages", params={"limit": 200},
                                 headers={"Cookie": alice.cookie})  # fmt: skip
    stored = [m for m in history.json()["messages"] if m["client_id"] == client_id]
    assert [m["user"] for m in stored] == [mallory.username]
    assert stored[0]["id"] == answer.id
    assert answer.id != "1-1"  # the client's "id" was ignored too


def raw_post(port: int, head: str, piece: bytes, total: int) -> tuple[str, int]:
    """POST /api/register: the headers, then `piece` again and again until the server
    answers; returns its status line and how many body bytes went out before it did."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST /api/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\n{head}\r\n".encode()
        )
        sock.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < total else [], [], 1)
            if readable:
                break
            if writable:
                with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
                    sent += sock.send(piece)
        answer = b""
        with contextlib.suppress(OSError):
            answer = sock.recv(4096)
    return answer.split(b"\r\n", 1)[0].decode(), sent


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_oversize_bodies_are_refused_early(shared_backend: BackendServer, framing: str) -> None:
    # 64 MiB: far more than the socket buffers between us and the server can hold unread.
    total = 64 * 1024 * 1024
    if framing == "content-length":
        status, sent = raw_post(shared_backend.port, f"Content-Length: {total}\r\n", b"x" * 16384, total)
    else:
        chunk = b"4000\r\n" + b"x" * 0x4000 + b"\r\n"
        status, sent = raw_post(shared_backend.port, "Transfer-Encoding: chunked\r\n", chunk, total)
    figures.record(
        f"a 64 MiB request body ({framing})",
        "refused with a 4xx long before the body ends; a declared Content-Length over the limit gets 413 "
        "before anything is read",
        status=status,
        client_bytes_written_before_answer=sent,
        of=total,
    )
    # Refused with a 4xx long before the body ends (the issue's "413 or 4xx before reading
    # everything"); a declared Content-Length over the limit is refused before any byte is read.
    assert status.startswith("HTTP/1.1 4"), status
    if framing == "content-length":
        assert status.startswith("HTTP/1.1 413"), status
    # What went out includes what the kernel buffered (a few MiB); the server read far less.
    assert sent < total // 4, f"{sent} of {total} bytes went out before the refusal"


async def test_html_and_script_payloads_come_back_verbatim_as_json_text(
    shared_backend: BackendServer, account: Account
) -> None:
    ws = await connect(ws_url(shared_backend.url), ORIGIN, account.cookie)
    await ws.send(Subscribe(room=ROOM))
    await ws.send(Send(room=ROOM, text=HOSTILE, client_id=unique("h")))
    frame = await ws.expect(MessageFrame, timeout=10)
    await ws.close()
    assert frame.message.text == HOSTILE
    async with httpx.AsyncClient(base_url=shared_backend.url, timeout=10) as http:
        history = await http.get(f"/api/rooms/{ROOM}/messages", headers={"Cookie": account.cookie})
    assert history.headers["content-type"].startswith("application/json")
    assert (
        history.json()["messages"][-1]["text"] == HOSTILE
    )  # stored and served as text, not escaped or stripped
    # In the browser it must stay text: the end-to-end suite renders such a message in chromium
    # and checks no <img>/<script> appears (tests/e2e/test_chat.py).
    e2e = (REPO / "tests" / "e2e" / "test_chat.py").read_text()
    assert "onerror" in e2e
    assert 'locator("img, script")' in e2e
