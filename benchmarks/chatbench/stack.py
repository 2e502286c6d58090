"""The system under test, started with the shared launchers (scripts/devstack): a fresh
redis-server and the backend with 2 workers on 127.0.0.1, plus the users and rooms a run needs."""

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
from devstack.redis_server import RedisServer

ORIGIN = "http://127.0.0.1"
# Documented backend limits (services/backend/README.md) raised for the benchmark only: one
# sender per room sends far more than a person may (SEND_RATE_LIMIT, default 30 per 10 s).
BENCH_ENV = {"SEND_RATE_LIMIT": "100000000", "LOG_LEVEL": "WARNING"}


@dataclass(frozen=True)
class Backend:
    server: BackendServer
    url: str
    server_header: str  # what the HTTP `server` header says, to confirm ASGI_SERVER took effect


@contextlib.contextmanager
def redis(workdir: Path, appendfsync: str = "always") -> Iterator[RedisServer]:
    server = RedisServer(workdir / "redis", appendfsync=appendfsync)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def backend(workdir: Path, redis_url: str, asgi_server: str) -> Iterator[Backend]:
    server = BackendServer(
        workdir / f"backend-{asgi_server}",
        redis_url=redis_url,
        allowed_origins=ORIGIN,
        session_secret=secrets.token_urlsafe(32),
        workers=2,
        extra_env={**BENCH_ENV, "ASGI_SERVER": asgi_server},
    )
    server.start()
    try:
        response = httpx.get(f"{server.url}/api/readyz", trust_env=False, timeout=10)
        response.raise_for_status()
        yield Backend(server, server.url, response.headers.get("server", "(none)"))
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
