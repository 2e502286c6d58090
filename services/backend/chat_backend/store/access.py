"""Who may see which room: public rooms (everyone), private rooms (their members) and DMs,
two-person or group (their members, read off the name: names.py).

`visible` is the one answer to "which rooms can this user see" (the room list, and anything
that lists or searches across rooms); `can_see` answers it for one room. Everything that may
not be seen answers like a room that does not exist, so nobody learns which private rooms or
DMs others have (a private room's name is taken, though: creating it again says so).

Whether a room is public or private never changes and rooms are never deleted, so each is
asked of Redis once per process; who is in a private room is asked every time (Keys.members
is the record; a user's own list, Keys.user_rooms, only says where to look).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import cast

from chat_backend.names import DM_PREFIX
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

GENERAL = "general"


def dm_members(room: str) -> tuple[str, ...] | None:
    """A DM's members (the protocol's pattern admitted the name); None for a room."""
    if not room.startswith(DM_PREFIX):
        return None
    return tuple(room.removeprefix(DM_PREFIX).split(":"))


@dataclass(frozen=True)
class Visible:
    """The rooms one user may see, each group sorted, and which of them they joined."""

    public: list[str]
    private: list[str]
    dms: list[str]
    joined: frozenset[str]

    @property
    def rooms(self) -> list[str]:
        return self.public + self.private + self.dms


class Access:
    def __init__(self, redis: Client, keys: Keys):
        self.redis = redis
        self.keys = keys
        self._public = {GENERAL}
        self._private: set[str] = set()
        self._dms: set[str] = set()  # DMs known to exist

    def known_public(self, room: str) -> None:
        """A public room that now exists (created here)."""
        self._public.add(room)

    def known_private(self, room: str) -> None:
        self._private.add(room)

    def known_dm(self, room: str) -> None:
        self._dms.add(room)

    async def visible(self, user: str) -> list[str]:
        """Every room the user may see: public rooms, then their private rooms, then their DMs,
        each sorted."""
        return (await self.visible_detail(user)).rooms

    async def visible_detail(self, user: str) -> Visible:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(self.keys.ROOMS)
            pipe.smembers(self.keys.user_rooms(user))
            pipe.smembers(self.keys.user_dms(user))
            public, joined, dms = cast(list[set[str]], await pipe.execute())
        public |= {GENERAL}
        self._public |= public
        private = await self._members_of(user, sorted(await self._private_among(joined - public)))
        return Visible(sorted(public), private, sorted(dms), frozenset(joined & public) | frozenset(private))

    async def can_see(self, user: str, room: str) -> bool:
        """The room exists and the user may see it; no round trip for a known public room or
        DM (the send path)."""
        members = dm_members(room)
        if members is not None:
            return user in members and await self._dm_exists(room)
        if room in self._public:
            return True
        if room in self._private or await self._kind(room) == "private":
            return bool(await self.redis.sismember(self.keys.members(room), user))
        return room in self._public

    async def is_private(self, room: str) -> bool:
        """Whether `room` (which exists) is a private room."""
        return dm_members(room) is None and (room in self._private or await self._kind(room) == "private")

    async def private_members(self, rooms: Iterable[str]) -> dict[str, set[str]]:
        """The members of each private room among `rooms` (public rooms and DMs left out)."""
        private = await self._private_among({room for room in rooms if dm_members(room) is None})
        if not private:
            return {}
        ordered = sorted(private)
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in ordered:
                pipe.smembers(self.keys.members(room))
            found = cast(list[set[str]], await pipe.execute())
        return dict(zip(ordered, found, strict=True))

    async def members(self, rooms: Iterable[str]) -> dict[str, set[str]]:
        """Who is in each of `rooms`: a DM's members, a room's (public: who joined it)."""
        ordered = sorted(rooms)
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in ordered:
                if dm_members(room) is None:
                    pipe.smembers(self.keys.members(room))
            found = iter(cast(list[set[str]], await pipe.execute()))
        return {room: set(dm_members(room) or next(found)) for room in ordered}

    async def _dm_exists(self, room: str) -> bool:
        if room in self._dms:
            return True
        if await self.redis.exists(self.keys.dm(room)):
            self._dms.add(room)
            return True
        return False

    async def _kind(self, room: str) -> str | None:
        """ "public", "private", or None (no such room); remembered once known."""
        async with self.redis.pipeline(transaction=False) as pipe:  # both keys share a slot
            pipe.sismember(self.keys.ROOMS, room)
            pipe.sismember(self.keys.PRIVATE_ROOMS, room)
            public, private = await pipe.execute()
        if public:
            self._public.add(room)
            return "public"
        if private:
            self._private.add(room)
            return "private"
        return None

    async def _private_among(self, rooms: Collection[str]) -> set[str]:
        """Those of `rooms` (no DMs) that are private rooms."""
        unknown = sorted(set(rooms) - self._public - self._private)
        if unknown:
            flags = await self.redis.smismember(self.keys.PRIVATE_ROOMS, unknown)
            self._private.update(room for room, flag in zip(unknown, flags, strict=True) if flag)
        return {room for room in rooms if room in self._private}

    async def _members_of(self, user: str, rooms: list[str]) -> list[str]:
        """Those of the private `rooms` the user is a member of."""
        if not rooms:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for room in rooms:
                pipe.sismember(self.keys.members(room), user)
            flags = await pipe.execute()
        return [room for room, member in zip(rooms, flags, strict=True) if member]
