"""A WebSocket client on a plain TCP socket, for the slow-consumer drill: after the
handshake it reads nothing until told to, so TCP backpressure builds up on the server."""

from __future__ import annotations

import base64
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any

import orjson

CLOSE = 0x8
TEXT = 0x1


class StalledClient:
    def __init__(self, port: int, origin: str, cookie: str, receive_buffer: int = 4096):
        self.sock = socket.socket()
        # A tiny receive window (set before connect) so the server's writes block sooner.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {origin}\r\nCookie: {cookie}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise ConnectionError(f"upgrade refused: {status!r}")

    @property
    def local_port(self) -> int:
        return int(self.sock.getsockname()[1])

    def send(self, frame: dict[str, Any]) -> None:
        self.send_text(orjson.dumps(frame))

    def send_text(self, payload: bytes) -> None:
        """One masked text frame, whatever its size (the server's limit is what is tested)."""
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        length = len(payload)
        header = bytes([0x80 | TEXT])
        if length < 126:
            header += bytes([0x80 | length])
        elif length < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", length)
        self.sock.sendall(header + mask + masked)

    def drain(self, timeout: float = 30) -> Drained:
        """Read everything the server sent until it closes; returns the frames it held.
        A reset after the close frame (the server dropped what it did not read) ends it too."""
        self.sock.settimeout(timeout)
        data = bytearray()
        try:
            while chunk := self.sock.recv(1 << 16):
                data += chunk
        except ConnectionResetError:
            pass
        self.sock.close()
        return parse_frames(bytes(data))


@dataclass
class Drained:
    messages: list[str]  # ids of the message frames, in order
    close_code: int | None


def parse_frames(data: bytes) -> Drained:
    """Server-to-client frames are unmasked: opcode, length, payload."""
    messages: list[str] = []
    close_code = None
    at = 0
    while at + 2 <= len(data):
        opcode, length = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if length == 126:
            (length,) = struct.unpack("!H", data[at : at + 2])
            at += 2
        elif length == 127:
            (length,) = struct.unpack("!Q", data[at : at + 8])
            at += 8
        payload = data[at : at + length]
        at += length
        if opcode == TEXT:
            frame = orjson.loads(payload)
            if frame.get("type") == "message":
                messages.append(frame["message"]["id"])
        elif opcode == CLOSE and len(payload) >= 2:
            (close_code,) = struct.unpack("!H", payload[:2])
    return Drained(messages, close_code)
