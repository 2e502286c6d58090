"""Fixtures: real redis-server and real backend processes (2 workers) on 127.0.0.1, per drill.

Each drill gets its own Redis and backend because drills kill them; both are stopped at
the end of the test whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from devstack.backend_server import BackendServer
from devstack.postgres_server import PostgresServer
from devstack.process import ManagedProcess
from devstack.redis_server import RedisServer

from tests.drills import figures
from tests.drills.drill_env import backend_for, redis_at

StartRedis = Callable[..., RedisServer]
StartBackend = Callable[..., BackendServer]
StartPostgres = Callable[[], PostgresServer]


@pytest.fixture
def launched() -> Iterator[list[ManagedProcess]]:
    """Every process a drill starts, stopped at its end (newest first) whatever happened."""
    processes: list[ManagedProcess] = []
    yield processes
    for process in reversed(processes):
        process.stop()


@pytest.fixture
def start_redis(tmp_path: Path, launched: list[ManagedProcess]) -> StartRedis:
    def start(appendfsync: str = "always") -> RedisServer:
        server = redis_at(tmp_path / f"redis{len(launched)}", appendfsync)
        launched.append(server)
        server.start()
        return server

    return start


@pytest.fixture
def start_postgres(tmp_path: Path, launched: list[ManagedProcess]) -> Iterator[StartPostgres]:
    started: list[PostgresServer] = []

    def start() -> PostgresServer:
        server = PostgresServer(tmp_path / f"postgres{len(launched)}")
        launched.append(server)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.remove()


@pytest.fixture
def start_backend(tmp_path: Path, launched: list[ManagedProcess]) -> StartBackend:
    def start(redis_server: RedisServer, workers: int = 2, **env: str) -> BackendServer:
        server = backend_for(tmp_path / f"backend{len(launched)}", redis_server, workers, **env)
        launched.append(server)
        server.start(timeout=60)
        return server

    return start


@pytest.fixture(scope="session")
def shared_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    """One redis + PostgreSQL + backend (2 workers), as deployed, for the drills that only talk
    to it (fuzzers, security)."""
    workdir = tmp_path_factory.mktemp("shared")
    redis_server = redis_at(workdir / "redis")
    redis_server.start()
    postgres = PostgresServer(workdir / "postgres")
    postgres.start()
    server = backend_for(
        workdir / "backend", redis_server, DATABASE_URL=postgres.url, DATABASE_PASSWORD=postgres.password
    )
    try:
        server.start(timeout=60)
        yield server
    finally:
        server.stop()
        postgres.remove()
        redis_server.stop()


@pytest.fixture
def redis_server(start_redis: StartRedis) -> RedisServer:
    return start_redis()


@pytest.fixture
def backend(start_backend: StartBackend, redis_server: RedisServer) -> BackendServer:
    return start_backend(redis_server)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if figures.lines():
        terminalreporter.section("drill figures")
        for line in figures.lines():
            terminalreporter.write_line(line)
