"""Creating rooms (public or private) and opening DMs; who may see them: access.py.

A DM is named after its members, `dm:<a>:<b>` sorted (names.py). Room names are unique
regardless of case, across public and private rooms: Keys.ROOM_NAMES maps each casefolded
name to its room, written by the same script that creates the room.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable
from typing import Literal, cast

from chat_backend.names import DM_PREFIX
from chat_backend.protocol import RoomInfo, RoomNotice
from chat_backend.settings import Settings
from chat_backend.store.access import GENERAL, Access, dm_members
from chat_backend.store.keys import Keys
from chat_backend.store.notifier import Notifier
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.rooms")

# KEYS: the public rooms, the private rooms, the casefolded names, the rooms the creator created
# (one slot: keys.py); ARGV: the name, its casefold, "1" for private, MAX_ROOMS,
# MAX_ROOMS_PER_USER. Checked and added in one step: concurrent creations cannot pass either limit.
_CREATE = """
if redis.call('HEXISTS', KEYS[3], ARGV[2]) == 1 or redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1
    or redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return 'exists'
end
if redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'full' end
if redis.call('SCARD', KEYS[4]) >= tonumber(ARGV[5]) then return 'user_full' end
redis.call('SADD', ARGV[3] == '1' and KEYS[2] or KEYS[1], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 'created'
"""
# KEYS[1] the DMs the user opened; ARGV[1] the DM, ARGV[2] MAX_DMS_PER_USER. 1: it may be opened.
_OPEN_DM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


def dm_name(members: Iterable[str]) -> str:
    return DM_PREFIX + ":".join(sorted(set(members)))


def room_info(
    room: str,
    seq: int = 0,
    read: int = 0,
    mentioned_at: int = 0,
    *,
    private: bool = False,
    joined: bool | None = None,
    topic: str | None = None,
) -> RoomInfo:
    """The room as a user sees it, from its seq, their read position and the seq of the newest
    message mentioning them (reads.py); with the defaults, as it is when created. `joined`:
    None where it is not one user's view (a new public room's frame to everyone)."""
    members = dm_members(room)
    return RoomInfo(
        name=room,
        kind="dm" if members else "room",
        members=list(members) if members else None,
        private=True if private else None,
        joined=None if members else joined,
        topic=topic or None,
        seq=seq,
        unread=max(seq - read, 0),
        mentioned=mentioned_at > read,
    )


class Rooms:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, notices: Notifier, access: Access):
        self.redis = redis
        self.settings = settings
        self.keys = keys
        self.notices = notices
        self.access = access
        self._create = redis.register_script(_CREATE)
        self._open_dm = redis.register_script(_OPEN_DM)

    async def index_names(self) -> None:
        """Rooms created before names were unique regardless of case get their casefolded
        name: the first of case-variants keeps it (the others stay reachable by their exact
        names, and no new variant can be created)."""
        rooms = sorted(cast(set[str], await self.redis.smembers(self.keys.ROOMS)) | {GENERAL})
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.hsetnx(self.keys.ROOM_NAMES, room.casefold(), room)
            await pipe.execute()

    async def create(
        self, room: str, user: str, private: bool = False
    ) -> Literal["created", "exists", "full", "user_full"]:
        """A room created by `user` (MAX_ROOMS in all, public and private together;
        MAX_ROOMS_PER_USER each), its name unique regardless of case. Every open socket is told
        of a public one; the creator then joins it (memberships.py)."""
        registry = [
            self.keys.ROOMS,
            self.keys.PRIVATE_ROOMS,
            self.keys.ROOM_NAMES,
            self.keys.user_created_rooms(user),
        ]
        args: list[str | int] = [
            room,
            room.casefold(),
            "1" if private else "0",
            self.settings.max_rooms,
            self.settings.max_rooms_per_user,
        ]
        outcome = cast(
            Literal["created", "exists", "full", "user_full"], await self._create(keys=registry, args=args)
        )
        if outcome == "created":
            if private:
                self.access.known_private(room)
            else:
                self.access.known_public(room)
                await self.notices.to_everyone(RoomNotice(room=room_info(room)))
        return outcome

    async def open_dm(self, user: str, members: Collection[str]) -> tuple[str, bool] | None:
        """The DM of `members` (2 to DM_MAX_MEMBERS distinct registered users, `user` one of
        them: a group DM from 3), and whether it was created just now; then every member's
        sockets are told of it. None: `user` opened MAX_DMS_PER_USER others already (a group DM
        counts as one). Re-adding it to every member's list each time mends a list an
        interrupted creation missed (and the list of every DM)."""
        room = dm_name(members)
        if not await self._open_dm(
            keys=[self.keys.user_opened_dms(user)], args=[room, self.settings.max_dms_per_user]
        ):
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.dm(room), int(time.time() * 1000), nx=True)
            for member in members:
                pipe.sadd(self.keys.user_dms(member), room)
            pipe.sadd(self.keys.DMS, room)
            created = bool((await pipe.execute())[0])
        self.access.known_dm(room)
        if created:
            await self.notices.to_users(members, RoomNotice(room=room_info(room)))
        return room, created
