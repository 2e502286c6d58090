"""Who is in each room, across every replica, and who is typing.

A room's presence is a sorted set with one member per subscribed connection, named after its
process, held until the connection leaves or its process is found gone (store/processes.py: one
heartbeat per process, however many rooms it is in); each process lists the rooms it ever had
members in, so whoever finds it gone drops its members there and tells those rooms. The users
of a crashed replica so leave after PRESENCE_TTL. Presence changes and typing travel over the
room's channel, which the tail (tail.py) listens to and hands over here; they are never stored,
so after losing the channel a process sends its sockets the current presence again. A room's
presence goes out at once, then at most once per PRESENCE_COALESCE_SECONDS while people keep
joining or leaving: a storm of N joins costs each member a few frames instead of N.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import cast

from redis.exceptions import RedisError

from chat_backend import protocol
from chat_backend.realtime import wire
from chat_backend.realtime.subscriptions import LocalRooms, Subscriber
from chat_backend.store.keys import Keys
from chat_backend.store.processes import Processes, drop_held
from chat_backend.store.redis_client import Client
from chat_backend.tasks import stopped

log = logging.getLogger("chat_backend.presence")
RETRY_SECONDS = 0.5
PRESENCE_COALESCE_SECONDS = 0.2


class Presence:
    def __init__(self, redis: Client, keys: Keys, processes: Processes, local: LocalRooms):
        """`local`: the subscriptions of this process's sockets by room (the tail fills it)."""
        self.redis = redis
        self.keys = keys
        self.process_id = processes.id
        self.local = local
        self._last_published: dict[str, float] = {}  # room -> loop time of its last presence
        self._coalescing: dict[str, asyncio.Task[None]] = {}  # room -> its pending publish
        processes.on_gone(self._reap)
        processes.on_back(self._rejoin)

    async def stop(self) -> None:
        for task in list(self._coalescing.values()):
            await stopped(task)

    async def join(self, conn: Subscriber, room: str) -> None:
        # Held until the member leaves, or its process is found gone (`_reap`).
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.presence(room), {self._member(conn): math.inf})
            pipe.sadd(self.keys.process_rooms(self.process_id), room)
            await pipe.execute()
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
        await self.redis.spublish(self.keys.room_channel(room), frame)

    def deliver(self, room: str, frame: bytes) -> None:
        """A presence or typing frame to this process's sockets in the room."""
        frames = [wire.text_frame(frame)]  # once for every socket
        for sub in list(self.local.get(room, ())):
            sub.conn.push(frames)

    async def resend(self, room: str) -> None:
        """The room's current presence to this process's sockets in it, for when events may
        have been missed (the channel was lost, or is new)."""
        self.deliver(room, await self._frame(room))

    async def _reap(self, process: str) -> None:
        """Drops a gone process's members from every room it listed, and tells those rooms."""
        listed = self.keys.process_rooms(process)
        for room in await drop_held(self.redis, listed, self.keys.presence, f"\n{process}:"):
            await self._changed(room)

    async def _rejoin(self) -> None:
        for room, subs in list(self.local.items()):
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.zadd(self.keys.presence(room), {self._member(sub.conn): math.inf for sub in subs})
                pipe.sadd(self.keys.process_rooms(self.process_id), room)
                await pipe.execute()
            await self._changed(room)
