"""Read positions and unread counts.

Every message has its room's next `seq` (messages.py), so a user's read position in a room is
one number: the seq they have seen up to (Keys.read_positions; it only moves forward, and never
past the room's seq). Unread = the room's seq - the read position; mentioned = the seq of the
newest message mentioning them (Keys.mentions) is past it. Neither depends on how many messages
there are. (Which rooms have new messages reaches sockets as activity: realtime/activity.py.)
"""

from __future__ import annotations

from collections.abc import Container
from typing import cast

from chat_backend.protocol import ReadNotice, RoomInfo
from chat_backend.store.keys import Keys
from chat_backend.store.notifier import Notifier
from chat_backend.store.redis_client import Client
from chat_backend.store.rooms import room_info

# The read position becomes max(old, seq), and never more than the room's seq: -1 when it
# did not move. Both keys are the room's.
_READ = """
local seq = math.min(tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[1]) or '0'))
if seq <= tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], seq)
return seq
"""


class Reads:
    def __init__(self, redis: Client, keys: Keys, notices: Notifier):
        self.redis = redis
        self.keys = keys
        self.notices = notices
        self._read = redis.register_script(_READ)

    async def mark(self, room: str, user: str, seq: int) -> None:
        """The user has read the room up to `seq`; if that moved their position, all their
        sockets are told."""
        room_keys = [self.keys.room_seq(room), self.keys.read_positions(room)]
        moved = int(await self._read(keys=room_keys, args=[user, seq]))
        if moved >= 0:
            await self.notices.to_users((user,), ReadNotice(room=room, seq=moved))

    async def infos(
        self, user: str, rooms: list[str], joined: Container[str] = (), private: Container[str] = ()
    ) -> list[RoomInfo]:
        """Each room as the user sees it (`rooms`: ones they may see; of those, the ones they
        `joined` and the `private` ones)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.get(self.keys.room_seq(room))
                pipe.hget(self.keys.read_positions(room), user)
                pipe.hget(self.keys.mentions(room), user)
                pipe.hget(self.keys.room_meta(room), "topic")
            replies = cast(list[str | None], await pipe.execute())
        return [
            room_info(
                room,
                *(int(value or 0) for value in replies[4 * i : 4 * i + 3]),
                private=room in private,
                joined=room in joined,
                topic=replies[4 * i + 3],
            )
            for i, room in enumerate(rooms)
        ]
