"""Unread counts: every message's seq, read positions that only move forward and reach all of
a user's sockets on any replica, activity frames at most once a second to the rooms' members,
and new rooms that appear live everywhere. Two backend processes on one real Redis."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

from chat_backend.protocol import ACTIVITY_INTERVAL_SECONDS, ActivityNotice, ReadNotice, RoomNotice
from chatkit import ChatClient, Socket, unique
from conftest import MakeRoom, MakeUser
from devstack.backend_server import BackendServer


async def _reads(sock: Socket, room: str) -> list[int]:
    return [f.seq for f in await sock.quiet(0.5) if isinstance(f, ReadNotice) and f.room == room]


async def test_each_message_has_the_next_seq_and_unread_counts_it(
    make_user: MakeUser, make_room: MakeRoom, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob = await make_user(replicas[0]), await make_user(replicas[1])
    room = await make_room(alice)
    a, b = await alice.ws(), await bob.ws()
    await b.subscribe(room)
    for n in range(3):
        await a.say(room, f"m{n}")
    assert [m.seq for m in await b.messages(3)] == [1, 2, 3]
    info = (await bob.rooms())[room]
    assert (info["seq"], info["unread"], info["mentioned"]) == (3, 3, False)
    await a.close()
    await b.close()


async def test_a_read_reaches_every_socket_of_the_user_on_every_replica(
    make_client: Callable[..., ChatClient],
    make_user: MakeUser,
    make_room: MakeRoom,
    replicas: tuple[BackendServer, BackendServer],
) -> None:
    alice = await make_user(replicas[0])
    bob_here, bob_there = make_client(replicas[0]), make_client(replicas[1])
    await bob_here.register()
    bob_there.http.cookies = bob_here.http.cookies  # the same session, another replica
    room = await make_room(alice)
    a, b1, b2 = await alice.ws(), await bob_here.ws(), await bob_there.ws()
    for n in range(3):
        await a.say(room, f"m{n}")

    await b1.read(room, 2)
    for sock in (b1, b2):
        assert await sock.expect(ReadNotice, room=room) == ReadNotice(room=room, seq=2)
    assert (await bob_there.rooms())[room]["unread"] == 1
    assert await _reads(a, room) == []  # only bob's sockets

    await b2.read(room, 1)  # behind the position: nothing moves, nobody is told
    assert await _reads(b1, room) == []
    assert (await bob_here.rooms())[room]["unread"] == 1

    over = await bob_here.http.post(f"/api/rooms/{room}/read", json={"seq": 1000})  # past the room's seq
    assert over.status_code == 204
    for sock in (b1, b2):
        assert await sock.expect(ReadNotice, room=room) == ReadNotice(room=room, seq=3)
    assert (await bob_here.rooms())[room]["unread"] == 0

    await a.say(room, "one more")
    assert (await bob_there.rooms())[room]["unread"] == 1
    for sock in (a, b1, b2):
        await sock.close()


async def test_bad_reads_are_refused_with_a_reason(
    make_user: MakeUser, replicas: tuple[BackendServer, BackendServer]
) -> None:
    bob = await make_user(replicas[0])
    for body in ({"seq": -1}, {"seq": "3"}, {"seq": 1.5}, {"seq": True}, {}, {"seq": 2**53}):
        response = await bob.http.post("/api/rooms/general/read", json=body)
        assert (response.status_code, response.json()["error"]) == (422, "invalid_request"), body
    unknown = await bob.http.post(f"/api/rooms/{unique('nowhere')}/read", json={"seq": 1})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "unknown_room")
    sock = await bob.ws()
    await sock.send('{"type":"read","room":"general","seq":-1}')
    await sock.send('{"type":"read","room":"general","seq":"1"}')
    errors = [(f.code, f.detail) for f in await sock.until_pong() if f.type == "error"]
    assert errors == [
        ("invalid_field", "'seq' must be 0 to 9007199254740991"),
        ("invalid_field", "'seq' must be an integer"),
    ]
    await sock.close()


async def test_activity_tells_of_other_rooms_at_most_once_a_second(
    make_user: MakeUser, make_room: MakeRoom, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob = await make_user(replicas[0]), await make_user(replicas[1])
    carol = await make_user(replicas[1])  # in neither room: told of neither
    busy, watched = await make_room(alice), await make_room(alice)
    for room in (busy, watched):
        assert (await bob.http.post(f"/api/rooms/{room}/join")).status_code == 200
    a, b, c = await alice.ws(), await bob.ws(), await carol.ws()
    await b.subscribe(watched)  # its messages come anyway: activity leaves it out
    heard: list[tuple[float, dict[str, int]]] = []
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < 3.5:  # a message every 50 ms, in both rooms
        await a.say(busy, f"busy {sent}")
        await a.say(watched, f"watched {sent}")
        sent += 1
        heard += [
            (time.monotonic(), {entry.room: entry.seq for entry in f.rooms})
            for f in await b.quiet(0.05)
            if isinstance(f, ActivityNotice)
        ]
    async with asyncio.timeout(5):  # the last message's seq arrives within two intervals
        while not heard or heard[-1][1].get(busy) != sent:
            notice = await b.expect(ActivityNotice)
            heard.append((time.monotonic(), {entry.room: entry.seq for entry in notice.rooms}))
    assert all(watched not in rooms for _, rooms in heard)
    assert not [f for f in await c.quiet(0.5) if isinstance(f, ActivityNotice)]
    await a.say("general", "hello everyone")  # everyone's room: no one joins it to be told
    notice = await c.expect(ActivityNotice, timeout=5)
    assert "general" in {entry.room for entry in notice.rooms}
    busy_seqs = [rooms[busy] for _, rooms in heard if busy in rooms]
    assert busy_seqs == sorted(busy_seqs)
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(heard)]
    # One frame per interval however many messages (a receive loop may see two at once late).
    assert len(heard) <= (time.monotonic() - started) / ACTIVITY_INTERVAL_SECONDS + 1
    assert sum(gap < ACTIVITY_INTERVAL_SECONDS / 2 for gap in gaps) <= 1, gaps
    await a.close()
    await b.close()
    await c.close()


async def test_a_new_room_appears_live_on_every_replica(
    make_user: MakeUser, make_room: MakeRoom, replicas: tuple[BackendServer, BackendServer]
) -> None:
    alice, bob = await make_user(replicas[0]), await make_user(replicas[1])
    a, b = await alice.ws(), await bob.ws()
    room = await make_room(alice)
    for sock in (a, b):
        notice = await sock.expect(RoomNotice, timeout=5)
        assert notice.room.model_dump(exclude_none=True) == {
            "name": room,
            "kind": "room",
            "seq": 0,
            "unread": 0,
            "mentioned": False,
        }
    await a.close()
    await b.close()
