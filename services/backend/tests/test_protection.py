"""Protection: Origin allow-list, throttling and rate limits held in Redis, bounded send
queues, and a reasoned error for every kind of malformed frame."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import httpx
import pytest
from chat_backend.protocol import ErrorFrame, Ping, Pong, Send
from chatkit import PASSWORD, ChatClient, unique
from conftest import ORIGIN, MakeUser, StartBackend
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


async def test_cross_origin_upgrade_is_refused(make_user: MakeUser) -> None:
    client = await make_user()
    for origin in ("http://evil.test", "http://chat.test.evil.test"):
        with pytest.raises(InvalidStatus) as refused:
            await client.ws(origin=origin)
        assert refused.value.response.status_code == 403
    url = client.base_url.replace("http://", "ws://") + "/api/ws"
    with pytest.raises(InvalidStatus) as no_origin:
        await connect(url, additional_headers={"Cookie": client.cookie_header}, proxy=None)
    assert no_origin.value.response.status_code == 403


async def test_upgrade_without_a_valid_session_is_refused(make_client: Callable[..., ChatClient]) -> None:
    client = make_client()
    with pytest.raises(InvalidStatus) as anonymous:
        await client.ws()
    assert anonymous.value.response.status_code == 403
    await client.register()
    tampered_cookie = client.cookie_header[:-2] + ("xx" if not client.cookie_header.endswith("xx") else "yy")
    url = client.base_url.replace("http://", "ws://") + "/api/ws"
    with pytest.raises(InvalidStatus) as tampered:
        await connect(url, origin=client.origin, additional_headers={"Cookie": tampered_cookie}, proxy=None)  # type: ignore[arg-type]
    assert tampered.value.response.status_code == 403


BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_frame"),
    ('"text"', "bad_frame"),
    ("{}", "missing_field"),
    ('{"type": "dance"}', "unknown_type"),
    ('{"type": 7}', "unknown_type"),
    ('{"type": "subscribe"}', "missing_field"),
    ('{"type": "subscribe", "room": 5}', "invalid_field"),
    ('{"type": "subscribe", "room": "../etc"}', "invalid_field"),
    ('{"type": "subscribe", "room": "nosuchroom"}', "unknown_room"),
    ('{"type": "subscribe", "room": "general", "since": "yesterday"}', "invalid_field"),
    ('{"type": "subscribe", "room": "general", "since": 12}', "invalid_field"),
    ('{"type": "message", "room": "general", "text": "hi"}', "missing_field"),
    ('{"type": "message", "room": "general", "client_id": "c"}', "missing_field"),
    ('{"type": "message", "room": "general", "text": 5, "client_id": "c"}', "invalid_field"),
    ('{"type": "message", "room": "general", "text": "hi", "client_id": ""}', "invalid_field"),
    ('{"type": "message", "room": "general", "text": "   ", "client_id": "c"}', "invalid_field"),
    # Only invisible characters: zero-width space, word joiner, BOM, variation selectors, a
    # Hangul filler, a tag character, a soft hyphen.
    *(
        ('{"type": "message", "room": "general", "text": "' + text + '", "client_id": "c"}', "invalid_field")
        for text in ("\u200b", "\u2060 \ufeff", "\ufe0f\ufe0e", "\u3164", "\U000e0041", "\u00ad\u200d")
    ),
    ('{"type": "subscribe", "room": "general", "since": "99999999999999999999"}', "invalid_field"),
    ('{"type": "subscribe", "room": "general", "since": "1-99999999999999999999"}', "invalid_field"),
    ('{"type": "message", "room": "nosuchroom", "text": "hi", "client_id": "c"}', "unknown_room"),
    ('{"type": "message", "room": "general", "text": "' + "x" * 4001 + '", "client_id": "c"}', "too_long"),
    ('{"type": "unsubscribe"}', "missing_field"),
    ('{"type": "typing", "room": true}', "invalid_field"),
    (b"\x00\x01binary", "binary_unsupported"),
]


async def test_every_bad_frame_gets_an_error_and_the_socket_keeps_serving(
    make_user: MakeUser,
) -> None:
    client = await make_user()
    sock = await client.ws()
    for raw, code in BAD_FRAMES:
        await sock.send(raw)
        error = await sock.expect(ErrorFrame)
        assert error.code == code, raw
        assert error.detail
    await sock.send(Ping())
    await sock.expect(Pong)
    await sock.subscribe("general")
    assert await sock.say("general", "still serving")
    await sock.close()


async def test_oversize_frame_closes_cleanly_and_others_keep_chatting(
    make_user: MakeUser,
) -> None:
    client, other = await make_user(), await make_user()
    sock, bystander = await client.ws(), await other.ws()
    await bystander.subscribe("general")
    await sock.send('{"type": "message", "text": "' + "x" * 70_000 + '"}')
    assert await sock.close_code() == 1009  # message too big
    assert await bystander.say("general", "unaffected")
    await bystander.close()


async def test_send_rate_limit_per_user(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(SEND_RATE_LIMIT="5", SEND_RATE_WINDOW="30")
    client = await make_user(server)
    sock, second_tab = await client.ws(), await client.ws()
    await sock.subscribe("general")
    for i in range(3):
        await sock.say("general", f"ok {i}")
    for i in range(2):
        await second_tab.say("general", f"ok from tab 2 {i}")
    await sock.send(Send(room="general", text="one too many", client_id="over"))
    error = await sock.expect(ErrorFrame, client_id="over")
    assert error.code == "rate_limited"
    await sock.close()
    await second_tab.close()


async def test_login_throttled_per_user_and_per_ip_across_workers(start_backend: StartBackend) -> None:
    server = start_backend(workers=2, LOGIN_MAX_FAILURES_PER_USER="3", LOGIN_MAX_FAILURES_PER_IP="8")
    async with httpx.AsyncClient(base_url=server.url) as http:
        victim = unique("victim")
        await http.post("/api/register", json={"username": victim, "password": PASSWORD})
        for _ in range(3):  # new connections each time: spread over both workers
            async with httpx.AsyncClient(base_url=server.url) as attempt:
                response = await attempt.post(
                    "/api/login", json={"username": victim, "password": "not-the-password"}
                )
                assert response.status_code == 401
        blocked = await http.post("/api/login", json={"username": victim, "password": PASSWORD})
        assert blocked.status_code == 429
        assert blocked.json()["error"] == "too_many_attempts"
        assert int(blocked.headers["retry-after"]) > 0
        # Per IP: failures against many names add up for the address.
        for _ in range(5):
            await http.post("/api/login", json={"username": unique("nobody"), "password": "not-the-password"})
        other = unique("fresh")
        await http.post("/api/register", json={"username": other, "password": PASSWORD})
        assert (
            await http.post("/api/login", json={"username": other, "password": PASSWORD})
        ).status_code == 429


async def test_slow_consumer_is_dropped_without_stalling_others(
    start_backend: StartBackend, make_user: MakeUser
) -> None:
    server = start_backend(SEND_BUFFER_BYTES=str(16 * 30_000), MAX_MESSAGE_LENGTH="30000")
    sender, slow_user = await make_user(server), await make_user(server)
    # A tiny receive buffer and no reading: TCP backpressure reaches the server quickly.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    slow = await slow_user.ws(sock=raw, max_queue=1)
    await slow.subscribe("general")
    fast = await sender.ws()
    await fast.subscribe("general")
    # ~7.5 MB: more than the kernel's socket buffers hold, so the server-side buffer fills.
    text = "y" * 30000
    ids = [await fast.say("general", text) for _ in range(250)]
    got = [m.id for m in await fast.messages(250)]
    assert got == ids  # the fast client got everything, in order

    # The slow one was disconnected with "try again later" once its buffer overflowed.
    async def read_until_closed() -> None:
        async with asyncio.timeout(30):
            while True:
                await slow.conn.recv()

    with pytest.raises(ConnectionClosed) as closed:
        await read_until_closed()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    # ...and it can resume with `since`.
    resumed = await slow_user.ws()
    await resumed.subscribe("general", since=ids[-50])
    assert [m.id for m in await resumed.messages(49)] == ids[-49:]
    await resumed.close()
    await fast.close()


async def test_a_reconnect_storm_is_accepted(start_backend: StartBackend, make_user: MakeUser) -> None:
    # More concurrent handshakes than the worker has Redis connections: they wait, none fail.
    server = start_backend(MAX_SOCKETS_PER_USER="1000")
    client = await make_user(server)
    sockets = await asyncio.gather(*(client.ws() for _ in range(200)))
    await sockets[-1].send(Ping())
    await sockets[-1].expect(Pong)
    await asyncio.gather(*(s.close() for s in sockets))


async def test_a_cross_site_post_is_refused_and_the_session_lives_on(make_user: MakeUser) -> None:
    client = await make_user()
    for headers in (
        {"Origin": "http://evil.test"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},  # a browser that left Origin out
    ):
        forged = await client.http.post("/api/logout", headers=headers)
        assert (forged.status_code, forged.json()["error"]) == (403, "origin_refused"), headers
        assert "set-cookie" not in forged.headers
        room = await client.http.post("/api/rooms", json={"name": unique("r")}, headers=headers)
        assert room.status_code == 403
    assert (await client.http.get("/api/me")).status_code == 200
    await (await client.ws()).close()  # the session still opens sockets
    # The chat's own pages, and clients that are not browsers (no Origin), keep working.
    same_origin = {"Origin": ORIGIN, "Sec-Fetch-Site": "same-origin"}
    created = await client.http.post("/api/rooms", json={"name": unique("r")}, headers=same_origin)
    assert created.status_code == 201
    assert (await client.http.post("/api/logout", headers=same_origin)).status_code == 204
    assert (await client.http.get("/api/me")).status_code == 401
    await client.register()  # no Origin at all
    assert (await client.http.post("/api/logout")).status_code == 204


async def test_the_team_endpoints_refuse_a_foreign_origin_too(make_user: MakeUser) -> None:
    client = await make_user()
    room = unique("r")
    await client.create_room(room)
    foreign = {"Origin": "http://evil.test"}
    forged = [
        await client.http.post("/api/logout-all", headers=foreign),
        await client.http.post(
            "/api/me/password",
            json={"current_password": PASSWORD, "new_password": "battery-staple-9"},
            headers=foreign,
        ),
        await client.http.put("/api/me/display-name", json={"display_name": "Mallory"}, headers=foreign),
        await client.http.put(f"/api/rooms/{room}/topic", json={"topic": "pwned"}, headers=foreign),
        await client.http.post(f"/api/rooms/{room}/leave", headers=foreign),
        await client.http.delete(f"/api/rooms/{room}/members/{client.username}", headers=foreign),
    ]
    assert [(r.status_code, r.json()["error"]) for r in forged] == [(403, "origin_refused")] * len(forged)
    assert (await client.http.get("/api/me")).json() == {"username": client.username}
    listed = (await client.rooms())[room]
    assert (listed["joined"], listed.get("topic")) == (True, None)
