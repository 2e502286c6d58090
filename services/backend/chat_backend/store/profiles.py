"""Display names: shown beside the unchanging username, chosen by the user (names.py says
what one may hold). Kept in one hash (Keys.DISPLAY_NAMES) in the slot of the people
directory, so one script changes a name and its directory entry together (people.py: anyone
is found by their display name too). Message frames carry the username alone; clients look
display names up (GET /api/users) and member lists and the directory carry them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from chat_backend.store import people
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

# KEYS: the display names, the directory. ARGV: the user, the name expected now ("" none), the
# new one ("" clears), their directory entries ("" none). 0 when the name changed meanwhile.
_RENAME = """
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
if ARGV[4] ~= '' then redis.call('ZREM', KEYS[2], ARGV[4]) end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('ZADD', KEYS[2], 0, ARGV[5])
end
return 1
"""
_ATTEMPTS = 5  # concurrent renames of one user: each retry sees the other's outcome


class Profiles:
    def __init__(self, redis: Client, keys: Keys):
        self.redis = redis
        self.keys = keys
        self._rename = redis.register_script(_RENAME)

    async def set_display_name(self, user: str, name: str) -> None:
        """The user's display name becomes `name` ("" clears it)."""
        for _ in range(_ATTEMPTS):
            old = cast(str | None, await self.redis.hget(self.keys.DISPLAY_NAMES, user)) or ""
            entries = [people.entry(value, user) if value else "" for value in (old, name)]
            args = [user, old, name, *entries]
            if await self._rename(keys=[self.keys.DISPLAY_NAMES, self.keys.PEOPLE], args=args):
                return
        raise RuntimeError(f"the display name of {user!r} kept changing")

    async def display_names(self, users: Sequence[str]) -> dict[str, str]:
        """The display names of those of `users` who have one."""
        if not users:
            return {}
        found = cast(list[str | None], await self.redis.hmget(self.keys.DISPLAY_NAMES, list(users)))
        return {user: name for user, name in zip(users, found, strict=True) if name}
