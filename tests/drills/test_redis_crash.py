"""Redis killed with SIGKILL mid-conversation and restarted on the same data (AOF)."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Awaitable, Callable

from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.conftest import StartBackend, StartRedis
from tests.drills.conversation import Outcome, converse, join
from tests.drills.drill_env import stored_client_ids, stored_ids

PEERS = 6
PER_PEER = 40


def crash_and_restart(server: RedisServer, down_seconds: float = 1.0) -> Callable[[], Awaitable[None]]:
    async def fault() -> None:
        server.signal(signal.SIGKILL)
        assert server.proc is not None
        await asyncio.to_thread(server.proc.wait)
        await asyncio.sleep(down_seconds)
        await asyncio.to_thread(server.start)  # same port and datadir: the AOF is replayed

    return fault


async def crash_drill(
    start_redis: StartRedis, start_backend: StartBackend, appendfsync: str
) -> tuple[Outcome, RedisServer]:
    server = start_redis(appendfsync)
    backend = start_backend(server)
    peers = await join(backend.url, PEERS)
    try:
        outcome = await converse(peers, PER_PEER, crash_and_restart(server))
        stored = set(stored_ids(server))
        for peer in peers:  # everyone ends with everything stored, resuming if the socket dropped
            await peer.wait_for(stored)
        return outcome, server
    finally:
        await asyncio.gather(*(peer.drop() for peer in peers))


def measure(
    drill: str, checks: str, outcome: Outcome, server: RedisServer
) -> tuple[list[str], set[str], list[str]]:
    """Records the drill's figures; returns (stored ids, acked-but-lost ids, client_ids stored twice)."""
    ids = stored_ids(server)
    lost = outcome.acked - set(ids)
    doubled = [cid for cid, n in Counter(stored_client_ids(server)).items() if n > 1]
    figures.record(
        drill,
        checks,
        sent=outcome.sent,
        acked=len(outcome.acked),
        stored=len(ids),
        acked_but_lost=len(lost),
        stored_twice=len(doubled),
        acks_per_second=round(outcome.ack_rate),
        reconnects=sum(p.reconnects for p in outcome.peers),
    )
    return ids, lost, doubled


async def test_acked_messages_survive_redis_sigkill_with_fsync_always(
    start_redis: StartRedis, start_backend: StartBackend
) -> None:
    outcome, server = await crash_drill(start_redis, start_backend, "always")
    ids, lost, doubled = measure(
        "Redis killed with SIGKILL mid-conversation, restarted on the same data (AOF, appendfsync always)",
        "sends during the gap are refused with `unavailable` and retried with the same `client_id`; the "
        "backend reconnects by itself; nothing acked is lost or stored twice, and every client ends with "
        "exactly the stored sequence",
        outcome,
        server,
    )
    assert not lost, f"{len(lost)} acked messages lost: {sorted(lost)[:5]}"
    assert not doubled, f"stored twice: {doubled[:5]}"
    assert len(outcome.acked) == outcome.sent == len(ids)
    for peer in outcome.peers:
        assert peer.received == ids, f"{peer.account.username} got a different sequence than stored"


async def test_acked_but_lost_window_with_fsync_everysec_is_measured(
    start_redis: StartRedis, start_backend: StartBackend
) -> None:
    """everysec may lose what was acked but not yet on disk: measured here, not assumed."""
    outcome, server = await crash_drill(start_redis, start_backend, "everysec")
    ids, _lost, doubled = measure(
        "the same with appendfsync everysec",
        "the same behaviour; acked-but-lost is measured, not asserted: a process crash loses nothing "
        "Redis already wrote to the kernel, a host crash or power loss can lose the acks of the last "
        "second or two (use `always`, the minikube default, when that is unacceptable)",
        outcome,
        server,
    )
    assert len(outcome.acked) == outcome.sent
    assert not doubled, f"stored twice: {doubled[:5]}"
    for peer in outcome.peers:  # whatever survived reaches everyone exactly once, in order
        survived = [i for i in peer.received if i in set(ids)]
        assert survived == ids, f"{peer.account.username} got a different sequence than stored"
