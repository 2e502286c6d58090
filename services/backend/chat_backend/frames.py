"""Client → server WebSocket frames: parsing and validation into typed requests.

Every way a frame can be wrong maps to an error code and a reason the client can show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from chat_backend.messages import parse_id
from chat_backend.names import is_valid_name

MAX_CLIENT_ID = 64


class FrameError(Exception):
    def __init__(self, code: str, detail: str, client_id: str | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id


@dataclass(frozen=True)
class Subscribe:
    room: str
    since: str | None


@dataclass(frozen=True)
class Unsubscribe:
    room: str


@dataclass(frozen=True)
class Send:
    room: str
    text: str
    client_id: str


@dataclass(frozen=True)
class Typing:
    room: str


@dataclass(frozen=True)
class Ping:
    pass


Frame = Subscribe | Unsubscribe | Send | Typing | Ping


def _field(data: dict[str, Any], name: str, kind: type, client_id: str | None = None) -> Any:
    if name not in data:
        raise FrameError("missing_field", f"'{name}' is required", client_id)
    value = data[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise FrameError("invalid_field", f"'{name}' must be a {kind.__name__}", client_id)
    return value


def _room(data: dict[str, Any], client_id: str | None = None) -> str:
    room = _field(data, "room", str, client_id)
    if not is_valid_name(room):
        raise FrameError("invalid_field", "'room' must be 3-32 of A-Z a-z 0-9 _ . -", client_id)
    return str(room)


def parse(raw: str, max_message_length: int) -> Frame:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise FrameError("bad_json", "frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise FrameError("bad_frame", "frame must be a JSON object with a 'type'")
    kind = data.get("type")
    if kind == "message":
        client_id = _field(data, "client_id", str)
        if not 1 <= len(client_id) <= MAX_CLIENT_ID:
            raise FrameError("invalid_field", f"'client_id' must be 1-{MAX_CLIENT_ID} characters")
        room = _room(data, client_id)
        text = _field(data, "text", str, client_id)
        if not text.strip():
            raise FrameError("invalid_field", "'text' must not be empty", client_id)
        if len(text) > max_message_length:
            raise FrameError("too_long", f"'text' is longer than {max_message_length} characters", client_id)
        return Send(room, text, client_id)
    if kind == "subscribe":
        room = _room(data)
        since = data.get("since")
        if since is not None and parse_id(since) is None:
            raise FrameError("invalid_field", "'since' must be a message id like 1700000000000-0")
        return Subscribe(room, since)
    if kind == "unsubscribe":
        return Unsubscribe(_room(data))
    if kind == "typing":
        return Typing(_room(data))
    if kind == "ping":
        return Ping()
    if kind is None:
        raise FrameError("missing_field", "'type' is required")
    raise FrameError("unknown_type", f"unknown frame type {str(kind)[:40]!r}")
