"""The archiver: copies every room's stream into PostgreSQL, in order, then trims the stream
behind it (store/messages.py `trim`), and applies RETENTION_DAYS to both stores.

One process archives at a time, the holder of a lease in Redis (keys.ARCHIVER_LEASE), renewed
each pass; every worker of every backend process runs an Archiver that takes the lease over
when its holder stops renewing it. Each room's position (keys.archived) is written only after
PostgreSQL committed what it names, so a crash between the two re-archives a batch, which
changes nothing (records.py). PostgreSQL away: the passes fail, nothing is trimmed, the stream
grows (bounded by Redis' maxmemory: docs/storage.md) and chat_archive_lag_seconds rises; once
it is back the next pass catches up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import cast

from chat_backend import metrics
from chat_backend.archive import migrate, records
from chat_backend.archive.database import Database
from chat_backend.settings import Settings
from chat_backend.store.access import GENERAL
from chat_backend.store.entries import Entry
from chat_backend.store.keys import Keys
from chat_backend.store.messages import Messages, parse_id
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.archive")

LEASE_SECONDS = 10.0  # a crashed holder's rooms wait this long for the next archiver
RETENTION_EVERY = 60.0  # seconds between retention passes
BATCHES_PER_PASS = 20  # per room, so one busy room does not hold up the others for long
_LEASE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
"""
_EXPIRE_BATCH = 10_000  # rows deleted per statement, so retention never holds long locks
_EXPIRE = """
DELETE FROM {table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE ts < %s LIMIT {limit}))
"""


class Archiver:
    def __init__(self, redis: Client, keys: Keys, messages: Messages, database: Database, settings: Settings):
        self.redis = redis
        self.keys = keys
        self.messages = messages
        self.database = database
        self.settings = settings
        self.token = secrets.token_hex(16)
        self._lease = redis.register_script(_LEASE)
        self._release = redis.register_script(_RELEASE)
        self._leading = False
        self._migrated = False
        self._next_retention = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="archiver")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._leading:
            await self._release(keys=[self.keys.ARCHIVER_LEASE], args=[self.token])

    async def _run(self) -> None:
        while True:
            try:
                if await self._hold_lease():
                    await self.run_pass()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # PostgreSQL or Redis away: retried next pass
                metrics.ARCHIVE_FAILURES.inc()
                log.warning("archive pass failed: %s: %s", type(exc).__name__, exc)
            await asyncio.sleep(self.settings.archive_interval)

    async def _hold_lease(self) -> bool:
        leading = bool(
            await self._lease(keys=[self.keys.ARCHIVER_LEASE], args=[self.token, int(LEASE_SECONDS * 1000)])
        )
        if leading and not self._leading:
            log.info("archiving to PostgreSQL")
            await self._register_old_dms()
        self._leading = leading
        return leading

    async def run_pass(self) -> None:
        """One pass over every room: the lag measured (from Redis alone, so it shows while
        PostgreSQL is away), then what is new archived and trimmed."""
        rooms = await self.rooms()
        positions = await self._positions(rooms)
        self._measure_lag(await self._oldest_unarchived(rooms, positions))
        if not self._migrated:
            await asyncio.to_thread(migrate.upgrade, self.settings)
            self._migrated = True
        for room, position in zip(rooms, positions, strict=True):
            await self._archive(room, position)
        if self.settings.retention_days and time.monotonic() >= self._next_retention:
            await self._expire(int(time.time() * 1000) - self.settings.retention_days * 86_400_000, rooms)
            self._next_retention = time.monotonic() + RETENTION_EVERY

    async def rooms(self) -> list[str]:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(self.keys.ROOMS)
            pipe.smembers(self.keys.PRIVATE_ROOMS)
            pipe.smembers(self.keys.DMS)
            public, private, dms = cast(list[set[str]], await pipe.execute())
        return sorted(public | private | dms | {GENERAL})

    async def _positions(self, rooms: list[str]) -> list[str]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.get(self.keys.archived(room))
            # No position yet: everything the stream holds is archived (a deployment from
            # before PostgreSQL too, on its first start).
            return [found or "0-0" for found in cast(list[str | None], await pipe.execute())]

    async def _oldest_unarchived(self, rooms: list[str], positions: list[str]) -> list[list[Entry]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for room, position in zip(rooms, positions, strict=True):
                pipe.xrange(self.keys.stream(room), f"({position}", "+", count=1)
            return cast(list[list[Entry]], await pipe.execute())

    @staticmethod
    def _measure_lag(oldest: list[list[Entry]]) -> None:
        now_ms = time.time() * 1000
        ages = [now_ms - parse_id(found[0][0])[0] for found in oldest if found]
        metrics.ARCHIVE_LAG.set(max(max(ages, default=0.0), 0.0) / 1000)

    async def _archive(self, room: str, position: str) -> None:
        batch_size = self.settings.archive_batch
        for _ in range(BATCHES_PER_PASS):
            batch = await self.messages.entries(room, position, batch_size)
            if not batch:
                return
            async with self.database.connection() as conn:
                await records.store(conn, room, batch)
            # Committed: only now may the position move and the stream be trimmed up to it.
            position = batch[-1][0]
            await self.redis.set(self.keys.archived(room), position)
            metrics.ARCHIVED.inc(len(batch))
            await self.messages.trim(room, position, self.settings.history_limit, batch_size)
            if len(batch) < batch_size:
                return

    async def _expire(self, cutoff_ms: int, rooms: list[str]) -> None:
        """Messages older than the cutoff, and the events and reactions about them, gone from
        both stores (a reaction by its own time: one made later is never shown without its
        message, and goes once it is as old)."""
        for table in ("messages", "changes", "reactions"):
            statement = _EXPIRE.format(table=table, limit=_EXPIRE_BATCH)
            while True:
                async with self.database.connection() as conn:
                    deleted = (await conn.execute(statement, (cutoff_ms,))).rowcount
                if deleted < _EXPIRE_BATCH:
                    break
        before_cutoff = f"{cutoff_ms - 1}-{2**53}"  # every id of an earlier millisecond
        for room in rooms:
            while await self.messages.trim(room, before_cutoff, 0, self.settings.archive_batch):
                pass

    async def _register_old_dms(self) -> None:
        """DMs opened before the list of every DM existed, found once through their members'
        lists, so their history is archived too."""
        found: set[str] = set()
        async for key in self.redis.scan_iter(match="chat:user:*:dms", count=1000):
            found |= cast(set[str], await self.redis.smembers(key))
        if found:
            await self.redis.sadd(self.keys.DMS, *found)
