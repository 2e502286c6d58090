"""Read positions, unread counts and activity.

Every message has its room's next `seq` (messages.py), so a user's read position in a room is
one number: the seq they have seen up to (keys.read_positions; it only moves forward, and never
past the room's seq). Unread = the room's seq - the read position; mentioned = the seq of the
newest message mentioning them (keys.mentions) is past it.

Activity tells sockets which rooms have new messages without sending them the messages: each
worker gathers the seqs of the messages it stored and publishes them once a second; every
worker gathers what all publish and sends each of its sockets one frame a second at most with
the rooms it can see. Neither depends on how many messages there are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from typing import TYPE_CHECKING, cast

import orjson
from redis.exceptions import RedisError

from chat_backend import keys, wire
from chat_backend.notices import Notices
from chat_backend.protocol import (
    ACTIVITY_INTERVAL_SECONDS,
    ActivityNotice,
    ReadNotice,
    RoomInfo,
    RoomSeq,
    encode,
)
from chat_backend.redis_client import Client
from chat_backend.rooms import dm_members, room_info

if TYPE_CHECKING:
    from chat_backend.connection import Connection

log = logging.getLogger("chat_backend.reads")

# The read position becomes max(old, seq), and never more than the room's seq: -1 when it
# did not move. Both keys are the room's.
_READ = """
local seq = math.min(tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[1]) or '0'))
if seq <= tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], seq)
return seq
"""


class Reads:
    def __init__(self, redis: Client, notices: Notices):
        self.redis = redis
        self.notices = notices
        self._read = redis.register_script(_READ)

    async def mark(self, room: str, user: str, seq: int) -> None:
        """The user has read the room up to `seq`; if that moved their position, all their
        sockets are told."""
        moved = int(await self._read(keys=[keys.room_seq(room), keys.read_positions(room)], args=[user, seq]))
        if moved >= 0:
            await self.notices.to_users((user,), ReadNotice(room=room, seq=moved))

    async def infos(self, user: str, rooms: list[str]) -> list[RoomInfo]:
        """Each room as the user sees it (`rooms`: ones they may see)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.get(keys.room_seq(room))
                pipe.hget(keys.read_positions(room), user)
                pipe.hget(keys.mentions(room), user)
            replies = cast(list[str | None], await pipe.execute())
        return [
            room_info(room, *(int(value or 0) for value in replies[3 * i : 3 * i + 3]))
            for i, room in enumerate(rooms)
        ]


class Activity:
    def __init__(self, redis: Client, connections: Collection[Connection]):
        self.redis = redis
        self.connections = connections
        self._stored: dict[str, int] = {}  # this worker's new messages since it last published
        self._heard: dict[str, int] = {}  # every worker's, since the sockets were last told
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._every_interval(), name="activity")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def stored(self, room: str, seq: int) -> None:
        """A message this worker stored (the send path: no I/O here)."""
        if seq > self._stored.get(room, 0):
            self._stored[room] = seq

    def heard(self, payload: str) -> None:
        """A worker's published seqs (keys.ACTIVITY_CHANNEL)."""
        for room, seq in cast(dict[str, int], orjson.loads(payload)).items():
            if seq > self._heard.get(room, 0):
                self._heard[room] = seq

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(ACTIVITY_INTERVAL_SECONDS)
            self._tell_sockets()
            if self._stored:
                stored, self._stored = self._stored, {}
                try:
                    await self.redis.publish(keys.ACTIVITY_CHANNEL, orjson.dumps(stored))
                except (RedisError, OSError) as exc:  # best effort: unread counts are in Redis
                    log.warning("activity not published", extra={"error": str(exc)})

    def _tell_sockets(self) -> None:
        """One frame per socket at most: the rooms it can see that have new messages, but
        those it is subscribed to (it has their messages). Sockets that see the same rooms
        share the frame."""
        if not self._heard:
            return
        heard, self._heard = self._heard, {}
        public: list[tuple[str, int]] = []
        dms: dict[str, list[tuple[str, int]]] = {}
        for room, seq in sorted(heard.items()):
            members = dm_members(room)
            if members is None:
                public.append((room, seq))
            else:
                for member in members:
                    dms.setdefault(member, []).append((room, seq))
        frames: dict[tuple[tuple[str, int], ...], list[bytes]] = {}
        for conn in list(self.connections):
            rooms = public + dms[conn.user] if conn.user in dms else public
            if conn.rooms and not heard.keys().isdisjoint(conn.rooms):
                rooms = [entry for entry in rooms if entry[0] not in conn.rooms]
            if not rooms:
                continue
            key = tuple(rooms)
            if key not in frames:
                notice = ActivityNotice(rooms=[RoomSeq(room=room, seq=seq) for room, seq in rooms])
                frames[key] = [wire.text_frame(encode(notice))]
            conn.push(frames[key])
