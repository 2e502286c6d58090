"""Who is in a room, and its topic.

Anyone joins and leaves a public room; a private room's members add and remove members, and
anyone leaves. A room's members (Keys.members, at most MAX_ROOM_MEMBERS) are the record; each
change is also an entry of the room's stream (entries.py: kind "member"), written by the same
script, so subscribers see it in order and resume past it. A user's own list of their rooms
(Keys.user_rooms, another slot on a cluster) follows, and is mended by any repeat.

The topic (at most MAX_TOPIC_LENGTH characters) is set by members, likewise an entry of the
stream (kind "topic") and kept in Keys.room_meta for the room list.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal, cast

import redis.asyncio as aioredis

from chat_backend.protocol import Member, MemberAction, RoomNotice
from chat_backend.settings import Settings
from chat_backend.store.access import Access, dm_members
from chat_backend.store.keys import Keys
from chat_backend.store.messages import APPEND, Messages
from chat_backend.store.notifier import Notifier
from chat_backend.store.rooms import room_info

# Both scripts take the room's members, stream, seq and meta, and its channel
# (the tail's bell), as KEYS[1..5]. Before a room's first entry that is no message its message
# count starts (at what a room from before counts were kept holds): the send script counts on
# from the stream's length only where no count exists.
_ROOM_ENTRY = """
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('SET', KEYS[3], redis.call('XLEN', KEYS[2])) end
"""
_BELL = """
ring(KEYS[5])
"""
# ARGV: the action, who does it, the member, MAX_ROOM_MEMBERS, the stream's MAXLEN (APPEND), ts, "1" when
# who does it must be a member.
_MEMBERSHIP = (
    APPEND
    + """
if ARGV[7] == '1' and redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 0 then return 'not_member' end
if ARGV[1] == 'join' or ARGV[1] == 'add' then
  if redis.call('SISMEMBER', KEYS[1], ARGV[3]) == 1 then return 'unchanged' end
  if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'full' end
  redis.call('SADD', KEYS[1], ARGV[3])
elseif redis.call('SREM', KEYS[1], ARGV[3]) == 0 then
  return 'unchanged'
end
"""
    + _ROOM_ENTRY
    + """
append(KEYS[2], ARGV[5], 'kind', 'member', 'action', ARGV[1],
  'target', ARGV[3], 'user', ARGV[2], 'ts', ARGV[6])
"""
    + _BELL
    + "return 'ok'"
)
# ARGV: the user, the topic, ts, the stream's MAXLEN (APPEND).
_TOPIC = (
    APPEND
    + """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 'not_member' end
"""
    + _ROOM_ENTRY
    + """
append(KEYS[2], ARGV[4], 'kind', 'topic', 'user', ARGV[1],
  'text', ARGV[2], 'ts', ARGV[3])
redis.call('HSET', KEYS[4], 'topic', ARGV[2], 'topic_by', ARGV[1], 'topic_ts', ARGV[3])
"""
    + _BELL
    + "return 'ok'"
)
Outcome = Literal["ok", "unchanged", "full", "not_member"]


@dataclass(frozen=True)
class MemberPage:
    members: list[Member]
    total: int


class Memberships:
    def __init__(self, messages: Messages, settings: Settings, keys: Keys, notices: Notifier, access: Access):
        self.messages = messages
        self.redis = messages.redis
        self.settings = settings
        self.keys = keys
        self.notices = notices
        self.access = access
        self._membership = self.redis.register_script(_MEMBERSHIP)
        self._topic = self.redis.register_script(_TOPIC)

    async def join(self, room: str, user: str, founding: bool = False) -> Outcome:
        """The user joins the public room, or, `founding` it, the room they created; a
        private room is joined by nobody else (they are added)."""
        return await self._change(room, "join", user, user, founding)

    async def leave(self, room: str, user: str) -> Outcome:
        return await self._change(room, "leave", user, user)

    async def add(self, room: str, by: str, member: str) -> Outcome:
        """`by`, a member, adds `member` (a registered user); they hear of the room."""
        return await self._change(room, "add", by, member)

    async def remove(self, room: str, by: str, member: str) -> Outcome:
        """`by`, a member of the private room, removes `member`."""
        return await self._change(room, "remove", by, member)

    async def _change(
        self, room: str, action: MemberAction, by: str, member: str, founding: bool = False
    ) -> Outcome:
        private = await self.access.is_private(room)
        must_be_member = action in ("add", "remove") or (private and action == "join" and not founding)
        script_keys = self._room_keys(room)
        args: list[str | int] = [
            action,
            by,
            member,
            self.settings.max_room_members,
            self.messages.maxlen,
            int(time.time() * 1000),
            "1" if must_be_member else "0",
        ]
        outcome = cast(
            Outcome,
            await self.messages.on_room(
                room, lambda redis: self._membership(keys=script_keys, args=args, client=redis)
            ),
        )
        if outcome not in ("ok", "unchanged"):
            return outcome
        joined = action in ("join", "add")
        if joined:
            await self.redis.sadd(self.keys.user_rooms(member), room)
        else:
            await self.redis.srem(self.keys.user_rooms(member), room)
        if outcome == "ok" and private:
            if joined:
                topic = cast(str | None, await self.redis.hget(self.keys.room_meta(room), "topic"))
                info = room_info(room, private=True, joined=True, topic=topic)
                await self.notices.to_users((member,), RoomNotice(room=info))
            else:
                await self.notices.removed(member, room)
        return outcome

    async def set_topic(self, room: str, user: str, topic: str) -> Outcome:
        script_keys = self._room_keys(room)
        args: list[str | int] = [user, topic, int(time.time() * 1000), self.messages.maxlen]
        return cast(
            Outcome,
            await self.messages.on_room(
                room, lambda redis: self._topic(keys=script_keys, args=args, client=redis)
            ),
        )

    def _room_keys(self, room: str) -> list[str]:
        keys = self.keys
        return [
            keys.members(room),
            keys.stream(room),
            keys.room_seq(room),
            keys.room_meta(room),
            *self.messages.bell(room),
        ]

    async def members(self, room: str, offset: int, limit: int) -> MemberPage:
        """Members of the room, online ones (subscribed now: realtime/presence.py) first,
        each group by name; a DM's are its two."""

        async def read(redis: aioredis.Redis) -> tuple[set[str], list[str]]:
            async with redis.pipeline(transaction=False) as pipe:  # both keys are the room's
                pipe.smembers(self.keys.members(room))
                pipe.zrangebyscore(self.keys.presence(room), time.time(), "+inf")
                return cast(tuple[set[str], list[str]], tuple(await pipe.execute()))

        joined, present = await self.messages.on_room(room, read)
        dm = dm_members(room)
        everyone = set(dm) if dm else joined
        online = {entry.partition("\n")[0] for entry in present} & everyone
        ordered = sorted(everyone, key=lambda name: (name not in online, name.casefold(), name))
        page = ordered[offset : offset + limit]
        return MemberPage([Member(username=name, online=name in online) for name in page], len(ordered))
