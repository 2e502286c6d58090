"""Rooms' streams: sending, editing and deleting messages, history and replay.

One Redis Stream per room (messages and the edit and delete events about them: entries.py).
Without PostgreSQL the stream is trimmed to about HISTORY_LIMIT entries as it grows; with it,
the archiver (chat_backend/archive) trims it, never past what PostgreSQL holds (`trim`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError

from chat_backend.protocol import Message, ServerFrame
from chat_backend.settings import Settings
from chat_backend.store import entries
from chat_backend.store.entries import Entry
from chat_backend.store.keys import Keys
from chat_backend.store.pipelined import ScriptRunner
from chat_backend.store.redis_client import Client, Shards
from chat_backend.store.replication import Replication

# Every script that adds to a stream adds with this: `maxlen` is about how many entries the
# stream keeps, or "0" with an archive, where the archiver trims it (`trim`) once PostgreSQL
# holds what goes. Then `ring` rings the room's channel with a bell per entry added: the id the
# stream ended at before it, its id and its fields (BELL_SEPARATOR between them, the fields a
# JSON array), so a tail that has read up to the first delivers the entry without reading the
# stream (realtime/tail.py).
APPEND = """
local rung = {}
local function append(stream, maxlen, ...)
  local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
  local id
  if maxlen == '0' then
    id = redis.call('XADD', stream, '*', ...)
  else
    id = redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', ...)
  end
  local fields = {...}
  for i = 1, #fields do fields[i] = tostring(fields[i]) end  -- as the stream gives them back
  rung[#rung + 1] = (last and last[1] or '0-0') .. ' ' .. id .. ' ' .. cjson.encode(fields)
  return id
end
local function ring(channel)
  for _, bell in ipairs(rung) do redis.call('SPUBLISH', channel, bell) end
end
"""
BELL_SEPARATOR = " "
# What the send and change scripts share, with the same KEYS and ARGV: KEYS[1] the stream,
# KEYS[2] the de-dup record, KEYS[3] the user's rate window; ARGV[1..4] the stream's MAXLEN (0:
# the archiver trims it), the de-dup TTL, the rate limit and window, ARGV[5] the user, ARGV[7]
# ts, ARGV[8] client_id.
#
# The retry check. A retry writes too (PEXPIRE): WAIT covers only its connection's writes, and
# this one is replicated after the original append, so the retry is acked only once replicas
# hold that. The de-dup record is "id ts", so a retry's ack carries the original's id and ts.
RETRY = """
local existing = redis.call('GET', KEYS[2])
if existing then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  local id, ts = string.match(existing, '^(%S+) (%d+)$')
  if id then return {'dup', id, ts} end
  -- A record of the id alone (written before acks had ts): the entry has the ts, or, once
  -- trimmed, the id's own time is the best left.
  local entry = redis.call('XRANGE', KEYS[1], existing, existing)[1]
  return {'dup', existing, entry and entry[2][6] or string.match(existing, '^%d+')}
end
"""
# A hash of per-message records (by message id) that outnumber twice what the stream keeps
# (HISTORY_LIMIT) drops those of messages trimmed from it: each script that adds to one calls this.
# With an archive (limit "0") the archiver's `trim` drops them as it trims.
PURGE_TRIMMED = """
local function purge_trimmed(stream, records, limit)
  if limit == '0' or redis.call('HLEN', records) <= 2 * tonumber(limit) then return end
  local oldest = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
  local oldest_ms, oldest_seq = string.match(oldest, '^(%d+)-(%d+)$')
  for _, target in ipairs(redis.call('HKEYS', records)) do
    local ms, seq = string.match(target, '^(%d+)-(%d+)$')
    if tonumber(ms) < tonumber(oldest_ms) or (ms == oldest_ms and tonumber(seq) < tonumber(oldest_seq)) then
      redis.call('HDEL', records, target)
    end
  end
end
"""
RATE = """
local sent = redis.call('INCR', KEYS[3])
if sent == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
if sent > tonumber(ARGV[3]) then return {'rate', redis.call('PTTL', KEYS[3])} end
"""
# One round trip per send: the retry check, the per-user rate limit, the room's next seq, the
# append, the mentions and the de-dup record happen atomically, and the reply (under AOF
# appendfsync always) means stored. KEYS[4] the room's seq, KEYS[5] its mentions, KEYS[6] the
# room's channel (the tail's bell: realtime/tail.py); ARGV[6] the text, ARGV[9...] the
# mentioned users.
_SEND = (
    APPEND
    + RETRY
    + RATE
    + """
local seq
if redis.call('EXISTS', KEYS[4]) == 1 then
  seq = redis.call('INCR', KEYS[4])
else
  -- A new room, or one from before seqs were counted: count on from the messages it holds
  -- (other entries start the count first: memberships.py).
  seq = redis.call('XLEN', KEYS[1]) + 1
  redis.call('SET', KEYS[4], seq)
end
local id = append(KEYS[1], ARGV[1],
  'user', ARGV[5], 'text', ARGV[6], 'ts', ARGV[7], 'client_id', ARGV[8], 'seq', seq)
for i = 9, #ARGV do redis.call('HSET', KEYS[5], ARGV[i], seq) end
redis.call('SET', KEYS[2], id .. ' ' .. ARGV[7], 'PX', ARGV[2])
ring(KEYS[6])
return {'ok', id, ARGV[7], seq}
"""
)
# An edit or delete: the same retry check and rate limit, then, atomically with the append of
# the event, whether the target is a message of this user that is not deleted. KEYS[4] the
# room's changes, KEYS[5] its reactions (a deleted message keeps none), KEYS[6] the room's
# channel (the tail's bell); ARGV[6] the target id, ARGV[9] the kind, ARGV[10] an edit's text. Changes of
# trimmed messages are dropped (PURGE_TRIMMED; with an archive, `trim` drops them).
_CHANGE = (
    APPEND
    + PURGE_TRIMMED
    + RETRY
    + """
local entry = redis.call('XRANGE', KEYS[1], ARGV[6], ARGV[6])[1]
if not entry then return {'unknown'} end
local author, kind
for i = 1, #entry[2], 2 do
  local name = entry[2][i]
  if name == 'user' then author = entry[2][i + 1] elseif name == 'kind' then kind = entry[2][i + 1] end
end
if kind then return {'unknown'} end
if author ~= ARGV[5] then return {'forbidden'} end
local current = redis.call('HGET', KEYS[4], ARGV[6])
if current and string.sub(current, 1, 1) == 'd' then return {'unknown'} end
"""
    + RATE
    + """
local id
if ARGV[9] == 'edit' then
  id = append(KEYS[1], ARGV[1], 'kind', 'edit', 'target', ARGV[6],
    'user', ARGV[5], 'text', ARGV[10], 'ts', ARGV[7], 'client_id', ARGV[8])
  redis.call('HSET', KEYS[4], ARGV[6], 'e ' .. ARGV[7] .. ' ' .. ARGV[10])
else
  id = append(KEYS[1], ARGV[1], 'kind', 'delete', 'target', ARGV[6],
    'user', ARGV[5], 'ts', ARGV[7], 'client_id', ARGV[8])
  redis.call('HSET', KEYS[4], ARGV[6], 'd ' .. ARGV[7])
  redis.call('HDEL', KEYS[5], ARGV[6])
end
purge_trimmed(KEYS[1], KEYS[4], ARGV[1])
redis.call('SET', KEYS[2], id .. ' ' .. ARGV[7], 'PX', ARGV[2])
ring(KEYS[6])
return {'ok', id, ARGV[7]}
"""
)
# The archiver's trim: KEYS[1] the stream, KEYS[2] its changes, KEYS[3] the trim mark, KEYS[4]
# and KEYS[5] its reactions and threads (records of trimmed messages go with them); ARGV[1]
# and ARGV[2] the newest id PostgreSQL holds (ms, seq), ARGV[3] the entries to keep, ARGV[4] the
# most to trim at once. Trims only entries both beyond the newest ARGV[3] and at or before that
# id, by the id the first entry to stay may have at the least (XTRIM MINID): nothing PostgreSQL
# lacks is trimmed.
_TRIM = """
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[3])
if excess <= 0 then return 0 end
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', math.min(excess, tonumber(ARGV[4])))
local function upto(id, ms, seq)
  local a, b = string.match(id, '^(%d+)-(%d+)$')
  a, b = tonumber(a), tonumber(b)
  return a < ms or (a == ms and b <= seq)
end
local archived_ms, archived_seq = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = 0
while n < #head and upto(head[n + 1][1], archived_ms, archived_seq) do n = n + 1 end
if n == 0 then return 0 end
local first
if n < #head then
  first = head[n + 1][1]
else
  local ms, seq = string.match(head[n][1], '^(%d+)-(%d+)$')
  first = ms .. '-' .. (tonumber(seq) + 1)
end
redis.call('XTRIM', KEYS[1], 'MINID', first)
local first_ms, first_seq = string.match(first, '^(%d+)-(%d+)$')
first_ms, first_seq = tonumber(first_ms), tonumber(first_seq)
for _, records in ipairs({KEYS[2], KEYS[4], KEYS[5]}) do
  for _, target in ipairs(redis.call('HKEYS', records)) do
    if upto(target, first_ms, first_seq - 1) then redis.call('HDEL', records, target) end
  end
end
redis.call('SET', KEYS[3], first)
return n
"""
T = TypeVar("T")
_DEDUP_TTL_MS = 24 * 3600 * 1000  # a client retries within minutes; a day is ample
HISTORY_CHUNK = 100  # entries read at a time while history looks past edit and delete events


@dataclass(frozen=True)
class Stored:
    """The message (or edit, or delete) is stored: just now (`new`), or by an earlier try with
    the same client_id. `seq` is a new message's; 0 otherwise."""

    id: str
    ts: int
    new: bool
    seq: int = 0


@dataclass(frozen=True)
class ReplayPage:
    """Entries of a replay and their frames; `last_id`: the newest entry read (None: none
    was), where the next page starts; `complete`: no more were stored yet."""

    frames: list[tuple[str, ServerFrame]]
    last_id: str | None
    complete: bool


@dataclass(frozen=True)
class RateLimited:
    """Refused, nothing stored: the user's window allows no more sends for this long."""

    retry_after_ms: int


@dataclass(frozen=True)
class Refused:
    """An edit or delete refused, nothing stored: the target is someone else's message
    ("forbidden"), or no message of the room, or deleted ("unknown")."""

    reason: Literal["forbidden", "unknown"]


class Messages:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, shards: Shards | None = None):
        """`shards`: on a Redis Cluster, what runs a room's commands on the master owning it."""
        self.redis = redis
        self.keys = keys
        self.shards = shards
        self.settings = settings
        self.replication = Replication(settings)
        self.scripts = ScriptRunner()
        self._send = redis.register_script(_SEND)
        self._change = redis.register_script(_CHANGE)
        self._trim = redis.register_script(_TRIM)
        # With an archive the stream keeps what PostgreSQL lacks too: the archiver trims it.
        self.maxlen = 0 if settings.database_url else settings.history_limit

    def limits(self, user: str) -> list[str | int]:
        """ARGV[1..5], as every script of a room's stream takes them (threads, reactions too)."""
        return [
            self.maxlen,
            _DEDUP_TTL_MS,
            self.settings.send_rate_limit,
            int(self.settings.send_rate_window * 1000),
            user,
        ]

    async def send(
        self, room: str, user: str, text: str, client_id: str, mentioned: list[str] | None = None
    ) -> Stored | RateLimited:
        """Store a message; `mentioned`: the users it mentions (their mention of the room)."""
        script_keys = [
            self.keys.stream(room),
            self.keys.dedup(room, user, client_id),
            self.keys.send_rate(user, room),
            self.keys.room_seq(room),
            self.keys.mentions(room),
            *self.bell(room),
        ]
        args = [*self.limits(user), text, int(time.time() * 1000), client_id, *(mentioned or ())]
        reply = await self.run(room, self._send, script_keys, args)
        if reply[0] == "rate":
            # PTTL may round a window about to end down to 0; a retry then is just in time.
            return RateLimited(max(int(reply[1]), 1))
        new = reply[0] == "ok"
        return Stored(str(reply[1]), int(reply[2]), new=new, seq=int(reply[3]) if new else 0)

    async def change(
        self, room: str, user: str, target: str, client_id: str, text: str | None = None
    ) -> Stored | RateLimited | Refused:
        """Edit (with `text`) or delete the user's message `target` of the room."""
        canonical = canonical_id(target)
        script_keys = [
            self.keys.stream(room),
            self.keys.dedup(room, user, client_id),
            self.keys.send_rate(user, room),
            self.keys.changes(room),
            self.keys.reactions(room),
            *self.bell(room),
        ]
        kind = [entries.EDIT, text] if text is not None else [entries.DELETE]
        args = [*self.limits(user), canonical, int(time.time() * 1000), client_id, *kind]
        reply = await self.run(room, self._change, script_keys, args)
        if reply[0] == "rate":
            return RateLimited(max(int(reply[1]), 1))
        if reply[0] in ("forbidden", "unknown"):
            return Refused(reply[0])
        return Stored(str(reply[1]), int(reply[2]), new=reply[0] == "ok")

    def bell(self, room: str) -> list[str]:
        """The scripts' last key: the room's channel, rung with every new entry (the tail's bell)."""
        return [self.keys.room_channel(room)]

    async def on_room(self, room: str, command: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """`command` with the client for the room's keys: on a cluster, the client of the
        master owning the room, so a read and the probe after it share one connection."""
        if self.shards is None:
            return await command(cast(aioredis.Redis, self.redis))
        return await self.shards.on_master(self.keys.stream(room), command)

    async def run(
        self, room: str, script: AsyncScript, script_keys: list[str], args: list[str | int]
    ) -> list[Any]:
        """A script of the room's (its keys first, the bell last): on the pipelined connection of
        the room's node; with REDIS_ACK_REPLICAS on a pooled one, followed by WAIT (a WAIT holds up
        its connection, so on a shared one every send behind it would wait for the replicas too)."""
        if self.replication.replicas:
            return await self.on_room(room, lambda redis: self._run_waiting(redis, script, script_keys, args))
        shards = self.shards
        if shards is None:
            return cast(list[Any], await self.scripts.run(self.settings.redis_url, script, script_keys, args))
        key = self.keys.stream(room)
        reply = await shards.on_master_node(
            key, lambda node: self.scripts.run(shards.url_of(node), script, script_keys, args)
        )
        return cast(list[Any], reply)

    async def _run_waiting(
        self, redis: aioredis.Redis, script: AsyncScript, script_keys: list[str], args: list[str | int]
    ) -> list[Any]:
        # The script then WAIT, pipelined on one connection: still one round trip.
        reply, confirmed = await self._script_and_wait(redis, script, script_keys, args)
        if isinstance(reply, NoScriptError):  # a new or promoted primary has no scripts cached
            await redis.script_load(script.script)
            reply, confirmed = await self._script_and_wait(redis, script, script_keys, args)
        if isinstance(reply, Exception):
            raise reply
        if reply[0] in ("ok", "dup"):  # a refusal stored nothing, so there is nothing to wait for
            self.replication.check(confirmed)
        return cast(list[Any], reply)

    async def _script_and_wait(
        self, redis: aioredis.Redis, script: AsyncScript, script_keys: list[str], args: list[str | int]
    ) -> list[Any]:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(script.sha, len(script_keys), *script_keys, *args)
            self.replication.wait(pipe)
            return await pipe.execute(raise_on_error=False)

    def close(self) -> None:
        self.scripts.close()

    async def history(self, room: str, limit: int, before: str | None) -> list[Message]:
        """Up to `limit` messages of the stream older than `before` (exclusive), oldest first,
        each as it is now (edits and deletes folded in). Trimmed by count, never reaching past
        the newest HISTORY_LIMIT entries (MAXLEN ~ may keep a few more); with an archive,
        everything the stream holds."""
        if before is not None and parse_id(before) == (0, 0):
            return []  # nothing is older than the first id there can be (and Redis refuses "(0-0")
        key = self.keys.stream(room)

        async def read(redis: aioredis.Redis) -> tuple[list[Entry], list[str | None]]:
            newest_first: list[Entry] = []
            end = f"({before}" if before else "+"
            count = max(limit, HISTORY_CHUNK)
            while len(newest_first) < limit:
                chunk = cast(list[Entry], await redis.xrevrange(key, end, "-", count=count))
                newest_first += [entry for entry in chunk if entries.in_timeline(entry[1])]
                if len(chunk) < count:
                    break
                end = f"({chunk[-1][0]}"
            newest_first = await self._kept(redis, key, newest_first[:limit])
            changes = await self.changes_of(redis, room, newest_first[::-1])
            await self.replication.confirm(redis, self.keys.room_probe(room))
            return newest_first[::-1], changes

        oldest_first, changes = await self.on_room(room, read)
        return [
            entries.message(room, eid, fields, change)
            for (eid, fields), change in zip(oldest_first, changes, strict=True)
        ]

    async def from_id(self, room: str, start: str, limit: int) -> list[Message]:
        """Up to `limit` messages of the room's timeline in the stream from `start` (inclusive)
        on, oldest first, each as it is now."""
        key = self.keys.stream(room)

        async def read(redis: aioredis.Redis) -> tuple[list[Entry], list[str | None]]:
            found: list[Entry] = []
            begin, count = start, max(limit, HISTORY_CHUNK)
            while len(found) < limit:
                chunk = cast(list[Entry], await redis.xrange(key, begin, "+", count=count))
                found += [entry for entry in chunk if entries.in_timeline(entry[1])]
                if len(chunk) < count:
                    break
                begin = f"({chunk[-1][0]}"
            found = found[:limit]
            changes = await self.changes_of(redis, room, found)
            await self.replication.confirm(redis, self.keys.room_probe(room))
            return found, changes

        found, changes = await self.on_room(room, read)
        return [
            entries.message(room, eid, fields, change)
            for (eid, fields), change in zip(found, changes, strict=True)
        ]

    async def after(self, room: str, since: str, count: int) -> ReplayPage:
        """Up to `count` entries stored after `since` (exclusive), oldest first, each with its
        frame (messages as they are now, the events as they happened), never reaching past the
        newest HISTORY_LIMIT entries: one page of a replay, read on from `page.last_id`."""
        key = self.keys.stream(room)

        async def read(redis: aioredis.Redis) -> tuple[list[Entry], list[str | None], str | None, bool]:
            read = cast(list[Entry], await redis.xrange(key, f"({since}", "+", count=count))
            stored = await self._kept(redis, key, read)
            changes = await self.changes_of(redis, room, stored)
            await self.replication.confirm(redis, self.keys.room_probe(room))
            return stored, changes, read[-1][0] if read else None, len(read) < count

        stored, changes, last_id, complete = await self.on_room(room, read)
        frames = [
            (eid, entries.frame(room, eid, fields, change))
            for (eid, fields), change in zip(stored, changes, strict=True)
        ]
        return ReplayPage([(eid, frame) for eid, frame in frames if frame is not None], last_id, complete)

    async def _kept(self, redis: aioredis.Redis, key: str, stored: list[Entry]) -> list[Entry]:
        """`stored` without the entries older than the newest HISTORY_LIMIT (MAXLEN ~ trims
        late); only the few it left over are looked at. With an archive, all the stream holds:
        the archiver trims it only once PostgreSQL holds what goes."""
        excess = await redis.xlen(key) - self.maxlen if stored and self.maxlen else 0
        if excess <= 0:
            return stored
        head = cast(list[Entry], await redis.xrange(key, "-", "+", count=excess + 1))
        oldest_kept = parse_id(head[-1][0])
        return [entry for entry in stored if parse_id(entry[0]) >= oldest_kept]

    async def changes_of(self, redis: aioredis.Redis, room: str, stored: list[Entry]) -> list[str | None]:
        """The current change of each message entry (None for events and unchanged messages)."""
        ids = [eid for eid, fields in stored if entries.is_message(fields)]
        found = iter(cast(list[str | None], await redis.hmget(self.keys.changes(room), ids)) if ids else ())
        return [next(found) if entries.is_message(fields) else None for _, fields in stored]

    async def entries(self, room: str, after: str, count: int) -> list[Entry]:
        """Up to `count` entries stored after `after` (exclusive), oldest first, as stored."""
        return cast(
            list[Entry], await self.redis.xrange(self.keys.stream(room), f"({after}", "+", count=count)
        )

    async def trim(self, room: str, archived: str, keep: int, most: int) -> int:
        """Drop up to `most` entries that are at or before `archived` (held by PostgreSQL) and
        not among the newest `keep`; how many went."""
        ms, seq = parse_id(archived)
        script_keys = [
            self.keys.stream(room),
            self.keys.changes(room),
            self.keys.trimmed(room),
            self.keys.reactions(room),
            self.keys.threads(room),
        ]
        return int(await self._trim(keys=script_keys, args=[ms, seq, keep, most]))

    async def first_kept(self, room: str) -> tuple[int, int] | None:
        """The id of the stream's first entry since it was first trimmed (older history is
        PostgreSQL's); None when it never was: the stream holds the whole room."""
        found = await self.redis.get(self.keys.trimmed(room))
        return parse_id(str(found)) if found else None

    async def last_id(self, room: str) -> str:
        """Where live delivery of the room starts (confirmed, like everything clients see)."""

        async def read(redis: aioredis.Redis) -> str:
            newest = cast(list[Entry], await redis.xrevrange(self.keys.stream(room), "+", "-", count=1))
            await self.replication.confirm(redis, self.keys.room_probe(room))
            return str(newest[0][0]) if newest else "0-0"

        return await self.on_room(room, read)


def parse_id(value: str) -> tuple[int, int]:
    """A message id (a stream id, or a client's `since` or `before` that the protocol's
    pattern admitted) as a tuple that compares the way ids are ordered; '<ms>' is '<ms>-0'."""
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


def canonical_id(value: str) -> str:
    """The id as Redis writes it ("<ms>-<seq>"; XRANGE reads a bare "<ms>" as a range)."""
    ms, seq = parse_id(value)
    return f"{ms}-{seq}"
