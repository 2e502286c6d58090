"""What one user can take, each with its ceiling checked and counted in one step: rooms created
(and rooms in all), DMs opened, open sockets on every worker, subscriptions of one socket."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chat_backend.protocol import ErrorFrame, Subscribe, Unsubscribe
from chatkit import ChatClient, unique
from conftest import ORIGIN, MakeUser, StartBackend
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer
from websockets.exceptions import InvalidStatus


async def _create(client: ChatClient, name: str) -> tuple[int, str]:
    response = await client.http.post("/api/rooms", json={"name": name})
    return response.status_code, response.json().get("error", "") if response.status_code != 201 else ""


async def test_rooms_per_user(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(workers=2, MAX_ROOMS_PER_USER="3")
    hoarder, other = await make_user(server), await make_user(server)
    outcomes = await asyncio.gather(*(_create(hoarder, unique("r")) for _ in range(12)))
    assert sorted(outcomes) == [(201, "")] * 3 + [(409, "too_many_rooms_of_user")] * 9
    assert (await _create(other, unique("r")))[0] == 201


@pytest.fixture
def own_store(tmp_path: Path) -> Iterator[Callable[..., BackendServer]]:
    """A backend on a Redis of its own: the room limit counts every room of that Redis."""
    redis_server = RedisServer(tmp_path / "redis")
    redis_server.start()
    started: list[BackendServer] = []

    def start(**env: str) -> BackendServer:
        backend = BackendServer(
            tmp_path / f"backend{len(started)}",
            redis_server.url,
            ORIGIN,
            secrets.token_urlsafe(32),
            workers=2,
            extra_env={"REGISTRATIONS_PER_IP": "100000", **env},
        )
        started.append(backend)
        backend.start()
        return backend

    yield start
    for backend in started:
        backend.stop()
    redis_server.stop()


@pytest.mark.single_node
async def test_the_room_limit_holds_under_concurrent_creations(
    own_store: Callable[..., BackendServer], make_user: MakeUser
) -> None:
    server = own_store(MAX_ROOMS="5", MAX_ROOMS_PER_USER="100")
    users = [await make_user(server) for _ in range(3)]
    outcomes = await asyncio.gather(*(_create(user, unique("r")) for user in users for _ in range(6)))
    assert sorted(outcomes) == [(201, "")] * 5 + [(409, "too_many_rooms")] * 13


async def test_dms_per_user(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(MAX_DMS_PER_USER="2")
    opener = await make_user(server)
    others = [await make_user(server) for _ in range(3)]
    for other in others[:2]:
        assert (await opener.http.post("/api/dms", json={"username": other.username})).status_code == 201
    refused = await opener.http.post("/api/dms", json={"username": others[2].username})
    assert (refused.status_code, refused.json()["error"]) == (409, "too_many_dms")
    # Those opened reopen; the others may still open theirs with the opener.
    assert (await opener.http.post("/api/dms", json={"username": others[0].username})).status_code == 200
    assert (await others[2].http.post("/api/dms", json={"username": opener.username})).status_code == 201


async def test_sockets_per_user_on_every_worker(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(workers=2, MAX_SOCKETS_PER_USER="3")
    user = await make_user(server)
    attempts = await asyncio.gather(*(user.ws() for _ in range(6)), return_exceptions=True)
    opened = [sock for sock in attempts if not isinstance(sock, BaseException)]
    refused = [err for err in attempts if isinstance(err, InvalidStatus)]
    assert (len(opened), len(refused)) == (3, 3), attempts
    assert refused[0].response.status_code == 429
    assert b"too_many_sockets" in refused[0].response.body
    await opened[0].close()
    await asyncio.sleep(0.5)  # the server drops the lease as the socket closes
    opened.append(await user.ws())
    for sock in opened[1:]:
        await sock.close()


async def test_subscriptions_per_socket(start_backend: StartBackend, make_user: MakeUser) -> None:
    server = start_backend(MAX_SUBSCRIPTIONS_PER_SOCKET="2")
    user = await make_user(server)
    rooms = [unique("r") for _ in range(3)]
    for room in rooms:
        await user.create_room(room)
    sock = await user.ws()
    await sock.subscribe(rooms[0])
    await sock.subscribe(rooms[1])
    await sock.send(Subscribe(room=rooms[2]))
    refused = await sock.expect(ErrorFrame)
    assert refused.code == "too_many_subscriptions"
    await sock.subscribe(rooms[1])  # again: no new one
    await sock.send(Unsubscribe(room=rooms[0]))
    await sock.subscribe(rooms[2])
    await sock.close()


async def test_private_rooms_count_against_the_rooms_per_user(
    start_backend: StartBackend, make_user: MakeUser
) -> None:
    server = start_backend(MAX_ROOMS_PER_USER="2")
    hoarder = await make_user(server)
    private = await hoarder.http.post("/api/rooms", json={"name": unique("p"), "private": True})
    assert private.status_code == 201
    assert (await _create(hoarder, unique("r")))[0] == 201
    refused = await hoarder.http.post("/api/rooms", json={"name": unique("p"), "private": True})
    assert (refused.status_code, refused.json()["error"]) == (409, "too_many_rooms_of_user")
    assert await _create(hoarder, unique("r")) == (409, "too_many_rooms_of_user")


async def test_a_group_dm_counts_once_against_its_openers_dms(
    start_backend: StartBackend, make_user: MakeUser
) -> None:
    server = start_backend(MAX_DMS_PER_USER="1")
    opener = await make_user(server)
    others = [await make_user(server) for _ in range(3)]
    group = {"usernames": [others[0].username, others[1].username]}
    assert (await opener.http.post("/api/dms", json=group)).status_code == 201
    refused = await opener.http.post("/api/dms", json={"username": others[2].username})
    assert (refused.status_code, refused.json()["error"]) == (409, "too_many_dms")
    assert (await opener.http.post("/api/dms", json=group)).status_code == 200  # it reopens
    # A member who did not open it still has their own quota.
    group_of_member = {"usernames": [opener.username, others[2].username]}
    assert (await others[0].http.post("/api/dms", json=group_of_member)).status_code == 201
