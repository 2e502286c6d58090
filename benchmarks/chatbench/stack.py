"""The system under test, started with the shared launchers (tools/devstack): a fresh
redis-server (or Redis Cluster) and the backend with 2 workers on 127.0.0.1, plus the users and
rooms a run needs."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from chatkit import ChatClient
from chatkit import register as register_user
from devstack.backend_server import BackendServer
from devstack.process import ManagedProcess
from devstack.redis_cluster import RedisCluster
from devstack.redis_server import RedisServer

from chatbench.plan import Plan, room_name
from chatbench.procstats import ProcessGroup

ORIGIN = "http://127.0.0.1"
# Documented backend limits (services/backend/README.md, docs/security.md) raised for the
# benchmark only: one sender per room sends far more than a person may (SEND_RATE_LIMIT, default
# 30 per 10 s); its many users register from one address and one of them creates every room.
BENCH_ENV = {
    "SEND_RATE_LIMIT": "100000000",
    "REGISTRATIONS_PER_IP": "100000000",
    "MAX_ROOMS_PER_USER": "100000000",
    "MAX_SOCKETS_PER_USER": "100000000",
    "LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class Backend:
    server: BackendServer
    url: str
    server_header: str  # what the HTTP `server` header says, to confirm ASGI_SERVER took effect
    env: dict[str, str]  # the backend's settings, as its environment gives them


@contextlib.contextmanager
def redis(workdir: Path, appendfsync: str = "always") -> Iterator[RedisServer]:
    server = RedisServer(workdir / "redis", appendfsync=appendfsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def cluster(workdir: Path, masters: int, appendfsync: str = "always") -> Iterator[RedisCluster]:
    """Masters without replicas: what is measured is how the rooms' load spreads."""
    nodes = RedisCluster(workdir / "redis-cluster", masters, replicas_per_master=0, appendfsync=appendfsync)
    nodes.start()
    try:
        yield nodes
    finally:
        nodes.stop()


def pid_of(process: ManagedProcess) -> int:
    assert process.proc is not None, f"{process.name} is not running"
    return process.proc.pid


def processes(store: RedisServer | RedisCluster) -> ProcessGroup:
    servers = list(store.nodes.values()) if isinstance(store, RedisCluster) else [store]
    return ProcessGroup([server.proc.pid for server in servers if server.proc is not None])


def spread(store: RedisServer | RedisCluster, plan: Plan) -> tuple[str, ...]:
    """The plan's room names; on a cluster, names dealt evenly over its masters (a room's keys
    share the hash tag of its name, so its master is its name's slot's)."""
    if not isinstance(store, RedisCluster):
        return plan.room_names()
    by_master: dict[int, list[str]] = {shard.master: [] for shard in store.shards()}

    def dealt() -> list[str]:  # one name per master at a time, while every master has one
        return [name for turn in zip(*by_master.values(), strict=False) for name in turn]

    candidate = 0
    while len(dealt()) < plan.rooms:
        name = room_name(candidate)
        by_master[store.shard_of(name).master].append(name)
        candidate += 1
    return tuple(dealt()[: plan.rooms])


@contextlib.contextmanager
def backend(
    workdir: Path,
    redis_url: str,
    asgi_server: str,
    name: str,
    cluster: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Backend]:
    env = {
        **BENCH_ENV,
        "ASGI_SERVER": asgi_server,
        **({"REDIS_CLUSTER": "true"} if cluster else {}),
        **(extra_env or {}),
        "REDIS_URL": redis_url,
        "ALLOWED_ORIGINS": ORIGIN,
        "SESSION_SECRET": secrets.token_urlsafe(32),
    }
    server = BackendServer(
        workdir / f"backend-{name}",
        redis_url=redis_url,
        allowed_origins=ORIGIN,
        session_secret=env["SESSION_SECRET"],
        workers=2,
        extra_env=env,
    )
    server.start()
    try:
        response = httpx.get(f"{server.url}/api/readyz", trust_env=False, timeout=10)
        response.raise_for_status()
        yield Backend(server, server.url, response.headers.get("server", "(none)"), env)
    finally:
        server.stop()


async def register(url: str, names: list[str]) -> list[str]:
    """Register each user (Argon2id: a few at a time) and return their session cookie headers."""
    gate = asyncio.Semaphore(4)

    async def one(name: str) -> str:
        async with gate:
            return (await register_user(url, name)).cookie

    return list(await asyncio.gather(*(one(name) for name in names)))


async def create_rooms(url: str, cookie: str, names: list[str]) -> None:
    async with contextlib.aclosing(ChatClient(url)) as client:
        client.http.headers["Cookie"] = cookie
        for name in names:
            await client.create_room(name)
