"""A Redis Cluster's master killed under live load (REDIS_CLUSTER, REDIS_ACK_REPLICAS=1).

Six nodes (3 masters, a replica each); peers talk in one room while the master owning it is
SIGKILLed, once with its replica in sync and once with the replica a second behind (frozen
with SIGSTOP and its link cut, so only the master holds the latest writes). The cluster
promotes the replica by itself, the backend (2 workers) follows without a restart, and the
killed node comes back as a replica so acks can be confirmed again. Nothing acked may be lost,
nothing shown may vanish, and every client ends with exactly what the room holds, each once.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from chat_backend.store.keys import CLUSTER
from chatkit import ChatClient, Peer, unique
from devstack.backend_server import BackendServer
from devstack.redis_cluster import RedisCluster

from tests.drills import figures
from tests.drills.conversation import converse, join
from tests.drills.drill_env import LOAD_ENV, ORIGIN, ROOM
from tests.drills.failover_verdict import Verdict, settle

PEERS = 6
PER_PEER = 40
ENV = {"REDIS_CLUSTER": "true", "REDIS_ACK_REPLICAS": "1", "REDIS_ACK_TIMEOUT_MS": "1000"}


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RedisCluster]:
    started = RedisCluster(tmp_path / "cluster")
    try:
        started.start()
        yield started
    finally:
        started.stop()


@pytest.fixture
def backend(cluster: RedisCluster, tmp_path: Path) -> Iterator[BackendServer]:
    server = BackendServer(
        tmp_path / "backend",
        cluster.url,
        ORIGIN,
        secrets.token_urlsafe(32),
        workers=2,
        extra_env={**LOAD_ENV, **ENV},
    )
    try:
        server.start(timeout=60)
        yield server
    finally:
        server.stop()


def held_by(cluster: RedisCluster, port: int) -> list[tuple[str, str]]:
    """(id, client_id) of every message of the room on that node, oldest first."""
    with cluster.client(port) as client:
        return [(entry_id, fields["client_id"]) for entry_id, fields in client.xrange(CLUSTER.stream(ROOM))]


async def history(base_url: str) -> list[str]:
    """The room as the API shows it to a newcomer, page by page."""
    reader = ChatClient(base_url, ORIGIN)
    ids: list[str] = []
    try:
        await reader.register()
        while True:
            params = {"limit": 200, **({"before": ids[0]} if ids else {})}
            response = await reader.http.get(f"/api/rooms/{ROOM}/messages", params=params)
            page = [message["id"] for message in response.json()["messages"]]
            if not page:
                return ids
            ids = page + ids
    finally:
        await reader.aclose()


@pytest.mark.parametrize("lag", [0.0, 1.0], ids=["replica-in-sync", "replica-1s-behind"])
async def test_a_killed_master_loses_nothing_acked_and_shows_nothing_twice(
    cluster: RedisCluster, backend: BackendServer, lag: float
) -> None:
    shard = cluster.shard_of(ROOM)
    master, (replica,) = cluster.nodes[shard.master], [cluster.nodes[port] for port in shard.replicas]
    others = {s.master for s in cluster.shards()} - {shard.master}
    everyone: list[Peer] = await join(backend.url, PEERS + 1)
    *peers, latecomer = everyone  # speaks once, while the replica lags
    late_client_id = unique("late")
    late: list[asyncio.Task[str]] = []
    lost_with_master: set[str] = set()
    recovery: dict[str, float] = {}
    try:

        async def fail_over() -> None:
            if lag:
                # Frozen, and cut off: what the master takes from now on reaches no replica (a
                # stopped process's kernel would still take in the stream).
                replica.signal(signal.SIGSTOP)
                with cluster.client(shard.master) as client:
                    client.client_kill_filter(_type="replica")
                late.append(asyncio.create_task(latecomer.say("said while the replica lags", late_client_id)))
                await asyncio.sleep(lag)
            held = {entry_id for entry_id, _ in held_by(cluster, shard.master)}
            master.signal(signal.SIGKILL)
            killed = time.monotonic()
            assert master.proc is not None
            await asyncio.to_thread(master.proc.wait)
            if lag:
                replica.signal(signal.SIGCONT)
            promoted = await asyncio.to_thread(cluster.wait_promoted, ROOM, shard.master)
            recovery["promoted_s"] = time.monotonic() - killed
            lost_with_master.update(held - {entry_id for entry_id, _ in held_by(cluster, promoted)})
            await asyncio.to_thread(master.start)  # rejoins as the new master's replica: WAIT 1 can pass
            recovery["replica_back_s"] = time.monotonic() - killed

        outcome = await converse(peers, PER_PEER, fail_over)
        acked = outcome.acked | ({await late[0]} if late else set())
        final = await history(backend.url)
        await settle(everyone, final)
    finally:
        for task in late:
            task.cancel()
        await asyncio.gather(*(peer.drop() for peer in everyone))

    final_client_ids = [client_id for _, client_id in held_by(cluster, cluster.shard_of(ROOM).master)]
    verdict = Verdict(
        everyone, outcome.sent + (1 if lag else 0), acked, final, final_client_ids, lost_with_master
    )
    figures.record(
        f"Redis Cluster ({cluster.masters} masters, a replica each, REDIS_ACK_REPLICAS=1): the master "
        f"owning a busy room SIGKILLed, {'its replica a second behind' if lag else 'its replica in sync'}",
        "the cluster promotes the replica by itself and the backend follows without a restart: sends "
        "are refused `unavailable` until the room's shard answers again, then resent with the same "
        "`client_id`; nothing acked is lost, nothing shown vanishes or shows twice, every client gets "
        "exactly the stored ids in order",
        **verdict.figures(),
        kill_to_promoted_s=round(recovery["promoted_s"], 1),
        kill_to_replica_back_s=round(recovery["replica_back_s"], 1),
    )
    if lag:
        assert lost_with_master, "the master must die holding writes its replica never got"
    verdict.check()
    assert {s.master for s in cluster.shards()} >= others, "the other shards kept their masters"
