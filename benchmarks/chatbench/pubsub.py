"""The baseline: the same fan-out with raw Redis pub/sub (redis-py asyncio subscribers, one
connection each, like one socket per chat client), no WebSockets, no application."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from chatbench.transport import OnText, SendRecord


@dataclass(frozen=True)
class PubSubTarget:
    redis_url: str


def channel(room: int) -> str:
    return f"bench-room-{room}"


class ChannelReader:
    def __init__(self, pubsub: PubSub, on_text: OnText):
        self.pubsub = pubsub
        self.on_text = on_text
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        on_text = self.on_text
        async for event in self.pubsub.listen():
            if event["type"] == "message":
                on_text(event["data"])

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.pubsub.aclose()  # type: ignore[no-untyped-call]


class ChannelSender:
    def __init__(self, client: aioredis.Redis, room: int):
        self.client, self.room = client, room
        self.record = SendRecord()

    async def send(self, seq: int, text: str) -> None:
        await self.client.publish(channel(self.room), text)
        self.record.acked.add(seq)  # PUBLISH replied: Redis has handed it to every subscriber

    async def close(self) -> None:
        await self.client.aclose()


class PubSubTransport:
    def __init__(self, target: PubSubTarget):
        self.target = target
        # One pool; every PubSub takes a connection of its own out of it.
        self.client = aioredis.Redis.from_url(
            target.redis_url, decode_responses=True, max_connections=100_000
        )

    async def subscriber(self, client: int, room: int, on_text: OnText) -> ChannelReader:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(channel(room))
        return ChannelReader(pubsub, on_text)

    async def sender(self, room: int) -> ChannelSender:
        return ChannelSender(aioredis.Redis.from_url(self.target.redis_url, decode_responses=True), room)

    def reconnects(self) -> int:
        return 0
