"""Activity: which of their rooms have new messages, told to their sockets without the
messages themselves.

Each worker gathers the seqs of the messages it stored and publishes them once a second; every
worker gathers what all publish and sends each of its sockets one frame a second at most with
the rooms its user is in (`general`, everyone's; joined public rooms, private rooms, DMs) that it
is not subscribed to.
Neither depends on how many messages there are, nor on how many rooms or sockets are quiet;
unread counts are the store's (store/reads.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping
from typing import cast

import orjson
from redis.exceptions import RedisError

from chat_backend.protocol import ACTIVITY_INTERVAL_SECONDS, ActivityNotice, RoomSeq, encode
from chat_backend.realtime import wire
from chat_backend.realtime.connection import Connection
from chat_backend.store.access import GENERAL, Access
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client
from chat_backend.tasks import stopped

log = logging.getLogger("chat_backend.activity")


class Activity:
    def __init__(self, redis: Client, users: Mapping[str, Collection[Connection]], access: Access):
        """`users`: this process's sockets by user (the hub's)."""
        self.redis = redis
        self.access = access
        self.users = users
        self._stored: dict[str, int] = {}  # this worker's new messages since it last published
        self._heard: dict[str, int] = {}  # every worker's, since the sockets were last told
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every_interval(), name="activity")

    async def stop(self) -> None:
        if self._task is not None:
            await stopped(self._task)

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
        """One frame per socket at most: the rooms its user is in that have new messages, but
        those it is subscribed to (it has their messages). Sockets told the same rooms share
        the frame."""
        if not self._heard:
            return
        heard, self._heard = self._heard, {}
        try:
            members = await self.access.members(room for room in heard if room != GENERAL)
        except (RedisError, OSError) as exc:  # who is in them is unknown: no one is told
            log.warning("activity not told", extra={"error": str(exc)})
            return
        by_user: dict[str, list[tuple[str, int]]] = {}  # this process's users, their rooms heard of
        for room, seq in sorted(heard.items()):
            for member in self.users if room == GENERAL else members[room]:
                if member in self.users:
                    by_user.setdefault(member, []).append((room, seq))
        frames: dict[tuple[tuple[str, int], ...], list[bytes]] = {}
        for user, rooms in by_user.items():
            for conn in list(self.users.get(user, ())):
                told = tuple(entry for entry in rooms if entry[0] not in conn.rooms)
                if not told:
                    continue
                if told not in frames:
                    notice = ActivityNotice(rooms=[RoomSeq(room=room, seq=seq) for room, seq in told])
                    frames[told] = [wire.text_frame(encode(notice))]
                conn.push(frames[told])
