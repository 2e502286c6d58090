"""Every backend process, alive while it keeps its one entry in Keys.PROCESSES fresh: one
command per heartbeat, however many sockets and rooms it serves.

What a process holds in Redis for its sockets — presence entries (realtime/presence.py), socket
leases (socket_leases.py) — is held until the socket lets go, or until the process is found gone:
the first process to find another's entry expired claims it (one claim wins) and every holder
drops what the gone process held (`on_gone`). A process found gone while it was only paused past
the TTL writes its holdings again (`on_back`). A process that dies before its first heartbeat is
found too: the first one is at start.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import cast

from redis.exceptions import RedisError

from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client
from chat_backend.tasks import stopped

log = logging.getLogger("chat_backend.processes")
Gone = Callable[[str], Awaitable[None]]  # drops what a gone process (by id) held
Back = Callable[[], Awaitable[None]]  # writes again what this process holds


class Processes:
    def __init__(self, redis: Client, settings: Settings, keys: Keys):
        self.redis = redis
        self.keys = keys
        self.ttl = settings.presence_ttl
        self.heartbeat = settings.presence_heartbeat
        self.id = uuid.uuid4().hex[:12]
        self._gone: list[Gone] = []
        self._back: list[Back] = []
        self._alive = False  # this process's entry was written once
        self._task: asyncio.Task[None] | None = None

    def on_gone(self, gone: Gone) -> None:
        """`gone` runs for each process found gone, after those registered before it."""
        self._gone.append(gone)

    def on_back(self, back: Back) -> None:
        self._back.append(back)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every_heartbeat(), name="processes")

    async def stop(self) -> None:
        """Stops the heartbeat; the entry expires, and what is left is dropped by the others."""
        if self._task is not None:
            await stopped(self._task)

    async def _every_heartbeat(self) -> None:
        while True:
            try:
                await self.beat()
            except (RedisError, OSError) as exc:
                log.warning("process heartbeat failed", extra={"error": str(exc)})
            await asyncio.sleep(self.heartbeat)

    async def beat(self) -> None:
        """Renews this process's entry, and claims every expired one."""
        now = time.time()
        added = await self.redis.zadd(self.keys.PROCESSES, {self.id: now + self.ttl})
        if added and self._alive:  # found gone while alive
            for back in self._back:
                await back()
        self._alive = True
        for process in cast(list[str], await self.redis.zrangebyscore(self.keys.PROCESSES, 0, now)):
            if await self.redis.zrem(self.keys.PROCESSES, process):  # this process's claim won
                for gone in self._gone:
                    await gone(process)


async def drop_held(redis: Client, listed: str, held_in: Callable[[str], str], mark: str) -> list[str]:
    """What a gone process held, dropped: from the sorted set `held_in(name)` of each name it
    listed under `listed`, the members that hold `mark` (its id, as it names them); then the list.
    The names whose sets changed."""
    names = sorted(cast(set[str], await redis.smembers(listed)))
    async with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.zrange(held_in(name), 0, -1)
        found = cast(list[list[str]], await pipe.execute())
    changed = []
    for name, members in zip(names, found, strict=True):
        if gone := [member for member in members if mark in member]:
            await redis.zrem(held_in(name), *gone)
            changed.append(name)
    await redis.delete(listed)
    return changed
