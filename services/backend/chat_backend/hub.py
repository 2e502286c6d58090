"""This process's share of the chat: its sockets, the rooms they are in (delivered by the
stream tail, tail.py), their presence and typing (presence.py), the notices for their users
and for everyone (notices.py) and activity (reads.py)."""

from __future__ import annotations

import asyncio
import contextlib

from redis.exceptions import RedisError

from chat_backend.connection import Connection
from chat_backend.messages import Messages
from chat_backend.notices import Notices
from chat_backend.presence import Presence
from chat_backend.protocol import CloseCode
from chat_backend.reads import Activity
from chat_backend.redis_client import Client
from chat_backend.settings import Settings
from chat_backend.sharded_tail import ShardedTail
from chat_backend.tail import StreamTail, Tail


class Hub:
    def __init__(self, redis: Client, messages: Messages, settings: Settings):
        if messages.shards is None:
            self.tail: Tail = StreamTail(messages, settings)
            self.presence = Presence(redis, settings, self.tail.rooms)
        else:
            sharded = ShardedTail(messages, settings, messages.shards)
            self.presence = Presence(redis, settings, sharded.rooms)
            sharded.presence = self.presence  # its channels carry presence and typing
            self.tail = sharded
        self.connections: set[Connection] = set()
        self.users: dict[str, set[Connection]] = {}  # the same sockets, by user
        self.activity = Activity(redis, self.connections)
        self.notices = Notices(
            redis, settings, self.connections, self.users, self.activity.heard, messages.shards
        )

    def start(self) -> None:
        self.tail.start()
        self.presence.start()
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

    async def disconnect(self, conn: Connection) -> None:
        self.connections.discard(conn)
        tabs = self.users.get(conn.user)
        if tabs is not None:
            tabs.discard(conn)
            if not tabs:
                del self.users[conn.user]
                await self.notices.stop_listening_to(conn.user)
        for room in list(conn.rooms):
            # Delivery ends at once; a presence entry Redis could not drop expires by itself.
            with contextlib.suppress(RedisError, OSError):
                await self.unsubscribe(conn, room)

    async def close_all(self, code: CloseCode, reason: str, timeout: float) -> None:
        """Close every local socket once its in-flight frame is answered (graceful shutdown)."""
        await asyncio.gather(*(conn.drain(code, reason, timeout) for conn in list(self.connections)))
