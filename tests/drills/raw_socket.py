"""A WebSocket client on a plain blocking TCP socket, for what an asyncio client hides: after
the handshake it reads nothing until told to, so TCP backpressure builds up on the server
(slow consumer), and it reads the close frame off the wire even when a TCP reset follows it,
which a WebSocket library reports as 1006 instead (frames over the size limit). The framing
is websockets' sans-I/O protocol and the frames the chat kit's; only the I/O is raw."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from chat_backend.protocol import ClientFrame, MessageFrame
from chatkit import decode, encode, ws_url
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri


class StalledClient:
    def __init__(self, port: int, origin: str, cookie: str, receive_buffer: int = 4096):
        self.sock = socket.socket()
        # A tiny receive window (set before connect) so the server's writes block sooner.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect(("127.0.0.1", port))
        uri = parse_uri(ws_url(f"http://127.0.0.1:{port}"))
        self.protocol = ClientProtocol(uri, origin=Origin(origin), max_size=None)  # all counts
        request = self.protocol.connect()
        request.headers["Cookie"] = cookie
        self.protocol.send_request(request)
        self._flush()
        while self.protocol.state is State.CONNECTING and self.protocol.handshake_exc is None:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            self.protocol.receive_data(chunk)
        if self.protocol.handshake_exc is not None:
            raise ConnectionError(f"upgrade refused: {self.protocol.handshake_exc}")

    def send(self, frame: ClientFrame) -> None:
        self.send_text(encode(frame).encode())

    def send_text(self, payload: bytes) -> None:
        """One text frame, whatever its size (the server's limit is what is tested)."""
        self.protocol.send_text(payload)
        self._flush()

    def _flush(self) -> None:
        self.sock.sendall(b"".join(self.protocol.data_to_send()))

    def drain(self, timeout: float = 30) -> Drained:
        """Read everything the server sent until it closes; returns the frames it held.
        A reset after the close frame (the server dropped what it did not read) ends it too."""
        self.sock.settimeout(timeout)
        try:
            while chunk := self.sock.recv(1 << 16):
                self.protocol.receive_data(chunk)
        except ConnectionResetError:
            pass
        self.sock.close()
        self.protocol.receive_eof()
        texts = [
            bytes(event.data)
            for event in self.protocol.events_received()
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT
        ]
        messages = [frame.message.id for frame in map(decode, texts) if isinstance(frame, MessageFrame)]
        close = self.protocol.close_rcvd
        return Drained(messages, close.code if close else None)


@dataclass
class Drained:
    messages: list[str]  # ids of the message frames, in order
    close_code: int | None
