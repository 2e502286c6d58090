"""One Redis replica away (ElastiCache: a failover, the replica's maintenance) while acks wait for
a replica (REDIS_ACK_REPLICAS=1, the aws stack's setting).

A shard of three nodes (the aws stack's awsRedisReplicas: a primary and two replicas) keeps
acking every send at once, confirmed by the replica that stayed. A shard of two refuses every
send ("unavailable", after the ack timeout) until its replica is back: why the config loader asks
for awsRedisAckReplicas + 2 nodes per shard. Real redis-server primary and replicas on 127.0.0.1
and the real backend (2 workers) with its replica-ack settings.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
from chat_backend.protocol import ErrorFrame, Send
from chatkit import Peer, unique
from devstack.process import ManagedProcess
from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.conftest import StartBackend, StartRedis
from tests.drills.conversation import join
from tests.drills.drill_env import ROOM, stored_ids
from tests.drills.workers import wait_for_workers

PEERS = 3
BEFORE, AWAY = 5, 10  # sends per peer with every replica, then with one away
ACK_TIMEOUT_MS = 1000
ACK_ENV = {"REDIS_ACK_REPLICAS": "1", "REDIS_ACK_TIMEOUT_MS": str(ACK_TIMEOUT_MS)}


async def send(peer: Peer, count: int) -> list[tuple[str | ErrorFrame | None, float]]:
    """`count` sends, one attempt each (no retry): what came back, and how long it took."""
    answers = []
    for i in range(count):
        frame = Send(room=ROOM, text=f"{peer.account.username} says {i}", client_id=unique("c"))
        started = time.monotonic()
        answer = await peer.attempt(frame, timeout=ACK_TIMEOUT_MS / 1000 + 5)
        answers.append((answer, time.monotonic() - started))
    return answers


async def everyone_sends(peers: list[Peer], count: int) -> list[tuple[str | ErrorFrame | None, float]]:
    results = await asyncio.gather(*(send(peer, count) for peer in peers))
    return [answer for answers in results for answer in answers]


@pytest.mark.parametrize(("replicas", "sends_go_on"), [(2, True), (1, False)], ids=["3 nodes", "2 nodes"])
async def test_sends_with_one_replica_away(
    start_redis: StartRedis,
    start_backend: StartBackend,
    launched: list[ManagedProcess],
    tmp_path: Path,
    replicas: int,
    sends_go_on: bool,
) -> None:
    primary = start_redis()
    nodes = []
    for index in range(replicas):
        replica = RedisServer(tmp_path / f"replica{index}", replica_of=primary.port)
        launched.append(replica)
        replica.start()  # returns once in sync with the primary
        nodes.append(replica)
    backend = start_backend(primary, **ACK_ENV)
    wait_for_workers(backend, 2)
    peers = await join(backend.url, PEERS)
    try:
        before = await everyone_sends(peers, BEFORE)
        assert all(isinstance(answer, str) for answer, _ in before), before
        away, *staying = nodes
        away.signal(signal.SIGKILL)
        assert away.proc is not None
        away.proc.wait()
        during = await everyone_sends(peers, AWAY)
    finally:
        await asyncio.gather(*(peer.drop() for peer in peers))

    acked = [answer for answer, _ in during if isinstance(answer, str)]
    refused = [answer for answer, _ in during if isinstance(answer, ErrorFrame)]
    slowest = max(seconds for _, seconds in during)
    figures.record(
        f"Redis replica away ({replicas + 1} nodes per shard, REDIS_ACK_REPLICAS=1): one replica "
        "SIGKILLed while peers keep sending",
        "with 3 nodes the replica that stays acks every send at once; with 2 every send is refused "
        "as `unavailable` (nothing stored unconfirmed) until a replica is back",
        sends=len(during),
        acked=len(acked),
        refused=len(refused),
        slowest_answer_ms=round(slowest * 1000),
    )
    if sends_go_on:
        assert len(acked) == PEERS * AWAY, during
        # Acked at once by the replica that stayed, never after waiting out the ack timeout...
        assert slowest < ACK_TIMEOUT_MS / 1000, slowest
        # ...which holds every message it confirmed.
        (survivor,) = staying
        assert set(acked) <= set(stored_ids(survivor))
    else:
        # Every send refused, none lost: "unavailable" tells the client to send again.
        assert not acked
        assert len(refused) == PEERS * AWAY
        assert {error.code for error in refused} == {"unavailable"}
        assert slowest >= ACK_TIMEOUT_MS / 1000 - 0.1
