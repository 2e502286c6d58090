"""Stream entries written into PostgreSQL: each message (thread replies too) inserted once,
each edit and delete event recorded once and, only then, applied to its message (a delete takes
the message's reactions with it), and each reaction event applied unless a newer one about the
same message, emoji and person was. Member, topic and thread-count entries are not archived:
reply counts are counted from the archived replies (archive/threads.py, docs/storage.md).
Archiving an entry again (a retry, a second archiver after a lease change) changes nothing."""

from __future__ import annotations

from typing import Any

import psycopg

from chat_backend.store import entries
from chat_backend.store.entries import Entry
from chat_backend.store.messages import parse_id

_MESSAGE = """
INSERT INTO messages (room, id_ms, id_seq, author, body, ts, client_id, seq, thread, in_room)
VALUES (%(room)s, %(ms)s, %(seq_part)s, %(user)s, %(text)s, %(ts)s, %(client_id)s, %(seq)s,
    %(thread)s, %(in_room)s)
ON CONFLICT DO NOTHING
"""
# One statement per event: recorded (if new), then applied to its message (if recorded now).
# A delete empties the text: it is gone from PostgreSQL, not merely flagged.
_CHANGE = """
WITH recorded AS (
    INSERT INTO changes (room, id_ms, id_seq, target_ms, target_seq, kind, author, ts)
    VALUES (%(room)s, %(ms)s, %(seq_part)s, %(target_ms)s, %(target_seq)s, %(kind)s, %(user)s, %(ts)s)
    ON CONFLICT DO NOTHING
    RETURNING target_ms, target_seq
)
UPDATE messages SET
    body = CASE WHEN %(kind)s = 'delete' THEN '' ELSE %(text)s END,
    edited_ts = CASE WHEN %(kind)s = 'delete' THEN NULL ELSE %(ts)s END,
    deleted = %(kind)s = 'delete'
FROM recorded
WHERE messages.room = %(room)s AND messages.id_ms = recorded.target_ms
    AND messages.id_seq = recorded.target_seq AND NOT messages.deleted
"""
_UNREACT = """
DELETE FROM reactions WHERE room = %(room)s AND target_ms = %(target_ms)s AND target_seq = %(target_seq)s
"""
_REACTION = """
INSERT INTO reactions (room, target_ms, target_seq, emoji, username, id_ms, id_seq, present, ts)
VALUES (%(room)s, %(target_ms)s, %(target_seq)s, %(emoji)s, %(user)s, %(ms)s, %(seq_part)s,
    %(present)s, %(ts)s)
ON CONFLICT (room, target_ms, target_seq, emoji, username) DO UPDATE
SET id_ms = excluded.id_ms, id_seq = excluded.id_seq, present = excluded.present, ts = excluded.ts
WHERE (reactions.id_ms, reactions.id_seq) < (excluded.id_ms, excluded.id_seq)
"""


def _row(room: str, entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    ms, seq_part = parse_id(entry_id)
    return {
        "room": room,
        "ms": ms,
        "seq_part": seq_part,
        "user": fields.get("user", ""),
        "text": fields.get("text", ""),
        "ts": int(fields.get("ts", "0")),
        "client_id": fields.get("client_id", ""),
        "seq": int(fields.get("seq", "0")),
        "thread": fields.get(entries.THREAD),
        "in_room": entries.IN_ROOM in fields,
    }


async def store(conn: psycopg.AsyncConnection[Any], room: str, batch: list[Entry]) -> None:
    """The batch (one room's, oldest first) in the connection's transaction. Messages go
    first: an event in the batch is about a message stored before it."""
    messages = [_row(room, eid, fields) for eid, fields in batch if entries.is_message(fields)]
    changes, reactions = [], []
    for eid, fields in batch:
        kind = fields.get(entries.KIND)
        if kind not in (entries.EDIT, entries.DELETE, entries.REACTION):
            continue
        target_ms, target_seq = parse_id(fields.get("target", "0-0"))
        event = {**_row(room, eid, fields), "kind": kind, "target_ms": target_ms, "target_seq": target_seq}
        if kind == entries.REACTION:
            added = fields.get("action") == "add"
            reactions.append({**event, "emoji": fields.get("emoji", ""), "present": added})
        else:
            changes.append(event)
    async with conn.cursor() as cur:
        if messages:
            await cur.executemany(_MESSAGE, messages)
        if reactions:
            await cur.executemany(_REACTION, reactions)
        if changes:
            await cur.executemany(_CHANGE, changes)
            if deletes := [change for change in changes if change["kind"] == entries.DELETE]:
                await cur.executemany(_UNREACT, deletes)
