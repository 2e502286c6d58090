"""WebSocket frames as the client sees them: client frames encoded from the protocol models,
server frames decoded into them (docs/protocol.md, chat_backend.protocol)."""

from __future__ import annotations

from typing import Any, NamedTuple, get_args

import orjson
from chat_backend.protocol import ClientFrame, MessageFrame, ServerFrame
from pydantic import BaseModel, TypeAdapter, ValidationError

_SERVER_FRAMES: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)


class OffProtocolError(ValueError):
    """The server sent a frame the protocol does not describe exactly."""


def frame_types(union: Any) -> tuple[type[BaseModel], ...]:
    """The models of `ClientFrame` or `ServerFrame`, so what iterates them covers new ones."""
    members: tuple[type[BaseModel], ...] = get_args(get_args(union)[0])
    return members


def tag(frame_type: type[BaseModel]) -> str:
    """The `type` a frame model is sent with."""
    return str(frame_type.model_fields["type"].default)


_MESSAGE = tag(MessageFrame)


def encode(frame: ClientFrame) -> str:
    # Optional fields left out rather than sent as null, as the frontend does (`since`).
    return frame.model_dump_json(exclude_none=True)


def decode(raw: str | bytes) -> ServerFrame:
    """The frame as its model. Strict and without extra fields: a field the models lack, or a
    value only coercion would fit, is a server off the protocol, not something to tolerate."""
    try:
        return _SERVER_FRAMES.validate_json(raw, strict=True, extra="forbid")
    except ValidationError as error:
        raise OffProtocolError(f"{error}\nframe: {raw[:300]!r}") from None


class Delivery(NamedTuple):
    id: str
    text: str


def delivery(raw: str | bytes) -> Delivery | None:
    """The id and text of a message frame, None for any other frame (acks, edits, deletes,
    notices: all but messages). For receive loops whose CPU is measured: two fields read off
    orjson's dict cost a third of validating the frame (decode), whose checks the test suites
    make on every frame."""
    frame = orjson.loads(raw)
    if frame["type"] != _MESSAGE:
        return None
    message = frame["message"]
    return Delivery(message["id"], message["text"])
