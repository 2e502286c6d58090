"""Threads wherever they are stored: a thread whose first message was trimmed from the Redis
stream is read from PostgreSQL (its first message and every reply archived), and so are the
reply counts and last repliers of such messages, which Redis drops with the message (the
thread's record goes when its parent is trimmed, store/threads.py).

Replies to a trimmed message are refused by the send path (its parent must be in the stream),
so what PostgreSQL holds of such a thread is the whole of it once the archiver has caught up."""

from __future__ import annotations

from typing import cast

from chat_backend.archive.history import History, message
from chat_backend.protocol import Message
from chat_backend.store.messages import canonical_id, parse_id
from chat_backend.store.threads import LAST_REPLIERS, Summary, Threads

# The first message (no reply itself), then its replies, oldest first; the columns `message` reads.
_THREAD = """
SELECT id_ms, id_seq, author, body, ts, client_id, seq, edited_ts, deleted, thread, in_room FROM messages
WHERE room = %(room)s AND (((id_ms, id_seq) = (%(ms)s, %(seq)s) AND thread IS NULL) OR thread = %(id)s)
ORDER BY id_ms, id_seq
"""
_COUNTS = "SELECT thread, count(*) FROM messages WHERE room = %s AND thread = ANY(%s) GROUP BY thread"
# Each replier once, at their latest reply, in the order of those replies.
_REPLIERS = """
SELECT thread, author FROM (
    SELECT thread, author, id_ms, id_seq,
        row_number() OVER (PARTITION BY thread, author ORDER BY id_ms DESC, id_seq DESC) AS latest
    FROM messages WHERE room = %s AND thread = ANY(%s)
) AS replies
WHERE latest = 1 ORDER BY thread, id_ms, id_seq
"""


class ThreadHistory:
    def __init__(self, history: History, threads: Threads):
        self.history = history
        self.threads = threads

    async def with_summaries(self, room: str, shown: list[Message]) -> list[Message]:
        """`shown`, those replied to with their reply count and last repliers: from Redis, and
        from PostgreSQL for messages older than the stream."""
        found = await self.threads.with_summaries(room, shown)
        first_kept = await self.history.archived_before(room)
        archived = [m for m in found if m.replies is None and first_kept and parse_id(m.id) < first_kept]
        if not archived:
            return found
        counted = {m.id: m for m in await self._with_archived_summaries(room, archived)}
        return [counted.get(m.id, m) for m in found]

    async def thread(self, room: str, parent: str) -> tuple[Message, list[Message]] | None:
        """The message and its replies, oldest first, wherever they are stored; None when the
        room has no such message (or it is itself a reply)."""
        found = await self.threads.thread(room, parent)
        if found is not None:
            (first,) = await self.threads.with_summaries(room, [found[0]])
            return first, found[1]
        first_kept = await self.history.archived_before(room)
        if first_kept is None or parse_id(parent) >= first_kept:
            return None
        assert self.history.database is not None
        ms, seq = parse_id(parent)
        params = {"room": room, "ms": ms, "seq": seq, "id": canonical_id(parent)}
        async with self.history.database.connection() as conn:
            rows = await (await conn.execute(_THREAD, params)).fetchall()
        stored = [message(room, row) for row in rows]
        if not stored or stored[0].id != canonical_id(parent):
            return None
        (first,) = await self._with_archived_summaries(room, stored[:1])
        return first, stored[1:]

    async def _with_archived_summaries(self, room: str, archived: list[Message]) -> list[Message]:
        """`archived`, those replied to with the reply count and last repliers PostgreSQL holds."""
        assert self.history.database is not None
        ids = [m.id for m in archived]
        async with self.history.database.connection() as conn:
            counts = await (await conn.execute(_COUNTS, (room, ids))).fetchall()
            replied = await (await conn.execute(_REPLIERS, (room, ids))).fetchall()
        repliers: dict[str, list[str]] = {}
        for thread, author in cast(list[tuple[str, str]], replied):
            repliers.setdefault(thread, []).append(author)
        summaries = {
            thread: Summary(count, repliers.get(thread, [])[-LAST_REPLIERS:])
            for thread, count in cast(list[tuple[str, int]], counts)
        }
        return [
            m.model_copy(update={"replies": s.replies, "last_repliers": s.last_repliers})
            if (s := summaries.get(m.id))
            else m
            for m in archived
        ]
