"""Rooms and their messages: one Redis Stream per room, trimmed to about HISTORY_LIMIT."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from chat_backend import keys
from chat_backend.protocol import Message
from chat_backend.redis_client import Client, Shards
from chat_backend.replication import Replication
from chat_backend.settings import Settings

GENERAL = "general"

# One round trip per send: the retry check, the per-user rate limit, the append and the
# de-dup record happen atomically, and the reply (under AOF appendfsync always) means stored.
# A retry writes too (PEXPIRE): WAIT covers only its connection's writes, and this one is
# replicated after the original append, so the retry is acked only once replicas hold that.
# The de-dup record is "id ts", so a retry's ack carries the original's id and ts.
_SEND = """
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
local sent = redis.call('INCR', KEYS[3])
if sent == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[4]) end
if sent > tonumber(ARGV[3]) then return {'rate', redis.call('PTTL', KEYS[3])} end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
  'user', ARGV[5], 'text', ARGV[6], 'ts', ARGV[7], 'client_id', ARGV[8])
redis.call('SET', KEYS[2], id .. ' ' .. ARGV[7], 'PX', ARGV[2])
-- On a cluster the tail learns of new entries from the room's channel (sharded_tail.py).
if ARGV[9] ~= '' then redis.call('SPUBLISH', ARGV[9], '') end
return {'ok', id, ARGV[7]}
"""
T = TypeVar("T")
# A stream entry as redis-py returns it with decode_responses=True.
Entry = tuple[str, dict[str, str]]
_DEDUP_TTL_MS = 24 * 3600 * 1000  # a client retries within minutes; a day is ample


@dataclass(frozen=True)
class Stored:
    """The message is stored: just now (`new`), or by an earlier try with the same client_id."""

    id: str
    ts: int
    new: bool


@dataclass(frozen=True)
class RateLimited:
    """Refused, nothing stored: the user's window allows no more sends for this long."""

    retry_after_ms: int


def message_from_entry(room: str, entry_id: str, fields: dict[str, str]) -> Message:
    """The protocol's Message from a stream entry."""
    return Message(
        id=entry_id,
        room=room,
        user=fields.get("user", ""),
        text=fields.get("text", ""),
        ts=int(fields.get("ts", "0")),
        client_id=fields.get("client_id", ""),
    )


class Messages:
    def __init__(self, redis: Client, settings: Settings, shards: Shards | None = None):
        """`shards`: on a Redis Cluster, what runs a room's commands on the master owning it."""
        self.redis = redis
        self.shards = shards
        self.settings = settings
        self.replication = Replication(settings)
        self._send = redis.register_script(_SEND)
        self._known_rooms = {GENERAL}  # rooms are never deleted, so a hit needs no round trip

    async def rooms(self) -> list[str]:
        return sorted(cast(set[str], await self.redis.smembers(keys.ROOMS)) | {GENERAL})

    async def room_exists(self, room: str) -> bool:
        if room in self._known_rooms:
            return True
        if await self.redis.sismember(keys.ROOMS, room):
            self._known_rooms.add(room)
            return True
        return False

    async def create_room(self, room: str) -> str:
        """'created', 'exists' or 'full' (max_rooms reached)."""
        if await self.redis.scard(keys.ROOMS) >= self.settings.max_rooms:
            return "full"
        return "created" if await self.redis.sadd(keys.ROOMS, room) else "exists"

    async def send(self, room: str, user: str, text: str, client_id: str) -> Stored | RateLimited:
        script_keys = [keys.stream(room), keys.dedup(room, user, client_id), keys.send_rate(user, room)]
        args: list[str | int] = [
            self.settings.history_limit,
            _DEDUP_TTL_MS,
            self.settings.send_rate_limit,
            int(self.settings.send_rate_window * 1000),
            user,
            text,
            int(time.time() * 1000),
            client_id,
            keys.room_channel(room) if self.shards else "",
        ]
        if self.replication.replicas:
            reply = await self.on_room(room, lambda redis: self._send_replicated(redis, script_keys, args))
        else:
            reply = await self.on_room(room, lambda redis: self._send(script_keys, args, redis))
        if reply[0] == "rate":
            # PTTL may round a window about to end down to 0; a retry then is just in time.
            return RateLimited(max(int(reply[1]), 1))
        return Stored(str(reply[1]), int(reply[2]), new=reply[0] == "ok")

    async def on_room(self, room: str, command: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """`command` with the client for the room's keys: on a cluster, the client of the
        master owning the room, so a write and the WAIT after it share one connection."""
        if self.shards is None:
            return await command(cast(aioredis.Redis, self.redis))
        return await self.shards.on_master(keys.stream(room), command)

    async def _send_replicated(
        self, redis: aioredis.Redis, script_keys: list[str], args: list[str | int]
    ) -> list[Any]:
        """The script then WAIT, pipelined on one connection: still one round trip."""
        reply, confirmed = await self._script_and_wait(redis, script_keys, args)
        if isinstance(reply, NoScriptError):  # a new or promoted primary has no scripts cached
            await redis.script_load(_SEND)
            reply, confirmed = await self._script_and_wait(redis, script_keys, args)
        if isinstance(reply, Exception):
            raise reply
        if reply[0] != "rate":  # a refusal stored nothing, so there is nothing to wait for
            self.replication.check(confirmed)
        return cast(list[Any], reply)

    async def _script_and_wait(
        self, redis: aioredis.Redis, script_keys: list[str], args: list[str | int]
    ) -> list[Any]:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(self._send.sha, len(script_keys), *script_keys, *args)
            self.replication.wait(pipe)
            return await pipe.execute(raise_on_error=False)

    async def history(self, room: str, limit: int, before: str | None) -> list[Message]:
        """Up to `limit` messages older than `before` (exclusive), oldest first, never
        reaching past the newest HISTORY_LIMIT (MAXLEN ~ may keep a few more)."""
        key = keys.stream(room)

        async def read(redis: aioredis.Redis) -> list[Entry]:
            newest_first = cast(
                list[Entry], await redis.xrevrange(key, f"({before}" if before else "+", "-", count=limit)
            )
            excess = await redis.xlen(key) - self.settings.history_limit if newest_first else 0
            if excess > 0:
                # Only the few entries `~` trimming left over need looking at.
                head = cast(list[Entry], await redis.xrange(key, "-", "+", count=excess + 1))
                oldest_kept = parse_id(head[-1][0])
                newest_first = [e for e in newest_first if parse_id(e[0]) >= oldest_kept]
            await self.replication.confirm(redis, keys.room_probe(room))
            return newest_first

        newest_first = await self.on_room(room, read)
        return [message_from_entry(room, eid, fields) for eid, fields in reversed(newest_first)]

    async def after(self, room: str, since: str) -> list[Message]:
        """Everything stored after `since` (exclusive), oldest first, at most HISTORY_LIMIT."""

        async def read(redis: aioredis.Redis) -> list[Entry]:
            entries = cast(list[Entry], await redis.xrange(keys.stream(room), f"({since}", "+"))
            await self.replication.confirm(redis, keys.room_probe(room))
            return entries[-self.settings.history_limit :]

        return [message_from_entry(room, eid, fields) for eid, fields in await self.on_room(room, read)]

    async def last_id(self, room: str) -> str:
        """Where live delivery of the room starts (confirmed, like everything clients see)."""

        async def read(redis: aioredis.Redis) -> str:
            entries = cast(list[Entry], await redis.xrevrange(keys.stream(room), "+", "-", count=1))
            await self.replication.confirm(redis, keys.room_probe(room))
            return str(entries[0][0]) if entries else "0-0"

        return await self.on_room(room, read)


def parse_id(value: str) -> tuple[int, int]:
    """A message id (a stream id, or a client's `since` or `before` that the protocol's
    pattern admitted) as a tuple that compares the way ids are ordered; '<ms>' is '<ms>-0'."""
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)
