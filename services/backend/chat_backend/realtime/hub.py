"""This process's share of the chat: its sockets, the rooms they are in (delivered by the
stream tail, tail.py), their presence and typing (presence.py), the notices for their users
and for everyone (notices.py) and activity (activity.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import cast

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chat_backend.protocol import LeftNotice
from chat_backend.realtime.activity import Activity
from chat_backend.realtime.connection import Connection
from chat_backend.realtime.notices import Notices
from chat_backend.realtime.presence import Presence
from chat_backend.realtime.subscriptions import LocalRooms
from chat_backend.realtime.tail import Tail
from chat_backend.settings import Settings
from chat_backend.store.access import Access
from chat_backend.store.messages import Messages
from chat_backend.store.processes import Processes
from chat_backend.store.redis_client import Client, OneShard

log = logging.getLogger("chat_backend.hub")


class Hub:
    def __init__(
        self, redis: Client, messages: Messages, settings: Settings, access: Access, processes: Processes
    ):
        keys, shards = messages.keys, messages.shards
        rooms: LocalRooms = {}  # filled by the tail, read by presence
        self.presence = Presence(redis, keys, processes, rooms)
        # The rooms' channels carry presence and typing too: the tail hands them over.
        shard_map = (
            shards if shards is not None else OneShard(cast(aioredis.Redis, redis), settings.redis_url)
        )
        self.tail = Tail(messages, settings, shard_map, rooms, self.presence)
        self.connections: set[Connection] = set()
        self.users: dict[str, set[Connection]] = {}  # the same sockets, by user
        self.activity = Activity(redis, self.users, access)
        self.notices = Notices(
            redis, settings, keys, self.connections, self.users, self.activity.heard, self.removed, shards
        )
        self._leaving: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        self.tail.start()
        self.notices.start()
        self.activity.start()

    async def stop(self) -> None:
        await self.activity.stop()
        await self.notices.stop()
        await self.tail.stop()
        await self.presence.stop()

    async def connect(self, conn: Connection) -> None:
        self.connections.add(conn)
        tabs = self.users.setdefault(conn.user, set())
        tabs.add(conn)
        if len(tabs) == 1:
            await self.notices.listen_to(conn.user)

    async def subscribe(self, conn: Connection, room: str, since: str | None) -> None:
        """Live delivery from now on, plus exactly what was stored after `since`; then
        everyone in the room, the subscriber too, gets the new presence."""
        if room in conn.rooms:
            await self.unsubscribe(conn, room)
        await self.tail.subscribe(conn, room, since)
        await self.presence.join(conn, room)

    async def unsubscribe(self, conn: Connection, room: str) -> None:
        if self.tail.remove(conn, room):
            await self.presence.leave(conn, room)

    def removed(self, payload: str) -> None:
        """A user lost a private room (Keys.REMOVALS_CHANNEL): their sockets here stop its
        delivery at once and are told; their presence there goes next."""
        removal = orjson.loads(payload)
        room, frame = removal["room"], LeftNotice(room=removal["room"])
        for conn in list(self.users.get(removal["user"], ())):
            if self.tail.remove(conn, room):
                task = asyncio.get_running_loop().create_task(self._leave_presence(conn, room))
                self._leaving.add(task)
                task.add_done_callback(self._leaving.discard)
            conn.send(frame)

    async def _leave_presence(self, conn: Connection, room: str) -> None:
        try:
            await self.presence.leave(conn, room)
        except (RedisError, OSError) as exc:  # the entry goes when this process does
            log.warning("presence leave failed", extra={"error": str(exc), "room": room})

    async def disconnect(self, conn: Connection) -> None:
        self.connections.discard(conn)
        tabs = self.users.get(conn.user)
        if tabs is not None:
            tabs.discard(conn)
            if not tabs:
                del self.users[conn.user]
                await self.notices.stop_listening_to(conn.user)
        for room in list(conn.rooms):
            # Delivery ends at once; a presence entry Redis could not drop goes with this process.
            with contextlib.suppress(RedisError, OSError):
                await self.unsubscribe(conn, room)
