"""Full-text search over the messages PostgreSQL holds (messages.search: a tsvector with a GIN
index), within the rooms the caller names (those the user can see: store/rooms.py `visible`).

The snippet comes back as parts, matched or not, never as markup: ts_headline marks the
matches with tokens made afresh for each search, which no message can anticipate, and the
text is split on them."""

from __future__ import annotations

import secrets

from chat_backend.archive.database import Database
from chat_backend.archive.history import message
from chat_backend.protocol import SearchHit, SnippetPart

# 'english': the text search configuration of the messages.search column (migration 0001).
SEARCH = """
SELECT id_ms, id_seq, author, body, ts, client_id, seq, edited_ts, deleted, thread, in_room, room,
    ts_headline('english', body, query, %(options)s)
FROM (
    SELECT messages.*, query
    FROM messages, websearch_to_tsquery('english', %(q)s) query
    WHERE room = ANY(%(rooms)s) AND search @@ query AND NOT deleted
    ORDER BY ts DESC, id_ms DESC, id_seq DESC
    LIMIT %(limit)s
) hit
ORDER BY ts DESC, id_ms DESC, id_seq DESC
"""


def headline_options(start: str, stop: str) -> str:
    """ts_headline's options: up to two fragments of 12 to 30 words, matches between
    `start` and `stop`."""
    return (
        f'StartSel={start}, StopSel={stop}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
    )


def snippet(marked: str, start: str, stop: str) -> list[SnippetPart]:
    """ts_headline's text, its matches between `start` and `stop`, as parts."""
    parts = []
    for index, piece in enumerate(marked.split(start)):
        matched, _, rest = piece.partition(stop) if index else ("", "", piece)
        parts += [SnippetPart(text=matched, match=True)] if matched else []
        parts += [SnippetPart(text=rest, match=False)] if rest else []
    return parts


async def search(database: Database, rooms: list[str], q: str, limit: int) -> list[SearchHit]:
    """Up to `limit` messages of `rooms` matching `q` (web search syntax: words, "phrases",
    -excluded, or), newest first; deleted ones never (their text is gone)."""
    if not rooms:
        return []
    start, stop = f"S{secrets.token_hex(8)}", f"E{secrets.token_hex(8)}"
    options = headline_options(start, stop)
    async with database.connection() as conn:
        rows = await (
            await conn.execute(SEARCH, {"q": q, "rooms": rooms, "limit": limit, "options": options})
        ).fetchall()
    return [
        SearchHit(message=message(str(room), row), snippet=snippet(str(marked), start, stop))
        for *row, room, marked in rows
    ]
