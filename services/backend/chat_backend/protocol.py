"""The WebSocket protocol (docs/protocol.md): every frame either way, its error codes and
close codes, defined once. The server parses and emits frames only through these models;
`make protocol` turns them into docs/protocol.schema.json and the frontend's TypeScript types.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette import status

from chat_backend.names import NAME_PATTERN

MAX_CLIENT_ID = 64
MESSAGE_ID_PATTERN = r"^[0-9]{1,20}(-[0-9]{1,20})?$"

RoomName = Annotated[str, Field(pattern=NAME_PATTERN, description="3-32 of A-Z a-z 0-9 _ . -")]
MessageId = Annotated[
    str, Field(pattern=MESSAGE_ID_PATTERN, max_length=41, description="a message id like 1700000000000-0")
]
ClientId = Annotated[
    str, Field(min_length=1, max_length=MAX_CLIENT_ID, description=f"1-{MAX_CLIENT_ID} characters")
]


class CloseCode:
    """Why the server closes a socket; every one but POLICY_VIOLATION means: reconnect and
    resume with `since`."""

    POLICY_VIOLATION = status.WS_1008_POLICY_VIOLATION  # Origin not allowed, or not logged in
    MESSAGE_TOO_BIG = status.WS_1009_MESSAGE_TOO_BIG  # a frame over MAX_FRAME_BYTES
    SERVICE_RESTART = status.WS_1012_SERVICE_RESTART  # graceful shutdown of this replica
    TRY_AGAIN_LATER = status.WS_1013_TRY_AGAIN_LATER  # slow consumer, or storage unavailable


class ErrorCode(StrEnum):
    """The `code` of an error frame."""

    BAD_JSON = "bad_json"
    BAD_FRAME = "bad_frame"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LONG = "too_long"
    BINARY_UNSUPPORTED = "binary_unsupported"
    UNKNOWN_ROOM = "unknown_room"
    NOT_SUBSCRIBED = "not_subscribed"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# -- client → server -------------------------------------------------------------------------
class Subscribe(_Frame):
    """Live delivery of a room from now on, after a replay of what was stored after `since`."""

    type: Literal["subscribe"] = "subscribe"
    room: RoomName
    since: MessageId | None = None


class Unsubscribe(_Frame):
    type: Literal["unsubscribe"] = "unsubscribe"
    room: RoomName


class Send(_Frame):
    """Post a message; retried with the same `client_id` until acked, stored once."""

    type: Literal["message"] = "message"
    room: RoomName
    text: Annotated[str, Field(min_length=1, description="not blank, at most MAX_MESSAGE_LENGTH characters")]
    client_id: ClientId


class Typing(_Frame):
    type: Literal["typing"] = "typing"
    room: RoomName


class Ping(_Frame):
    type: Literal["ping"] = "ping"


ClientFrame = Annotated[Subscribe | Unsubscribe | Send | Typing | Ping, Field(discriminator="type")]


# -- server → client -------------------------------------------------------------------------
class Message(BaseModel):
    """One stored chat message, as history and live delivery carry it."""

    id: MessageId
    room: str
    user: str
    text: str
    ts: int = Field(description="when the server stored it, ms since the Unix epoch")
    client_id: str


class Ack(_Frame):
    """The message is stored (and, with REDIS_ACK_REPLICAS, replicated); a retry gets the same."""

    type: Literal["ack"] = "ack"
    client_id: str
    id: MessageId
    ts: int = Field(description="the stored message's ts")


class MessageFrame(_Frame):
    type: Literal["message"] = "message"
    message: Message


class Presence(_Frame):
    """Everyone currently subscribed to the room, sorted."""

    type: Literal["presence"] = "presence"
    room: str
    users: list[str]


class TypingNotice(_Frame):
    type: Literal["typing"] = "typing"
    room: str
    user: str


class Pong(_Frame):
    type: Literal["pong"] = "pong"


class ErrorFrame(_Frame):
    """A refused frame; nothing was stored. `client_id` names the refused send, if it was one."""

    type: Literal["error"] = "error"
    code: ErrorCode
    detail: str
    client_id: str | None = None
    retry_after_ms: int | None = Field(default=None, description="with rate_limited: when to retry")


ServerFrame = Annotated[
    Ack | MessageFrame | Presence | TypingNotice | Pong | ErrorFrame, Field(discriminator="type")
]


class ErrorBody(BaseModel):
    """Every HTTP error: a fitting 4xx (or 503) status and this body."""

    error: str
    detail: str
