"""The whole chat on one port: redis-server (or a 6-node Redis Cluster), PostgreSQL, the backend
(2 workers) and nginx in front.

`make dev`, the end-to-end tests, the drills and the benchmark all start it this way:

    with DevStack(datadir) as stack:
        stack.url  # http://127.0.0.1:PORT, the app and /api behind one origin
"""

from __future__ import annotations

import secrets
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from devstack.backend_server import BackendServer
from devstack.nginx_server import DIST, NginxServer
from devstack.postgres_server import PostgresServer
from devstack.process import HOST, ManagedProcess, free_port
from devstack.redis_cluster import RedisCluster
from devstack.redis_server import RedisServer


class DevStack:
    """Starts in dependency order, stops in reverse; data stays in `datadir` across restarts."""

    def __init__(
        self,
        datadir: Path,
        port: int | None = None,
        dist: Path = DIST,
        backend_workers: int = 2,
        backend_env: dict[str, str] | None = None,
        session_secret: str | None = None,
        redis_cluster: bool = False,
    ):
        self.datadir = datadir
        self.backend_workers = backend_workers
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        # Fresh per stack unless given: sessions survive backend restarts, never leak between stacks.
        self.session_secret = session_secret or secrets.token_urlsafe(32)
        self.redis: RedisServer | RedisCluster = (
            RedisCluster(datadir / "redis-cluster") if redis_cluster else RedisServer(datadir / "redis")
        )
        self.postgres = PostgresServer(datadir / "postgres")
        self.backend = BackendServer(
            datadir / "backend",
            redis_url=self.redis.url,
            allowed_origins=self.url,
            session_secret=self.session_secret,
            workers=backend_workers,
            extra_env={
                **({"REDIS_CLUSTER": "true"} if redis_cluster else {}),
                "DATABASE_URL": self.postgres.url,
                **(backend_env or {}),
            },
        )
        self.nginx = NginxServer(datadir / "nginx", self.backend.url, port=self.port, dist=dist)

    def describe(self) -> str:
        """What runs, for `make dev` to say."""
        redis = "redis-server"
        if isinstance(self.redis, RedisCluster):
            nodes = self.redis.masters * (1 + self.redis.replicas_per_master)
            redis = f"a Redis Cluster ({nodes} nodes, {self.redis.masters} of them masters)"
        return f"{redis}, PostgreSQL, the backend ({self.backend_workers} workers) and nginx"

    @property
    def processes(self) -> dict[str, ManagedProcess]:
        redis = (
            {f"redis:{port}": node for port, node in self.redis.nodes.items()}
            if isinstance(self.redis, RedisCluster)
            else {"redis": self.redis}
        )
        return {**redis, "postgres": self.postgres, "backend": self.backend, "nginx": self.nginx}

    def start(self, timeout: float = 60.0) -> None:
        try:
            self.redis.start()
            self.postgres.start(timeout)
            # The password initdb generated (or the one a restart finds beside the data).
            assert self.backend.env is not None
            self.backend.env["DATABASE_PASSWORD"] = self.postgres.password
            self.backend.start(timeout)
            self.nginx.start()
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for process in (self.nginx, self.backend, self.postgres, self.redis):
            process.stop()

    def __enter__(self) -> DevStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the backend answers /api/readyz through nginx (so Redis is reachable too)."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/readyz", timeout=2) as response:  # noqa: S310 (our own http URL)
                    if response.status == 200:
                        return
                    last = f"HTTP {response.status}"
            except urllib.error.HTTPError as err:
                last = f"HTTP {err.code}"
            except OSError as err:
                last = str(err)
            time.sleep(0.1)
        raise TimeoutError(
            f"{self.url}/api/readyz not ready after {timeout}s ({last}); logs in {self.datadir}"
        )

    def kill_backend(self, sig: signal.Signals = signal.SIGKILL) -> None:
        """Signal every backend process (a crash with SIGKILL) and wait until they are gone."""
        self.backend.signal(sig)
        if self.backend.proc is not None:
            self.backend.proc.wait(timeout=30)
        self.backend.stop()  # reaps workers that outlived their master

    def start_backend(self, timeout: float = 60.0) -> None:
        """Start the backend again (same port, secret and Redis) and wait until it serves."""
        self.backend.start(timeout)
        self.wait_ready(timeout)

    def restart_backend(self, timeout: float = 60.0) -> None:
        self.backend.stop()
        self.start_backend(timeout)

    def kill_postgres(self) -> None:
        """PostgreSQL killed (SIGKILL, every process of it): a crash."""
        self.postgres.signal(signal.SIGKILL)
        if self.postgres.proc is not None:
            self.postgres.proc.wait(timeout=30)

    def restart_redis(self, timeout: float = 60.0) -> None:
        """Stop and start redis-server on the same port; its AOF brings the data back."""
        assert isinstance(self.redis, RedisServer), "one node only"
        self.redis.stop()
        self.redis.start(timeout)
        self.wait_ready(timeout)
