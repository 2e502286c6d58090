"""Threads: replies to a message, kept in the room's stream like every message (so ordering,
resume and the cluster's slots hold), marked with their parent (`thread`); outside the room's
timeline unless also sent to it (entries.in_timeline).

A reply is stored by one script, in one round trip like a send (a plain send does not come
here): the retry check, the parent check (a message of the room, itself no reply), the rate
limit, the reply, its mentions, the thread's record (Keys.threads: reply count, last
repliers, everyone in it; those of parents trimmed from the stream are dropped) and a
"thread" entry with the new count, which subscribers get
live. Everyone already in the thread (the parent's author, earlier repliers) but the replier
is notified through the mentions of the room, as a mention would.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import cast

import orjson
import redis.asyncio as aioredis

from chat_backend.protocol import Message
from chat_backend.store import entries
from chat_backend.store.entries import Entry
from chat_backend.store.keys import Keys
from chat_backend.store.messages import (
    APPEND,
    HISTORY_CHUNK,
    PURGE_TRIMMED,
    RATE,
    RETRY,
    Messages,
    RateLimited,
    Stored,
    canonical_id,
)

LAST_REPLIERS = 3  # the repliers a thread's summary names, the latest last

# As the send script, and KEYS[6] the room's threads, KEYS[7] its channel (the tail's bell);
# ARGV[9] the parent, ARGV[10] "1" to show the reply in the room too, ARGV[11...] the
# mentioned users.
_REPLY = (
    APPEND
    + PURGE_TRIMMED
    + RETRY
    + """
local parent = redis.call('XRANGE', KEYS[1], ARGV[9], ARGV[9])[1]
if not parent then return {'unknown'} end
local author
for i = 1, #parent[2], 2 do
  local name = parent[2][i]
  if name == 'kind' or name == 'thread' then return {'unknown'} end
  if name == 'user' then author = parent[2][i + 1] end
end
"""
    + RATE
    + """
local seq
if redis.call('EXISTS', KEYS[4]) == 1 then
  seq = redis.call('INCR', KEYS[4])
else
  seq = redis.call('XLEN', KEYS[1]) + 1
  redis.call('SET', KEYS[4], seq)
end
local fields = {'user', ARGV[5], 'text', ARGV[6], 'ts', ARGV[7], 'client_id', ARGV[8], 'seq', seq,
  'thread', ARGV[9]}
if ARGV[10] == '1' then
  table.insert(fields, 'in_room')
  table.insert(fields, '1')
end
local id = append(KEYS[1], ARGV[1], unpack(fields))
for i = 11, #ARGV do redis.call('HSET', KEYS[5], ARGV[i], seq) end
local raw = redis.call('HGET', KEYS[6], ARGV[9])
local thread = raw and cjson.decode(raw) or {count = 0, last = {}, people = {author}}
local notified = {}
local known = false
for _, person in ipairs(thread.people) do
  if person == ARGV[5] then
    known = true
  else
    redis.call('HSET', KEYS[5], person, seq)
    table.insert(notified, person)
  end
end
if not known then table.insert(thread.people, ARGV[5]) end
thread.count = thread.count + 1
local last = {}
for _, person in ipairs(thread.last) do if person ~= ARGV[5] then table.insert(last, person) end end
table.insert(last, ARGV[5])
while #last > LAST_REPLIERS do table.remove(last, 1) end
thread.last = last
redis.call('HSET', KEYS[6], ARGV[9], cjson.encode(thread))
purge_trimmed(KEYS[1], KEYS[6], ARGV[1])
append(KEYS[1], ARGV[1], 'kind', 'thread', 'target', ARGV[9],
  'user', ARGV[5], 'ts', ARGV[7], 'replies', thread.count, 'last', table.concat(last, ' '))
redis.call('SET', KEYS[2], id .. ' ' .. ARGV[7], 'PX', ARGV[2])
ring(KEYS[7])
return {'ok', id, ARGV[7], seq, unpack(notified)}
"""
).replace("LAST_REPLIERS", str(LAST_REPLIERS))


@dataclass(frozen=True)
class Replied(Stored):
    """The reply is stored; `notified`: who was in the thread before (not the replier)."""

    notified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Summary:
    replies: int
    last_repliers: list[str]


class Threads:
    def __init__(self, messages: Messages, keys: Keys):
        self.messages = messages
        self.keys = keys
        self._reply = messages.redis.register_script(_REPLY)

    async def reply(
        self,
        room: str,
        user: str,
        text: str,
        client_id: str,
        parent: str,
        in_room: bool,
        mentioned: list[str],
    ) -> Replied | RateLimited | None:
        """Store a reply to `parent`; None when the room has no such message to reply to."""
        canonical = canonical_id(parent)
        script_keys = [
            self.keys.stream(room),
            self.keys.dedup(room, user, client_id),
            self.keys.send_rate(user, room),
            self.keys.room_seq(room),
            self.keys.mentions(room),
            self.keys.threads(room),
            *self.messages.bell(room),
        ]
        args: list[str | int] = [
            *self.messages.limits(user),
            text,
            int(time.time() * 1000),
            client_id,
            canonical,
            "1" if in_room else "0",
            *mentioned,
        ]
        reply = await self.messages.run(room, self._reply, script_keys, args)
        if reply[0] == "unknown":
            return None
        if reply[0] == "rate":
            return RateLimited(max(int(reply[1]), 1))
        if reply[0] == "dup":
            return Replied(str(reply[1]), int(reply[2]), new=False)
        return Replied(str(reply[1]), int(reply[2]), new=True, seq=int(reply[3]), notified=tuple(reply[4:]))

    async def with_summaries(self, room: str, messages: list[Message]) -> list[Message]:
        """`messages`, those replied to with their reply count and last repliers."""
        summaries = await self._summaries(room, [message.id for message in messages])
        return [
            message.model_copy(update={"replies": found.replies, "last_repliers": found.last_repliers})
            if (found := summaries.get(message.id))
            else message
            for message in messages
        ]

    async def _summaries(self, room: str, ids: list[str]) -> dict[str, Summary]:
        if not ids:
            return {}
        found = cast(
            list[str | None],
            await self.messages.on_room(room, lambda redis: redis.hmget(self.keys.threads(room), ids)),
        )
        summaries = {}
        for message_id, raw in zip(ids, found, strict=True):
            if raw:
                stored = orjson.loads(raw)
                summaries[message_id] = Summary(int(stored["count"]), list(stored.get("last") or []))
        return summaries

    async def thread(self, room: str, parent: str) -> tuple[Message, list[Message]] | None:
        """The parent message and its replies still in the room's history, oldest first;
        None when the room has no such message (or it is itself a reply)."""
        canonical = canonical_id(parent)
        key = self.keys.stream(room)

        async def read(redis: aioredis.Redis) -> tuple[list[Entry], list[str | None]]:
            found: list[Entry] = []
            start = canonical
            while True:
                chunk = cast(list[Entry], await redis.xrange(key, start, "+", count=HISTORY_CHUNK))
                found += [
                    entry
                    for entry in chunk
                    if entry[0] == canonical
                    or (entries.is_message(entry[1]) and entry[1].get(entries.THREAD) == canonical)
                ]
                if len(chunk) < HISTORY_CHUNK:
                    break
                start = f"({chunk[-1][0]}"
            return found, await self.messages.changes_of(redis, room, found)

        stored, changes = await self.messages.on_room(room, read)
        if not stored or stored[0][0] != canonical or not entries.is_message(stored[0][1]):
            return None
        if entries.THREAD in stored[0][1]:
            return None
        shown = [
            entries.message(room, eid, fields, change)
            for (eid, fields), change in zip(stored, changes, strict=True)
        ]
        return shown[0], shown[1:]
