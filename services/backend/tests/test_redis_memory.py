"""Redis at its memory ceiling (maxmemory, noeviction) refuses writes: the backend answers
503 / `unavailable` as when Redis is away, keeps serving reads, and /api/metrics shows how
full Redis is."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from chat_backend.protocol import ErrorFrame, Send
from chatkit import ChatClient, unique
from conftest import ORIGIN
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer
from redis.exceptions import OutOfMemoryError

pytestmark = pytest.mark.single_node
TOKEN = "scrape-" + "m" * 32
TINY = 1024 * 1024  # below what Redis holds once filled


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[tuple[RedisServer, BackendServer]]:
    redis_server = RedisServer(tmp_path / "redis", maxmemory="64mb")
    backend = BackendServer(
        tmp_path / "backend",
        redis_server.url,
        ORIGIN,
        secrets.token_urlsafe(32),
        workers=1,
        extra_env={"METRICS_TOKEN": TOKEN},
    )
    redis_server.start()
    try:
        backend.start()
        yield redis_server, backend
    finally:
        backend.stop()
        redis_server.stop()


async def test_writes_past_maxmemory_are_refused_as_unavailable(
    tiny: tuple[RedisServer, BackendServer],
) -> None:
    redis_server, backend = tiny
    client = ChatClient(backend.url, ORIGIN)
    store = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.register()
        sock = await client.ws()
        await sock.subscribe("general")
        assert await sock.say("general", "before")
        # Something else fills Redis past a ceiling set below it.
        for n in range(8):
            await store.set(f"filler:{n}", b"x" * (256 * 1024))
        await store.config_set("maxmemory", str(TINY))
        with pytest.raises(OutOfMemoryError):
            await store.set("one-more", "x")
        await sock.send(Send(room="general", text="after", client_id="full"))
        refused = await sock.expect(ErrorFrame, client_id="full")
        assert refused.code == "unavailable"
        room = await client.http.post("/api/rooms", json={"name": unique("r")})
        assert (room.status_code, room.json()["error"]) == (503, "redis_unavailable")
        # Reads go on.
        assert (await client.http.get("/api/rooms")).status_code == 200
        history = await client.http.get("/api/rooms/general/messages")
        assert [m["text"] for m in history.json()["messages"]] == ["before"]
        async with httpx.AsyncClient(base_url=backend.url) as prometheus:
            text = (await prometheus.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).text
        gauges = {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line.startswith("chat_redis_memory_")
        }
        assert gauges["chat_redis_memory_max_bytes"] == TINY
        assert gauges["chat_redis_memory_used_bytes"] > gauges["chat_redis_memory_max_bytes"]
        # Room again: writes work.
        await store.delete(*[f"filler:{n}" for n in range(8)])
        await store.config_set("maxmemory", "64mb")
        assert await sock.say("general", "after all")
        await sock.close()
    finally:
        await store.aclose()
        await client.aclose()
