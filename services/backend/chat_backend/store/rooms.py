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


class Rooms:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, notices: Notifier):
        self.redis = redis
        self.settings = settings
        self.keys = keys
        self.notices = notices
        self._known = {GENERAL}  # rooms and DMs are never deleted, so a hit needs no round trip

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

    async def create(self, room: str) -> Literal["created", "exists", "full"]:
        """A public room (MAX_ROOMS at most); every open socket is told of it."""
        if await self.redis.scard(self.keys.ROOMS) >= self.settings.max_rooms:
            return "full"
        if not await self.redis.sadd(self.keys.ROOMS, room):
            return "exists"
        await self.notices.to_everyone(RoomNotice(room=room_info(room)))
        return "created"

    async def open_dm(self, user: str, other: str) -> tuple[str, bool]:
        """The DM of the two (distinct, registered) users, and whether it was created just
        now; then both members' sockets are told of it. Re-adding it to both members' lists
        each time mends a list an interrupted creation missed (and the list of every DM)."""
        room = dm_name(user, other)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(self.keys.dm(room), int(time.time() * 1000), nx=True)
            pipe.sadd(self.keys.user_dms(user), room)
            pipe.sadd(self.keys.user_dms(other), room)
            pipe.sadd(self.keys.DMS, room)
            created = bool((await pipe.execute())[0])
        self._known.add(room)
        if created:
            await self.notices.to_users((user, other), RoomNotice(room=room_info(room)))
        return room, created
