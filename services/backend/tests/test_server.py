"""server.py on real `python -m chat_backend` processes: an idle worker sleeps (uvicorn's own
server wakes ten times a second), yet the Date header stays current and SIGTERM stops it."""

from __future__ import annotations

import os
import re
import signal
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import uvicorn
from chat_backend.server import HEALTHCHECK_SECONDS, QuietServer, _Worker
from conftest import StartBackend
from uvicorn.supervisors import multiprocess

IDLE_SECONDS = 4.0
# An idle worker still has its own once-a-second work (the Date header, activity, the presence
# heartbeat): a few wake-ups a second. uvicorn's server alone made ten.
MAX_WAKEUPS_PER_SECOND = 6


def _wakeups(pid: int) -> int:
    """How often the process's main thread went to sleep and was woken."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^voluntary_ctxt_switches:\s+(\d+)$", status, re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def _workers(pid: int) -> list[int]:
    """The supervisor's worker processes (not multiprocessing's resource tracker)."""
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [
        child
        for child in children
        if b"--multiprocessing-fork" in Path(f"/proc/{child}/cmdline").read_bytes()
    ]


def test_the_supervisor_asks_the_worker_class_serve_installs_for_its_server() -> None:
    assert issubclass(_Worker, multiprocess.Process)
    assert isinstance(multiprocess.Process.server, property)  # what _Worker overrides
    config = uvicorn.Config("chat_backend.app:create_asgi_app", factory=True)
    assert type(_Worker(config, []).server) is QuietServer


def test_an_idle_worker_sleeps(start_backend: StartBackend) -> None:
    backend = start_backend(workers=2)
    assert backend.proc is not None
    httpx.get(f"{backend.url}/api/healthz").raise_for_status()
    time.sleep(1.0)  # past startup
    workers = _workers(backend.proc.pid)
    assert len(workers) == 2
    before = [_wakeups(pid) for pid in workers]
    time.sleep(IDLE_SECONDS)
    rates = [(_wakeups(pid) - then) / IDLE_SECONDS for pid, then in zip(workers, before, strict=True)]
    assert all(rate <= MAX_WAKEUPS_PER_SECOND for rate in rates), rates


def test_a_hung_worker_is_still_replaced(start_backend: StartBackend) -> None:
    """Pinged less often, a worker that stops answering is still killed and replaced."""
    backend = start_backend(workers=2)
    assert backend.proc is not None
    hung, other = _workers(backend.proc.pid)
    os.kill(hung, signal.SIGSTOP)
    # One ping interval, then the ping's own timeout (uvicorn's default, 5 s), then a restart.
    deadline = time.monotonic() + HEALTHCHECK_SECONDS + 5 + 15
    while time.monotonic() < deadline:
        workers = _workers(backend.proc.pid)
        if hung not in workers and len(workers) == 2:
            break
        time.sleep(0.2)
    assert hung not in workers, workers
    assert other in workers, workers
    assert len(workers) == 2, workers
    httpx.get(f"{backend.url}/api/healthz").raise_for_status()


def test_the_date_header_stays_current_and_sigterm_stops_the_server(start_backend: StartBackend) -> None:
    backend = start_backend(workers=1)
    time.sleep(2.5)  # a fresh header is written every second, not once at startup
    response = httpx.get(f"{backend.url}/api/healthz")
    assert abs(parsedate_to_datetime(response.headers["date"]).timestamp() - time.time()) <= 2
    assert backend.proc is not None
    backend.proc.send_signal(signal.SIGTERM)
    # Shut down gracefully, uvicorn raises the signal again: the status says what stopped it.
    assert backend.proc.wait(10) == -signal.SIGTERM
