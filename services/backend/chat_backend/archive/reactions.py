"""Reactions wherever they are stored: those of messages still in the Redis stream from Redis,
those of older messages (whose Redis record is dropped once they are trimmed) from PostgreSQL,
in the order Redis shows them: each emoji where it was first used, its people in the order they
reacted. A deleted message has none."""

from __future__ import annotations

from chat_backend.archive.history import History
from chat_backend.protocol import MessageReactions, Reaction
from chat_backend.store.messages import canonical_id, parse_id
from chat_backend.store.reactions import Reactions

_OF = """
SELECT r.target_ms, r.target_seq, r.emoji, r.username FROM reactions r
JOIN messages m ON m.room = r.room AND m.id_ms = r.target_ms AND m.id_seq = r.target_seq
WHERE r.room = %s AND r.present AND NOT m.deleted
    AND (r.target_ms, r.target_seq) IN (SELECT * FROM unnest(%s::bigint[], %s::bigint[]))
ORDER BY r.target_ms, r.target_seq, r.id_ms, r.id_seq
"""


class ReactionHistory:
    def __init__(self, history: History, reactions: Reactions):
        self.history = history
        self.reactions = reactions

    async def of(self, room: str, ids: list[str]) -> list[MessageReactions]:
        """The reactions of those of the messages `ids` that have any, in the order asked."""
        recent = {found.id: found for found in await self.reactions.of(room, ids)}
        archived_before = await self.history.archived_before(room)
        wanted = [canonical_id(given) for given in ids]
        older = [
            parse_id(message_id)
            for message_id in wanted
            if message_id not in recent and archived_before and parse_id(message_id) < archived_before
        ]
        if older:
            recent.update(await self._archived(room, older))
        return [recent[message_id] for message_id in dict.fromkeys(wanted) if message_id in recent]

    async def _archived(self, room: str, ids: list[tuple[int, int]]) -> dict[str, MessageReactions]:
        assert self.history.database is not None
        params = (room, [ms for ms, _ in ids], [seq for _, seq in ids])
        async with self.history.database.connection() as conn:
            rows = await (await conn.execute(_OF, params)).fetchall()
        people: dict[str, dict[str, list[str]]] = {}
        for ms, seq, emoji, user in rows:
            people.setdefault(f"{ms}-{seq}", {}).setdefault(str(emoji), []).append(str(user))
        return {
            target: MessageReactions(
                id=target,
                reactions=[
                    Reaction(emoji=emoji, count=len(who), users=who) for emoji, who in by_emoji.items()
                ],
            )
            for target, by_emoji in people.items()
        }
