"""The baseline: the same fan-out with raw Redis pub/sub (one connection per subscriber, like one
socket per chat client, `PUBLISH` per message), no WebSockets, no application.

Subscribers are asyncio protocols whose replies hiredis parses inside `data_received`, handing each
message on at once — the load generator's receive path, as cheap as the WebSocket readers'
(rawws); senders use redis-py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import hiredis
import redis.asyncio as aioredis

from chatbench.transport import OnText, SendRecord


@dataclass(frozen=True)
class PubSubTarget:
    redis_url: str


def channel(room: int) -> str:
    return f"bench-room-{room}"


class ChannelReader(asyncio.Protocol):
    """One subscriber connection to one channel."""

    def __init__(self, name: str, on_text: OnText):
        self.name, self.on_text = name, on_text
        self.reader = hiredis.Reader(encoding="utf-8")
        self.subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.BaseTransport | None = None

    async def open(self, redis_url: str) -> None:
        url = urlsplit(redis_url)  # the baseline's own redis-server: no AUTH, no TLS
        if url.hostname is None or url.port is None:
            raise ValueError(f"{redis_url} does not name a host and a port")
        loop = asyncio.get_running_loop()
        await loop.create_connection(lambda: self, url.hostname, url.port)
        await self.subscribed

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        name = self.name.encode()
        subscribe = b"*2\r\n$9\r\nSUBSCRIBE\r\n$%d\r\n%s\r\n" % (len(name), name)
        cast(asyncio.Transport, transport).write(subscribe)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(ConnectionError(f"closed before subscribing: {exc!r}"))

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        on_text = self.on_text
        while (reply := self.reader.gets()) is not False:
            if isinstance(reply, hiredis.ReplyError):
                self.subscribed.set_exception(reply)
            elif reply[0] == "message":
                on_text(reply[2])
            elif reply[0] == "subscribe":
                self.subscribed.set_result(None)

    async def close(self) -> None:
        assert self.transport is not None
        self.transport.close()


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

    async def subscriber(self, client: int, room: int, on_text: OnText) -> ChannelReader:
        reader = ChannelReader(channel(room), on_text)
        await reader.open(self.target.redis_url)
        return reader

    async def sender(self, room: int) -> ChannelSender:
        return ChannelSender(aioredis.Redis.from_url(self.target.redis_url, decode_responses=True), room)

    def reconnects(self) -> int:
        return 0
