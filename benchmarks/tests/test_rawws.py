"""The load generator's WebSocket client (chatbench.rawws): frame parsing fed byte by byte and
chunk by chunk, fragments, control frames and protocol errors; the handshake and both directions
against a real server (websockets); and the backend and Socket.IO readers built on it, against
stand-in servers: resume with `since` after a 1013 close, Engine.IO pings answered."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest
from chatbench import rawws
from chatbench.socketio import SocketIOTarget, SocketIOTransport
from chatbench.websocket import BackendTransport, Target
from websockets.asyncio.server import ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

Frame = tuple[int, bytes]  # opcode, payload


class FakeTransport:
    def __init__(self) -> None:
        self.written = b""
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True


def server_frame(opcode: int, payload: bytes, fin: bool = True, first_extra: int = 0) -> bytes:
    first = (rawws.FIN if fin else 0) | opcode | first_extra
    size = len(payload)
    if size < 126:
        return struct.pack("!BB", first, size) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", first, 126, size) + payload
    return struct.pack("!BBQ", first, 127, size) + payload


def client_frames(data: bytes) -> list[Frame]:
    """What the client wrote, unmasked; every frame must be final and masked."""
    frames = []
    while data:
        first, second = data[0], data[1]
        assert first & rawws.FIN, data[:2]
        assert second & 0x80, data[:2]
        size, pos = second & 0x7F, 2
        if size == 126:
            size, pos = struct.unpack("!H", data[2:4])[0], 4
        elif size == 127:
            size, pos = struct.unpack("!Q", data[2:10])[0], 10
        key, payload = data[pos : pos + 4], data[pos + 4 : pos + 4 + size]
        frames.append((first & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(payload))))
        data = data[pos + 4 + size :]
    return frames


async def opened_socket() -> tuple[rawws.WebSocket, list[bytes], FakeTransport]:
    """A socket past its handshake on a fake transport, and the messages it hands on."""
    received: list[bytes] = []
    ws = rawws.WebSocket(received.append)
    transport = FakeTransport()
    ws.connection_made(transport)  # type: ignore[arg-type]
    ws.opened.set_result(None)
    transport.written = b""  # the (empty) request
    return ws, received, transport


MESSAGES = [b"short", b"x" * 200, b"y" * 70_000]  # 7-bit, 16-bit and 64-bit lengths


@pytest.mark.parametrize("chunk", [1, 3, 125, 4096, 1 << 20])
async def test_frames_split_anywhere_are_reassembled(chunk: int) -> None:
    ws, received, _ = await opened_socket()
    wire = b"".join(server_frame(rawws.TEXT, m) for m in MESSAGES)
    for start in range(0, len(wire), chunk):
        ws.data_received(wire[start : start + chunk])
    assert received == MESSAGES
    assert ws.buffer == b""


async def test_a_fragmented_message_comes_whole_with_a_ping_answered_between() -> None:
    ws, received, transport = await opened_socket()
    wire = (
        server_frame(rawws.TEXT, b"hel", fin=False)
        + server_frame(rawws.PING, b"are you there")
        + server_frame(rawws.CONTINUATION, b"lo ", fin=False)
        + server_frame(rawws.CONTINUATION, b"world")
        + server_frame(rawws.TEXT, b"next")
    )
    for byte in range(len(wire)):
        ws.data_received(wire[byte : byte + 1])
    assert received == [b"hello world", b"next"]
    assert client_frames(transport.written) == [(rawws.PONG, b"are you there")]


async def test_a_server_close_is_answered_with_its_code() -> None:
    ws, received, transport = await opened_socket()
    close = server_frame(rawws.CLOSE, (1013).to_bytes(2, "big") + b"slow")
    ws.data_received(close + server_frame(rawws.TEXT, b"late"))
    assert client_frames(transport.written) == [(rawws.CLOSE, (1013).to_bytes(2, "big"))]
    assert transport.closing
    assert received == []  # nothing after the close frame
    ws.connection_lost(None)
    assert await ws.closed == 1013


@pytest.mark.parametrize(
    "wire",
    [
        bytes([rawws.FIN | rawws.TEXT, 0x80 | 2]) + b"\0\0\0\0hi",  # masked: a server never masks
        server_frame(rawws.CONTINUATION, b"orphan"),  # no message to continue
        server_frame(rawws.TEXT, b"rsv", first_extra=0x40),  # RSV1: no extension was negotiated
        server_frame(3, b"reserved opcode"),
        server_frame(rawws.TEXT, b"a", fin=False) + server_frame(rawws.TEXT, b"b"),  # unfinished
    ],
)
async def test_protocol_errors_close_with_1002(wire: bytes) -> None:
    ws, received, transport = await opened_socket()
    ws.data_received(wire + server_frame(rawws.TEXT, b"after"))
    assert received == []
    assert client_frames(transport.written) == [(rawws.CLOSE, (1002).to_bytes(2, "big"))]
    assert transport.closing
    ws.connection_lost(None)
    assert await ws.closed == 1002


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536])
def test_client_frames_are_masked_with_the_right_length(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    frame = rawws.client_frame(rawws.TEXT, payload, b"\x01\x02\x03\x04")
    assert client_frames(frame) == [(rawws.TEXT, payload)]


Handler = Callable[[ServerConnection], Awaitable[None]]


async def serving(handler: Handler, **options: Any) -> tuple[Any, str]:
    server = await serve(handler, "127.0.0.1", 0, compression=None, **options)
    port = next(iter(server.sockets)).getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/api/ws?x=1"


async def test_against_a_real_server() -> None:
    """Handshake with Origin and Cookie, messages of every length and fragmented, a ping, an
    echo of a client frame (masked, or the server fails it), then a 1013 close."""
    seen: dict[str, Any] = {}

    async def handler(conn: ServerConnection) -> None:
        assert conn.request is not None
        seen["path"] = conn.request.path
        seen["origin"] = conn.request.headers.get("Origin")
        seen["cookie"] = conn.request.headers.get("Cookie")
        for message in MESSAGES:
            await conn.send(message.decode())
        await conn.send(["frag", "men", "ted"])
        await asyncio.wait_for(await conn.ping(b"p"), 5)
        await conn.send(await conn.recv())
        await conn.close(1013, "slow consumer")

    server, url = await serving(handler)
    async with server:
        received: list[bytes] = []
        ws = rawws.WebSocket(received.append)
        await ws.open(url, {"Origin": "http://127.0.0.1", "Cookie": "chat_session=abc"})
        ws.send_text("echo " * 100)
        assert await asyncio.wait_for(ws.closed, 5) == 1013
    assert seen == {"path": "/api/ws?x=1", "origin": "http://127.0.0.1", "cookie": "chat_session=abc"}
    assert received == [*MESSAGES, b"fragmented", b"echo " * 100]


async def test_a_refused_upgrade_raises() -> None:
    async def refuse(conn: ServerConnection, request: Request) -> Response:
        return conn.respond(403, "origin refused\n")

    async def handler(conn: ServerConnection) -> None:
        raise AssertionError("not upgraded")

    server, url = await serving(handler, process_request=refuse)
    async with server:
        ws = rawws.WebSocket(lambda message: None)
        with pytest.raises(rawws.HandshakeError, match="403"):
            await ws.open(url, {})
        assert await ws.closed == rawws.ABNORMAL


async def test_a_wrong_accept_key_raises() -> None:
    async def fake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: bm90IHRoZSBrZXk=\r\n\r\n"
        )
        await writer.drain()

    server = await asyncio.start_server(fake, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        with pytest.raises(rawws.HandshakeError):
            await rawws.WebSocket(lambda message: None).open(f"ws://127.0.0.1:{port}/", {})


class Texts(list[str]):
    """The texts a reader handed on; `all_in` is set once `count` came."""

    def __init__(self, count: int):
        super().__init__()
        self.expected = count
        self.all_in = asyncio.Event()

    def append(self, text: str) -> None:
        super().append(text)
        if len(self) >= self.expected:
            self.all_in.set()


def message_frame(n: int) -> str:
    message = {"id": f"1-{n}", "room": "room0", "user": "u", "text": f"m{n}", "ts": 1, "client_id": str(n)}
    return orjson.dumps({"type": "message", "message": message}).decode()


async def test_backend_reader_resumes_with_since_after_1013() -> None:
    """A stand-in backend: the first socket gets 1 and 2 live, then a 1013 close while 3 and 4
    are stored; the reader comes back with since = 2's id and gets 3 and 4 replayed."""
    subscribes: list[dict[str, Any]] = []
    headers: list[Headers] = []

    async def handler(conn: ServerConnection) -> None:
        assert conn.request is not None
        headers.append(conn.request.headers)
        subscribes.append(orjson.loads(await conn.recv()))
        assert orjson.loads(await conn.recv()) == {"type": "ping"}
        first = len(subscribes) == 1
        for n in [] if first else [3, 4]:  # the replay after `since`
            await conn.send(message_frame(n))
        await conn.send('{"type": "pong"}')
        if first:
            await conn.send(message_frame(1))
            await conn.send(message_frame(2))
            await conn.close(1013, "slow consumer")
        else:
            await conn.wait_closed()

    server, url = await serving(handler)
    async with server:
        texts = Texts(4)
        transport = BackendTransport(Target(url, "http://127.0.0.1", ("c=1",), (), ("room0",)))
        reader = await transport.subscriber(0, 0, texts.append)
        await asyncio.wait_for(texts.all_in.wait(), 5)
        await reader.close()
    assert texts == ["m1", "m2", "m3", "m4"]
    assert transport.reconnects() == 1
    assert subscribes == [
        {"type": "subscribe", "room": "room0"},
        {"type": "subscribe", "room": "room0", "since": "1-2"},
    ]
    assert all(h["Origin"] == "http://127.0.0.1" and h["Cookie"] == "c=1" for h in headers)


async def test_socketio_reader_connects_joins_and_answers_pings() -> None:
    """A stand-in Engine.IO v4 / Socket.IO v5 server: open packet, namespace, join with an ack,
    a ping (2) that must be answered (3), then an event."""
    got: list[str] = []

    async def handler(conn: ServerConnection) -> None:
        await conn.send('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000}')
        got.append(str(await conn.recv()))
        await conn.send('40{"sid":"n"}')
        got.append(str(await conn.recv()))
        await conn.send('430[{"room":"room0"}]')
        await conn.send("2")
        got.append(str(await conn.recv()))
        await conn.send('42["message",{"room":"room0","text":"hi","client_id":"1"}]')
        await conn.wait_closed()

    server, url = await serving(handler)
    async with server:
        texts = Texts(1)
        reader = await SocketIOTransport(SocketIOTarget(url, ("room0",))).subscriber(0, 0, texts.append)
        await asyncio.wait_for(texts.all_in.wait(), 5)
        await reader.close()
    assert got == ["40", '420["subscribe","room0"]', "3"]
    assert texts == ["hi"]
