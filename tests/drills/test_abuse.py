"""Memory under abuse, on the `make dev` stack (redis-server, the backend's 2 workers, nginx):
one user asks for a 4 MB replay 40 times on a socket that never reads, and a stranger sends 24
logins at once. Each worker's resident memory is sampled throughout; what it grew by must stay
under the ceilings docs/security.md states (replay: 64 MiB a worker; logins: 256 MiB in all)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from chat_backend.protocol import Subscribe
from chatkit import ChatClient, unique
from devstack.stack import DevStack

from tests.drills import figures
from tests.drills.raw_socket import StalledClient
from tests.drills.workers import worker_processes

MIB = 1024 * 1024
REPLAY_CEILING_MIB = 64  # per worker
LOGIN_CEILING_MIB = 256  # both workers together
HISTORY = 1000  # HISTORY_LIMIT: the room holds this many
TEXT = "m" * 3990  # with its number, about MAX_MESSAGE_LENGTH (4000)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[DevStack]:
    # Limits that would stop the attacks before they cost memory are raised: what is measured
    # is what gets past them.
    env = {"SEND_RATE_LIMIT": "1000000", "LOGIN_MAX_FAILURES_PER_IP": "1000000"}
    with DevStack(tmp_path / "stack", backend_env=env) as running:
        yield running


class Growth:
    """Each worker's peak resident memory over its resident memory at the start, sampled
    every 50 ms in a thread (the event loop under test is not the sampler's) while in `with`."""

    def __init__(self, stack: DevStack):
        self.workers = worker_processes(stack.backend)
        self.start = {w.pid: w.memory_info().rss for w in self.workers}
        self.peak = dict(self.start)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> Growth:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            for worker in self.workers:
                try:
                    rss = worker.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.peak[worker.pid] = max(self.peak[worker.pid], rss)

    def mib(self) -> dict[int, float]:
        """Peak growth per worker."""
        return {pid: (self.peak[pid] - self.start[pid]) / MIB for pid in self.start}

    def now_mib(self) -> dict[int, float]:
        return {w.pid: (w.memory_info().rss - self.start[w.pid]) / MIB for w in self.workers}


async def test_replays_to_a_socket_that_never_reads(stack: DevStack) -> None:
    author, attacker = ChatClient(stack.url, stack.url), ChatClient(stack.url, stack.url)
    try:
        await author.register()
        await attacker.register()
        room = unique("big")
        await author.create_room(room)
        sock = await author.ws()
        for n in range(HISTORY):
            await sock.say(room, f"{n:04} {TEXT}")
        await sock.close()
        with Growth(stack) as growth:
            stalled = await asyncio.to_thread(StalledClient, stack.port, stack.url, attacker.cookie_header)
            for _ in range(40):
                await asyncio.to_thread(stalled.send, Subscribe(room=room, since="0-0"))
            await asyncio.sleep(15)  # the replay waits up to 10 s for the socket to drain
            drained = await asyncio.to_thread(stalled.drain, 30)
            await asyncio.sleep(1)
            after = growth.now_mib()
        peak = growth.mib()
    finally:
        await author.aclose()
        await attacker.aclose()
    print(f"replay: {', '.join(f'+{mib:.1f} MiB' for mib in peak.values())} (peak per worker)")
    figures.record(
        "replay x 40 on a socket that never reads",
        f"40 `subscribe since 0-0` to a room of {HISTORY} 4,000-character messages on a socket that reads "
        f"nothing: it is closed with 1013 and no worker grows by more than {REPLAY_CEILING_MIB} MiB",
        peak_growth_mib=[round(mib, 1) for mib in peak.values()],
        after_close_mib=[round(mib, 1) for mib in after.values()],
        close_code=drained.close_code,
    )
    assert drained.close_code == 1013
    assert max(peak.values()) < REPLAY_CEILING_MIB, peak


async def test_concurrent_logins_for_unknown_names(stack: DevStack) -> None:
    async def login(http: httpx.AsyncClient) -> int:
        body = {"username": unique("nobody"), "password": "not-the-password"}
        return (await http.post("/api/login", json=body)).status_code

    with Growth(stack) as growth:
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=stack.url, timeout=60, trust_env=False) as http:
            statuses = await asyncio.gather(*(login(http) for _ in range(24)))
        seconds = time.monotonic() - started
    peak = growth.mib()
    total = sum(peak.values())
    print(f"logins: +{total:.1f} MiB in all ({', '.join(f'+{mib:.1f}' for mib in peak.values())} MiB)")
    figures.record(
        "24 concurrent logins for unknown names",
        "24 logins at once, each an Argon2id hash: both workers together grow by at most "
        f"{LOGIN_CEILING_MIB} MiB",
        peak_growth_mib=[round(mib, 1) for mib in peak.values()],
        total_mib=round(total, 1),
        seconds=round(seconds, 2),
        statuses=sorted(set(statuses)),
    )
    assert set(statuses) <= {401, 503}, statuses
    assert total < LOGIN_CEILING_MIB, peak
