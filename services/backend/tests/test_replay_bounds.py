"""A replay (subscribe with `since`) is read in pages and counts against the socket's send
buffer like live delivery: a socket that does not read is closed with 1013, one that reads
gets every message in order."""

from __future__ import annotations

import asyncio
import socket

import pytest
from chat_backend.protocol import Subscribe
from conftest import MakeRoom, MakeUser, StartBackend
from websockets.exceptions import ConnectionClosed

MESSAGES = 300
TEXT = "r" * 3990  # with its number, about MAX_MESSAGE_LENGTH


async def test_replays_to_a_socket_that_does_not_read_end_in_1013(
    start_backend: StartBackend, make_user: MakeUser, make_room: MakeRoom
) -> None:
    server = start_backend()
    author, reader = await make_user(server), await make_user(server)
    room = await make_room(author)
    sock = await author.ws()
    ids = [await sock.say(room, f"{n:03} {TEXT}") for n in range(MESSAGES)]
    await sock.close()

    # A tiny receive buffer and no reading: 40 replays of ~1.2 MB each are asked for.
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    idle = await reader.ws(sock=raw, max_queue=1)
    for _ in range(40):
        await idle.send(Subscribe(room=room, since="0-0"))
    await asyncio.sleep(13)  # past REPLAY_DRAIN_SECONDS: by now it was closed

    async def read_until_closed() -> None:
        async with asyncio.timeout(30):
            while True:
                await idle.conn.recv()

    with pytest.raises(ConnectionClosed) as closed:
        await read_until_closed()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013

    # One that reads gets the whole replay, in order, in pages.
    fast = await reader.ws()
    await fast.subscribe(room, since="0-0")
    assert [m.id for m in await fast.messages(MESSAGES, timeout=30)] == ids
    await fast.close()
