"""The chat backend as the system under test: its WebSocket protocol (docs/protocol.md), frames
built and read with the chat kit's models (tools/chatkit) over the load generator's own
WebSocket client (rawws)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from dataclasses import dataclass

from chat_backend.protocol import Ack, ClientFrame, ErrorFrame, Ping, Pong, Send, ServerFrame, Subscribe
from chatkit import decode, delivery, encode

from chatbench import rawws
from chatbench.transport import IN_FLIGHT, OnText, SendRecord

message_of = functools.lru_cache(maxsize=IN_FLIGHT)(delivery)  # a pure function of the frame's bytes


@dataclass(frozen=True)
class Target:
    ws_url: str
    origin: str
    client_cookies: tuple[str, ...]  # session cookie headers, assigned to clients round-robin
    sender_cookies: tuple[str, ...]  # one per room: the per-user send rate stays per room
    room_names: tuple[str, ...]

    async def open(self, ws: rawws.WebSocket, cookie: str) -> None:
        """As the frontend opens its socket: its Origin, the session cookie."""
        await ws.open(self.ws_url, {"Origin": self.origin, "Cookie": cookie})


def send(ws: rawws.WebSocket, frame: ClientFrame) -> None:
    ws.send_text(encode(frame))


def record_answer(record: SendRecord, frame: ServerFrame) -> None:
    """A sender's answer: an ack marks its probe accepted, an error frame counts a refusal."""
    if isinstance(frame, Ack):
        record.acked.add(int(frame.client_id))
    elif isinstance(frame, ErrorFrame):
        record.refused(str(frame.code))  # a StrEnum, or a code this client does not know


class RoomReader:
    """One client subscribed to one room; reconnects with `since` when the server closes it
    (e.g. 1013 for a slow consumer), as the real frontend does, so nothing is lost."""

    def __init__(self, target: Target, cookie: str, room: str, on_text: OnText):
        self.target, self.cookie, self.room, self.on_text = target, cookie, room, on_text
        self.last_id: str | None = None
        self.reconnects = 0
        self.closing = False
        self.replayed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def open(self) -> None:
        await self._connect()
        if not self.replayed.done():
            raise ConnectionError(f"closed ({self.ws.closed.result()}) before the subscribe was answered")
        self.task = asyncio.get_running_loop().create_task(self._resume_after_close())

    async def _connect(self) -> None:
        """Subscribed (after `last_id` when resuming) once the pong to a ping sent after the
        subscribe is in: frames are handled in order, so the replay came before it — unless the
        socket closed first."""
        self.ws = ws = rawws.WebSocket(self._on_message)  # before it opens: close() may come meanwhile
        await self.target.open(ws, self.cookie)
        self.replayed = asyncio.get_running_loop().create_future()
        send(ws, Subscribe(room=self.room, since=self.last_id))
        send(ws, Ping())
        await asyncio.wait((self.replayed, ws.closed), return_when=asyncio.FIRST_COMPLETED)

    def _on_message(self, payload: bytes) -> None:
        # The hot path (the load generator's CPU is measured): two fields read off orjson, no
        # model per message, once per process; other frames are decoded whole only while waiting
        # for the pong.
        message = message_of(payload)
        if message is not None:
            self.last_id = message.id
            self.on_text(message.text)
        elif not self.replayed.done() and isinstance(decode(payload), Pong):
            self.replayed.set_result(None)

    async def _resume_after_close(self) -> None:
        while True:
            await asyncio.shield(self.ws.closed)  # shielded: cancelling this task must not cancel it
            if self.closing:
                return
            self.reconnects += 1
            await self._connect()

    async def close(self) -> None:
        self.closing = True
        self.task.cancel()  # stops a reconnect in progress too
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.ws.close()


class RoomSender:
    def __init__(self, room: str):
        self.room = room
        self.record = SendRecord()

    async def open(self, target: Target, cookie: str) -> None:
        self.ws = rawws.WebSocket(self._on_message)
        await target.open(self.ws, cookie)

    async def send(self, seq: int, text: str) -> None:
        send(self.ws, Send(room=self.room, text=text, client_id=str(seq)))

    def _on_message(self, payload: bytes) -> None:
        record_answer(self.record, decode(payload))

    async def close(self) -> None:
        await self.ws.close()


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
        sender = RoomSender(self.target.room_names[room])
        await sender.open(self.target, self.target.sender_cookies[room])
        return sender

    def reconnects(self) -> int:
        return sum(reader.reconnects for reader in self.readers)
