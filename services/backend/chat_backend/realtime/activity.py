"""Activity: which rooms have new messages, told to sockets without the messages themselves.

Each worker gathers the seqs of the messages it stored and publishes them once a second; every
worker gathers what all publish and sends each of its sockets one frame a second at most with
the rooms it can see. Neither depends on how many messages there are; unread counts are the
store's (store/reads.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import cast

import orjson
from redis.exceptions import RedisError

from chat_backend.protocol import ACTIVITY_INTERVAL_SECONDS, ActivityNotice, RoomSeq, encode
from chat_backend.realtime import wire
from chat_backend.realtime.connection import Connection
from chat_backend.store.access import Access, dm_members
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.activity")


class Activity:
    def __init__(self, redis: Client, connections: Collection[Connection], access: Access):
        """`connections`: this process's sockets (the hub's)."""
        self.redis = redis
        self.access = access
        self.connections = connections
        self._stored: dict[str, int] = {}  # this worker's new messages since it last published
        self._heard: dict[str, int] = {}  # every worker's, since the sockets were last told
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every_interval(), name="activity")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def stored(self, room: str, seq: int) -> None:
        """A message this worker stored (the send path: no I/O here)."""
        if seq > self._stored.get(room, 0):
            self._stored[room] = seq

    def heard(self, payload: str) -> None:
        """A worker's published seqs (Keys.ACTIVITY_CHANNEL)."""
        for room, seq in cast(dict[str, int], orjson.loads(payload)).items():
            if seq > self._heard.get(room, 0):
                self._heard[room] = seq

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(ACTIVITY_INTERVAL_SECONDS)
            await self._tell_sockets()
            if self._stored:
                stored, self._stored = self._stored, {}
                try:
                    await self.redis.publish(Keys.ACTIVITY_CHANNEL, orjson.dumps(stored))
                except (RedisError, OSError) as exc:  # best effort: unread counts are in Redis
                    log.warning("activity not published", extra={"error": str(exc)})

    async def _tell_sockets(self) -> None:
        """One frame per socket at most: the rooms it can see that have new messages, but
        those it is subscribed to (it has their messages). Sockets that see the same rooms
        share the frame."""
        if not self._heard:
            return
        heard, self._heard = self._heard, {}
        try:
            private = await self.access.private_members(heard)
        except (RedisError, OSError) as exc:  # who may see them is unknown: no one is told
            log.warning("activity of private rooms not told", extra={"error": str(exc)})
            private = {room: set() for room in heard if dm_members(room) is None}
        public: list[tuple[str, int]] = []
        dms: dict[str, list[tuple[str, int]]] = {}  # the private rooms and DMs, by member
        for room, seq in sorted(heard.items()):
            members = dm_members(room) or private.get(room)
            if members is None:
                public.append((room, seq))
            else:
                for member in members:
                    dms.setdefault(member, []).append((room, seq))
        frames: dict[tuple[tuple[str, int], ...], list[bytes]] = {}
        for conn in list(self.connections):
            rooms = public + dms[conn.user] if conn.user in dms else public
            if conn.rooms and not heard.keys().isdisjoint(conn.rooms):
                rooms = [entry for entry in rooms if entry[0] not in conn.rooms]
            if not rooms:
                continue
            key = tuple(rooms)
            if key not in frames:
                notice = ActivityNotice(rooms=[RoomSeq(room=room, seq=seq) for room, seq in rooms])
                frames[key] = [wire.text_frame(encode(notice))]
            conn.push(frames[key])
