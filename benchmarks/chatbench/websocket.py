"""The chat backend as the system under test: its WebSocket protocol (docs/protocol.md),
spoken through the chat kit (scripts/chatkit)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from chat_backend.protocol import Ack, ErrorFrame, MessageFrame, Send, Subscribe
from chatkit import Socket, connect, delivery
from websockets.exceptions import ConnectionClosed

from chatbench.transport import OnText, SendRecord


@dataclass(frozen=True)
class Target:
    ws_url: str
    origin: str
    client_cookies: tuple[str, ...]  # session cookie headers, assigned to clients round-robin
    sender_cookies: tuple[str, ...]  # one per room: the per-user send rate stays per room
    room_names: tuple[str, ...]


async def open_socket(target: Target, cookie: str) -> Socket:
    return await connect(
        target.ws_url,
        target.origin,
        cookie,
        ping_interval=None,  # keepalive pings would be traffic the benchmark does not count
        max_queue=256,
        open_timeout=30,
    )


class RoomReader:
    """One client subscribed to one room; reconnects with `since` when the server closes it
    (e.g. 1013 for a slow consumer), as the real frontend does, so nothing is lost."""

    def __init__(self, target: Target, cookie: str, room: str, on_text: OnText):
        self.target, self.cookie, self.room, self.on_text = target, cookie, room, on_text
        self.last_id: str | None = None
        self.reconnects = 0
        self.socket: Socket | None = None
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    async def open(self) -> None:
        await self._connect()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _connect(self) -> None:
        self.socket = await open_socket(self.target, self.cookie)
        await self.socket.send(Subscribe(room=self.room, since=self.last_id))
        # A resume's replay comes before the pong, and is delivered like live messages.
        for frame in await self.socket.until_pong(timeout=None):
            if isinstance(frame, MessageFrame):
                self.last_id = frame.message.id
                self.on_text(frame.message.text)

    async def _read(self) -> None:
        on_text = self.on_text
        while not self.closing:
            assert self.socket is not None
            try:
                # The hot path (the load generator's CPU is measured): two fields per frame
                # read off orjson, no model per message.
                async for raw in self.socket.conn:
                    if (message := delivery(raw)) is not None:
                        self.last_id = message.id
                        on_text(message.text)
            except ConnectionClosed:
                pass
            if not self.closing:
                self.reconnects += 1
                await self._connect()

    async def close(self) -> None:
        self.closing = True
        if self.socket is not None:
            await self.socket.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await self.task


class RoomSender:
    def __init__(self, socket: Socket, room: str):
        self.socket, self.room = socket, room
        self.record = SendRecord()
        self.task = asyncio.get_running_loop().create_task(self._read_acks())

    async def send(self, seq: int, text: str) -> None:
        await self.socket.send(Send(room=self.room, text=text, client_id=str(seq)))

    async def _read_acks(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.socket.frames():
                if isinstance(frame, Ack):
                    self.record.acked.add(int(frame.client_id))
                elif isinstance(frame, ErrorFrame):
                    self.record.refused(frame.code.value)

    async def close(self) -> None:
        await self.socket.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class BackendTransport:
    def __init__(self, target: Target):
        self.target = target
        self.readers: list[RoomReader] = []

    async def subscriber(self, client: int, room: int, on_text: OnText) -> RoomReader:
        cookies = self.target.client_cookies
        reader = RoomReader(
            self.target, cookies[client % len(cookies)], self.target.room_names[room], on_text
        )
        await reader.open()
        self.readers.append(reader)
        return reader

    async def sender(self, room: int) -> RoomSender:
        socket = await open_socket(self.target, self.target.sender_cookies[room])
        return RoomSender(socket, self.target.room_names[room])

    def reconnects(self) -> int:
        return sum(reader.reconnects for reader in self.readers)
