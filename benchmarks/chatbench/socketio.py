"""The peer as the system under test: Socket.IO (protocol v5 over Engine.IO v4) spoken over the load
generator's own WebSocket client (rawws), just enough of it for the benchmark — open, connect the
default namespace, answer pings, emit events with an acknowledgement id, read events and acks
(benchmarks/socketio/server.js).

Frames are text: the first character is the Engine.IO packet type (2 ping, 3 pong, 4 message); in
a message the second is the Socket.IO packet type (0 connect, 1 disconnect, 2 event, 3 ack), then
an optional ack id in digits, then a JSON array: `421["message",{...}]`, `431[{...}]`."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import Any

import orjson

from chatbench import rawws
from chatbench.transport import IN_FLIGHT, OnText, SendRecord

# Received packets are bytes (rawws hands on payloads), sent ones text.
OPEN, PING, CONNECTED, CONNECT_ERROR = b"0{", b"2", b"40{", b"44"  # the namespace granted, refused
EVENT_IN, ACK_IN = b"42", b"43"
PONG, CONNECT, EVENT = "3", "40", "42"  # CONNECT asks for the default namespace
DIGITS = b"0123456789"


@dataclass(frozen=True)
class SocketIOTarget:
    ws_url: str  # ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket
    room_names: tuple[str, ...]


class ProtocolError(RuntimeError):
    pass


def packet(kind: str, args: list[Any], ack_id: int | None = None) -> str:
    return kind + ("" if ack_id is None else str(ack_id)) + orjson.dumps(args).decode()


def decode(frame: bytes) -> tuple[int | None, Any]:
    """An event or ack frame's ack id (None when absent) and its JSON arguments."""
    start = end = 2
    while end < len(frame) and frame[end] in DIGITS:
        end += 1
    return (int(frame[start:end]) if end > start else None), orjson.loads(frame[end:])


@functools.lru_cache(maxsize=IN_FLIGHT)  # a pure function of the frame's bytes
def message_text(frame: bytes) -> str | None:
    """The text of a `message` event frame, None for another event."""
    args = decode(frame)[1]
    return str(args[1]["text"]) if args[0] == "message" else None


class PeerSocket:
    """One socket: opens the namespace, answers pings, hands on events and acks."""

    async def open(self, url: str) -> None:
        """Connected to the default namespace (pings before that are answered too)."""
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.ws = rawws.WebSocket(self._on_message)
        await self.ws.open(url, {})
        await asyncio.wait((self.connected, self.ws.closed), return_when=asyncio.FIRST_COMPLETED)
        if not self.connected.done():
            raise ProtocolError(f"closed ({self.ws.closed.result()}) before the namespace was connected")
        self.connected.result()

    def _on_message(self, frame: bytes) -> None:
        kind = frame[:2]
        if kind == EVENT_IN:
            self.on_event(frame)
        elif kind == ACK_IN:
            self.on_ack(decode(frame)[0])
        elif frame == PING:
            self.ws.send_text(PONG)
        elif frame.startswith(OPEN):
            self.ws.send_text(CONNECT)
        elif frame.startswith(CONNECTED):
            self.connected.set_result(None)
        elif frame.startswith(CONNECT_ERROR):
            self.connected.set_exception(ProtocolError(f"namespace refused: {frame!r}"))

    def on_event(self, frame: bytes) -> None:
        """An event the server emitted: `42["name", payload...]`."""

    def on_ack(self, ack_id: int | None) -> None:
        """The server acknowledged the event sent with this id."""

    async def close(self) -> None:
        await self.ws.close()


class PeerEmitter(PeerSocket):
    """Sends each probe as a `message` event with its own ack id; the ack marks it accepted."""

    def __init__(self) -> None:
        self.record = SendRecord()
        self.pending: dict[int, int] = {}  # ack id -> seq
        self.next_ack = 0

    def emit(self, room: str, seq: int, text: str) -> None:
        ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.pending[ack_id] = seq
        body = {"room": room, "text": text, "client_id": str(seq)}
        self.ws.send_text(packet(EVENT, ["message", body], ack_id))

    def on_ack(self, ack_id: int | None) -> None:
        if ack_id in self.pending:
            self.record.acked.add(self.pending.pop(ack_id))


class PeerReader(PeerEmitter):
    """One client in its rooms, handing on every message's text; it may send too. Not
    reconnected: the server keeps no history, so a socket that came back would still have missed
    what was sent meanwhile, and the peer closes no slow consumer."""

    def __init__(self, on_text: OnText):
        super().__init__()
        self.on_text = on_text
        self.rooms = self.joining = 0

    async def join(self, rooms: list[str]) -> None:
        """Events of one socket are handled in order: the acks (ids 0 to len(rooms) - 1; sends
        take the ids after) mean the joins are done."""
        self.rooms = self.joining = self.next_ack = len(rooms)
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for ack_id, room in enumerate(rooms):
            self.ws.send_text(packet(EVENT, ["subscribe", room], ack_id))
        await asyncio.wait((self.joined, self.ws.closed), return_when=asyncio.FIRST_COMPLETED)
        if not self.joined.done():
            raise ProtocolError(f"closed ({self.ws.closed.result()}) before the joins were acked")

    def on_event(self, frame: bytes) -> None:
        if (text := message_text(frame)) is not None:
            self.on_text(text)

    def on_ack(self, ack_id: int | None) -> None:
        if ack_id is None or ack_id >= self.rooms:
            super().on_ack(ack_id)
            return
        self.joining -= 1
        if self.joining == 0:
            self.joined.set_result(None)


class PeerSender(PeerEmitter):
    """The fan-out plan's sender: every probe into one room."""

    def __init__(self, room: str):
        super().__init__()
        self.room = room

    async def send(self, seq: int, text: str) -> None:
        self.emit(self.room, seq, text)


class SocketIOTransport:
    def __init__(self, target: SocketIOTarget):
        self.target = target

    async def subscriber(self, client: int, room: int, on_text: OnText) -> PeerReader:
        reader = PeerReader(on_text)
        await reader.open(self.target.ws_url)
        await reader.join([self.target.room_names[room]])
        return reader

    async def sender(self, room: int) -> PeerSender:
        sender = PeerSender(self.target.room_names[room])
        await sender.open(self.target.ws_url)
        return sender

    def reconnects(self) -> int:
        return 0  # see PeerReader: a dropped socket shows as lost deliveries
