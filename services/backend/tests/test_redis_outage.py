"""Redis down: every request that needs it is refused with 503 `redis_unavailable` (the
WebSocket upgrade too), never a bare 500, and service (presence included) resumes when
Redis is back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from chat_backend.protocol import ErrorCode, ErrorFrame, Send
from chatkit import ChatClient, unique
from conftest import MakeUser, StartBackend
from devstack.redis_server import RedisServer
from websockets.exceptions import InvalidStatus

pytestmark = pytest.mark.single_node  # restarts its own redis-server


async def test_upgrade_and_requests_get_503_while_redis_is_down(
    start_backend: StartBackend, make_user: MakeUser, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        server = start_backend(REDIS_URL=redis.url)
        client = await make_user(server)
        await asyncio.to_thread(redis.stop)
        with pytest.raises(InvalidStatus) as refused:
            await client.ws()
        assert refused.value.response.status_code == 503
        me = await client.http.get("/api/me")
        assert me.status_code == 503
        assert me.json()["error"] == "redis_unavailable"
        await asyncio.to_thread(redis.start)  # same port and data directory: the session survives
        sock = await client.ws()
        # Presence arrives even if published before the worker's event subscription was back.
        await sock.subscribe("general")
        sent = await sock.say("general", "back")
        assert [m.id for m in await sock.messages(1)] == [sent]
        await sock.close()
    finally:
        redis.stop()


async def test_a_send_refused_while_redis_is_down_names_its_client_id(
    start_backend: StartBackend, make_client: Callable[..., ChatClient], tmp_path: Path
) -> None:
    """Even when the room check is what fails: the client retries exactly that send."""
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        client = make_client(start_backend(REDIS_URL=redis.url))
        await client.register()
        room = unique("outage")
        await client.create_room(room)  # not yet known to the workers: the send must ask Redis
        sock = await client.ws()
        await asyncio.to_thread(redis.stop)
        await sock.send(Send(room=room, text="while down", client_id="c-outage"))
        refused = await sock.expect(ErrorFrame, timeout=15)
        assert (refused.code, refused.client_id) == (ErrorCode.UNAVAILABLE, "c-outage")
        await sock.close()
    finally:
        redis.stop()
