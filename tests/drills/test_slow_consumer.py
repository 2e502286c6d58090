"""Slow consumer: one client stops reading. The others keep their latency; the slow one is
disconnected when its bounded send buffer overflows (close 1013) and resumes with `since`."""

from __future__ import annotations

import asyncio
import statistics
import time

from chat_backend.protocol import Subscribe
from chatkit import Peer, register
from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.conftest import StartBackend
from tests.drills.conversation import join
from tests.drills.drill_env import ORIGIN, ROOM, stored_ids
from tests.drills.raw_socket import StalledClient

FLOODERS = 3
FLOOD_EACH = 100
# Big messages fill the kernel's send buffer (up to 4 MiB on loopback) with few sends.
MAX_TEXT = 60_000
BIG_TEXT = "x" * 50_000
BUFFER = 64 * len(BIG_TEXT)  # SEND_BUFFER_BYTES: what a socket may have unsent before it is dropped
PROBES = 15


async def probe_latency(sender: Peer, watcher: Peer, count: int) -> list[float]:
    """Seconds from send until another client has it, for `count` small messages."""
    latencies = []
    for i in range(count):
        started = time.monotonic()
        message_id = await sender.say(f"probe {i}")
        await watcher.wait_for({message_id}, timeout=30)
        latencies.append(time.monotonic() - started)
        await asyncio.sleep(0.05)
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


async def test_slow_consumer_is_dropped_without_slowing_the_others(
    redis_server: RedisServer, start_backend: StartBackend
) -> None:
    backend = start_backend(redis_server, SEND_BUFFER_BYTES=str(BUFFER), MAX_MESSAGE_LENGTH=str(MAX_TEXT))
    sender, watcher, *flooders = await join(backend.url, 2 + FLOODERS)
    everyone = [sender, watcher, *flooders]
    slow_account = await register(backend.url)
    stalled = await asyncio.to_thread(StalledClient, backend.port, ORIGIN, slow_account.cookie)
    stalled.send(Subscribe(room=ROOM))
    await asyncio.sleep(0.3)
    try:
        baseline = await probe_latency(sender, watcher, PROBES)

        async def flood(peer: Peer) -> None:
            for i in range(FLOOD_EACH):
                await peer.say(f"{i} {BIG_TEXT}")

        flooding = asyncio.gather(*(flood(peer) for peer in flooders))
        during = await probe_latency(sender, watcher, PROBES)
        await flooding
        drained = await asyncio.to_thread(stalled.drain)
        ids = stored_ids(redis_server)

        # It resumes from the last message it really got, and gets exactly the rest.
        resumed = Peer(backend.url, ORIGIN, slow_account, ROOM, received=list(drained.messages))
        await resumed.connect()
        everyone.append(resumed)
        await resumed.wait_for(set(ids))
        await watcher.wait_for(set(ids))
    finally:
        await asyncio.gather(*(peer.drop() for peer in everyone))

    figures.record(
        "a slow consumer: a raw TCP client that never reads, while others flood the room with big messages",
        "its bounded send buffer (`SEND_BUFFER_BYTES`) overflows and it is closed with 1013; it resumes "
        "with `since` and gets exactly the rest; the others' delivery never waits for it",
        buffer_bytes=BUFFER,
        flood_messages=FLOODERS * FLOOD_EACH,
        slow_got_before_drop=len(drained.messages),
        slow_close_code=drained.close_code,
        others_p95_ms_before=round(p95(baseline) * 1000),
        others_p95_ms_during=round(p95(during) * 1000),
        resumed_exactly=resumed.received == ids,
    )
    assert drained.close_code == 1013, f"slow consumer not dropped with 1013: {drained.close_code}"
    assert len(drained.messages) < len(ids), "the slow client was never behind"
    assert drained.messages == ids[: len(drained.messages)], "what it got before the drop is a prefix"
    assert resumed.received == ids, "resume with since gives exactly the rest, no gap, no duplicate"
    assert watcher.received == ids
    # Delivery to the others never waits for the stalled socket: bounded on a busy 2-core box.
    assert p95(during) < 2.0, f"others slowed down: p95 {p95(during):.3f}s (before {p95(baseline):.3f}s)"
