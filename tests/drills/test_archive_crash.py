"""The archive through crashes: PostgreSQL killed with SIGKILL mid-conversation and restarted
(every acked message reaches it once), and Redis killed and restarted while the archiver
trims behind it (history reads on across the seam between the two stores)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from typing import Any

import httpx
from chatkit import Peer
from devstack.backend_server import BackendServer
from devstack.postgres_server import PostgresServer

from tests.drills import figures
from tests.drills.conftest import StartBackend, StartPostgres, StartRedis
from tests.drills.conversation import converse, join
from tests.drills.drill_env import ROOM
from tests.drills.test_redis_crash import crash_and_restart

PEERS = 6
PER_PEER = 40
WINDOW = 50  # HISTORY_LIMIT: a small Redis window, so the archiver trims during the drill
CATCH_UP_SECONDS = 90


def archived(server: PostgresServer) -> list[tuple[str, str]]:
    """(id, client_id) of every message PostgreSQL holds for the room, oldest first."""
    with server.connect() as conn:
        rows = conn.execute(
            "SELECT id_ms || '-' || id_seq, client_id FROM messages WHERE room = %s ORDER BY id_ms, id_seq",
            (ROOM,),
        ).fetchall()
    return [(str(eid), str(cid)) for eid, cid in rows]


async def until_archived(server: PostgresServer, acked: set[str]) -> tuple[list[tuple[str, str]], float]:
    """What PostgreSQL holds once it holds every acked message (or the time is up), and how
    long that took."""
    started = time.monotonic()
    while True:
        rows = await asyncio.to_thread(archived, server)
        if acked <= {eid for eid, _ in rows} or time.monotonic() - started > CATCH_UP_SECONDS:
            return rows, time.monotonic() - started
        await asyncio.sleep(0.2)


def start_archiving(start_backend: StartBackend, redis: Any, postgres: PostgresServer) -> BackendServer:
    return start_backend(
        redis,
        DATABASE_URL=postgres.url,
        DATABASE_PASSWORD=postgres.password,
        HISTORY_LIMIT=str(WINDOW),
        ARCHIVE_BATCH="32",
    )


async def whole_history(base_url: str, peer: Peer) -> list[dict[str, Any]]:
    """Every message of the room through the API, paging back from the newest."""
    found: list[dict[str, Any]] = []
    before: str | None = None
    cookie = {"Cookie": peer.account.cookie}
    async with httpx.AsyncClient(base_url=base_url, headers=cookie, trust_env=False) as http:
        while True:
            params: dict[str, Any] = {"limit": 37, **({"before": before} if before else {})}
            response = await http.get(f"/api/rooms/{ROOM}/messages", params=params)
            response.raise_for_status()
            page = response.json()["messages"]
            found = page + found
            if len(page) < 37:
                return found
            before = page[0]["id"]


async def test_postgres_sigkill_mid_conversation_loses_and_doubles_nothing(
    start_redis: StartRedis, start_postgres: StartPostgres, start_backend: StartBackend
) -> None:
    redis, postgres = start_redis(), start_postgres()
    backend = start_archiving(start_backend, redis, postgres)
    peers = await join(backend.url, PEERS)

    async def fault() -> None:
        postgres.signal(signal.SIGKILL)
        assert postgres.proc is not None
        await asyncio.to_thread(postgres.proc.wait)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(postgres.start)  # crash recovery from its WAL

    try:
        outcome = await converse(peers, PER_PEER, fault)
        rows, caught_up = await until_archived(postgres, outcome.acked)
        history = await whole_history(backend.url, peers[0])
    finally:
        await asyncio.gather(*(peer.drop() for peer in peers))
    missing = outcome.acked - {eid for eid, _ in rows}
    doubled = [cid for cid, n in Counter(cid for _, cid in rows).items() if n > 1]
    figures.record(
        "PostgreSQL killed with SIGKILL mid-conversation, restarted on the same data",
        "sends go on (acks mean stored in Redis); the archiver's passes fail until PostgreSQL is back, "
        "then it catches up: every acked message reaches PostgreSQL, none twice, and history through "
        "the API is the acked sequence",
        sent=outcome.sent,
        acked=len(outcome.acked),
        archived=len(rows),
        acked_but_not_archived=len(missing),
        archived_twice=len(doubled),
        catch_up_seconds=round(caught_up, 1),
    )
    assert not missing, f"{len(missing)} acked messages never reached PostgreSQL"
    assert not doubled, f"archived twice: {doubled[:5]}"
    assert len(outcome.acked) == outcome.sent == len(rows)
    assert [m["id"] for m in history] == [eid for eid, _ in rows]


async def test_redis_sigkill_keeps_history_continuous_across_the_seam(
    start_redis: StartRedis, start_postgres: StartPostgres, start_backend: StartBackend
) -> None:
    redis, postgres = start_redis(), start_postgres()
    backend = start_archiving(start_backend, redis, postgres)
    peers = await join(backend.url, PEERS)
    try:
        outcome = await converse(peers, PER_PEER, crash_and_restart(redis))
        rows, _ = await until_archived(postgres, outcome.acked)
        history = await whole_history(backend.url, peers[0])
    finally:
        await asyncio.gather(*(peer.drop() for peer in peers))
    ids = [m["id"] for m in history]
    figures.record(
        "Redis killed with SIGKILL mid-conversation (archiving to PostgreSQL), restarted on its AOF",
        "history through the API runs from PostgreSQL into the Redis window without a gap or a "
        "repeat: every acked message once, in stream order, seqs 1..n",
        sent=outcome.sent,
        acked=len(outcome.acked),
        in_history=len(ids),
        archived=len(rows),
        repeated=len(ids) - len(set(ids)),
    )
    assert set(ids) == outcome.acked
    assert len(ids) == len(set(ids)) == outcome.sent
    assert ids == [eid for eid, _ in rows]
    assert [m["seq"] for m in history] == list(range(1, outcome.sent + 1))
