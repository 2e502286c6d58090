"""Redis failover under REDIS_ACK_REPLICAS=1 (ElastiCache: no AOF, a replica takes over).

The replica falls a second behind (its link frozen), the primary is killed mid-load
(SIGKILL), the replica is promoted (REPLICAOF NO ONE) and given a replica of its own, and the
backend (2 workers) is restarted on it. What only the dead primary held is gone (at least the
latecomer's message, sent while the replica lagged): the drill checks that none of it had
been acked or shown, and that every client ends with exactly the promoted node's messages,
each once, under one id.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import redis
from chatkit import Peer, unique
from devstack.process import ManagedProcess
from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.conftest import StartBackend, StartRedis
from tests.drills.conversation import converse, join
from tests.drills.drill_env import stored_client_ids, stored_ids
from tests.drills.failover_verdict import Verdict, settle
from tests.drills.replica_link import ReplicaLink
from tests.drills.workers import wait_for_workers

PEERS = 6
PER_PEER = 50
LAG_SECONDS = 1.0
ACK_ENV = {"REDIS_ACK_REPLICAS": "1", "REDIS_ACK_TIMEOUT_MS": "1000", "GRACEFUL_SHUTDOWN_SECONDS": "2"}


async def start_replica(datadir: Path, primary_port: int, launched: list[ManagedProcess]) -> RedisServer:
    replica = RedisServer(datadir, replica_of=primary_port)
    launched.append(replica)
    await asyncio.to_thread(replica.start)  # in a thread: the link relays on this event loop
    return replica


def promote(server: RedisServer) -> None:
    with redis.Redis(port=server.port) as client:
        client.replicaof("NO", "ONE")


async def test_failover_loses_nothing_acked_and_shows_nothing_that_vanishes(
    start_redis: StartRedis, start_backend: StartBackend, launched: list[ManagedProcess], tmp_path: Path
) -> None:
    primary = start_redis()
    link = ReplicaLink(primary.port)
    await link.start()
    everyone: list[Peer] = []
    late_client_id = unique("late")
    late: list[asyncio.Task[str]] = []
    lost_with_primary: set[str] = set()
    serving_again: list[float] = []
    try:
        replica = await start_replica(tmp_path / "replica", link.port, launched)
        backend = await asyncio.to_thread(start_backend, primary, **ACK_ENV)
        await asyncio.to_thread(wait_for_workers, backend, 2)
        everyone = await join(backend.url, PEERS + 1)
        *peers, latecomer = everyone  # the latecomer listens, and speaks once: while the replica lags

        async def fail_over() -> None:
            link.freeze()  # the replica falls behind; sends go on against the primary alone
            late.append(asyncio.create_task(latecomer.say("said while the replica lags", late_client_id)))
            await asyncio.sleep(LAG_SECONDS)
            held = set(stored_ids(primary))
            assert late_client_id in stored_client_ids(primary), "the late message must reach the primary"
            primary.signal(signal.SIGKILL)
            killed = time.monotonic()
            assert primary.proc is not None
            await asyncio.to_thread(primary.proc.wait)
            link.cut()
            promote(replica)
            lost_with_primary.update(held - set(stored_ids(replica)))
            await start_replica(tmp_path / "replica2", replica.port, launched)  # so N=1 can be met again
            await asyncio.to_thread(backend.stop)
            assert backend.env is not None
            backend.env["REDIS_URL"] = replica.url  # same port and session secret: clients come back
            await asyncio.to_thread(backend.start, 60)
            serving_again.append(time.monotonic() - killed)

        outcome = await converse(peers, PER_PEER, fail_over)
        acked = outcome.acked | {await late[0]}
        final = stored_ids(replica)
        await settle(everyone, final)
    finally:
        for task in late:
            task.cancel()
        await asyncio.gather(*(peer.drop() for peer in everyone))
        link.cut()

    verdict = Verdict(everyone, outcome.sent + 1, acked, final, stored_client_ids(replica), lost_with_primary)
    figures.record(
        "Redis failover without AOF (as on ElastiCache), REDIS_ACK_REPLICAS=1: the replica's link "
        "frozen for 1 s, the primary SIGKILLed mid-load, the replica promoted and given a new replica, "
        "the backend restarted on it",
        "while the replica lags a send waits REDIS_ACK_TIMEOUT_MS and gets `unavailable`, and nothing "
        "new is fanned out; clients resume with `since` and resend unacked messages with the same "
        "`client_id`; what only the dead primary held was never acked or shown, and every client ends "
        "with exactly the promoted node's messages, each once",
        **verdict.figures(),
        kill_to_serving_s=round(serving_again[0], 1),
    )
    assert lost_with_primary, "the primary must die holding writes the replica never got"
    verdict.check()
