"""The WebSocket protocol (docs/protocol.md): every frame either way, its error codes and
close codes, defined once. The server parses and emits frames only through these models;
`make protocol` turns them into docs/protocol.schema.json and the frontend's TypeScript types.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from starlette import status

from chat_backend.names import Name

MAX_CLIENT_ID = 64
MESSAGE_ID_PATTERN = r"^[0-9]{1,20}(-[0-9]{1,20})?$"
_A_MESSAGE_ID = "a message id like 1700000000000-0"

RoomName = Name
MessageId = Annotated[str, Field(pattern=MESSAGE_ID_PATTERN, max_length=41, description=_A_MESSAGE_ID)]
ClientId = Annotated[
    str, Field(min_length=1, max_length=MAX_CLIENT_ID, description=f"1-{MAX_CLIENT_ID} characters")
]


class CloseCode(IntEnum):
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


def _type_is_required(schema: dict[str, Any]) -> None:
    # The models fill `type` in, but every frame on the wire has it, and a frame without one
    # is refused: the schema (and the types generated from it) says so.
    schema["required"] = ["type", *schema.get("required", [])]


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", json_schema_extra=_type_is_required)


# -- client → server -------------------------------------------------------------------------
class Subscribe(_Frame):
    """Live delivery of a room from now on, after a replay of what was stored after `since`."""

    type: Literal["subscribe"] = "subscribe"
    room: RoomName
    # Described here too: pydantic keeps the description of MessageId inside the union with None.
    since: MessageId | None = Field(default=None, description=_A_MESSAGE_ID)


class Unsubscribe(_Frame):
    """Stop delivery of a room to this socket."""

    type: Literal["unsubscribe"] = "unsubscribe"
    room: RoomName


class Send(_Frame):
    """Post a message; retried with the same `client_id` until acked, stored once."""

    type: Literal["message"] = "message"
    # First: fields are checked in order, so an error about a later one can name the send.
    client_id: ClientId
    room: RoomName
    text: Annotated[
        str, Field(description="not blank, at most MAX_MESSAGE_LENGTH characters (a server setting)")
    ]

    @field_validator("text")
    @classmethod
    def _not_blank(cls, text: str) -> str:
        if not text.strip():
            raise PydanticCustomError("invalid", "must not be blank")
        return text


class Typing(_Frame):
    """ "I am typing", relayed to everyone in the room; needs a subscription to it."""

    type: Literal["typing"] = "typing"
    room: RoomName


class Ping(_Frame):
    """A liveness check, answered with a pong."""

    type: Literal["ping"] = "ping"


ClientFrame = Annotated[Subscribe | Unsubscribe | Send | Typing | Ping, Field(discriminator="type")]


# -- server → client -------------------------------------------------------------------------
class Message(BaseModel):
    """One stored chat message, as history and live delivery carry it."""

    model_config = ConfigDict(frozen=True)

    id: MessageId
    room: str
    user: str
    text: str
    ts: int = Field(description="when the server stored it, ms since the Unix epoch")
    client_id: str


class Ack(_Frame):
    """Stored (and, with REDIS_ACK_REPLICAS, replicated); a retry gets the same `id` and `ts`."""

    type: Literal["ack"] = "ack"
    client_id: str
    id: MessageId
    ts: int = Field(description="the stored message's ts (for a retry, the original's)")


class MessageFrame(_Frame):
    """A message of a subscribed room: replayed after `since`, or live."""

    type: Literal["message"] = "message"
    message: Message


class Presence(_Frame):
    """Everyone currently subscribed to the room, sorted."""

    type: Literal["presence"] = "presence"
    room: str
    users: list[str]


class TypingNotice(_Frame):
    """Someone subscribed to the room is typing (the sender's own sockets get it too)."""

    type: Literal["typing"] = "typing"
    room: str
    user: str


class Pong(_Frame):
    """The answer to a ping."""

    type: Literal["pong"] = "pong"


class ErrorFrame(_Frame):
    """A refused frame; nothing was stored. `client_id` names the refused send, if it was one."""

    type: Literal["error"] = "error"
    # A newer server may send a code this client does not know yet (a rolling deploy): the
    # schema admits any string, so such a refusal still reaches the client as a refusal.
    code: ErrorCode | str = Field(description="an ErrorCode; treat any other as a refusal")
    detail: str
    client_id: str | None = None
    retry_after_ms: int | None = Field(
        default=None, description="with rate_limited: milliseconds until a resend may be stored (> 0)"
    )


ServerFrame = Annotated[
    Ack | MessageFrame | Presence | TypingNotice | Pong | ErrorFrame, Field(discriminator="type")
]


def encode(frame: ServerFrame) -> bytes:
    """The frame as sent: JSON text (UTF-8), fields that are None left out."""
    return type(frame).__pydantic_serializer__.to_json(frame, exclude_none=True)


PONG = Pong()


class ErrorBody(BaseModel):
    """Every HTTP error: a fitting 4xx (or 503) status and this body."""

    error: str
    detail: str
