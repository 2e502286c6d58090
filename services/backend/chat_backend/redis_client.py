"""Redis connections from REDIS_URL (redis:// or rediss:// with AUTH, as ElastiCache needs)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis


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
        socket_connect_timeout=5,
    )


def client(pool: aioredis.BlockingConnectionPool) -> aioredis.Redis:
    return aioredis.Redis(connection_pool=pool)


def dedicated_client(url: str) -> aioredis.Redis:
    """One connection of its own, for long blocking reads (stream tail, pub/sub)."""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        single_connection_client=True,
        socket_keepalive=True,
        socket_connect_timeout=5,
    )


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
