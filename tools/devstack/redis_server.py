"""redis-server from the Debian package, on 127.0.0.1 with the chat's shared settings
(services/redis/redis.conf: AOF on, no eviction); optionally a replica, or a cluster node."""

from __future__ import annotations

import shutil
import signal
import time
from pathlib import Path

import redis
from checkout import ROOT

from devstack.process import HOST, ManagedProcess, free_port

# The settings the in-cluster Redis runs with too (components/k8s/redis.py renders the same file).
SHARED_CONF = ROOT / "services" / "redis" / "redis.conf"
# A memory ceiling for the local server too: past it writes are refused (noeviction), and the
# backend answers 503 / `unavailable`, as in the cluster (components/k8s/redis.py).
DEV_MAXMEMORY = "256mb"


def redis_binary() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise RuntimeError("redis-server is missing: run `make system-deps` (apt-get install redis-server)")
    return found


class RedisServer(ManagedProcess):
    """A redis-server whose data (AOF + RDB) lives in `datadir`, so a restart keeps it;
    with `replica_of` (a port on 127.0.0.1), a replica of that server."""

    def __init__(
        self,
        datadir: Path,
        port: int | None = None,
        appendfsync: str = "always",
        password: str | None = None,
        replica_of: int | None = None,
        cluster_node_timeout_ms: int | None = None,
        maxmemory: str = DEV_MAXMEMORY,
    ):
        port = port or free_port()
        # After the shared file, only what is this server's own: address, data, fsync, memory
        # ceiling, AUTH, primary.
        argv = [
            redis_binary(),
            str(SHARED_CONF),
            "--bind",
            HOST,
            "--port",
            str(port),
            "--dir",
            str(datadir),
            "--appendfsync",
            appendfsync,
            "--maxmemory",
            maxmemory,
        ]
        if password:
            argv += ["--requirepass", password]
            # A replica must authenticate to its primary too (a cluster node may become either).
            argv += ["--masterauth", password]
        if replica_of:
            argv += ["--replicaof", HOST, str(replica_of)]
        if cluster_node_timeout_ms:
            # A node of a Redis Cluster (devstack/redis_cluster.py): its view of the cluster is kept
            # beside its data, so a restart rejoins the same cluster.
            argv += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            argv += ["--cluster-node-timeout", str(cluster_node_timeout_ms)]
        super().__init__("redis", argv, port, datadir)
        self.password = password
        self.replica_of = replica_of

    def start(self, timeout: float = 30.0) -> None:
        """Returns once it accepts connections and, for a replica, is in sync with its primary."""
        super().start(timeout)
        if self.replica_of:
            self.wait_in_sync(timeout)

    def wait_in_sync(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with redis.Redis(port=self.port, password=self.password, decode_responses=True) as client:
            while client.info("replication").get("master_link_status") != "up":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"replica on {self.port} not in sync after {timeout}s")
                time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        self.signal(signal.SIGCONT)  # a paused (SIGSTOP) server could not act on SIGTERM
        super().stop(timeout)

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{HOST}:{self.port}/0"
