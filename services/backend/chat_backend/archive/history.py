"""A room's history wherever it is stored: the newest in the Redis stream, everything older in
PostgreSQL, read as one sequence (same order, same shape, edits and deletes applied).

The stream holds every entry PostgreSQL may lack, and is trimmed only up to what it holds
(store/messages.py `trim`), so reading the stream first and PostgreSQL for what lies beyond
the stream's oldest message leaves no gap, whatever trim runs in between."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chat_backend.archive.database import Database
from chat_backend.protocol import Message
from chat_backend.store.messages import Messages, parse_id

_MAX_ID = (2**63 - 1, 2**63 - 1)  # beyond any id PostgreSQL holds (bigint)
# Both select a message's columns as `message` reads them, and the room's timeline only: thread
# replies not also sent to the room are left out, as entries.in_timeline leaves them.
OLDER = """
SELECT id_ms, id_seq, author, body, ts, client_id, seq, edited_ts, deleted, thread, in_room FROM messages
WHERE room = %s AND (id_ms, id_seq) < (%s, %s) AND (thread IS NULL OR in_room)
ORDER BY id_ms DESC, id_seq DESC LIMIT %s
"""
_FROM = """
SELECT id_ms, id_seq, author, body, ts, client_id, seq, edited_ts, deleted, thread, in_room FROM messages
WHERE room = %s AND (id_ms, id_seq) >= (%s, %s) AND (id_ms, id_seq) < (%s, %s)
    AND (thread IS NULL OR in_room)
ORDER BY id_ms, id_seq LIMIT %s
"""
_RETRIES = 3  # a trim between the reads of `around` makes it read again; twice in a row is rare


def message(room: str, row: Sequence[Any]) -> Message:
    """The protocol's Message from a row of the columns OLDER selects."""
    ms, seq_part, user, text, ts, client_id, seq, edited_ts, deleted, thread, in_room = row
    return Message(
        id=f"{ms}-{seq_part}",
        room=room,
        user=user,
        text=text,
        ts=ts,
        client_id=client_id,
        seq=seq,
        edited_ts=edited_ts,
        deleted=True if deleted else None,
        thread=thread,
        in_room=True if in_room else None,
    )


def _clamped(ms_seq: tuple[int, int]) -> tuple[int, int]:
    return min(ms_seq, _MAX_ID)


class History:
    def __init__(self, messages: Messages, database: Database | None):
        """`database` None: the stream is all there is (no DATABASE_URL)."""
        self.messages = messages
        self.database = database

    async def page(self, room: str, limit: int, before: str | None) -> list[Message]:
        """Up to `limit` messages older than `before` (exclusive), oldest first."""
        recent = await self.messages.history(room, limit, before)
        if len(recent) == limit or self.database is None:
            return recent
        # Read after the stream: had it been trimmed before that read, the mark is set.
        if await self.messages.first_kept(room) is None:
            return recent  # never trimmed: the stream holds the whole room
        end = parse_id(recent[0].id) if recent else parse_id(before) if before else _MAX_ID
        older = await self._older(room, limit - len(recent), end)
        return older + recent

    async def archived_before(self, room: str) -> tuple[int, int] | None:
        """The id before which the room's history is PostgreSQL's alone (the stream's first
        entry since it was trimmed); None when the stream holds it all, or without PostgreSQL."""
        return None if self.database is None else await self.messages.first_kept(room)

    async def around(self, room: str, target: str, limit: int) -> list[Message]:
        """About `limit` messages around `target`: half before it, then it and those after."""
        older = await self.page(room, limit // 2, target)
        return older + await self._from(room, target, limit - len(older))

    async def _older(self, room: str, limit: int, end: tuple[int, int]) -> list[Message]:
        assert self.database is not None
        async with self.database.connection() as conn:
            rows = await (await conn.execute(OLDER, (room, *_clamped(end), limit))).fetchall()
        return [message(room, row) for row in reversed(rows)]

    async def _from(self, room: str, start: str, limit: int) -> list[Message]:
        """Up to `limit` messages from `start` (inclusive) on: PostgreSQL's up to the stream's
        first, then the stream's."""
        for _ in range(_RETRIES):
            first_kept = await self.messages.first_kept(room)
            if self.database is None or first_kept is None or parse_id(start) >= first_kept:
                return await self.messages.from_id(room, start, limit)
            async with self.database.connection() as conn:
                rows = await (
                    await conn.execute(_FROM, (room, *_clamped(parse_id(start)), *first_kept, limit))
                ).fetchall()
            archived = [message(room, row) for row in rows]
            ms, seq = first_kept
            recent = await self.messages.from_id(room, f"{ms}-{seq}", limit - len(archived))
            if await self.messages.first_kept(room) == first_kept:  # no trim in between: no gap
                return archived + recent
        raise RuntimeError("the stream was trimmed during every read")
