"""Where the WebSocket path relies on uvicorn's internals, for speed (the server's own main loop
is the other place: server.py).

Under uvicorn's websockets-sansio protocol the ASGI `send` a socket was handed is a bound
method of that protocol, which owns the socket's transport. Frames (wire.py) are written
straight to that transport: no queue, no task wake-up, one writev for a batch of frames, and
the transport's write buffer is the bounded queue (connection.py drops a socket whose buffer
outgrows SEND_BUFFER_BYTES). `python -m chat_backend` runs uvicorn with UVICORN_PROTOCOLS, so
every socket is served so; tests/test_uvicorn_adapter.py fails when the pinned uvicorn no
longer has what this module touches.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping, Sequence
from typing import Any

from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# websockets-sansio, whose transport the outbox writes to. With no compression a frame is the
# same bytes on every socket (chat frames are small: deflate costs more CPU than it saves).
# ws_max_size (MAX_FRAME_BYTES) is uvicorn's too: it closes a socket sending more with 1009.
UVICORN_PROTOCOLS: dict[str, Any] = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,
    # The server's own WebSocket ping only finds peers gone without a word (a half-open TCP
    # connection), to free their socket: once a minute, answered within 20 s, is enough. It is a
    # timer and two frames per socket, so uvicorn's 20 s default made thousands of idle sockets
    # cost a worker more than the chat's own idle work.
    "ws_ping_interval": 60.0,
    "ws_ping_timeout": 20.0,
}


class TransportOutbox:
    """Frames for one socket, written to its transport as they come."""

    __slots__ = ("_protocol", "_transport")

    def __init__(self, protocol: WebSocketsSansIOProtocol):
        self._protocol = protocol
        self._transport: asyncio.WriteTransport = protocol.transport

    def write(self, frames: Sequence[bytes]) -> None:
        """`frames` (from wire.text_frame) go out in this order, after everything before."""
        # Once uvicorn sent a close frame (e.g. its own on SIGTERM) nothing may follow it; a
        # transport the peer closed refuses writes (uvloop raises) before the receive loop knows.
        if not self._protocol.close_sent and not self._transport.is_closing():
            self._transport.writelines(frames)

    def buffered(self) -> int:
        """Bytes written but not yet handed to the kernel."""
        return self._transport.get_write_buffer_size()


def outbox_for(ws: WebSocket) -> TransportOutbox:
    """The accepted socket's outbox; refuses a socket not served by websockets-sansio."""
    protocol = getattr(ws._send, "__self__", None)  # the ASGI send the server handed the app
    if not isinstance(protocol, WebSocketsSansIOProtocol):
        raise TypeError(f"WebSockets must be served by uvicorn with {UVICORN_PROTOCOLS}, not by {protocol!r}")
    _forget_handshake(protocol, ws.scope)
    return TransportOutbox(protocol)


def _forget_handshake(protocol: WebSocketsSansIOProtocol, scope: MutableMapping[str, Any]) -> None:
    """Once the socket is open uvicorn never reads the handshake's request and response, nor
    the scope's raw headers, again (its logs use the client and the path); kept for hours by
    every idle socket they are about 4 KiB of it. The app read the headers it needs already."""
    protocol.request = protocol.response = None  # type: ignore[assignment]
    scope["headers"] = []
