"""Emoji reactions on messages: add and remove, idempotent, at most MAX_REACTIONS_PER_MESSAGE
distinct emoji on one message.

An emoji is one the `emoji` package (pinned) knows: its data is the Unicode emoji list, one
fact however it is typed. Each message's reactions are one field of a hash per room
(Keys.reactions: {emoji: [user, …]} as JSON), changed by one script together with a
"reaction" entry of the room's stream (entries.py), so subscribers see each change in order
and a resume replays it; the script checks the message, the send rate limit (shared with
sends) and the ceiling first. Reactions of messages trimmed from the stream (archived with
them: archive/records.py) are dropped once the hash holds twice as many messages as the
stream keeps; a deleted message's go with the delete (store/messages.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, cast

import emoji as emoji_data
import orjson

from chat_backend.protocol import MessageReactions, Reaction
from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.messages import APPEND, PURGE_TRIMMED, RATE, Messages, RateLimited, canonical_id

# KEYS[1] the stream, KEYS[2] the reactions, KEYS[3] the user's rate window, KEYS[4] the
# changes, KEYS[5] the room's seq, KEYS[6] the room's channel (the tail's bell). ARGV[1..5] as
# Messages.limits gives them (ARGV[2], the retry window, unused: a reaction is idempotent by
# itself), ARGV[6] the message,
# ARGV[7] ts, ARGV[8] the emoji, ARGV[9] add or remove, ARGV[10] the ceiling.
_REACT = (
    APPEND
    + PURGE_TRIMMED
    + """
local entry = redis.call('XRANGE', KEYS[1], ARGV[6], ARGV[6])[1]
if not entry then return {'unknown'} end
for i = 1, #entry[2], 2 do if entry[2][i] == 'kind' then return {'unknown'} end end
local change = redis.call('HGET', KEYS[4], ARGV[6])
if change and string.sub(change, 1, 1) == 'd' then return {'unknown'} end
local raw = redis.call('HGET', KEYS[2], ARGV[6])
local reactions = raw and cjson.decode(raw) or {}
local order = reactions['order'] or {}
local users = reactions['users'] or {}
local who = users[ARGV[8]]
local found = false
if who then for _, user in ipairs(who) do if user == ARGV[5] then found = true end end end
if (ARGV[9] == 'add') == found then return {'unchanged', raw or '{}'} end
if ARGV[9] == 'add' then
  if not who then
    if #order >= tonumber(ARGV[10]) then return {'full'} end
    who = {}
    table.insert(order, ARGV[8])
  end
  table.insert(who, ARGV[5])
  users[ARGV[8]] = who
else
  local kept = {}
  for _, user in ipairs(who) do if user ~= ARGV[5] then table.insert(kept, user) end end
  if #kept == 0 then
    users[ARGV[8]] = nil
    local left = {}
    for _, e in ipairs(order) do if e ~= ARGV[8] then table.insert(left, e) end end
    order = left
  else
    users[ARGV[8]] = kept
  end
end
"""
    + RATE
    + """
if redis.call('EXISTS', KEYS[5]) == 0 then redis.call('SET', KEYS[5], redis.call('XLEN', KEYS[1])) end
local encoded = '{}'
if #order == 0 then
  redis.call('HDEL', KEYS[2], ARGV[6])
else
  encoded = cjson.encode({order = order, users = users})
  redis.call('HSET', KEYS[2], ARGV[6], encoded)
end
append(KEYS[1], ARGV[1], 'kind', 'reaction', 'action', ARGV[9],
  'target', ARGV[6], 'user', ARGV[5], 'emoji', ARGV[8], 'ts', ARGV[7])
purge_trimmed(KEYS[1], KEYS[2], ARGV[1])
ring(KEYS[6])
return {'ok', encoded}
"""
)


_PRESENTATION = "\ufe0f"  # the emoji variation selector, which pickers add or leave out at will
_FULLY_QUALIFIED = emoji_data.STATUS["fully_qualified"]


def canonical_emoji(text: str) -> str | None:
    """One emoji (with its skin tone or joined sequence) in its fully-qualified form, however
    its variation selectors were typed (👍 and 👍️ are one reaction); None for anything else."""
    bare = text.replace(_PRESENTATION, "")
    for candidate in (text, bare, bare + _PRESENTATION):
        found = emoji_data.EMOJI_DATA.get(candidate)
        if found is not None and found["status"] == _FULLY_QUALIFIED:
            return candidate
    return text if emoji_data.is_emoji(text) else None


@dataclass(frozen=True)
class Refused:
    """No such message (or deleted: "unknown"), or the message has the most distinct emoji
    ("full")."""

    reason: Literal["unknown", "full"]


class Reactions:
    def __init__(self, messages: Messages, settings: Settings, keys: Keys):
        self.messages = messages
        self.settings = settings
        self.keys = keys
        self._react = messages.redis.register_script(_REACT)

    async def react(
        self, room: str, user: str, target: str, emoji: str, add: bool
    ) -> MessageReactions | RateLimited | Refused:
        """Adds (or removes) the user's `emoji` on message `target`; doing it again changes
        nothing. The message's reactions after."""
        canonical = canonical_id(target)
        script_keys = [
            self.keys.stream(room),
            self.keys.reactions(room),
            self.keys.send_rate(user, room),
            self.keys.changes(room),
            self.keys.room_seq(room),
            *self.messages.bell(room),
        ]
        args: list[str | int] = [
            *self.messages.limits(user),
            canonical,
            int(time.time() * 1000),
            emoji,
            "add" if add else "remove",
            self.settings.max_reactions_per_message,
        ]
        reply = cast(
            list[str | int],
            await self.messages.run(room, self._react, script_keys, args),
        )
        if reply[0] == "rate":
            return RateLimited(max(int(reply[1]), 1))
        if reply[0] in ("unknown", "full"):
            return Refused("unknown" if reply[0] == "unknown" else "full")
        return _reactions(canonical, str(reply[1]))

    async def of(self, room: str, ids: list[str]) -> list[MessageReactions]:
        """The reactions of those of the messages `ids` that have any."""
        wanted = [canonical_id(given) for given in ids]
        if not wanted:
            return []
        found = cast(
            list[str | None],
            await self.messages.on_room(room, lambda redis: redis.hmget(self.keys.reactions(room), wanted)),
        )
        return [_reactions(target, raw) for target, raw in zip(wanted, found, strict=True) if raw]


def _reactions(target: str, raw: str) -> MessageReactions:
    stored = orjson.loads(raw)
    users: dict[str, list[str]] = stored.get("users") or {}
    return MessageReactions(
        id=target,
        reactions=[
            Reaction(emoji=emoji, count=len(users[emoji]), users=users[emoji])
            for emoji in stored.get("order") or []
        ],
    )
