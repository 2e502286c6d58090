"""This process's share of live delivery.

One Redis connection tails the streams of every room that has a local subscriber
(XREAD BLOCK), encodes each new message once and hands it to the local sockets (with
REDIS_ACK_REPLICAS, once that many replicas hold it: replication.py). Presence
and typing travel over one pub/sub channel so every replica sees them. Nothing is kept
only in memory: a replica that dies loses no message, its clients resume with `since`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chat_backend import keys, metrics, redis_client
from chat_backend.connection import Connection, RoomSubscription
from chat_backend.messages import Entry, Messages, message_from_entry, parse_id
from chat_backend.settings import Settings

log = logging.getLogger("chat_backend.hub")
# Short enough that a room added while XREAD is blocked joins the tail quickly; new
# messages in rooms already tailed still return at once.
TAIL_BLOCK_MS = 200
TAIL_BATCH = 1000
RETRY_SECONDS = 0.5


def encode(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


def message_frame(message: dict[str, Any]) -> str:
    return encode({"type": "message", "message": message})


class Hub:
    def __init__(self, redis: aioredis.Redis, messages: Messages, settings: Settings):
        self.redis = redis
        self.messages = messages
        self.settings = settings
        self.process_id = uuid.uuid4().hex[:12]
        self.connections: set[Connection] = set()
        self.rooms: dict[str, set[RoomSubscription]] = {}
        self.positions: dict[str, str] = {}  # room -> last stream id read by the tail
        self._stream_rooms: dict[str, str] = {}  # stream key -> room
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._tail_redis = redis_client.dedicated_client(settings.redis_url)
        self._pubsub_redis = redis_client.dedicated_client(settings.redis_url)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._tail(), name="tail"),
            loop.create_task(self._events(), name="events"),
            loop.create_task(self._heartbeat(), name="presence-heartbeat"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await task
        await self._tail_redis.aclose()
        await self._pubsub_redis.aclose()

    # -- subscriptions -------------------------------------------------------------
    async def subscribe(self, conn: Connection, room: str, since: str | None) -> None:
        """Live delivery from now on, plus exactly what was stored after `since`."""
        if room in conn.rooms:
            await self.unsubscribe(conn, room)
        start = None if room in self.positions else await self.messages.last_id(room)
        sub = RoomSubscription(conn)
        # From here to the replay query nothing awaits: the tail cannot read past this
        # point without `sub` seeing it (buffered while replaying).
        if room not in self.positions:
            self.positions[room] = start or "0-0"
            self._stream_rooms[keys.stream(room)] = room
            self.rooms[room] = set()
            self._wake.set()
        self.rooms[room].add(sub)
        conn.rooms[room] = sub
        try:
            replay = await self.messages.after(room, since) if since else []
        except BaseException:
            self._remove(conn, room)
            raise
        # Live messages at or below what the client already has (or was just replayed) are dropped.
        floor = parse_id(since) or (0, 0) if since else (0, 0)
        sub.finish_replay([(parse_id(m["id"]) or (0, 0), message_frame(m)) for m in replay], floor)
        await self._presence_join(conn, room)

    async def unsubscribe(self, conn: Connection, room: str) -> None:
        if self._remove(conn, room):
            await self._presence_leave(conn, room)

    def connect(self, conn: Connection) -> None:
        self.connections.add(conn)

    async def close_all(self, code: int, reason: str, timeout: float) -> None:
        """Close every local socket once its in-flight frame is answered (graceful shutdown)."""
        await asyncio.gather(*(conn.drain(code, reason, timeout) for conn in list(self.connections)))

    async def disconnect(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for room in list(conn.rooms):
            with contextlib.suppress(RedisError, OSError):
                await self.unsubscribe(conn, room)
            self._remove(conn, room)

    def _remove(self, conn: Connection, room: str) -> bool:
        sub = conn.rooms.pop(room, None)
        subs = self.rooms.get(room)
        if sub is None or subs is None:
            return False
        subs.discard(sub)
        if not subs:
            del self.rooms[room], self.positions[room], self._stream_rooms[keys.stream(room)]
        return True

    # -- the stream tail -----------------------------------------------------------
    async def _tail(self) -> None:
        while True:
            if not self.positions:
                self._wake.clear()
                await self._wake.wait()
                continue
            streams: dict[Any, Any] = {keys.stream(room): pos for room, pos in self.positions.items()}
            try:
                reply = cast(
                    list[tuple[str, list[Entry]]],
                    await self._tail_redis.xread(streams, count=TAIL_BATCH, block=TAIL_BLOCK_MS),
                )
                if reply:
                    # Not fanned out (nor the positions moved) until the replicas hold it; on the
                    # tail's own client, so request traffic cannot hold it up.
                    await self.messages.replication.confirm(self._tail_redis)
            except (RedisError, OSError) as exc:
                log.warning("stream tail failed, retrying", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for stream_key, entries in reply or ():  # RESP2: [[stream, [(id, fields), ...]], ...]
                room = self._stream_rooms.get(stream_key)
                if room is None:  # everyone left the room while we were reading
                    continue
                self._dispatch(room, entries)

    def _dispatch(self, room: str, entries: list[Entry]) -> None:
        subs = self.rooms.get(room, ())
        for entry_id, fields in entries:
            frame = message_frame(message_from_entry(room, entry_id, fields))
            message_id = parse_id(entry_id) or (0, 0)
            for sub in list(subs):
                sub.deliver(message_id, frame)
            # Counted once per message, not per frame: the per-socket path stays lean.
            metrics.MESSAGES_OUT.inc(len(subs))
        if room in self.positions and entries:
            self.positions[room] = entries[-1][0]

    # -- presence and typing (ephemeral, over pub/sub) --------------------------------
    def _member(self, conn: Connection) -> str:
        return f"{conn.user}\n{self.process_id}:{conn.id}"

    async def _presence_join(self, conn: Connection, room: str) -> None:
        expires = time.time() + self.settings.presence_ttl
        await self.redis.zadd(keys.presence(room), {self._member(conn): expires})
        await self.publish_presence(room)

    async def _presence_leave(self, conn: Connection, room: str) -> None:
        await self.redis.zrem(keys.presence(room), self._member(conn))
        await self.publish_presence(room)

    async def presence(self, room: str) -> list[str]:
        members = cast(list[str], await self.redis.zrangebyscore(keys.presence(room), time.time(), "+inf"))
        return sorted({member.partition("\n")[0] for member in members})

    async def publish_presence(self, room: str) -> None:
        frame = encode({"type": "presence", "room": room, "users": await self.presence(room)})
        await self.publish(room, frame)

    async def publish(self, room: str, frame: str) -> None:
        await self.redis.publish(keys.EVENTS_CHANNEL, orjson.dumps({"room": room, "frame": frame}))

    async def _events(self) -> None:
        while True:
            pubsub = self._pubsub_redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(keys.EVENTS_CHANNEL)
                await self._refresh_local_presence()
                async for event in pubsub.listen():
                    payload = orjson.loads(event["data"])
                    for sub in list(self.rooms.get(payload["room"], ())):
                        sub.conn.push(payload["frame"])
            except (RedisError, OSError) as exc:
                log.warning("event subscription failed, retrying", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _refresh_local_presence(self) -> None:
        """Events published while this process was not subscribed (a Redis restart) are gone:
        give the local sockets the current presence of their rooms again."""
        for room, subs in list(self.rooms.items()):
            frame = encode({"type": "presence", "room": room, "users": await self.presence(room)})
            for sub in list(subs):
                sub.conn.push(frame)

    async def _heartbeat(self) -> None:
        """Keep this process's presence entries alive and expire everyone else's stale
        ones (a crashed replica's clients drop out after presence_ttl)."""
        while True:
            await asyncio.sleep(self.settings.presence_heartbeat)
            try:
                expires = time.time() + self.settings.presence_ttl
                for room, subs in list(self.rooms.items()):
                    members = {self._member(sub.conn): expires for sub in subs}
                    if members:
                        await self.redis.zadd(keys.presence(room), members)
                    if await self.redis.zremrangebyscore(keys.presence(room), "-inf", time.time()):
                        await self.publish_presence(room)
            except (RedisError, OSError) as exc:
                log.warning("presence heartbeat failed", extra={"error": str(exc)})
