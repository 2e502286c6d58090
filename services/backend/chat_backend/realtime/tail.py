"""Live delivery of stored messages (and their edits and deletes) to this process's sockets.

On one node, one Redis connection tails the streams of every room that has a local subscriber
(XREAD BLOCK; on a Redis Cluster: sharded_tail.py), frames each new entry once, by its kind
(store/entries.py, wire.py), and hands the room's new frames to its subscriptions as one batch, one
write per socket (with REDIS_ACK_REPLICAS, once that many replicas hold them: store/replication.py).
A subscription with `since` gets the stored messages after it first, then the live ones: no
gap, no duplicate. The stream is the only record: a process that dies loses nothing, its
clients resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from redis.exceptions import RedisError

from chat_backend import metrics
from chat_backend.realtime import wire
from chat_backend.settings import Settings
from chat_backend.store import entries, redis_client
from chat_backend.store.entries import Entry
from chat_backend.store.messages import Messages, parse_id

log = logging.getLogger("chat_backend.tail")
# Short enough that a room added while XREAD is blocked joins the tail quickly; new
# messages in rooms already tailed still return at once.
TAIL_BLOCK_MS = 200
TAIL_BATCH = 1000
RETRY_SECONDS = 0.5
MessageOrder = tuple[int, int]  # parse_id's: how ids compare


class Subscriber(Protocol):
    """A socket as the tail and presence see it (connection.py's Connection): who it is, the
    rooms it is subscribed to, and pushes of frames."""

    id: str
    user: str
    rooms: dict[str, RoomSubscription]

    def push(self, frames: Sequence[bytes]) -> None:
        """Live frames, shared with other sockets."""

    def push_replay(self, frames: Sequence[bytes]) -> None:
        """A page of a replay."""

    async def ready_for_replay(self) -> bool:
        """Once the socket has room for another page of a replay: True; False once closed
        (it did not take the last page in time: a slow consumer)."""


@dataclass(eq=False, slots=True)
class RoomSubscription:
    """Delivery state of one connection in one room. While the missed messages are being
    replayed, live ones are buffered; afterwards anything at or below `floor` was already sent."""

    conn: Subscriber
    replaying: bool = True
    buffer: list[tuple[MessageOrder, bytes]] = field(default_factory=list)
    floor: MessageOrder = (0, 0)

    def deliver(self, batch: list[tuple[MessageOrder, bytes]], frames: list[bytes]) -> None:
        """`batch`: new messages in order; `frames`: their frames alone, shared by the room."""
        if self.replaying:
            self.buffer.extend(batch)
        elif batch[0][0] > self.floor:
            self.conn.push(frames)
        else:
            self.conn.push([frame for message_id, frame in batch if message_id > self.floor])

    def finish_replay(self, replayed: list[tuple[MessageOrder, bytes]], floor: MessageOrder) -> None:
        """Send the replay then the buffered live messages it did not cover; no await in
        here, so nothing can slip in between."""
        self.conn.push_replay([frame for _, frame in replayed])
        if replayed:
            floor = max(floor, replayed[-1][0])
        self.floor = floor
        live = [frame for message_id, frame in self.buffer if message_id > floor]
        if live:
            self.conn.push(live)
        self.buffer.clear()
        self.replaying = False


LocalRooms = dict[str, set[RoomSubscription]]  # the rooms with local subscribers, and theirs


class Tail:
    """What every tail does: the local subscriptions by room, each room's position, and the
    fan-out of what was read. How new entries are read is each kind's own (`_tail`)."""

    def __init__(self, messages: Messages, settings: Settings, rooms: LocalRooms):
        """`rooms`: filled and emptied here as sockets subscribe and leave (presence reads it)."""
        self.messages = messages
        self.keys = messages.keys
        self.rooms = rooms
        self.positions: dict[str, str] = {}  # room -> last stream id read
        self._stream_rooms: dict[str, str] = {}  # stream key -> room
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._coalesce = settings.fanout_coalesce_ms / 1000
        # Entries per page of a replay: as many of the longest messages as half the send buffer holds.
        self.replay_page = max(
            settings.send_buffer_bytes // 2 // wire.max_frame_bytes(settings.max_message_length), 1
        )

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tail(), name="tail")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError):
                await self._task

    async def _tail(self) -> None:
        raise NotImplementedError

    async def subscribe(self, conn: Subscriber, room: str, since: str | None) -> None:
        """Live delivery from now on, plus exactly what was stored after `since`."""
        start = None if room in self.positions else await self.messages.last_id(room)
        sub = RoomSubscription(conn)
        # From here to the replay query nothing awaits: the tail cannot read past this
        # point without `sub` seeing it (buffered while replaying).
        if room not in self.positions:
            self.positions[room] = start or "0-0"
            self._stream_rooms[self.keys.stream(room)] = room
            self.rooms[room] = set()
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
            del self.rooms[room], self.positions[room], self._stream_rooms[self.keys.stream(room)]
        return True

    def _dispatch(self, room: str, stored: list[Entry]) -> None:
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
        if room in self.positions:
            self.positions[room] = stored[-1][0]


class StreamTail(Tail):
    """On one node: one connection of its own blocks on every local room's stream at once."""

    def __init__(self, messages: Messages, settings: Settings, rooms: LocalRooms):
        super().__init__(messages, settings, rooms)
        self._redis = redis_client.dedicated_client(settings.redis_url)

    async def stop(self) -> None:
        await super().stop()
        await self._redis.aclose()

    async def _tail(self) -> None:
        while True:
            if not self.positions:
                self._wake.clear()
                await self._wake.wait()
                continue
            streams: dict[Any, Any] = {self.keys.stream(room): pos for room, pos in self.positions.items()}
            try:
                reply = cast(
                    list[tuple[str, list[Entry]]],
                    await self._redis.xread(streams, count=TAIL_BATCH, block=TAIL_BLOCK_MS),
                )
                if reply:
                    # Not fanned out (nor the positions moved) until the replicas hold it; on the
                    # tail's own client, so request traffic cannot hold it up.
                    await self.messages.replication.confirm(self._redis)
            except (RedisError, OSError) as exc:
                log.warning("stream tail failed, retrying", extra={"error": str(exc)})
                await asyncio.sleep(RETRY_SECONDS)
                continue
            for stream_key, stored in reply or ():  # RESP2: [[stream, [(id, fields), ...]], ...]
                room = self._stream_rooms.get(stream_key)
                if room is None:  # everyone left the room while we were reading
                    continue
                self._dispatch(room, stored)
            if reply and self._coalesce:
                # Busy: let the next messages gather, so each socket gets them in one write
                # (the write syscall is most of a delivery's cost). A message after a quiet
                # spell waits for nothing: XREAD returns it at once.
                await asyncio.sleep(self._coalesce)
