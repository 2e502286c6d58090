"""What the drills and the soak share: the allowed origin, the room, load limits, and
reading what Redis really stored (directly, not through the API under test)."""

from __future__ import annotations

import secrets
from pathlib import Path

import redis
from chat_backend.store.keys import ONE_NODE
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer

ORIGIN = "http://chat.drill"
ROOM = "general"
OUTAGE_SECONDS = 10  # how long the Redis-outage drills keep Redis away (the 10 s)
# Generous limits so load drills measure faults, not the rate limiter (its own test sets them low).
LOAD_ENV = {
    "SEND_RATE_LIMIT": "1000000",
    "LOGIN_MAX_FAILURES_PER_IP": "1000000",
    "REGISTRATIONS_PER_IP": "1000000",
    "MAX_SOCKETS_PER_USER": "1000000",
}


def redis_at(datadir: Path, appendfsync: str = "always") -> RedisServer:
    """A redis-server (not started yet) keeping its AOF in `datadir`."""
    datadir.mkdir(parents=True, exist_ok=True)
    return RedisServer(datadir, appendfsync=appendfsync)


def backend_for(workdir: Path, redis_server: RedisServer, workers: int = 2, **env: str) -> BackendServer:
    """The production backend (not started yet) with the drills' origin, a fresh session
    secret and load limits; `env` overrides any setting."""
    return BackendServer(
        workdir,
        redis_url=redis_server.url,
        allowed_origins=ORIGIN,
        session_secret=secrets.token_urlsafe(32),
        workers=workers,
        extra_env={**LOAD_ENV, **env},
    )


def stored_ids(server: RedisServer, room: str = ROOM) -> list[str]:
    """Every message id Redis holds for the room, oldest first."""
    with redis.Redis(port=server.port, decode_responses=True) as client:
        return [entry_id for entry_id, _ in client.xrange(ONE_NODE.stream(room))]


def stored_client_ids(server: RedisServer, room: str = ROOM) -> list[str]:
    with redis.Redis(port=server.port, decode_responses=True) as client:
        return [fields["client_id"] for _, fields in client.xrange(ONE_NODE.stream(room))]
