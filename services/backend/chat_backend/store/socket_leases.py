"""Each user's open WebSockets, counted on every worker at once (MAX_SOCKETS_PER_USER).

A socket holds a lease: a member of the user's sorted set scored by when it lapses. Taking one
drops the lapsed, counts and adds in one script, so concurrent upgrades cannot pass the limit.
A worker renews its sockets' leases every LEASE_SECONDS / 3 and drops each as its socket closes;
a worker that died without dropping them frees its users' places within LEASE_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from chat_backend.settings import Settings
from chat_backend.store.keys import Keys
from chat_backend.store.redis_client import Client

log = logging.getLogger("chat_backend.leases")
LEASE_SECONDS = 60
# KEYS[1] the user's leases; ARGV[1] now, ARGV[2] the new lease's lapse, ARGV[3] the limit,
# ARGV[4] the lease. 1: taken.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) - tonumber(ARGV[1])))
return 1
"""


@dataclass(frozen=True)
class Lease:
    user: str
    id: str


class SocketLeases:
    def __init__(self, redis: Client, settings: Settings, keys: Keys):
        self.redis = redis
        self.keys = keys
        self.limit = settings.max_sockets_per_user
        self._take = redis.register_script(_TAKE)
        self._prefix = uuid.uuid4().hex[:12]  # this worker's, so leases of two workers differ
        self._ids = itertools.count(1)
        self.held: set[Lease] = set()
        self._task: asyncio.Task[None] | None = None

    async def take(self, user: str) -> Lease | None:
        """A lease for a new socket of `user`, or None when they have MAX_SOCKETS_PER_USER."""
        lease = Lease(user, f"{self._prefix}:{next(self._ids)}")
        now = time.time()
        args: list[str | float] = [now, now + LEASE_SECONDS, self.limit, lease.id]
        if not await self._take(keys=[self.keys.user_sockets(user)], args=args):
            return None
        self.held.add(lease)
        return lease

    async def drop(self, lease: Lease) -> None:
        self.held.discard(lease)
        with contextlib.suppress(RedisError, OSError):  # else it lapses by itself
            await self.redis.zrem(self.keys.user_sockets(lease.user), lease.id)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._renew(), name="socket-leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(LEASE_SECONDS / 3)
            lapse = time.time() + LEASE_SECONDS
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for lease in list(self.held):
                        pipe.zadd(self.keys.user_sockets(lease.user), {lease.id: lapse}, xx=True)
                        pipe.expire(self.keys.user_sockets(lease.user), LEASE_SECONDS)
                    await pipe.execute()
            except (RedisError, OSError) as exc:
                log.warning("socket leases not renewed, retrying", extra={"error": str(exc)})
