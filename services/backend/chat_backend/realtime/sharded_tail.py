"""Live delivery on a Redis Cluster (REDIS_CLUSTER).

One XREAD may only name keys of one hash slot, and every room has a slot of its own, so the
tail cannot block on all its rooms at once as on one node. Instead the send script rings the
room's sharded pub/sub channel (SPUBLISH, on the room's shard) with every new entry, and this
process keeps one subscriber connection per shard its rooms live on (SSUBSCRIBE); the same
channel carries the room's presence and typing frames, handed to presence.py. The rooms
rung are read from their positions with one pipelined round trip per shard and, with
REDIS_ACK_REPLICAS, confirmed by WAIT on that shard before anything is fanned out.

A bell can be missed only while a subscription is not in place, so every room is read once its
subscription is confirmed, and a socket's subscribe returns only then (so the presence it
publishes next reaches this process too). Any error (a failover, a slot moved, a node lost)
starts over with a fresh slot map, every room read again from its position (nothing skipped,
nothing repeated) and its presence sent again (frames may have been missed meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import cast

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode
from redis.exceptions import ClusterDownError, RedisError

from chat_backend.realtime.presence import Presence
from chat_backend.realtime.tail import RETRY_SECONDS, TAIL_BATCH, LocalRooms, Subscriber, Tail
from chat_backend.settings import Settings
from chat_backend.store.entries import Entry
from chat_backend.store.messages import Messages
from chat_backend.store.redis_client import Shards

log = logging.getLogger("chat_backend.tail")
SUBSCRIBE_TIMEOUT = 5.0  # seconds a socket's subscribe waits for the room's shard to confirm


class SlotMovedError(RedisError):
    """A shard dropped a subscription of ours: its slot now lives elsewhere."""


class ShardedTail(Tail):
    def __init__(
        self, messages: Messages, settings: Settings, shards: Shards, rooms: LocalRooms, presence: Presence
    ):
        """`presence` gets the presence and typing frames the rooms' channels carry."""
        super().__init__(messages, settings, rooms)
        self.shards = shards
        self.presence = presence
        self._due: set[str] = set()  # rooms to read: rung, newly subscribed, or not yet confirmed
        self._subscribed: dict[str, str] = {}  # room -> name of the shard node it is subscribed on
        self._pubsubs: dict[str, PubSub] = {}  # node name -> its subscriber connection
        self._listeners: list[asyncio.Task[None]] = []
        self._channel_rooms: dict[str, str] = {}  # channel -> room
        self._ready: dict[str, asyncio.Event] = {}  # room -> set once its channel was first confirmed
        self._leaving: Counter[str] = Counter()  # channel -> our SUNSUBSCRIBEs not yet confirmed
        self._failed: asyncio.Future[None] | None = None  # set by a listener that lost its shard

    async def subscribe(self, conn: Subscriber, room: str, since: str | None) -> None:
        await super().subscribe(conn, room, since)
        ready = self._ready.setdefault(room, asyncio.Event())
        self._wake.set()
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                await ready.wait()
        except TimeoutError:
            self.remove(conn, room)
            raise ClusterDownError(f"the shard of {room!r} did not confirm the subscription") from None

    async def _tail(self) -> None:
        while True:
            try:
                await self._follow()
            except (RedisError, OSError) as exc:
                log.warning("sharded tail failed, starting over", extra={"error": str(exc)})
            except Exception:
                # A tail that stopped would leave this worker's sockets without delivery for good.
                log.exception("sharded tail failed unexpectedly, starting over")
            # _follow returns only by raising: start over.
            await self._drop_subscriptions()
            await asyncio.sleep(RETRY_SECONDS)
            with contextlib.suppress(RedisError, OSError):
                await self.shards.refresh()

    async def _follow(self) -> None:
        """Until an error: keep a subscription per local room, read the rooms due."""
        self._failed = failed = asyncio.get_running_loop().create_future()
        while True:
            await self._sync_subscriptions()
            if failed.done():
                failed.result()  # raises what a listener hit
            if not self._due:
                self._wake.clear()
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waiter, failed}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                continue
            read_any = await self._read_due()
            if read_any and self._coalesce:
                await asyncio.sleep(self._coalesce)  # as on one node: let a busy room's next entries gather

    async def _sync_subscriptions(self) -> None:
        for room in [room for room in self._subscribed if room not in self.positions]:
            node_name = self._subscribed.pop(room)
            channel = self.keys.room_channel(room)
            self._channel_rooms.pop(channel, None)
            self._ready.pop(room, None)
            self._due.discard(room)
            self._leaving[channel] += 1
            await self._pubsubs[node_name].sunsubscribe(channel)
        for room in [room for room in self.positions if room not in self._subscribed]:
            node = await self.shards.master(self.keys.stream(room))
            channel = self.keys.room_channel(room)
            self._channel_rooms[channel] = room
            self._subscribed[room] = node.name
            pubsub = self._pubsubs.get(node.name)
            if pubsub is None:
                pubsub = self._pubsubs[node.name] = self.shards.client(node).pubsub()
                await pubsub.ssubscribe(channel)
                self._listeners.append(asyncio.get_running_loop().create_task(self._listen(pubsub)))
            else:
                await pubsub.ssubscribe(channel)

    async def _listen(self, pubsub: PubSub) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                channel = message["channel"]
                room = self._channel_rooms.get(channel)
                kind = message["type"]
                if kind == "sunsubscribe" and self._leaving[channel]:
                    # Ours: the room was left (and may have been joined again since).
                    self._leaving[channel] -= 1
                    continue
                if kind == "sunsubscribe" and room is not None and room in self._subscribed:
                    raise SlotMovedError(f"the shard dropped {channel}")
                if room is None:
                    continue
                if kind == "smessage" and message["data"]:
                    self.presence.deliver(room, message["data"].encode())
                elif kind in ("smessage", "ssubscribe"):
                    self._due.add(room)  # a bell; or subscribed: what was stored before it could ring
                    self._wake.set()
                    if kind == "ssubscribe":
                        await self._confirmed(room)
        except (RedisError, OSError) as exc:
            if self._failed is not None and not self._failed.done():
                self._failed.set_exception(exc)

    async def _confirmed(self, room: str) -> None:
        ready = self._ready.setdefault(room, asyncio.Event())
        if not ready.is_set():
            ready.set()  # the first time: the subscribe waiting for it goes on, and publishes presence
        else:
            await self.presence.resend(room)  # subscribed again after an error

    async def _read_due(self) -> bool:
        """One round trip per shard for every room due; True if anything was new."""
        due, self._due = self._due, set()
        by_shard: dict[str, tuple[ClusterNode, list[str]]] = {}  # master's name -> it, its rooms due
        for room in due:
            if room in self.positions:
                master = await self.shards.master(self.keys.stream(room))
                by_shard.setdefault(master.name, (master, []))[1].append(room)
        shards = list(by_shard.values())
        replies = await asyncio.gather(*(self._read_shard(master, rooms) for master, rooms in shards))
        new = False
        for (_, rooms), entries_by_room in zip(shards, replies, strict=True):
            for room, entries in zip(rooms, entries_by_room, strict=True):
                if entries and room in self.positions:
                    new = True
                    self._dispatch(room, entries)
        return new

    async def _read_shard(self, master: ClusterNode, rooms: list[str]) -> list[list[Entry]]:
        try:
            return await self._read_rooms(self.shards.client(master), rooms)
        except BaseException:
            self._due.update(rooms)  # read again from the same positions
            raise

    async def _read_rooms(self, redis: aioredis.Redis, rooms: list[str]) -> list[list[Entry]]:
        # Taken with no await since: a room everyone left while this read was on its way has no
        # position any more, and is not read.
        positions = {room: self.positions[room] for room in rooms if room in self.positions}
        if not positions:
            return [[] for _ in rooms]
        async with redis.pipeline(transaction=False) as pipe:
            for room, position in positions.items():
                pipe.xread({self.keys.stream(room): position}, count=TAIL_BATCH)
            replies = dict(zip(positions, await pipe.execute(), strict=True))
        # Not fanned out (nor the positions moved) until this shard's replicas hold it.
        await self.messages.replication.confirm(redis, self.keys.room_probe(rooms[0]))
        entries: list[list[Entry]] = []
        for room in rooms:
            found = cast(list[tuple[str, list[Entry]]], replies.get(room) or [])
            batch = found[0][1] if found else []
            if len(batch) == TAIL_BATCH:
                self._due.add(room)  # more behind this batch
            entries.append(batch)
        return entries

    async def _drop_subscriptions(self) -> None:
        for task in self._listeners:
            task.cancel()
        for pubsub in self._pubsubs.values():
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()  # type: ignore[no-untyped-call]
        self._listeners.clear()
        self._pubsubs.clear()
        self._subscribed.clear()
        self._channel_rooms.clear()
        self._leaving.clear()

    async def stop(self) -> None:
        await super().stop()
        await self._drop_subscriptions()
