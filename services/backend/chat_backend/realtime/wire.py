"""Server frames as WebSocket bytes.

Server→client frames are unmasked and the backend negotiates no compression, so a message
is the same bytes on every socket: it is framed once per worker and that one object goes to
every subscriber, written straight to each socket's transport (uvicorn_adapter.py).
"""

from __future__ import annotations

import struct

from chat_backend.protocol import ServerFrame, encode

_TEXT = 0x81  # FIN + text opcode


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2)."""
    size = len(payload)
    if size < 126:
        return bytes((_TEXT, size)) + payload
    if size < 1 << 16:
        return struct.pack("!BBH", _TEXT, 126, size) + payload
    return struct.pack("!BBQ", _TEXT, 127, size) + payload


def server_frame(frame: ServerFrame) -> bytes:
    """The frame as protocol.encode writes it, framed."""
    return text_frame(encode(frame))


def max_frame_bytes(max_message_length: int) -> int:
    """About the most bytes a message frame takes: 4 bytes a character of text at most, and
    room for the rest of the message."""
    return 4 * max_message_length + 512
