"""`make soak`: steady chat load for SOAK_SECONDS (default 300) while a backend worker is
restarted every 30 s (SIGTERM and SIGKILL in turn; uvicorn starts a new one).

One worker is never touched, so its memory can be watched over the whole run; the other
slot is the one restarted. At the end every acked message must be stored and delivered to
every peer exactly once (per peer, by id), and the untouched worker's memory must level
off. Prints the figures and writes them to artifacts/drills/soak.json (tests/drills/figures.py);
exits 1 on any loss or unbounded growth.

    python -m tests.drills.soak        (SOAK_SECONDS=60 for a short run)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from chatkit import Peer
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.conversation import join
from tests.drills.drill_env import backend_for, redis_at, stored_client_ids, stored_ids
from tests.drills.workers import wait_for_workers, worker_processes

PEERS = 8
SEND_INTERVAL = 0.2  # per peer: ~40 messages/s in all
RESTART_EVERY = 30.0
# The watched worker may grow by at most this much over the second half of the run.
MAX_LATE_GROWTH_MB = 16.0


@dataclass
class MemoryLog:
    samples: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # pid -> (t, MiB)

    def sample(self, backend: BackendServer, started: float) -> None:
        for worker in worker_processes(backend):
            try:
                rss = worker.memory_info().rss / 2**20
            except psutil.NoSuchProcess:
                continue
            self.samples.setdefault(worker.pid, []).append((time.monotonic() - started, rss))


def seconds_from_env() -> float:
    raw = os.environ.get("SOAK_SECONDS", "300")
    try:
        seconds = float(raw)
    except ValueError:
        raise SystemExit(f"SOAK_SECONDS must be a number of seconds, got {raw!r}") from None
    if seconds < 10:
        raise SystemExit(f"SOAK_SECONDS must be at least 10, got {raw!r}")
    return seconds


async def soak(seconds: float, workdir: Path) -> int:
    redis_server = redis_at(workdir / "redis")
    # Every message is kept, so every one can be checked at the end.
    backend = backend_for(workdir / "backend", redis_server, HISTORY_LIMIT="1000000")
    redis_server.start()
    try:
        backend.start(timeout=60)
        return await run(seconds, redis_server, backend)
    finally:
        backend.stop()
        redis_server.stop()


async def run(seconds: float, redis_server: RedisServer, backend: BackendServer) -> int:
    watched, *_ = sorted(wait_for_workers(backend, 2), key=lambda w: w.create_time())
    peers = await join(backend.url, PEERS)
    started = time.monotonic()
    memory = MemoryLog()
    restarts = 0
    sent = 0

    async def talk(peer: Peer) -> None:
        nonlocal sent
        while time.monotonic() - started < seconds:
            sent += 1
            await peer.say(f"soak {sent}")
            await asyncio.sleep(SEND_INTERVAL)

    async def restart_workers() -> None:
        nonlocal restarts
        while time.monotonic() - started + RESTART_EVERY < seconds:
            await asyncio.sleep(RESTART_EVERY)
            others = [w for w in worker_processes(backend) if w.pid != watched.pid]
            victim = max(others, key=lambda w: w.create_time())
            victim.send_signal(signal.SIGTERM if restarts % 2 == 0 else signal.SIGKILL)
            restarts += 1
            await asyncio.to_thread(wait_for_workers, backend, 2)

    async def watch_memory() -> None:
        while time.monotonic() - started < seconds:
            memory.sample(backend, started)
            await asyncio.sleep(1)

    await asyncio.gather(restart_workers(), watch_memory(), *(talk(peer) for peer in peers))
    ids = stored_ids(redis_server)
    for peer in peers:
        await peer.wait_for(set(ids), timeout=60)
    await asyncio.gather(*(peer.drop() for peer in peers))
    return report(peers, ids, stored_client_ids(redis_server), sent, restarts, memory, watched.pid, seconds)


def report(
    peers: list[Peer],
    ids: list[str],
    client_ids: list[str],
    sent: int,
    restarts: int,
    memory: MemoryLog,
    watched: int,
    seconds: float,
) -> int:
    acked = {message_id for peer in peers for message_id in peer.acks.values()}
    lost = acked - set(ids)
    doubled = [cid for cid, n in Counter(client_ids).items() if n > 1]
    exact = sum(1 for peer in peers if peer.received == ids)
    delivered = sum(len(peer.received) for peer in peers)
    print(f"soak: {seconds:.0f} s, {PEERS} peers, {restarts} worker restarts (every {RESTART_EVERY:.0f} s)")
    print(
        f"  sent {sent}, acked {len(acked)}, stored {len(ids)}, lost {len(lost)}, stored twice {len(doubled)}"
    )
    print(f"  delivered {delivered} of {len(ids) * PEERS} expected; peers with exactly the stored sequence: "
          f"{exact}/{PEERS}; reconnects {sum(p.reconnects for p in peers)}")  # fmt: skip
    failures = []
    if lost or doubled or exact != PEERS or len(acked) != sent:
        failures.append("messages lost, doubled or not delivered exactly once")
    watched_rss = ""
    for pid, samples in sorted(memory.samples.items()):
        first, last = samples[0][1], samples[-1][1]
        mid = next(rss for t, rss in samples if t >= (samples[0][0] + samples[-1][0]) / 2)
        role = "watched (never restarted)" if pid == watched else "restarted slot"
        life = samples[-1][0] - samples[0][0]
        print(f"  worker {pid} [{role}]: lived {life:.0f} s, RSS {first:.1f} -> {mid:.1f} -> {last:.1f} MiB")
        if pid == watched:
            watched_rss = f"{first:.1f} → {mid:.1f} → {last:.1f} MiB (start → middle → end)"
            if last - mid > MAX_LATE_GROWTH_MB:
                failures.append(f"worker {pid} still grows: +{last - mid:.1f} MiB over the second half")
    checks = (
        f"{PEERS} peers, one message every {SEND_INTERVAL:g} s each, a worker restarted every "
        f"{RESTART_EVERY:.0f} s (SIGTERM and SIGKILL in turn): the restarted worker's clients reconnect and "
        "resume, every acked message is stored and delivered to every peer exactly once, and the worker "
        f"never restarted grows by at most {MAX_LATE_GROWTH_MB:g} MiB over the second half"
    )
    drill = figures.entry(
        checks,
        sent=sent,
        acked=len(acked),
        stored=len(ids),
        lost=len(lost),
        stored_twice=len(doubled),
        delivered=f"{delivered} of {len(ids) * PEERS}",
        peers_with_stored_sequence=f"{exact}/{PEERS}",
        restarts=restarts,
        watched_worker_rss=watched_rss,
    )
    figures.write(figures.SOAK_FIGURES, {f"soak (`make soak`), {seconds:.0f} s of steady load": drill})
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    print("soak passed" if not failures else "soak FAILED")
    return 1 if failures else 0


def main() -> int:
    seconds = seconds_from_env()
    with tempfile.TemporaryDirectory(prefix="chat-soak-") as workdir:
        return asyncio.run(soak(seconds, Path(workdir)))


if __name__ == "__main__":
    sys.exit(main())
