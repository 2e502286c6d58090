"""The backend's worker processes, seen from outside (psutil): who serves which socket."""

from __future__ import annotations

import time

import psutil
from devstack.backend_server import BackendServer


def worker_processes(backend: BackendServer) -> list[psutil.Process]:
    """The uvicorn workers: children of the backend process running multiprocessing's spawn."""
    assert backend.proc is not None, "backend not started"
    workers = []
    for child in psutil.Process(backend.proc.pid).children():
        try:  # a worker that just died is gone, or a zombie until uvicorn reaps it
            if "spawn_main" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.NoSuchProcess:
            continue
    return workers


def wait_for_workers(backend: BackendServer, count: int, timeout: float = 60) -> list[psutil.Process]:
    """Until `count` workers run and accept (a respawned worker needs a moment to start)."""
    deadline = time.monotonic() + timeout
    while True:
        found = worker_processes(backend)
        listening = [w for w in found if _listens(w, backend.port)]
        if len(listening) >= count:
            return listening
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(listening)} of {count} backend workers listening after {timeout}s")
        time.sleep(0.2)


def _listens(process: psutil.Process, port: int) -> bool:
    try:
        return any(
            c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in process.net_connections("tcp")
        )
    except psutil.NoSuchProcess:
        return False


def serving(backend: BackendServer, client_ports: set[int]) -> dict[int, set[int]]:
    """worker pid -> which of our client sockets (by local port) it holds."""
    found: dict[int, set[int]] = {}
    for worker in worker_processes(backend):
        try:
            connections = worker.net_connections("tcp")
        except psutil.NoSuchProcess:
            continue
        found[worker.pid] = {
            c.raddr.port
            for c in connections
            if c.raddr and c.laddr.port == backend.port and c.raddr.port in client_ports
        }
    return found
