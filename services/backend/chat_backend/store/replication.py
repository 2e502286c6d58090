"""REDIS_ACK_REPLICAS: no message is acked, or shown to anyone, before that many replicas
hold it, so a failover to one of them keeps everything a client has seen.

WAIT counts the replicas that have this connection's last write. A send runs its script
and WAIT on one connection. A read that clients will see is confirmed afterwards by a
write of its own (the probe) and WAIT: the replication stream is in order, so a replica
that has the probe has every entry the read returned.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from chat_backend.settings import Settings
from chat_backend.store.keys import Keys


class NotReplicatedError(RedisError):
    """Too few replicas confirmed in time: answered like Redis being unavailable (retry)."""


class Replication:
    def __init__(self, settings: Settings):
        self.replicas = settings.redis_ack_replicas
        self.timeout_ms = settings.redis_ack_timeout_ms

    def wait(self, pipe: Pipeline) -> None:
        pipe.wait(self.replicas, self.timeout_ms)

    def check(self, confirmed: int) -> None:
        if confirmed < self.replicas:
            raise NotReplicatedError(
                f"{confirmed} of {self.replicas} replicas confirmed within {self.timeout_ms} ms"
            )

    async def confirm(self, redis: aioredis.Redis, probe: str = Keys.REPLICATION_PROBE) -> None:
        """Returns once what was read before the call is on the replicas (at once when off).
        `probe`: a key on the node that was read (on a cluster, on the room's shard)."""
        if not self.replicas:
            return
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(probe, 1, px=60_000)
            self.wait(pipe)
            _, confirmed = await pipe.execute()
        self.check(confirmed)
