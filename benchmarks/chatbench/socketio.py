"""The peer as the system under test: Socket.IO (protocol v5 over Engine.IO v4) spoken over a raw
WebSocket, just enough of it for the benchmark — open, connect the default namespace, answer
pings, emit events with an acknowledgement id, read events and acks (benchmarks/socketio/server.js).

Frames are text: the first character is the Engine.IO packet type (2 ping, 3 pong, 4 message); in
a message the second is the Socket.IO packet type (0 connect, 1 disconnect, 2 event, 3 ack), then
an optional ack id in digits, then a JSON array: `421["message",{...}]`, `431[{...}]`."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chatbench.transport import OnText, SendRecord

PING, PONG = "2", "3"
CONNECT, CONNECTED = "40", "40{"  # client asks for the default namespace; the server grants it
EVENT, ACK, CONNECT_ERROR = "42", "43", "44"


@dataclass(frozen=True)
class SocketIOTarget:
    ws_url: str  # ws://127.0.0.1:PORT/socket.io/?EIO=4&transport=websocket
    room_names: tuple[str, ...]


class ProtocolError(RuntimeError):
    pass


def packet(kind: str, args: list[Any], ack_id: int | None = None) -> str:
    return kind + ("" if ack_id is None else str(ack_id)) + orjson.dumps(args).decode()


def decode(frame: str) -> tuple[int | None, Any]:
    """An event or ack frame's ack id (None when absent) and its JSON arguments."""
    start = end = 2
    while end < len(frame) and frame[end].isdigit():
        end += 1
    return (int(frame[start:end]) if end > start else None), orjson.loads(frame[end:])


async def open_socket(url: str) -> ClientConnection:
    """A WebSocket with the default namespace connected (pings before that are answered too)."""
    ws = await connect(
        url,
        compression=None,  # Socket.IO leaves permessage-deflate off by default, as the backend does
        proxy=None,  # 127.0.0.1 only, whatever the environment says
        ping_interval=None,  # Engine.IO pings in its own packets
        max_queue=256,
        open_timeout=30,
    )
    opening = await ws.recv()
    if not isinstance(opening, str) or not opening.startswith("0{"):
        raise ProtocolError(f"expected an Engine.IO open packet, got {opening!r}")
    await ws.send(CONNECT)
    async for frame in ws:
        assert isinstance(frame, str)
        if frame.startswith(CONNECTED):
            return ws
        if frame.startswith(CONNECT_ERROR):
            raise ProtocolError(f"namespace refused: {frame}")
        await answer_ping(ws, frame)
    raise ProtocolError("closed before the namespace was connected")


async def answer_ping(ws: ClientConnection, frame: str) -> None:
    if frame == PING:
        await ws.send(PONG)


async def until_ack(ws: ClientConnection, ack_id: int) -> None:
    """Events of one socket are handled in order: the ack means the join is done."""
    async for frame in ws:
        assert isinstance(frame, str)
        if frame.startswith(ACK) and decode(frame)[0] == ack_id:
            return
        await answer_ping(ws, frame)
    raise ProtocolError(f"closed before the ack {ack_id}")


class PeerSocket:
    """A connected socket and the task that reads it: answers pings, hands on events and acks."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                assert isinstance(frame, str)
                if frame.startswith(EVENT):
                    self.on_event(decode(frame)[1])
                elif frame.startswith(ACK):
                    self.on_ack(decode(frame)[0])
                else:
                    await answer_ping(self.ws, frame)

    def on_event(self, args: list[Any]) -> None:
        """An event the server emitted: ["name", payload...]."""

    def on_ack(self, ack_id: int | None) -> None:
        """The server acknowledged the event sent with this id."""

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class PeerReader(PeerSocket):
    """One client in one room. Not reconnected: the server keeps no history, so a socket that came
    back would still have missed what was sent meanwhile, and the peer closes no slow consumer."""

    def __init__(self, ws: ClientConnection, on_text: OnText):
        self.on_text = on_text
        super().__init__(ws)

    def on_event(self, args: list[Any]) -> None:
        if args[0] == "message":
            self.on_text(args[1]["text"])


class PeerSender(PeerSocket):
    """Sends each probe as an event with its own ack id; the ack marks it accepted."""

    def __init__(self, ws: ClientConnection, room: str):
        self.room = room
        self.record = SendRecord()
        self.pending: dict[int, int] = {}  # ack id -> seq
        self.next_ack = 0
        super().__init__(ws)

    async def send(self, seq: int, text: str) -> None:
        ack_id, self.next_ack = self.next_ack, self.next_ack + 1
        self.pending[ack_id] = seq
        body = {"room": self.room, "text": text, "client_id": str(seq)}
        await self.ws.send(packet(EVENT, ["message", body], ack_id))

    def on_ack(self, ack_id: int | None) -> None:
        if ack_id in self.pending:
            self.record.acked.add(self.pending.pop(ack_id))


class SocketIOTransport:
    def __init__(self, target: SocketIOTarget):
        self.target = target

    async def subscriber(self, client: int, room: int, on_text: OnText) -> PeerReader:
        ws = await open_socket(self.target.ws_url)
        await ws.send(packet(EVENT, ["subscribe", self.target.room_names[room]], ack_id=0))
        await until_ack(ws, 0)
        return PeerReader(ws, on_text)

    async def sender(self, room: int) -> PeerSender:
        return PeerSender(await open_socket(self.target.ws_url), self.target.room_names[room])

    def reconnects(self) -> int:
        return 0  # see PeerReader: a dropped socket shows as lost deliveries
