"""Each user's open WebSockets, counted on every worker at once (MAX_SOCKETS_PER_USER).

A socket holds a lease: a member of the user's sorted set, named after its process. Taking one
drops lapsed leases, counts and adds in one script, so concurrent upgrades cannot pass the limit.
A lease is held until its socket closes, or until its process is found gone (processes.py: one
heartbeat per process, however many sockets it holds); each process lists the users it held
leases of, so whoever finds it gone frees their places, within PRESENCE_TTL.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.processes import Processes, drop_held
from chat_backend.store.redis_client import Client

# KEYS[1] the user's leases; ARGV[1] now, ARGV[2] the new lease's lapse ("+inf": held until
# dropped), ARGV[3] the limit, ARGV[4] the lease. Leases that lapsed (a worker from before leases
# were held so) are dropped first. 1: taken.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Lease:
    user: str
    id: str


class SocketLeases:
    def __init__(self, redis: Client, settings: Settings, keys: Keys, processes: Processes):
        self.redis = redis
        self.keys = keys
        self.limit = settings.max_sockets_per_user
        self._take = redis.register_script(_TAKE)
        self.process_id = processes.id
        self._ids = itertools.count(1)
        self.held: set[Lease] = set()
        processes.on_gone(self._reap)
        processes.on_back(self._take_again)

    async def take(self, user: str) -> Lease | None:
        """A lease for a new socket of `user`, or None when they have MAX_SOCKETS_PER_USER."""
        lease = Lease(user, f"{self.process_id}:{next(self._ids)}")
        await self.redis.sadd(self.keys.process_users(self.process_id), user)  # first: a crash frees it
        args: list[str | float] = [time.time(), "+inf", self.limit, lease.id]
        if not await self._take(keys=[self.keys.user_sockets(user)], args=args):
            return None
        self.held.add(lease)
        return lease

    async def drop(self, lease: Lease) -> None:
        self.held.discard(lease)
        with contextlib.suppress(RedisError, OSError):  # else it goes once this process is found gone
            await self.redis.zrem(self.keys.user_sockets(lease.user), lease.id)

    async def _reap(self, process: str) -> None:
        """Frees the places a gone process's sockets held."""
        await drop_held(self.redis, self.keys.process_users(process), self.keys.user_sockets, f"{process}:")

    async def _take_again(self) -> None:
        """This process was found gone while alive: its leases count again."""
        for lease in list(self.held):
            await self.redis.sadd(self.keys.process_users(self.process_id), lease.user)
            await self.redis.zadd(self.keys.user_sockets(lease.user), {lease.id: "+inf"})
