"""Which rooms exist and who may see them: public rooms (everyone) and DMs (their two members).

A DM is named after its members, `dm:<a>:<b>` sorted (names.py), so who may see it is read off
its name without a round trip; whether it exists, like a room, is asked of Redis once per
process (neither is ever deleted). Everything that may not be seen answers like a room that
does not exist, so nobody learns which DMs others have.
"""

from __future__ import annotations

import time
from typing import Literal, cast

from chat_backend.names import DM_PREFIX
from chat_backend.protocol import RoomInfo, RoomNotice
from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.notifier import Notifier
from chat_backend.store.redis_client import Client

GENERAL = "general"


def dm_name(user: str, other: str) -> str:
    first, second = sorted((user, other))
    return f"{DM_PREFIX}{first}:{second}"


def dm_members(room: str) -> tuple[str, str] | None:
    """A DM's two members (the protocol's pattern admitted the name); None for a room."""
    if not room.startswith(DM_PREFIX):
        return None
    first, _, second = room.removeprefix(DM_PREFIX).partition(":")
    return first, second


def room_info(room: str, seq: int = 0, read: int = 0, mentioned_at: int = 0) -> RoomInfo:
    """The room as a user sees it, from its seq, their read position and the seq of the newest
    message mentioning them (reads.py); with the defaults, as it is when created."""
    members = dm_members(room)
    return RoomInfo(
        name=room,
        kind="dm" if members else "room",
        members=list(members) if members else None,
        seq=seq,
        unread=max(seq - read, 0),
        mentioned=mentioned_at > read,
    )


# KEYS[1] every public room, KEYS[2] those the user created; ARGV[1] the room, ARGV[2] MAX_ROOMS,
# ARGV[3] MAX_ROOMS_PER_USER. Checked and added in one step: concurrent creations cannot pass
# either limit.
_CREATE = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'exists' end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 'full' end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 'user_full' end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 'created'
"""
# KEYS[1] the DMs the user opened; ARGV[1] the DM, ARGV[2] MAX_DMS_PER_USER. 1: it may be opened.
_OPEN_DM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


class Rooms:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, notices: Notifier):
        self.redis = redis
        self.settings = settings
        self.keys = keys
        self.notices = notices
        self._known = {GENERAL}  # rooms and DMs are never deleted, so a hit needs no round trip
        self._create = redis.register_script(_CREATE)
        self._open_dm = redis.register_script(_OPEN_DM)

    async def visible(self, user: str) -> list[str]:
        """Every public room, sorted, then the user's DMs, sorted."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(self.keys.ROOMS)
            pipe.smembers(self.keys.user_dms(user))
            public, dms = cast(list[set[str]], await pipe.execute())
        return sorted(public | {GENERAL}) + sorted(dms)

    async def can_see(self, user: str, room: str) -> bool:
        members = dm_members(room)
        if members is not None and user not in members:
            return False
        if room in self._known:
            return True
        if members is None:
            exists = bool(await self.redis.sismember(self.keys.ROOMS, room))
        else:
            exists = bool(await self.redis.exists(self.keys.dm(room)))
        if exists:
            self._known.add(room)
        return exists

    async def create(self, room: str, user: str) -> Literal["created", "exists", "full", "user_full"]:
        """A public room created by `user` (MAX_ROOMS in all, MAX_ROOMS_PER_USER each); every
        open socket is told of it."""
        keys = [self.keys.ROOMS, self.keys.user_rooms(user)]
        args: list[str | int] = [room, self.settings.max_rooms, self.settings.max_rooms_per_user]
        outcome = cast(
            Literal["created", "exists", "full", "user_full"], await self._create(keys=keys, args=args)
        )
        if outcome == "created":
            await self.notices.to_everyone(RoomNotice(room=room_info(room)))
        return outcome

    async def open_dm(self, user: str, other: str) -> tuple[str, bool] | None:
        """The DM of the two (distinct, registered) users, and whether it was created just
        now; then both members' sockets are told of it. None: `user` opened MAX_DMS_PER_USER
        others already. Re-adding it to both members' lists each time mends a list an
        interrupted creation missed."""
        room = dm_name(user, other)
        if not await self._open_dm(
            keys=[self.keys.user_opened_dms(user)], args=[room, self.settings.max_dms_per_user]
        ):
            return None
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.dm(room), int(time.time() * 1000), nx=True)
            pipe.sadd(self.keys.user_dms(user), room)
            pipe.sadd(self.keys.user_dms(other), room)
            created = bool((await pipe.execute())[0])
        self._known.add(room)
        if created:
            await self.notices.to_users((user, other), RoomNotice(room=room_info(room)))
        return room, created
