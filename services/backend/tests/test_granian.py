"""ASGI_SERVER=granian: the same contract as under uvicorn where granian differs by itself —
the frame size limit, the 1012 close on SIGTERM, X-Forwarded-For — and delivery between a
granian and a uvicorn instance sharing one Redis."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

import httpx
import pytest
from chat_backend.protocol import Ack, Send, ServerFrame
from chatkit import PASSWORD, ChatClient, Socket, unique
from conftest import StartBackend
from devstack.backend_server import BackendServer
from websockets.exceptions import ConnectionClosed, InvalidStatus


async def _read_until_closed(sock: Socket, received: list[ServerFrame]) -> None:
    while True:
        received.append(await sock.recv(10))


@pytest.fixture(scope="module")
def granian(start_backend: StartBackend) -> BackendServer:
    return start_backend(workers=2, ASGI_SERVER="granian", LOGIN_MAX_FAILURES_PER_IP="2")


async def test_granian_and_uvicorn_instances_chat_through_one_redis(
    granian: BackendServer, backend: BackendServer, make_client: Callable[..., ChatClient]
) -> None:
    alice, bob = make_client(granian), make_client(backend)
    assert (await alice.register()).headers["server"] == "granian"
    await bob.register()
    a, b = await alice.ws(), await bob.ws()
    await a.subscribe("general")
    await b.subscribe("general")
    from_granian = await a.say("general", "from granian")
    from_uvicorn = await b.say("general", "from uvicorn")
    for sock in (a, b):
        assert sorted(m.id for m in await sock.messages(2)) == sorted([from_granian, from_uvicorn])
    history = (await alice.http.get("/api/rooms/general/messages", params={"limit": 2})).json()
    assert [m["text"] for m in history["messages"]] == ["from granian", "from uvicorn"]
    await a.close()
    await b.close()


async def test_granian_refuses_cross_origin_upgrades(
    granian: BackendServer, make_client: Callable[..., ChatClient]
) -> None:
    client = make_client(granian)
    await client.register()
    with pytest.raises(InvalidStatus) as refused:
        await client.ws(origin="http://evil.test")
    assert refused.value.response.status_code == 403


async def test_granian_closes_oversize_frames_with_1009(
    granian: BackendServer, make_client: Callable[..., ChatClient]
) -> None:
    client = make_client(granian)
    await client.register()
    sock, bystander = await client.ws(), await client.ws()
    await bystander.subscribe("general")
    await sock.send('{"type": "message", "text": "' + "é" * 33_000 + '"}')  # 66 KB in UTF-8
    assert await sock.close_code() == 1009
    assert await bystander.say("general", "still serving")
    await bystander.close()


async def test_granian_throttles_logins_per_forwarded_client_ip(granian: BackendServer) -> None:
    # The ingress is the peer (127.0.0.1, trusted); the client is in X-Forwarded-For.
    async with httpx.AsyncClient(base_url=granian.url) as http:
        name = unique("xff")
        await http.post("/api/register", json={"username": name, "password": PASSWORD})
        wrong = {"username": name, "password": "not-the-password"}
        for _ in range(2):
            response = await http.post("/api/login", json=wrong, headers={"X-Forwarded-For": "203.0.113.7"})
            assert response.status_code == 401
        right = {"username": name, "password": PASSWORD}
        blocked = await http.post("/api/login", json=right, headers={"X-Forwarded-For": "203.0.113.7"})
        assert blocked.status_code == 429
        elsewhere = await http.post("/api/login", json=right, headers={"X-Forwarded-For": "198.51.100.9"})
        assert elsewhere.status_code == 200


async def test_granian_sigterm_closes_with_1012_and_a_retry_is_stored_once(
    start_backend: StartBackend, backend: BackendServer, make_client: Callable[..., ChatClient]
) -> None:
    server = start_backend(ASGI_SERVER="granian")
    client = make_client(server)
    await client.register()
    sock = await client.ws()
    await sock.subscribe("general")
    client_id = unique("inflight")
    await sock.send(Send(room="general", text="in flight", client_id=client_id))
    server.signal(signal.SIGTERM)
    received: list[ServerFrame] = []
    with pytest.raises(ConnectionClosed) as closed:
        await _read_until_closed(sock, received)
    acked = [frame.id for frame in received if isinstance(frame, Ack)]
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1012
    # The client reconnects elsewhere and resends what was not acked: stored once either way.
    elsewhere = make_client(backend)
    elsewhere.http.cookies = client.http.cookies
    resumed = await elsewhere.ws()
    stored_id = await resumed.say("general", "in flight", client_id=client_id)
    assert acked in ([], [stored_id])
    history = (await elsewhere.http.get("/api/rooms/general/messages", params={"limit": 50})).json()
    assert [m["id"] for m in history["messages"] if m["client_id"] == client_id] == [stored_id]
    await resumed.close()
    await asyncio.to_thread(server.stop)
