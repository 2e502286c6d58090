"""Who is in each room, across every replica, and who is typing.

A room's presence is a sorted set with one member per subscribed connection, scored with its
expiry: each process refreshes its own members (heartbeat) and drops everyone's stale ones,
so the users of a crashed replica leave after PRESENCE_TTL. Presence changes and typing
travel over one pub/sub channel to the local subscribers of every replica (on a Redis
Cluster, over each room's sharded channel, which the sharded tail listens to); they are never
stored, so after losing the channel (a Redis restart) a process sends its sockets the
current presence again. A room's presence goes out at once, then at most once per
PRESENCE_COALESCE_SECONDS while people keep joining or leaving: a storm of N joins costs
each member a few frames instead of N.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from typing import cast

import orjson
from redis.exceptions import RedisError

from chat_backend import protocol
from chat_backend.realtime import wire
from chat_backend.realtime.tail import LocalRooms, Subscriber
from chat_backend.settings import Settings
from chat_backend.store import redis_client
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.presence")
RETRY_SECONDS = 0.5
PRESENCE_COALESCE_SECONDS = 0.2


class Presence:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, local: LocalRooms):
        """`local`: the subscriptions of this process's sockets by room (the tail fills it)."""
        self.redis = redis
        self.settings = settings
        self.keys = keys
        self.local = local
        self.process_id = uuid.uuid4().hex[:12]
        self._tasks: list[asyncio.Task[None]] = []
        self._last_published: dict[str, float] = {}  # room -> loop time of its last presence
        self._coalescing: dict[str, asyncio.Task[None]] = {}  # room -> its pending publish

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._heartbeat(), name="presence-heartbeat")]
        if not self.settings.redis_cluster:
            self._tasks.append(loop.create_task(self._events(), name="events"))

    async def stop(self) -> None:
        for task in [*self._tasks, *self._coalescing.values()]:
            task.cancel()
        for task in [*self._tasks, *self._coalescing.values()]:
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await task

    async def join(self, conn: Subscriber, room: str) -> None:
        expires = time.time() + self.settings.presence_ttl
        await self.redis.zadd(self.keys.presence(room), {self._member(conn): expires})
        await self._changed(room)

    async def leave(self, conn: Subscriber, room: str) -> None:
        await self.redis.zrem(self.keys.presence(room), self._member(conn))
        await self._changed(room)

    async def typing(self, room: str, user: str) -> None:
        await self._publish(room, protocol.encode(protocol.TypingNotice(room=room, user=user)))

    def _member(self, conn: Subscriber) -> str:
        return f"{conn.user}\n{self.process_id}:{conn.id}"

    async def _changed(self, room: str) -> None:
        """Publish the room's presence now, or, if it went out less than the coalescing
        interval ago, once at the end of that interval (covering every change until then)."""
        if room in self._coalescing:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_published.get(room, -math.inf) + PRESENCE_COALESCE_SECONDS - loop.time()
        if wait <= 0:
            self._last_published[room] = loop.time()
            await self._publish_presence(room)
        else:
            self._coalescing[room] = loop.create_task(self._publish_later(room, wait))

    async def _publish_later(self, room: str, wait: float) -> None:
        await asyncio.sleep(wait)
        self._last_published[room] = asyncio.get_running_loop().time()
        del self._coalescing[room]
        try:
            await self._publish_presence(room)
        except (RedisError, OSError) as exc:  # no one to answer: the next change publishes again
            log.warning("presence publish failed", extra={"error": str(exc), "room": room})

    async def _frame(self, room: str) -> bytes:
        members = cast(
            list[str], await self.redis.zrangebyscore(self.keys.presence(room), time.time(), "+inf")
        )
        users = sorted({member.partition("\n")[0] for member in members})
        return protocol.encode(protocol.Presence(room=room, users=users))

    async def _publish_presence(self, room: str) -> None:
        await self._publish(room, await self._frame(room))

    async def _publish(self, room: str, frame: bytes) -> None:
        if self.settings.redis_cluster:
            await self.redis.spublish(self.keys.room_channel(room), frame)
            return
        envelope = {"room": room, "frame": frame.decode()}
        await self.redis.publish(self.keys.EVENTS_CHANNEL, orjson.dumps(envelope))

    def deliver(self, room: str, frame: bytes) -> None:
        """A presence or typing frame to this process's sockets in the room."""
        frames = [wire.text_frame(frame)]  # once for every socket
        for sub in list(self.local.get(room, ())):
            sub.conn.push(frames)

    async def resend(self, room: str) -> None:
        """The room's current presence to this process's sockets in it, for when events may
        have been missed (the channel was lost, or is new)."""
        self.deliver(room, await self._frame(room))

    async def _events(self) -> None:
        """One node only (a cluster's room channels reach presence through the sharded tail)."""
        async with redis_client.dedicated_client(self.settings.redis_url) as subscriber:
            while True:
                pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
                try:
                    await pubsub.subscribe(self.keys.EVENTS_CHANNEL)
                    await self._refresh_local()
                    async for event in pubsub.listen():
                        payload = orjson.loads(event["data"])
                        self.deliver(payload["room"], payload["frame"].encode())
                except (RedisError, OSError) as exc:
                    log.warning("event subscription failed, retrying", extra={"error": str(exc)})
                    await asyncio.sleep(RETRY_SECONDS)
                finally:
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def _refresh_local(self) -> None:
        """Events published while this process was not subscribed (a Redis restart) are gone:
        give the local sockets the current presence of their rooms again."""
        for room in list(self.local):
            await self.resend(room)

    async def _heartbeat(self) -> None:
        """Keep this process's presence entries alive and expire everyone else's stale
        ones (a crashed replica's clients drop out after presence_ttl)."""
        while True:
            await asyncio.sleep(self.settings.presence_heartbeat)
            try:
                expires = time.time() + self.settings.presence_ttl
                for room, subs in list(self.local.items()):
                    members = {self._member(sub.conn): expires for sub in subs}
                    if members:
                        await self.redis.zadd(self.keys.presence(room), members)
                    if await self.redis.zremrangebyscore(self.keys.presence(room), "-inf", time.time()):
                        await self._changed(room)
            except (RedisError, OSError) as exc:
                log.warning("presence heartbeat failed", extra={"error": str(exc)})
