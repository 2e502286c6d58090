"""Server frames as WebSocket bytes, and the outbox that puts them on a socket.

Server→client frames are unmasked and the backend negotiates no compression, so a message
is the same bytes on every socket: it is framed once per worker and that one object goes to
every subscriber. Under uvicorn the outbox writes it straight to the socket's transport (no
queue, no task wake-up, one writev for a batch of frames) and the transport's write buffer is
the bounded queue. Under any other server a writer task per socket sends queued frames
through ASGI `websocket.send`.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections import deque
from collections.abc import MutableMapping, Sequence
from typing import Any, Protocol

from starlette.websockets import WebSocket

_TEXT = 0x81  # FIN + text opcode


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((_TEXT, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT, 126, size) + payload
    return struct.pack("!BBQ", _TEXT, 127, size) + payload


def payload_of(frame: bytes) -> bytes:
    """The JSON text_frame() wrapped."""
    marker = frame[1]
    return frame[2 if marker < 126 else 4 if marker == 126 else 10 :]


class Outbox(Protocol):
    def write(self, frames: Sequence[bytes]) -> None:
        """Queue `frames` (from text_frame) to go out in this order, after everything before."""

    def buffered(self) -> int:
        """Bytes written but not yet handed to the kernel."""

    def stop(self) -> None:
        """Nothing more is sent through ASGI (frames a transport holds still go out, before
        the close frame)."""


class TransportOutbox:
    """uvicorn's websockets-sansio protocol owns the socket; frames go to its transport."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, protocol: Any):
        self._protocol = protocol
        self._transport: asyncio.WriteTransport = protocol.transport

    def write(self, frames: Sequence[bytes]) -> None:
        # Once uvicorn sent a close frame (e.g. its own on SIGTERM) nothing may follow it.
        if not self._protocol.close_sent:
            self._transport.writelines(frames)

    def buffered(self) -> int:
        return self._transport.get_write_buffer_size()

    def stop(self) -> None:
        pass


class QueueOutbox:
    """A writer task per socket drains the queue through ASGI `websocket.send`."""

    def __init__(self, ws: WebSocket):
        self._ws = ws
        self._queue: deque[bytes] = deque()
        self._queued = 0
        self._ready = asyncio.Event()
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    def write(self, frames: Sequence[bytes]) -> None:
        self._queue.extend(frames)
        self._queued += sum(map(len, frames))
        self._ready.set()

    def buffered(self) -> int:
        return self._queued

    def stop(self) -> None:
        self._writer.cancel()

    async def _write_loop(self) -> None:
        send, queue, ready = self._ws.send_text, self._queue, self._ready
        with contextlib.suppress(Exception):
            while True:
                while not queue:
                    ready.clear()
                    await ready.wait()
                frame = queue.popleft()
                await send(payload_of(frame).decode())
                self._queued -= len(frame)


def outbox_for(ws: WebSocket) -> Outbox:
    """Straight to the transport under uvicorn (the ASGI `send` it handed the app is a bound
    method of its protocol), through ASGI otherwise."""
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    protocol = getattr(ws._send, "__self__", None)  # the ASGI send the server handed the app
    if isinstance(protocol, WebSocketsSansIOProtocol):
        _forget_handshake(protocol, ws.scope)
        return TransportOutbox(protocol)
    return QueueOutbox(ws)


def _forget_handshake(protocol: Any, scope: MutableMapping[str, Any]) -> None:
    """Once the socket is open uvicorn never reads the handshake's request and response, nor
    the scope's raw headers, again (its logs use the client and the path); kept for hours by
    every idle socket they are about 4 KiB of it. The app read the headers it needs already."""
    protocol.request = protocol.response = None
    scope["headers"] = []
