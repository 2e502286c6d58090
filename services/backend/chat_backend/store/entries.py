"""A room's stream entries and what clients see of them.

A stream holds messages and, since edits and deletes exist, events about them: an entry with
a `kind` field ("edit" or "delete") names its message in `target`. Messages have no `kind`,
so entries stored before events existed read as they always did; a message without `seq`
was stored before seqs were counted (seq 0).

A room's topic changes (kind "topic": `text`), its membership changes (kind "member":
`action`, `target` the member, `user` who did it) and reactions (kind "reaction": `action`
add or remove, `target` the message, `emoji`) are entries too, so subscribers get them
in order and resume past them like messages.

A message's current edit or deletion is also kept per room (keys.changes), written by the
same script as the event, so history and replay show each message as it is now.
"""

from __future__ import annotations

from typing import cast, get_args

from chat_backend.protocol import (
    DeleteNotice,
    EditNotice,
    MemberAction,
    MemberNotice,
    Message,
    MessageFrame,
    ReactionNotice,
    ThreadNotice,
    TopicNotice,
)

_ACTIONS = get_args(MemberAction)

# A stream entry as redis-py returns it with decode_responses=True.
Entry = tuple[str, dict[str, str]]
KIND = "kind"
EDIT, DELETE, TOPIC, MEMBER, REACTION = "edit", "delete", "topic", "member", "reaction"
THREAD_KIND = "thread"  # a thread's new reply count, after each reply
THREAD, IN_ROOM = "thread", "in_room"  # a reply's fields: its parent, and whether also in the room
# How keys.changes records a change: "e <ts> <text>" or "d <ts>".
EDITED, DELETED = "e", "d"


def is_message(fields: dict[str, str]) -> bool:
    return KIND not in fields


def in_timeline(fields: dict[str, str]) -> bool:
    """A message of the room's own timeline: not a thread reply, unless also sent to the room."""
    return KIND not in fields and (THREAD not in fields or IN_ROOM in fields)


def message(room: str, entry_id: str, fields: dict[str, str], change: str | None = None) -> Message:
    """The protocol's Message from a message entry, with its current change folded in."""
    text, edited_ts, deleted = fields.get("text", ""), None, None
    if change:
        tag, ts, *edited_text = change.split(" ", 2)
        if tag == DELETED:
            text, deleted = "", True
        else:
            text, edited_ts = (edited_text or [""])[0], int(ts)
    # Stored by the scripts from validated frames: built without validating again (the send path).
    return Message.model_construct(
        id=entry_id,
        room=room,
        user=fields.get("user", ""),
        text=text,
        ts=int(fields.get("ts", "0")),
        client_id=fields.get("client_id", ""),
        seq=int(fields.get("seq", "0")),
        edited_ts=edited_ts,
        deleted=deleted,
        thread=fields.get(THREAD),
        in_room=True if IN_ROOM in fields else None,
    )


def frame(
    room: str, entry_id: str, fields: dict[str, str], change: str | None = None
) -> (
    MessageFrame
    | EditNotice
    | DeleteNotice
    | TopicNotice
    | MemberNotice
    | ReactionNotice
    | ThreadNotice
    | None
):
    """The frame a subscriber gets for the entry; None for a kind this version does not know
    (a newer replica's, during a rolling deploy)."""
    kind = fields.get(KIND)
    if kind is None:
        return MessageFrame.model_construct(message=message(room, entry_id, fields, change))
    user, target, ts = fields.get("user", ""), fields.get("target", ""), int(fields.get("ts", "0"))
    if kind == EDIT:
        return EditNotice(
            room=room, id=entry_id, target=target, text=fields.get("text", ""), ts=ts, user=user
        )
    if kind == DELETE:
        return DeleteNotice(room=room, id=entry_id, target=target, ts=ts, user=user)
    if kind == TOPIC:
        return TopicNotice(room=room, id=entry_id, topic=fields.get("text", ""), ts=ts, user=user)
    if kind == THREAD_KIND:
        last = fields.get("last", "")
        return ThreadNotice(
            room=room,
            id=entry_id,
            target=target,
            replies=int(fields.get("replies", "0")),
            last_repliers=last.split(" ") if last else [],
            ts=ts,
            user=user,
        )
    action = fields.get("action")
    if kind == REACTION and action in ("add", "remove"):
        return ReactionNotice(
            room=room,
            id=entry_id,
            target=target,
            emoji=fields.get("emoji", ""),
            action="add" if action == "add" else "remove",
            ts=ts,
            user=user,
        )
    if kind == MEMBER and action in _ACTIONS:
        return MemberNotice(
            room=room, id=entry_id, action=cast(MemberAction, action), member=target, ts=ts, user=user
        )
    return None
