"""Presence survives what in-memory state cannot: a replica that dies without saying goodbye
(SIGKILL) has its users dropped from presence on the other replicas once their TTL runs out."""

from __future__ import annotations

import asyncio
import signal

from chat_backend.protocol import Presence
from chatkit import unique
from conftest import MakeUser, StartBackend

FAST_PRESENCE = {"PRESENCE_TTL": "1", "PRESENCE_HEARTBEAT": "0.25"}


async def test_a_crashed_replicas_users_expire_from_presence(
    start_backend: StartBackend, make_user: MakeUser
) -> None:
    doomed, survivor = start_backend(**FAST_PRESENCE), start_backend(**FAST_PRESENCE)
    alice, bob = await make_user(doomed), await make_user(survivor)
    room = unique("room")
    assert (await bob.http.post("/api/rooms", json={"name": room})).status_code == 201
    watcher, victim = await bob.ws(), await alice.ws()
    await watcher.subscribe(room)
    await victim.subscribe(room)
    both = sorted([alice.username, bob.username])
    await watcher.expect(Presence, room=room, users=both)
    doomed.signal(signal.SIGKILL)  # no unsubscribe, no presence_leave: only the TTL can tell
    gone = await watcher.expect(Presence, timeout=10, room=room, users=[bob.username])
    assert gone.users == [bob.username]
    await watcher.close()
    await asyncio.to_thread(doomed.stop)
