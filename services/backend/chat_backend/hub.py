"""This process's share of the chat: its sockets, the rooms they are in (delivered by the
stream tail, tail.py) and their presence and typing (presence.py)."""

from __future__ import annotations

import asyncio
import contextlib

from redis.exceptions import RedisError

from chat_backend.connection import Connection
from chat_backend.messages import Messages
from chat_backend.presence import Presence
from chat_backend.protocol import CloseCode
from chat_backend.redis_client import Client
from chat_backend.settings import Settings
from chat_backend.sharded_tail import ShardedTail
from chat_backend.tail import StreamTail


class Hub:
    def __init__(self, redis: Client, messages: Messages, settings: Settings):
        self.tail = (
            StreamTail(messages, settings)
            if messages.shards is None
            else ShardedTail(messages, settings, messages.shards)
        )
        self.presence = Presence(redis, settings, self.tail.rooms)
        if isinstance(self.tail, ShardedTail):
            self.tail.presence = self.presence
        self.connections: set[Connection] = set()

    def start(self) -> None:
        self.tail.start()
        self.presence.start()

    async def stop(self) -> None:
        await self.tail.stop()
        await self.presence.stop()

    def connect(self, conn: Connection) -> None:
        self.connections.add(conn)

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
        for room in list(conn.rooms):
            # Delivery ends at once; a presence entry Redis could not drop expires by itself.
            with contextlib.suppress(RedisError, OSError):
                await self.unsubscribe(conn, room)

    async def close_all(self, code: CloseCode, reason: str, timeout: float) -> None:
        """Close every local socket once its in-flight frame is answered (graceful shutdown)."""
        await asyncio.gather(*(conn.drain(code, reason, timeout) for conn in list(self.connections)))
