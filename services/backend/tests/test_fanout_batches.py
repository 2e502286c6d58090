"""The stream tail's batching, on a real redis-server: under load new messages gather for
FANOUT_COALESCE_MS and reach each socket in one write, a message after a quiet spell goes out
at once, and a batch that straddles what a socket already has is cut at its floor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import redis.asyncio as aioredis
from chat_backend.realtime.presence import Presence
from chat_backend.realtime.subscriptions import LocalRooms, RoomSubscription
from chat_backend.realtime.tail import Tail
from chat_backend.settings import Settings
from chat_backend.store.keys import ONE_NODE
from chat_backend.store.messages import Messages
from chat_backend.store.processes import Processes
from chat_backend.store.redis_client import OneShard
from chatkit import unique
from devstack.redis_server import RedisServer
from recording import RecordingConnection

pytestmark = pytest.mark.single_node  # the tail on one node, in process

ROOM = "general"
SPACING = 0.06  # between the sends of a burst: far above a round trip, far below the gathering
QUIET_DELIVERY = 0.5  # seconds a lone message may take to arrive; its bell wakes the tail at once


@asynccontextmanager
async def tailing(
    redis_server: RedisServer, coalesce_ms: int
) -> AsyncIterator[tuple[Messages, RecordingConnection, Tail]]:
    settings = Settings(redis_url=redis_server.url, dev_mode=True, fanout_coalesce_ms=coalesce_ms)
    redis = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    messages = Messages(redis, settings, ONE_NODE)
    rooms: LocalRooms = {}
    presence = Presence(redis, ONE_NODE, Processes(redis, settings, ONE_NODE), rooms)
    tail = Tail(messages, settings, OneShard(redis, settings.redis_url), rooms, presence)
    conn = RecordingConnection()
    tail.start()
    try:
        await tail.subscribe(conn, ROOM, None)
        yield messages, conn, tail
    finally:
        await tail.stop()
        await redis.aclose()


async def until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def burst(messages: Messages, count: int) -> None:
    for n in range(count):
        await messages.send(ROOM, "alice", f"burst {n}", unique("c"))
        await asyncio.sleep(SPACING)


async def test_a_burst_gathers_into_one_write_and_a_quiet_message_goes_at_once(
    redis_server: RedisServer,
) -> None:
    async with tailing(redis_server, coalesce_ms=1000) as (messages, conn, _):
        started = time.monotonic()
        await messages.send(ROOM, "alice", "after a quiet spell", unique("c"))
        await until(lambda: conn.frames() == 1, QUIET_DELIVERY)
        assert time.monotonic() - started < QUIET_DELIVERY
        await burst(messages, 5)  # within the tail's 1 s pause after the first message
        await until(lambda: conn.frames() == 6, 3)
        assert [len(write) for write in conn.writes] == [1, 5]


async def test_a_quiet_rooms_bell_waits_behind_entries_still_on_their_way(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bell carried entries while the tail was reading (their write not yet out); a bell that
    comes after the room's quiet window does not go out before them, nor drop them."""
    async with tailing(redis_server, coalesce_ms=50) as (messages, conn, tail):
        read_rooms, release = tail._read_rooms, asyncio.Event()

        async def held(*args: Any) -> Any:
            await release.wait()
            return await read_rooms(*args)

        await asyncio.sleep(0.2)  # the read after the subscribe is done
        monkeypatch.setattr(tail, "_read_rooms", held)
        await messages.send(ROOM, "alice", "first", unique("c"))  # quiet: out at once
        await until(lambda: conn.frames() == 1, QUIET_DELIVERY)
        await messages.send(ROOM, "alice", "second", unique("c"))  # within the window: carried
        await asyncio.sleep(0.2)  # the tail took it and waits in its read; the window passed
        await messages.send(ROOM, "alice", "third", unique("c"))
        await asyncio.sleep(0.1)
        release.set()
        await until(lambda: conn.frames() == 3, 3)
        sent = [frame for write in conn.writes for frame in write]
        assert [next(t for t in ("first", "second", "third") if t.encode() in f) for f in sent] == [
            "first",
            "second",
            "third",
        ]


async def test_without_coalescing_each_message_of_a_burst_is_written_by_itself(
    redis_server: RedisServer,
) -> None:
    async with tailing(redis_server, coalesce_ms=0) as (messages, conn, _):
        await burst(messages, 5)
        await until(lambda: conn.frames() == 5, 3)
        assert len(conn.writes) >= 4  # a busy machine may merge two; 1 s of gathering would make one


def _subscription(floor: tuple[int, int]) -> tuple[RoomSubscription, RecordingConnection]:
    conn = RecordingConnection()
    sub = RoomSubscription(conn)
    sub.finish_replay([], floor)
    return sub, conn


def _batch(*ms: int) -> tuple[list[tuple[tuple[int, int], bytes]], list[bytes]]:
    batch = [((n, 0), f"frame {n}".encode()) for n in ms]
    return batch, [frame for _, frame in batch]


def test_a_batch_above_the_floor_shares_the_rooms_frames() -> None:
    sub, conn = _subscription(floor=(5, 0))
    batch, frames = _batch(6, 7)
    sub.deliver(batch, frames)
    assert conn.writes == [frames]


def test_a_batch_straddling_the_floor_drops_what_the_socket_already_has() -> None:
    sub, conn = _subscription(floor=(5, 0))
    sub.deliver(*_batch(4, 5, 6, 7))
    assert conn.writes == [[b"frame 6", b"frame 7"]]


def test_a_batch_while_replaying_waits_for_the_replay_and_keeps_order() -> None:
    conn = RecordingConnection()
    sub = RoomSubscription(conn)
    sub.deliver(*_batch(3, 4))  # live messages arriving while the replay is read
    replayed: list[Any] = [((2, 0), b"frame 2"), ((3, 0), b"frame 3")]
    sub.finish_replay(replayed, floor=(1, 0))
    assert conn.writes == [[b"frame 2", b"frame 3"], [b"frame 4"]]


async def test_entries_at_or_below_the_rooms_position_are_not_delivered_again(
    redis_server: RedisServer,
) -> None:
    """A bell and a read can both carry an entry: the second to reach the tail delivers only what
    is past the room's position."""
    async with tailing(redis_server, coalesce_ms=0) as (messages, conn, tail):
        for text in ("first", "second"):
            await messages.send(ROOM, "alice", text, unique("c"))
        await until(lambda: conn.frames() == 2, 3)
        stream = ONE_NODE.stream(ROOM)
        await messages.redis.xadd(stream, {"user": "bob", "text": "third", "ts": "1", "seq": "3"})  # no bell
        taken = await messages.redis.xrevrange(stream, count=3)
        tail._dispatch(ROOM, list(reversed(taken)))  # first and second again, and third
        assert conn.frames() == 3
        assert b'"text":"third"' in conn.writes[-1][0]
        assert len(conn.writes[-1]) == 1
