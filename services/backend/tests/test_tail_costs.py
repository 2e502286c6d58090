"""What the tail costs Redis, counted from a redis-server of the test's own: idle, it does not
grow with the rooms (the tail reads nothing until a room rings; presence renews one entry per
heartbeat, not one per room); busy, a message costs no read when its bell carried it, and a bell
that does not follow what the tail has (a gap) makes it read the room, so nothing is skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import redis.asyncio as aioredis
from chat_backend.realtime.presence import Presence
from chat_backend.realtime.subscriptions import LocalRooms
from chat_backend.realtime.tail import Tail
from chat_backend.settings import Settings
from chat_backend.store.keys import ONE_NODE
from chat_backend.store.messages import Messages
from chat_backend.store.processes import Processes
from chat_backend.store.redis_client import OneShard
from devstack.redis_server import RedisServer
from recording import RecordingConnection

pytestmark = pytest.mark.single_node  # a redis-server of its own, whatever the suite runs on

ROOMS = 200
HEARTBEAT = 0.1  # seconds
WINDOW = 1.5  # seconds of idle counted: about 15 heartbeats


@dataclass(frozen=True)
class Worker:
    redis: aioredis.Redis
    messages: Messages
    conn: RecordingConnection


@asynccontextmanager
async def worker(tmp_path: Path, rooms: int) -> AsyncIterator[Worker]:
    """A tail and presence in process, one socket subscribed to `rooms` rooms (room0...)."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    redis = aioredis.Redis.from_url(server.url, decode_responses=True)
    settings = Settings(
        redis_url=server.url,
        dev_mode=True,
        presence_heartbeat=HEARTBEAT,
        presence_ttl=1,
        fanout_coalesce_ms=0,
    )
    local: LocalRooms = {}
    processes = Processes(redis, settings, ONE_NODE)
    presence = Presence(redis, ONE_NODE, processes, local)
    messages = Messages(redis, settings, ONE_NODE)
    tail = Tail(messages, settings, OneShard(redis, settings.redis_url), local, presence)
    tail.start()
    processes.start()
    try:
        conn = RecordingConnection()
        for n in range(rooms):
            await tail.subscribe(conn, f"room{n}", None)
            await presence.join(conn, f"room{n}")
        await asyncio.sleep(0.5)  # the joins' presence frames and first reads are done
        yield Worker(redis, messages, conn)
    finally:
        await tail.stop()
        await processes.stop()
        await presence.stop()
        await redis.aclose()
        server.stop()


async def calls(redis: aioredis.Redis) -> dict[str, int]:
    stats = await redis.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}


def spent(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    differences = {name: count - before.get(name, 0) for name, count in after.items()}
    return {name: count for name, count in differences.items() if count and name != "info"}


async def test_an_idle_worker_costs_redis_the_same_however_many_rooms_it_serves(tmp_path: Path) -> None:
    async with worker(tmp_path, ROOMS) as idle:
        before = await calls(idle.redis)
        await asyncio.sleep(WINDOW)
        spent_idle = spent(before, await calls(idle.redis))
    heartbeats = WINDOW / HEARTBEAT
    assert spent_idle.get("zadd", 0) >= heartbeats / 2, spent_idle  # the heartbeat ran
    assert not {"xread", "xrange", "zremrangebyscore"} & spent_idle.keys(), spent_idle  # nothing per room
    assert sum(spent_idle.values()) <= 3 * (heartbeats + 1), spent_idle


def texts(conn: RecordingConnection) -> list[str]:
    """The texts of the messages the socket got, in order (presence frames left out)."""
    frames = [orjson.loads(frame[frame.index(b"{") :]) for write in conn.writes for frame in write]
    return [frame["message"]["text"] for frame in frames if frame["type"] == "message"]


async def delivered(conn: RecordingConnection, count: int) -> None:
    async with asyncio.timeout(5):
        while True:
            conn.arrived.clear()
            if len(texts(conn)) >= count:
                return
            await conn.arrived.wait()


async def test_a_message_its_bell_carried_costs_no_read_and_a_gap_is_read(tmp_path: Path) -> None:
    async with worker(tmp_path, 1) as busy:
        before = await calls(busy.redis)
        for n in range(20):
            await busy.messages.send("room0", "alice", f"carried {n}", f"c{n}")
        await delivered(busy.conn, 20)
        assert "xread" not in spent(before, await calls(busy.redis))
        # An entry whose bell never rang (written around the scripts): the next bell does not
        # follow what the tail has, so it reads the room from its position.
        await busy.redis.xadd(
            ONE_NODE.stream("room0"), {"user": "bob", "text": "unrung", "ts": "1", "seq": "21"}
        )
        await busy.messages.send("room0", "alice", "after the gap", "gap")
        await delivered(busy.conn, 22)
        assert spent(before, await calls(busy.redis)).get("xread", 0) >= 1
        await asyncio.sleep(0.2)
    assert texts(busy.conn) == [*(f"carried {n}" for n in range(20)), "unrung", "after the gap"]
