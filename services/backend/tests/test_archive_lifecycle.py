"""The archive through a PostgreSQL outage, an upgrade from a deployment without PostgreSQL,
and retention. Real redis-server (or Redis Cluster), real PostgreSQL, real backend processes."""

from __future__ import annotations

import re
import secrets
import time

from chatkit import ChatClient, unique
from conftest import KEYS, ArchiveStack, MakeArchiveStack, store_client
from test_archive import _archived, _page, _stream_ids, _until, _user, _whole_history

METRICS_TOKEN = secrets.token_urlsafe(32)  # only its bearer reads /api/metrics


async def _lag(client: ChatClient) -> float:
    answer = await client.http.get("/api/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert answer.status_code == 200, answer.text
    text = answer.text
    found = re.search(r"^chat_archive_lag_seconds(?:\{[^}]*\})? (\S+)$", text, re.MULTILINE)
    assert found, "no chat_archive_lag_seconds in /api/metrics"
    return float(found.group(1))


async def test_postgres_away_chat_goes_on_older_history_waits_and_the_archive_catches_up(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    server = stack.start(METRICS_TOKEN=METRICS_TOKEN)
    alice = await _user(server)
    room = unique("room")
    await alice.create_room(room)
    ws = await alice.ws()
    old = [await ws.say(room, f"before {n}") for n in range(30)]
    await _until(lambda: len(_archived(stack, room)) == 30)
    await _until(lambda: _trimmed(stack, room, old[0]))

    stack.postgres.stop()
    try:
        new = [await ws.say(room, f"during {n}") for n in range(30)]  # acked: Redis alone stores
        assert [m["id"] for m in await _page(alice, room, limit=20)] == new[-20:]
        stream = await _stream_ids(stack, room)
        assert set(new) <= set(stream), "the stream kept what PostgreSQL does not hold"
        for path, params in (
            (f"/api/rooms/{room}/messages", {"before": old[5]}),
            (f"/api/rooms/{room}/messages/{old[5]}/context", {}),
            ("/api/search", {"q": "before"}),
        ):
            answer = await alice.http.get(path, params=params)
            assert (answer.status_code, answer.json()["error"]) == (503, "history_unavailable"), answer.text
        await _until(lambda: _lag_over(alice, 1.0), timeout=30)
    finally:
        stack.postgres.start()

    await _until(lambda: len(_archived(stack, room)) == 60)
    await _until(lambda: _lag_is_zero(alice), timeout=30)
    assert [m["id"] for m in await _whole_history(alice, room)] == old + new
    assert stack.sql("SELECT count(DISTINCT (id_ms, id_seq)) FROM messages") == [(60,)]
    await ws.close()
    await alice.aclose()


async def _trimmed(stack: ArchiveStack, room: str, message_id: str) -> bool:
    return message_id not in await _stream_ids(stack, room)


async def _lag_over(client: ChatClient, seconds: float) -> bool:
    return await _lag(client) > seconds


async def _lag_is_zero(client: ChatClient) -> bool:
    return await _lag(client) == 0


async def test_redis_history_from_before_postgres_is_archived_on_first_start(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    before = stack.start(DATABASE_URL="")  # a deployment without PostgreSQL: Redis alone
    alice, bob = await _user(before), await _user(before)
    room = unique("room")
    await alice.create_room(room)
    dm = (await alice.open_dm(bob.username))["name"]
    ws = await alice.ws()
    in_room = [await ws.say(room, f"old {n}") for n in range(15)]
    in_dm = [await ws.say(dm, f"old dm {n}") for n in range(5)]
    await ws.close()
    before.stop()
    async with store_client(stack.store) as redis:
        await redis.delete(KEYS.DMS)  # DMs from before the list of every DM existed

    stack.start()
    await _until(lambda: stack.sql("SELECT to_regclass('messages') IS NOT NULL") == [(True,)])
    await _until(lambda: len(_archived(stack, room)) == 15 and len(_archived(stack, dm)) == 5)
    assert [row[0] for row in _archived(stack, room)] == in_room
    assert [row[0] for row in _archived(stack, dm)] == in_dm
    for client in (alice, bob):
        await client.aclose()


async def test_retention_deletes_older_messages_from_both_stores(
    make_archive_stack: MakeArchiveStack,
) -> None:
    stack = make_archive_stack()
    room = unique("room")
    old_ms = int(time.time() * 1000) - 3 * 86_400_000
    async with store_client(stack.store) as redis:
        await redis.sadd(KEYS.ROOMS, room)
        for n in range(5):
            fields = {"user": "x", "text": f"ancient {n}", "ts": old_ms + n, "client_id": f"c{n}"}
            fields["seq"] = n + 1
            await redis.xadd(KEYS.stream(room), fields, id=f"{old_ms + n}-0")
        await redis.set(KEYS.room_seq(room), 5)
    server = stack.start(RETENTION_DAYS="1")
    alice = await _user(server)
    ws = await alice.ws()
    recent = [await ws.say(room, f"recent {n}") for n in range(3)]
    await _until(lambda: [row[0] for row in _archived(stack, room)] == recent)
    assert await _stream_ids(stack, room) == recent
    assert [m["id"] for m in await _whole_history(alice, room)] == recent
    assert stack.sql("SELECT count(*) FROM messages WHERE body LIKE 'ancient%%'") == [(0,)]
    await ws.close()
    await alice.aclose()
