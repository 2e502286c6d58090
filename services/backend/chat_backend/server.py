"""uvicorn, with workers that sleep while there is nothing to do.

uvicorn's server wakes ten times a second to refresh its Date header and see whether it was told
to stop. On a worker otherwise waiting for sockets, every wake-up costs far more than the work it
does (the caches went cold meanwhile): in the organisation benchmark those ticks were a large
share of the workers' CPU (docs/performance.md). QuietServer refreshes the header once a second, as uvicorn
does, and stops as soon as a signal says so. With workers, uvicorn's own supervisor runs them
(it restarts a worker that dies or stops answering); it makes each worker's server through its
Process class, the one piece of its internals this module relies on (tests/test_server.py checks
it is there). It pings every worker twice a second, each time waking the worker and itself for a
round of pickling: here a worker that exited is still seen within half a second, and pings go
out every HEALTHCHECK_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import time
from types import FrameType

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess

DATE_REFRESH_SECONDS = 1.0  # the Date header's resolution
HEALTHCHECK_SECONDS = 5.0  # a hung worker is found this long after, at most, plus the ping's timeout


class QuietServer(uvicorn.Server):
    """One worker's server: awake once a second, or when a signal asks it to stop."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stopping: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        while not await self.on_tick(0):  # tick 0: the Date header is refreshed every time
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(DATE_REFRESH_SECONDS):
                    await self._stopping.wait()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        if self._loop is not None and self._stopping is not None:
            # A signal handler runs between two bytecodes of whatever the loop is doing.
            self._loop.call_soon_threadsafe(self._stopping.set)


class _Worker(multiprocess.Process):
    """uvicorn's worker process, serving with QuietServer."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = QuietServer(self.config)
        return self._server


class _Supervisor(multiprocess.Multiprocess):
    """uvicorn's supervisor: a worker that died is replaced as soon, one that hangs is asked
    about less often."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._next_ping = 0.0

    def keep_subprocess_alive(self) -> None:
        now = time.monotonic()
        if now >= self._next_ping or not all(worker.process.is_alive() for worker in self.processes):
            self._next_ping = now + HEALTHCHECK_SECONDS
            super().keep_subprocess_alive()


def serve(config: uvicorn.Config) -> None:
    """What uvicorn.run does with `config` (no reload), with QuietServer."""
    if config.workers == 1:
        server = QuietServer(config)
        server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    multiprocess.Process = _Worker  # type: ignore[misc]  # the supervisor starts its workers from this name
    _Supervisor(config, sockets=[config.bind_socket()]).run()
