"""What a replica holds in Redis for its sockets survives what in-memory state cannot: one that
dies without saying goodbye (SIGKILL) is found gone by another once its entry's TTL runs out,
which drops its users from presence and frees their places under MAX_SOCKETS_PER_USER."""

from __future__ import annotations

import asyncio
import signal

import pytest
from chat_backend.protocol import Presence
from chatkit import Socket, connect, unique, ws_url
from conftest import MakeUser, StartBackend
from websockets.exceptions import InvalidStatus

FAST_PRESENCE = {"PRESENCE_TTL": "1", "PRESENCE_HEARTBEAT": "0.25", "MAX_SOCKETS_PER_USER": "1"}


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

    async def on_survivor() -> Socket:
        return await connect(ws_url(survivor.url), alice.origin, alice.cookie_header)

    await watcher.expect(Presence, room=room, users=both)
    with pytest.raises(InvalidStatus) as refused:  # her one place is taken, on any replica
        await on_survivor()
    assert refused.value.response.status_code == 429
    doomed.signal(signal.SIGKILL)  # no unsubscribe, no presence_leave: only the TTL can tell
    gone = await watcher.expect(Presence, timeout=10, room=room, users=[bob.username])
    assert gone.users == [bob.username]
    again = await on_survivor()  # the dead replica's lease went with it
    await again.close()
    await watcher.close()
    await asyncio.to_thread(doomed.stop)
