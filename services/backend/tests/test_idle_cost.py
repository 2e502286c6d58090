"""What an idle worker costs Redis does not grow with its rooms: with sockets in many rooms and
no messages, the tail reads nothing (it waits for bells) and presence sends one entry's renewal
per heartbeat, not one per room. Counted from a redis-server of the test's own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from chat_backend.realtime.presence import Presence
from chat_backend.realtime.subscriptions import LocalRooms
from chat_backend.realtime.tail import Tail
from chat_backend.settings import Settings
from chat_backend.store.keys import ONE_NODE
from chat_backend.store.messages import Messages
from chat_backend.store.redis_client import OneShard
from devstack.redis_server import RedisServer
from recording import RecordingConnection

pytestmark = pytest.mark.single_node  # a redis-server of its own, whatever the suite runs on

ROOMS = 200
HEARTBEAT = 0.1  # seconds
WINDOW = 1.5  # seconds of idle counted: about 15 heartbeats


@asynccontextmanager
async def idle_worker(tmp_path: Path) -> AsyncIterator[aioredis.Redis]:
    """A tail and presence in process, one socket subscribed to ROOMS rooms."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    redis = aioredis.Redis.from_url(server.url, decode_responses=True)
    settings = Settings(redis_url=server.url, dev_mode=True, presence_heartbeat=HEARTBEAT, presence_ttl=1)
    rooms: LocalRooms = {}
    presence = Presence(redis, settings, ONE_NODE, rooms)
    tail = Tail(Messages(redis, settings, ONE_NODE), settings, OneShard(redis), rooms, presence)
    tail.start()
    presence.start()
    try:
        conn = RecordingConnection()
        for n in range(ROOMS):
            await tail.subscribe(conn, f"room{n}", None)
            await presence.join(conn, f"room{n}")
        yield redis
    finally:
        await tail.stop()
        await presence.stop()
        await redis.aclose()
        server.stop()


async def calls(redis: aioredis.Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}


async def test_an_idle_worker_costs_redis_the_same_however_many_rooms_it_serves(tmp_path: Path) -> None:
    async with idle_worker(tmp_path) as redis:
        await asyncio.sleep(0.5)  # the joins' presence frames have gone out
        before = await calls(redis)
        await asyncio.sleep(WINDOW)
        after = await calls(redis)
    spent = {name: count - before.get(name, 0) for name, count in after.items()}
    spent = {name: count for name, count in spent.items() if count and name != "info"}
    heartbeats = WINDOW / HEARTBEAT
    assert spent.get("zadd", 0) >= heartbeats / 2, spent  # the heartbeat ran
    assert not {"xread", "xrange", "zremrangebyscore"} & spent.keys(), spent  # nothing per room
    assert sum(spent.values()) <= 3 * (heartbeats + 1), spent
