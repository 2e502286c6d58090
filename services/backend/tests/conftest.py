"""Fixtures: a real redis-server and real backend processes on 127.0.0.1.

With CHAT_TEST_REDIS=cluster (`make test-backend-cluster`) the same suite runs on a 6-node Redis
Cluster with REDIS_CLUSTER=true; tests about one node's topology are marked `single_node`."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from chat_backend.store.keys import CLUSTER as CLUSTER_KEYS
from chat_backend.store.keys import ONE_NODE
from chatkit import ChatClient, unique
from devstack.backend_server import BackendServer
from devstack.postgres_server import PostgresServer
from devstack.redis_cluster import RedisCluster
from devstack.redis_server import RedisServer

ORIGIN = "http://chat.test"
StartBackend = Callable[..., BackendServer]
MakeUser = Callable[..., Awaitable[ChatClient]]
MakeRoom = Callable[[ChatClient], Awaitable[str]]
CLUSTER = os.environ.get("CHAT_TEST_REDIS") == "cluster"
KEYS = CLUSTER_KEYS if CLUSTER else ONE_NODE  # the backend's key layout, for looking at what it stored
Store = RedisServer | RedisCluster


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "single_node: about one redis-server's topology; not run on a cluster")
    config.addinivalue_line(
        "markers", "cluster_only: about a Redis Cluster; run by make test-backend-cluster"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    other = "cluster_only" if not CLUSTER else "single_node"
    skip = pytest.mark.skip(
        reason=f"{other}: this run is on {'a cluster' if CLUSTER else 'one redis-server'}"
    )
    for item in items:
        if item.get_closest_marker(other):
            item.add_marker(skip)


def store_client(store: Store) -> aioredis.Redis | aioredis.RedisCluster:
    """A client for looking at (or seeding) what the backend stored."""
    if isinstance(store, RedisCluster):
        return aioredis.RedisCluster.from_url(store.url, decode_responses=True)
    return aioredis.Redis.from_url(store.url, decode_responses=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    server = new_store(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def new_store(datadir: Path) -> Store:
    """A redis-server, or with CHAT_TEST_REDIS=cluster a Redis Cluster, started."""
    server = RedisCluster(datadir) if CLUSTER else RedisServer(datadir)
    server.start()
    return server


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A PostgreSQL server; each ArchiveStack has a database of its own on it."""
    server = PostgresServer(tmp_path_factory.mktemp("postgres"))
    server.start()
    yield server
    server.remove()


@dataclass
class ArchiveStack:
    """Redis of its own (so no other test's rooms are archived and trimmed) and a database of
    its own; `start` starts backend processes on both, with a Redis window of `history_limit`."""

    store: Store
    postgres: PostgresServer
    database: str
    workdir: Path
    history_limit: int = 20
    backends: list[BackendServer] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        return self.postgres.url.rsplit("/", 1)[0] + f"/{self.database}"

    def start(self, workers: int = 1, **env: str) -> BackendServer:
        server = BackendServer(
            self.workdir / f"backend-{len(self.backends)}",
            redis_url=self.store.url,
            allowed_origins=ORIGIN,
            session_secret=SESSION_SECRET,
            workers=workers,
            extra_env={
                "LOGIN_MAX_FAILURES_PER_IP": "100000",
                "SEND_RATE_LIMIT": "100000",
                "DATABASE_URL": self.database_url,
                "DATABASE_PASSWORD": self.postgres.password,
                "HISTORY_LIMIT": str(self.history_limit),
                "ARCHIVE_BATCH": "16",
                "ARCHIVE_INTERVAL": "0.05",
                **({"REDIS_CLUSTER": "true"} if CLUSTER else {}),
                **env,
            },
        )
        server.start()
        self.backends.append(server)
        return server

    def sql(self, query: str, *params: object) -> list[tuple[object, ...]]:
        with self.postgres.connect(self.database) as conn:
            return conn.execute(query, params).fetchall()

    def stop(self) -> None:
        for server in self.backends:
            server.stop()
        self.store.stop()


MakeArchiveStack = Callable[[], ArchiveStack]
SESSION_SECRET = secrets.token_urlsafe(32)


@pytest.fixture
def make_archive_stack(
    postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MakeArchiveStack]:
    stacks: list[ArchiveStack] = []

    def make() -> ArchiveStack:
        workdir = tmp_path_factory.mktemp("archive")
        database = f"chat_{secrets.token_hex(6)}"
        with postgres.connect("postgres") as conn:
            conn.execute(f"CREATE DATABASE {database}")
        stack = ArchiveStack(new_store(workdir / "redis"), postgres, database, workdir)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


@pytest.fixture(scope="session")
def start_backend(redis_server: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartBackend]:
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
            extra_env={
                # Every test client is on 127.0.0.1: the per-address ceilings are each a test's own.
                "LOGIN_MAX_FAILURES_PER_IP": "100000",
                "REGISTRATIONS_PER_IP": "100000",
                "SEND_RATE_LIMIT": "100000",
                **({"REDIS_CLUSTER": "true"} if CLUSTER else {}),
                **env,
            },
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
def make_user(make_client: Callable[..., ChatClient]) -> MakeUser:
    """A registered user's client, on `server` (the shared backend if None), named `name` (a
    unique name if None)."""

    async def make(server: BackendServer | None = None, name: str | None = None) -> ChatClient:
        client = make_client(server)
        await client.register(name)
        return client

    return make


@pytest.fixture
def make_room() -> MakeRoom:
    """A new room, created by `client`; its unique name."""

    async def make(client: ChatClient) -> str:
        name = unique("room")
        await client.create_room(name)
        return name

    return make


@pytest.fixture
def backend_url(backend: BackendServer) -> str:
    return backend.url
