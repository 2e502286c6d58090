"""Redis connections from REDIS_URL (redis:// or rediss:// with AUTH, as ElastiCache needs):
one node, or with REDIS_CLUSTER any node of a Redis Cluster."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, ClusterPipeline, RedisCluster
from redis.exceptions import (
    AskError,
    ClusterDownError,
    ConnectionError,
    MovedError,
    SlotNotCoveredError,
    TimeoutError,
)

from chat_backend.settings import Settings
from chat_backend.store.keys import CLUSTER, ONE_NODE, Keys

T = TypeVar("T")
Client = aioredis.Redis | RedisCluster  # request traffic: one node, or a cluster
CONNECT_TIMEOUT = 5  # seconds
# What a shard's client raises when the shard it was sent to no longer owns the key.
TOPOLOGY_CHANGED = (MovedError, AskError, ConnectionError, TimeoutError)


def connection_pool(url: str, max_connections: int = 64) -> aioredis.BlockingConnectionPool:
    """A pool for request traffic; `rediss://` gives TLS with certificate checks on.
    Blocking: under a reconnect storm callers wait for a free connection instead of failing."""
    return aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=5,
        health_check_interval=30,
        socket_keepalive=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
    )


def client(pool: aioredis.BlockingConnectionPool) -> aioredis.Redis:
    return aioredis.Redis(connection_pool=pool)


class WaitingCluster(RedisCluster):
    """A cluster client whose callers wait for a free connection, as with the one node's
    blocking pool: redis-py's cluster pool raises at its limit, and takes that for a lost node.
    At most `max_connections` commands and pipelines are in flight, so no node's pool is full."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.in_flight = asyncio.Semaphore(kwargs["max_connections"])

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        async with self.in_flight:
            return await super().execute_command(*args, **kwargs)

    def pipeline(self, transaction: Any | None = None, shard_hint: Any | None = None) -> ClusterPipeline:
        # Abstract only to mypy: redis-py builds its own ClusterPipeline just so.
        return _WaitingPipeline(self, transaction)  # type: ignore[abstract]


class _WaitingPipeline(ClusterPipeline):
    async def execute(self, raise_on_error: bool = True, allow_redirections: bool = True) -> list[Any]:
        assert isinstance(self.cluster_client, WaitingCluster)
        async with self.cluster_client.in_flight:
            return await super().execute(raise_on_error, allow_redirections)


def cluster_client(url: str, max_connections: int = 64) -> RedisCluster:
    """Request traffic on a Redis Cluster: each command goes to the master owning its key, and
    MOVED, ASK and failovers are followed (redis-py retries with a fresh slot map)."""
    return WaitingCluster.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        socket_keepalive=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
    )


def dedicated_client(url: str) -> aioredis.Redis:
    """One connection of its own, for long blocking reads (stream tail, pub/sub)."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        single_connection_client=True,
        socket_keepalive=True,
        socket_connect_timeout=CONNECT_TIMEOUT,
    )


class ShardMap(Protocol):
    """Which master serves a key, and a client of its own for each: how the stream tail works,
    shard by shard (`Shards` on a cluster; one node is `OneShard`)."""

    async def master(self, key: str) -> ClusterNode: ...

    def client(self, node: ClusterNode) -> aioredis.Redis: ...

    def url_of(self, node: ClusterNode) -> str: ...

    async def refresh(self) -> None: ...


class OneShard:
    """One Redis node seen as a cluster of a single shard: every key is on its one master."""

    NODE = ClusterNode("redis", 0)  # only named: commands go through `redis`, its request client

    def __init__(self, redis: aioredis.Redis, url: str):
        self.redis, self.url = redis, url

    async def master(self, key: str) -> ClusterNode:
        return self.NODE

    def client(self, node: ClusterNode) -> aioredis.Redis:
        return self.redis

    def url_of(self, node: ClusterNode) -> str:
        return self.url

    async def refresh(self) -> None:
        """One node has no slot map to fetch."""


class Shards:
    """A Redis Cluster's masters, each with a client of its own, for what must run on the one
    connection of the shard that owns a room: its send script and WAIT, a read and the probe
    that confirms it, the shard's part of the stream tail."""

    def __init__(self, cluster: RedisCluster, url: str):
        self.cluster = cluster
        self._url = urlsplit(url)
        self._clients: dict[str, aioredis.Redis] = {}

    async def master(self, key: str) -> ClusterNode:
        """The master serving the key's slot, from the slot map (fetched first if need be)."""
        node = self._mapped(key)
        if node is None:
            await self.refresh()
            node = self._mapped(key)
        if node is None:  # a failover under way: the caller retries later
            raise ClusterDownError(f"no master serves {key!r} yet")
        return node

    def _mapped(self, key: str) -> ClusterNode | None:
        try:
            return self.cluster.get_node_from_key(key)
        except SlotNotCoveredError:
            return None

    def url_of(self, node: ClusterNode) -> str:
        """The node's URL: the cluster URL's credentials and TLS, the node's address."""
        auth = self._url.netloc.rpartition("@")[0]
        netloc = f"{auth}@{node.host}:{node.port}" if auth else f"{node.host}:{node.port}"
        return urlunsplit(self._url._replace(netloc=netloc))

    def client(self, node: ClusterNode) -> aioredis.Redis:
        """The node's own client."""
        found = self._clients.get(node.name)
        if found is None:
            found = aioredis.Redis.from_url(
                self.url_of(node),
                decode_responses=True,
                socket_keepalive=True,
                socket_connect_timeout=CONNECT_TIMEOUT,
            )
            self._clients[node.name] = found
        return found

    async def on_master(self, key: str, command: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
        """`command` on the client of the master owning `key` (as on_master_node)."""
        return await self.on_master_node(key, lambda node: command(self.client(node)))

    async def on_master_node(self, key: str, command: Callable[[ClusterNode], Awaitable[T]]) -> T:
        """`command` on the master owning `key`; once more with a fresh slot map if that node no
        longer owns it (a failover or a slot move), else the error goes to the caller."""
        try:
            return await command(await self.master(key))
        except TOPOLOGY_CHANGED:
            await self.refresh()
            return await command(await self.master(key))

    async def refresh(self) -> None:
        """A fresh slot map. The client's own first use sets it up completely (its command parser
        too); a map fetched before that would make the client skip that step."""
        await self.cluster.initialize()
        await self.cluster.nodes_manager.initialize()

    async def aclose(self) -> None:
        for found in self._clients.values():
            await found.aclose()
        self._clients.clear()


@dataclass(frozen=True)
class Store:
    """What a worker talks to Redis through: the request client, on a cluster its shards, and
    the key layout that goes with them."""

    redis: Client
    shards: Shards | None
    keys: Keys


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[Store]:
    if not settings.redis_cluster:
        pool = connection_pool(settings.redis_url)
        redis = client(pool)
        try:
            yield Store(redis, None, ONE_NODE)
        finally:
            await redis.aclose()
            await pool.aclose()
        return
    cluster = cluster_client(settings.redis_url)
    shards = Shards(cluster, settings.redis_url)
    try:
        yield Store(cluster, shards, CLUSTER)
    finally:
        await shards.aclose()
        await cluster.aclose()


def describe(url: str) -> dict[str, Any]:
    """Where the URL points, without the password (for logs)."""
    kwargs = aioredis.ConnectionPool.from_url(url).connection_kwargs
    return {
        "host": kwargs.get("host", kwargs.get("path")),
        "port": kwargs.get("port"),
        "db": kwargs.get("db", 0),
        "tls": url.startswith("rediss://"),
        "auth": kwargs.get("password") is not None,
    }
