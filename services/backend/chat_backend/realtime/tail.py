"""Live delivery of stored messages (and their edits and deletes) to this process's sockets.

Every script that adds to a room's stream rings the room's sharded pub/sub channel (SPUBLISH,
on the room's shard; one Redis is a cluster of one shard) with the entry and the id the stream
ended at before it: a bell. This process keeps one subscriber connection per shard its sockets'
rooms live on (SSUBSCRIBE; store/pipelined.py hands bells over as they arrive). A bell that
follows what was delivered goes out at once in a room quiet for FANOUT_COALESCE_MS, and with the
room's next batch in a busy one; otherwise (a bell missed while resubscribing, a read under way)
the room is read from its position, one pipelined round trip per shard for all rooms due; so a
message costs the same however many rooms are quiet. Each new entry is framed once, by its kind
(store/entries.py, wire.py), and a room's new frames reach its subscriptions as one batch, one
write per socket (with REDIS_ACK_REPLICAS never at once: only once that many of the shard's
replicas hold them, store/replication.py). The same channel carries the room's presence and
typing frames, handed to presence.py.

A subscription with `since` gets the stored messages after it first, then the live ones: no
gap, no duplicate. A bell can be missed only while a room's channel is not subscribed, so every
room is read once its subscription is confirmed, and a socket's subscribe returns only then (so
the presence it publishes next reaches this process too). Any error (Redis restarted, a
failover, a slot moved) starts over with a fresh slot map, every room read again from its
position (nothing skipped, nothing repeated) and its presence sent again (frames may have been
missed meanwhile). The stream is the only record: a process that dies loses nothing, its
clients resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from typing import Any, cast

import orjson
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.exceptions import ClusterDownError, RedisError

from chat_backend import metrics
from chat_backend.realtime import wire
from chat_backend.realtime.presence import Presence
from chat_backend.realtime.subscriptions import LocalRooms, MessageOrder, RoomSubscription, Subscriber
from chat_backend.settings import Settings
from chat_backend.store import entries
from chat_backend.store.entries import Entry
from chat_backend.store.messages import BELL_SEPARATOR, Messages, parse_id
from chat_backend.store.pipelined import Pipelined
from chat_backend.store.redis_client import ShardMap
from chat_backend.tasks import stopped

log = logging.getLogger("chat_backend.tail")
TAIL_BATCH = 1000  # entries read per room and round trip; a room with more is read again at once
RETRY_SECONDS = 0.5
SUBSCRIBE_TIMEOUT = 5.0  # seconds a socket's subscribe waits for the room's shard to confirm


class SlotMovedError(RedisError):
    """A shard dropped a subscription of ours: its slot now lives elsewhere."""


class Tail:
    def __init__(
        self, messages: Messages, settings: Settings, shards: ShardMap, rooms: LocalRooms, presence: Presence
    ):
        """`rooms`: filled and emptied here as sockets subscribe and leave (presence reads it);
        `presence` gets the presence and typing frames the rooms' channels carry."""
        self.messages = messages
        self.keys = messages.keys
        self.shards = shards
        self.rooms = rooms
        self.presence = presence
        self.positions: dict[str, str] = {}  # room -> last stream id read
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._coalesce = settings.fanout_coalesce_ms / 1000
        # Entries per page of a replay: as many of the longest messages as half the send buffer holds.
        self.replay_page = max(
            settings.send_buffer_bytes // 2 // wire.max_frame_bytes(settings.max_message_length), 1
        )
        self._due: set[str] = set()  # rooms to read: rung, newly subscribed, or not yet confirmed
        self._reading: set[str] = set()  # rooms whose read is on its way
        self._carried: dict[str, list[Entry]] = {}  # room -> entries its bells carried, not yet delivered
        self._heads: dict[str, str] = {}  # room -> id of the newest entry taken, when past its position
        self._last_out: dict[str, float] = {}  # room -> when its entries last went out
        self._delivered = float("-inf")  # when entries last went out, at once or in a batch
        self._moved: set[str] = set()  # rooms whose channel to subscribe or unsubscribe: just these
        self._subscribed: dict[str, str] = {}  # room -> name of the shard node it is subscribed on
        self._pubsubs: dict[str, Pipelined] = {}  # node name -> its subscriber connection
        self._resending: set[asyncio.Task[None]] = set()
        self._channel_rooms: dict[str, str] = {}  # channel -> room
        self._ready: dict[str, asyncio.Event] = {}  # room -> set once its channel was first confirmed
        self._leaving: Counter[str] = Counter()  # channel -> our SUNSUBSCRIBEs not yet confirmed
        self._failed: asyncio.Future[None] | None = None  # set by a listener that lost its shard

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tail(), name="tail")

    async def stop(self) -> None:
        if self._task is not None:
            await stopped(self._task)
        self._drop_subscriptions()

    async def subscribe(self, conn: Subscriber, room: str, since: str | None) -> None:
        """Live delivery from now on, plus exactly what was stored after `since`; returns once
        the room's channel is confirmed."""
        await self._deliver_from(conn, room, since)
        ready = self._ready.setdefault(room, asyncio.Event())
        self._wake.set()
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                await ready.wait()
        except TimeoutError:
            self.remove(conn, room)
            raise ClusterDownError(f"the shard of {room!r} did not confirm the subscription") from None

    async def _deliver_from(self, conn: Subscriber, room: str, since: str | None) -> None:
        start = None if room in self.positions else await self.messages.last_id(room)
        sub = RoomSubscription(conn)
        # From here to the replay query nothing awaits: the tail cannot read past this
        # point without `sub` seeing it (buffered while replaying).
        if room not in self.positions:
            self.positions[room] = start or "0-0"
            self.rooms[room] = set()
            self._moved.add(room)
            self._wake.set()
        self.rooms[room].add(sub)
        conn.rooms[room] = sub
        # Live messages at or below what the client already has (or was just replayed) are dropped.
        floor = parse_id(since) if since else (0, 0)
        page: list[tuple[MessageOrder, bytes]] = []
        try:
            position, complete = since, not since
            # Page by page, each sent once the socket has taken most of the one before: a replay
            # holds at most a page here and its share of the send buffer, like live delivery.
            while not complete and position is not None and await conn.ready_for_replay():
                conn.push_replay([frame for _, frame in page])
                replayed = await self.messages.after(room, position, self.replay_page)
                page = [(parse_id(eid), wire.server_frame(frame)) for eid, frame in replayed.frames]
                position, complete = replayed.last_id or position, replayed.complete
                floor = max(floor, parse_id(position))
        except BaseException:
            self.remove(conn, room)
            raise
        sub.finish_replay(page, floor)

    def remove(self, conn: Subscriber, room: str) -> bool:
        """Ends the connection's delivery of the room; False if it had none."""
        sub = conn.rooms.pop(room, None)
        subs = self.rooms.get(room)
        if sub is None or subs is None:
            return False
        subs.discard(sub)
        if not subs:
            del self.rooms[room], self.positions[room]
            self._carried.pop(room, None)
            self._heads.pop(room, None)
            self._last_out.pop(room, None)
            self._moved.add(room)
        return True

    def _dispatch(self, room: str, stored: list[Entry]) -> None:
        """New entries of the room to its subscriptions; any at or below its position (a bell
        and a read that both had it) were delivered already."""
        position = self.positions.get(room)
        if position is not None and stored and parse_id(stored[0][0]) <= parse_id(position):
            floor = parse_id(position)
            stored = [entry for entry in stored if parse_id(entry[0]) > floor]
        if not stored:
            return
        batch = [
            (parse_id(entry_id), wire.server_frame(frame))
            for entry_id, fields in stored
            if (frame := entries.frame(room, entry_id, fields)) is not None
        ]
        subs = self.rooms.get(room, ())
        if batch:  # else only entries of kinds this version does not know
            frames = [frame for _, frame in batch]
            for sub in list(subs):
                sub.deliver(batch, frames)
            # Counted once per batch, not per frame: the per-socket path stays lean.
            metrics.MESSAGES_OUT.inc(len(subs) * len(batch))
            self._last_out[room] = self._delivered = asyncio.get_running_loop().time()
        if room in self.positions:
            self.positions[room] = stored[-1][0]

    async def _tail(self) -> None:
        while True:
            try:
                await self._follow()
            except (RedisError, OSError) as exc:
                log.warning("tail failed, starting over", extra={"error": str(exc)})
            except Exception:
                # A tail that stopped would leave this worker's sockets without delivery for good.
                log.exception("tail failed unexpectedly, starting over")
            # _follow returns only by raising: start over.
            self._drop_subscriptions()
            await asyncio.sleep(RETRY_SECONDS)
            with contextlib.suppress(RedisError, OSError):
                await self.shards.refresh()

    async def _follow(self) -> None:
        """Until an error: keep a subscription per local room, read the rooms due."""
        loop = asyncio.get_running_loop()
        self._failed = failed = loop.create_future()
        while True:
            await self._sync_subscriptions()
            if failed.done():
                failed.result()  # raises what a listener hit
            if not self._due and not self._carried:
                self._wake.clear()
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({waiter, failed}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                continue
            pause = self._delivered + self._coalesce - loop.time()
            if pause > 0:  # busy: let the next entries gather, one write per socket
                await asyncio.sleep(pause)
                continue
            await self._read_due()

    async def _sync_subscriptions(self) -> None:
        """A channel for each room with local subscribers, and none for the others; only the
        rooms joined or left since are looked at."""
        moved, self._moved = self._moved, set()
        for room in [room for room in moved if room in self._subscribed and room not in self.positions]:
            node_name = self._subscribed.pop(room)
            channel = self.keys.room_channel(room)
            self._channel_rooms.pop(channel, None)
            self._ready.pop(room, None)
            self._due.discard(room)
            self._leaving[channel] += 1
            self._pubsubs[node_name].send("SUNSUBSCRIBE", channel)
        for room in [room for room in moved if room in self.positions and room not in self._subscribed]:
            node = await self.shards.master(self.keys.stream(room))
            channel = self.keys.room_channel(room)
            self._channel_rooms[channel] = room
            self._subscribed[room] = node.name
            pubsub = self._pubsubs.get(node.name)
            if pubsub is None:
                pubsub = self._pubsubs[node.name] = await Pipelined.open(self.shards.url_of(node))
                pubsub.subscribe_mode(self._heard, self._lost)
            pubsub.send("SSUBSCRIBE", channel)

    def _heard(self, reply: list[Any]) -> None:
        """What a subscriber connection receives, as it arrives: a bell or presence, or a
        (un)subscribe confirmed."""
        kind, channel, data = reply
        room = self._channel_rooms.get(channel)
        if kind == "sunsubscribe" and self._leaving[channel]:
            # Ours: the room was left (and may have been joined again since).
            self._leaving[channel] -= 1
        elif kind == "sunsubscribe" and room is not None and room in self._subscribed:
            self._lost(SlotMovedError(f"the shard dropped {channel}"))
        elif room is None:
            return
        elif kind == "smessage" and data.startswith("{"):
            self.presence.deliver(room, data.encode())
        elif kind == "smessage":
            self._rang(room, data)
        elif kind == "ssubscribe":
            self._due.add(room)  # subscribed: what was stored before it could ring
            self._wake.set()
            self._confirmed(room)

    def _lost(self, exc: Exception) -> None:
        """A subscriber connection ended, or its shard dropped a room: the tail starts over."""
        if self._failed is not None and not self._failed.done():
            self._failed.set_exception(exc)

    def _confirmed(self, room: str) -> None:
        ready = self._ready.setdefault(room, asyncio.Event())
        if not ready.is_set():
            ready.set()  # the first time: the subscribe waiting for it goes on, and publishes presence
            return
        # Subscribed again after an error: what it missed meanwhile.
        task = asyncio.get_running_loop().create_task(self._resend(room))
        self._resending.add(task)
        task.add_done_callback(self._resending.discard)

    async def _resend(self, room: str) -> None:
        try:
            await self.presence.resend(room)
        except (RedisError, OSError) as exc:
            self._lost(exc)

    def _rang(self, room: str, bell: str) -> None:
        """The entry a bell carries, when it follows the newest entry taken: delivered at once
        if the room delivered nothing within the coalescing window (and no replica must confirm
        it first), else with the next batch. Otherwise (a bell missed, a read under way, a bell
        without an entry) the room is read from its position."""
        if room not in self.positions:
            return
        head = self._heads.get(room, self.positions[room])
        if bell and room not in self._due and room not in self._reading:
            before, entry_id, fields = bell.split(BELL_SEPARATOR, 2)
            if parse_id(entry_id) <= parse_id(head):
                return  # already read
            if before == head:
                values = orjson.loads(fields)  # field, value, field, value...
                entry = (entry_id, dict(zip(values[::2], values[1::2], strict=True)))
                if self._at_once(room, before):
                    self._heads.pop(room, None)
                    self._dispatch(room, [entry])
                    return
                self._carried.setdefault(room, []).append(entry)
                self._heads[room] = entry_id
                self._wake.set()
                return
        self._due.add(room)
        self._wake.set()

    def _at_once(self, room: str, before: str) -> bool:
        """A quiet room's entry goes out as it comes: waiting would batch nothing (a busy room's
        gather, one write per socket per window). Only when it follows what was delivered: nothing
        carried before it is held or on its way."""
        if before != self.positions[room] or self.messages.replication.replicas:
            return False
        last = self._last_out.get(room, float("-inf"))
        return asyncio.get_running_loop().time() - last >= self._coalesce

    async def _read_due(self) -> None:
        """What the bells carried, and one round trip per shard for the rooms to read."""
        due, self._due = self._due, set()
        carried, self._carried = self._carried, {}
        for room in due:  # read from their positions, which covers what their bells carried
            carried.pop(room, None)
            self._heads.pop(room, None)
        self._reading |= due  # before any await: their bells now wait for the next read
        try:
            by_shard: dict[str, tuple[ClusterNode, list[str], list[str]]] = {}  # master, rooms read, carried
            for room in [*due, *carried]:
                if room in self.positions:
                    master = await self.shards.master(self.keys.stream(room))
                    shard = by_shard.setdefault(master.name, (master, [], []))
                    (shard[1] if room in due else shard[2]).append(room)
            shards = list(by_shard.values())
            replies = await asyncio.gather(*(self._read_shard(*shard) for shard in shards))
        finally:
            self._reading -= due
        for (_, read, held), stored_by_room in zip(shards, replies, strict=True):
            for room, stored in [
                *zip(read, stored_by_room, strict=True),
                *((room, carried[room]) for room in held),
            ]:
                if stored and room in self.positions:
                    self._dispatch(room, stored)

    async def _read_shard(self, master: ClusterNode, read: list[str], held: list[str]) -> list[list[Entry]]:
        try:
            return await self._read_rooms(self.shards.client(master), read, (read or held)[0])
        except BaseException:
            self._due.update(read + held)  # read again from the same positions
            raise

    async def _read_rooms(
        self, redis: aioredis.Redis, rooms: list[str], probe_room: str
    ) -> list[list[Entry]]:
        # Taken with no await since: a room everyone left while this read was on its way has no
        # position any more, and is not read.
        positions = {room: self.positions[room] for room in rooms if room in self.positions}
        replies = {}
        if positions:
            async with redis.pipeline(transaction=False) as pipe:
                for room, position in positions.items():
                    pipe.xread({self.keys.stream(room): position}, count=TAIL_BATCH)
                replies = dict(zip(positions, await pipe.execute(), strict=True))
        # Not fanned out (nor the positions moved) until this shard's replicas hold it, what the
        # bells carried too (each was stored before it rang).
        await self.messages.replication.confirm(redis, self.keys.room_probe(probe_room))
        batches: list[list[Entry]] = []
        for room in rooms:
            found = cast(list[tuple[str, list[Entry]]], replies.get(room) or [])
            batch = found[0][1] if found else []
            if len(batch) == TAIL_BATCH:
                self._due.add(room)  # more behind this batch
            batches.append(batch)
        return batches

    def _drop_subscriptions(self) -> None:
        if self._failed is not None and not self._failed.done():
            self._failed.cancel()  # what the closed connections report next is not news
        for pubsub in self._pubsubs.values():
            pubsub.close()
        self._pubsubs.clear()
        self._subscribed.clear()
        self._channel_rooms.clear()
        self._leaving.clear()
        self._moved = set(self.positions)  # every room subscribed again, and read from its position
        self._carried.clear()
        self._heads.clear()
