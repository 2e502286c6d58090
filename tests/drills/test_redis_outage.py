"""Redis unavailable for 10 s: not ready, sends refused with a clear error frame, and the
backend recovers by itself when Redis returns (no restart, same sockets)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
from chat_backend.protocol import ErrorFrame, Send
from chatkit import connect, unique, ws_url
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.drills import figures
from tests.drills.conversation import join
from tests.drills.drill_env import ORIGIN, OUTAGE_SECONDS, stored_client_ids, stored_ids


async def ready(http: httpx.AsyncClient) -> int:
    return (await http.get("/api/readyz")).status_code


async def upgrade_answer(base_url: str, cookie: str) -> str:
    """How a new WebSocket is answered: 'http NNN' (refused upgrade) or 'close NNNN'."""
    try:
        ws = await connect(ws_url(base_url), ORIGIN, cookie)
    except InvalidStatus as refused:
        return f"http {refused.response.status_code}"
    with contextlib.suppress(ConnectionClosed):
        await ws.conn.recv()
    return f"close {ws.conn.close_code}"


async def test_redis_outage_is_reported_refused_and_recovered_from(
    redis_server: RedisServer, backend: BackendServer
) -> None:
    peers = await join(backend.url, 2)
    sender, watcher = peers
    before = await sender.say("before the outage")
    async with httpx.AsyncClient(base_url=backend.url, timeout=10) as http:
        assert await ready(http) == 200
        redis_server.stop()
        down_at = time.monotonic()
        try:
            readiness = await ready(http)
            client_id = unique("outage")
            outage_send = Send(room=sender.room, text="during the outage", client_id=client_id)
            refusal = await sender.attempt(outage_send, timeout=10)  # once: the answer to this send
            me = await http.get("/api/me", headers={"Cookie": sender.account.cookie})
            upgrade = await upgrade_answer(backend.url, sender.account.cookie)
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
        finally:
            await asyncio.to_thread(redis_server.start)
        back_at = time.monotonic()
        while await ready(http) != 200:
            assert time.monotonic() - back_at < 30, "backend did not become ready after Redis returned"
            await asyncio.sleep(0.1)
        recovered_in = time.monotonic() - back_at
        # The client retries the refused message (same client_id) on the same socket.
        retried = await sender.say("during the outage", client_id=client_id, timeout=30)
        after = await sender.say("after the outage")
    await watcher.wait_for({before, retried, after})
    await asyncio.gather(*(peer.drop() for peer in peers))

    figures.record(
        f"Redis unavailable for {OUTAGE_SECONDS} s",
        "`/api/readyz` answers 503; a send gets the error frame `unavailable` (nothing stored, no silent "
        "drop), HTTP 503 `redis_unavailable`, a new WebSocket 503; it recovers alone when Redis "
        "returns, on the same sockets, and the refused message resent with its `client_id` is stored once",
        readyz_during=readiness,
        send_answer=refusal.code if isinstance(refusal, ErrorFrame) else f"not refused: {refusal}",
        api_me_during=me.status_code,
        new_websocket_during=upgrade,
        ready_again_after_s=round(recovered_in, 2),
        reconnects=sender.reconnects + watcher.reconnects,
        stored=len(stored_ids(redis_server)),
    )
    assert readiness == 503
    assert isinstance(refusal, ErrorFrame), refusal
    assert refusal.code == "unavailable", refusal
    assert stored_client_ids(redis_server).count(client_id) == 1
    assert watcher.received == stored_ids(redis_server) == [before, retried, after]
    # An endpoint that needs Redis answers with the error shape and 503, never a bare 500.
    assert me.status_code == 503, (me.status_code, me.text)
    assert me.json()["error"] == "redis_unavailable"
    assert upgrade in {"http 503", "close 1011", "close 1013"}, upgrade
