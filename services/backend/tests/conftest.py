"""Fixtures: a real redis-server and real backend processes on 127.0.0.1."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from chatkit import ChatClient
from devstack.backend_server import BackendServer
from devstack.redis_server import RedisServer

ORIGIN = "http://chat.test"
StartBackend = Callable[..., BackendServer]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def start_backend(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartBackend]:
    """Starts backend processes (stopped at the end of the session); env overrides per call."""
    started: list[BackendServer] = []
    secret = secrets.token_urlsafe(32)  # shared, like replicas behind one ingress

    def start(workers: int = 1, **env: str) -> BackendServer:
        server = BackendServer(
            tmp_path_factory.mktemp("backend"),
            redis_url=redis_server.url,
            allowed_origins=ORIGIN,
            session_secret=secret,
            workers=workers,
            extra_env={"LOGIN_MAX_FAILURES_PER_IP": "100000", "SEND_RATE_LIMIT": "100000", **env},
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def backend(start_backend: StartBackend) -> BackendServer:
    """The shared backend: two worker processes, production server, generous limits."""
    return start_backend(workers=2)


@pytest.fixture(scope="session")
def replicas(start_backend: StartBackend) -> tuple[BackendServer, BackendServer]:
    """Two backend processes of one worker each on the same Redis, like two replicas: a
    user's sockets on both show what crosses between processes."""
    return start_backend(), start_backend()


@pytest.fixture
async def make_client(backend: BackendServer) -> AsyncIterator[Callable[..., ChatClient]]:
    clients: list[ChatClient] = []

    def make(server: BackendServer | None = None) -> ChatClient:
        client = ChatClient((server or backend).url, ORIGIN)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
def backend_url(backend: BackendServer) -> str:
    return backend.url
