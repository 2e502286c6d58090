"""A rolling deploy: streams hold entries written before seqs and events existed, and may get
entries of kinds a newer version writes. Both read fine — history, replay, live — and a
room's seq counts on from the messages it already holds."""

from __future__ import annotations

import time

from chat_backend.protocol import EditNotice, MessageFrame
from chatkit import unique
from conftest import KEYS, MakeUser, Store, store_client


async def test_messages_stored_before_seqs_read_fine_and_are_counted_on(
    make_user: MakeUser, redis_server: Store
) -> None:
    alice = await make_user()
    room = unique("room")
    async with store_client(redis_server) as redis:
        await redis.sadd(KEYS.ROOMS, room)  # created as before: no members, nothing in its stream
        now = int(time.time() * 1000)
        old = [  # as the send script wrote them before
            await redis.xadd(
                KEYS.stream(room),
                {"user": alice.username, "text": f"old {n}", "ts": now, "client_id": f"o{n}"},
            )
            for n in range(3)
        ]
    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [(m["id"], m["seq"], m["text"]) for m in history] == [(old[n], 0, f"old {n}") for n in range(3)]
    info = (await alice.rooms())[room]
    assert (info["seq"], info["unread"]) == (0, 0)

    sock = await alice.ws()
    await sock.subscribe(room, since="0-0")
    assert [(m.id, m.seq) for m in await sock.messages(3)] == [(message_id, 0) for message_id in old]
    await sock.say(room, "new")
    (new,) = await sock.messages(1)
    assert new.seq == 4  # after the three the room held
    await sock.edit(room, old[0], "old 0, edited")
    await sock.expect(EditNotice)
    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["text"] for m in history] == ["old 0, edited", "old 1", "old 2", "new"]
    info = (await alice.rooms())[room]
    assert (info["seq"], info["unread"]) == (4, 4)
    await sock.close()


async def test_an_entry_of_a_kind_this_version_does_not_know_is_passed_over(
    make_user: MakeUser, redis_server: Store
) -> None:
    alice = await make_user()
    room = unique("room")
    await alice.create_room(room)
    sock = await alice.ws()
    await sock.subscribe(room)
    first = await sock.say(room, "before")
    async with store_client(redis_server) as redis:
        await redis.xadd(KEYS.stream(room), {"kind": "reaction", "target": first, "user": "x", "ts": 1})
    last = await sock.say(room, "after")
    assert [m.id for m in await sock.messages(2)] == [first, last]
    history = (await alice.http.get(f"/api/rooms/{room}/messages")).json()["messages"]
    assert [m["id"] for m in history] == [first, last]
    resumed = await alice.ws()
    await resumed.subscribe(room, since="0-0")
    replayed = [f.message.id for f in await resumed.quiet(0.5) if isinstance(f, MessageFrame)]
    assert replayed == [first, last]
    await sock.close()
    await resumed.close()
