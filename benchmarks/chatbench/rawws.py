"""A minimal WebSocket client (RFC 6455) for the load generator: an asyncio.Protocol that parses
server frames inside `data_received` and hands each whole message to a callback synchronously.

The receive side is the load generator's hot path (its CPU is measured beside the servers'): the
`websockets` client spends several times more per message on the futures, queue and task switch
behind each `recv()`. Only what the benchmark needs: ws:// on TCP, no extensions, no subprotocol,
text (and binary) messages handed on as their raw payload bytes, pings answered, close answered."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

OnMessage = Callable[[bytes], None]

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
OPCODES = frozenset((CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG))
FIN = 0x80
WHOLE_TEXT = FIN | TEXT  # first byte of an unfragmented text frame: the fast path
NORMAL, PROTOCOL_ERROR, NO_STATUS, ABNORMAL = 1000, 1002, 1005, 1006
ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLOSE_TIMEOUT_S = 5.0


class HandshakeError(ConnectionError):
    """The server did not switch to WebSocket (e.g. 403 for a refused Origin)."""


def accept_key(key: bytes) -> str:
    digest = hashlib.sha1(key + ACCEPT_GUID).digest()  # noqa: S324 (RFC 6455 fixes SHA-1 here)
    return base64.b64encode(digest).decode()


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, as one big integer (client frames are small and few)."""
    size = len(payload)
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(size, "little")


def client_frame(opcode: int, payload: bytes, key: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", FIN | opcode, 0x80 | size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", FIN | opcode, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", FIN | opcode, 0x80 | 127, size)
    return header + key + mask(payload, key)


def upgrade_request(host: str, target: str, key: bytes, headers: dict[str, str]) -> bytes:
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key.decode()}",
        "Sec-WebSocket-Version: 13",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class WebSocket(asyncio.Protocol):
    """One client connection, handing every message's payload to `on_message`. `opened`
    resolves once the server switched protocols, `closed` with the close code once the TCP
    connection is gone (1006 when no close frame came)."""

    def __init__(self, on_message: OnMessage):
        loop = asyncio.get_running_loop()
        self.on_message = on_message
        self.request, self.accept = b"", ""
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = b""  # what arrived but is not a whole frame (or response head) yet
        self.fragments: list[bytes] = []  # of a message not finished yet
        self.close_code = ABNORMAL
        self.close_sent = False

    async def open(self, url: str, headers: dict[str, str], timeout: float = 30) -> None:
        """Connects to `url` (ws://host:port/path?query) with the extra request `headers`
        (Origin, Cookie). Messages may reach `on_message` before this returns: a server may
        send right after the 101 response, in the same segment."""
        parts = urlsplit(url)
        if parts.scheme != "ws" or parts.hostname is None:
            raise ValueError(f"only ws:// URLs: {url}")
        key = base64.b64encode(os.urandom(16))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.request = upgrade_request(parts.netloc, target, key, headers)
        self.accept = accept_key(key)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                await loop.create_connection(lambda: self, parts.hostname, parts.port or 80)
                await self.opened
        except BaseException:
            if self.transport is None:
                self.closed.set_result(ABNORMAL)  # never connected: nothing else will resolve it
            else:
                self._abort()
            raise

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's does not subclass it
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake: {exc!r}"))
        self.closed.set_result(self.close_code)

    def data_received(self, data: bytes) -> None:
        """Handles every whole frame that arrived and keeps the incomplete rest. One method:
        it runs once per read, and at low rates a read is one delivery."""
        if self.buffer:
            data = self.buffer + data
        if not self.opened.done():
            head_end = data.find(b"\r\n\r\n")
            if head_end < 0:
                self.buffer = data
                return
            if not self._upgraded(data[:head_end]):
                return
            data = data[head_end + 4 :]
        on_message = self.on_message
        pos, size = 0, len(data)
        while size - pos >= 2:
            first, length = data[pos], data[pos + 1]
            start = pos + 2
            if length > 125:
                if length > 127:  # the mask bit: a server never masks
                    self._fail()
                    return
                start += 2 if length == 126 else 8
                if start > size:
                    break
                if length == 126:  # the common case here: two index reads beat from_bytes
                    length = data[pos + 2] << 8 | data[pos + 3]
                else:
                    length = int.from_bytes(data[pos + 2 : start], "big")
            end = start + length
            if end > size:
                break
            if first == WHOLE_TEXT and not self.fragments:
                on_message(data[start:end])
            else:
                self._frame(first, data[start:end])
                if self.transport is not None and self.transport.is_closing():
                    return  # a close frame or a protocol error: nothing after it counts
            pos = end
        self.buffer = data[pos:]

    def _upgraded(self, head: bytes) -> bool:
        status, *lines = head.decode("latin-1").split("\r\n")
        fields = {name.strip().lower(): value.strip() for name, _, value in (x.partition(":") for x in lines)}
        if (
            status.split(" ")[1:2] != ["101"]
            or fields.get("upgrade", "").lower() != "websocket"
            or fields.get("sec-websocket-accept") != self.accept
        ):
            self.opened.set_exception(HandshakeError(f"upgrade refused: {status}"))
            self._abort()
            return False
        self.opened.set_result(None)
        return True

    def _frame(self, first: int, payload: bytes) -> None:
        """Anything but an unfragmented text frame: fragments, control frames, protocol errors."""
        opcode, fin = first & 0x0F, bool(first & FIN)
        if first & 0x70 or opcode not in OPCODES:  # RSV bits: no extension was negotiated
            self._fail()
        elif opcode == PING:
            self._write(PONG, payload)
        elif opcode == CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NO_STATUS
            self._send_close(payload[:2])  # the close handshake: echo the code (none if ours came first)
            assert self.transport is not None
            self.transport.close()
        elif opcode == PONG:
            pass  # no ping of ours is outstanding: keepalive pings are traffic nobody counts
        elif opcode == CONTINUATION:
            if not self.fragments:
                self._fail()
                return
            self.fragments.append(payload)
            if fin:
                message, self.fragments = b"".join(self.fragments), []
                self.on_message(message)
        elif self.fragments:  # a new message while the last one is unfinished
            self._fail()
        elif fin:
            self.on_message(payload)  # binary (whole text frames took the fast path)
        else:
            self.fragments = [payload]

    def _write(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        if not self.transport.is_closing():
            self.transport.write(client_frame(opcode, payload, os.urandom(4)))

    def _send_close(self, code: bytes) -> None:
        if not self.close_sent:
            self.close_sent = True
            self._write(CLOSE, code)

    def _fail(self) -> None:
        self.close_code = PROTOCOL_ERROR
        self._send_close(PROTOCOL_ERROR.to_bytes(2, "big"))
        assert self.transport is not None
        self.transport.close()  # after the close frame is out

    def _abort(self) -> None:
        assert self.transport is not None
        self.transport.abort()

    def send_text(self, text: str) -> None:
        if self.close_sent or self.transport is None or self.transport.is_closing():
            raise ConnectionResetError(f"the WebSocket is closed ({self.close_code})")
        self._write(TEXT, text.encode())

    async def close(self, code: int = NORMAL) -> None:
        """The close handshake: our close frame, the server's answer, then the TCP close."""
        if not self.closed.done():
            self._send_close(code.to_bytes(2, "big"))
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), CLOSE_TIMEOUT_S)
        except TimeoutError:
            self._abort()
            await self.closed
