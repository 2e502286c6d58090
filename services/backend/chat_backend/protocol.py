"""The WebSocket protocol (docs/protocol.md): every frame either way, its error codes and
close codes, defined once. The server parses and emits frames only through these models;
`make protocol` turns them into docs/protocol.schema.json and the frontend's TypeScript types.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError
from starlette import status

from chat_backend.names import (
    DISPLAY_NAME_MAX,
    NAME_RULE,
    NO_CONTROL_CHARACTERS,
    NUL,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROOM_NAME_PATTERN,
    Name,
    shows_nothing,
)

MAX_CLIENT_ID = 64
# Each half of a Redis stream id is an unsigned 64-bit integer; 19 digits always fit (real ids
# are a 13-digit millisecond time and a small counter), so the pattern alone admits only ids a
# stream can hold.
MESSAGE_ID_PATTERN = r"^[0-9]{1,19}(-[0-9]{1,19})?$"
MESSAGE_ID_MAX = 39
_A_MESSAGE_ID = "a message id like 1700000000000-0"
MAX_SEQ = 2**53 - 1  # the largest integer every JSON reader keeps exact
ACTIVITY_INTERVAL_SECONDS = 1.0  # at most one activity frame per socket this often
MAX_MENTIONS = 20  # distinct @names of one message looked up; any further are not notified


def _not_blank(text: str) -> str:
    if shows_nothing(text):
        raise PydanticCustomError("invalid", "must not be blank")
    if NUL in text:
        raise PydanticCustomError("invalid", "must not contain NUL characters")
    return text


def json_integer(value: object) -> object:
    """A BeforeValidator for integers from JSON."""
    # JSON has one kind of number: 5.0 is the integer 5, as JSON Schema reads it; true and "5"
    # are not integers (pydantic's lax mode would take them).
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "must be an integer")
    return value


def _a_seq(seq: int) -> int:
    # Checked here, not as schema bounds: the frontend's schema reader has no numeric keywords.
    if not 0 <= seq <= MAX_SEQ:
        raise PydanticCustomError("invalid", f"must be 0 to {MAX_SEQ}")
    return seq


# A room's name or a DM's (names.py): every frame that takes a room takes a DM too.
RoomName = Annotated[
    str, Field(pattern=ROOM_NAME_PATTERN, description=f"a room name ({NAME_RULE}) or dm:<a>:<b>[:<c>…]")
]
MessageId = Annotated[
    str, Field(pattern=MESSAGE_ID_PATTERN, max_length=MESSAGE_ID_MAX, description=_A_MESSAGE_ID)
]
ClientId = Annotated[
    str, Field(min_length=1, max_length=MAX_CLIENT_ID, description=f"1-{MAX_CLIENT_ID} characters")
]
MessageText = Annotated[
    str,
    Field(description="not blank, at most MAX_MESSAGE_LENGTH characters (a server setting)"),
    AfterValidator(_not_blank),
]
Seq = Annotated[
    int,
    Field(description=f"a message's seq, 0 to {MAX_SEQ}"),
    BeforeValidator(json_integer),
    AfterValidator(_a_seq),
]


class CloseCode(IntEnum):
    """Why the server closes a socket; every one but POLICY_VIOLATION and SESSION_ENDED means:
    reconnect and resume with `since`."""

    POLICY_VIOLATION = status.WS_1008_POLICY_VIOLATION  # Origin not allowed, or not logged in
    MESSAGE_TOO_BIG = status.WS_1009_MESSAGE_TOO_BIG  # a frame over MAX_FRAME_BYTES
    SERVICE_RESTART = status.WS_1012_SERVICE_RESTART  # graceful shutdown of this replica
    TRY_AGAIN_LATER = status.WS_1013_TRY_AGAIN_LATER  # slow consumer, or storage unavailable
    # The socket's session ended (logout, expiry, or ended from elsewhere): log in again; a
    # reconnect with the same cookie is refused.
    SESSION_ENDED = 4401


class ErrorCode(StrEnum):
    """The `code` of an error frame."""

    BAD_JSON = "bad_json"
    BAD_FRAME = "bad_frame"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_TYPE = "unknown_type"
    TOO_LONG = "too_long"
    BINARY_UNSUPPORTED = "binary_unsupported"
    UNKNOWN_ROOM = "unknown_room"  # also a DM the user is not one of the two members of
    UNKNOWN_MESSAGE = "unknown_message"  # no such message in the room, or it was deleted
    FORBIDDEN = "forbidden"  # editing or deleting someone else's message
    NOT_SUBSCRIBED = "not_subscribed"
    TOO_MANY_SUBSCRIPTIONS = "too_many_subscriptions"  # MAX_SUBSCRIPTIONS_PER_SOCKET reached
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
    text: MessageText
    thread: MessageId | None = Field(
        default=None, description="reply to this message of the room (" + _A_MESSAGE_ID + ")"
    )
    in_room: StrictBool = Field(default=False, description="a reply shown in the room's timeline too")


class Edit(_Frame):
    """Replace the text of one's own message; retried with the same `client_id` until acked,
    stored once, as an event in the room's stream."""

    type: Literal["edit"] = "edit"
    client_id: ClientId  # first, as in Send
    room: RoomName
    id: MessageId
    text: MessageText


class Delete(_Frame):
    """Delete one's own message; retried with the same `client_id` until acked, stored once."""

    type: Literal["delete"] = "delete"
    client_id: ClientId
    room: RoomName
    id: MessageId


class Read(_Frame):
    """The user has seen the room up to `seq`: their read position becomes at least that."""

    type: Literal["read"] = "read"
    room: RoomName
    seq: Seq


class Typing(_Frame):
    """ "I am typing", relayed to everyone in the room; needs a subscription to it."""

    type: Literal["typing"] = "typing"
    room: RoomName


class Ping(_Frame):
    """A liveness check, answered with a pong."""

    type: Literal["ping"] = "ping"


ClientFrame = Annotated[
    Subscribe | Unsubscribe | Send | Typing | Ping | Edit | Delete | Read, Field(discriminator="type")
]


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
    seq: int = Field(description="its 1-based position in the room (0: stored before positions were counted)")
    edited_ts: int | None = Field(default=None, description="when it was last edited; absent if never")
    deleted: bool | None = Field(default=None, description="true once deleted (text is then empty)")
    thread: MessageId | None = Field(
        default=None, description="a reply's: the id of the message it replies to"
    )
    in_room: bool | None = Field(default=None, description="a reply also sent to the room's timeline")
    replies: int | None = Field(default=None, description="a message with replies: how many (history only)")
    last_repliers: list[str] | None = Field(
        default=None,
        description="a message with replies: the last few who replied, the latest last (history only)",
    )


class RoomInfo(BaseModel):
    """A room or DM as one user sees it (the room list, and the `room` frame)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["room", "dm"]
    members: list[str] | None = Field(
        default=None, description="a DM's members (two, or a group's up to 9), sorted; rooms have none"
    )
    private: bool | None = Field(default=None, description="true for an invite-only room; absent otherwise")
    joined: bool | None = Field(
        default=None,
        description="a room's: the user is a member (always true for a private one); DMs: absent",
    )
    topic: str | None = Field(default=None, description="the room's topic; absent if never set")
    seq: int = Field(description="messages ever posted in it (the newest one's seq)")
    unread: int = Field(description="seq minus the user's read position, never below 0")
    mentioned: bool = Field(description="an unread message mentions the user")


class RoomSeq(BaseModel):
    """The newest message's seq in a room."""

    model_config = ConfigDict(frozen=True)

    room: str
    seq: int


class Ack(_Frame):
    """Stored (and, with REDIS_ACK_REPLICAS, replicated); a retry gets the same `id` and `ts`.
    For an edit or a delete, `id` is the event's own id, not the message's."""

    type: Literal["ack"] = "ack"
    client_id: str
    id: MessageId
    ts: int = Field(description="the stored message's ts (for a retry, the original's)")


class MessageFrame(_Frame):
    """A message of a subscribed room: replayed after `since`, or live."""

    type: Literal["message"] = "message"
    message: Message


class EditNotice(_Frame):
    """A message of a subscribed room was edited: replayed after `since`, or live."""

    type: Literal["edit"] = "edit"
    room: str
    id: MessageId = Field(description="the edit's own id in the room's stream (a `since`)")
    target: MessageId = Field(description="the edited message's id")
    text: str
    ts: int
    user: str


class DeleteNotice(_Frame):
    """A message of a subscribed room was deleted: replayed after `since`, or live."""

    type: Literal["delete"] = "delete"
    room: str
    id: MessageId = Field(description="the deletion's own id in the room's stream (a `since`)")
    target: MessageId = Field(description="the deleted message's id")
    ts: int
    user: str


class TopicNotice(_Frame):
    """The topic of a subscribed room was set: replayed after `since`, or live."""

    type: Literal["topic"] = "topic"
    room: str
    id: MessageId = Field(description="the change's own id in the room's stream (a `since`)")
    topic: str = Field(description="the new topic; empty: cleared")
    ts: int
    user: str = Field(description="who set it")


MemberAction = Literal["join", "leave", "add", "remove"]


class MemberNotice(_Frame):
    """Someone joined or left a subscribed room, or was added or removed by `user`:
    replayed after `since`, or live."""

    type: Literal["member"] = "member"
    room: str
    id: MessageId = Field(description="the change's own id in the room's stream (a `since`)")
    action: MemberAction
    member: str = Field(description="who joined, left, was added or removed")
    ts: int
    user: str = Field(description="who did it (the member themselves for join and leave)")


class LeftNotice(_Frame):
    """This user is no longer in the private room (left, or removed): it is gone for them,
    and the server ended their sockets' subscriptions to it."""

    type: Literal["left"] = "left"
    room: str


class ThreadNotice(_Frame):
    """A reply was posted to a message of a subscribed room: its thread's new reply count and
    last repliers. Replayed after `since`, or live (after the reply's own message frame)."""

    type: Literal["thread"] = "thread"
    room: str
    id: MessageId = Field(description="this update's own id in the room's stream (a `since`)")
    target: MessageId = Field(description="the message replied to")
    replies: int
    last_repliers: list[str] = Field(description="the last few who replied, the latest last")
    ts: int
    user: str = Field(description="who replied")


class ThreadPage(BaseModel):
    """GET /api/rooms/{room}/messages/{id}/thread."""

    parent: Message
    messages: list[Message] = Field(description="its replies, oldest first")


class ReactionNotice(_Frame):
    """Someone added or removed an emoji reaction on a message of a subscribed room:
    replayed after `since`, or live."""

    type: Literal["reaction"] = "reaction"
    room: str
    id: MessageId = Field(description="the change's own id in the room's stream (a `since`)")
    target: MessageId = Field(description="the message reacted to")
    emoji: str
    action: Literal["add", "remove"]
    ts: int
    user: str


class RoomNotice(_Frame):
    """A room was created, or a DM with this user, or this user was added to a private room."""

    type: Literal["room"] = "room"
    room: RoomInfo


class ActivityNotice(_Frame):
    """Rooms with new messages since the last one (at most one a second; subscribed rooms
    may be left out). Unread = seq minus the read position."""

    type: Literal["activity"] = "activity"
    rooms: list[RoomSeq]


class MentionNotice(_Frame):
    """A message mentioning this user was posted (to every socket of theirs)."""

    type: Literal["mention"] = "mention"
    room: str
    seq: int
    user: str = Field(description="who mentioned")
    id: MessageId


class ReadNotice(_Frame):
    """This user's read position in the room moved (on any of their sockets)."""

    type: Literal["read"] = "read"
    room: str
    seq: int


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
    """A refused frame; nothing was stored. `client_id` names the refused send, edit or delete."""

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
    Ack
    | MessageFrame
    | EditNotice
    | DeleteNotice
    | Presence
    | TypingNotice
    | Pong
    | ErrorFrame
    | RoomNotice
    | ActivityNotice
    | MentionNotice
    | ReadNotice
    | TopicNotice
    | MemberNotice
    | LeftNotice
    | ReactionNotice
    | ThreadNotice,
    Field(discriminator="type"),
]


def encode(frame: ServerFrame) -> bytes:
    """The frame as sent: JSON text (UTF-8), fields that are None left out."""
    return type(frame).__pydantic_serializer__.to_json(frame, exclude_none=True)


PONG = Pong()


class SnippetPart(BaseModel):
    """A piece of a search hit's snippet: plain text, matched (to highlight) or not."""

    text: str
    match: bool


class SearchHit(BaseModel):
    """A message found by GET /api/search, as it is now, with a snippet around what matched."""

    message: Message
    snippet: list[SnippetPart]


# -- HTTP bodies of rooms' membership (docs/protocol.md) ---------------------------------------
class NewRoom(BaseModel):
    """POST /api/rooms: a public room, or with `private` an invite-only one."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    private: StrictBool = False  # true or false only: "no" or 0 is refused, never read as either


class MemberRef(BaseModel):
    """POST /api/rooms/{room}/members: who to add."""

    model_config = ConfigDict(extra="forbid")
    username: Name


class TopicChange(BaseModel):
    """PUT /api/rooms/{room}/topic; empty, or nothing visible, clears it."""

    model_config = ConfigDict(extra="forbid")
    topic: Annotated[
        str,
        Field(
            pattern=NO_CONTROL_CHARACTERS,
            description="at most MAX_TOPIC_LENGTH characters (a server setting); only spaces or other "
            "invisible characters clear it",
        ),
    ]


class Member(BaseModel):
    model_config = ConfigDict(frozen=True)

    username: str
    display_name: str | None = None
    online: bool = Field(description="subscribed to the room right now")


class MemberPage(BaseModel):
    """GET /api/rooms/{room}/members: online members first, each group by name."""

    members: list[Member]
    total: int = Field(description="members in all")
    next_offset: int | None = Field(
        default=None, description="the `offset` of the next page; absent on the last"
    )


Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class PasswordChange(BaseModel):
    """POST /api/me/password."""

    model_config = ConfigDict(extra="forbid")
    current_password: Password
    new_password: Password


class DisplayNameChange(BaseModel):
    """PUT /api/me/display-name; empty, or nothing visible, clears it."""

    model_config = ConfigDict(extra="forbid")
    display_name: Annotated[
        str,
        Field(
            max_length=DISPLAY_NAME_MAX,
            pattern=NO_CONTROL_CHARACTERS,
            description="shown beside the username; only spaces or other invisible characters clear it",
        ),
    ]


class Reaction(BaseModel):
    model_config = ConfigDict(frozen=True)

    emoji: str
    count: int
    users: list[str] = Field(description="who reacted, first first")


class MessageReactions(BaseModel):
    """One message's reactions, in the order each emoji was first used."""

    id: MessageId
    reactions: list[Reaction]


class ReactionsPage(BaseModel):
    """GET /api/rooms/{room}/reactions: the reactions of the messages asked for (those with none
    left out)."""

    messages: list[MessageReactions]


class Person(BaseModel):
    """A user as lists and lookups show them: the unchanging username, and the display name
    they chose (absent if none)."""

    model_config = ConfigDict(frozen=True)

    username: str
    display_name: str | None = None


class Users(BaseModel):
    """GET /api/users: those of the users asked for who are registered."""

    users: list[Person]


class PeoplePage(BaseModel):
    """GET /api/people: people whose username starts with the prefix (any case), by name."""

    people: list[Person]
    after: str | None = Field(default=None, description="the `after` of the next page; absent on the last")


class ErrorBody(BaseModel):
    """Every HTTP error: a fitting 4xx (or 503) status and this body."""

    error: str
    detail: str
