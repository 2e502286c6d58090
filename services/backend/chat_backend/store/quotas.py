"""Counters with a ceiling over a time window (login attempts, registrations per address),
each checked and counted in one Redis script: concurrent requests cannot all slip under the
ceiling between a check and a count (docs/security.md lists every ceiling)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from chat_backend.store.redis_client import Client

# KEYS: the counters; ARGV[1] the window (s), ARGV[1 + i] the ceiling of KEYS[i]. When any is at
# its ceiling nothing is counted and the reply is the seconds until it frees up (at least 1);
# otherwise every counter counts one more (its window starting with its first) and the reply is 0.
_TAKE = """
local wait = 0
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i + 1]) then
    wait = math.max(wait, redis.call('TTL', key), 1)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[1]) end
end
return 0
"""
# KEYS: counters to count one less (never below 0); the first ARGV[1] of them are reset instead.
_GIVE_BACK = """
for i, key in ipairs(KEYS) do
  if i <= tonumber(ARGV[1]) then
    redis.call('DEL', key)
  elseif tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
"""


class Quotas:
    def __init__(self, redis: Client):
        self._take = redis.register_script(_TAKE)
        self._give_back = redis.register_script(_GIVE_BACK)

    async def take(self, counters: Sequence[tuple[str, int]], window_seconds: int) -> int:
        """Counts one more on each (key, ceiling) and returns 0; or, when one is at its ceiling,
        counts nothing and returns the seconds to wait."""
        keys = [key for key, _ in counters]
        ceilings = [ceiling for _, ceiling in counters]
        return int(cast(int, await self._take(keys=keys, args=[window_seconds, *ceilings])))

    async def give_back(self, keys: Sequence[str], reset: int = 0) -> None:
        """Counts one less on each key; the first `reset` keys start over."""
        await self._give_back(keys=list(keys), args=[reset])
