"""The chat backend as the system under test: its WebSocket contract (README, "The chat API")."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin

from chatbench.transport import OnText, SendRecord


@dataclass(frozen=True)
class Target:
    ws_url: str
    origin: str
    client_cookies: tuple[str, ...]  # session cookie headers, assigned to clients round-robin
    sender_cookies: tuple[str, ...]  # one per room: the per-user send rate stays per room
    room_names: tuple[str, ...]


async def open_socket(target: Target, cookie: str) -> ClientConnection:
    return await connect(
        target.ws_url,
        origin=Origin(target.origin),
        additional_headers={"Cookie": cookie},
        compression=None,  # the backend turns permessage-deflate off too
        proxy=None,  # 127.0.0.1 only, whatever the environment says
        ping_interval=None,
        max_queue=256,
        open_timeout=30,
    )


async def until_pong(ws: ClientConnection) -> None:
    """Frames are handled in order per socket: a pong means everything before it is done."""
    await ws.send('{"type":"ping"}')
    async for raw in ws:
        if orjson.loads(raw).get("type") == "pong":
            return


class RoomReader:
    """One client subscribed to one room; reconnects with `since` when the server closes it
    (e.g. 1013 for a slow consumer), as the real frontend does, so nothing is lost."""

    def __init__(self, target: Target, cookie: str, room: str, on_text: OnText):
        self.target, self.cookie, self.room, self.on_text = target, cookie, room, on_text
        self.last_id: str | None = None
        self.reconnects = 0
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.closing = False

    async def open(self) -> None:
        await self._connect()
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _connect(self) -> None:
        self.ws = await open_socket(self.target, self.cookie)
        frame: dict[str, Any] = {"type": "subscribe", "room": self.room}
        if self.last_id:
            frame["since"] = self.last_id
        await self.ws.send(orjson.dumps(frame).decode())
        await until_pong(self.ws)

    async def _read(self) -> None:
        on_text = self.on_text
        while not self.closing:
            assert self.ws is not None
            try:
                async for raw in self.ws:
                    frame = orjson.loads(raw)
                    if frame["type"] == "message":
                        message = frame["message"]
                        self.last_id = message["id"]
                        on_text(message["text"])
            except ConnectionClosed:
                pass
            if not self.closing:
                self.reconnects += 1
                await self._connect()

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await self.task


class RoomSender:
    def __init__(self, ws: ClientConnection, room: str):
        self.ws, self.room = ws, room
        self.record = SendRecord()
        self.task = asyncio.get_running_loop().create_task(self._read_acks())

    async def send(self, seq: int, text: str) -> None:
        frame = {"type": "message", "room": self.room, "text": text, "client_id": str(seq)}
        await self.ws.send(orjson.dumps(frame).decode())

    async def _read_acks(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                frame = orjson.loads(raw)
                if frame["type"] == "ack":
                    self.record.acked.add(int(frame["client_id"]))
                elif frame["type"] == "error":
                    self.record.refused(frame["code"])

    async def close(self) -> None:
        await self.ws.close()
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
        ws = await open_socket(self.target, self.target.sender_cookies[room])
        return RoomSender(ws, self.target.room_names[room])

    def reconnects(self) -> int:
        return sum(reader.reconnects for reader in self.readers)
